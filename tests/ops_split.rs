//! Tensors larger than one storage binding: the ops split them (windows of
//! one buffer, row blocks of a weight or table). A Linear layer with a
//! 256 MiB f32 weight runs under the adapter's own limit (lavapipe binds at
//! most 128 MiB); the other cases open each test adapter again with a small
//! binding cap ([`DeviceOptions`]) so every split path runs on small, odd
//! shapes, with poisoned outputs, against f64 host computations.

mod common;

use common::*;
use rand::Rng;
use std::sync::Arc;
use tessera_hal::{open_device_with, AdapterSelector, Device, DeviceOptions, MIN_BINDING_CAP};
use tessera_kernels::DType;
use tessera_runtime::nn::Linear;
use tessera_runtime::ops::where_select;
use tessera_runtime::ops::Weight;
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat};
use tessera_runtime::reference::{BinaryOp, UnaryOp};
use tessera_runtime::{reference, Error, Tensor};

#[path = "split/attention.rs"]
mod attention;
#[path = "split/reduce_select.rs"]
mod reduce_select;

/// The binding cap of the small-limit devices: 256 KiB.
const CAP: u64 = 4 * MIN_BINDING_CAP;

/// Each WGSL test adapter opened again with a binding of at most [`CAP`].
fn capped_devices() -> Vec<Arc<dyn Device>> {
    let options = DeviceOptions {
        max_binding_bytes: Some(CAP),
    };
    kernel_devices()
        .map(|d| {
            let selector = AdapterSelector::Named(d.adapter().index.to_string());
            let capped = open_device_with(&selector, &options).expect("reopening the adapter");
            assert_eq!(capped.adapter().limits.max_storage_buffer_binding_size, CAP);
            capped
        })
        .collect()
}

/// `x [m, k] · w[rows]ᵀ` in f64 for the listed output columns.
fn host_rows_product(x: &[f64], w: &[f32], k: usize, m: usize, cols: &[usize]) -> Vec<f32> {
    let mut out = Vec::with_capacity(m * cols.len());
    for i in 0..m {
        for &c in cols {
            let row = &w[c * k..(c + 1) * k];
            let dot: f64 = (0..k).map(|j| x[i * k + j] * f64::from(row[j])).sum();
            out.push(dot as f32);
        }
    }
    out
}

#[test]
fn linear_with_a_256_mib_weight_runs_under_the_adapter_limit() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("linear_256_mib");
    let (n, k, m) = (8192usize, 8192usize, 3usize);
    let bytes = (n * k * 4) as u64;
    let mut ran = 0;
    for device in kernel_devices() {
        let limits = &device.adapter().limits;
        if limits.max_buffer_size < bytes {
            eprintln!(
                "{}: buffers of {bytes} bytes do not fit; skipped",
                label(device)
            );
            continue;
        }
        assert!(
            limits.max_storage_buffer_binding_size < bytes,
            "this test wants a split"
        );
        let w = random_vec(&mut rng, n * k, -1.0, 1.0);
        let x = random_vec(&mut rng, m * k, -1.0, 1.0);
        let bias = random_vec(&mut rng, n, -1.0, 1.0);
        let weight = Tensor::from_slice(device, &w, &[n, k]).expect("a 256 MiB tensor");
        let linear = Linear::new(
            weight,
            Some(Tensor::from_slice(device, &bias, &[n]).unwrap()),
        )
        .expect("linear");
        let y = linear
            .forward(&Tensor::from_slice(device, &x, &[m, k]).unwrap())
            .expect("forward");
        assert_eq!(y.shape(), [m, n]);
        let y = y.to_vec::<f32>().unwrap();
        // Both ends, the rows around every block edge a split may use, random.
        let mut cols = vec![0, 1, n / 2 - 1, n / 2, n - 2, n - 1, 4094, 4095, 4096, 8190];
        cols.extend((0..40).map(|_| rng.random_range(0..n)));
        let xd: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut expected = host_rows_product(&xd, &w, k, m, &cols);
        let mut actual = Vec::new();
        for i in 0..m {
            for (j, &c) in cols.iter().enumerate() {
                expected[i * cols.len() + j] += bias[c];
                actual.push(y[i * n + c]);
            }
        }
        let context = format!("{} [{m}, {k}] x [{n}, {k}]ᵀ seed {seed}", label(device));
        assert_close(&actual, &expected, Tolerance::matmul_f32(k), &context);
        assert!(
            y.iter().all(|v| v.is_finite()),
            "{context}: unwritten outputs"
        );
        ran += 1;
    }
    eprintln!("ran on {ran} adapters");
}

#[test]
fn matmul_t_splits_a_dense_weight_into_row_windows() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_matmul_t");
    for device in capped_devices() {
        // 1237 x 301 f32: 1.4 MiB, over five windows of a 256 KiB binding.
        let (n, k) = (1237usize, 301usize);
        let w = random_vec(&mut rng, n * k, -1.0, 1.0);
        let weight = Weight::from(Tensor::from_slice(&device, &w, &[n, k]).unwrap());
        for m in [1usize, 5, 37] {
            let x = random_vec(&mut rng, m * k, -1.0, 1.0);
            let y = Tensor::from_slice(&device, &x, &[m, k])
                .unwrap()
                .matmul_t(&weight)
                .expect("split matmul_t");
            let (expected, _) = reference::matmul(&x, &[m, k], &w, &[n, k], false, true);
            let context = format!("{} m {m} [{n}, {k}] seed {seed}", label(&device));
            assert_close(
                &y.to_vec::<f32>().unwrap(),
                &expected,
                Tolerance::matmul_f32(k),
                &context,
            );
        }
    }
}

#[test]
fn matmul_splits_a_b_and_the_result_of_any_layout() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_matmul");
    for device in capped_devices() {
        // (m, k, n, B stored transposed): a large A and result; a large
        // row-major B (split over k); a large transposed B (split over n).
        for (m, k, n, tb) in [
            (613, 127, 129, false),
            (3, 1031, 97, false),
            (7, 523, 211, true),
        ] {
            let a = random_vec(&mut rng, m * k, -1.0, 1.0);
            let b = random_vec(&mut rng, k * n, -1.0, 1.0);
            let ta = Tensor::from_slice(&device, &a, &[m, k]).unwrap();
            let tb_tensor = if tb {
                Tensor::from_slice(&device, &b, &[n, k])
                    .unwrap()
                    .transpose(0, 1)
                    .unwrap()
            } else {
                Tensor::from_slice(&device, &b, &[k, n]).unwrap()
            };
            let y = ta.matmul(&tb_tensor).expect("split matmul");
            let b_shape = if tb { [n, k] } else { [k, n] };
            let (expected, _) = reference::matmul(&a, &[m, k], &b, &b_shape, false, tb);
            let context = format!("{} [{m},{k}]x[{k},{n}] tb {tb} seed {seed}", label(&device));
            assert_close(
                &y.to_vec::<f32>().unwrap(),
                &expected,
                Tolerance::matmul_f32(k),
                &context,
            );
        }
    }
}

#[test]
fn gather_rows_splits_a_large_table_into_vocabulary_blocks() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_gather");
    for device in capped_devices() {
        for dtype in float_dtypes(&device) {
            let (rows, cols) = (3001usize, 67usize);
            let values = random_vec(&mut rng, rows * cols, -2.0, 2.0);
            let (table, stored) = upload(&device, &values, &[rows, cols], dtype);
            let mut ids = vec![0u32, rows as u32 - 1, 977, 978, 1955, 1956, 5];
            ids.extend(random_ids(&mut rng, 41, rows as u32));
            let id_tensor = Tensor::from_slice(&device, &ids, &[2, ids.len() / 2]).unwrap();
            let out = table.gather_rows(&id_tensor).expect("split gather");
            assert_eq!(out.shape(), [2, ids.len() / 2, cols]);
            let expected = reference::gather(&stored, rows, cols, &ids).unwrap();
            let context = format!("{} {dtype} [{rows}, {cols}] seed {seed}", label(&device));
            assert_close(
                &out.to_f32_vec().unwrap(),
                &expected,
                Tolerance::EXACT,
                &context,
            );
            let bad = Tensor::from_slice(&device, &[3u32, rows as u32], &[2]).unwrap();
            match table.gather_rows(&bad) {
                Err(Error::IndexOutOfRange { position: 1, .. }) => {}
                other => panic!("{context}: an id past the table gave {other:?}"),
            }
        }
    }
}

#[test]
fn quantized_weights_split_into_row_blocks_for_products_and_lookups() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_quant");
    for device in capped_devices() {
        // Q8_0 [1500, 512]: 816 KB of blocks over four parts.
        let (n, k) = (1500usize, 512usize);
        let values = random_vec(&mut rng, n * k, -1.0, 1.0);
        let bytes = quantize_rows(QuantFormat::Q8_0, &values, k).unwrap();
        let dense = dequantize_rows(QuantFormat::Q8_0, &bytes, k).unwrap();
        let weight = Weight::quantized(&device, QuantFormat::Q8_0, n, k, &bytes).unwrap();
        assert!(matches!(&weight, Weight::Rows(parts) if parts.len() > 1));
        let context = format!("{} Q8_0 [{n}, {k}] seed {seed}", label(&device));
        let x = random_vec(&mut rng, 3 * k, -1.0, 1.0);
        let y = Tensor::from_slice(&device, &x, &[3, k])
            .unwrap()
            .matmul_t(&weight)
            .unwrap();
        let (expected, _) = reference::matmul(&x, &[3, k], &dense, &[n, k], false, true);
        assert_close(
            &y.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::matmul_f32(k),
            &context,
        );
        let ids = [n as u32 - 1, 0, 700, 1499, 3];
        let rows = weight.embed(&device, &ids).unwrap();
        let expected = reference::gather(&dense, n, k, &ids).unwrap();
        assert_close(
            &rows.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::EXACT,
            &context,
        );
    }
}

#[test]
fn copies_and_products_past_one_binding_split() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_copy");
    for device in capped_devices() {
        let (r, c) = (389usize, 211usize);
        let values = random_vec(&mut rng, r * c, -1.0, 1.0);
        let t = Tensor::from_slice(&device, &values, &[r, c]).unwrap();
        let transposed = t.transpose(0, 1).unwrap().contiguous().expect("split copy");
        let expected = reference::permute(&values, &[r, c], &[1, 0]);
        let context = format!("{} [{r}, {c}] seed {seed}", label(&device));
        assert_close(
            &transposed.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::EXACT,
            &context,
        );
        // [3, k] x [k, 2] with each row of A within the cap but A and B past
        // it: rows of A and blocks of the inner dimension, partial sums added.
        let k = 40_961usize;
        let a = random_vec(&mut rng, 3 * k, -1.0, 1.0);
        let b = random_vec(&mut rng, k * 2, -1.0, 1.0);
        let ta = Tensor::from_slice(&device, &a, &[3, k]).unwrap();
        let tb = Tensor::from_slice(&device, &b, &[k, 2]).unwrap();
        let product = ta
            .matmul(&tb)
            .unwrap_or_else(|e| panic!("{context}: [3, {k}] x [{k}, 2]: {e}"));
        assert_close(
            &product.to_vec::<f32>().unwrap(),
            &reference::matmul(&a, &[3, k], &b, &[k, 2], false, false).0,
            Tolerance::matmul_f32(k),
            &format!("{context} [3, {k}] x [{k}, 2]"),
        );
        // One row of A past the cap cannot be cut: a typed error naming the op.
        let wide = Tensor::from_slice(&device, &values, &[1, r * c]).unwrap();
        let column = Tensor::from_slice(&device, &values, &[r * c, 1]).unwrap();
        match wide.matmul(&column) {
            Err(Error::TooLarge { op, .. }) => assert_eq!(op, "matmul", "{context}"),
            other => panic!("{context}: a row past the cap: expected TooLarge, got {other:?}"),
        }
        assert_eq!(DType::F32, transposed.dtype());
    }
}

#[test]
fn elementwise_and_row_ops_split_over_blocks_of_rows() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_rows");
    let tol = Tolerance::F32_TRANSCENDENTAL;
    for device in capped_devices() {
        let ctx = |what: &str, shape: &[usize]| {
            format!("{} {what} {shape:?} seed {seed}", label(&device))
        };
        // [613, 129] f32: 316 KB; [1, 701, 97]: 272 KB in one dim-0 row.
        for shape in [vec![613usize, 129], vec![1, 701, 97]] {
            let n = *shape.last().unwrap();
            let numel: usize = shape.iter().product();
            let values = random_vec(&mut rng, numel, -3.0, 3.0);
            let x = Tensor::from_slice(&device, &values, &shape).unwrap();
            let exp = x.exp().expect("split exp").to_vec::<f32>().unwrap();
            assert_close(
                &exp,
                &reference::unary(UnaryOp::Exp, &values),
                tol,
                &ctx("exp", &shape),
            );
            let row = random_vec(&mut rng, n, -1.0, 1.0);
            let r = Tensor::from_slice(&device, &row, &[n]).unwrap();
            let sum = x.add(&r).expect("split add").to_vec::<f32>().unwrap();
            let (expected, _) = reference::binary(BinaryOp::Add, &values, &shape, &row, &[n]);
            assert_close(
                &sum,
                &expected,
                Tolerance::F32_EXACTISH,
                &ctx("add", &shape),
            );
            let soft = x
                .softmax(None)
                .expect("split softmax")
                .to_vec::<f32>()
                .unwrap();
            assert_close(
                &soft,
                &reference::softmax(&values, &shape, None),
                tol,
                &ctx("softmax", &shape),
            );
            let bias = random_vec(&mut rng, n, -1.0, 1.0);
            let b = Tensor::from_slice(&device, &bias, &[n]).unwrap();
            let ln = x
                .layer_norm(Some(&r), Some(&b), 1e-5)
                .expect("split layer_norm");
            let expected = reference::layernorm(&values, &shape, Some(&row), Some(&bias), 1e-5);
            assert_close(
                &ln.to_vec::<f32>().unwrap(),
                &expected,
                tol,
                &ctx("layer_norm", &shape),
            );
            let rms = x.rms_norm(Some(&r), 1e-6).expect("split rms_norm");
            let expected = reference::rmsnorm(&values, &shape, Some(&row), 1e-6);
            assert_close(
                &rms.to_vec::<f32>().unwrap(),
                &expected,
                tol,
                &ctx("rms_norm", &shape),
            );
        }
        // A masked softmax: scores [3, 5, 61, 67] (314 KB) under a [3, 1, 1, 67] mask.
        let shape = [3usize, 5, 61, 67];
        let numel: usize = shape.iter().product();
        let values = random_vec(&mut rng, numel, -3.0, 3.0);
        let mask: Vec<f32> = (0..3 * 67)
            .map(|i| if i % 7 == 3 { f32::NEG_INFINITY } else { 0.0 })
            .collect();
        let x = Tensor::from_slice(&device, &values, &shape).unwrap();
        let m = Tensor::from_slice(&device, &mask, &[3, 1, 1, 67]).unwrap();
        let soft = x.softmax(Some(&m)).expect("split masked softmax");
        let expected = reference::softmax(&values, &shape, Some((&mask, &[3, 1, 1, 67])));
        assert_close(
            &soft.to_vec::<f32>().unwrap(),
            &expected,
            tol,
            &ctx("masked softmax", &shape),
        );
        // One row wider than a binding cannot split: a typed error.
        let wide = Tensor::from_slice(&device, &random_vec(&mut rng, 70_000, -1.0, 1.0), &[70_000])
            .unwrap();
        assert!(
            matches!(wide.softmax(None), Err(Error::TooLarge { .. })),
            "{}",
            ctx("wide softmax", &[70_000])
        );
    }
}

#[test]
fn batched_matmul_splits_over_its_batch() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_batched");
    for device in capped_devices() {
        // [5, 3, 37, 41] @ [3, 41, 53] (B broadcast over dim 0): 303 KB of A,
        // 118 KB of result; then blocks of one entry: [2, 1, 601, 67] @ [67, 29].
        let (a_shape, b_shape) = ([5usize, 3, 37, 41], [3usize, 41, 53]);
        let a = random_vec(&mut rng, a_shape.iter().product(), -1.0, 1.0);
        let b = random_vec(&mut rng, b_shape.iter().product(), -1.0, 1.0);
        let ta = Tensor::from_slice(&device, &a, &a_shape).unwrap();
        let tb = Tensor::from_slice(&device, &b, &b_shape).unwrap();
        let y = ta.matmul(&tb).expect("split batched matmul");
        let (expected, shape) = reference::matmul(&a, &a_shape, &b, &b_shape, false, false);
        assert_eq!(y.shape(), shape.as_slice());
        let context = format!("{} {a_shape:?} x {b_shape:?} seed {seed}", label(&device));
        assert_close(
            &y.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::matmul_f32(41),
            &context,
        );
        let (a_shape, b_shape) = ([2usize, 1, 601, 67], [1usize, 67, 29]);
        let a = random_vec(&mut rng, a_shape.iter().product(), -1.0, 1.0);
        let b = random_vec(&mut rng, b_shape.iter().product(), -1.0, 1.0);
        let ta = Tensor::from_slice(&device, &a, &a_shape).unwrap();
        let tb = Tensor::from_slice(&device, &b, &b_shape).unwrap();
        let y = ta
            .matmul(&tb)
            .expect("split batched matmul, one entry per block");
        let (expected, _) = reference::matmul(&a, &a_shape, &b, &b_shape, false, false);
        let context = format!("{} {a_shape:?} x {b_shape:?} seed {seed}", label(&device));
        assert_close(
            &y.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::matmul_f32(67),
            &context,
        );
    }
}
