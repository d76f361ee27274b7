#!/usr/bin/env bash
# Installs what the browser suite needs (idempotent): Debian's Chromium and
# chromedriver, binaryen's wasm-opt (shrinks the demo's bundle in
# scripts/web-build.sh), Rust's wasm32-unknown-unknown target, and wasm-bindgen-cli at
# the exact version of wasm-bindgen in Cargo.lock (its test runner drives
# Chromium; a different version refuses the wasm).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
if [ ! -x /usr/lib/chromium/chromium ] || ! command -v chromedriver >/dev/null 2>&1 \
   || ! command -v wasm-opt >/dev/null 2>&1; then
  echo "setup-web: installing chromium chromium-driver binaryen" >&2
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium chromium-driver binaryen >/dev/null
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  echo "setup-web: adding the wasm32-unknown-unknown target" >&2
  rustup target add wasm32-unknown-unknown
fi

want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  echo "setup-web: installing wasm-bindgen-cli $want (found: ${have:-none}); this takes minutes" >&2
  cargo install wasm-bindgen-cli --version "$want" >&2
fi
