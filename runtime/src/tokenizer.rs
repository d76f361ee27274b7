//! Text to token ids through the `tokenizers` crate, configured as
//! sentence-transformers runs it: truncation at the model's max length, no padding.

use crate::loaders::LoadError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokenizers::{Tokenizer, TruncationParams};

/// A `tokenizer.json` with truncation set and padding off.
pub struct TextTokenizer {
    inner: Tokenizer,
    path: PathBuf,
    max_len: usize,
    truncated: AtomicUsize,
}

impl TextTokenizer {
    /// Load `tokenizer.json`, truncating to `max_len` tokens (special tokens
    /// included) and never padding, whatever the file says.
    pub fn from_file(path: &Path, max_len: usize) -> Result<TextTokenizer, LoadError> {
        let err = |message: String| LoadError::Tokenizer {
            path: path.to_path_buf(),
            message,
        };
        let inner = Tokenizer::from_file(path).map_err(|e| err(e.to_string()))?;
        TextTokenizer::configure(inner, path, max_len)
    }

    /// [`TextTokenizer::from_file`] from the bytes of a `tokenizer.json`
    /// (`path` names it in errors): the web's way in.
    pub fn from_bytes(
        path: &Path,
        bytes: &[u8],
        max_len: usize,
    ) -> Result<TextTokenizer, LoadError> {
        let inner = Tokenizer::from_bytes(bytes).map_err(|e| LoadError::Tokenizer {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        TextTokenizer::configure(inner, path, max_len)
    }

    fn configure(
        mut inner: Tokenizer,
        path: &Path,
        max_len: usize,
    ) -> Result<TextTokenizer, LoadError> {
        let err = |message: String| LoadError::Tokenizer {
            path: path.to_path_buf(),
            message,
        };
        // The web has no threads: batches are tokenized on the page's thread.
        if cfg!(target_arch = "wasm32") {
            tokenizers::utils::parallelism::set_parallelism(false);
        }
        inner
            .with_truncation(Some(TruncationParams {
                max_length: max_len,
                ..Default::default()
            }))
            .map_err(|e| err(e.to_string()))?;
        inner.with_padding(None);
        Ok(TextTokenizer {
            inner,
            path: path.to_path_buf(),
            max_len,
            truncated: AtomicUsize::new(0),
        })
    }

    /// The truncation length.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// How many inputs [`TextTokenizer::encode_batch`] has cut at
    /// [`TextTokenizer::max_len`] since this tokenizer was loaded.
    pub fn truncated_count(&self) -> usize {
        self.truncated.load(Ordering::Relaxed)
    }

    /// Rows of the vocabulary (with added tokens).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Token ids of each text, special tokens included; a text longer than
    /// [`TextTokenizer::max_len`] is cut (and counted, see
    /// [`TextTokenizer::truncated_count`]).
    pub fn encode_batch(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, LoadError> {
        texts
            .iter()
            .map(|t| {
                self.inner
                    .encode(*t, true)
                    .map(|e| {
                        if !e.get_overflowing().is_empty() {
                            self.truncated.fetch_add(1, Ordering::Relaxed);
                        }
                        e.get_ids().to_vec()
                    })
                    .map_err(|e| LoadError::Tokenizer {
                        path: self.path.clone(),
                        message: e.to_string(),
                    })
            })
            .collect()
    }
}
