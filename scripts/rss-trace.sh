#!/usr/bin/env bash
# Resident memory of a command over its run: samples VmRSS every 0.2 s and
# prints it at 10%, 50% and 100% of the run's duration, and the peak.
# Usage: scripts/rss-trace.sh COMMAND [ARGS...]  (stdin and stdout pass through;
# the report goes to stderr).
set -euo pipefail
# A background job reads /dev/null unless given stdin explicitly.
"$@" <&0 &
pid=$!
samples=()
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && samples+=("$rss")
    sleep 0.2
done
status=0
wait "$pid" || status=$?
n=${#samples[@]}
if [ "$n" -eq 0 ]; then
    echo "rss-trace: no samples" >&2
    exit "$status"
fi
at() { echo $(( ${samples[$(( ($1 * (n - 1)) / 100 ))]} / 1024 )); }
peak=$(printf '%s\n' "${samples[@]}" | sort -n | tail -1)
echo "rss-trace: ${n} samples; RSS at 10%: $(at 10) MiB, 50%: $(at 50) MiB, end: $(at 100) MiB; peak $((peak / 1024)) MiB" >&2
exit "$status"
