//! Kernel timings on the browser's WebGPU adapter at all-MiniLM-L6-v2's shapes
//! (30 tokens, batch 32): each dense matmul tile that Tint compiles quickly,
//! the layer norm and the softmax (each row variant, alternated), warm, median
//! of three runs, each timed to its read-back; and the softmax variants over
//! rows of 30 to 4096, to see where the per-thread one stops paying. What `DenseOperands::choose` picks on a software adapter
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

/// [`time`] for several ops alternated: each warmed up once, then `RUNS`
/// rounds of one run of each; the median and warm-up milliseconds and the last
/// output of each.
async fn time_alternating(ops: &[&dyn Fn() -> Tensor]) -> Vec<(f64, f64, Vec<f32>)> {
    let mut results = Vec::new();
    for op in ops {
        let start = now_ms();
        let out = op().to_vec_async::<f32>().await.expect("read back");
        results.push((Vec::new(), now_ms() - start, out));
    }
    for _ in 0..RUNS {
        for (op, (times, _, out)) in ops.iter().zip(&mut results) {
            let start = now_ms();
            *out = op().to_vec_async::<f32>().await.expect("read back");
            times.push(now_ms() - start);
        }
    }
    results
        .into_iter()
        .map(|(mut times, warm_up, out)| {
            times.sort_by(f64::total_cmp);
            (times[RUNS / 2], warm_up, out)
        })
        .collect()
}

/// Time the row variants `variants` (`None`: the automatic choice) of `op`
/// alternated, log each as `name label: ms`, and check every output against
/// the first's within `tol`.
async fn time_row_variants(
    name: &str,
    variants: &[Option<RowVariant>],
    op: impl Fn(Option<RowVariant>) -> Tensor,
    tol: f32,
) {
    let op = &op;
    let ops: Vec<Box<dyn Fn() -> Tensor + '_>> = variants
        .iter()
        .map(|&v| Box::new(move || op(v)) as Box<dyn Fn() -> Tensor + '_>)
        .collect();
    let refs: Vec<&dyn Fn() -> Tensor> = ops.iter().map(|b| b.as_ref()).collect();
    let results = time_alternating(&refs).await;
    for (variant, (ms, warm_up, out)) in variants.iter().zip(&results) {
        let label = variant.map_or("auto", |v| v.name());
        console_log!("{name} {label}: {ms:.1} ms (warm-up {warm_up:.0} ms)");
        let d = max_abs_diff(out, &results[0].2);
        assert!(
            d <= tol,
            "{name} {label} differs from the first variant by {d:.2e}"
        );
    }
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
    let row_variants = [
        Some(RowVariant::General),
        Some(RowVariant::PerThread),
        Some(RowVariant::Vec4),
        None,
    ];
    time_row_variants(
        "layer norm [960,384]",
        &row_variants,
        |v| {
            x.layer_norm_with_variant(Some(&gamma), Some(&beta), 1e-12, v)
                .expect("layer norm")
        },
        1e-4,
    )
    .await;
    let scores = upload(&device, &[32, 12, 30, 30], 8);
    let mask = upload(&device, &[32, 1, 1, 30], 9);
    time_row_variants(
        "softmax [32,12,30,30] + mask",
        &[Some(RowVariant::General), Some(RowVariant::PerThread), None],
        |v| {
            scores
                .softmax_with_variant(Some(&mask), v)
                .expect("softmax")
        },
        1e-5,
    )
    .await;
    // Where the per-thread softmax stops paying: 345,600 values in rows of n.
    for n in [30, 64, 128, 256, 1024, 4096] {
        let rows = 345_600usize.div_ceil(n);
        let x = upload(&device, &[rows, n], 10 + n as u64);
        let mut variants = vec![Some(RowVariant::General), Some(RowVariant::PerThread)];
        if n % 4 == 0 {
            variants.push(Some(RowVariant::Vec4));
        }
        time_row_variants(
            &format!("softmax [{rows},{n}]"),
            &variants,
            |v| x.softmax_with_variant(None, v).expect("softmax"),
            1e-5,
        )
        .await;
    }
    let (ms, warm_up, _) = time(|| x.gelu().expect("gelu")).await;
    console_log!("gelu [960,384] (elementwise, for scale): {ms:.1} ms (warm-up {warm_up:.0} ms)");
}
