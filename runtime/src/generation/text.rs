//! Text in and out of a decoder: a `tokenizers` tokenizer without truncation
//! or padding, and incremental decoding for streaming output.

use crate::loaders::LoadError;
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

/// A decoder's tokenizer (a `tokenizer.json`, or one built from GGUF metadata).
pub struct DecoderTokenizer {
    inner: Tokenizer,
    source: PathBuf,
}

impl DecoderTokenizer {
    /// Load a `tokenizer.json`.
    pub fn from_file(path: &Path) -> Result<DecoderTokenizer, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        DecoderTokenizer::from_bytes(path, &bytes)
    }

    /// Parse the bytes of a `tokenizer.json` (`path` names it in errors; the
    /// web's way in, where files arrive by fetch).
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<DecoderTokenizer, LoadError> {
        let problem = |e: tokenizers::Error| LoadError::Tokenizer {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut inner = Tokenizer::from_bytes(bytes).map_err(problem)?;
        inner.with_padding(None);
        inner.with_truncation(None).map_err(problem)?;
        Ok(DecoderTokenizer {
            inner,
            source: path.to_path_buf(),
        })
    }

    /// Wrap a tokenizer built elsewhere (`source` names it in errors).
    pub fn new(inner: Tokenizer, source: &Path) -> DecoderTokenizer {
        DecoderTokenizer {
            inner,
            source: source.to_path_buf(),
        }
    }

    /// Entries in the vocabulary, added tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Ids of `text`, with the special tokens the tokenizer's post-processor adds.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LoadError> {
        let encoding = self
            .inner
            .encode(text, true)
            .map_err(|e| self.error(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Ids of `text` alone: special tokens written in it (`<|im_end|>`) are
    /// parsed as their ids and nothing is added (no post-processor BOS or
    /// EOS), as transformers tokenizes a rendered chat template.
    pub fn encode_raw(&self, text: &str) -> Result<Vec<u32>, LoadError> {
        let encoding = self
            .inner
            .encode(text, false)
            .map_err(|e| self.error(e.to_string()))?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The id of `token` when the tokenizer holds it as a special added token
    /// (`<|im_end|>`, `</s>`); `None` for ordinary vocabulary entries.
    pub fn special_token_id(&self, token: &str) -> Option<u32> {
        self.inner
            .get_added_tokens_decoder()
            .into_iter()
            .find(|(_, added)| added.special && added.content == token)
            .map(|(id, _)| id)
    }

    /// Text of `ids`, special tokens skipped.
    pub fn decode(&self, ids: &[u32]) -> Result<String, LoadError> {
        self.inner
            .decode(ids, true)
            .map_err(|e| self.error(e.to_string()))
    }

    fn error(&self, message: String) -> LoadError {
        LoadError::Tokenizer {
            path: self.source.clone(),
            message,
        }
    }
}

/// Turns a growing list of ids into text pieces as they become printable: a
/// piece is released once its bytes form whole characters (byte-level BPE can
/// split a character across tokens).
pub struct TextStream<'a> {
    tokenizer: &'a DecoderTokenizer,
    ids: Vec<u32>,
    printed: usize,
}

impl<'a> TextStream<'a> {
    /// A stream with nothing decoded yet.
    pub fn new(tokenizer: &'a DecoderTokenizer) -> TextStream<'a> {
        TextStream {
            tokenizer,
            ids: Vec::new(),
            printed: 0,
        }
    }

    /// Add `id`; returns the new text it completes (possibly empty).
    pub fn push(&mut self, id: u32) -> Result<String, LoadError> {
        self.ids.push(id);
        let text = self.tokenizer.decode(&self.ids)?;
        if text.ends_with('\u{FFFD}') || text.len() < self.printed {
            return Ok(String::new()); // an incomplete character: wait for more
        }
        let piece = text.get(self.printed..).unwrap_or_default().to_string();
        self.printed = text.len();
        Ok(piece)
    }

    /// Everything decoded so far.
    pub fn text(&self) -> Result<String, LoadError> {
        self.tokenizer.decode(&self.ids)
    }
}
