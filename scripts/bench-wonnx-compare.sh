#!/usr/bin/env bash
# Runs Tessera's `bench onnx` and wonnx 0.5.1's `nnx infer --benchmark` (100
# inferences) alternately on one model, ROUNDS times, both on lavapipe,
# printing `uptime` and one line per run. CI never runs it.
#
#   NNX=/path/to/nnx ROUNDS=3 scripts/bench-wonnx-compare.sh TESSERA_BIN MODEL.onnx INPUT_NAME INPUT.npy IMAGE.png
#
# MODEL.onnx is a light-zoo model rewritten by scripts/make-wonnx-models.py
# (which also writes INPUT.npy, the zoo's stored input, and prints the input
# name, INPUT_NAME); wonnx reads its input
# from IMAGE.png (any 224x224 RGB image: nnx resizes and normalises it), so
# both run the same graph on an input of the same shape. wonnx's figure is
# the mean of its 100 inferences (timed together after its session, pipelines
# compiled, is built; upload, compute and read-back included),
# Tessera's the median of --reps timed runs after --warmup, same split.
set -euo pipefail
tessera=$1
model=$2
name=$3
input=$4
image=$5
nnx=${NNX:-nnx}
rounds=${ROUNDS:-3}
for round in $(seq 1 "$rounds"); do
    echo "# round $round: $(uptime)"
    line=$("$tessera" bench onnx --adapter vulkan --warmup 2 --reps 10 --json \
        --model "$model" --input "$name=$input" | tail -n 1)
    echo "{\"round\":$round,\"label\":\"tessera\",\"result\":$line}"
    echo "# round $round wonnx: $(uptime)"
    ms=$("$nnx" infer "$model" -i "$name=$image" --benchmark 2>&1 \
        | grep -io 'time for 100 inferences: [0-9]*ms' | grep -o '[0-9][0-9]*ms' | tr -d ms)
    echo "{\"round\":$round,\"label\":\"wonnx\",\"ms_per_inference\":$(echo "scale=1; $ms / 100" | bc)}"
done
