#!/usr/bin/env bash
# Generates text greedily with the demo page's decoder panel in headless
# Chromium (WebGPU) and prints one JSON object: text, prompt_ids, ids, stop
# and timings (compare the ids with `tessera generate --model DIR`); the
# browser adapter's description goes to stderr. Usage:
#   bash scripts/web-generate.sh [--decoder DIR] [--max-tokens N] PROMPT...
# The decoder folder (config.json, tokenizer.json, model.safetensors)
# defaults to the tiny Llama test model; the page also loads MiniLM
# (TESSERA_MODEL_DIR). Builds, serves and drives the page with
# scripts/web-drive.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${TESSERA_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
decoder=tests/data/decoders/tiny-llama
max_tokens=24
usage="usage: web-generate.sh [--decoder DIR] [--max-tokens N] PROMPT..."
while [ $# -gt 0 ]; do
  case "$1" in
    --decoder) decoder="$2"; shift 2 ;;
    --max-tokens) max_tokens="$2"; shift 2 ;;
    --) shift; break ;;
    -*) echo "$usage" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "$usage" >&2; exit 2; }
exec bash scripts/web-drive.sh "$model" "$decoder" generate "$max_tokens" "$@"
