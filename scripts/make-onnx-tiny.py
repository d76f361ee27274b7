#!/usr/bin/env python3
"""Builds tests/data/onnx/tiny_encoder.onnx, a tiny BERT-like block with the
`onnx` helper API (no torch; dynamic batch and sequence axes, random weights),
and writes onnxruntime's outputs for two input shapes to tiny_encoder.json.
Usage: /work/venv/bin/python scripts/make-onnx-tiny.py   (pip install onnx onnxruntime)
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

D, H = 8, 16
rng = np.random.default_rng(13)


def init(name, *shape):
    return numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)


inits = [
    init("w1", D, H), init("b1", H), init("w2", H, D), init("b2", D),
    init("gamma", D), init("beta", D), init("wq", D, D),
    numpy_helper.from_array(np.array([2, 4], dtype=np.int64), "heads"),
]
nodes = [
    helper.make_node("MatMul", ["x", "w1"], ["h0"]),
    helper.make_node("Add", ["h0", "b1"], ["h1"]),
    helper.make_node("Gelu", ["h1"], ["h2"]),
    helper.make_node("MatMul", ["h2", "w2"], ["h3"]),
    helper.make_node("Add", ["h3", "b2"], ["h4"]),
    helper.make_node("Add", ["h4", "x"], ["res"]),
    helper.make_node("LayerNormalization", ["res", "gamma", "beta"], ["ln"], axis=-1, epsilon=1e-5),
    # Attention-like scores: split D into 2 heads of 4 with a shape computed from Shape.
    helper.make_node("MatMul", ["ln", "wq"], ["q"]),
    helper.make_node("Shape", ["q"], ["qs"]),
    helper.make_node("Slice", ["qs", "zero", "two"], ["bs"]),
    helper.make_node("Concat", ["bs", "heads"], ["qshape"], axis=0),
    helper.make_node("Reshape", ["q", "qshape"], ["q4"]),
    helper.make_node("Transpose", ["q4"], ["qt"], perm=[0, 2, 1, 3]),
    helper.make_node("Transpose", ["q4"], ["kt"], perm=[0, 2, 3, 1]),
    helper.make_node("MatMul", ["qt", "kt"], ["scores"]),
    helper.make_node("Softmax", ["scores"], ["probs"], axis=-1),
    helper.make_node("MatMul", ["probs", "qt"], ["ctx"]),
    helper.make_node("ReduceMean", ["ctx", "one"], ["pooled"], keepdims=0),
    helper.make_node("Sigmoid", ["pooled"], ["gate"]),
]
inits += [
    numpy_helper.from_array(np.array([0], dtype=np.int64), "zero"),
    numpy_helper.from_array(np.array([2], dtype=np.int64), "two"),
    numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
]
graph = helper.make_graph(
    nodes, "tiny_encoder",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "seq", D])],
    [helper.make_tensor_value_info("ln", TensorProto.FLOAT, ["batch", "seq", D]),
     helper.make_tensor_value_info("gate", TensorProto.FLOAT, ["batch", "seq", 4])],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])
model.ir_version = 9
onnx.checker.check_model(model, full_check=True)
out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "onnx")
os.makedirs(out, exist_ok=True)
onnx.save(model, os.path.join(out, "tiny_encoder.onnx"))
session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
cases = []
for shape in [(2, 5, D), (1, 3, D)]:
    x = rng.standard_normal(shape).astype(np.float32)
    ln, gate = session.run(None, {"x": x})
    cases.append({"x": {"shape": list(shape), "data": x.ravel().tolist()},
                  "ln": {"shape": list(ln.shape), "data": ln.ravel().tolist()},
                  "gate": {"shape": list(gate.shape), "data": gate.ravel().tolist()}})
with open(os.path.join(out, "tiny_encoder.json"), "w") as f:
    json.dump({"onnxruntime": ort.__version__, "cases": cases}, f)
print("wrote tiny_encoder.onnx and tiny_encoder.json")
