#!/usr/bin/env bash
# Builds the demo page if needed (scripts/web-build.sh), serves it on
# 127.0.0.1 with the MiniLM folder at model/ and the decoder folder at
# decoder/, and drives headless Chromium through chromedriver
# (scripts/webdriver_page.py MODE ...). Used by scripts/web-embed.sh and
# scripts/web-generate.sh. Usage:
#   bash scripts/web-drive.sh MODEL_DIR DECODER_DIR MODE COUNT ARG...
# Exits non-zero with a message when the browser, the adapter or a model is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
model="$1" decoder="$2"
shift 2
for f in "$model/config.json" "$model/tokenizer.json" "$model/model.safetensors" \
         "$decoder/config.json" "$decoder/tokenizer.json" "$decoder/model.safetensors"; do
  [ -f "$f" ] || { echo "web: $f not found (scripts/fetch-model.sh fetches MiniLM)" >&2; exit 1; }
done
[ -x /usr/lib/chromium/chromium ] || { echo "web: Chromium not found; run scripts/setup-web.sh" >&2; exit 1; }
command -v chromedriver >/dev/null 2>&1 || { echo "web: chromedriver not found; run scripts/setup-web.sh" >&2; exit 1; }
bash scripts/web-build.sh
root=$(bash scripts/web-root.sh "$model" "$decoder")
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$root" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$root"' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
  sleep 0.1
done
# ?driver: the page does not embed its sample sentences on its own.
mode="$1"
shift
python3 scripts/webdriver_page.py "$mode" "http://127.0.0.1:$port/?driver" "$@"
