//! Build a [`BertEncoder`] from a checkpoint folder's safetensors weights.

use super::config::BertConfig;
use super::encoder::{BertEmbeddings, BertEncoder, BertLayer};
use crate::error::Result;
use crate::loaders::limits::FieldCheck;
use crate::loaders::{LoadError, SafetensorsFile};
use crate::nn::{Embedding, LayerNorm, Linear, Weight};
use crate::quant::QuantFormat;
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// Uploads named tensors, checking each shape against the config first.
struct WeightUploader<'a> {
    file: &'a SafetensorsFile,
    device: &'a Arc<dyn Device>,
    prefix: String,
}

impl WeightUploader<'_> {
    fn tensor(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let full = format!("{}{name}", self.prefix);
        self.file.expect_shape(&full, shape)?;
        let values = self.file.to_f32(&full)?;
        Tensor::from_f32(self.device, &values, shape, DType::F32)
    }

    /// A `[out, in]` weight: bf16 stays bf16 on the device (as
    /// [`QuantFormat::BF16`] blocks) when its rows are whole blocks; f32 and
    /// f16 (as before) and other bf16 matrices are uploaded as f32.
    fn weight(&self, name: &str, out: usize, inp: usize) -> Result<Weight> {
        let full = format!("{}{name}", self.prefix);
        let info = self.file.expect_shape(&full, &[out, inp])?;
        match info.dtype.block_format(inp) {
            Some(QuantFormat::BF16) => {
                let bytes = self.file.raw_bytes(&full)?;
                Weight::quantized(self.device, QuantFormat::BF16, out, inp, bytes)
            }
            _ => Ok(Weight::Dense(self.tensor(name, &[out, inp])?)),
        }
    }

    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear> {
        Linear::new(
            self.weight(&format!("{name}.weight"), out, inp)?,
            Some(self.tensor(&format!("{name}.bias"), &[out])?),
        )
    }

    fn layer_norm(&self, name: &str, n: usize, eps: f32) -> Result<LayerNorm> {
        LayerNorm::new(
            self.tensor(&format!("{name}.weight"), &[n])?,
            self.tensor(&format!("{name}.bias"), &[n])?,
            eps,
        )
    }
}

/// The weights hold the tables config.json describes and every layer it
/// claims, checked before any layer is built; errors name the config field.
fn check_against_weights(
    config: &BertConfig,
    file: &SafetensorsFile,
    prefix: &str,
) -> std::result::Result<(), LoadError> {
    let check = FieldCheck::new(file.path());
    let rows = |table: &str, field: &str, rows: usize| {
        let name = format!("{prefix}embeddings.{table}.weight");
        let shape = &file.info(&name)?.shape;
        if shape.first() != Some(&rows) {
            return Err(check.error(
                field,
                format!("config.json says {rows}; {name} has shape {shape:?}"),
            ));
        }
        if shape.get(1) != Some(&config.hidden_size) {
            return Err(check.error(
                "hidden_size",
                format!(
                    "config.json says {}; {name} has shape {shape:?}",
                    config.hidden_size
                ),
            ));
        }
        Ok(())
    };
    rows("word_embeddings", "vocab_size", config.vocab_size)?;
    rows(
        "position_embeddings",
        "max_position_embeddings",
        config.max_position_embeddings,
    )?;
    rows(
        "token_type_embeddings",
        "type_vocab_size",
        config.type_vocab_size,
    )?;
    let Some(last) = config.num_hidden_layers.checked_sub(1) else {
        return Ok(());
    };
    let last = format!("{prefix}encoder.layer.{last}.attention.self.query.weight");
    if file.info(&last).is_err() {
        return Err(check.error(
            "num_hidden_layers",
            format!(
                "config.json says {}; the weights have no {last}",
                config.num_hidden_layers
            ),
        ));
    }
    Ok(())
}

/// Load every weight the config calls for from `file` onto `device` (as f32,
/// except bf16 linear weights, which stay bf16).
/// A missing tensor or a wrong shape is a `LoadError` naming the file and tensor.
pub fn load_encoder(
    config: &BertConfig,
    file: &SafetensorsFile,
    device: &Arc<dyn Device>,
) -> Result<BertEncoder> {
    let prefix = if file.names().iter().any(|n| n.starts_with("bert.")) {
        "bert."
    } else {
        ""
    };
    let up = WeightUploader {
        file,
        device,
        prefix: prefix.to_string(),
    };
    check_against_weights(config, file, prefix)?;
    let h = config.hidden_size;
    let eps = config.layer_norm_eps as f32;
    let embeddings = BertEmbeddings {
        word: Embedding::new(
            up.tensor("embeddings.word_embeddings.weight", &[config.vocab_size, h])?,
        )?,
        position: up.tensor(
            "embeddings.position_embeddings.weight",
            &[config.max_position_embeddings, h],
        )?,
        token_type: up.tensor(
            "embeddings.token_type_embeddings.weight",
            &[config.type_vocab_size, h],
        )?,
        norm: up.layer_norm("embeddings.LayerNorm", h, eps)?,
    };
    let mut layers = Vec::new();
    for i in 0..config.num_hidden_layers {
        let p = format!("encoder.layer.{i}");
        layers.push(BertLayer {
            query: up.linear(&format!("{p}.attention.self.query"), h, h)?,
            key: up.linear(&format!("{p}.attention.self.key"), h, h)?,
            value: up.linear(&format!("{p}.attention.self.value"), h, h)?,
            attention_output: up.linear(&format!("{p}.attention.output.dense"), h, h)?,
            attention_norm: up.layer_norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
            intermediate: up.linear(
                &format!("{p}.intermediate.dense"),
                config.intermediate_size,
                h,
            )?,
            output: up.linear(&format!("{p}.output.dense"), h, config.intermediate_size)?,
            output_norm: up.layer_norm(&format!("{p}.output.LayerNorm"), h, eps)?,
        });
    }
    Ok(BertEncoder {
        config: config.clone(),
        embeddings,
        layers,
    })
}
