#!/usr/bin/env bash
# Embeds sentences in the demo page in headless Chromium (WebGPU), printing
# one JSON line per sentence exactly as `tessera embed` does; the browser
# adapter's description goes to stderr. Usage:
#   bash scripts/web-embed.sh [--model DIR] [--batch N] SENTENCE...
# Builds the page if needed (scripts/web-build.sh), serves it on 127.0.0.1,
# drives Chromium through chromedriver (scripts/webdriver_embed.py). Exits
# non-zero with a message when the browser, the adapter or the model is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${TESSERA_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
batch=32
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "usage: web-embed.sh [--model DIR] [--batch N] SENTENCE..." >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: web-embed.sh [--model DIR] [--batch N] SENTENCE..." >&2; exit 2; }
for f in config.json tokenizer.json model.safetensors; do
  [ -f "$model/$f" ] || { echo "web-embed: $model/$f not found (scripts/fetch-model.sh fetches the model)" >&2; exit 1; }
done
[ -x /usr/lib/chromium/chromium ] || { echo "web-embed: Chromium not found; run scripts/setup-web.sh" >&2; exit 1; }
command -v chromedriver >/dev/null 2>&1 || { echo "web-embed: chromedriver not found; run scripts/setup-web.sh" >&2; exit 1; }
bash scripts/web-build.sh
root=$(bash scripts/web-root.sh "$model")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$root"' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done
python3 scripts/webdriver_embed.py "http://127.0.0.1:$port/" "$batch" "$@"
