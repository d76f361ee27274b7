#!/usr/bin/env python3
"""Writes the inputs of the ONNX benchmarks in BENCHMARKS.md (CI never runs
it; needs onnx and numpy, e.g. /work/venv-torch):

    make-onnx-bench-inputs.py resnet MODEL.onnx OUT_DIR --batch 8
        OUT_DIR/model.onnx: MODEL with a symbolic batch dim on its input and
        output and the Reshape before its classifier made batch-agnostic
        ([1, -1] -> [-1, C]); OUT_DIR/input.npy: seeded normal values of
        [batch, ...] in the input's declared shape.
    make-onnx-bench-inputs.py bert OUT_DIR --batch 8 --seq 128
        OUT_DIR/input_ids.npy, OUT_DIR/attention_mask.npy (int64): seeded
        token ids in [1000, 30000), the last quarter of the second row masked.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import numpy_helper


def resnet(args):
    model = onnx.load(args.model)
    graph = model.graph
    for value in list(graph.input) + list(graph.output):
        dims = value.type.tensor_type.shape.dim
        if dims:
            dims[0].ClearField("dim_value")
            dims[0].dim_param = "batch"
    reshape_shapes = {n.input[1] for n in graph.node if n.op_type == "Reshape"}
    for i, init in enumerate(graph.initializer):
        if init.name in reshape_shapes:
            shape = numpy_helper.to_array(init).copy()
            if shape[0] == 1:
                shape[0] = -1
                graph.initializer[i].CopyFrom(numpy_helper.from_array(shape, init.name))
    os.makedirs(args.out, exist_ok=True)
    onnx.save(model, os.path.join(args.out, "model.onnx"))
    dims = [d.dim_value for d in graph.input[0].type.tensor_type.shape.dim[1:]]
    rng = np.random.default_rng(13)
    x = rng.standard_normal([args.batch] + dims).astype(np.float32)
    np.save(os.path.join(args.out, "input.npy"), x)
    print(f"{args.out}: input {graph.input[0].name} {list(x.shape)}")


def bert(args):
    rng = np.random.default_rng(13)
    ids = rng.integers(1000, 30000, size=(args.batch, args.seq), dtype=np.int64)
    mask = np.ones_like(ids)
    if args.batch > 1:
        mask[1, args.seq * 3 // 4 :] = 0
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "input_ids.npy"), ids)
    np.save(os.path.join(args.out, "attention_mask.npy"), mask)
    print(f"{args.out}: input_ids, attention_mask {list(ids.shape)}")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="kind", required=True)
    r = sub.add_parser("resnet")
    r.add_argument("model")
    r.add_argument("out")
    r.add_argument("--batch", type=int, default=8)
    b = sub.add_parser("bert")
    b.add_argument("out")
    b.add_argument("--batch", type=int, default=8)
    b.add_argument("--seq", type=int, default=128)
    args = parser.parse_args()
    resnet(args) if args.kind == "resnet" else bert(args)


if __name__ == "__main__":
    main()
