//! Kernel timings on the browser's WebGPU adapter at all-MiniLM-L6-v2's shapes
//! (30 tokens, batch 32): each dense matmul tile that Tint compiles quickly,
//! the layer norm and the softmax, warm, median of three runs, each timed to
//! its read-back. What `DenseOperands::choose` picks on a software adapter
//! behind the browser rests on these numbers (BENCHMARKS.md, "Browser").
//! Every tile's product is also checked against the 16x16 tile's.
//! Run: `bash scripts/test-web.sh --test browser_kernel_timing`.

#![cfg(target_arch = "wasm32")]

use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::{MatmulTile, RowVariant};
use tessera_runtime::ops::MatmulVariant;
use tessera_runtime::Tensor;
use tessera_web::open_browser_device;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// Timed runs per kernel after one warm-up run (which also compiles it).
const RUNS: usize = 3;

/// Values in [-1, 1) from a fixed-seed xorshift (no zeros-only inputs).
fn random(len: usize, seed: u64) -> Vec<f32> {
    let mut s = seed | 1;
    (0..len)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect()
}

fn upload(device: &Arc<dyn Device>, shape: &[usize], seed: u64) -> Tensor {
    let data = random(shape.iter().product(), seed);
    Tensor::from_slice(device, &data, shape).expect("upload")
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Median milliseconds of `RUNS` runs of `op` (each read back), after a warm-up
/// run; also the warm-up's milliseconds and the last output.
async fn time<F: Fn() -> Tensor>(op: F) -> (f64, f64, Vec<f32>) {
    let start = now_ms();
    let mut out = op().to_vec_async::<f32>().await.expect("read back");
    let warm_up = now_ms() - start;
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let start = now_ms();
        out = op().to_vec_async::<f32>().await.expect("read back");
        times.push(now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    (times[RUNS / 2], warm_up, out)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[wasm_bindgen_test]
async fn minilm_kernels_timed_on_the_browser_adapter() {
    let device = open_browser_device()
        .await
        .unwrap_or_else(|e| panic!("no WebGPU device in this browser: {e}"));
    console_log!("adapter: {}", device.adapter().summary());
    let tiles = [
        MatmulVariant::Tiled(MatmulTile::Small),
        MatmulVariant::Tiled(MatmulTile::Direct),
    ];
    // x [tokens, k] · Wᵀ with W stored [n, k], as nn::Linear runs it; then
    // the attention scores q · kᵀ over 32 sentences x 12 heads.
    let products: [(&str, [usize; 3], [usize; 3]); 3] = [
        ("ffn up [960,384]x[384,1536]", [1, 960, 384], [1, 1536, 384]),
        (
            "ffn down [960,1536]x[1536,384]",
            [1, 960, 1536],
            [1, 384, 1536],
        ),
        (
            "scores [384,30,64]x[384,64,30]",
            [384, 30, 64],
            [384, 30, 64],
        ),
    ];
    for (i, (name, sa, sw)) in products.into_iter().enumerate() {
        let a = upload(&device, &sa, 11 + i as u64);
        let w = upload(&device, &sw, 23 + i as u64);
        let b = w.transpose(1, 2).expect("transpose");
        let mut baseline: Option<Vec<f32>> = None;
        for variant in tiles.into_iter().map(Some).chain([None]) {
            let (ms, warm_up, out) =
                time(|| a.matmul_with_variant(&b, variant).expect("matmul")).await;
            let label = variant.map_or("auto".into(), |v| v.name());
            console_log!("{name} {label}: {ms:.1} ms (warm-up {warm_up:.0} ms)");
            match &baseline {
                None => baseline = Some(out),
                Some(want) => {
                    let d = max_abs_diff(&out, want);
                    assert!(d <= 1e-3, "{name} {label} differs from tile16 by {d:.2e}");
                }
            }
        }
    }
    let x = upload(&device, &[960, 384], 5);
    let gamma = upload(&device, &[384], 6);
    let beta = upload(&device, &[384], 7);
    for variant in [Some(RowVariant::General), Some(RowVariant::Vec4), None] {
        let (ms, warm_up, _) = time(|| {
            x.layer_norm_with_variant(Some(&gamma), Some(&beta), 1e-12, variant)
                .expect("layer norm")
        })
        .await;
        console_log!("layer norm [960,384] {variant:?}: {ms:.1} ms (warm-up {warm_up:.0} ms)");
    }
    let scores = upload(&device, &[32, 12, 30, 30], 8);
    let mask = upload(&device, &[32, 1, 1, 30], 9);
    let (ms, warm_up, _) = time(|| scores.softmax(Some(&mask)).expect("softmax")).await;
    console_log!("softmax [32,12,30,30] + mask: {ms:.1} ms (warm-up {warm_up:.0} ms)");
    let (ms, warm_up, _) = time(|| x.gelu().expect("gelu")).await;
    console_log!("gelu [960,384] (elementwise, for scale): {ms:.1} ms (warm-up {warm_up:.0} ms)");
}
