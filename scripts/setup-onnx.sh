#!/usr/bin/env bash
# Writes ONNX's backend node tests to .cache/onnx-node (or $1) for
# tests/onnx_node.rs: a venv in .cache/onnx-venv with the `onnx` wheel, then
# scripts/onnx-node-tests.py, and the wheel's light model zoo to $out/light
# for tests/onnx_zoo.rs (scripts/onnx-zoo.py). Idempotent: an existing folder written by the
# same onnx version is kept. Prints the folder on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
ONNX_VERSION=1.23.2
out="${1:-$PWD/.cache/onnx-node}"
venv=.cache/onnx-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
fi
if ! "$venv/bin/python" -c "import onnx, sys; sys.exit(onnx.__version__ != '$ONNX_VERSION')" 2>/dev/null; then
  "$venv/bin/pip" install -q "onnx==$ONNX_VERSION" numpy >&2
fi
"$venv/bin/python" scripts/onnx-node-tests.py "$out" >&2
"$venv/bin/python" scripts/onnx-zoo.py "$out/light" >&2
echo "$out"
