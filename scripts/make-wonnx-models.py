#!/usr/bin/env python3
"""Rewrites a model of the onnx wheel's light zoo into a form wonnx 0.5.1 runs,
for the alternated Tessera/wonnx comparison in BENCHMARKS.md (run on demand,
never in CI). The computation is unchanged; only its spelling:

- ConstantOfShape nodes fed by initializers (how the light zoo stores its
  weights) become initializers (wonnx: "op ConstantOfShape is not implemented");
- Dropout keeps only its first output (wonnx refuses the mask output);
- Sum of two inputs becomes Add (wonnx has no Sum);
- Gemm with transB=1 gets its weight stored transposed and transB=0 (wonnx
  0.5.1 refuses the transposed weight's shape);
- initializers left unused are dropped, IR version 4 (initializers need not be
  graph inputs), shapes inferred with onnx.shape_inference.

Checked with onnxruntime: the rewritten model's output equals the original's
on the zoo's stored input (printed).

    python scripts/make-wonnx-models.py .cache/onnx-node/light/squeezenet OUT.onnx
"""
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper


def read_pb(path):
    tensor = onnx.TensorProto()
    tensor.ParseFromString(Path(path).read_bytes())
    return numpy_helper.to_array(tensor)


def rewrite(model):
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type == "ConstantOfShape" and node.input[0] in inits:
            shape = numpy_helper.to_array(inits[node.input[0]]).astype(np.int64)
            value = np.zeros(1, np.float32)
            for attr in node.attribute:
                if attr.name == "value":
                    value = numpy_helper.to_array(attr.t)
            filled = np.full(shape, value.ravel()[0], dtype=value.dtype)
            graph.initializer.append(numpy_helper.from_array(filled, node.output[0]))
            continue
        if node.op_type == "Dropout":
            del node.output[1:]
        if node.op_type == "Sum":
            if len(node.input) != 2:
                raise SystemExit(f"Sum with {len(node.input)} inputs: only 2 rewrite to Add")
            node.op_type = "Add"
        if node.op_type == "Gemm":
            for attr in node.attribute:
                if attr.name == "transB" and attr.i == 1:
                    weight = next(i for i in graph.initializer if i.name == node.input[1])
                    array = numpy_helper.to_array(weight)
                    weight.CopyFrom(numpy_helper.from_array(array.T.copy(), weight.name))
                    attr.i = 0
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    init_names = {i.name for i in kept}
    inputs = [i for i in graph.input if i.name not in init_names and i.name in used]
    del graph.input[:]
    graph.input.extend(inputs)
    del graph.value_info[:]
    model.ir_version = 4
    return onnx.shape_inference.infer_shapes(model)


def main():
    folder, out = Path(sys.argv[1]), Path(sys.argv[2])
    original = onnx.load(folder / "model.onnx")
    rewritten = rewrite(onnx.load(folder / "model.onnx"))
    onnx.checker.check_model(rewritten)
    onnx.save(rewritten, out)
    x = read_pb(folder / "input_0.pb")
    before = ort.InferenceSession(original.SerializeToString())
    after = ort.InferenceSession(str(out))
    feed = lambda s: {s.get_inputs()[0].name: x}
    a, b = before.run(None, feed(before))[0], after.run(None, feed(after))[0]
    print(f"{out}: inputs {[i.name for i in after.get_inputs()]}, "
          f"max |rewritten - original| = {float(np.abs(a - b).max()):.3g}")
    np.save(out.with_suffix(".input.npy"), x)


if __name__ == "__main__":
    main()
