#!/usr/bin/env python3
"""Builds tests/data/onnx/tiny_convnet.onnx, a small convolutional network with
the `onnx` helper API (random weights): every chain the loader fuses into one
conv dispatch (Conv -> BatchNormalization -> Relu; Conv with bias -> Mul and
Add by per-channel constants -> LeakyRelu; Conv -> Clip; depthwise Conv ->
HardSwish; Conv -> HardSigmoid; Conv -> Sigmoid) between pools, a
ConvTranspose, an LRN and a global pool, and writes onnxruntime's output for a
random input to tiny_convnet.json.
Usage: /work/venv-torch/bin/python scripts/make-onnx-convnet.py   (pip install onnx onnxruntime)
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(29)
inits = []


def init(name, shape, lo=-0.5, hi=0.5):
    inits.append(numpy_helper.from_array(rng.uniform(lo, hi, shape).astype(np.float32), name))
    return name


nodes = [
    # 3 -> 8 channels, 5x5 stride 2, SAME_UPPER; BN; Relu.
    helper.make_node("Conv", ["x", init("w1", (8, 3, 5, 5))], ["c1"], strides=[2, 2], auto_pad="SAME_UPPER"),
    helper.make_node("BatchNormalization", ["c1", init("g1", (8,), 0.5, 1.5), init("be1", (8,)),
                                            init("m1", (8,)), init("v1", (8,), 0.2, 1.0)], ["n1"], epsilon=1e-3),
    helper.make_node("Relu", ["n1"], ["r1"]),
    helper.make_node("MaxPool", ["r1"], ["p1"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
    # 8 -> 12, groups 2, bias, dilation 2; Mul/Add per channel; LeakyRelu.
    helper.make_node("Conv", ["p1", init("w2", (12, 4, 3, 3)), init("b2", (12,))], ["c2"],
                     group=2, dilations=[2, 2], pads=[2, 1, 2, 3]),
    helper.make_node("Mul", ["c2", init("s2", (12, 1, 1), 0.5, 1.5)], ["m2"]),
    helper.make_node("Add", ["m2", init("t2", (1, 12, 1, 1))], ["a2"]),
    helper.make_node("LeakyRelu", ["a2"], ["r2"], alpha=0.2),
    # Depthwise 3x3, then HardSwish.
    helper.make_node("Conv", ["r2", init("w3", (12, 1, 3, 3)), init("b3", (12,))], ["c3"], group=12, pads=[1, 1, 1, 1]),
    helper.make_node("HardSwish", ["c3"], ["r3"]),
    helper.make_node("LRN", ["r3"], ["l3"], size=3, alpha=0.01, beta=0.6, bias=1.5),
    # 1x1 conv to 6 channels with Clip (min/max inputs).
    helper.make_node("Conv", ["l3", init("w4", (6, 12, 1, 1))], ["c4"]),
    helper.make_node("Clip", ["c4", "lo", "hi"], ["r4"]),
    helper.make_node("ConvTranspose", ["r4", init("w5", (6, 4, 3, 3)), init("b5", (4,))], ["u5"],
                     strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    helper.make_node("AveragePool", ["u5"], ["p5"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                     count_include_pad=1),
    helper.make_node("Conv", ["p5", init("w6", (5, 4, 3, 3))], ["c6"], auto_pad="SAME_LOWER"),
    helper.make_node("HardSigmoid", ["c6"], ["r6"], alpha=0.3, beta=0.4),
    helper.make_node("Conv", ["r6", init("w7", (7, 5, 2, 2))], ["c7"], auto_pad="VALID"),
    helper.make_node("Sigmoid", ["c7"], ["r7"]),
    helper.make_node("GlobalAveragePool", ["r7"], ["y"]),
]
inits += [
    numpy_helper.from_array(np.array(-0.4, dtype=np.float32), "lo"),
    numpy_helper.from_array(np.array(0.6, dtype=np.float32), "hi"),
]
graph = helper.make_graph(
    nodes, "tiny_convnet",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3, 37, 29])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", "cy", "hy", "wy"]),
     helper.make_tensor_value_info("c6", TensorProto.FLOAT, ["n", "c6", "h6", "w6"])],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
model.ir_version = 8
onnx.checker.check_model(model)
out = os.path.join(os.path.dirname(__file__), "..", "tests", "data", "onnx")
onnx.save(model, os.path.join(out, "tiny_convnet.onnx"))
x = rng.uniform(-1, 1, (2, 3, 37, 29)).astype(np.float32)
sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
y, c6 = sess.run(None, {"x": x})


def tensor(a):
    # 9 significant digits: every f32 round-trips.
    return {"shape": list(a.shape), "data": [float(f"{v:.9g}") for v in a.ravel()]}


ref = {"x": tensor(x), "y": tensor(y), "c6": tensor(c6)}
with open(os.path.join(out, "tiny_convnet.json"), "w") as f:
    json.dump(ref, f)
print("y", y.shape, "c6", c6.shape)
