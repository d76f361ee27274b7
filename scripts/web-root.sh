#!/usr/bin/env bash
# Prints a fresh folder to serve: the page (web/www), the model folder $1 at
# model/ and the decoder folder $2 (default: the tiny Llama test model) at
# decoder/, as symlinks (python3 -m http.server follows them).
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(cd "$1" && pwd)
root=$(mktemp -d)
for f in web/www/*; do ln -s "$PWD/$f" "$root/"; done
ln -s "$model" "$root/model"
ln -s "$(cd "${2:-tests/data/decoders/tiny-llama}" && pwd)" "$root/decoder"
echo "$root"
