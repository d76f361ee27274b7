#!/usr/bin/env bash
# Side by side with burn-wgpu on this machine's default adapter: issue #4's
# lavapipe bar ("at least twice burn's figures in the same run").
#
# Builds scripts/burn-bench (burn 0.22 with its default features: autotune and
# fusion on; about 30 minutes the first time on 2 cores) and the release tessera,
# then alternates the two for ROUNDS rounds so both see the same machine load.
# Both sides time the op plus a full device sync on the host clock
# (`--host-timing`), median of REPS after 3 warm-ups.
#
# Usage: bash scripts/burn-compare.sh [ROUNDS] [REPS]
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
REPS=${2:-10}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
BURN_TARGET=${BURN_TARGET:-target/burn-bench}

cargo build --release --quiet
CARGO_TARGET_DIR="$PWD/$BURN_TARGET" cargo build --release --quiet \
    --manifest-path scripts/burn-bench/Cargo.toml

for round in $(seq "$ROUNDS"); do
    echo "== round $round"
    "$BURN_TARGET/release/burn-bench" lavapipe "$REPS"
    for size in 1024 512; do
        target/release/tessera bench matmul --m "$size" --k "$size" --n "$size" \
            --reps "$REPS" --host-timing
    done
    target/release/tessera bench softmax --rows 4096 --cols 1024 --reps "$REPS" --host-timing
done
