//! Times burn-wgpu (default features: autotune and fusion on) on the shapes of
//! issue #4's table, so BENCHMARKS.md can compare it with `tessera bench` in the
//! same run on the same adapter.
//!
//! Each timed run is the op plus a full device sync, timed on the host; the
//! figure is the median of `reps` runs after 3 untimed ones (the first is
//! reported apart: compile and autotune). Usage:
//!
//! - `burn-bench lavapipe [reps]`: matmul 1024³ and 512³, softmax 4096x1024.
//! - `burn-bench gpu [reps]`: matmul 4096³ and 1024³ (f32), 4096³ with f16
//!   storage, softmax and layernorm 32768x4096, add of 256M elements.
//! - `burn-bench check [reps]`: every op of `gpu` at small sizes, to try the
//!   binary before a GPU run.

use burn::tensor::activation::softmax;
use burn::tensor::module::layer_norm;
use burn::tensor::{DType, Device, DeviceKind, Distribution, Tensor};
use std::time::Instant;

const WARMUP: usize = 3;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// Median seconds of `reps` runs and the seconds of the first run.
fn time<F: FnMut()>(device: &Device, reps: usize, mut run: F) -> (f64, f64) {
    let sync = || device.sync().expect("burn device sync");
    let first = Instant::now();
    run();
    sync();
    let first = first.elapsed().as_secs_f64();
    for _ in 1..WARMUP {
        run();
        sync();
    }
    let samples = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run();
            sync();
            start.elapsed().as_secs_f64()
        })
        .collect();
    (median(samples), first)
}

fn report(what: &str, rate: f64, unit: &str, seconds: f64, first: f64, reps: usize) {
    println!(
        "burn {what}: {rate:.2} {unit} (median {:.3} ms of {reps}; first run {:.1} ms)",
        seconds * 1e3,
        first * 1e3
    );
}

fn matmul(device: &Device, n: usize, dtype: DType, reps: usize) {
    let a = Tensor::<2>::random([n, n], Distribution::Default, (device, dtype));
    let b = Tensor::<2>::random([n, n], Distribution::Default, (device, dtype));
    device.sync().expect("burn device sync");
    // The result is kept until after the sync, so fusion cannot drop the work.
    let mut keep = Vec::new();
    let (seconds, first) = time(device, reps, || {
        keep.clear();
        keep.push(a.clone().matmul(b.clone()));
    });
    let gflops = 2.0 * (n as f64).powi(3) / seconds / 1e9;
    report(
        &format!("matmul {n}x{n}x{n} {dtype:?}"),
        gflops,
        "GFLOP/s",
        seconds,
        first,
        reps,
    );
}

fn row_op(device: &Device, name: &str, rows: usize, cols: usize, reps: usize) {
    let x = Tensor::<2>::random([rows, cols], Distribution::Default, device);
    let gamma = Tensor::<1>::random([cols], Distribution::Default, device);
    let beta = Tensor::<1>::random([cols], Distribution::Default, device);
    device.sync().expect("burn device sync");
    let mut keep = Vec::new();
    let (seconds, first) = time(device, reps, || {
        keep.clear();
        keep.push(match name {
            "softmax" => softmax(x.clone(), 1),
            _ => layer_norm(x.clone(), gamma.clone(), Some(beta.clone()), 1e-5),
        });
    });
    let gbps = 2.0 * (rows * cols * 4) as f64 / seconds / 1e9;
    report(
        &format!("{name} {rows}x{cols} F32"),
        gbps,
        "GB/s",
        seconds,
        first,
        reps,
    );
}

fn add(device: &Device, elements: usize, reps: usize) {
    let a = Tensor::<1>::random([elements], Distribution::Default, device);
    let b = Tensor::<1>::random([elements], Distribution::Default, device);
    device.sync().expect("burn device sync");
    let mut keep = Vec::new();
    let (seconds, first) = time(device, reps, || {
        keep.clear();
        keep.push(a.clone() + b.clone());
    });
    let gbps = 3.0 * (elements * 4) as f64 / seconds / 1e9;
    report(
        &format!("add {elements} F32"),
        gbps,
        "GB/s",
        seconds,
        first,
        reps,
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let set = args.next().unwrap_or_else(|| "lavapipe".into());
    let reps = args.next().and_then(|r| r.parse().ok()).unwrap_or(10);
    let device = Device::wgpu(DeviceKind::DefaultDevice);
    match set.as_str() {
        "lavapipe" => {
            matmul(&device, 1024, DType::F32, reps);
            matmul(&device, 512, DType::F32, reps);
            row_op(&device, "softmax", 4096, 1024, reps);
        }
        "gpu" => {
            matmul(&device, 4096, DType::F32, reps);
            matmul(&device, 1024, DType::F32, reps);
            matmul(&device, 4096, DType::F16, reps);
            row_op(&device, "softmax", 32768, 4096, reps);
            row_op(&device, "layernorm", 32768, 4096, reps);
            add(&device, 256 << 20, reps);
        }
        "check" => {
            matmul(&device, 256, DType::F32, reps);
            matmul(&device, 256, DType::F16, reps);
            row_op(&device, "softmax", 256, 256, reps);
            row_op(&device, "layernorm", 256, 256, reps);
            add(&device, 1 << 20, reps);
        }
        other => {
            eprintln!("unknown set {other:?}: lavapipe, gpu or check");
            std::process::exit(2);
        }
    }
}
