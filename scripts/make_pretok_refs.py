#!/usr/bin/env python3
"""Reference splits and ids of the byte-level BPE pre-tokenizers a GGUF can name.

For every `tokenizer.ggml.pre` family Tessera supports, this builds with the
Hugging Face `tokenizers` library the `pre_tokenizer` (and normalizer) that the
family's own tokenizer.json holds, puts it in front of one small byte-level BPE
trained here, and records, for each line of a corpus with numbers, code,
whitespace runs, CJK, emoji, contractions and newlines, the pre-token strings
and the ids. runtime/src/loaders/gguf_pretokenizers_tests.rs builds Tessera's
GGUF tokenizer from the same vocabulary and merges for each name and compares.

Written from the tokenizer.json files of: GPT-2 (gpt-2), Llama 3 (llama-bpe),
DBRX (dbrx), Qwen2 / Qwen2.5 / Qwen3 (qwen2), StableLM 2 (stablelm2), SmolLM /
StarCoder / Command-R (smollm), DeepSeek LLM (deepseek-llm), DeepSeek Coder
(deepseek-coder), Falcon (falcon), Mistral Nemo (tekken), GPT-4o / Llama 4
(gpt-4o), Seed-Coder (seed-coder). The aliases llama.cpp maps to each family
are Tessera's table's business, not this file's.

Run (from the repository root; writes tests/data/tokenizers/pretok_refs.json):

    /work/venv-torch/bin/python scripts/make_pretok_refs.py

Made with tokenizers 0.23.3 (Python 3.11).
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
TEKKEN = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
    r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
GPT4O = (
    r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
    r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
SEED_CODER = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"
DS_LETTERS = (
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1f7dᾀ-ᾴᾶ-ᾼ\u1fbeῂ-ῄῆ-ῌῐ-\u1fd3ῖ-\u1fdbῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212a-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+"
)
DS_PUNCT = r"\s?[!-/:-~！-／：-～‘-‟　-。]+"
DS_CJK = r"[一-龥ࠀ-一가-퟿]+"


def split(pattern: str):
    return pre_tokenizers.Split(Regex(pattern), behavior="isolated", invert=False)


def byte_level(regex: bool):
    return pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=regex)


def seq(*steps):
    return pre_tokenizers.Sequence(list(steps))


# name -> (pre_tokenizer, NFC normalizer, BPE ignore_merges), as the families'
# tokenizer.json files have them.
FAMILIES = {
    "gpt-2": (lambda: byte_level(True), False, False),
    "llama-bpe": (lambda: seq(split(LLAMA3), byte_level(False)), False, True),
    "dbrx": (lambda: seq(split(LLAMA3), byte_level(False)), False, False),
    "qwen2": (lambda: seq(split(QWEN2), byte_level(False)), True, False),
    "stablelm2": (lambda: seq(split(QWEN2), byte_level(False)), False, False),
    "smollm": (lambda: seq(pre_tokenizers.Digits(individual_digits=True), byte_level(True)), False, False),
    "deepseek-llm": (
        lambda: seq(
            split(r"[\r\n]"), split(DS_LETTERS), split(DS_PUNCT), split(r"\s+$"), split(DS_CJK),
            pre_tokenizers.Digits(individual_digits=False), byte_level(False),
        ),
        False, False,
    ),
    "deepseek-coder": (
        lambda: seq(
            split(r"[\r\n]"), split(r"\s?\p{L}+"), split(r"\s?\p{P}+"), split(DS_CJK),
            pre_tokenizers.Digits(individual_digits=True), byte_level(False),
        ),
        False, False,
    ),
    "falcon": (
        lambda: seq(
            pre_tokenizers.Punctuation(behavior="contiguous"), byte_level(True),
            pre_tokenizers.Digits(individual_digits=False), split("[0-9][0-9][0-9]"),
        ),
        False, False,
    ),
    "tekken": (lambda: seq(split(TEKKEN), byte_level(False)), False, True),
    "gpt-4o": (lambda: seq(split(GPT4O), byte_level(False)), False, False),
    "seed-coder": (lambda: seq(split(SEED_CODER), byte_level(False)), False, False),
}

CORPUS = [
    "Hello world! The quick brown fox jumps over the lazy dog.",
    "Numbers: 7, 42, 1234, 12345678, 3.14159, 1,000,000 and -0.5e10; ٣٤٥ and ² too.",
    "I'm sure we'll see they're right, it's fine; I'VE SAID DON'T, You'Re ok.",
    "fn main() {\n    let xs = vec![1, 2, 3];\n    println!(\"{:?}\", xs);\n}\n",
    "def f(x):\n\treturn x**2 + 10  # square\n\n\nprint(f(12))",
    "a  b   c\t\td    \n\n  e  \r\n  f   ",
    "line one\nline two\r\nline three\n\n\nend\n",
    "我喜欢编程。日本語のテキスト、カタカナ。한국어 문장입니다！",
    "Emoji: 👋🏽 🚀🔥 ok 🇫🇷 family 👨‍👩‍👧",
    "café naïve Ünïcödé Ελληνικά Русский текст Ωμέγα ǅemal",
    "e\u0301 decomposed and precomposed é",
    "HTTPServerError getURLPath parseJSON camelCase snake_case CONSTANT_VALUE",
    "!!!???... --- ==> <|tag|> a/b/c http://example.com/path?q=1&r=2 $5 +3 ^x ~y |z| `code`",
    "no\u00a0break and\u3000ideographic space and\u2009thin",
    "   leading and trailing   ",
    "x",
]

VOCAB_SIZE = 640


def train_bpe():
    """One byte-level BPE for every family: all 256 byte symbols plus merges."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = byte_level(True)
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, min_frequency=1, special_tokens=[],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    # The corpus twice over, plus a line of each script, so merges exist inside
    # numbers, CJK, code and whitespace.
    tok.train_from_iterator(CORPUS + CORPUS, trainer=trainer)
    data = json.loads(tok.to_str())
    vocab = data["model"]["vocab"]
    merges = [m if isinstance(m, str) else " ".join(m) for m in data["model"]["merges"]]
    tokens = [None] * len(vocab)
    for t, i in vocab.items():
        tokens[i] = t
    assert all(t is not None for t in tokens)
    return tokens, merges


def family_tokenizer(name: str, tokens: list[str], merges: list[str]) -> Tokenizer:
    make, nfc, ignore_merges = FAMILIES[name]
    vocab = {t: i for i, t in enumerate(tokens)}
    pairs = [tuple(m.split(" ", 1)) for m in merges]
    tok = Tokenizer(models.BPE(vocab, pairs, ignore_merges=ignore_merges))
    tok.pre_tokenizer = make()
    if nfc:
        tok.normalizer = normalizers.NFC()
    tok.decoder = decoders.ByteLevel()
    return tok


def main() -> None:
    import tokenizers

    tokens, merges = train_bpe()
    families = {}
    for name in FAMILIES:
        tok = family_tokenizer(name, tokens, merges)
        rows = []
        for text in CORPUS:
            normalized = tok.normalizer.normalize_str(text) if tok.normalizer else text
            pieces = [p for p, _ in tok.pre_tokenizer.pre_tokenize_str(normalized)]
            ids = tok.encode(text, add_special_tokens=False).ids
            assert tok.decode(ids) == normalized, (name, text)
            rows.append({"pre_tokens": pieces, "ids": ids})
        families[name] = {
            "pre_tokenizer": json.loads(tok.to_str())["pre_tokenizer"],
            "nfc": FAMILIES[name][1],
            "ignore_merges": FAMILIES[name][2],
            "lines": rows,
        }
    distinct = {json.dumps([r["pre_tokens"] for r in f["lines"]]) for f in families.values()}
    print(f"{len(families)} families, {len(distinct)} distinct split sets")
    out = {
        "about": "scripts/make_pretok_refs.py: the tokenizers library's pre-token splits and "
                 "ids per tokenizer.ggml.pre family, one byte-level BPE for all",
        "tokenizers_version": tokenizers.__version__,
        "tokens": tokens,
        "merges": merges,
        "corpus": CORPUS,
        "families": families,
    }
    path = Path(__file__).resolve().parent.parent / "tests/data/tokenizers/pretok_refs.json"
    path.write_text(json.dumps(out, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
