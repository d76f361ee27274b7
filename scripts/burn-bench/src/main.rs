//! Times burn-wgpu (default features: autotune and fusion on) on the shapes of
//! issue #4's lavapipe bar, so BENCHMARKS.md can compare it with `tessera bench`
//! in the same run on the same adapter.
//!
//! Each timed run is the op plus a full device sync, timed on the host; the
//! figure is the median of `REPS` runs after `WARMUP` untimed ones. Usage:
//! `burn-bench [reps]`.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, DeviceKind, Distribution, Tensor};
use std::time::Instant;

const WARMUP: usize = 3;

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(device: &Device, reps: usize, mut run: F) -> (f64, f64) {
    let first = Instant::now();
    run();
    device.sync().expect("burn device sync");
    let first = first.elapsed().as_secs_f64();
    for _ in 1..WARMUP {
        run();
        device.sync().expect("burn device sync");
    }
    let samples = (0..reps)
        .map(|_| {
            let start = Instant::now();
            run();
            device.sync().expect("burn device sync");
            start.elapsed().as_secs_f64()
        })
        .collect();
    (median(samples), first)
}

fn matmul(device: &Device, n: usize, reps: usize) {
    let a = Tensor::<2>::random([n, n], Distribution::Default, device);
    let b = Tensor::<2>::random([n, n], Distribution::Default, device);
    device.sync().expect("burn device sync");
    let mut keep = Vec::new();
    let (seconds, first) = time(device, reps, || {
        keep.clear();
        keep.push(a.clone().matmul(b.clone()));
    });
    let flops = 2.0 * (n as f64).powi(3);
    println!(
        "burn matmul {n}x{n}x{n} f32: {:.1} GFLOP/s (median {:.3} ms of {reps}; first run {:.1} ms)",
        flops / seconds / 1e9,
        seconds * 1e3,
        first * 1e3
    );
}

fn softmax_rows(device: &Device, rows: usize, cols: usize, reps: usize) {
    let x = Tensor::<2>::random([rows, cols], Distribution::Default, device);
    device.sync().expect("burn device sync");
    let mut keep = Vec::new();
    let (seconds, first) = time(device, reps, || {
        keep.clear();
        keep.push(softmax(x.clone(), 1));
    });
    let bytes = 2.0 * (rows * cols * 4) as f64;
    println!(
        "burn softmax {rows}x{cols} f32: {:.2} GB/s (median {:.3} ms of {reps}; first run {:.1} ms)",
        bytes / seconds / 1e9,
        seconds * 1e3,
        first * 1e3
    );
}

fn main() {
    let reps = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let device = Device::wgpu(DeviceKind::DefaultDevice);
    matmul(&device, 1024, reps);
    matmul(&device, 512, reps);
    softmax_rows(&device, 4096, 1024, reps);
}
