#!/usr/bin/env bash
# Prepare .gpu-carry/ for a run on the lent NVIDIA machine (see
# ../shared/gpu/README.md): the release `tessera` binary, the Vulkan loader
# (that machine may lack it) and the headless ICD fix. Then, with the device
# tool, carry [".gpu-carry"] and run:  bash .gpu-carry/gpu-bench.sh
#
# With --with-burn it also carries scripts/burn-bench (burn 0.22, default
# features), stripped and gzipped (about 22 MB), so the same run times burn-wgpu
# on the same card. Its first build takes about 30 minutes on 2 cores; set
# BURN_TARGET to reuse a build folder.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --bin tessera
mkdir -p .gpu-carry
cp target/release/tessera .gpu-carry/
cp -L /usr/lib/x86_64-linux-gnu/libvulkan.so.1 .gpu-carry/
cp ../shared/gpu/nvidia-vulkan-env.sh .gpu-carry/
cp scripts/gpu-bench.sh .gpu-carry/
rm -f .gpu-carry/burn-bench.gz
if [ "${1:-}" = "--with-burn" ]; then
    burn_target="${BURN_TARGET:-$PWD/target/burn-bench}"
    CARGO_TARGET_DIR="$burn_target" cargo build --release \
        --manifest-path scripts/burn-bench/Cargo.toml
    strip -o .gpu-carry/burn-bench "$burn_target/release/burn-bench"
    gzip -f .gpu-carry/burn-bench
fi
du -sh .gpu-carry
echo "ready: carry .gpu-carry and run: bash .gpu-carry/gpu-bench.sh"
