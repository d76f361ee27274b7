//! Build a [`Decoder`] from a Hugging Face folder: `config.json` and
//! `model.safetensors` (f32, f16 or bf16 weights). f16 matrices stay f16 on the
//! device (as [`QuantFormat::F16`] blocks) when their rows are a multiple of
//! 32 long; everything else is uploaded as f32.

use super::config::DecoderConfig;
use super::decoder::{Decoder, DecoderLayer};
use super::rope_tables::RopeTables;
use super::weights::{Projection, WeightMatrix};
use crate::error::Result;
use crate::loaders::{SafetensorsFile, StDType};
use crate::quant::QuantFormat;
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

    /// A `[rows, cols]` matrix (split by rows when beyond one binding).
    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<WeightMatrix> {
        let info = self.file.expect_shape(name, &[rows, cols])?;
        let f16 = QuantFormat::F16;
        if info.dtype == StDType::F16 && cols.is_multiple_of(f16.block_values()) {
            let bytes = self.file.raw_bytes(name)?;
            return WeightMatrix::quantized(self.device, f16, rows, cols, bytes);
        }
        WeightMatrix::dense(self.device, &self.file.to_f32(name)?, rows, cols)
    }

    fn projection(&self, name: &str, out: usize, inp: usize, bias: bool) -> Result<Projection> {
        let weight = self.matrix(&format!("{name}.weight"), out, inp)?;
        let bias = match bias {
            true => Some(self.tensor(&format!("{name}.bias"), &[out])?),
            false => None,
        };
        Projection::new(weight, bias)
    }
}

/// Load a decoder from `dir` (`config.json` + `model.safetensors`). A missing
/// tensor or a wrong shape is a `LoadError` naming the file and the tensor.
pub fn load_safetensors_decoder(dir: &Path, device: &Arc<dyn Device>) -> Result<Decoder> {
    let config = DecoderConfig::from_hf_file(&dir.join("config.json"))?;
    let file = SafetensorsFile::open(&dir.join("model.safetensors"))?;
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
    let mut layers = Vec::with_capacity(config.num_layers);
    for i in 0..config.num_layers {
        let p = format!("model.layers.{i}");
        layers.push(DecoderLayer {
            attn_norm: up.tensor(&format!("{p}.input_layernorm.weight"), &[hidden])?,
            q: up.projection(&format!("{p}.self_attn.q_proj"), q_width, hidden, bias)?,
            k: up.projection(&format!("{p}.self_attn.k_proj"), kv_width, hidden, bias)?,
            v: up.projection(&format!("{p}.self_attn.v_proj"), kv_width, hidden, bias)?,
            o: up.projection(&format!("{p}.self_attn.o_proj"), hidden, q_width, false)?,
            mlp_norm: up.tensor(&format!("{p}.post_attention_layernorm.weight"), &[hidden])?,
            gate: up.projection(&format!("{p}.mlp.gate_proj"), inter, hidden, false)?,
            up: up.projection(&format!("{p}.mlp.up_proj"), inter, hidden, false)?,
            down: up.projection(&format!("{p}.mlp.down_proj"), hidden, inter, false)?,
        });
    }
    let embed = up.matrix("model.embed_tokens.weight", config.vocab_size, hidden)?;
    let has_head = file.names().contains(&"lm_head.weight");
    let lm_head = if config.tie_word_embeddings && !has_head {
        embed.clone()
    } else {
        up.matrix("lm_head.weight", config.vocab_size, hidden)?
    };
    let rope = RopeTables::new(
        device,
        config.head_dim,
        config.rope_theta,
        config.max_position_embeddings,
    )?;
    Ok(Decoder {
        embed,
        layers,
        final_norm: up.tensor("model.norm.weight", &[hidden])?,
        lm_head,
        rope,
        config,
    })
}
