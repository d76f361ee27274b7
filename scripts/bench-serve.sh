#!/usr/bin/env bash
# Start `tessera serve` with SERVE_ARGS on a free loopback port, run
# `tessera bench serve` against it with BENCH_ARGS (and the server's pid, for
# its resident memory), then stop the server with SIGTERM.
#
#   TESSERA=target/release/tessera bash scripts/bench-serve.sh \
#       "--clients 8 --requests 1000 --max-tokens 16" --model tests/data/decoders/tiny-llama
set -euo pipefail
cd "$(dirname "$0")/.."
tessera="${TESSERA:-target/release/tessera}"
bench_args="$1"
shift
log="$(mktemp)"
"$tessera" serve --port 0 "$@" 2>"$log" &
server=$!
trap 'kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 600); do
  address="$(sed -n 's|^listening on http://||p' "$log")"
  [ -n "$address" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 1
done
[ -n "$address" ] || { echo "the server did not start" >&2; cat "$log" >&2; exit 1; }
grep -E '^(adapter|models):' "$log" >&2
# shellcheck disable=SC2086
"$tessera" bench serve --address "$address" --pid "$server" $bench_args
