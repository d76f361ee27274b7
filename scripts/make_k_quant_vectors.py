#!/usr/bin/env python3
"""Test vectors for Tessera's Q4_K / Q6_K dequantizers, from an independent
implementation: the `gguf` Python package's `gguf.quants.dequantize`.

Writes tests/data/quant/k_quants.json (or the path given as the only
argument): for each of Q4_K and Q6_K, a few super-blocks of seeded random
bytes (hex) and the f32 values gguf-py dequantizes them to (hex of the
little-endian f32 bits, so the comparison is bit-exact). The f16 scale fields
(`d`, and `dmin` for Q4_K) are drawn as finite f16 values (normal, subnormal,
negative, zero), everything else is uniform random bytes. Read by
runtime/src/quant/cpu_k_tests.rs.

How to run (from the repository root; PyPI only):

    python3 -m venv /tmp/kq && /tmp/kq/bin/pip install gguf==0.19.0 numpy
    /tmp/kq/bin/python scripts/make_k_quant_vectors.py

Committed file made with gguf 0.19.0 and numpy 2.4.6 (Python 3.11), seed 20250101.
"""

import json
import sys

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize

SEED = 20250101
# f16 values for the scale fields, one per super-block: ordinary, small
# normal, subnormal, negative, zero.
SCALES = [0.0123, 1.5e-4, 3.0e-6, -0.0371, 0.0]

# (type, bytes per super-block, byte offsets of the f16 scale fields)
FORMATS = {
    "q4_k": (GGMLQuantizationType.Q4_K, 144, [0, 2]),
    "q6_k": (GGMLQuantizationType.Q6_K, 210, [208]),
}


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/quant/k_quants.json"
    rng = np.random.default_rng(SEED)
    doc = {
        "source": "gguf-py gguf.quants.dequantize (scripts/make_k_quant_vectors.py)",
        "seed": SEED,
    }
    for name, (qtype, size, f16_fields) in FORMATS.items():
        blocks = rng.integers(0, 256, size=(len(SCALES), size), dtype=np.uint8)
        for b, scale in enumerate(SCALES):
            for i, at in enumerate(f16_fields):
                # dmin (second field) gets a different, positive value.
                v = np.float16(scale if i == 0 else abs(scale) * 0.5 + 1e-3)
                blocks[b, at : at + 2] = np.frombuffer(v.tobytes(), dtype=np.uint8)
        data = blocks.reshape(-1)
        values = dequantize(data, qtype).astype(np.float32).reshape(-1)
        assert values.size == 256 * len(SCALES) and np.all(np.isfinite(values))
        doc[name] = {
            "bytes": data.tobytes().hex(),
            "values_f32_le": values.astype("<f4").tobytes().hex(),
        }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
