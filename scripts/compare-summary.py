#!/usr/bin/env python3
"""Summarise scripts/compare-binaries.sh output: for every measurement, the
median and the best over rounds of each binary and their ratios new/old
(higher is faster; times are turned into throughputs first). On a VM whose
speed drifts, the best of the rounds compares the binaries in the machine's
fast phase; the median shows the drift. Prints a Markdown table.

Usage: python3 scripts/compare-summary.py runs.jsonl
"""
import json
import re
import statistics
import sys
from collections import defaultdict

values = defaultdict(lambda: defaultdict(list))  # key -> binary -> [throughput]
units = {}
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        d = json.loads(line)
        if d.get("op") == "generate":
            base = f"generate {d['preset']} x{d['layers']} {d['format']}"
            for field, label in [("prompt_tokens_per_s", "prompt"), ("decode_tokens_per_s", "decode")]:
                key = f"{base} {label}"
                values[key][d["binary"]].append(d[field])
                units[key] = "tokens/s"
        elif d.get("set") == "suite" and "median_ms" in d:
            key = f"{d['op']} {d['shape']} {d['dtype']} {d.get('variant', '')}".strip()
            rate, unit = (d["gflops"], "GFLOP/s") if d.get("gflops") else (d.get("gbps"), "GB/s")
            if rate is None:
                rate, unit = 1000.0 / d["median_ms"], "runs/s"
            values[key][d["binary"]].append(rate)
            units[key] = unit
    else:
        m = re.match(r"(\w+) embed: (\d+) sentences x (\d+) tokens, batch (\d+): ([\d.]+) sentences/s", line)
        if m:
            key = f"embed {m.group(2)}x{m.group(3)} batch {m.group(4)}"
            values[key][m.group(1)].append(float(m.group(5)))
            units[key] = "sentences/s"

print("| measurement | unit | old median | new median | ratio | old best | new best | ratio | rounds |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for key, by in values.items():
    old, new = by.get("old", []), by.get("new", [])
    if not old or not new:
        continue
    mo, mn = statistics.median(old), statistics.median(new)
    bo, bn = max(old), max(new)
    print(
        f"| {key} | {units[key]} | {mo:.3g} | {mn:.3g} | {mn / mo:.3f} "
        f"| {bo:.3g} | {bn:.3g} | {bn / bo:.3f} | {len(old)}/{len(new)} |"
    )
