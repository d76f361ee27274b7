#!/usr/bin/env python3
"""Times onnxruntime's CPU provider on a model with the inputs `tessera bench
onnx` takes, for the side-by-side figures in BENCHMARKS.md (CI never runs
it; needs onnxruntime and numpy, e.g. /work/venv-torch):

    bench-onnxruntime.py MODEL.onnx --input NAME=FILE.npy ... [--warmup 2] [--reps 5] [--json]

A single-input model also takes `--input FILE.pb` (a TensorProto, needs
onnx). Warm-up runs are untimed apart from the first; the median of the
timed runs of `session.run` (inputs from host arrays, outputs to host
arrays, as onnxruntime always returns them) is reported.
"""
import argparse
import json
import statistics
import time

import numpy as np
import onnxruntime as ort


def read_inputs(session, specs):
    names = [i.name for i in session.get_inputs()]
    if len(specs) == 1 and "=" not in specs[0]:
        import onnx
        from onnx import numpy_helper

        tensor = onnx.TensorProto()
        with open(specs[0], "rb") as f:
            tensor.ParseFromString(f.read())
        return {names[0]: numpy_helper.to_array(tensor)}
    feeds = {}
    for spec in specs:
        name, path = spec.split("=", 1)
        feeds[name] = np.load(path)
    missing = set(names) - set(feeds)
    if missing:
        raise SystemExit(f"missing inputs: {sorted(missing)}")
    return feeds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feeds = read_inputs(session, args.input)
    start = time.perf_counter()
    session.run(None, feeds)
    first = time.perf_counter() - start
    for _ in range(1, args.warmup):
        session.run(None, feeds)
    times = []
    for _ in range(max(1, args.reps)):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append(time.perf_counter() - start)
    median = statistics.median(sorted(times))
    result = {
        "bench": "onnxruntime",
        "model": args.model,
        "version": ort.__version__,
        "provider": "CPUExecutionProvider",
        "first_s": first,
        "median_s": median,
        "min_s": min(times),
        "max_s": max(times),
        "runs_per_s": 1.0 / median,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{args.model} on onnxruntime {ort.__version__} CPU: median {median:.3f} s of "
            f"{len(times)} (min {min(times):.3f}, max {max(times):.3f}; first {first:.2f} s)"
        )


if __name__ == "__main__":
    main()
