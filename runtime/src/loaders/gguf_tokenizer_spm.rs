//! The SentencePiece BPE tokenizer of a GGUF file (`tokenizer.ggml.model =
//! "llama"`: Llama 2, TinyLlama, Mistral, ...), built as a `tokenizers`
//! pipeline the way Hugging Face's fast Llama tokenizer is, so that it encodes
//! like llama.cpp's `llm_tokenizer_spm` and SentencePiece itself.
//!
//! Metadata read (all checked; bad values are a [`LoadError`], never a panic):
//! - `tokenizer.ggml.tokens`: the pieces, id = position, `▁` (U+2581) for a
//!   space, byte pieces written `<0x0A>`; no piece may repeat;
//! - `tokenizer.ggml.scores`: one finite number per piece (merge priority);
//! - `tokenizer.ggml.token_type`: one per piece, 0..=6 (1 normal, 2 unknown,
//!   3 control, 4 user-defined, 5 unused, 6 byte; 0, undefined, is normal);
//! - `tokenizer.ggml.bos_token_id` / `eos_token_id` / `unknown_token_id`
//!   (optional, inside the vocabulary; without `unknown_token_id` the first
//!   unknown-type piece is the unk token);
//! - `tokenizer.ggml.add_space_prefix` (default true), `add_bos_token`
//!   (default true), `add_eos_token` (default false).
//!
//! The pipeline:
//! - added tokens: control and unknown pieces are special tokens, user-defined
//!   ones plain tokens, all matched on the raw text before normalization (as
//!   llama.cpp matches them when it parses special tokens);
//! - normalizer: `Prepend("▁")` (when `add_space_prefix`; every text segment
//!   between added tokens gets it, as llama.cpp prefixes the text after a
//!   special token) and `Replace(" ", "▁")`; no pre-tokenizer (SentencePiece
//!   merges across the whole text);
//! - model: BPE with byte fallback (a character that is no piece becomes its
//!   UTF-8 bytes' `<0xXX>` pieces, or one unk for a run of them when a byte
//!   piece is missing) and merges derived from the vocabulary and scores as
//!   Hugging Face's `SentencePieceExtractor` does: each split of a normal piece
//!   into two pieces (neither a byte, control or unknown piece) is a merge,
//!   ranked by the merged piece's score, highest first (ties: lower id). The
//!   lowest-rank pair present merges first, leftmost on ties — SentencePiece's
//!   "highest-scoring adjacent pair whose concatenation is a piece";
//! - post-processor: BOS (and EOS) as `add_bos_token` / `add_eos_token` say,
//!   when the id is given;
//! - decoder: `▁` -> space, byte pieces -> bytes, and the prefix space of the
//!   first piece removed (when `add_space_prefix`).
//!
//! Known departures from llama.cpp, none of which arise with SentencePiece's
//! own models: two different pieces of equal score merge by id instead of
//! position; llama.cpp also merges into control, byte and unused pieces.

use super::gguf::GgufFile;
use super::gguf_tokenizer::{vocabulary, TOKEN_TYPE_CONTROL, TOKEN_TYPE_USER_DEFINED};
use super::LoadError;
use std::collections::HashMap;
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::normalizers::{NormalizerWrapper, Prepend, Replace, Sequence};
use tokenizers::processors::template::{SpecialToken, Template, TemplateProcessing};
use tokenizers::{AddedToken, Tokenizer};

/// `tokenizer.ggml.token_type` of the unknown token.
const TOKEN_TYPE_UNKNOWN: i32 = 2;
/// `tokenizer.ggml.token_type` of a byte-fallback piece (`<0x0A>`).
const TOKEN_TYPE_BYTE: i32 = 6;
/// Pieces longer than this many characters are refused (real SentencePiece
/// vocabularies stay far below: 16 by default, a few dozen at most), so that
/// deriving the merges costs at most this many lookups per piece.
pub const MAX_PIECE_CHARS: usize = 256;
/// At most this many split lookups in all, and as many merges.
pub const MAX_SPLITS: usize = 1 << 26;
/// SentencePiece's space marker, U+2581.
const SPACE: &str = "\u{2581}";

/// Build the SentencePiece tokenizer described by `file`'s metadata (see the
/// module docs); `tokenizer.ggml.model` has already been read as `"llama"`.
pub(super) fn spm_tokenizer_from_gguf(file: &GgufFile) -> Result<Tokenizer, LoadError> {
    let err = |message: String| LoadError::Tokenizer {
        path: file.path.clone(),
        message,
    };
    let tokens = vocabulary(file)?;
    let n_tokens = tokens.len();
    let scores = match file.get("tokenizer.ggml.scores") {
        None => {
            return Err(err(
                "tokenizer.ggml.scores is missing (a SentencePiece vocabulary merges by score)"
                    .into(),
            ))
        }
        Some(value) => value
            .as_array()
            .and_then(|a| a.iter().map(|v| v.as_f32()).collect::<Option<Vec<f32>>>())
            .ok_or_else(|| err("tokenizer.ggml.scores is not an array of numbers".into()))?,
    };
    if scores.len() != n_tokens {
        return Err(err(format!(
            "tokenizer.ggml.scores has {} entries for {n_tokens} tokens",
            scores.len()
        )));
    }
    if let Some(id) = scores.iter().position(|s| s.is_nan()) {
        return Err(err(format!("tokenizer.ggml.scores: score {id} is NaN")));
    }
    let types = file.require_i32_array("tokenizer.ggml.token_type")?;
    if types.len() != n_tokens {
        return Err(err(format!(
            "tokenizer.ggml.token_type has {} entries for {n_tokens} tokens",
            types.len()
        )));
    }
    if let Some(id) = types.iter().position(|t| !(0..=6).contains(t)) {
        return Err(err(format!(
            "tokenizer.ggml.token_type: token {id} has type {}, not 0..=6",
            types[id]
        )));
    }
    let flag = |key: &str, default: bool| -> Result<bool, LoadError> {
        match file.get(key) {
            None => Ok(default),
            Some(_) => file.require_bool(key),
        }
    };
    let add_space_prefix = flag("tokenizer.ggml.add_space_prefix", true)?;
    let add_bos = flag("tokenizer.ggml.add_bos_token", true)?;
    let add_eos = flag("tokenizer.ggml.add_eos_token", false)?;
    let special_id = |key: &str| -> Result<Option<u32>, LoadError> {
        if file.get(key).is_none() {
            return Ok(None);
        }
        let id = file.require_u32(key)?;
        if id as usize >= n_tokens {
            return Err(err(format!(
                "{key} {id} is outside the vocabulary of {n_tokens} tokens"
            )));
        }
        Ok(Some(id))
    };
    let bos = special_id("tokenizer.ggml.bos_token_id")?;
    let eos = special_id("tokenizer.ggml.eos_token_id")?;
    let unk = match special_id("tokenizer.ggml.unknown_token_id")? {
        Some(id) => Some(id),
        None => types
            .iter()
            .position(|&t| t == TOKEN_TYPE_UNKNOWN)
            .map(|id| id as u32),
    };

    let mut ids: HashMap<&str, u32> = HashMap::with_capacity(n_tokens);
    for (id, &token) in tokens.iter().enumerate() {
        if token.is_empty() {
            return Err(err(format!("token {id} is empty")));
        }
        if let Some(first) = ids.insert(token, id as u32) {
            return Err(err(format!(
                "token {id} {token:?} repeats token {first} of tokenizer.ggml.tokens"
            )));
        }
    }

    let merges = derive_merges(&tokens, &scores, &types, &ids).map_err(err)?;
    let vocab: Vocab = ids.iter().map(|(t, &id)| (t.to_string(), id)).collect();
    let mut bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = unk {
        bpe = bpe.unk_token(tokens[unk as usize].to_string());
    }
    let bpe = bpe.build().map_err(|e| err(format!("BPE: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);

    let replace = Replace::new(" ", SPACE).map_err(|e| err(format!("normalizer: {e}")))?;
    let mut normalizers = Vec::new();
    if add_space_prefix {
        normalizers.push(NormalizerWrapper::Prepend(Prepend::new(SPACE.into())));
    }
    normalizers.push(NormalizerWrapper::Replace(replace));
    tokenizer.with_normalizer(Some(Sequence::new(normalizers)));
    tokenizer.with_pre_tokenizer(None::<tokenizers::pre_tokenizers::PreTokenizerWrapper>);

    let space = Replace::new(SPACE, " ").map_err(|e| err(format!("decoder: {e}")))?;
    let mut decoders = vec![
        DecoderWrapper::Replace(space),
        DecoderWrapper::ByteFallback(ByteFallback::new()),
        DecoderWrapper::Fuse(Fuse::new()),
    ];
    if add_space_prefix {
        decoders.push(DecoderWrapper::Strip(Strip::new(' ', 1, 0)));
    }
    tokenizer.with_decoder(Some(DecoderSequence::new(decoders)));

    let processor = post_processor(
        bos.filter(|_| add_bos).map(|id| (id, tokens[id as usize])),
        eos.filter(|_| add_eos).map(|id| (id, tokens[id as usize])),
    )
    .map_err(err)?;
    tokenizer.with_post_processor(processor);

    let added = |wanted: &[i32], special: bool| -> Vec<AddedToken> {
        tokens
            .iter()
            .zip(&types)
            .filter(|&(_, ty)| wanted.contains(ty))
            .map(|(&t, _)| AddedToken::from(t, special).normalized(false))
            .collect()
    };
    tokenizer.add_special_tokens(&added(&[TOKEN_TYPE_CONTROL, TOKEN_TYPE_UNKNOWN], true));
    tokenizer.add_tokens(&added(&[TOKEN_TYPE_USER_DEFINED], false));
    Ok(tokenizer)
}

/// Whether a piece of type `ty` is a normal piece, the only kind merges make.
fn is_normal(ty: i32) -> bool {
    ty == 0 || ty == 1
}

/// The merges of SentencePiece BPE (see the module docs), by rank.
fn derive_merges(
    tokens: &[&str],
    scores: &[f32],
    types: &[i32],
    ids: &HashMap<&str, u32>,
) -> Result<Vec<(String, String)>, String> {
    let mergeable = |part: &str| -> Option<u32> {
        let id = *ids.get(part)?;
        let ty = types[id as usize];
        (ty != TOKEN_TYPE_BYTE && ty != TOKEN_TYPE_CONTROL && ty != TOKEN_TYPE_UNKNOWN)
            .then_some(id)
    };
    // (merged id, left id, right id, split byte offset)
    let mut found: Vec<(u32, u32, u32, usize)> = Vec::new();
    let mut splits = 0usize;
    for (id, &piece) in tokens.iter().enumerate() {
        if !is_normal(types[id]) {
            continue;
        }
        let n_chars = piece.chars().count();
        if n_chars > MAX_PIECE_CHARS {
            return Err(format!(
                "token {id} is {n_chars} characters long; pieces over {MAX_PIECE_CHARS} \
                 are not supported"
            ));
        }
        splits += n_chars.saturating_sub(1);
        if splits > MAX_SPLITS {
            return Err(format!(
                "the pieces are too long in all to derive merges from (over {MAX_SPLITS} splits)"
            ));
        }
        for (at, _) in piece.char_indices().skip(1) {
            let (left, right) = piece.split_at(at);
            if let (Some(l), Some(r)) = (mergeable(left), mergeable(right)) {
                found.push((id as u32, l, r, at));
            }
        }
    }
    found.sort_by(|a, b| {
        scores[b.0 as usize]
            .total_cmp(&scores[a.0 as usize])
            .then(a.0.cmp(&b.0))
            .then(a.1.cmp(&b.1))
            .then(a.2.cmp(&b.2))
    });
    Ok(found
        .into_iter()
        .map(|(id, _, _, at)| {
            let (left, right) = tokens[id as usize].split_at(at);
            (left.to_string(), right.to_string())
        })
        .collect())
}

/// A template adding `bos` before and `eos` after the text (each `(id,
/// piece)`), or none when neither is wanted.
fn post_processor(
    bos: Option<(u32, &str)>,
    eos: Option<(u32, &str)>,
) -> Result<Option<TemplateProcessing>, String> {
    if bos.is_none() && eos.is_none() {
        return Ok(None);
    }
    // The template names the tokens by a key of ours, not by the piece (a
    // piece could hold a space or look like `$A`).
    let special = |key: &str, (id, piece): (u32, &str)| {
        SpecialToken::new(key.into(), vec![id], vec![piece.into()])
    };
    let mut single = Vec::new();
    let mut pair = Vec::new();
    let mut specials = Vec::new();
    if let Some(bos) = bos {
        single.push("[bos]");
        pair.push("[bos]");
        specials.push(special("[bos]", bos).map_err(|e| format!("post-processor: {e}"))?);
    }
    single.push("$A");
    pair.push("$A");
    if let Some(eos) = eos {
        single.push("[eos]");
        pair.push("[eos]");
        specials.push(special("[eos]", eos).map_err(|e| format!("post-processor: {e}"))?);
    }
    if bos.is_some() {
        pair.push("[bos]:1");
    }
    pair.push("$B:1");
    if eos.is_some() {
        pair.push("[eos]:1");
    }
    let template = |parts: Vec<&str>| {
        Template::try_from(parts.join(" ")).map_err(|e| format!("post-processor: {e}"))
    };
    TemplateProcessing::builder()
        .single(template(single)?)
        .pair(template(pair)?)
        .special_tokens(specials)
        .build()
        .map(Some)
        .map_err(|e| format!("post-processor: {e}"))
}
