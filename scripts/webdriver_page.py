#!/usr/bin/env python3
"""Drive headless Chromium through chromedriver's WebDriver HTTP API to use
the demo page (scripts/web-embed.sh and scripts/web-generate.sh serve it).

Usage:
  webdriver_page.py embed PAGE_URL BATCH SENTENCE...
      Prints the page's JSON lines (one per sentence, as `tessera embed`
      prints them) on stdout.
  webdriver_page.py bench PAGE_URL BATCH SENTENCE...
      Embeds the sentences once to warm up, then three times, and prints the
      median as JSON on stdout (sentences/s; the page-load timings).
  webdriver_page.py generate PAGE_URL MAX_TOKENS PROMPT
      Generates greedily with the page's decoder panel and prints one JSON
      object (text, prompt_ids, ids, stop, timings) on stdout.
The browser adapter's description and the page's timings go to stderr. Exits
1 with a message when chromedriver, Chromium, the adapter or the model is
missing.
"""
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

CHROMIUM = "/usr/lib/chromium/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--disable-dev-shm-usage"]
SCRIPT_TIMEOUT_MS = 30 * 60 * 1000


def fail(message):
    print(f"web-embed: {message}", file=sys.stderr)
    sys.exit(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=SCRIPT_TIMEOUT_MS / 1000 + 60) as r:
            return json.loads(r.read() or b"{}").get("value")
    except urllib.error.HTTPError as e:
        detail = json.loads(e.read() or b"{}").get("value", {})
        fail(f"WebDriver {method} {path}: {detail.get('message', e)}")


def run_in_page(base, session, body):
    """Run `body` (which calls done(result)) as an async script in the page."""
    script = "const done = arguments[arguments.length - 1];\n" + body
    return call(base, "POST", f"/session/{session}/execute/async", {"script": script, "args": []})


USAGE = ("usage: webdriver_page.py embed|bench PAGE_URL BATCH SENTENCE... "
         "| generate PAGE_URL MAX_TOKENS PROMPT")


def embed(base, session, batch, texts):
    result = run_in_page(base, session, f"""
        const t0 = performance.now();
        window.tesseraEmbed({json.dumps(texts)}, {batch})
          .then((lines) => done({{ lines, ms: performance.now() - t0 }}))
          .catch((err) => done({{ error: String((err && err.message) || err) }}));""")
    if result.get("error"):
        fail(f"embedding in the page failed: {result['error']}")
    print(result["lines"])
    print(f"embedded {len(texts)} sentences in {result['ms']:.0f} ms "
          f"({len(texts) / (result['ms'] / 1000):.2f} sentences/s)", file=sys.stderr)


def bench(base, session, batch, texts, timings, reps=3):
    times = []
    for rep in range(reps + 1):
        result = run_in_page(base, session, f"""
            const t0 = performance.now();
            window.tesseraEmbed({json.dumps(texts)}, {batch})
              .then(() => done({{ ms: performance.now() - t0 }}))
              .catch((err) => done({{ error: String((err && err.message) || err) }}));""")
        if result.get("error"):
            fail(f"embedding in the page failed: {result['error']}")
        label = "warm-up" if rep == 0 else f"run {rep}"
        print(f"{label}: {len(texts)} sentences in {result['ms']:.0f} ms", file=sys.stderr)
        if rep > 0:
            times.append(result["ms"])
    median = sorted(times)[len(times) // 2]
    print(json.dumps({"sentences": len(texts), "batch": batch, "median_ms": round(median, 1),
                      "sentences_per_second": round(len(texts) / (median / 1000), 3),
                      "runs_ms": [round(t, 1) for t in times], "page": timings}))


def generate(base, session, max_tokens, prompt):
    result = run_in_page(base, session, f"""
        const t0 = performance.now();
        let pieces = 0;
        window.tesseraGenerate({json.dumps(prompt)}, {max_tokens}, () => {{ pieces += 1; }})
          .then((summary) => done({{ summary, pieces, ms: performance.now() - t0 }}))
          .catch((err) => done({{ error: String((err && err.message) || err) }}));""")
    if result.get("error"):
        fail(f"generating in the page failed: {result['error']}")
    print(json.dumps(result["summary"]))
    summary = result["summary"]
    print(f"generated {len(summary['ids'])} tokens ({result['pieces']} streamed pieces) in "
          f"{result['ms']:.0f} ms including the decoder's load; decode "
          f"{summary['decode_tokens_per_second']:.1f} tokens/s", file=sys.stderr)


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("embed", "bench", "generate"):
        fail(USAGE)
    mode, url, count, rest = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    driver = shutil.which("chromedriver")
    if driver is None:
        fail("chromedriver not found; run scripts/setup-web.sh")
    if not shutil.which(CHROMIUM) and not __import__("os").path.exists(CHROMIUM):
        fail(f"{CHROMIUM} not found; run scripts/setup-web.sh")
    port = free_port()
    proc = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    session = None
    try:
        for _ in range(100):
            try:
                if call(base, "GET", "/status").get("ready"):
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        else:
            fail("chromedriver did not start")
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM, "args": CHROMIUM_ARGS}}}}
        session = call(base, "POST", "/session", caps)["sessionId"]
        call(base, "POST", f"/session/{session}/timeouts", {"script": SCRIPT_TIMEOUT_MS})
        call(base, "POST", f"/session/{session}/url", {"url": url})
        ready = run_in_page(base, session, """
            window.tesseraReady
              .then((e) => done({ adapter: e.adapter(), timings: window.tesseraTimings }))
              .catch((err) => done({ error: String((err && err.message) || err) }));""")
        if ready.get("error"):
            fail(f"the page could not load the model on a WebGPU adapter: {ready['error']}")
        print(f"adapter: {ready['adapter']}", file=sys.stderr)
        t = ready.get("timings") or {}
        nan = float("nan")
        print(f"since page load: wasm ready {t.get('wasmMs', nan):.0f} ms, model fetched "
              f"{t.get('fetchedMs', nan):.0f} ms, device open and weights uploaded "
              f"{t.get('loadedMs', nan):.0f} ms, first embedding {t.get('firstEmbeddingMs', nan):.0f} ms",
              file=sys.stderr)
        if mode == "embed":
            embed(base, session, count, rest)
        elif mode == "bench":
            bench(base, session, count, rest, t)
        else:
            generate(base, session, count, " ".join(rest))
    finally:
        if session:
            try:
                call(base, "DELETE", f"/session/{session}")
            except SystemExit:
                pass
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
