//! Rotary cos/sin tables, computed on the host the way Hugging Face's Llama does
//! (inverse frequencies and angles in f32), then uploaded once per model.

use crate::error::Result;
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// cos and sin of `position * inv_freq[i]`, each `[positions, head_dim / 2]`.
pub fn rope_table_values(head_dim: usize, theta: f64, positions: usize) -> (Vec<f32>, Vec<f32>) {
    rope_table_values_scaled(head_dim, theta, positions, None)
}

/// Like [`rope_table_values`], each pair's inverse frequency divided by its
/// entry of `freq_factors` when given (Llama 3 scaling; `head_dim / 2` of them).
pub fn rope_table_values_scaled(
    head_dim: usize,
    theta: f64,
    positions: usize,
    freq_factors: Option<&[f32]>,
) -> (Vec<f32>, Vec<f32>) {
    let half = head_dim / 2;
    // inv_freq = 1 / theta^(2i / d), with the exponent and the power in f32 as
    // `torch.arange(0, d, 2).float() / d` and `base ** ...` give them.
    let inv_freq: Vec<f32> = (0..half)
        .map(|i| {
            let exponent = (2 * i) as f32 / head_dim as f32;
            let inv_freq = 1.0f32 / ((theta as f32 as f64).powf(exponent as f64) as f32);
            match freq_factors {
                Some(factors) => inv_freq / factors[i],
                None => inv_freq,
            }
        })
        .collect();
    let mut cos = Vec::with_capacity(positions * half);
    let mut sin = Vec::with_capacity(positions * half);
    for pos in 0..positions {
        for &f in &inv_freq {
            let angle = (pos as f32 * f) as f64;
            cos.push(angle.cos() as f32);
            sin.push(angle.sin() as f32);
        }
    }
    (cos, sin)
}

/// The rotary tables of one model on its device.
#[derive(Clone, Debug)]
pub struct RopeTables {
    /// cos, `[positions, head_dim / 2]`.
    pub cos: Tensor,
    /// sin, `[positions, head_dim / 2]`.
    pub sin: Tensor,
}

impl RopeTables {
    /// Tables for `positions` positions.
    pub fn new(
        device: &Arc<dyn Device>,
        head_dim: usize,
        theta: f64,
        positions: usize,
    ) -> Result<RopeTables> {
        RopeTables::scaled(device, head_dim, theta, positions, None)
    }

    /// Tables for `positions` positions with each pair's inverse frequency
    /// divided by its entry of `freq_factors` (Llama 3 scaling), when given.
    pub fn scaled(
        device: &Arc<dyn Device>,
        head_dim: usize,
        theta: f64,
        positions: usize,
        freq_factors: Option<&[f32]>,
    ) -> Result<RopeTables> {
        let (cos, sin) = rope_table_values_scaled(head_dim, theta, positions, freq_factors);
        let shape = [positions, head_dim / 2];
        Ok(RopeTables {
            cos: Tensor::from_f32(device, &cos, &shape, DType::F32)?,
            sin: Tensor::from_f32(device, &sin, &shape, DType::F32)?,
        })
    }
}
