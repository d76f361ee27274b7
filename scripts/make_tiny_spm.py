#!/usr/bin/env python3
"""A tiny SentencePiece BPE tokenizer and its reference encodings, for the
GGUF-embedded SPM tokenizer test (runtime/src/loaders/gguf_tokenizer_spm_tests.rs).

Trains a BPE model with the real `sentencepiece` library on the text below,
set up the way Llama's tokenizer.model is (no normalization, no whitespace
cleanup, a dummy "▁" prefix, byte fallback, digits split), and writes
tests/data/tokenizers/tiny-spm.json (or --out FILE) with:

    pieces, scores, types    per id, as llama.cpp's convert script writes
                             tokenizer.ggml.tokens / scores / token_type
                             (1 normal, 2 unknown, 3 control, 5 unused, 6 byte)
    bos_id, eos_id, unk_id, add_space_prefix
    cases                    [{"text", "ids" = sp.encode(text),
                               "decoded" = sp.decode(ids)}]

How to run (from the repository root; PyPI only):

    python3 -m venv /tmp/spm && /tmp/spm/bin/pip install sentencepiece==0.2.3
    /tmp/spm/bin/python scripts/make_tiny_spm.py

Training is deterministic for a given sentencepiece version (one thread);
the committed file was made with sentencepiece 0.2.3.
"""

import argparse
import json
import os
import tempfile

import sentencepiece as spm

# A few KB of varied text: prose, code, numbers, accents, CJK, emoji. Lines
# are sentences to the trainer.
CORPUS = """\
The quick brown fox jumps over the lazy dog.
A journey of a thousand miles begins with a single step.
To be, or not to be, that is the question.
All that glitters is not gold; all who wander are not lost.
It was the best of times, it was the worst of times.
The rain in Spain stays mainly in the plain.
She sells sea shells by the sea shore, and the shells she sells are surely seashells.
Peter Piper picked a peck of pickled peppers.
How much wood would a woodchuck chuck if a woodchuck could chuck wood?
In the beginning the Universe was created. This has made a lot of people very angry.
The model reads the prompt, then writes one token at a time.
Tokenizers split text into pieces; the pieces become ids, and the ids become vectors.
Inference runs on the GPU: matrices, vectors, kernels and buffers.
Large language models predict the next token from the previous tokens.
Hello, world! Hello again, world. Goodbye, world.
There are 3 apples, 12 oranges and 1024 grapes in the basket.
The year 2024 had 366 days; the year 2023 had 365 days.
Call 555-0100 or write to 42 Main Street, Springfield.
Pi is about 3.14159, and e is about 2.71828.
def main():
    print("hello world")
    for i in range(10):
        if i % 2 == 0:
            print(i)
    return 0
fn add(a: u32, b: u32) -> u32 { a + b }
let x = [1, 2, 3].iter().map(|v| v * 2).collect::<Vec<_>>();
    indented line with four spaces
        and eight spaces of indentation
Le café est très bon, et la crème brûlée aussi.
Où est la bibliothèque ? À côté de l'église.
Der Bär läuft über die Straße und frißt Äpfel.
El niño comió una manzana en el jardín.
São Paulo é uma cidade grande; a população é enorme.
Ζωή και ελευθερία. Привет, мир! Как дела?
我们今天去公园散步。天气很好。
東京は日本の首都です。こんにちは世界。
서울은 한국의 수도입니다.
The weather is nice today, so we walk in the park.
The quick brown fox and the lazy dog are friends now.
Tokens, tokens, tokens: the model eats tokens for breakfast.
Machine learning, deep learning, and reinforcement learning.
The engineer wrote a test, the test failed, and the engineer fixed the bug.
"""

CASES = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "",
    " ",
    "   ",
    " leading space",
    "trailing space ",
    "  two leading spaces",
    "multiple   spaces    inside",
    "line one\nline two\n",
    "\n\nnewlines first",
    "tabs\tand\ttabs\t",
    "mixed \t\n whitespace",
    "12345 and 3.14159 and 2024-11-30",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000",
    "Punctuation!?.,;:'\"()[]{}<>/\\|@#$%^&*-_=+~`",
    "Le café est très bon, et la crème brûlée aussi.",
    "naïve façade, jalapeño, Ærøskøbing",
    "我们今天去公园散步。",
    "東京は日本の首都です。",
    "未见过的汉字：龘靐齉",
    "Emoji: 🎉🚀👍🏽 and ❤️",
    "unseen words: xylophone quizzaciously zymurgy",
    "def f(x):\n    return x * 2\n",
    "        eight spaces then text",
    "Привет, мир! Ζωή.",
    "a",
    "▁ already has a metaspace",
    "mixed: café 東京 🎉 42\ttab\nend ",
    "<s> is plain text to sentencepiece",
]


def token_type(sp, i):
    # llama.cpp convert_hf_to_gguf.py: _create_vocab_sentencepiece
    if sp.is_unknown(i):
        return 2
    if sp.is_control(i):
        return 3
    if sp.is_unused(i):
        return 5
    if sp.is_byte(i):
        return 6
    return 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="tests/data/tokenizers/tiny-spm.json")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write(CORPUS)
        prefix = os.path.join(tmp, "tiny")
        spm.SentencePieceTrainer.train(
            input=corpus,
            model_prefix=prefix,
            model_type="bpe",
            vocab_size=560,
            character_coverage=1.0,
            byte_fallback=True,
            split_digits=True,
            normalization_rule_name="identity",
            remove_extra_whitespaces=False,
            add_dummy_prefix=True,
            allow_whitespace_only_pieces=True,
            split_by_whitespace=True,
            max_sentencepiece_length=16,
            unk_id=0,
            bos_id=1,
            eos_id=2,
            pad_id=-1,
            num_threads=1,
            minloglevel=2,
        )
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")

    n = sp.get_piece_size()
    cases = []
    for text in CASES:
        ids = sp.encode(text)
        cases.append({"text": text, "ids": ids, "decoded": sp.decode(ids)})
    data = {
        "generator": "scripts/make_tiny_spm.py, sentencepiece " + spm.__version__,
        "add_space_prefix": True,
        "bos_id": sp.bos_id(),
        "eos_id": sp.eos_id(),
        "unk_id": sp.unk_id(),
        "pieces": [sp.id_to_piece(i) for i in range(n)],
        "scores": [sp.get_score(i) for i in range(n)],
        "types": [token_type(sp, i) for i in range(n)],
        "cases": cases,
    }
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.write("\n")
    byte_cases = sum(
        1 for c in cases if any(data["types"][i] == 6 for i in c["ids"])
    )
    print(f"wrote {args.out}: {n} pieces, {len(cases)} cases ({byte_cases} with byte fallback)")


if __name__ == "__main__":
    main()
