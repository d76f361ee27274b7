#!/usr/bin/env python3
"""A BF16 GGUF file written by an independent implementation, the `gguf`
Python package, for Tessera's GGUF loader and bf16 codec.

Writes tests/data/quant/bf16.gguf (or the path given as the only argument)
with three tensors of 5 rows x 96 values (GGML dims [96, 5]):

- `x`: the f32 inputs (F32): seeded random values at scales 1, 1e-3 and 1e4,
  then a row of edge cases (halfway ties between two bf16 values, values just
  past a tie, -0.0, f32 subnormals, the largest finite f32 that rounds to a
  finite bf16) and a row of random bit patterns with bit 30 cleared
  (magnitudes below 2, subnormals included, never a carry to infinity);
- `w`: `x` as gguf-py quantizes it to BF16 (type 30);
- `w_f32`: `w` as gguf-py dequantizes it (F32).

Read by tests/ops_quant.rs, which checks that our loader sees type BF16 with
gguf-py's bytes, that our quantizer gives those same bytes, that our
dequantizer and the device's bf16 kernels give `w_f32` bit for bit.

How to run (from the repository root; PyPI only):

    python3 -m venv /work/venv && /work/venv/bin/pip install numpy gguf
    /work/venv/bin/python scripts/make_bf16_gguf.py

Committed file made with gguf 0.19.0 and numpy 2.4.6 (Python 3.11), seed 20260106.
"""

import sys

import numpy as np
from gguf import GGMLQuantizationType, GGUFWriter
from gguf.quants import dequantize, quantize

SEED = 20260106
COLS = 96


def edge_row() -> np.ndarray:
    one = np.float32(1.0)
    ulp = np.float32(2.0**-7)  # bf16 spacing at 1
    values = [
        one + ulp / 2,  # tie: rounds to even (1.0)
        one + 3 * ulp / 2,  # tie: rounds to even (1 + 2^-6)
        one + ulp / 2 + np.float32(2.0**-20),  # past the tie: up
        -(one + ulp / 2),
        np.float32(-0.0),
        np.float32(1e-40),  # f32 subnormal
        np.float32(-3e-39),
        np.float32(3.3e38),
        np.float32(-2.5),
        np.float32(65504.0),
    ]
    row = np.array(values, dtype=np.float32)
    return np.resize(row, COLS).astype(np.float32)


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else "tests/data/quant/bf16.gguf"
    rng = np.random.default_rng(SEED)
    rows = [rng.uniform(-scale, scale, COLS).astype(np.float32) for scale in (1.0, 1e-3, 1e4)]
    rows.append(edge_row())
    # Random bit patterns, bit 30 cleared (finite after rounding).
    bits = rng.integers(0, 2**32, COLS, dtype=np.uint64).astype(np.uint32)
    bits &= np.uint32(0xBF7FFFFF)
    rows.append(bits.view(np.float32))
    x = np.stack(rows).astype(np.float32)
    w = quantize(x, GGMLQuantizationType.BF16)
    w_f32 = dequantize(w, GGMLQuantizationType.BF16).astype(np.float32)

    writer = GGUFWriter(out, "tessera-test")
    writer.add_tensor("x", x)
    # raw_shape is the byte shape: gguf-py derives the GGML dims from it.
    writer.add_tensor("w", w, raw_shape=w.shape, raw_dtype=GGMLQuantizationType.BF16)
    writer.add_tensor("w_f32", w_f32)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    main()
