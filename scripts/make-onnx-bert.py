#!/usr/bin/env python3
"""Exports a BERT encoder to ONNX with torch.onnx (dynamic batch and
sequence axes) and writes onnxruntime's outputs beside it, for the tests.

    make-onnx-bert.py                 a tiny random-weight BertModel (seeded):
                                      tests/data/onnx/tiny_bert.onnx + tiny_bert.json
    make-onnx-bert.py --minilm DIR OUT.onnx
                                      all-MiniLM-L6-v2 from DIR (not committed):
                                      OUT.onnx + OUT.json (onnxruntime's hidden states)

Inputs: input_ids, attention_mask (int64, [batch, sequence]); output:
last_hidden_state. Needs torch, transformers, onnx, onnxruntime (/work/venv-torch);
CI never runs it.
"""
import argparse
import json
import os

import numpy as np
import onnxruntime as ort
import torch
from transformers import BertConfig, BertModel


class Encoder(torch.nn.Module):
    """BertModel's last hidden state from ids and mask."""

    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state


def export(bert, path, opset=17):
    model = Encoder(bert).eval()
    ids = torch.ones((2, 5), dtype=torch.int64)
    mask = torch.ones((2, 5), dtype=torch.int64)
    torch.onnx.export(
        model,
        (ids, mask),
        path,
        input_names=["input_ids", "attention_mask"],
        output_names=["last_hidden_state"],
        dynamic_axes={
            "input_ids": {0: "batch", 1: "sequence"},
            "attention_mask": {0: "batch", 1: "sequence"},
            "last_hidden_state": {0: "batch", 1: "sequence"},
        },
        opset_version=opset,
        dynamo=False,
    )


def cases(vocab, shapes, seed):
    rng = np.random.default_rng(seed)
    out = []
    for batch, seq in shapes:
        ids = rng.integers(1, vocab, size=(batch, seq), dtype=np.int64)
        mask = np.ones((batch, seq), dtype=np.int64)
        # Padding at the end of every row but the first.
        for b in range(1, batch):
            mask[b, seq - 1 - b % seq:] = 0
        out.append((ids, mask))
    return out


def reference(path, inputs, torch_model):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    result = []
    for ids, mask in inputs:
        (hidden,) = sess.run(None, {"input_ids": ids, "attention_mask": mask})
        with torch.no_grad():
            want = torch_model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).last_hidden_state.numpy()
        err = float(np.abs(hidden - want).max())
        print(f"{path}: {list(ids.shape)}: onnxruntime vs torch max |diff| {err:.2e}")
        result.append({
            "input_ids": {"shape": list(ids.shape), "data": ids.ravel().tolist()},
            "attention_mask": {"shape": list(mask.shape), "data": mask.ravel().tolist()},
            "last_hidden_state": {"shape": list(hidden.shape), "data": hidden.ravel().astype(float).tolist()},
        })
    return {"onnxruntime": ort.__version__, "torch": torch.__version__, "cases": result}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--minilm", nargs=2, metavar=("DIR", "OUT"))
    args = p.parse_args()
    torch.manual_seed(7)
    if args.minilm:
        src, path = args.minilm
        bert = BertModel.from_pretrained(src, attn_implementation="eager").eval()
        shapes, vocab = [(2, 9), (1, 16)], bert.config.vocab_size
    else:
        config = BertConfig(vocab_size=96, hidden_size=32, num_hidden_layers=2,
                            num_attention_heads=4, intermediate_size=64,
                            max_position_embeddings=64, attn_implementation="eager")
        bert = BertModel(config, add_pooling_layer=False).eval()
        path = "tests/data/onnx/tiny_bert.onnx"
        shapes, vocab = [(2, 7), (3, 12)], config.vocab_size
    export(bert, path)
    ref = reference(path, cases(vocab, shapes, seed=11), bert)
    with open(os.path.splitext(path)[0] + ".json", "w") as f:
        json.dump(ref, f)
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
