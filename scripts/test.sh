#!/usr/bin/env bash
# Set up what is missing, then run every test: unit tests, the op suite on every
# adapter found (lavapipe via Vulkan and llvmpipe via GL on a machine without a
# GPU; the GPU too where there is one), and the real-model checks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Mesa's EGL probes for Wayland and complains when XDG_RUNTIME_DIR is unset.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$(mktemp -d)}"
TESSERA_MODEL_DIR="${TESSERA_MODEL_DIR:-$(bash scripts/fetch-model.sh | tail -n 1)}"
export TESSERA_MODEL_DIR
# ONNX's backend node tests for tests/onnx_node.rs (a venv with the onnx wheel).
TESSERA_ONNX_NODE_TESTS="${TESSERA_ONNX_NODE_TESTS:-$(bash scripts/setup-onnx.sh | tail -n 1)}"
export TESSERA_ONNX_NODE_TESTS
# The openai client's venv (scripts/setup.sh) for tests/serve_openai.rs.
export TESSERA_OPENAI_VENV="${TESSERA_OPENAI_VENV:-$PWD/.cache/openai-venv}"
export TESSERA_TEST_ADAPTERS="${TESSERA_TEST_ADAPTERS:-all}"
# Tuning and pipeline caches start cold and stay out of $HOME.
export TESSERA_CACHE_DIR="${TESSERA_CACHE_DIR:-$(mktemp -d)}"
cargo test --workspace --all-targets "$@"
# The same op suite and MiniLM in headless Chromium on its WebGPU adapter.
bash scripts/test-web.sh
