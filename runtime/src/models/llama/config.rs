//! Decoder architecture (Llama, Mistral, Qwen2 and Qwen3 families), read from a
//! checkpoint's own metadata: `config.json` for safetensors, the `llama.*` /
//! `qwen2.*` / `qwen3.*` keys for GGUF.

use crate::loaders::gguf::GgufFile;
use crate::loaders::LoadError;
use serde::Deserialize;
use std::path::Path;

use super::config_check::FieldNames;
use super::rope_scaling::Llama3RopeScaling;
pub use crate::loaders::limits::MAX_CONTEXT;

/// Which decoder family a checkpoint belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Llama (1, 2, 3.x) and relatives: no attention biases.
    Llama,
    /// Qwen2 / Qwen2.5: biases on the q, k and v projections.
    Qwen2,
    /// Qwen3: an RMSNorm on each query and key head before the rotation, no
    /// biases, a head width of its own.
    Qwen3,
}

impl Family {
    /// The family's name as in GGUF's `general.architecture`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Llama => "llama",
            Family::Qwen2 => "qwen2",
            Family::Qwen3 => "qwen3",
        }
    }
}

/// Everything that shapes a decoder.
#[derive(Clone, Debug, PartialEq)]
pub struct DecoderConfig {
    /// Architecture family.
    pub family: Family,
    /// Rows of the token table (and of the output head).
    pub vocab_size: usize,
    /// Width of the hidden states.
    pub hidden_size: usize,
    /// Width of the gated MLP.
    pub intermediate_size: usize,
    /// Transformer layers.
    pub num_layers: usize,
    /// Query heads.
    pub num_heads: usize,
    /// Key/value heads (grouped-query attention when fewer than `num_heads`).
    pub num_kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// RMSNorm epsilon.
    pub rms_norm_eps: f32,
    /// Rotary base.
    pub rope_theta: f64,
    /// Llama 3.x rotary scaling from config.json, if any (a GGUF file carries
    /// its result as the `rope_freqs.weight` tensor instead).
    pub rope_scaling: Option<Llama3RopeScaling>,
    /// Longest context we run: the model's, capped at its sliding attention
    /// window (within the window, full causal attention is what the window
    /// computes).
    pub max_position_embeddings: usize,
    /// Mistral's sliding attention window, as the config gives it.
    pub sliding_window: Option<usize>,
    /// The output head reuses the token table.
    pub tie_word_embeddings: bool,
    /// q, k and v projections have biases.
    pub qkv_bias: bool,
    /// Beginning-of-sequence id, when the checkpoint names one.
    pub bos_token_id: Option<u32>,
    /// End-of-sequence ids (generation stops at any of them).
    pub eos_token_ids: Vec<u32>,
}

/// The fields of a Hugging Face `config.json` we read.
#[derive(Deserialize)]
struct HfConfig {
    model_type: Option<String>,
    #[serde(default)]
    architectures: Vec<String>,
    vocab_size: usize,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    rms_norm_eps: f64,
    rope_theta: Option<f64>,
    /// transformers 5 keeps the rope base (and any scaling) here.
    rope_parameters: Option<serde_json::Value>,
    max_position_embeddings: usize,
    #[serde(default)]
    tie_word_embeddings: bool,
    attention_bias: Option<bool>,
    #[serde(default = "default_act")]
    hidden_act: String,
    rope_scaling: Option<serde_json::Value>,
    sliding_window: Option<serde_json::Value>,
    use_sliding_window: Option<bool>,
    bos_token_id: Option<u32>,
    eos_token_id: Option<serde_json::Value>,
}

fn default_act() -> String {
    "silu".into()
}

fn bad(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError::BadConfig {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

impl DecoderConfig {
    /// Read and validate a Hugging Face `config.json` (Llama or Qwen2).
    pub fn from_hf_file(path: &Path) -> Result<DecoderConfig, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        DecoderConfig::from_hf_json(path, &text)
    }

    /// Parse and validate the text of a `config.json` (`path` names it in errors).
    pub fn from_hf_json(path: &Path, text: &str) -> Result<DecoderConfig, LoadError> {
        let hf: HfConfig = serde_json::from_str(text).map_err(|e| bad(path, e.to_string()))?;
        let model_type = hf
            .model_type
            .clone()
            .or_else(|| hf.architectures.first().map(|a| a.to_lowercase()))
            .unwrap_or_default();
        let family = if model_type.starts_with("qwen2") && !model_type.contains("moe") {
            Family::Qwen2
        } else if model_type == "qwen3" || model_type == "qwen3forcausallm" {
            Family::Qwen3
        } else if model_type.starts_with("llama") || model_type.starts_with("mistral") {
            Family::Llama
        } else {
            return Err(bad(
                path,
                format!(
                    "model_type {model_type:?} is not a Llama, Mistral, Qwen2 or Qwen3 decoder"
                ),
            ));
        };
        if hf.hidden_act != "silu" {
            return Err(bad(
                path,
                format!("hidden_act {:?} (only silu)", hf.hidden_act),
            ));
        }
        let params = hf.rope_parameters.as_ref().filter(|v| !v.is_null());
        let rope_scaling = Llama3RopeScaling::from_hf(
            path,
            hf.rope_scaling.as_ref().filter(|v| !v.is_null()).or(params),
        )?;
        let sliding_window = sliding_window(path, &hf, &model_type)?;
        let rope_theta = hf
            .rope_theta
            .or_else(|| params?.get("rope_theta")?.as_f64())
            .unwrap_or(10000.0);
        // Ids beyond u32 are dropped, never truncated into another id.
        let as_id = |v: &serde_json::Value| u32::try_from(v.as_u64()?).ok();
        let eos_token_ids = match &hf.eos_token_id {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(n @ serde_json::Value::Number(_)) => as_id(n).into_iter().collect(),
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(as_id).collect(),
            Some(other) => return Err(bad(path, format!("eos_token_id {other} is not an id"))),
        };
        let num_kv_heads = hf.num_key_value_heads.unwrap_or(hf.num_attention_heads);
        let head_dim = match hf.head_dim {
            Some(d) => d,
            None if hf.num_attention_heads > 0 => hf.hidden_size / hf.num_attention_heads,
            None => 0,
        };
        let head_dim_given = hf.head_dim.is_some();
        let config = DecoderConfig {
            family,
            vocab_size: hf.vocab_size,
            hidden_size: hf.hidden_size,
            intermediate_size: hf.intermediate_size,
            num_layers: hf.num_hidden_layers,
            num_heads: hf.num_attention_heads,
            num_kv_heads,
            head_dim,
            rms_norm_eps: hf.rms_norm_eps as f32,
            rope_theta,
            rope_scaling,
            max_position_embeddings: sliding_window.map_or(hf.max_position_embeddings, |w| {
                w.min(hf.max_position_embeddings)
            }),
            sliding_window,
            tie_word_embeddings: hf.tie_word_embeddings,
            qkv_bias: hf.attention_bias.unwrap_or(family == Family::Qwen2),
            bos_token_id: hf.bos_token_id,
            eos_token_ids,
        };
        config.validate(path, &FieldNames::hf(), head_dim_given)?;
        Ok(config)
    }

    /// Read and validate the `{arch}.*` keys of a GGUF header. The head is tied
    /// when the file has no `output.weight`.
    pub fn from_gguf(file: &GgufFile) -> Result<DecoderConfig, LoadError> {
        let path = file.path.as_path();
        let arch = file.architecture()?.to_string();
        let family = match arch.as_str() {
            "llama" => Family::Llama,
            "qwen2" => Family::Qwen2,
            "qwen3" => Family::Qwen3,
            other => {
                return Err(bad(
                    path,
                    format!("architecture {other:?} is not supported (llama, qwen2, qwen3)"),
                ))
            }
        };
        // Scaling llama.cpp applies from metadata (linear, YaRN) is refused;
        // Llama 3's comes as the rope_freqs.weight tensor, read with the weights.
        let scaling_key = format!("{arch}.rope.scaling.type");
        if file.get(&scaling_key).is_some() {
            let kind = file.require_str(&scaling_key)?;
            if kind != "none" {
                return Err(bad(
                    path,
                    format!("{scaling_key} {kind:?} is not supported"),
                ));
            }
        }
        let int = |key: &str| -> Result<usize, LoadError> {
            let full = format!("{arch}.{key}");
            file.get_u64(&full)
                .and_then(|v| usize::try_from(v).ok())
                .ok_or_else(|| bad(path, format!("{full} is missing or not an integer")))
        };
        let float = |key: &str| file.get(&format!("{arch}.{key}"))?.as_f64();
        let hidden_size = int("embedding_length")?;
        let num_heads = int("attention.head_count")?;
        let num_kv_heads = int("attention.head_count_kv").unwrap_or(num_heads);
        let head_dim_given = int("attention.key_length").ok();
        let head_dim = match head_dim_given {
            Some(d) => d,
            None if num_heads > 0 => hidden_size / num_heads,
            None => 0,
        };
        let token_rows = file
            .tensor("token_embd.weight")
            .and_then(|t| t.dims.get(1).copied())
            .and_then(|v| usize::try_from(v).ok());
        let vocab_size = int("vocab_size").ok().or(token_rows).ok_or_else(|| {
            bad(
                path,
                format!("no vocab size (neither {arch}.vocab_size nor token_embd)"),
            )
        })?;
        // An id beyond u32 is dropped, never truncated into another id.
        let id = |key: &str| file.get_u32(key);
        let config = DecoderConfig {
            family,
            vocab_size,
            hidden_size,
            intermediate_size: int("feed_forward_length")?,
            num_layers: int("block_count")?,
            num_heads,
            num_kv_heads,
            head_dim,
            rms_norm_eps: float("attention.layer_norm_rms_epsilon").ok_or_else(|| {
                bad(
                    path,
                    format!("{arch}.attention.layer_norm_rms_epsilon is missing"),
                )
            })? as f32,
            rope_theta: float("rope.freq_base").unwrap_or(10000.0),
            rope_scaling: None,
            max_position_embeddings: int("context_length")?,
            sliding_window: None,
            tie_word_embeddings: file.tensor("output.weight").is_none(),
            qkv_bias: file.tensor("blk.0.attn_q.bias").is_some(),
            bos_token_id: id("tokenizer.ggml.bos_token_id"),
            eos_token_ids: id("tokenizer.ggml.eos_token_id").into_iter().collect(),
        };
        let names = FieldNames::gguf(&arch);
        config.validate(path, &names, head_dim_given.is_some())?;
        if let Ok(dims) = int("rope.dimension_count") {
            config.check_rope_dims(path, &names, dims)?;
        }
        Ok(config)
    }

    /// Whether each query and key head has an RMSNorm before the rotation (Qwen3).
    pub fn qk_norm(&self) -> bool {
        self.family == Family::Qwen3
    }

    /// The per-pair divisors of the rotary frequencies config.json's
    /// `rope_scaling` implies (`None` without scaling).
    pub fn rope_freq_factors(&self) -> Option<Vec<f32>> {
        self.rope_scaling
            .map(|s| s.freq_factors(self.head_dim, self.rope_theta))
    }

    /// Query heads that share one key/value head.
    pub fn group_size(&self) -> usize {
        self.num_heads / self.num_kv_heads
    }
}

/// Mistral's sliding window (`None` for other families, for `null`, and for
/// Qwen2 configs that keep `use_sliding_window` off). A window must be a
/// positive count within the context cap; Qwen2's own sliding window, when
/// switched on, is refused (it applies to some layers only).
fn sliding_window(
    path: &Path,
    hf: &HfConfig,
    model_type: &str,
) -> Result<Option<usize>, LoadError> {
    let value = hf.sliding_window.as_ref().filter(|v| !v.is_null());
    if hf.use_sliding_window == Some(true) && !model_type.starts_with("mistral") {
        return Err(bad(
            path,
            "use_sliding_window (per-layer windows) is not supported",
        ));
    }
    let Some(value) = value.filter(|_| model_type.starts_with("mistral")) else {
        return Ok(None);
    };
    let window = value
        .as_u64()
        .and_then(|v| usize::try_from(v).ok())
        .ok_or_else(|| bad(path, format!("sliding_window {value} is not a count")))?;
    crate::loaders::limits::FieldCheck::new(path).count("sliding_window", window, MAX_CONTEXT)?;
    Ok(Some(window))
}
