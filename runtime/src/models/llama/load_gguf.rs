//! Build a [`Decoder`] from a GGUF file (llama.cpp's layout): config from the
//! `llama.*` / `qwen2.*` / `qwen3.*` keys (Llama 3's rotary scaling from the
//! `rope_freqs.weight` tensor, Qwen3's q/k norms from `attn_{q,k}_norm`); Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q6_K, F16
//! and BF16 matrices kept in their format on the device (F16 / BF16 rows whose
//! length is not a multiple of 32, F32 tensors, and all vectors uploaded as
//! f32). A "Q4_K_M" file mixes Q4_K and Q6_K matrices, and Q5_0 / Q8_0 where
//! rows are not whole 256-value super-blocks (Qwen2.5-0.5B's 896); each
//! keeps its own format.
//!
//! llama.cpp's converter stores the rows of Llama's q and k projections in the
//! interleaved rotary layout (within each head, rows `2i` and `2i + 1` hold
//! what Hugging Face keeps in rows `i` and `i + head_dim / 2`). We undo that
//! row permutation at load time, on the raw rows (quantized blocks run along a
//! row, so whole rows move intact), so the half-split rope kernel serves both
//! formats. Qwen2 and Qwen3 files are not permuted (llama.cpp runs them with NEOX rope).

use super::config::{DecoderConfig, Family};
use super::decoder::{Decoder, DecoderLayer};
use super::host_matrix::{upload_stacked, HostMatrix};
use super::qk_norm::QkNorm;
use super::rope_scaling::check_freq_factors;
use super::rope_tables::RopeTables;
use crate::error::Result;
use crate::generation::DecoderTokenizer;
use crate::loaders::gguf::{GgmlType, GgufModelFile};
use crate::loaders::gguf_tokenizer::tokenizer_from_gguf;
use crate::loaders::LoadError;
use crate::nn::{Linear, Weight};
use crate::quant::QuantFormat;
use crate::tensor::Tensor;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// One projection of a stack: its name suffix (`q`, `gate`, ...), its rows,
/// and the row order to undo (llama's rotary interleave), if any.
type Part<'a> = (&'a str, usize, Option<&'a [usize]>);

/// Load the decoder in the GGUF file at `path`.
pub fn load_gguf_decoder(path: &Path, device: &Arc<dyn Device>) -> Result<Decoder> {
    decoder_from_gguf(&GgufModelFile::open(path)?, device)
}

/// Build the decoder an open GGUF file describes: its config is read and
/// checked against the file's tensors before anything is uploaded.
pub fn decoder_from_gguf(file: &GgufModelFile, device: &Arc<dyn Device>) -> Result<Decoder> {
    let config = DecoderConfig::from_gguf(file.header())?;
    config.check_against_gguf(file.header())?;
    GgufUploader {
        file,
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
        let values = self.host_vector(name, n, None)?;
        Tensor::from_f32(self.device, &values, &[n], DType::F32)
    }

    /// The `[n]` vector `name` in host memory, entries reordered by `order` when given.
    fn host_vector(&self, name: &str, n: usize, order: Option<&[usize]>) -> Result<Vec<f32>> {
        self.expect_dims(name, n, None)?;
        let values = self.file.tensor_f32(name)?;
        Ok(match order {
            Some(order) => permute_rows(&values, n, order),
            None => values,
        })
    }

    /// The `[rows, cols]` matrix `name` on the device.
    fn matrix(&self, name: &str, rows: usize, cols: usize) -> Result<Weight> {
        self.host_matrix(name, rows, cols, None)?
            .upload(self.device)
    }

    /// The `[rows, cols]` matrix `name` in host memory, rows reordered by
    /// `order` when given.
    fn host_matrix(
        &self,
        name: &str,
        rows: usize,
        cols: usize,
        order: Option<&[usize]>,
    ) -> Result<HostMatrix> {
        let ggml_type = self.expect_dims(name, cols, Some(rows))?;
        let quant = matrix_format(ggml_type, cols).map_err(|message| LoadError::BadTensor {
            path: self.file.header().path.clone(),
            tensor: name.to_string(),
            message,
        })?;
        match quant {
            Some(format) => {
                let bytes = self.file.tensor_bytes(name)?;
                let bytes = match order {
                    Some(order) => permute_rows(bytes, rows, order),
                    None => bytes.to_vec(),
                };
                HostMatrix::blocks(format, rows, cols, bytes)
            }
            None => {
                let values = self.file.tensor_f32(name)?;
                let values = match order {
                    Some(order) => permute_rows(&values, rows, order),
                    None => values,
                };
                HostMatrix::f32(rows, cols, values)
            }
        }
    }

    /// The projections `{prefix}_{part}.weight` of `rows` each, rows reordered
    /// by their `order`, stacked by rows; with `bias`, their biases stacked too.
    fn stacked(
        &self,
        prefix: &str,
        parts: &[Part<'_>],
        cols: usize,
        bias: bool,
    ) -> Result<(Weight, Option<Tensor>)> {
        let mut host = Vec::with_capacity(parts.len());
        let mut biases = Vec::new();
        for &(part, rows, order) in parts {
            let name = format!("{prefix}_{part}");
            host.push(self.host_matrix(&format!("{name}.weight"), rows, cols, order)?);
            if bias {
                biases.extend(self.host_vector(&format!("{name}.bias"), rows, order)?);
            }
        }
        let bias = match bias {
            true => Some(Tensor::from_f32(
                self.device,
                &biases,
                &[biases.len()],
                DType::F32,
            )?),
            false => None,
        };
        Ok((upload_stacked(self.device, host)?, bias))
    }

    /// Llama 3's rotary divisors, `rope_freqs.weight` (one per rotary pair,
    /// each finite and positive), when the file has them.
    fn rope_freq_factors(&self) -> Result<Option<Vec<f32>>> {
        const NAME: &str = "rope_freqs.weight";
        if self.file.header().tensor(NAME).is_none() {
            return Ok(None);
        }
        // A shape other than [head_dim / 2] is a ShapeMismatch naming it.
        let factors = self.host_vector(NAME, self.config.head_dim / 2, None)?;
        check_freq_factors(
            &self.file.header().path,
            NAME,
            &factors,
            self.config.head_dim,
        )?;
        Ok(Some(factors))
    }

    fn projection(&self, name: &str, rows: usize, cols: usize) -> Result<Linear> {
        Linear::new(self.matrix(&format!("{name}.weight"), rows, cols)?, None)
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
            Family::Qwen2 | Family::Qwen3 => (None, None),
        };
        let mut layers = Vec::new();
        let qkv: [Part<'_>; 3] = [
            ("q", q_width, q_order.as_deref()),
            ("k", kv_width, k_order.as_deref()),
            ("v", kv_width, None),
        ];
        let gate_up: [Part<'_>; 2] = [("gate", inter, None), ("up", inter, None)];
        for i in 0..config.num_layers {
            let p = format!("blk.{i}");
            let (qkv, qkv_bias) = self.stacked(&format!("{p}.attn"), &qkv, hidden, bias)?;
            let (gate_up, _) = self.stacked(&format!("{p}.ffn"), &gate_up, hidden, false)?;
            layers.push(DecoderLayer {
                attn_norm: self.vector(&format!("{p}.attn_norm.weight"), hidden)?,
                qkv: Linear::new(qkv, qkv_bias)?,
                qk_norm: match config.qk_norm() {
                    true => Some(QkNorm {
                        q: self.vector(&format!("{p}.attn_q_norm.weight"), config.head_dim)?,
                        k: self.vector(&format!("{p}.attn_k_norm.weight"), config.head_dim)?,
                    }),
                    false => None,
                },
                o: self.projection(&format!("{p}.attn_output"), hidden, q_width)?,
                mlp_norm: self.vector(&format!("{p}.ffn_norm.weight"), hidden)?,
                gate_up: Linear::new(gate_up, None)?,
                down: self.projection(&format!("{p}.ffn_down"), hidden, inter)?,
            });
        }
        let embed = self.matrix("token_embd.weight", config.vocab_size, hidden)?;
        let lm_head = match config.tie_word_embeddings {
            true => embed.clone(),
            false => self.matrix("output.weight", config.vocab_size, hidden)?,
        };
        Ok(Decoder {
            embed,
            layers,
            final_norm: self.vector("output_norm.weight", hidden)?,
            lm_head: Linear::new(lm_head, None)?,
            rope: RopeTables::scaled(
                self.device,
                config.head_dim,
                config.rope_theta,
                config.max_position_embeddings,
                self.rope_freq_factors()?.as_deref(),
            )?,
            config: config.clone(),
        })
    }
}

/// How a matrix of GGML type `ggml_type` with rows of `cols` values is held
/// on the device: `Some(format)` stays in that block format, `None` is
/// uploaded as f32 (F32, and F16 / BF16 rows that are not whole 32-value
/// blocks). A block type whose rows are not whole groups is an error (the
/// parser already refuses such tensors; this keeps the message clear if a
/// caller's shape disagrees).
pub(crate) fn matrix_format(
    ggml_type: GgmlType,
    cols: usize,
) -> std::result::Result<Option<QuantFormat>, String> {
    let format = match ggml_type {
        GgmlType::Q8_0 => QuantFormat::Q8_0,
        GgmlType::Q4_0 => QuantFormat::Q4_0,
        GgmlType::Q4_1 => QuantFormat::Q4_1,
        GgmlType::Q5_0 => QuantFormat::Q5_0,
        GgmlType::Q5_1 => QuantFormat::Q5_1,
        GgmlType::Q4_K => QuantFormat::Q4_K,
        GgmlType::Q6_K => QuantFormat::Q6_K,
        GgmlType::F16 if cols.is_multiple_of(QuantFormat::F16.group_values()) => QuantFormat::F16,
        GgmlType::BF16 if cols.is_multiple_of(QuantFormat::BF16.group_values()) => {
            QuantFormat::BF16
        }
        GgmlType::F32 | GgmlType::F16 | GgmlType::BF16 => return Ok(None),
    };
    let group = format.group_values();
    if cols == 0 || !cols.is_multiple_of(group) {
        return Err(format!(
            "{ggml_type:?} rows of {cols} values are not whole blocks of {group}"
        ));
    }
    Ok(Some(format))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_formats_by_ggml_type_and_row_length() {
        assert_eq!(
            matrix_format(GgmlType::Q4_K, 2048),
            Ok(Some(QuantFormat::Q4_K))
        );
        assert_eq!(
            matrix_format(GgmlType::Q6_K, 256),
            Ok(Some(QuantFormat::Q6_K))
        );
        assert_eq!(
            matrix_format(GgmlType::Q8_0, 96),
            Ok(Some(QuantFormat::Q8_0))
        );
        assert_eq!(
            matrix_format(GgmlType::Q4_0, 32),
            Ok(Some(QuantFormat::Q4_0))
        );
        // llama.cpp's fallbacks for rows of 896 values.
        for (ty, format) in [
            (GgmlType::Q4_1, QuantFormat::Q4_1),
            (GgmlType::Q5_0, QuantFormat::Q5_0),
            (GgmlType::Q5_1, QuantFormat::Q5_1),
        ] {
            assert_eq!(matrix_format(ty, 896), Ok(Some(format)));
        }
        assert_eq!(matrix_format(GgmlType::F16, 64), Ok(Some(QuantFormat::F16)));
        assert_eq!(matrix_format(GgmlType::F16, 40), Ok(None));
        assert_eq!(matrix_format(GgmlType::F32, 64), Ok(None));
        assert_eq!(
            matrix_format(GgmlType::BF16, 64),
            Ok(Some(QuantFormat::BF16))
        );
        assert_eq!(matrix_format(GgmlType::BF16, 40), Ok(None));
        // K rows must be whole super-blocks: 896 (Qwen2.5-0.5B's hidden size)
        // is 3.5 of them.
        for (ty, cols) in [
            (GgmlType::Q4_K, 896),
            (GgmlType::Q6_K, 64),
            (GgmlType::Q4_K, 0),
            (GgmlType::Q8_0, 48),
            (GgmlType::Q5_0, 48),
            (GgmlType::Q4_1, 0),
        ] {
            let err = matrix_format(ty, cols).unwrap_err();
            assert!(err.contains("not whole blocks"), "{ty:?} {cols}: {err}");
        }
    }
}
