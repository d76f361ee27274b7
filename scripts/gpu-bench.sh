#!/usr/bin/env bash
# Runs on the GPU machine from the repository root (see scripts/gpu-carry.sh):
# the suite twice (the second run starts with warm tuning and pipeline caches,
# which is the "first call with a warm cache" row), then every matmul variant at
# the table's sizes, then decoder generation at Llama-3.2-1B and Qwen2.5-0.5B
# shapes. Output goes to stdout and to $OUT when the device tool sets it.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/nvidia-vulkan-env.sh"
export LD_LIBRARY_PATH="$here${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TESSERA_CACHE_DIR="$here/cache"
out="${OUT:-$here/out}"
mkdir -p "$out"
bin="$here/tessera"
"$bin" devices 2>&1 | tee "$out/devices.txt"
"$bin" bench suite 2>&1 | tee "$out/suite-cold.txt"
"$bin" bench suite 2>&1 | tee "$out/suite-warm.txt"
for size in 4096 1024; do
  "$bin" bench matmul --m $size --k $size --n $size --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
  "$bin" bench matmul --m $size --k $size --n $size --transpose-b --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
done
"$bin" bench matmul --m 4096 --k 4096 --n 4096 --dtype f16 --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
"$bin" bench matmul --m 1 --k 4096 --n 4096 --transpose-b --all-variants --reps 20 2>&1 | tee -a "$out/matmul-variants.txt"
# Decoder generation at real model shapes (random weights): prompt and decode
# tokens/s, decode bandwidth as a fraction of the copy ceiling.
for preset in llama-3.2-1b qwen2.5-0.5b; do
  "$bin" bench generate --preset $preset --formats q8_0,q4_0,q4_k,f16 --reps 5 2>&1 | tee -a "$out/generate.txt"
done
