#!/usr/bin/env python3
"""Writes ONNX's own backend node tests to a cache folder, one folder per case:

    DIR/<case>/model.onnx
    DIR/<case>/test_data_set_<k>/input_<i>.pb, output_<i>.pb   (TensorProto)
    DIR/<case>/meta.json   {"rtol", "atol", "skip": reason or null}
    DIR/VERSION            the onnx version; a folder with the same VERSION is kept

Cases whose inputs or outputs are not plain tensors (sequences, optionals,
maps) are written with only meta.json and a "skip" reason.
Usage: onnx-node-tests.py DIR   (needs `pip install onnx numpy`)
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else ".cache/onnx-node"
    stamp = os.path.join(out, "VERSION")
    if os.path.exists(stamp) and open(stamp).read().strip() == onnx.__version__:
        print(f"{out}: node tests of onnx {onnx.__version__} already written")
        return
    os.makedirs(out, exist_ok=True)
    cases = collect_testcases()
    written = 0
    for case in cases:
        folder = os.path.join(out, case.name)
        os.makedirs(folder, exist_ok=True)
        meta = {"rtol": case.rtol, "atol": case.atol, "skip": None}
        try:
            sets = []
            for inputs, outputs in case.data_sets or []:
                sets.append(
                    ([numpy_helper.from_array(np.asarray(v)) for v in inputs],
                     [numpy_helper.from_array(np.asarray(v)) for v in outputs])
                )
            if any(x.dtype == object for ins, outs in case.data_sets or [] for x in map(np.asarray, list(ins) + list(outs))):
                raise ValueError("object (string or sequence) data")
        except Exception as e:  # sequences, optionals, maps, strings
            meta["skip"] = f"not plain tensors: {type(e).__name__}"
            sets = []
        if meta["skip"] is None:
            onnx.save(case.model, os.path.join(folder, "model.onnx"))
            for k, (ins, outs) in enumerate(sets):
                ds = os.path.join(folder, f"test_data_set_{k}")
                os.makedirs(ds, exist_ok=True)
                for i, t in enumerate(ins):
                    with open(os.path.join(ds, f"input_{i}.pb"), "wb") as f:
                        f.write(t.SerializeToString())
                for i, t in enumerate(outs):
                    with open(os.path.join(ds, f"output_{i}.pb"), "wb") as f:
                        f.write(t.SerializeToString())
            written += 1
        with open(os.path.join(folder, "meta.json"), "w") as f:
            json.dump(meta, f)
    with open(stamp, "w") as f:
        f.write(onnx.__version__ + "\n")
    print(f"{out}: wrote {written} of {len(cases)} node tests of onnx {onnx.__version__}")


if __name__ == "__main__":
    main()
