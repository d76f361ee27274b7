//! Random-weight encoders of a given shape (e.g. a checkpoint's config.json),
//! for benchmarks where the real weights are not at hand. Their outputs mean
//! nothing; their cost is real.

use super::config::BertConfig;
use super::encoder::{BertEmbeddings, BertEncoder, BertLayer};
use crate::error::Result;
use crate::nn::{Embedding, LayerNorm, Linear};
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;

struct Uniform(u64);

impl Uniform {
    fn values(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| {
                self.0 ^= self.0 << 13;
                self.0 ^= self.0 >> 7;
                self.0 ^= self.0 << 17;
                ((self.0 >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0) * scale
            })
            .collect()
    }

    fn tensor(&mut self, device: &Arc<dyn Device>, shape: &[usize], scale: f32) -> Result<Tensor> {
        Tensor::from_slice(device, &self.values(shape.iter().product(), scale), shape)
    }

    fn linear(&mut self, device: &Arc<dyn Device>, out: usize, inp: usize) -> Result<Linear> {
        let scale = 1.0 / (inp as f32).sqrt();
        Linear::new(
            self.tensor(device, &[out, inp], scale)?,
            Some(self.tensor(device, &[out], 0.02)?),
        )
    }

    fn norm(&mut self, device: &Arc<dyn Device>, n: usize, eps: f32) -> Result<LayerNorm> {
        let w: Vec<f32> = self.values(n, 0.1).into_iter().map(|v| 1.0 + v).collect();
        LayerNorm::new(
            Tensor::from_slice(device, &w, &[n])?,
            self.tensor(device, &[n], 0.02)?,
            eps,
        )
    }
}

/// An encoder of `config`'s shapes with seeded random weights on `device`.
pub fn random_encoder(
    config: &BertConfig,
    device: &Arc<dyn Device>,
    seed: u64,
) -> Result<BertEncoder> {
    let mut rng = Uniform(seed | 1);
    let (h, inter) = (config.hidden_size, config.intermediate_size);
    let eps = config.layer_norm_eps as f32;
    let embeddings = BertEmbeddings {
        word: Embedding::new(rng.tensor(device, &[config.vocab_size, h], 0.05)?)?,
        position: rng.tensor(device, &[config.max_position_embeddings, h], 0.05)?,
        token_type: rng.tensor(device, &[config.type_vocab_size, h], 0.05)?,
        norm: rng.norm(device, h, eps)?,
    };
    let mut layers = Vec::with_capacity(config.num_hidden_layers);
    for _ in 0..config.num_hidden_layers {
        layers.push(BertLayer {
            query: rng.linear(device, h, h)?,
            key: rng.linear(device, h, h)?,
            value: rng.linear(device, h, h)?,
            attention_output: rng.linear(device, h, h)?,
            attention_norm: rng.norm(device, h, eps)?,
            intermediate: rng.linear(device, inter, h)?,
            output: rng.linear(device, h, inter)?,
            output_norm: rng.norm(device, h, eps)?,
        });
    }
    Ok(BertEncoder {
        config: config.clone(),
        embeddings,
        layers,
    })
}
