#!/usr/bin/env bash
# Installs what Tessera needs on a fresh Debian/Ubuntu machine with Rust:
# a Vulkan loader and Mesa's software adapters (lavapipe for Vulkan, llvmpipe
# for GL through EGL) when no Vulkan driver is present. Idempotent.
set -euo pipefail

need_pkgs=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libvulkan.so.1' || need_pkgs+=(libvulkan1)
# lavapipe's ICD manifest ships in mesa-vulkan-drivers.
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 \
  || need_pkgs+=(mesa-vulkan-drivers)
have_lib 'libEGL.so.1' || need_pkgs+=(libegl1)
have_lib 'libEGL_mesa.so.0' || need_pkgs+=(libegl-mesa0 libgl1-mesa-dri)
# ONNX's node tests are written by the `onnx` wheel in a venv (scripts/setup-onnx.sh).
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing ${need_pkgs[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

# The official `openai` client in a light venv, for tests/serve_openai.rs
# (scripts/test.sh points TESSERA_OPENAI_VENV at it). Kept when it already
# has this version.
OPENAI_VERSION=3.63.0
openai_venv="$(cd "$(dirname "$0")/.." && pwd)/.cache/openai-venv"
if ! "$openai_venv/bin/python" -c "import openai, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
  echo "setup: installing openai==$OPENAI_VERSION into $openai_venv" >&2
  python3 -m venv "$openai_venv" >&2
  "$openai_venv/bin/pip" install -q "openai==$OPENAI_VERSION" >&2
fi
# The browser suite (scripts/test-web.sh): Chromium, chromedriver, the wasm
# target and wasm-bindgen-cli at Cargo.lock's version.
bash "$(dirname "$0")/setup-web.sh"
