#!/usr/bin/env bash
# Sentences/s of all-MiniLM-L6-v2 in headless Chromium's WebGPU adapter
# (SwiftShader without a GPU): 64 sentences of 30 tokens ([CLS] + 28 words
# + [SEP]) in batches of 32, one warm-up then the median of three runs,
# plus the page's load timings (wasm, fetch, device and upload, first
# embedding). Prints one JSON line. Compare with the native figure:
#   tessera bench embed (see BENCHMARKS.md). Usage:
#   bash scripts/bench-web.sh [--model DIR] [--sentences N] [--batch N]
set -euo pipefail
cd "$(dirname "$0")/.."
model="${TESSERA_MODEL_DIR:-.cache/models/all-MiniLM-L6-v2}"
count=64 batch=32
while [ $# -gt 0 ]; do
  case "$1" in
    --model) model="$2"; shift 2 ;;
    --sentences) count="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    *) echo "usage: bench-web.sh [--model DIR] [--sentences N] [--batch N]" >&2; exit 2 ;;
  esac
done
# 28 common one-token words per sentence, varied between sentences.
mapfile -t sentences < <(python3 - "$count" <<'PY'
import sys
words = ("the cat sat on a mat while my dog ran in the park and we all saw it "
         "from our house near an old tree by this road").split()
for i in range(int(sys.argv[1])):
    print(" ".join(words[(i + k) % len(words)] for k in range(28)))
PY
)
exec bash scripts/web-drive.sh "$model" tests/data/decoders/tiny-llama bench "$batch" "${sentences[@]}"
