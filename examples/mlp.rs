//! A 2-layer MLP built from Tessera ops, checked against the CPU reference.
//!
//! `cargo run --example mlp` (pick the adapter with `TESSERA_ADAPTER`).

use tessera::prelude::*;
use tessera::runtime::reference::{self, BinaryOp, UnaryOp};

fn pseudo_random(n: usize, seed: u64) -> Vec<f32> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    run(&open_default_device()?)
}

/// Build the MLP on `device`, run it, and compare with the CPU reference.
pub fn run(device: &std::sync::Arc<dyn Device>) -> Result<(), Box<dyn std::error::Error>> {
    println!("adapter: {}", device.adapter().summary());
    let (batch, input, hidden, output) = (8, 64, 128, 10);
    let x = pseudo_random(batch * input, 1);
    let w1 = pseudo_random(hidden * input, 2);
    let b1 = pseudo_random(hidden, 3);
    let w2 = pseudo_random(output * hidden, 4);
    let b2 = pseudo_random(output, 5);

    let layer1 = Linear::new(
        Tensor::from_slice(device, &w1, &[hidden, input])?,
        Some(Tensor::from_slice(device, &b1, &[hidden])?),
    )?;
    let layer2 = Linear::new(
        Tensor::from_slice(device, &w2, &[output, hidden])?,
        Some(Tensor::from_slice(device, &b2, &[output])?),
    )?;
    let xt = Tensor::from_slice(device, &x, &[batch, input])?;
    let logits = layer2.forward(&layer1.forward(&xt)?.gelu()?)?;
    let probs = logits.softmax(None)?.to_vec::<f32>()?;

    // The same network on the CPU reference (f64 accumulation).
    let (h, hs) = reference::matmul(&x, &[batch, input], &w1, &[hidden, input], false, true);
    let (h, hs) = reference::binary(BinaryOp::Add, &h, &hs, &b1, &[hidden]);
    let h = reference::unary(UnaryOp::GeluErf, &h);
    let (o, os) = reference::matmul(&h, &hs, &w2, &[output, hidden], false, true);
    let (o, os) = reference::binary(BinaryOp::Add, &o, &os, &b2, &[output]);
    let want = reference::softmax(&o, &os, None);

    let max_err = probs
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    println!("MLP {batch}x{input} -> {hidden} (GELU) -> {output} (softmax): max |GPU - CPU| = {max_err:.2e}");
    for (row, p) in probs.chunks(output).take(3).enumerate() {
        println!(
            "  sample {row}: {:?}",
            p.iter().map(|v| format!("{v:.3}")).collect::<Vec<_>>()
        );
    }
    if max_err > 1e-5 {
        return Err(format!("GPU result differs from the CPU reference by {max_err}").into());
    }
    println!("ok: matches the CPU reference within 1e-5");
    Ok(())
}
