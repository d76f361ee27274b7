#!/usr/bin/env bash
# The browser suite: tessera-web's wasm-bindgen tests (web/tests/) in Debian's
# headless Chromium through chromedriver, on the browser's WebGPU adapter
# (SwiftShader where there is no GPU): the op conformance suite, and MiniLM
# against ../shared/refs/minilm_public.json, and the tiny Llama against
# transformers (tests/data/decoders/tiny-llama/reference.json). Chromium's flags are in
# web/webdriver.json. A browser without an adapter fails the suite.
# Needs scripts/setup-web.sh and TESSERA_MODEL_DIR (scripts/fetch-model.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in wasm-bindgen-test-runner chromedriver; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "test-web: $tool not found; run scripts/setup-web.sh" >&2
    exit 1
  }
done
model="${TESSERA_MODEL_DIR:?test-web: set TESSERA_MODEL_DIR (scripts/fetch-model.sh prints it)}"
refs="${TESSERA_REFS_DIR:-../shared/refs}"
[ -f "$refs/minilm_public.json" ] || { echo "test-web: $refs/minilm_public.json not found" >&2; exit 1; }

# The model and the references, served to the test page (another origin).
files=$(mktemp -d)
ln -s "$(cd "$model" && pwd)" "$files/model"
ln -s "$(cd "$refs" && pwd)" "$files/refs"
ln -s "$(pwd)/tests/data/decoders/tiny-llama" "$files/tiny-llama"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 scripts/cors_server.py "$files" "$port" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$files"' EXIT
export TESSERA_WEB_FILES_URL="http://127.0.0.1:$port"

export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
# The suite runs for minutes on SwiftShader; the runner's default is 20 s.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-1800}"
cd web
# Every browser test, unless the arguments pick one (--test NAME).
case " $* " in
  *" --test "*) cargo test --target wasm32-unknown-unknown -p tessera-web "$@" ;;
  *) cargo test --target wasm32-unknown-unknown -p tessera-web --tests "$@" ;;
esac
