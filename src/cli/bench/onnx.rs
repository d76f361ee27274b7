//! `tessera bench onnx`: one ONNX model's forward pass, timed on the host
//! around each run with a full read-back of the outputs (warm-up runs apart,
//! median reported), with GFLOP/s of its Conv, ConvTranspose, Gemm and
//! MatMul nodes.

use super::ops::CommonArgs;
use clap::Args;
use std::path::PathBuf;
use std::time::Instant;
use tessera::runtime::onnx::{decode_tensor_bytes, Dim, OnnxModel, OnnxValue};
use tessera::Tensor;

/// Arguments of `tessera bench onnx`.
#[derive(Args, Debug)]
pub struct OnnxBenchArgs {
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// The input as a serialized TensorProto (e.g. a zoo folder's
    /// input_0.pb); default: arange(n) / n in the model's declared input shape.
    #[arg(long)]
    pub input: Option<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Runs the benchmark and prints one line (or JSON).
pub fn bench_onnx(args: OnnxBenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let device = args.common.open()?;
    let model = OnnxModel::load(&args.model, &device)?;
    let (shape, values) = match &args.input {
        Some(path) => {
            let t = decode_tensor_bytes(&std::fs::read(path)?)?;
            (t.shape.clone(), t.to_f32())
        }
        None => {
            let info = model.inputs().first().ok_or("the model has no input")?;
            let fixed = |d: &Dim| match d {
                Dim::Fixed(n) => Some(*n as usize),
                _ => None,
            };
            let shape: Vec<usize> = info
                .dims
                .as_ref()
                .and_then(|dims| dims.iter().map(fixed).collect())
                .ok_or("the input's shape is not fixed: pass --input")?;
            let n: usize = shape.iter().product();
            (shape, (0..n).map(|i| i as f32 / n as f32).collect())
        }
    };
    let x = Tensor::from_slice(&device, &values, &shape)?;
    let run = || -> Result<f64, Box<dyn std::error::Error>> {
        let start = Instant::now();
        for y in model.run(std::slice::from_ref(&x))? {
            y.to_f32_vec()?;
        }
        Ok(start.elapsed().as_secs_f64())
    };
    let first = run()?;
    for _ in 1..args.common.warmup {
        run()?;
    }
    let mut times = (0..args.common.reps.max(1))
        .map(|_| run())
        .collect::<Result<Vec<_>, _>>()?;
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    let flops = model
        .matmul_flops(&[OnnxValue::Tensor(x.clone())])
        .unwrap_or(0);
    let gflops = flops as f64 / median / 1e9;
    let adapter = device.adapter().summary();
    if args.common.json {
        println!(
            "{{\"bench\":\"onnx\",\"model\":{:?},\"adapter\":{adapter:?},\"first_s\":{first},\"median_s\":{median},\"gflop\":{},\"gflops\":{gflops}}}",
            args.model.display().to_string(),
            flops as f64 / 1e9
        );
    } else {
        println!(
            "{} on {adapter}: first run {first:.2} s, median {median:.3} s of {} (min {:.3}, max {:.3}), {:.2} GFLOP in conv/gemm: {gflops:.2} GFLOP/s",
            args.model.display(),
            times.len(),
            times[0],
            times[times.len() - 1],
            flops as f64 / 1e9
        );
    }
    Ok(())
}
