#!/usr/bin/env python3
"""A tiny chat model for Tessera's end-to-end chat tests (#15).

Writes tests/data/chat/tiny-chat/, made from tests/data/decoders/tiny-llama/:

    tokenizer.json         tiny-llama's, with the unused byte tokens of 0x00
                           and 0x01 renamed <|im_start|> / <|im_end|> and made
                           special added tokens (same ids, same vocab size)
    tokenizer_config.json  a ChatML template that writes {{ bos_token }} first;
                           bos_token as a {"content": ...} object, eos_token a string
    generation_config.json eos_token_id [<|eos|>, <|im_end|>]
    config.json, model.safetensors
                           tiny-llama with lm_head's <|im_end|> row replaced by
                           a scaled copy of another token's row, so greedy
                           decoding ends its turns with <|im_end|>
    model-f32.gguf         the same, with tokenizer.chat_template and
                           tokenizer.ggml.eot_token_id = <|im_end|>
    reference.json         transformers' apply_chat_template(tokenize=True) ids
                           and greedy generate() (eos_token_id = both stop ids)
                           for `generate --chat` and a two-turn `chat`

    /work/venv-torch/bin/python scripts/make_tiny_chat.py
"""

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_tiny_decoders as mtd  # noqa: E402

SRC = ROOT / "tests" / "data" / "decoders" / "tiny-llama"
OUT = ROOT / "tests" / "data" / "chat" / "tiny-chat"
TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|im_start|>{{ message['role'] }}\n"
    "{{ message['content'] | trim }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SYSTEM = "You tell stories about the village."
PROMPT = "Where does the fox go at night?"
TURNS = ["Where does the fox go at night?", "And the old dog?"]
MAX_NEW = 16


def chat_tokenizer():
    tj = json.loads((SRC / "tokenizer.json").read_text())
    vocab = tj["model"]["vocab"]
    ids = {}
    for byte_char, name in (("\u0100", "<|im_start|>"), ("\u0101", "<|im_end|>")):
        i = vocab.pop(byte_char)
        assert not any(byte_char in (m if isinstance(m, str) else " ".join(m)) for m in tj["model"]["merges"])
        vocab[name] = i
        ids[name] = i
        tj["added_tokens"].append(
            {"id": i, "content": name, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
        )
    tj["added_tokens"].sort(key=lambda t: t["id"])
    return tj, ids


def hf_tokenizer(path: Path):
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast(tokenizer_file=str(path), bos_token="<|bos|>", eos_token="<|eos|>")
    tok.chat_template = TEMPLATE
    return tok


def chat_ids(tok, messages):
    out = tok.apply_chat_template(messages, tokenize=True, add_generation_prompt=True)
    if hasattr(out, "keys"):
        out = out["input_ids"]
    return [int(i) for i in out]


def greedy(model, ids, stop_ids):
    with torch.no_grad():
        out = model.generate(
            torch.tensor([ids]), max_new_tokens=MAX_NEW, do_sample=False, eos_token_id=stop_ids,
            pad_token_id=mtd.EOS_ID,
        )
    return [int(i) for i in out[0][len(ids):]]


def run_all(model, tok, first, stop_ids):
    ref = {"system": SYSTEM, "prompt": PROMPT, "prompt_ids": first, "stop_ids": stop_ids}
    ref["ids"] = greedy(model, first, stop_ids)
    ref["text"] = tok.decode(ref["ids"], skip_special_tokens=True)
    history, turns = [], []
    for user in TURNS:
        history.append({"role": "user", "content": user})
        prompt_ids = chat_ids(tok, history)
        out = greedy(model, prompt_ids, stop_ids)
        text = tok.decode(out, skip_special_tokens=True)
        turns.append({"user": user, "prompt_ids": prompt_ids, "ids": out, "text": text})
        history.append({"role": "assistant", "content": text})
    ref["chat"] = turns
    return ref


def main() -> None:
    from transformers import LlamaForCausalLM

    torch.set_num_threads(1)
    OUT.mkdir(parents=True, exist_ok=True)
    tj, ids = chat_tokenizer()
    im_end = ids["<|im_end|>"]
    (OUT / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False, indent=2) + "\n")
    tok = hf_tokenizer(OUT / "tokenizer.json")
    stop_ids = [mtd.EOS_ID, im_end]

    model = LlamaForCausalLM.from_pretrained(SRC, attn_implementation="eager").eval()
    first = chat_ids(tok, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}])
    plain = greedy(model, first, [mtd.EOS_ID])
    original_row = model.lm_head.weight[im_end].detach().clone()
    # The <|im_end|> row becomes a scaled copy of the row of a token greedy
    # decoding picks, so that it wins where that token would have: the first
    # (step, scale) with which every turn below ends on <|im_end|>.
    for step, scale in [(s, c) for s in (4, 3, 5, 2, 6, 7) for c in (1.25, 1.5, 1.1, 2.0)]:
        with torch.no_grad():
            model.lm_head.weight[im_end] = model.lm_head.weight[plain[step]] * scale
        ref = run_all(model, tok, first, stop_ids)
        if all(r["ids"][-1] == im_end and len(r["ids"]) > 1 for r in [ref] + ref["chat"]):
            ref["im_end_row"] = {"copied_from_id": plain[step], "scale": scale}
            break
        with torch.no_grad():
            model.lm_head.weight[im_end] = original_row
    else:
        raise SystemExit("no (step, scale) ends every turn on <|im_end|>")

    model.save_pretrained(OUT, safe_serialization=True)
    for extra in ("generation_config.json",):
        (OUT / extra).unlink(missing_ok=True)
    (OUT / "generation_config.json").write_text(
        json.dumps({"bos_token_id": mtd.BOS_ID, "eos_token_id": stop_ids}, indent=2) + "\n"
    )
    (OUT / "tokenizer_config.json").write_text(json.dumps({
        "chat_template": TEMPLATE,
        "bos_token": {"content": "<|bos|>", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "eos_token": "<|eos|>",
        "tokenizer_class": "PreTrainedTokenizerFast",
    }, indent=2) + "\n")

    import gguf

    class ChatWriter(gguf.GGUFWriter):
        def write_header_to_file(self, *a, **k):
            self.add_chat_template(TEMPLATE)
            self.add_eot_token_id(im_end)
            super().write_header_to_file(*a, **k)

    spec = mtd.SPECS["tiny-llama"]
    sd = mtd.hf_state(model)
    original = gguf.GGUFWriter
    gguf.GGUFWriter = ChatWriter
    try:
        mtd.write_gguf(OUT / "model-f32.gguf", "tiny-chat", spec, model.config,
                       mtd.tokenizer_gguf_fields(tj), mtd.gguf_tensors("llama", sd, "f32"), "f32")
    finally:
        gguf.GGUFWriter = original
    (OUT / "reference.json").write_text(json.dumps(ref, indent=1, ensure_ascii=False) + "\n")
    print(f"prompt {len(first)} ids; generate --chat: {len(ref['ids'])} ids ending <|im_end|>={im_end}; "
          f"chat turns: {[len(t['ids']) for t in ref['chat']]}; {ref['im_end_row']}")


if __name__ == "__main__":
    main()
