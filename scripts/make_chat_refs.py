#!/usr/bin/env python3
"""Reference renderings of real chat templates for Tessera's chat tests (#15).

Reads the templates in tests/data/chat/templates/*.jinja (written out from the
models' tokenizer_config.json: Llama 3 / 3.1, Qwen2.5, Qwen3, SmolLM2,
Mistral v0.3, TinyLlama-Zephyr, Phi-3, Gemma 2 / 3), renders each over a set
of conversations with transformers' `apply_chat_template(tokenize=False)`
(a PreTrainedTokenizerFast carrying the model's named special tokens), with
`add_generation_prompt` both ways and a few keyword arguments
(`enable_thinking`, `date_string`, `tools`), and writes
tests/data/chat/template_refs.json: every expected string, or the template's
error message where it raises. Also Python's strftime on fixed UTC times,
for `strftime_now`.

    /work/venv-torch/bin/python scripts/make_chat_refs.py
"""

import json
from datetime import datetime, timezone
from pathlib import Path

import jinja2
import transformers
from transformers import PreTrainedTokenizerFast

ROOT = Path(__file__).resolve().parent.parent
CHAT = ROOT / "tests" / "data" / "chat"
TOKENIZER = ROOT / "tests" / "data" / "decoders" / "tiny-llama" / "tokenizer.json"

SPECIAL = {
    "llama3": dict(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>"),
    "llama3.1": dict(bos_token="<|begin_of_text|>", eos_token="<|eot_id|>"),
    "qwen2.5": dict(eos_token="<|im_end|>", pad_token="<|endoftext|>"),
    "qwen3": dict(eos_token="<|im_end|>", pad_token="<|endoftext|>"),
    "smollm2": dict(bos_token="<|im_start|>", eos_token="<|im_end|>", unk_token="<|endoftext|>", pad_token="<|im_end|>"),
    "mistral-v0.3": dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>"),
    "tinyllama-zephyr": dict(bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="</s>"),
    "phi3": dict(bos_token="<s>", eos_token="<|endoftext|>", unk_token="<unk>", pad_token="<|endoftext|>"),
    "gemma2": dict(bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", pad_token="<pad>"),
    "gemma3": dict(bos_token="<bos>", eos_token="<eos>", unk_token="<unk>", pad_token="<pad>"),
}

CONVERSATIONS = {
    "user": [{"role": "user", "content": "Hello!"}],
    "system_user": [
        {"role": "system", "content": "You are a terse assistant."},
        {"role": "user", "content": "What is 2+2?"},
    ],
    "multi_turn": [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello! How can I help?"},
        {"role": "user", "content": "Tell me a joke."},
    ],
    "system_multi_turn": [
        {"role": "system", "content": "Answer in French."},
        {"role": "user", "content": "Good morning"},
        {"role": "assistant", "content": "Bonjour"},
        {"role": "user", "content": "Thank you"},
        {"role": "assistant", "content": "Merci"},
        {"role": "user", "content": "Bye"},
    ],
    "unicode_whitespace": [
        {"role": "user", "content": "  Ünïcödé ✓ — 日本語 🦀 \"quotes\" {braces} \\ back\n  "},
        {"role": "assistant", "content": "\n spaced answer \t\n"},
        {"role": "user", "content": "<tag> & 'single'"},
    ],
    "thinking": [
        {"role": "user", "content": "What is 3*7?"},
        {"role": "assistant", "content": "<think>\nThree sevens.\n</think>\n\n21"},
        {"role": "user", "content": "And 3*8?"},
    ],
    "ends_with_assistant": [
        {"role": "user", "content": "Say yes."},
        {"role": "assistant", "content": "Yes."},
    ],
}

# Keys in sorted order at every level: Tessera passes JSON objects to the
# template with sorted keys (serde_json without preserve_order).
WEATHER_TOOL = {
    "function": {
        "description": "Get the weather in a city.",
        "name": "get_weather",
        "parameters": {
            "properties": {"city": {"description": "The city.", "type": "string"}},
            "required": ["city"],
            "type": "object",
        },
    },
    "type": "function",
}

EXTRA = [
    ("qwen3", "thinking", {"enable_thinking": False}),
    ("qwen3", "user", {"enable_thinking": False}),
    ("qwen3", "user", {"enable_thinking": True}),
    ("llama3.1", "system_user", {"date_string": "01 Jan 2025"}),
    ("llama3.1", "user", {"tools": [WEATHER_TOOL]}),
    ("qwen2.5", "system_user", {"tools": [WEATHER_TOOL]}),
    ("qwen3", "user", {"tools": [WEATHER_TOOL]}),
    ("mistral-v0.3", "multi_turn", {"tools": [WEATHER_TOOL]}),
]

STRFTIME = [
    ("%d %b %Y", 1722000309),
    ("%Y-%m-%d %H:%M:%S", 1722000309),
    ("%A %B %d, %Y %I:%M %p", 951782400),
    ("%a %j %y %-d %-m %%", 1704067199),
    ("%d %b %Y", 0),
]


def render(tok, conversation, add_generation_prompt, variables):
    try:
        text = tok.apply_chat_template(
            conversation, tokenize=False, add_generation_prompt=add_generation_prompt, **variables
        )
        return {"expected": text}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def main() -> None:
    cases = []
    for path in sorted((CHAT / "templates").glob("*.jinja")):
        name = path.stem
        source = path.read_text()
        tok = PreTrainedTokenizerFast(tokenizer_file=str(TOKENIZER), **SPECIAL[name])
        tok.chat_template = source
        runs = [(c, {}) for c in CONVERSATIONS] + [(c, v) for (t, c, v) in EXTRA if t == name]
        for conversation, variables in runs:
            for add in (True, False):
                case = {
                    "template": name,
                    "conversation": conversation,
                    "add_generation_prompt": add,
                    "variables": variables,
                }
                case.update(render(tok, CONVERSATIONS[conversation], add, variables))
                cases.append(case)
    strftime = [
        {"format": f, "unix": t, "expected": datetime.fromtimestamp(t, timezone.utc).strftime(f)}
        for f, t in STRFTIME
    ]
    out = {
        "made_by": "scripts/make_chat_refs.py",
        "versions": {"transformers": transformers.__version__, "jinja2": jinja2.__version__},
        "special_tokens": SPECIAL,
        "conversations": CONVERSATIONS,
        "cases": cases,
        "strftime": strftime,
    }
    (CHAT / "template_refs.json").write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n")
    errors = sum("error" in c for c in cases)
    print(f"{len(cases)} cases ({errors} raise) from {len(SPECIAL)} templates; {len(strftime)} strftime")


if __name__ == "__main__":
    main()
