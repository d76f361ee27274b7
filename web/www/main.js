// The demo page: fetch the model's files (same origin), load them into
// Tessera's WebGPU runtime, embed the text box's sentences and draw their
// cosine-similarity table; generate text with the tiny Llama in the second
// panel. Also the driver surface of scripts/web-embed.sh and
// scripts/web-generate.sh: window.tesseraReady (a promise of the embedder),
// window.tesseraEmbed and window.tesseraGenerate.
import init, { WebEmbedder, WebGenerator } from "./pkg/tessera_web.js";

const status = document.getElementById("status");
const progress = document.getElementById("progress");
const params = new URLSearchParams(location.search);
const modelBase = params.get("model") || "model/";
const decoderBase = params.get("decoder") || "decoder/";

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

// Timings in ms since navigation started (performance.now()'s origin).
async function load() {
  status.textContent = "Loading the wasm module…";
  await init();
  const wasmMs = performance.now();
  status.textContent = "Fetching the model…";
  const counter = { loaded: 0, total: 0 };
  const [config, tokenizer, weights] = await Promise.all([
    fetchBytes(modelBase + "config.json", counter),
    fetchBytes(modelBase + "tokenizer.json", counter),
    fetchBytes(modelBase + "model.safetensors", counter),
  ]);
  const fetchedMs = performance.now();
  status.textContent = "Opening the WebGPU device and uploading weights…";
  const embedder = await WebEmbedder.load(new TextDecoder().decode(config), tokenizer, weights);
  document.getElementById("adapter").textContent = embedder.adapter();
  const loadedMs = performance.now();
  // The first embedding compiles the kernels it uses.
  await embedder.embed(["A first sentence to embed."]);
  const firstEmbeddingMs = performance.now();
  window.tesseraTimings = { wasmMs, fetchedMs, loadedMs, firstEmbeddingMs };
  status.textContent = `Ready: model loaded at ${loadedMs.toFixed(0)} ms, first embedding at ${firstEmbeddingMs.toFixed(0)} ms after page load.`;
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
window.tesseraReady.then(() => {
  document.getElementById("embed").disabled = false;
  // Driven by a script (?driver), the page waits to be asked.
  if (!params.has("driver")) document.getElementById("embed").click();
});

// The second panel: the tiny Llama, loaded on first use.
let generatorPromise = null;
function loadGenerator() {
  if (!generatorPromise) {
    generatorPromise = (async () => {
      await window.tesseraReady.catch(() => init());
      const counter = { loaded: 0, total: 0 };
      const [config, tokenizer, weights] = await Promise.all([
        fetchBytes(decoderBase + "config.json", counter),
        fetchBytes(decoderBase + "tokenizer.json", counter),
        fetchBytes(decoderBase + "model.safetensors", counter),
      ]);
      // The tiny Llama's tokenizer.json has no post-processor: put its bos first.
      return WebGenerator.load(new TextDecoder().decode(config), tokenizer, weights, true);
    })();
  }
  return generatorPromise;
}

// What scripts/web-generate.sh calls: a promise of the generation's JSON
// summary (text, ids, timings); `onPiece` receives each token's text.
window.tesseraGenerate = async (prompt, maxTokens, onPiece) =>
  JSON.parse(await (await loadGenerator()).generate(prompt, maxTokens, onPiece || (() => {})));

document.getElementById("generate").addEventListener("click", async () => {
  const button = document.getElementById("generate");
  const out = document.getElementById("gen-output");
  const genStatus = document.getElementById("gen-status");
  button.disabled = true;
  out.textContent = "";
  try {
    genStatus.textContent = "Loading the decoder…";
    await loadGenerator();
    genStatus.textContent = "Generating…";
    const prompt = document.getElementById("prompt").value;
    const maxTokens = Number(document.getElementById("max-tokens").value) || 24;
    const summary = await window.tesseraGenerate(prompt, maxTokens, (piece) => { out.textContent += piece; });
    genStatus.textContent = `${summary.ids.length} tokens, ${summary.decode_tokens_per_second.toFixed(1)} tokens/s after a ${(summary.prompt_seconds * 1000).toFixed(0)} ms prompt.`;
  } catch (e) {
    genStatus.textContent = `Failed: ${e.message || e}`;
  } finally {
    button.disabled = false;
  }
});
