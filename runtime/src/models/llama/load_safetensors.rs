//! Build a [`Decoder`] from a Hugging Face folder: `config.json` and
//! `model.safetensors` (f32, f16 or bf16 weights). f16 and bf16 matrices stay
//! in their format on the device (as [`crate::quant::QuantFormat`] F16 / BF16
//! blocks) when their rows are a multiple of 32 long; everything else is
//! uploaded as f32.

use super::config::DecoderConfig;
use super::decoder::{Decoder, DecoderLayer};
use super::host_matrix::{upload_stacked, HostMatrix};
use super::qk_norm::QkNorm;
use super::rope_tables::RopeTables;
use crate::error::Result;
use crate::loaders::SafetensorsFile;
use crate::nn::{Linear, Weight};
use crate::tensor::Tensor;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Uploads named tensors, checking each shape against the config first.
struct Uploader<'a> {
    file: &'a SafetensorsFile,
    device: &'a Arc<dyn Device>,
}

impl Uploader<'_> {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        self.file.expect_shape(name, shape)?;
        let values = self.file.to_f32(name)?;
        Tensor::from_f32(self.device, &values, shape, DType::F32)
    }

    /// A `[rows, cols]` matrix in host memory: f16 / bf16 as F16 / BF16
    /// blocks when the rows are whole blocks, else f32.
    fn host_matrix(&self, name: &str, rows: usize, cols: usize) -> Result<HostMatrix> {
        let info = self.file.expect_shape(name, &[rows, cols])?;
        match info.dtype.block_format(cols) {
            Some(format) => {
                let bytes = self.file.raw_bytes(name)?.to_vec();
                HostMatrix::blocks(format, rows, cols, bytes)
            }
            None => HostMatrix::f32(rows, cols, self.file.to_f32(name)?),
        }
    }

    /// A `[rows, cols]` matrix on the device (split by rows when beyond one binding).
    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Weight> {
        self.host_matrix(name, rows, cols)?.upload(self.device)
    }

    /// The matrices `{prefix}.{part}.weight` (`rows` each) stacked by rows.
    fn stacked(&self, prefix: &str, parts: &[(&str, usize)], cols: usize) -> Result<Weight> {
        let host = parts
            .iter()
            .map(|(part, rows)| self.host_matrix(&format!("{prefix}.{part}.weight"), *rows, cols))
            .collect::<Result<Vec<_>>>()?;
        upload_stacked(self.device, host)
    }

    /// The biases `{prefix}.{part}.bias` stacked into one vector.
    fn stacked_bias(&self, prefix: &str, parts: &[(&str, usize)]) -> Result<Tensor> {
        let mut values = Vec::new();
        for (part, rows) in parts {
            let name = format!("{prefix}.{part}.bias");
            self.file.expect_shape(&name, &[*rows])?;
            values.extend(self.file.to_f32(&name)?);
        }
        Tensor::from_f32(self.device, &values, &[values.len()], DType::F32)
    }

    fn projection(&self, name: &str, out: usize, inp: usize) -> Result<Linear> {
        Linear::new(self.matrix(&format!("{name}.weight"), out, inp)?, None)
    }
}

/// Load a decoder from `dir` (`config.json` + `model.safetensors`). A missing
/// tensor or a wrong shape is a `LoadError` naming the file and the tensor.
pub fn load_safetensors_decoder(dir: &Path, device: &Arc<dyn Device>) -> Result<Decoder> {
    let config_path = dir.join("config.json");
    let config = DecoderConfig::from_hf_file(&config_path)?;
    let file = SafetensorsFile::open(&dir.join("model.safetensors"))?;
    config.check_against_safetensors(&config_path, &file)?;
    decoder_from_safetensors(config, &file, device)
}

/// Build the decoder `config` describes from the tensors of `file`.
pub fn decoder_from_safetensors(
    config: DecoderConfig,
    file: &SafetensorsFile,
    device: &Arc<dyn Device>,
) -> Result<Decoder> {
    let up = Uploader { file, device };
    let (hidden, inter) = (config.hidden_size, config.intermediate_size);
    let q_width = config.num_heads * config.head_dim;
    let kv_width = config.num_kv_heads * config.head_dim;
    let bias = config.qkv_bias;
    let mut layers = Vec::new();
    let qkv = [
        ("q_proj", q_width),
        ("k_proj", kv_width),
        ("v_proj", kv_width),
    ];
    let gate_up = [("gate_proj", inter), ("up_proj", inter)];
    for i in 0..config.num_layers {
        let p = format!("model.layers.{i}");
        let attn = format!("{p}.self_attn");
        layers.push(DecoderLayer {
            attn_norm: up.tensor(&format!("{p}.input_layernorm.weight"), &[hidden])?,
            qkv: Linear::new(
                up.stacked(&attn, &qkv, hidden)?,
                match bias {
                    true => Some(up.stacked_bias(&attn, &qkv)?),
                    false => None,
                },
            )?,
            qk_norm: match config.qk_norm() {
                true => Some(QkNorm {
                    q: up.tensor(&format!("{attn}.q_norm.weight"), &[config.head_dim])?,
                    k: up.tensor(&format!("{attn}.k_norm.weight"), &[config.head_dim])?,
                }),
                false => None,
            },
            o: up.projection(&format!("{attn}.o_proj"), hidden, q_width)?,
            mlp_norm: up.tensor(&format!("{p}.post_attention_layernorm.weight"), &[hidden])?,
            gate_up: Linear::new(up.stacked(&format!("{p}.mlp"), &gate_up, hidden)?, None)?,
            down: up.projection(&format!("{p}.mlp.down_proj"), hidden, inter)?,
        });
    }
    let embed = up.matrix("model.embed_tokens.weight", config.vocab_size, hidden)?;
    let has_head = file.names().contains(&"lm_head.weight");
    let lm_head = if config.tie_word_embeddings && !has_head {
        embed.clone()
    } else {
        up.matrix("lm_head.weight", config.vocab_size, hidden)?
    };
    let rope = RopeTables::scaled(
        device,
        config.head_dim,
        config.rope_theta,
        config.max_position_embeddings,
        config.rope_freq_factors().as_deref(),
    )?;
    Ok(Decoder {
        embed,
        layers,
        final_norm: up.tensor("model.norm.weight", &[hidden])?,
        lm_head: Linear::new(lm_head, None)?,
        rope,
        config,
    })
}
