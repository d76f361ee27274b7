#!/usr/bin/env python3
"""Drive headless Chromium through chromedriver's WebDriver HTTP API to embed
sentences in the demo page (scripts/web-embed.sh serves it).

Usage: webdriver_embed.py PAGE_URL BATCH SENTENCE...
Prints the page's JSON lines (one per sentence, as `tessera embed` prints
them) on stdout and the browser adapter's description and the page's timings
on stderr. Exits 1 with a message when chromedriver, Chromium, the adapter or
the model is missing.
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


def main():
    if len(sys.argv) < 4:
        fail("usage: webdriver_embed.py PAGE_URL BATCH SENTENCE...")
    url, batch, texts = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
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
        print(f"page load to first embedding: {t.get('firstEmbeddingMs', float('nan')):.0f} ms", file=sys.stderr)
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
