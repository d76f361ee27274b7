//! Validation of a [`DecoderConfig`]: every size against its cap and against the
//! others, then against the tensors of the checkpoint, before anything is sized
//! from it. Errors are [`LoadError::InvalidField`] naming the field as the file
//! spells it (`num_hidden_layers` in config.json, `llama.block_count` in GGUF).

use super::config::DecoderConfig;
use crate::loaders::gguf::GgufFile;
use crate::loaders::limits::*;
use crate::loaders::{LoadError, SafetensorsFile};
use std::path::Path;

/// What the checkpoint's format calls each field of a [`DecoderConfig`].
pub(crate) struct FieldNames {
    vocab: String,
    hidden: String,
    intermediate: String,
    layers: String,
    heads: String,
    kv_heads: String,
    head_dim: String,
    eps: String,
    theta: String,
    context: String,
    rope_dims: String,
    bos: String,
    qkv_bias: String,
}

impl FieldNames {
    /// config.json's names.
    pub(crate) fn hf() -> FieldNames {
        FieldNames {
            vocab: "vocab_size".into(),
            hidden: "hidden_size".into(),
            intermediate: "intermediate_size".into(),
            layers: "num_hidden_layers".into(),
            heads: "num_attention_heads".into(),
            kv_heads: "num_key_value_heads".into(),
            head_dim: "head_dim".into(),
            eps: "rms_norm_eps".into(),
            theta: "rope_theta".into(),
            context: "max_position_embeddings".into(),
            rope_dims: "head_dim".into(),
            bos: "bos_token_id".into(),
            qkv_bias: "attention_bias".into(),
        }
    }

    /// GGUF's `{arch}.*` keys.
    pub(crate) fn gguf(arch: &str) -> FieldNames {
        let key = |k: &str| format!("{arch}.{k}");
        FieldNames {
            vocab: key("vocab_size"),
            hidden: key("embedding_length"),
            intermediate: key("feed_forward_length"),
            layers: key("block_count"),
            heads: key("attention.head_count"),
            kv_heads: key("attention.head_count_kv"),
            head_dim: key("attention.key_length"),
            eps: key("attention.layer_norm_rms_epsilon"),
            theta: key("rope.freq_base"),
            context: key("context_length"),
            rope_dims: key("rope.dimension_count"),
            bos: "tokenizer.ggml.bos_token_id".into(),
            qkv_bias: "blk.0.attn_q.bias".into(),
        }
    }
}

impl DecoderConfig {
    /// Check every size against its cap and the others. `head_dim_given`: the
    /// file named the head width (else it is `hidden / heads`, which must divide).
    pub(crate) fn validate(
        &self,
        path: &Path,
        names: &FieldNames,
        head_dim_given: bool,
    ) -> Result<(), LoadError> {
        let check = FieldCheck::new(path);
        check.count(&names.layers, self.num_layers, MAX_LAYERS)?;
        check.count(&names.hidden, self.hidden_size, MAX_HIDDEN)?;
        check.count(
            &names.intermediate,
            self.intermediate_size,
            MAX_INTERMEDIATE,
        )?;
        check.count(&names.vocab, self.vocab_size, MAX_VOCAB)?;
        check.count(&names.heads, self.num_heads, MAX_HEADS)?;
        check.count(&names.kv_heads, self.num_kv_heads, MAX_HEADS)?;
        check.divides(
            &names.kv_heads,
            self.num_kv_heads,
            &names.heads,
            self.num_heads,
        )?;
        if !head_dim_given {
            check.divides(
                &names.heads,
                self.num_heads,
                &names.hidden,
                self.hidden_size,
            )?;
        }
        check.count(&names.head_dim, self.head_dim, MAX_HEAD_DIM)?;
        if !self.head_dim.is_multiple_of(2) {
            return Err(check.error(
                &names.head_dim,
                format!("{} is odd (rotary pairs need an even head)", self.head_dim),
            ));
        }
        check.count(&names.context, self.max_position_embeddings, MAX_CONTEXT)?;
        let table = self.max_position_embeddings * (self.head_dim / 2);
        if table > MAX_ROPE_TABLE {
            return Err(check.error(
                &names.context,
                format!(
                    "{} positions of {} rotary pairs exceed the table cap of {MAX_ROPE_TABLE}",
                    self.max_position_embeddings,
                    self.head_dim / 2
                ),
            ));
        }
        check.positive(&names.theta, self.rope_theta, MAX_ROPE_THETA)?;
        if self.qk_norm() && self.qkv_bias {
            return Err(check.error(
                &names.qkv_bias,
                "q/k projection biases with per-head q/k norms (Qwen3 with attention_bias) \
                 are not supported",
            ));
        }
        check.positive(&names.eps, f64::from(self.rms_norm_eps), 1.0)?;
        if let Some(id) = self
            .bos_token_id
            .filter(|&id| id as usize >= self.vocab_size)
        {
            return Err(check.error(
                &names.bos,
                format!("{id} is outside the vocabulary of {}", self.vocab_size),
            ));
        }
        Ok(())
    }

    /// GGUF's rotary width must be the whole head (partial rotary is not supported).
    pub(crate) fn check_rope_dims(
        &self,
        path: &Path,
        names: &FieldNames,
        dims: usize,
    ) -> Result<(), LoadError> {
        let check = FieldCheck::new(path);
        if dims > self.head_dim {
            return Err(check.error(
                &names.rope_dims,
                format!("{dims} exceeds the head width {}", self.head_dim),
            ));
        }
        if dims != self.head_dim {
            return Err(check.error(
                &names.rope_dims,
                format!(
                    "partial rotary ({dims} of {} dims) is not supported",
                    self.head_dim
                ),
            ));
        }
        Ok(())
    }

    /// The GGUF file holds the token table this config describes and every
    /// layer it claims (checked before any layer is built).
    pub fn check_against_gguf(&self, file: &GgufFile) -> Result<(), LoadError> {
        let names = FieldNames::gguf(self.family.name());
        let check = FieldCheck::new(&file.path);
        let rows = |name: &str| file.tensor(name).map(|t| t.dims.clone());
        let table = rows("token_embd.weight").ok_or_else(|| LoadError::MissingTensor {
            path: file.path.clone(),
            tensor: "token_embd.weight".into(),
        })?;
        let expected = [self.hidden_size as u64, self.vocab_size as u64];
        if table.first() != Some(&expected[0]) {
            return Err(check.error(
                &names.hidden,
                format!(
                    "{} disagrees with token_embd.weight's dims {table:?}",
                    self.hidden_size
                ),
            ));
        }
        if table.get(1) != Some(&expected[1]) {
            return Err(check.error(
                &names.vocab,
                format!(
                    "{} disagrees with token_embd.weight's dims {table:?}",
                    self.vocab_size
                ),
            ));
        }
        let last = format!("blk.{}.attn_norm.weight", self.num_layers.max(1) - 1);
        if file.tensor(&last).is_none() {
            return Err(check.error(
                &names.layers,
                format!("{} layers, but the file has no {last}", self.num_layers),
            ));
        }
        Ok(())
    }

    /// The safetensors file holds the token table this config describes and
    /// every layer it claims (checked before any layer is built). `config`
    /// names the config.json in errors.
    pub fn check_against_safetensors(
        &self,
        config: &Path,
        file: &SafetensorsFile,
    ) -> Result<(), LoadError> {
        let names = FieldNames::hf();
        let check = FieldCheck::new(config);
        let table = "model.embed_tokens.weight";
        let shape = file.info(table)?.shape.clone();
        if shape.first() != Some(&self.vocab_size) {
            return Err(check.error(
                &names.vocab,
                format!(
                    "{} disagrees with {table}'s shape {shape:?}",
                    self.vocab_size
                ),
            ));
        }
        if shape.get(1) != Some(&self.hidden_size) {
            return Err(check.error(
                &names.hidden,
                format!(
                    "{} disagrees with {table}'s shape {shape:?}",
                    self.hidden_size
                ),
            ));
        }
        let last = format!(
            "model.layers.{}.input_layernorm.weight",
            self.num_layers.max(1) - 1
        );
        if file.info(&last).is_err() {
            return Err(check.error(
                &names.layers,
                format!("{} layers, but the weights have no {last}", self.num_layers),
            ));
        }
        Ok(())
    }
}
