#!/usr/bin/env bash
# Prepare .gpu-carry/ for a run on the lent NVIDIA machine (see
# ../shared/gpu/README.md): the release `tessera` binary, the Vulkan loader
# (that machine may lack it) and the headless ICD fix. Then, with the device
# tool, carry [".gpu-carry"] and run:  bash .gpu-carry/gpu-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --bin tessera
mkdir -p .gpu-carry
cp target/release/tessera .gpu-carry/
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 .gpu-carry/
cp ../shared/gpu/nvidia-vulkan-env.sh .gpu-carry/
cp scripts/gpu-bench.sh .gpu-carry/
echo "ready: carry .gpu-carry and run: bash .gpu-carry/gpu-bench.sh"
