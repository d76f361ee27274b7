#!/usr/bin/env bash
# Prints a fresh folder to serve: the page (web/www) and the model folder $1
# at model/, as symlinks (python3 -m http.server follows them).
set -euo pipefail
cd "$(dirname "$0")/.."
model=$(cd "$1" && pwd)
root=$(mktemp -d)
for f in web/www/*; do ln -s "$PWD/$f" "$root/"; done
ln -s "$model" "$root/model"
echo "$root"
