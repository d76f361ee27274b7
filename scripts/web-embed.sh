#!/usr/bin/env bash
# Embeds sentences in the demo page in headless Chromium (WebGPU), printing
# one JSON line per sentence exactly as `tessera embed` does; the browser
# adapter's description and the timings go to stderr. Usage:
#   bash scripts/web-embed.sh [--model DIR] [--batch N] SENTENCE...
# Builds, serves and drives the page with scripts/web-drive.sh. Exits
# non-zero with a message when the browser, the adapter or the model is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${TESSERA_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
batch=32
usage="usage: web-embed.sh [--model DIR] [--batch N] SENTENCE..."
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
exec bash scripts/web-drive.sh "$model" tests/data/decoders/tiny-llama embed "$batch" "$@"
