#!/usr/bin/env python3
"""Writes the inputs and onnxruntime's outputs of tests/data/onnx/tiny_encoder.onnx
as .npy files (tests/data/onnx/run/), for the end-to-end test of
`tessera onnx run`. Needs numpy and onnxruntime (/work/venv-torch).
"""
import os

import numpy as np
import onnxruntime as ort


def main() -> None:
    out = "tests/data/onnx/run"
    os.makedirs(out, exist_ok=True)
    sess = ort.InferenceSession("tests/data/onnx/tiny_encoder.onnx", providers=["CPUExecutionProvider"])
    x = np.random.default_rng(5).standard_normal((2, 3, 8)).astype(np.float32)
    np.save(os.path.join(out, "x.npy"), x)
    for i, y in enumerate(sess.run(None, {"x": x})):
        np.save(os.path.join(out, f"expected_{i}.npy"), y)
    # Wrong inputs for the error paths: int64 elements, and a last dim of 7 (the graph fixes 8).
    np.save(os.path.join(out, "x_int64.npy"), np.zeros((2, 3, 8), dtype=np.int64))
    np.save(os.path.join(out, "x_dim7.npy"), np.zeros((2, 3, 7), dtype=np.float32))
    print(f"wrote {out} (onnxruntime {ort.__version__})")


if __name__ == "__main__":
    main()
