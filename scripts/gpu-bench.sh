#!/usr/bin/env bash
# Runs on the GPU machine from the repository root (see scripts/gpu-carry.sh).
# Usage: bash .gpu-carry/gpu-bench.sh [PART...]   (default: all parts, in order)
#
#   suite     the suite twice; the second run starts with warm tuning and
#             pipeline caches, which is the "first call with a warm cache" row
#   variants  every matmul variant at the table's sizes, f32 (B row-major and
#             transposed) and f16, and the decode shape 1x4096x4096
#   generate  decoder generation at Llama-3.2-1B and Qwen2.5-0.5B shapes
#   burn      burn-wgpu on the same card (needs gpu-carry.sh --with-burn), then
#             the same rows from tessera with --host-timing, timed like burn
#
# One device command may run 10 minutes at most: when the whole script does
# not fit, run the parts in separate calls (the caches live in .gpu-carry/cache,
# which does not survive a fresh machine). Output goes to stdout and to $OUT
# when the device tool sets it.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/nvidia-vulkan-env.sh"
export LD_LIBRARY_PATH="$here${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export TESSERA_CACHE_DIR="$here/cache"
out="${OUT:-$here/out}"
mkdir -p "$out"
bin="$here/tessera"

suite() {
  "$bin" devices 2>&1 | tee "$out/devices.txt"
  "$bin" bench suite 2>&1 | tee "$out/suite-cold.txt"
  "$bin" bench suite 2>&1 | tee "$out/suite-warm.txt"
}

variants() {
  for size in 4096 1024; do
    "$bin" bench matmul --m $size --k $size --n $size --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
    "$bin" bench matmul --m $size --k $size --n $size --transpose-b --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
  done
  "$bin" bench matmul --m 4096 --k 4096 --n 4096 --dtype f16 --all-variants --reps 10 2>&1 | tee -a "$out/matmul-variants.txt"
  "$bin" bench matmul --m 1 --k 4096 --n 4096 --transpose-b --all-variants --reps 20 2>&1 | tee -a "$out/matmul-variants.txt"
}

# Prompt and decode tokens/s at real model shapes (random weights), decode
# bandwidth as a fraction of the copy ceiling.
generate() {
  for preset in llama-3.2-1b qwen2.5-0.5b; do
    "$bin" bench generate --preset $preset --formats q8_0,q4_0,q4_k,f16 --reps 5 2>&1 | tee -a "$out/generate.txt"
  done
}

# burn-wgpu 0.22 (autotune and fusion on), host-timed around each op plus a full
# sync, then tessera's rows timed the same way.
burn() {
  if [ ! -f "$here/burn-bench.gz" ]; then
    echo "burn: no burn-bench.gz carried (run scripts/gpu-carry.sh --with-burn)"
    return
  fi
  gunzip -c "$here/burn-bench.gz" > "$here/burn-bench" && chmod +x "$here/burn-bench"
  "$here/burn-bench" gpu 10 2>&1 | tee "$out/burn.txt"
  for size in 4096 1024; do
    "$bin" bench matmul --m $size --k $size --n $size --reps 10 --host-timing 2>&1 | tee -a "$out/host-timed.txt"
  done
  "$bin" bench matmul --m 4096 --k 4096 --n 4096 --dtype f16 --reps 10 --host-timing 2>&1 | tee -a "$out/host-timed.txt"
  for op in softmax layernorm; do
    "$bin" bench $op --rows 32768 --cols 4096 --reps 10 --host-timing 2>&1 | tee -a "$out/host-timed.txt"
  done
  "$bin" bench add --elements $((256 << 20)) --reps 10 --host-timing 2>&1 | tee -a "$out/host-timed.txt"
}

parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=(suite variants generate burn)
for part in "${parts[@]}"; do
  case "$part" in
    suite|variants|generate|burn) "$part" ;;
    *) echo "unknown part $part: suite, variants, generate or burn" >&2; exit 2 ;;
  esac
done
