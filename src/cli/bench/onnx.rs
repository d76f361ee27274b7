//! `tessera bench onnx`: one ONNX model's forward pass, warm-up runs apart,
//! median of the timed runs: wall time split into upload, compute (GPU
//! timestamps where the adapter has them, else the host clock around
//! submission and a full sync) and read-back; GFLOP/s of its Conv,
//! ConvTranspose, Gemm and MatMul nodes; the dispatches of a timed run
//! (fused, or unfused with `--no-fuse`; the first run also records the
//! tuner's trials); and the run's device memory against weights + the
//! largest live set.

use super::onnx_run::{median_by, read_inputs, timed_run, upload_all, RunSplit};
use super::ops::CommonArgs;
use clap::Args;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tessera::runtime::onnx::{LoadOptions, OnnxModel};
use tessera_hal::Device;

/// Arguments of `tessera bench onnx`.
#[derive(Args, Debug)]
pub struct OnnxBenchArgs {
    /// The model file.
    #[arg(long)]
    pub model: PathBuf,
    /// A graph input: NAME=FILE.npy (one per graph input), or for a
    /// single-input model a serialized TensorProto (e.g. a zoo folder's
    /// input_0.pb); default: arange(n) / n in the declared input shape.
    #[arg(long = "input", value_name = "NAME=FILE.npy | FILE.pb")]
    pub inputs: Vec<String>,
    /// Time the model loaded without fusion (Conv + BatchNormalization +
    /// activation as separate dispatches) instead of the fused one.
    #[arg(long)]
    pub no_fuse: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

fn load(
    path: &Path,
    device: &Arc<dyn Device>,
    fuse: bool,
) -> Result<OnnxModel, Box<dyn std::error::Error>> {
    let bytes = std::fs::read(path)?;
    Ok(OnnxModel::from_bytes_with(
        &bytes,
        path.parent(),
        device,
        LoadOptions { fuse },
    )?)
}

/// Runs the benchmark and prints one line (or JSON).
pub fn bench_onnx(args: OnnxBenchArgs) -> Result<(), Box<dyn std::error::Error>> {
    let device = args.common.open()?;
    let host_timing = args.common.host_timing;
    let model = load(&args.model, &device, !args.no_fuse)?;
    let inputs = read_inputs(&model, &args.inputs)?;
    let first = timed_run(&model, &inputs, &device, host_timing)?;
    for _ in 1..args.common.warmup {
        timed_run(&model, &inputs, &device, host_timing)?;
    }
    let runs = (0..args.common.reps.max(1))
        .map(|_| timed_run(&model, &inputs, &device, host_timing))
        .collect::<Result<Vec<RunSplit>, _>>()?;
    let memory = model.last_run_memory();
    let flops = model
        .matmul_flops(&upload_all(&inputs, &device)?)
        .unwrap_or(0);
    let wall = median_by(&runs, |r| r.wall);
    let (lo, hi) = (
        runs.iter().map(|r| r.wall).min().unwrap_or(wall),
        runs.iter().map(|r| r.wall).max().unwrap_or(wall),
    );
    let upload = median_by(&runs, |r| r.upload);
    let compute = median_by(&runs, |r| r.compute);
    let read_back = median_by(&runs, |r| r.read_back);
    let clock = if runs[0].gpu_timestamps {
        "gpu-timestamps"
    } else {
        "host-sync"
    };
    let gflops = flops as f64 / wall.as_secs_f64() / 1e9;
    let adapter = device.adapter().summary();
    let s = Duration::as_secs_f64;
    let (weights, live, peak) =
        memory.map_or((0, 0, 0), |m| (m.weights, m.largest_live, m.device_peak));
    if args.common.json {
        println!(
            "{}",
            serde_json::json!({
                "bench": "onnx",
                "model": args.model.display().to_string(),
                "adapter": adapter,
                "fused": !args.no_fuse,
                "first_s": s(&first.wall),
                "median_s": s(&wall),
                "min_s": s(&lo),
                "max_s": s(&hi),
                "runs_per_s": 1.0 / s(&wall),
                "upload_s": s(&upload),
                "compute_s": s(&compute),
                "read_back_s": s(&read_back),
                "clock": clock,
                "gflop": flops as f64 / 1e9,
                "gflops": gflops,
                "dispatches": runs[0].dispatches,
                "weights_bytes": weights,
                "largest_live_bytes": live,
                "device_peak_bytes": peak,
            })
        );
        return Ok(());
    }
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "{} on {adapter}{}: median {:.3} s of {} ({:.2} runs/s; min {:.3}, max {:.3}; first {:.2} s)\n  \
         split: upload {:.3} s, compute {:.3} s ({clock}), read-back {:.3} s\n  \
         {:.2} GFLOP in conv/gemm/matmul: {gflops:.2} GFLOP/s\n  \
         dispatches per run: {} ({})\n  \
         device memory: peak {:.1} MiB; weights {:.1} MiB + largest live set {:.1} MiB = {:.1} MiB",
        args.model.display(),
        if args.no_fuse { " (unfused)" } else { "" },
        s(&wall),
        runs.len(),
        1.0 / s(&wall),
        s(&lo),
        s(&hi),
        s(&first.wall),
        s(&upload),
        s(&compute),
        s(&read_back),
        flops as f64 / 1e9,
        runs[0].dispatches,
        if args.no_fuse { "unfused" } else { "fused" },
        mib(peak),
        mib(weights),
        mib(live),
        mib(weights + live),
    );
    Ok(())
}
