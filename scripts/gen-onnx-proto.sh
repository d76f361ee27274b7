#!/usr/bin/env bash
# Regenerates runtime/src/onnx/proto/onnx.rs (committed) from onnx.proto with
# prost-build, compiling the proto with protox (pure Rust, no protoc). Run only
# when the proto changes; the build and CI use the committed Rust code.
#   bash scripts/gen-onnx-proto.sh [PATH/TO/onnx.proto]
# Without an argument it takes onnx.proto from the `onnx` wheel in /work/venv
# (or $ONNX_VENV), e.g. after `pip install onnx`.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${ONNX_VENV:-/work/venv}"
proto="${1:-$("$venv/bin/python" -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')}"
dest=runtime/src/onnx/proto
cp "$proto" "$dest/onnx.proto"
cargo run --release --manifest-path scripts/gen-onnx-proto/Cargo.toml -- "$dest" "$dest"
echo "wrote $dest/onnx.rs from $proto"
