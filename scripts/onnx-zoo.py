#!/usr/bin/env python3
"""Writes the `onnx` wheel's light model zoo (onnx/backend/test/data/light:
AlexNet, DenseNet-121, Inception v1/v2, ResNet-50, ShuffleNet, SqueezeNet,
VGG-19, ZFNet-512; weights made by ConstantOfShape nodes) to a cache folder
for tests/onnx_zoo.rs, one folder per model:

    DIR/<model>/model.onnx     the model; when it ends in Softmax, the
                               Softmax's input is added as a second output
                               ("logits", which the softmax of constant
                               weights flattens to 1/1000 everywhere)
    DIR/<model>/input_0.pb     the input onnx's test runner feeds it:
                               arange(n) / n in the input's shape
                               (generate_dummy_data(random=False))
    DIR/<model>/output_0.pb    the wheel's expected output
    DIR/VERSION                the onnx version; a folder with the same VERSION is kept

With --logits FILE it also writes onnxruntime's logits of each model to FILE
(JSON; tests/data/onnx/light_logits.json is made so, needs onnxruntime).
Usage: onnx-zoo.py DIR [--logits FILE]   (needs `pip install onnx numpy`)
"""
import glob
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper

LIGHT = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


def dummy_input(model):
    """The one non-initializer input, as the test runner generates it."""
    inits = {i.name for i in model.graph.initializer}
    (x,) = [i for i in model.graph.input if i.name not in inits]
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in x.type.tensor_type.shape.dim)
    n = int(np.prod(shape))
    return x.name, (np.arange(n).reshape(shape) / n).astype(np.float32)


def with_logits(model):
    """The model, with the final Softmax's input added as output "logits"."""
    last = model.graph.node[-1]
    if last.op_type != "Softmax":
        return model, None
    name = last.input[0]
    model.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    return model, name


def main() -> None:
    args = sys.argv[1:]
    logits_file = None
    if "--logits" in args:
        i = args.index("--logits")
        logits_file = args[i + 1]
        del args[i : i + 2]
    out = args[0] if args else ".cache/onnx-node/light"
    stamp = os.path.join(out, "VERSION")
    if logits_file is None and os.path.exists(stamp) and open(stamp).read().strip() == onnx.__version__:
        print(f"{out}: light models of onnx {onnx.__version__} already written")
        return
    os.makedirs(out, exist_ok=True)
    logits = {}
    for path in sorted(glob.glob(os.path.join(LIGHT, "light_*.onnx"))):
        stem = os.path.basename(path)[len("light_") : -len(".onnx")]
        folder = os.path.join(out, stem)
        os.makedirs(folder, exist_ok=True)
        model, logits_name = with_logits(onnx.load(path))
        onnx.save(model, os.path.join(folder, "model.onnx"))
        name, x = dummy_input(model)
        with open(os.path.join(folder, "input_0.pb"), "wb") as f:
            f.write(numpy_helper.from_array(x, name).SerializeToString())
        shutil.copy(path[: -len(".onnx")] + "_output_0.pb", os.path.join(folder, "output_0.pb"))
        if logits_file and logits_name:
            import onnxruntime as ort

            sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
            value = sess.run([logits_name], {name: x})[0]
            entry = {"tensor": logits_name, "shape": list(value.shape)}
            flat = value.ravel()
            if np.all(flat == flat[0]):
                entry["fill"] = float(f"{flat[0]:.9g}")
            else:
                entry["data"] = [float(f"{v:.9g}") for v in flat]
            logits[stem] = entry
            print(stem, logits_name, value.shape, float(flat.min()), float(flat.max()))
    with open(stamp, "w") as f:
        f.write(onnx.__version__ + "\n")
    if logits_file:
        with open(logits_file, "w") as f:
            json.dump(logits, f, indent=1, sort_keys=True)
            f.write("\n")
    print(f"{out}: light models written")


if __name__ == "__main__":
    main()
