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
  if command -v wasm-opt >/dev/null 2>&1; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      -o "$out/tessera_web_bg.wasm" "$out/tessera_web_bg.wasm" >&2
  fi
fi
raw=$(stat -c %s "$out/tessera_web_bg.wasm")
gz=$(gzip -9 -c "$out/tessera_web_bg.wasm" | wc -c)
echo "web-build: $out/tessera_web_bg.wasm: $raw bytes, $gz gzipped" >&2
