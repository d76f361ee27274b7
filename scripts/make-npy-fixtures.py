#!/usr/bin/env python3
"""Writes tiny .npy files with numpy itself into tests/data/npy, so the
runtime's .npy codec is checked against files it did not write. Each file's
values are listed in tests/data/npy/values.json for the test to compare.
Usage: make-npy-fixtures.py [DIR]   (needs numpy)
"""
import json
import os
import sys

import numpy as np


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/npy"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(13)
    arrays = {
        "f32_2x3": rng.standard_normal((2, 3)).astype(np.float32),
        "f16_5": rng.standard_normal(5).astype(np.float16),
        "f64_3": rng.standard_normal(3),
        "i64_2x2": np.array([[-(2**40), 7], [0, 2**62]], dtype=np.int64),
        "i32_3": np.array([-5, 0, 2**31 - 1], dtype=np.int32),
        "bool_2x3": np.array([[True, False, True], [False, False, True]]),
        "f32_scalar": np.array(1.5, dtype=np.float32),
        "f32_0x3": np.zeros((0, 3), dtype=np.float32),
    }
    values = {}
    for name, a in arrays.items():
        np.save(os.path.join(out, f"{name}.npy"), a)
        values[name] = {"dtype": str(a.dtype), "shape": list(a.shape),
                        "values": [float(x) if a.dtype.kind == "f" else int(x) for x in a.ravel()]}
    # A version 2.0 header, as numpy writes for very wide headers.
    with open(os.path.join(out, "f32_2x3_v2.npy"), "wb") as f:
        np.lib.format.write_array(f, arrays["f32_2x3"], version=(2, 0))
    values["f32_2x3_v2"] = values["f32_2x3"]
    with open(os.path.join(out, "values.json"), "w") as f:
        json.dump(values, f, indent=1)
    print(f"wrote {len(values)} arrays to {out}")


if __name__ == "__main__":
    main()
