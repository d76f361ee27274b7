//! Build a [`Decoder`] from a GGUF file (llama.cpp's layout): config from the
//! `llama.*` / `qwen2.*` keys; Q8_0, Q4_0 and F16 matrices kept in their
//! format on the device (F16 rows whose length is not a multiple of 32, F32 and
//! BF16 tensors, and all vectors uploaded as f32).
//!
//! llama.cpp's converter stores the rows of Llama's q and k projections in the
//! interleaved rotary layout (within each head, rows `2i` and `2i + 1` hold
//! what Hugging Face keeps in rows `i` and `i + head_dim / 2`). We undo that
//! row permutation at load time, on the raw rows (quantized blocks run along a
//! row, so whole rows move intact), so the half-split rope kernel serves both
//! formats. Qwen2 files are not permuted (llama.cpp runs them with NEOX rope).

use super::config::{DecoderConfig, Family};
use super::decoder::{Decoder, DecoderLayer};
use super::rope_tables::RopeTables;
use super::weights::{Projection, WeightMatrix};
use crate::error::Result;
use crate::generation::DecoderTokenizer;
use crate::loaders::gguf::{GgmlType, GgufModelFile};
use crate::loaders::gguf_tokenizer::tokenizer_from_gguf;
use crate::loaders::LoadError;
use crate::quant::QuantFormat;
use crate::tensor::Tensor;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Load the decoder in the GGUF file at `path`.
pub fn load_gguf_decoder(path: &Path, device: &Arc<dyn Device>) -> Result<Decoder> {
    let file = GgufModelFile::open(path)?;
    let config = DecoderConfig::from_gguf(file.header())?;
    GgufUploader {
        file: &file,
        device,
        config: &config,
    }
    .decoder()
}

/// The tokenizer embedded in the GGUF file at `path`, or `None` when the file
/// has no `tokenizer.ggml.model`. An embedded tokenizer of a kind we cannot
/// build is an error that suggests `--tokenizer`.
pub fn gguf_tokenizer(path: &Path) -> Result<Option<DecoderTokenizer>, LoadError> {
    let file = GgufModelFile::open(path)?;
    if !file.header().metadata.contains_key("tokenizer.ggml.model") {
        return Ok(None);
    }
    let tokenizer = tokenizer_from_gguf(file.header())?;
    Ok(Some(DecoderTokenizer::new(tokenizer, path)))
}

/// Rows of a `[rows, cols]` matrix stored in llama.cpp's interleaved rotary
/// order, as indices into the file's rows: `hf_row[h*d + j*d/2 + i] =
/// file_row[h*d + 2i + j]`.
pub fn unpermute_rotary_rows(heads: usize, head_dim: usize) -> Vec<usize> {
    let half = head_dim / 2;
    let mut order = Vec::with_capacity(heads * head_dim);
    for h in 0..heads {
        for j in 0..2 {
            for i in 0..half {
                order.push(h * head_dim + 2 * i + j);
            }
        }
    }
    order
}

struct GgufUploader<'a> {
    file: &'a GgufModelFile,
    device: &'a Arc<dyn Device>,
    config: &'a DecoderConfig,
}

impl GgufUploader<'_> {
    /// Check `name` has GGML dims `[cols, rows]` (or `[cols]` when `rows` is None).
    fn expect_dims(&self, name: &str, cols: usize, rows: Option<usize>) -> Result<GgmlType> {
        let path = self.file.header().path.clone();
        let info = self
            .file
            .header()
            .tensor(name)
            .ok_or_else(|| LoadError::MissingTensor {
                path: path.clone(),
                tensor: name.to_string(),
            })?;
        let expected: Vec<usize> = std::iter::once(cols).chain(rows).collect();
        let found: Vec<usize> = info.dims.iter().map(|&d| d as usize).collect();
        if found != expected {
            return Err(LoadError::ShapeMismatch {
                path,
                tensor: name.to_string(),
                expected,
                found,
            }
            .into());
        }
        Ok(info.ggml_type)
    }

    fn vector(&self, name: &str, n: usize) -> Result<Tensor> {
        self.vector_in_order(name, n, None)
    }

    /// The `[n]` vector `name`, entries reordered by `order` when given.
    fn vector_in_order(&self, name: &str, n: usize, order: Option<&[usize]>) -> Result<Tensor> {
        self.expect_dims(name, n, None)?;
        let values = self.file.tensor_f32(name)?;
        let values = match order {
            Some(order) => permute_rows(&values, n, order),
            None => values,
        };
        Tensor::from_f32(self.device, &values, &[n], DType::F32)
    }

    /// The `[rows, cols]` matrix `name`, rows reordered by `order` when given.
    fn matrix(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
        order: Option<&[usize]>,
    ) -> Result<WeightMatrix> {
        let ggml_type = self.expect_dims(name, cols, Some(rows))?;
        let quant = match ggml_type {
            GgmlType::Q8_0 => Some(QuantFormat::Q8_0),
            GgmlType::Q4_0 => Some(QuantFormat::Q4_0),
            GgmlType::F16 if cols.is_multiple_of(QuantFormat::F16.block_values()) => {
                Some(QuantFormat::F16)
            }
            GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => None,
        };
        match quant {
            Some(format) => {
                let bytes = self.file.tensor_bytes(name)?;
                let bytes = match order {
                    Some(order) => permute_rows(bytes, rows, order),
                    None => bytes.to_vec(),
                };
                WeightMatrix::quantized(self.device, format, rows, cols, &bytes)
            }
            None => {
                let values = self.file.tensor_f32(name)?;
                let values = match order {
                    Some(order) => permute_rows(&values, rows, order),
                    None => values,
                };
                WeightMatrix::dense(self.device, &values, rows, cols)
            }
        }
    }

    fn projection(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
        bias: bool,
        order: Option<&[usize]>,
    ) -> Result<Projection> {
        let weight = self.matrix(&format!("{name}.weight"), rows, cols, order)?;
        let bias = match bias {
            true => Some(self.vector_in_order(&format!("{name}.bias"), rows, order)?),
            false => None,
        };
        Projection::new(weight, bias)
    }

    fn decoder(&self) -> Result<Decoder> {
        let config = self.config;
        let (hidden, inter) = (config.hidden_size, config.intermediate_size);
        let q_width = config.num_heads * config.head_dim;
        let kv_width = config.num_kv_heads * config.head_dim;
        let bias = config.qkv_bias;
        let (q_order, k_order) = match config.family {
            Family::Llama => (
                Some(unpermute_rotary_rows(config.num_heads, config.head_dim)),
                Some(unpermute_rotary_rows(config.num_kv_heads, config.head_dim)),
            ),
            Family::Qwen2 => (None, None),
        };
        let mut layers = Vec::with_capacity(config.num_layers);
        for i in 0..config.num_layers {
            let p = format!("blk.{i}");
            layers.push(DecoderLayer {
                attn_norm: self.vector(&format!("{p}.attn_norm.weight"), hidden)?,
                q: self.projection(
                    &format!("{p}.attn_q"),
                    q_width,
                    hidden,
                    bias,
                    q_order.as_deref(),
                )?,
                k: self.projection(
                    &format!("{p}.attn_k"),
                    kv_width,
                    hidden,
                    bias,
                    k_order.as_deref(),
                )?,
                v: self.projection(&format!("{p}.attn_v"), kv_width, hidden, bias, None)?,
                o: self.projection(&format!("{p}.attn_output"), hidden, q_width, false, None)?,
                mlp_norm: self.vector(&format!("{p}.ffn_norm.weight"), hidden)?,
                gate: self.projection(&format!("{p}.ffn_gate"), inter, hidden, false, None)?,
                up: self.projection(&format!("{p}.ffn_up"), inter, hidden, false, None)?,
                down: self.projection(&format!("{p}.ffn_down"), hidden, inter, false, None)?,
            });
        }
        let embed = self.matrix("token_embd.weight", config.vocab_size, hidden, None)?;
        let lm_head = match config.tie_word_embeddings {
            true => embed.clone(),
            false => self.matrix("output.weight", config.vocab_size, hidden, None)?,
        };
        Ok(Decoder {
            embed,
            layers,
            final_norm: self.vector("output_norm.weight", hidden)?,
            lm_head,
            rope: RopeTables::new(
                self.device,
                config.head_dim,
                config.rope_theta,
                config.max_position_embeddings,
            )?,
            config: config.clone(),
        })
    }
}

/// `rows` equal rows of `data`, reordered: row `r` of the result is row
/// `order[r]` of `data`.
fn permute_rows<T: Copy>(data: &[T], rows: usize, order: &[usize]) -> Vec<T> {
    let width = data.len() / rows.max(1);
    let mut out = Vec::with_capacity(data.len());
    for &r in order {
        out.extend_from_slice(&data[r * width..(r + 1) * width]);
    }
    out
}
