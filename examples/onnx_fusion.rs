//! Times a BERT-style ONNX model (inputs `input_ids`, `attention_mask`)
//! loaded with and without fusion, alternating runs on one device, and
//! prints each load's median run time, dispatches and largest live set.
//!
//! `cargo run --release --example onnx_fusion -- MODEL.onnx [BATCH SEQ ROUNDS]`
//! (default 2 x 16, 15 rounds after 3 warm-up rounds; the adapter comes from
//! TESSERA_ADAPTER as everywhere). Ids are `(7 i + 1) mod 90`, valid for the
//! tiny BERT's 96-token vocabulary and MiniLM's; the last quarter of each
//! row is masked out. Then it times GELU on a [64, 1536] tensor as the
//! unary `gelu` kernel against the fused program torch's export decomposes
//! it into (x / sqrt 2, erf, + 1, * x, * 0.5): 20 dispatches a batch,
//! alternating, median of `ROUNDS` batches.

use std::time::Instant;
use tessera::hal::open_default_device;
use tessera::kernels::{BinaryOp, FusedProgram, FusedStep, UnaryOp};
use tessera::runtime::onnx::{HostData, HostTensor, LoadOptions, OnnxModel, OnnxValue};
use tessera::runtime::ops::fused_map;
use tessera::Tensor;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .first()
        .ok_or("usage: onnx_fusion MODEL.onnx [BATCH SEQ ROUNDS]")?;
    let num = |i: usize, d: usize| -> Result<usize, Box<dyn std::error::Error>> {
        Ok(args.get(i).map(|s| s.parse()).transpose()?.unwrap_or(d))
    };
    let (batch, seq, rounds) = (num(1, 2)?, num(2, 16)?, num(3, 15)?);
    let device = open_default_device()?;
    let bytes = std::fs::read(path)?;
    let dir = std::path::Path::new(path).parent();
    let models = [false, true]
        .map(|fuse| OnnxModel::from_bytes_with(&bytes, dir, &device, LoadOptions { fuse }));
    let [unfused, fused] = models;
    let models = [unfused?, fused?];
    let n = batch * seq;
    let ids: Vec<i64> = (0..n as i64).map(|i| (7 * i + 1) % 90).collect();
    let mask: Vec<i64> = (0..n).map(|i| i64::from(i % seq < seq - seq / 4)).collect();
    let inputs = || -> Result<Vec<OnnxValue>, Box<dyn std::error::Error>> {
        Ok(vec![
            OnnxValue::Host(HostTensor::new(
                vec![batch, seq],
                HostData::I64(ids.clone()),
            )?),
            OnnxValue::Host(HostTensor::new(
                vec![batch, seq],
                HostData::I64(mask.clone()),
            )?),
        ])
    };
    let run = |m: &OnnxModel| -> Result<(f64, Vec<f32>), Box<dyn std::error::Error>> {
        let x = inputs()?;
        let start = Instant::now();
        let out = m.run_values(x)?;
        let v = out[0].to_host()?.to_f32();
        Ok((start.elapsed().as_secs_f64(), v))
    };
    let mut times = [Vec::new(), Vec::new()];
    let mut last = [Vec::new(), Vec::new()];
    for round in 0..rounds + 3 {
        for (k, m) in models.iter().enumerate() {
            let (t, v) = run(m)?;
            if round >= 3 {
                times[k].push(t);
            }
            last[k] = v;
        }
    }
    let worst = last[0]
        .iter()
        .zip(&last[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    println!(
        "{path} ids [{batch}, {seq}] on {}: {rounds} alternating rounds after 3 warm-up",
        device.adapter().summary()
    );
    for (k, m) in models.iter().enumerate() {
        times[k].sort_by(f64::total_cmp);
        let median = times[k][times[k].len() / 2];
        let (groups, nodes) = m.fused_groups();
        println!(
            "  {:<8} median {:>8.2} ms, {} dispatches, largest live set {} bytes, {groups} fused groups of {nodes} nodes",
            if k == 0 { "unfused" } else { "fused" },
            median * 1e3,
            m.last_run_dispatches().unwrap_or(0),
            m.last_run_memory().map_or(0, |r| r.largest_live)
        );
    }
    println!("  max |fused - unfused| = {worst:.2e}");
    gelu(&device, rounds)
}

/// The unary GELU kernel against GELU as a fused program.
fn gelu(
    device: &std::sync::Arc<dyn tessera::hal::Device>,
    rounds: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    use FusedStep::{Binary, Const, Input, Unary};
    let program = FusedProgram::new(&[
        Input(0),
        Const(std::f32::consts::SQRT_2.to_bits()),
        Binary(BinaryOp::Div, 0, 1),
        Unary(UnaryOp::Erf, 2),
        Const(1f32.to_bits()),
        Binary(BinaryOp::Add, 3, 4),
        Binary(BinaryOp::Mul, 0, 5),
        Const(0.5f32.to_bits()),
        Binary(BinaryOp::Mul, 6, 7),
    ])?;
    let n = 64 * 1536;
    let xv: Vec<f32> = (0..n)
        .map(|i| ((i * 37) % 1000) as f32 / 125.0 - 4.0)
        .collect();
    let x = Tensor::from_slice(device, &xv, &[64, 1536])?;
    let batch = |fused: bool| -> Result<(f64, Vec<f32>), Box<dyn std::error::Error>> {
        let start = Instant::now();
        let mut y = x.clone();
        for _ in 0..20 {
            y = if fused {
                fused_map(&[&x], &program)?
            } else {
                x.gelu()?
            };
        }
        device.synchronize()?;
        Ok((start.elapsed().as_secs_f64() / 20.0, y.to_f32_vec()?))
    };
    let mut times = [Vec::new(), Vec::new()];
    let mut outs = [Vec::new(), Vec::new()];
    for round in 0..rounds + 3 {
        for (k, fused) in [false, true].into_iter().enumerate() {
            let (t, y) = batch(fused)?;
            if round >= 3 {
                times[k].push(t);
            }
            outs[k] = y;
        }
    }
    let worst = outs[0]
        .iter()
        .zip(&outs[1])
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    for (k, name) in ["unary gelu", "fused_map gelu"].iter().enumerate() {
        times[k].sort_by(f64::total_cmp);
        println!(
            "  {name:<15} [64, 1536]: median {:.1} us a dispatch",
            times[k][times[k].len() / 2] * 1e6
        );
    }
    println!("  max |fused_map gelu - unary gelu| = {worst:.2e}");
    Ok(())
}
