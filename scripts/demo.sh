#!/usr/bin/env bash
# The main job: set up what is missing, fetch all-MiniLM-L6-v2 if needed, then embed
# a few sentences on the default adapter (TESSERA_ADAPTER picks another) and print
# their cosine-similarity table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Mesa's EGL probes for Wayland and complains when XDG_RUNTIME_DIR is unset.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
model="$(bash scripts/fetch-model.sh | tail -n 1)"
cargo run --release --quiet -- devices
echo
cargo run --release --quiet -- embed --model "$model" --similarity \
  "A man is playing a guitar." \
  "Someone is strumming an acoustic guitar." \
  "The stock market fell sharply today." \
  "Shares tumbled as investors panicked." \
  "A cat sleeps on the windowsill." \
  "Le chat dort sur le rebord de la fenêtre."
