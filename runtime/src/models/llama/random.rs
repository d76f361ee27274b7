//! Random-weight decoders of any shape, for benchmarks and scheduling tests:
//! no checkpoint download, the same bytes moved per token as a real model of
//! those shapes. Their outputs mean nothing; their cost is real.

use super::config::DecoderConfig;
use super::decoder::{Decoder, DecoderLayer};
use super::qk_norm::QkNorm;
use super::rope_tables::RopeTables;
use crate::error::{Error, Result};
use crate::generation::SplitMix64;
use crate::nn::{Linear, Weight};
use crate::quant::{quantize_rows, QuantFormat};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// How the weight matrices of a random decoder are stored on the device.
#[allow(non_camel_case_types)] // ggml's names: Q4_K, Q6_K
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WeightFormat {
    /// Dense f32.
    F32,
    /// f16 values in blocks ([`QuantFormat::F16`]).
    F16,
    /// bf16 values in blocks ([`QuantFormat::BF16`]).
    BF16,
    /// GGML Q8_0 blocks.
    Q8_0,
    /// GGML Q4_0 blocks.
    Q4_0,
    /// GGML Q4_1 blocks (scale and min).
    Q4_1,
    /// GGML Q5_0 blocks.
    Q5_0,
    /// GGML Q5_1 blocks (scale and min).
    Q5_1,
    /// GGML Q4_K super-blocks (every matrix, unlike llama.cpp's Q4_K_M mix);
    /// matrices whose rows are not a multiple of 256 values are Q5_0, as
    /// llama.cpp's quantizer stores them.
    Q4_K,
    /// GGML Q6_K super-blocks; rows that are not a multiple of 256 values are
    /// Q8_0 (llama.cpp's fallback for Q6_K).
    Q6_K,
}

impl WeightFormat {
    /// Parse `f32`, `f16`, `bf16`, `q8_0`, `q4_0`, `q4_1`, `q5_0`, `q5_1`, `q4_k` or
    /// `q6_k`.
    pub fn from_name(name: &str) -> Option<WeightFormat> {
        match name.to_ascii_lowercase().as_str() {
            "f32" => Some(WeightFormat::F32),
            "f16" => Some(WeightFormat::F16),
            "bf16" => Some(WeightFormat::BF16),
            "q8_0" | "q8" => Some(WeightFormat::Q8_0),
            "q4_0" | "q4" => Some(WeightFormat::Q4_0),
            "q4_1" => Some(WeightFormat::Q4_1),
            "q5_0" | "q5" => Some(WeightFormat::Q5_0),
            "q5_1" => Some(WeightFormat::Q5_1),
            "q4_k" => Some(WeightFormat::Q4_K),
            "q6_k" => Some(WeightFormat::Q6_K),
            _ => None,
        }
    }

    /// The name `from_name` takes.
    pub fn name(self) -> &'static str {
        match self {
            WeightFormat::F32 => "f32",
            WeightFormat::F16 => "f16",
            WeightFormat::BF16 => "bf16",
            WeightFormat::Q8_0 => "q8_0",
            WeightFormat::Q4_0 => "q4_0",
            WeightFormat::Q4_1 => "q4_1",
            WeightFormat::Q5_0 => "q5_0",
            WeightFormat::Q5_1 => "q5_1",
            WeightFormat::Q4_K => "q4_k",
            WeightFormat::Q6_K => "q6_k",
        }
    }
}

/// Seeded values in [-scale, scale) from the sampler's SplitMix64.
struct Uniform(SplitMix64);

impl Uniform {
    fn fill(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| ((self.0.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale)
            .collect()
    }
}

struct RandomUploader<'a> {
    device: &'a Arc<dyn Device>,
    format: WeightFormat,
    rng: Uniform,
}

impl RandomUploader<'_> {
    fn vector(&mut self, n: usize, center: f32, spread: f32) -> Result<Tensor> {
        let values: Vec<f32> = self
            .rng
            .fill(n, spread)
            .iter()
            .map(|v| v + center)
            .collect();
        Tensor::from_f32(self.device, &values, &[n], DType::F32)
    }

    fn matrix(&mut self, rows: usize, cols: usize) -> Result<Weight> {
        let n = rows.checked_mul(cols).ok_or_else(|| Error::TooLarge {
            op: "random_decoder",
            message: format!("{rows} x {cols} weights"),
        })?;
        let values = self.rng.fill(n, 1.0 / (cols as f32).sqrt());
        let format = match self.format {
            WeightFormat::F32 => {
                return Weight::dense(self.device, &values, rows, cols);
            }
            WeightFormat::F16 => QuantFormat::F16,
            WeightFormat::BF16 => QuantFormat::BF16,
            WeightFormat::Q8_0 => QuantFormat::Q8_0,
            WeightFormat::Q4_0 => QuantFormat::Q4_0,
            WeightFormat::Q4_1 => QuantFormat::Q4_1,
            WeightFormat::Q5_0 => QuantFormat::Q5_0,
            WeightFormat::Q5_1 => QuantFormat::Q5_1,
            WeightFormat::Q4_K => QuantFormat::Q4_K,
            WeightFormat::Q6_K => QuantFormat::Q6_K,
        };
        // K rows must be whole super-blocks; otherwise llama.cpp's fallbacks.
        let format = match (cols.is_multiple_of(format.group_values()), format) {
            (true, _) => format,
            (false, QuantFormat::Q4_K) => QuantFormat::Q5_0,
            (false, _) => QuantFormat::Q8_0,
        };
        let bytes = quantize_rows(format, &values, cols)?;
        Weight::quantized(self.device, format, rows, cols, &bytes)
    }

    fn projection(&mut self, rows: usize, cols: usize) -> Result<Linear> {
        Linear::new(self.matrix(rows, cols)?, None)
    }
}

/// A decoder shaped by `config` with seeded random weights stored as `format`
/// (norm and bias vectors stay f32). Rope tables cover `context` positions.
pub fn random_decoder(
    config: &DecoderConfig,
    format: WeightFormat,
    context: usize,
    seed: u64,
    device: &Arc<dyn Device>,
) -> Result<Decoder> {
    let mut up = RandomUploader {
        device,
        format,
        rng: Uniform(SplitMix64(seed)),
    };
    let (hidden, inter) = (config.hidden_size, config.intermediate_size);
    let q_width = config.num_heads * config.head_dim;
    let kv_width = config.num_kv_heads * config.head_dim;
    let bias = config.qkv_bias;
    let mut layers = Vec::with_capacity(config.num_layers);
    for _ in 0..config.num_layers {
        // q, k and v (gate and up) drawn as one stacked matrix: the same
        // distribution as separate ones, since they share their width.
        let qkv_rows = q_width + 2 * kv_width;
        layers.push(DecoderLayer {
            attn_norm: up.vector(hidden, 1.0, 0.1)?,
            qkv: {
                let weight = up.matrix(qkv_rows, hidden)?;
                let bias = match bias {
                    true => Some(up.vector(qkv_rows, 0.0, 0.1)?),
                    false => None,
                };
                Linear::new(weight, bias)?
            },
            qk_norm: match config.qk_norm() {
                true => Some(QkNorm {
                    q: up.vector(config.head_dim, 1.0, 0.1)?,
                    k: up.vector(config.head_dim, 1.0, 0.1)?,
                }),
                false => None,
            },
            o: up.projection(hidden, q_width)?,
            mlp_norm: up.vector(hidden, 1.0, 0.1)?,
            gate_up: Linear::new(up.matrix(2 * inter, hidden)?, None)?,
            down: up.projection(hidden, inter)?,
        });
    }
    let embed = up.matrix(config.vocab_size, hidden)?;
    let lm_head = match config.tie_word_embeddings {
        true => embed.clone(),
        false => up.matrix(config.vocab_size, hidden)?,
    };
    let positions = context.min(config.max_position_embeddings);
    let mut config = config.clone();
    config.max_position_embeddings = positions;
    Ok(Decoder {
        embed,
        layers,
        final_norm: up.vector(hidden, 1.0, 0.1)?,
        lm_head: Linear::new(lm_head, None)?,
        rope: RopeTables::scaled(
            device,
            config.head_dim,
            config.rope_theta,
            positions,
            config.rope_freq_factors().as_deref(),
        )?,
        config,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_format_names_round_trip() {
        use WeightFormat::*;
        for f in [F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K] {
            assert_eq!(WeightFormat::from_name(f.name()), Some(f));
            assert_eq!(WeightFormat::from_name(&f.name().to_uppercase()), Some(f));
        }
        assert_eq!(WeightFormat::from_name("q5"), Some(Q5_0));
        assert_eq!(WeightFormat::from_name("q5_k"), None);
    }
}
