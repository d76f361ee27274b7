//! BERT architecture and pooling configuration, read from the checkpoint's JSON.

use crate::loaders::limits::{
    FieldCheck, MAX_CONTEXT, MAX_HEADS, MAX_HIDDEN, MAX_INTERMEDIATE, MAX_LAYERS, MAX_VOCAB,
};
use crate::loaders::LoadError;
use serde::Deserialize;
use std::path::Path;

/// The fields of a Hugging Face BERT `config.json` that shape the model.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct BertConfig {
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Attention heads per layer.
    pub num_attention_heads: usize,
    /// Transformer layers.
    pub num_hidden_layers: usize,
    /// Width of the MLP.
    pub intermediate_size: usize,
    /// Layer-norm epsilon.
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    /// Rows of the position table.
    pub max_position_embeddings: usize,
    /// Rows of the token table.
    pub vocab_size: usize,
    /// Rows of the token-type table.
    #[serde(default = "default_type_vocab")]
    pub type_vocab_size: usize,
    /// MLP activation; only `gelu` (erf form) is supported.
    #[serde(default = "default_act")]
    pub hidden_act: String,
    /// Position embedding kind; only `absolute` is supported.
    #[serde(default = "default_position_type")]
    pub position_embedding_type: String,
}

fn default_eps() -> f64 {
    1e-12
}
fn default_type_vocab() -> usize {
    2
}
fn default_act() -> String {
    "gelu".into()
}
fn default_position_type() -> String {
    "absolute".into()
}

impl BertConfig {
    /// Read and validate `config.json`.
    pub fn from_file(path: &Path) -> Result<BertConfig, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        BertConfig::from_json(path, &text)
    }

    /// Parse and validate the text of a `config.json` (`path` names it in errors).
    pub fn from_json(path: &Path, text: &str) -> Result<BertConfig, LoadError> {
        let config: BertConfig = serde_json::from_str(text).map_err(|e| LoadError::BadConfig {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Check the sizes are usable: each positive and under its cap, the heads
    /// dividing the width, a finite positive epsilon. Errors name the field.
    pub fn validate(&self, path: &Path) -> Result<(), LoadError> {
        let bad = |message: String| {
            Err(LoadError::BadConfig {
                path: path.to_path_buf(),
                message,
            })
        };
        let check = FieldCheck::new(path);
        check.count("num_hidden_layers", self.num_hidden_layers, MAX_LAYERS)?;
        check.count("hidden_size", self.hidden_size, MAX_HIDDEN)?;
        check.count("num_attention_heads", self.num_attention_heads, MAX_HEADS)?;
        check.divides(
            "num_attention_heads",
            self.num_attention_heads,
            "hidden_size",
            self.hidden_size,
        )?;
        check.count(
            "intermediate_size",
            self.intermediate_size,
            MAX_INTERMEDIATE,
        )?;
        check.count(
            "max_position_embeddings",
            self.max_position_embeddings,
            MAX_CONTEXT,
        )?;
        check.count("vocab_size", self.vocab_size, MAX_VOCAB)?;
        check.count("type_vocab_size", self.type_vocab_size, MAX_VOCAB)?;
        check.positive("layer_norm_eps", self.layer_norm_eps, 1.0)?;
        if self.hidden_act != "gelu" {
            return bad(format!(
                "hidden_act {:?} is not supported (only \"gelu\")",
                self.hidden_act
            ));
        }
        if self.position_embedding_type != "absolute" {
            return bad(format!(
                "position_embedding_type {:?} is not supported",
                self.position_embedding_type
            ));
        }
        Ok(())
    }
}

/// sentence-transformers' `1_Pooling/config.json`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PoolingConfig {
    /// Mean over tokens.
    #[serde(default)]
    pub pooling_mode_mean_tokens: bool,
    /// The CLS token.
    #[serde(default)]
    pub pooling_mode_cls_token: bool,
    /// Max over tokens.
    #[serde(default)]
    pub pooling_mode_max_tokens: bool,
    /// Mean scaled by sqrt(len).
    #[serde(default)]
    pub pooling_mode_mean_sqrt_len_tokens: bool,
}

impl PoolingConfig {
    /// Read `1_Pooling/config.json`.
    pub fn from_file(path: &Path) -> Result<PoolingConfig, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| LoadError::BadConfig {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Whether this is plain mean pooling (the only mode implemented).
    pub fn is_mean_pooling(&self) -> bool {
        self.pooling_mode_mean_tokens
            && !self.pooling_mode_cls_token
            && !self.pooling_mode_max_tokens
            && !self.pooling_mode_mean_sqrt_len_tokens
    }
}
