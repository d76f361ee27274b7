//! The tokenizer embedded in a GGUF file's `tokenizer.ggml.*` metadata, built as
//! a `tokenizers::Tokenizer` that encodes like the model's own `tokenizer.json`.
//!
//! Supported: `tokenizer.ggml.model = "gpt2"`, byte-level BPE, below; and
//! `"llama"`, SentencePiece BPE (Llama 2, Mistral, ...), built in
//! `gguf_tokenizer_spm` (see there).
//!
//! Byte-level BPE (`gpt2`):
//! - `tokenizer.ggml.tokens` (strings, byte-level encoded as in
//!   `tokenizer.json`) give the vocabulary, id = position;
//! - `tokenizer.ggml.merges` (`"a b"` strings, by rank) the merges;
//! - `tokenizer.ggml.token_type` (optional, one per token): control tokens (3)
//!   become special added tokens (matched before pre-tokenization, skipped when
//!   decoding), user-defined ones (4) plain added tokens;
//! - `tokenizer.ggml.bos_token_id` / `eos_token_id` (optional) must lie inside
//!   the vocabulary; [`gguf_special_ids`] reads them;
//! - `tokenizer.ggml.pre` picks the pre-tokenizer from the table in
//!   `gguf_pretokenizers` (llama.cpp's names; each entry the steps of the
//!   models' own `tokenizer.json`); absent means `default`, GPT-2's regex.
//!   Unknown names are refused, naming the value: another regex would split
//!   differently and silently give other ids.
//!
//! The decoder is ByteLevel; there is no post-processor, so no BOS is added
//! (callers prepend it where the model wants one). Other models (`bert`
//! WordPiece, `t5` Unigram, ...) are a [`LoadError::Tokenizer`] that says so
//! and suggests `--tokenizer FILE`.

use super::gguf::GgufFile;
use super::gguf_pretokenizers::{pre_tokenizer_spec, supported_names, PreStep, PreTokenizerSpec};
use super::LoadError;
use std::collections::HashMap;
use tokenizers::decoders::byte_level::ByteLevel;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::NFC;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::punctuation::Punctuation;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, Tokenizer};

/// `tokenizer.ggml.token_type` of a control token (BOS, EOS, chat markers).
pub const TOKEN_TYPE_CONTROL: i32 = 3;
/// `tokenizer.ggml.token_type` of a user-defined (added, not special) token.
pub const TOKEN_TYPE_USER_DEFINED: i32 = 4;

/// `tokenizer.ggml.bos_token_id` and `eos_token_id` as the file gives them
/// (`None` when absent or not a `u32`). [`tokenizer_from_gguf`] checks them
/// against the vocabulary.
pub fn gguf_special_ids(file: &GgufFile) -> (Option<u32>, Option<u32>) {
    (
        file.get_u32("tokenizer.ggml.bos_token_id"),
        file.get_u32("tokenizer.ggml.eos_token_id"),
    )
}

/// Build the tokenizer described by `file`'s `tokenizer.ggml.*` metadata (see
/// the module docs for what is supported and checked).
pub fn tokenizer_from_gguf(file: &GgufFile) -> Result<Tokenizer, LoadError> {
    let err = |message: String| LoadError::Tokenizer {
        path: file.path.clone(),
        message,
    };
    let model = match file.get("tokenizer.ggml.model") {
        None => {
            return Err(err(
                "the file has no embedded tokenizer (no tokenizer.ggml.model); \
                 give a tokenizer.json with --tokenizer FILE"
                    .into(),
            ))
        }
        Some(_) => file.require_str("tokenizer.ggml.model")?,
    };
    if model == "llama" {
        return super::gguf_tokenizer_spm::spm_tokenizer_from_gguf(file);
    }
    if model != "gpt2" {
        let kind = match model {
            "bert" => " (WordPiece)",
            "t5" => " (Unigram)",
            _ => "",
        };
        return Err(err(format!(
            "embedded tokenizer model {model:?}{kind} is not supported (only \"gpt2\", \
             byte-level BPE, and \"llama\", SentencePiece); give the model's \
             tokenizer.json with --tokenizer FILE"
        )));
    }
    let pre = match file.get("tokenizer.ggml.pre") {
        None => "default",
        Some(_) => file.require_str("tokenizer.ggml.pre")?,
    };
    let Some(spec) = pre_tokenizer_spec(pre) else {
        return Err(err(format!(
            "pre-tokenizer {pre:?} (tokenizer.ggml.pre) is not supported (supported: {} \
             and their aliases, see the README); give the model's tokenizer.json with \
             --tokenizer FILE",
            supported_names().join(", ")
        )));
    };
    let tokens = vocabulary(file)?;
    let n_tokens = tokens.len();
    let token_types = match file.get("tokenizer.ggml.token_type") {
        None => None,
        Some(_) => {
            let types = file.require_i32_array("tokenizer.ggml.token_type")?;
            if types.len() != n_tokens {
                return Err(err(format!(
                    "tokenizer.ggml.token_type has {} entries for {n_tokens} tokens",
                    types.len()
                )));
            }
            Some(types)
        }
    };
    for key in ["tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"] {
        if file.get(key).is_some() {
            let id = file.require_u32(key)?;
            if id as usize >= n_tokens {
                return Err(err(format!(
                    "{key} {id} is outside the vocabulary of {n_tokens} tokens"
                )));
            }
        }
    }

    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(n_tokens);
    for (id, &token) in tokens.iter().enumerate() {
        if let Some(first) = ids.insert(token, id as u32) {
            return Err(err(format!(
                "token {id} {token:?} repeats token {first} of tokenizer.ggml.tokens"
            )));
        }
    }
    let merges = file.require_str_array("tokenizer.ggml.merges")?;
    let mut pairs = Vec::with_capacity(merges.len());
    for (rank, merge) in merges.iter().enumerate() {
        // Split at the first space after the first character, as llama.cpp
        // does (a merge's left part may itself be a space).
        let split = merge
            .char_indices()
            .skip(1)
            .find(|&(_, c)| c == ' ')
            .map(|(i, _)| (&merge[..i], &merge[i + 1..]))
            .filter(|(a, b)| !a.is_empty() && !b.is_empty());
        let Some((a, b)) = split else {
            return Err(err(format!("merge {rank} {merge:?} is not \"a b\"")));
        };
        let merged = format!("{a}{b}");
        if let Some(missing) = [a, b, merged.as_str()]
            .into_iter()
            .find(|t| !ids.contains_key(t))
        {
            return Err(err(format!(
                "merge {rank} {merge:?}: {missing:?} is not in the vocabulary"
            )));
        }
        pairs.push((a.to_string(), b.to_string()));
    }

    let vocab: Vocab = ids.iter().map(|(t, &id)| (t.to_string(), id)).collect();
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, pairs)
        .ignore_merges(spec.ignore_merges)
        .build()
        .map_err(|e| err(format!("BPE: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);
    if spec.nfc {
        tokenizer.with_normalizer(Some(NFC));
    }
    let pre_tokenizer =
        pre_tokenizer(spec).map_err(|e| err(format!("pre-tokenizer {pre:?}: {e}")))?;
    tokenizer.with_pre_tokenizer(Some(pre_tokenizer));
    tokenizer.with_decoder(Some(ByteLevel::new(false, true, true)));
    tokenizer.with_post_processor(None::<tokenizers::processors::PostProcessorWrapper>);

    if let Some(types) = &token_types {
        let added = |wanted: i32, special: bool| -> Vec<AddedToken> {
            tokens
                .iter()
                .zip(types)
                .filter(|&(t, &ty)| ty == wanted && !t.is_empty())
                .map(|(&t, _)| AddedToken::from(t, special))
                .collect()
        };
        tokenizer.add_special_tokens(&added(TOKEN_TYPE_CONTROL, true));
        tokenizer.add_tokens(&added(TOKEN_TYPE_USER_DEFINED, false));
    }
    Ok(tokenizer)
}

/// `tokenizer.ggml.tokens`: the vocabulary, id = position; an error when it
/// is missing, empty, or has more entries than u32 ids.
pub(super) fn vocabulary(file: &GgufFile) -> Result<Vec<&str>, LoadError> {
    let tokens = file.require_str_array("tokenizer.ggml.tokens")?;
    let message = if tokens.is_empty() {
        "tokenizer.ggml.tokens is empty".to_string()
    } else if u32::try_from(tokens.len()).is_err() {
        format!("{} tokens do not fit u32 ids", tokens.len())
    } else {
        return Ok(tokens);
    };
    Err(LoadError::Tokenizer {
        path: file.path.clone(),
        message,
    })
}

/// The `tokenizers` pre-tokenizer that runs `spec`'s steps in order.
fn pre_tokenizer(spec: &PreTokenizerSpec) -> Result<PreTokenizerWrapper, String> {
    let mut steps = Vec::with_capacity(spec.steps.len());
    for step in spec.steps {
        steps.push(match *step {
            PreStep::Split(pattern) => PreTokenizerWrapper::Split(
                Split::new(
                    SplitPattern::Regex(pattern.into()),
                    SplitDelimiterBehavior::Isolated,
                    false,
                )
                .map_err(|e| format!("regex {pattern:?}: {e}"))?,
            ),
            PreStep::Digits { individual } => PreTokenizerWrapper::Digits(Digits::new(individual)),
            PreStep::Punctuation => PreTokenizerWrapper::Punctuation(Punctuation::new(
                SplitDelimiterBehavior::Contiguous,
            )),
            PreStep::ByteLevel { regex } => {
                PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, regex))
            }
        });
    }
    Ok(match steps.len() {
        1 => steps.remove(0),
        _ => PreTokenizerWrapper::Sequence(Sequence::new(steps)),
    })
}
