#!/usr/bin/env python3
"""Test vectors for Tessera's Q4_1 / Q5_0 / Q5_1 quantizers and dequantizers,
from an independent implementation: the `gguf` Python package's
`gguf.quants.quantize` and `gguf.quants.dequantize`.

Writes tests/data/quant/q4_1_q5.json (or the path given as the only argument).
For each of Q4_1, Q5_0 and Q5_1:

- `dequantize`: 8 blocks (hex) and the f32 values gguf-py dequantizes them to
  (hex of the little-endian f32 bits, so the comparison is bit-exact). Blocks
  0-3 are gguf-py's quantization of seeded random values at scales 1, 1e-3,
  100 and 1 (block 3 all negative); then hand-edited edge cases: block 4 with
  `d` = 0, block 5 with `d` negated, block 6 with a subnormal `d` (and, for
  the formats with a min, a subnormal negative `m`), block 7 seeded random
  quant bytes (every nibble and high bit pattern) with ordinary scale fields.
- `quantize`: 8 blocks of f32 inputs (hex of the little-endian bits) and the
  bytes gguf-py quantizes them to: random values at scales 1, 1e-3, 100,
  all zero, constant, a tie between -2 and 2 for the largest magnitude, all
  negative, and a ramp.

Read by runtime/src/quant/cpu_q5_tests.rs.

How to run (from the repository root; PyPI only):

    python3 -m venv /tmp/kq && /tmp/kq/bin/pip install gguf==0.19.0 numpy
    /tmp/kq/bin/python scripts/make_q4_1_q5_vectors.py

Committed file made with gguf 0.19.0 and numpy 2.4.6 (Python 3.11), seed 20250102.
"""

import json
import sys

import numpy as np
from gguf import GGMLQuantizationType
from gguf.quants import dequantize, quantize

SEED = 20250102

# (type, bytes per block, has a min `m` after `d`)
FORMATS = {
    "q4_1": (GGMLQuantizationType.Q4_1, 20, True),
    "q5_0": (GGMLQuantizationType.Q5_0, 22, False),
    "q5_1": (GGMLQuantizationType.Q5_1, 24, True),
}


def f16_bytes(v: float) -> np.ndarray:
    return np.frombuffer(np.float16(v).tobytes(), dtype=np.uint8)


def quantize_inputs(rng: np.random.Generator) -> np.ndarray:
    """8 blocks of 32 f32 inputs for the quantizer comparison."""
    x = np.zeros((8, 32), dtype=np.float32)
    x[0] = rng.uniform(-1, 1, 32)
    x[1] = rng.uniform(-1e-3, 1e-3, 32)
    x[2] = rng.uniform(-100, 100, 32)
    # x[3]: all zero.
    x[4] = 0.37
    x[5] = rng.uniform(-1, 1, 32)
    x[5, 7], x[5, 20] = -2.0, 2.0
    x[6] = -rng.uniform(0.1, 3, 32)
    x[7] = np.linspace(-1.5, 0.75, 32)
    return x.astype(np.float32)


def dequantize_blocks(rng: np.random.Generator, qtype, size: int, has_min: bool) -> np.ndarray:
    """8 blocks: gguf-py's quantization of random values, then edge cases."""
    x = np.zeros((4, 32), dtype=np.float32)
    x[0] = rng.uniform(-1, 1, 32)
    x[1] = rng.uniform(-1e-3, 1e-3, 32)
    x[2] = rng.uniform(-100, 100, 32)
    x[3] = -rng.uniform(0.5, 2, 32)
    q = quantize(x, qtype).reshape(4, size)
    blocks = np.concatenate([q, q[:4].copy()], axis=0)
    # Block 4: d = 0 (everything dequantizes to m, or 0).
    blocks[4, 0:2] = f16_bytes(0.0)
    # Block 5: d negated.
    d5 = np.frombuffer(blocks[5, 0:2].tobytes(), dtype=np.float16)[0]
    blocks[5, 0:2] = f16_bytes(-float(d5))
    # Block 6: subnormal d (and a subnormal negative m).
    blocks[6, 0:2] = f16_bytes(3.0e-6)
    if has_min:
        blocks[6, 2:4] = f16_bytes(-2.0e-6)
    # Block 7: random quant bytes (qh and qs), ordinary scale fields.
    head = 4 if has_min else 2
    blocks[7, head:] = rng.integers(0, 256, size=size - head, dtype=np.uint8)
    blocks[7, 0:2] = f16_bytes(0.0123)
    if has_min:
        blocks[7, 2:4] = f16_bytes(-0.0371)
    return blocks.reshape(-1)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/quant/q4_1_q5.json"
    rng = np.random.default_rng(SEED)
    doc = {
        "source": "gguf-py gguf.quants.quantize / dequantize (scripts/make_q4_1_q5_vectors.py)",
        "seed": SEED,
    }
    for name, (qtype, size, has_min) in FORMATS.items():
        data = dequantize_blocks(rng, qtype, size, has_min)
        values = dequantize(data, qtype).astype(np.float32).reshape(-1)
        assert values.size == 32 * 8 and np.all(np.isfinite(values))
        x = quantize_inputs(rng)
        qbytes = quantize(x, qtype).reshape(-1)
        assert qbytes.size == 8 * size
        doc[name] = {
            "dequantize": {
                "bytes": data.tobytes().hex(),
                "values_f32_le": values.astype("<f4").tobytes().hex(),
            },
            "quantize": {
                "values_f32_le": x.astype("<f4").tobytes().hex(),
                "bytes": qbytes.tobytes().hex(),
            },
        }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
