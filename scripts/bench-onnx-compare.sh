#!/usr/bin/env bash
# Runs `tessera bench onnx` builds and onnxruntime's CPU provider
# (scripts/bench-onnxruntime.py) alternately on one model and input, ROUNDS
# times, printing each run's JSON line (with the round) and `uptime` before
# each round. CI never runs it.
#
#   ROUNDS=2 WARMUP=1 REPS=3 PYTHON=/work/venv-torch/bin/python \
#   scripts/bench-onnx-compare.sh "label=path/to/tessera ..." MODEL.onnx --input NAME=FILE.npy ...
#
# The first argument lists the Tessera binaries to compare, space-separated
# as LABEL=PATH (e.g. "before=/tmp/tessera-direct after=target/release/tessera");
# ADAPTER (default vulkan) picks the adapter.
set -euo pipefail
binaries=$1
model=$2
shift 2
rounds=${ROUNDS:-2}
warmup=${WARMUP:-1}
reps=${REPS:-3}
python=${PYTHON:-python3}
adapter=${ADAPTER:-vulkan}
here=$(cd "$(dirname "$0")" && pwd)
for round in $(seq 1 "$rounds"); do
    echo "# round $round: $(uptime)"
    for entry in $binaries; do
        label=${entry%%=*}
        bin=${entry#*=}
        line=$("$bin" bench onnx --adapter "$adapter" --warmup "$warmup" --reps "$reps" --json \
            --model "$model" "$@" | tail -n 1)
        echo "{\"round\":$round,\"label\":\"$label\",\"result\":$line}"
    done
    line=$("$python" "$here/bench-onnxruntime.py" "$model" --warmup "$warmup" --reps "$reps" --json "$@" \
        2>/dev/null | tail -n 1)
    echo "{\"round\":$round,\"label\":\"onnxruntime\",\"result\":$line}"
done
