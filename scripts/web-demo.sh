#!/usr/bin/env bash
# Serves the demo page (web/www) on 127.0.0.1 with the MiniLM folder at
# /model/ and the decoder folder at /decoder/ (same origin; the tiny Llama
# test model unless --decoder) and prints the URL. Usage:
#   bash scripts/web-demo.sh [--model DIR] [--decoder DIR] [--port N]
# Open the URL in a browser with WebGPU (Chromium on Linux: --enable-unsafe-webgpu).
set -euo pipefail
cd "$(dirname "$0")/.."
model="${TESSERA_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
decoder=tests/data/decoders/tiny-llama
port=8765
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --decoder) decoder="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    *) echo "usage: web-demo.sh [--model DIR] [--decoder DIR] [--port N]" >&2; exit 2 ;;
  esac
done
for f in config.json tokenizer.json model.safetensors; do
  [ -f "$model/$f" ] || { echo "web-demo: $model/$f not found (scripts/fetch-model.sh fetches the model)" >&2; exit 1; }
done
bash scripts/web-build.sh
root=$(bash scripts/web-root.sh "$model" "$decoder")
echo "http://127.0.0.1:$port/"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root"
