#!/usr/bin/env bash
# Before/after speed check of two tessera binaries on this machine's default
# adapter: alternates them for ROUNDS rounds (so both see the same machine
# load) over the op suite, the MiniLM embedder and decoder generation, and
# prints each measurement tagged with the binary's label (JSON lines for the
# suite and generation, text lines for the embedder).
#
# Usage: bash scripts/compare-binaries.sh OLD_BINARY NEW_BINARY [ROUNDS]
# e.g. build the old commit in a worktree, then
#   bash scripts/compare-binaries.sh /tmp/tessera-old target/release/tessera 3 > runs.jsonl
set -euo pipefail
OLD=$1
NEW=$2
ROUNDS=${3:-3}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
MODEL=${TESSERA_MODEL_DIR:-$(bash "$(dirname "$0")/fetch-model.sh" | tail -n 1)}

run() { # label binary
    local label=$1 bin=$2
    # A fresh tuning and pipeline cache per binary, kept across its rounds.
    export TESSERA_CACHE_DIR=/tmp/compare-cache-$label
    mkdir -p "$TESSERA_CACHE_DIR"
    "$bin" bench suite --reps 5 --json | sed "s/^{/{\"binary\":\"$label\",\"set\":\"suite\",/"
    "$bin" bench embed --model "$MODEL" --workloads 256:32 --reps 5 2>&1 | sed "s/^/$label embed: /"
    "$bin" bench generate --preset qwen2.5-0.5b --layers 4 --formats q8_0,f32 \
        --prompt-tokens 128 --decode-tokens 16 --reps 5 --json |
        sed "s/^{/{\"binary\":\"$label\",\"set\":\"generate\",/"
}

for round in $(seq "$ROUNDS"); do
    echo "round $round" >&2
    run old "$OLD"
    run new "$NEW"
done
