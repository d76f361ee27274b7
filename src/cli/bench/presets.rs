//! Decoder shapes of known models for `tessera bench generate`: random weights
//! of these shapes cost what the real checkpoints cost, with nothing to download.

use tessera_runtime::models::llama::{DecoderConfig, Family, Llama3RopeScaling};

/// Names [`preset_config`] knows, for messages.
pub const PRESET_NAMES: &str = "qwen2.5-0.5b, llama-3.2-1b or tiny";

/// The shapes of a known model: `qwen2.5-0.5b`, `llama-3.2-1b`, or `tiny`
/// (a 2-layer model for quick runs on software adapters).
pub fn preset_config(name: &str) -> Option<DecoderConfig> {
    let base = DecoderConfig {
        family: Family::Llama,
        vocab_size: 512,
        hidden_size: 256,
        intermediate_size: 768,
        num_layers: 2,
        num_heads: 8,
        num_kv_heads: 2,
        head_dim: 32,
        rms_norm_eps: 1e-5,
        rope_theta: 500000.0,
        rope_scaling: None,
        max_position_embeddings: 2048,
        sliding_window: None,
        tie_word_embeddings: false,
        qkv_bias: false,
        bos_token_id: None,
        eos_token_ids: Vec::new(),
    };
    Some(match name {
        "tiny" => base,
        "qwen2.5-0.5b" => DecoderConfig {
            family: Family::Qwen2,
            vocab_size: 151936,
            hidden_size: 896,
            intermediate_size: 4864,
            num_layers: 24,
            num_heads: 14,
            num_kv_heads: 2,
            head_dim: 64,
            rms_norm_eps: 1e-6,
            rope_theta: 1000000.0,
            max_position_embeddings: 32768,
            tie_word_embeddings: true,
            qkv_bias: true,
            ..base
        },
        "llama-3.2-1b" => DecoderConfig {
            vocab_size: 128256,
            hidden_size: 2048,
            intermediate_size: 8192,
            num_layers: 16,
            num_heads: 32,
            num_kv_heads: 8,
            head_dim: 64,
            max_position_embeddings: 131072,
            rope_scaling: Some(Llama3RopeScaling {
                factor: 32.0,
                low_freq_factor: 1.0,
                high_freq_factor: 4.0,
                original_max_position_embeddings: 8192,
            }),
            tie_word_embeddings: true,
            ..base
        },
        _ => return None,
    })
}
