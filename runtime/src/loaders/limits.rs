//! Caps on the sizes a model file may claim, and the checks that apply them.
//!
//! Every count and dimension read from a config.json, GGUF metadata or a
//! tokenizer passes through [`FieldCheck`] before anything is sized from it:
//! a value of zero, one beyond its cap, or one that disagrees with another is
//! a [`LoadError::InvalidField`] naming the field as the file spells it. The
//! caps are far above any published model (Llama-3.1-405B: 126 layers, hidden
//! 16,384, MLP 53,248, 128 heads; the largest vocabularies are about 256 K).

use super::LoadError;
use std::path::{Path, PathBuf};

/// Most transformer layers a model may claim.
pub const MAX_LAYERS: usize = 1024;
/// Widest hidden state.
pub const MAX_HIDDEN: usize = 1 << 16;
/// Widest MLP.
pub const MAX_INTERMEDIATE: usize = 1 << 18;
/// Largest vocabulary (rows of a token table).
pub const MAX_VOCAB: usize = 1 << 22;
/// Most attention heads.
pub const MAX_HEADS: usize = 1024;
/// Widest attention head.
pub const MAX_HEAD_DIM: usize = 1024;
/// Longest context a config may claim.
pub const MAX_CONTEXT: usize = 1 << 20;
/// Most entries of one rotary table (`context * head_dim / 2`): 256 MiB of f32.
pub const MAX_ROPE_TABLE: usize = 1 << 26;
/// Largest rotary base.
pub const MAX_ROPE_THETA: f64 = 1e12;
/// Largest rotary scaling parameter (Llama 3.1 uses 8, long-context variants 32).
pub const MAX_ROPE_SCALING_FACTOR: f64 = 1024.0;

/// Checks of the values of one file, each error naming the file and the field.
pub struct FieldCheck {
    path: PathBuf,
}

impl FieldCheck {
    /// Checks of values read from `path`.
    pub fn new(path: &Path) -> FieldCheck {
        FieldCheck {
            path: path.to_path_buf(),
        }
    }

    /// The typed error for `field`.
    pub fn error(&self, field: &str, message: impl Into<String>) -> LoadError {
        LoadError::InvalidField {
            path: self.path.clone(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// `value` lies in `1..=max`.
    pub fn count(&self, field: &str, value: usize, max: usize) -> Result<(), LoadError> {
        match value {
            0 => Err(self.error(field, "must be positive")),
            v if v > max => Err(self.error(field, format!("{v} exceeds the cap of {max}"))),
            _ => Ok(()),
        }
    }

    /// `value` is finite and in `(0, max]`.
    pub fn positive(&self, field: &str, value: f64, max: f64) -> Result<(), LoadError> {
        if value.is_finite() && value > 0.0 && value <= max {
            return Ok(());
        }
        Err(self.error(
            field,
            format!("{value} is not a finite number in (0, {max}]"),
        ))
    }

    /// `whole` is a multiple of `part` (`part` already checked positive).
    pub fn divides(
        &self,
        field: &str,
        part: usize,
        whole_name: &str,
        whole: usize,
    ) -> Result<(), LoadError> {
        if part == 0 || !whole.is_multiple_of(part) {
            return Err(self.error(
                field,
                format!("{part} does not divide {whole_name} {whole}"),
            ));
        }
        Ok(())
    }
}
