// The demo page: fetch the model's files (same origin), load them into
// Tessera's WebGPU runtime, embed the text box's sentences and draw their
// cosine-similarity table. Also the driver surface of scripts/web-embed.sh:
// window.tesseraReady (a promise of the embedder) and window.tesseraEmbed.
import init, { WebEmbedder } from "./pkg/tessera_web.js";

const status = document.getElementById("status");
const progress = document.getElementById("progress");
const params = new URLSearchParams(location.search);
const modelBase = params.get("model") || "model/";

// Fetch `url` as bytes, adding its received bytes to the progress bar.
async function fetchBytes(url, counter) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get("content-length")) || 0;
  counter.total += total;
  const reader = response.body.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
    counter.loaded += value.length;
    progress.max = Math.max(counter.total, counter.loaded);
    progress.value = counter.loaded;
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes;
}

async function load() {
  const t0 = performance.now();
  status.textContent = "Loading the wasm module…";
  await init();
  status.textContent = "Fetching the model…";
  const counter = { loaded: 0, total: 0 };
  const [config, tokenizer, weights] = await Promise.all([
    fetchBytes(modelBase + "config.json", counter),
    fetchBytes(modelBase + "tokenizer.json", counter),
    fetchBytes(modelBase + "model.safetensors", counter),
  ]);
  status.textContent = "Opening the WebGPU device and uploading weights…";
  const embedder = await WebEmbedder.load(new TextDecoder().decode(config), tokenizer, weights);
  document.getElementById("adapter").textContent = embedder.adapter();
  const t1 = performance.now();
  await embedder.embed(["warm-up"]);
  window.tesseraTimings = { loadMs: t1 - t0, firstEmbeddingMs: performance.now() - t0 };
  status.textContent = `Ready: loaded in ${(t1 - t0).toFixed(0)} ms, first embedding at ${window.tesseraTimings.firstEmbeddingMs.toFixed(0)} ms.`;
  progress.hidden = true;
  return embedder;
}

function cosine(a, b) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
  return dot / Math.sqrt(na * nb);
}

function drawTable(texts, vectors) {
  const table = document.createElement("table");
  const head = table.insertRow();
  head.appendChild(document.createElement("th"));
  texts.forEach((_, j) => { const th = document.createElement("th"); th.textContent = `#${j + 1}`; head.appendChild(th); });
  texts.forEach((text, i) => {
    const row = table.insertRow();
    const th = document.createElement("th");
    th.textContent = `#${i + 1} ${text}`;
    th.title = text;
    row.appendChild(th);
    texts.forEach((_, j) => {
      const c = cosine(vectors[i], vectors[j]);
      const td = row.insertCell();
      td.textContent = c.toFixed(3);
      td.style.background = `rgba(40, 120, 220, ${Math.max(0, c).toFixed(2)})`;
    });
  });
  const holder = document.getElementById("table");
  holder.replaceChildren(table);
}

window.tesseraReady = load();
window.tesseraReady.catch((e) => { status.textContent = `Failed: ${e.message || e}`; window.tesseraError = String(e.message || e); });

// What scripts/web-embed.sh calls: JSON lines exactly as `tessera embed` prints them.
window.tesseraEmbed = async (texts, batch) => (await window.tesseraReady).embed_json_lines(texts, batch || 32);

document.getElementById("embed").addEventListener("click", async () => {
  const embedder = await window.tesseraReady;
  const texts = document.getElementById("sentences").value.split("\n").map((s) => s.trim()).filter(Boolean);
  if (texts.length === 0) return;
  status.textContent = `Embedding ${texts.length} sentences…`;
  const t0 = performance.now();
  const flat = await embedder.embed(texts);
  const dim = embedder.dim();
  const vectors = texts.map((_, i) => flat.subarray(i * dim, (i + 1) * dim));
  status.textContent = `Embedded ${texts.length} sentences in ${(performance.now() - t0).toFixed(0)} ms.`;
  drawTable(texts, vectors);
});
window.tesseraReady.then(() => { document.getElementById("embed").disabled = false; document.getElementById("embed").click(); });
