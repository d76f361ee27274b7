#!/usr/bin/env bash
# Builds the demo page's wasm (tessera-web, release, no debug info) into
# web/www/pkg with wasm-bindgen, shrinks it with wasm-opt when installed, and
# prints the bundle's size gzipped. Skips the work when the wasm is newer
# than every source. Needs scripts/setup-web.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir="${CARGO_TARGET_DIR:-target}"
wasm="$target_dir/wasm32-unknown-unknown/release/tessera_web.wasm"
out=web/www/pkg
newest_source=$(find hal kernels runtime web/src web/Cargo.toml Cargo.lock -newer "$out/tessera_web_bg.wasm" -print -quit 2>/dev/null || true)
if [ ! -f "$out/tessera_web_bg.wasm" ] || [ -n "$newest_source" ]; then
  echo "web-build: building tessera-web for wasm32 (release)" >&2
  cargo build --release --target wasm32-unknown-unknown -p tessera-web >&2
  wasm-bindgen --target web --no-typescript --out-dir "$out" "$wasm" >&2
  # wasm-opt must know every feature Rust emits, or the page dies at load
  # (WebAssembly.Table.set: Debian 12's binaryen 108 drops
  # call-indirect-overlong). -all keeps every feature it knows.
  opt_version=$(wasm-opt --version 2>/dev/null | grep -o '[0-9]\+' | head -n 1 || true)
  if [ "${opt_version:-0}" -ge 120 ]; then
    wasm-opt -all -Oz -o "$out/tessera_web_bg.wasm" "$out/tessera_web_bg.wasm" >&2
  elif [ -n "$opt_version" ]; then
    echo "web-build: wasm-opt $opt_version is older than 120; bundle left unoptimised" >&2
  fi
fi
raw=$(stat -c %s "$out/tessera_web_bg.wasm")
gz=$(gzip -9 -c "$out/tessera_web_bg.wasm" | wc -c)
echo "web-build: $out/tessera_web_bg.wasm: $raw bytes, $gz gzipped" >&2
