//! The byte-level BPE pre-tokenizers a GGUF names in `tokenizer.ggml.pre`, as
//! data: for each name, the steps the model's own `tokenizer.json` runs
//! (`Split` regexes, `Digits`, `Punctuation`, `ByteLevel`), whether it
//! NFC-normalizes first, and whether whole words found in the vocabulary skip
//! the merges (`ignore_merges`).
//!
//! The names are llama.cpp's (`convert_hf_to_gguf.py` writes them, and
//! `llama-vocab.cpp` groups them); the steps and regexes are the ones the
//! Hugging Face `tokenizer.json` files of those models hold, written in the
//! `tokenizers` crate's regex dialect. `scripts/make_pretok_refs.py` builds the
//! same configurations with the Python `tokenizers` library and records its
//! splits and ids on a mixed corpus; `gguf_pretokenizers_tests.rs` checks every
//! entry here against that file (`tests/data/tokenizers/pretok_refs.json`).

/// One step of a pre-tokenizer sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreStep {
    /// Split on the regex, each match its own piece (`Split`, behavior
    /// `Isolated`, not inverted).
    Split(&'static str),
    /// Split off digits: each digit alone, or runs of digits (`Digits`).
    Digits {
        /// One piece per digit (`individual_digits`).
        individual: bool,
    },
    /// Split off runs of punctuation (`Punctuation`, behavior `Contiguous`).
    Punctuation,
    /// Map bytes to GPT-2's printable characters (`ByteLevel`, no prefix
    /// space); `regex` also splits with GPT-2's own regex first.
    ByteLevel {
        /// `use_regex`.
        regex: bool,
    },
}

/// A pre-tokenizer: the `tokenizer.ggml.pre` names that select it and what it does.
#[derive(Clone, Copy, Debug)]
pub struct PreTokenizerSpec {
    /// The names, the first the canonical one.
    pub names: &'static [&'static str],
    /// The steps, in order.
    pub steps: &'static [PreStep],
    /// The text is NFC-normalized first.
    pub nfc: bool,
    /// A whole pre-token that is itself in the vocabulary is one token, merges
    /// or not (Llama 3, Tekken).
    pub ignore_merges: bool,
}

/// Llama 3's split regex (OpenAI's cl100k): numbers in runs of up to three digits.
pub const LLAMA3_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Qwen2's (and StableLM 2's) split regex: Llama 3's with single digits.
pub const QWEN2_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Mistral's Tekken regex: words split at case changes, single digits, no
/// contraction rule.
pub const TEKKEN_REGEX: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// OpenAI's o200k regex (GPT-4o, Llama 4): Tekken's words with contractions
/// attached, runs of up to three digits.
pub const GPT4O_REGEX: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";
/// Seed-Coder's regex: Qwen2's, with line breaks kept out of punctuation runs.
pub const SEED_CODER_REGEX: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+";
/// DeepSeek LLM's letters: Latin, Greek, Cyrillic, Armenian, Georgian and
/// other cased scripts, with one optional leading space (the six escapes are
/// characters NFC would replace, so they stay escaped in this file).
pub const DEEPSEEK_LLM_LETTERS: &str = "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u{1F7D}ᾀ-ᾴᾶ-ᾼ\u{1FBE}ῂ-ῄῆ-ῌῐ-\u{1FD3}ῖ-\u{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u{2126}ℨ\u{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+";
/// DeepSeek LLM's ASCII and full-width punctuation, one optional leading space.
pub const DEEPSEEK_LLM_PUNCT: &str = r"\s?[!-/:-~！-／：-～‘-‟　-。]+";
/// DeepSeek's CJK ideographs and Hangul runs.
pub const DEEPSEEK_CJK: &str = r"[一-龥ࠀ-一가-퟿]+";

use PreStep::{ByteLevel, Digits, Punctuation, Split};

/// GPT-2's own regex inside ByteLevel.
const GPT2: &[PreStep] = &[ByteLevel { regex: true }];

/// Every supported `tokenizer.ggml.pre`.
pub const PRE_TOKENIZERS: &[PreTokenizerSpec] = &[
    PreTokenizerSpec {
        // Absent or "default": GPT-2's regex (llama.cpp's own fallback regex
        // differs; models converted since mid-2024 always name theirs).
        names: &[
            "gpt-2",
            "default",
            "phi-2",
            "mpt",
            "olmo",
            "jais",
            "jina-es",
            "jina-de",
            "jina-v2-es",
            "jina-v2-de",
            "gigachat",
            "a.x-4.0",
            "mellum",
            "trillion",
            "granite-docling",
            "exaone4",
        ],
        steps: GPT2,
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &[
            "llama-bpe",
            "llama3",
            "llama-v3",
            "falcon3",
            "falcon-h1",
            "pixtral",
            "midm-2.0",
            "lfm2",
        ],
        steps: &[Split(LLAMA3_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: true,
    },
    PreTokenizerSpec {
        names: &["dbrx", "smaug-bpe"],
        steps: &[Split(LLAMA3_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["qwen2", "deepseek-r1-qwen", "megrez", "kormo"],
        steps: &[Split(QWEN2_REGEX), ByteLevel { regex: false }],
        nfc: true,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["stablelm2"],
        steps: &[Split(QWEN2_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &[
            "smollm",
            "starcoder",
            "refact",
            "command-r",
            "codeshell",
            "exaone",
            "minerva-7b",
        ],
        steps: &[Digits { individual: true }, ByteLevel { regex: true }],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["deepseek-llm"],
        steps: &[
            Split(r"[\r\n]"),
            Split(DEEPSEEK_LLM_LETTERS),
            Split(DEEPSEEK_LLM_PUNCT),
            Split(r"\s+$"),
            Split(DEEPSEEK_CJK),
            Digits { individual: false },
            ByteLevel { regex: false },
        ],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["deepseek-coder"],
        steps: &[
            Split(r"[\r\n]"),
            Split(r"\s?\p{L}+"),
            Split(r"\s?\p{P}+"),
            Split(DEEPSEEK_CJK),
            Digits { individual: true },
            ByteLevel { regex: false },
        ],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["falcon"],
        steps: &[
            Punctuation,
            ByteLevel { regex: true },
            Digits { individual: false },
            Split("[0-9][0-9][0-9]"),
        ],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["tekken"],
        steps: &[Split(TEKKEN_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: true,
    },
    PreTokenizerSpec {
        names: &["gpt-4o", "llama4"],
        steps: &[Split(GPT4O_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: false,
    },
    PreTokenizerSpec {
        names: &["seed-coder"],
        steps: &[Split(SEED_CODER_REGEX), ByteLevel { regex: false }],
        nfc: false,
        ignore_merges: false,
    },
];

/// The pre-tokenizer named `name`, if supported.
pub fn pre_tokenizer_spec(name: &str) -> Option<&'static PreTokenizerSpec> {
    PRE_TOKENIZERS.iter().find(|s| s.names.contains(&name))
}

/// Every supported name, canonical names first in table order (for messages).
pub fn supported_names() -> Vec<&'static str> {
    PRE_TOKENIZERS.iter().map(|s| s.names[0]).collect()
}
