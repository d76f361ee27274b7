//! GGML Q8_0 / Q4_0 (and F16 in blocks) weights kept in their format on the device: the CPU block
//! formats against ggml's rules and hand-made blocks; the device copy of a
//! weight; `x · Wᵀ` through every kernel (and the automatic choice) against
//! the f64 reference on the dequantized weight, over odd shapes, batched and
//! strided inputs and f16; quantized embedding lookups; and bad sizes, shapes
//! and ids as typed errors. Every op test runs on every test adapter.

mod common;

use common::*;
use half::f16;
use rand::Rng;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;
use tessera_runtime::quant::{
    dequantize_rows, quantize_rows, row_bytes, QuantFormat, QuantKernel, QuantMatrix,
};
use tessera_runtime::{reference, Error, Tensor};

const MS: [usize; 8] = [1, 2, 3, 5, 8, 9, 33, 100];
const KS: [usize; 4] = [32, 64, 96, 4096];
const NS: [usize; 4] = [1, 7, 33, 257];

/// Tolerance of `x · Wᵀ` against the f64 reference on the dequantized weight.
/// Dequantization is exact in f32 (an f16 scale times an integer of at most
/// 8 bits, or an f16 widened), so what remains is f32 accumulation over `k` terms of unit-scale
/// inputs: the dense matmul's tolerance ([`Tolerance::matmul_f32`] /
/// [`Tolerance::matmul_f16`] for f16 storage of x and out).
fn quant_matmul_tol(dtype: DType, k: usize) -> Tolerance {
    match dtype {
        DType::F16 => Tolerance::matmul_f16(k),
        _ => Tolerance::matmul_f32(k),
    }
}

/// `n x k` random values in [-1, 1) quantized to `format`: the device matrix,
/// its ggml bytes and the dequantized values (what the reference sees).
fn random_weight<R: Rng>(
    dev: &Arc<dyn Device>,
    rng: &mut R,
    format: QuantFormat,
    n: usize,
    k: usize,
) -> (QuantMatrix, Vec<u8>, Vec<f32>) {
    let bytes = quantize_rows(format, &random_vec(rng, n * k, -1.0, 1.0), k).unwrap();
    let w = QuantMatrix::from_ggml_bytes(dev, format, n, k, &bytes).unwrap();
    let deq = dequantize_rows(format, &bytes, k).unwrap();
    (w, bytes, deq)
}

/// Runs `x · Wᵀ` with `kernel` and compares with the reference on `xv`
/// (the values of x as stored, row-major over its logical shape).
fn check_product(
    x: &Tensor,
    xv: &[f32],
    w: &QuantMatrix,
    deq: &[f32],
    kernel: Option<QuantKernel>,
    ctx: &str,
) {
    let (n, k) = (w.rows(), w.cols());
    let m = xv.len() / k;
    let (want, _) = reference::matmul(xv, &[m, k], deq, &[n, k], false, true);
    let out = x
        .matmul_quant_t_with(w, kernel)
        .unwrap_or_else(|e| panic!("{ctx} {kernel:?}: {e}"));
    let mut shape = x.shape()[..x.rank() - 1].to_vec();
    shape.push(n);
    assert_eq!(out.shape(), shape.as_slice(), "{ctx} {kernel:?}");
    assert_eq!(out.dtype(), x.dtype(), "{ctx} {kernel:?}");
    let got = out.to_f32_vec().unwrap();
    let tol = quant_matmul_tol(x.dtype(), k);
    assert_close(&got, &want, tol, &format!("{ctx} {kernel:?}"));
}

/// The automatic choice, then every kernel forced.
const KERNELS: [Option<QuantKernel>; 4] = [
    None,
    Some(QuantKernel::ALL[0]),
    Some(QuantKernel::ALL[1]),
    Some(QuantKernel::ALL[2]),
];

#[test]
fn quant_matmul_odd_shapes_every_kernel() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_matmul_odd_shapes_every_kernel");
    for dev in test_devices() {
        for format in QuantFormat::ALL {
            for (i, k) in KS.into_iter().enumerate() {
                for (j, n) in NS.into_iter().enumerate() {
                    let (w, _, deq) = random_weight(dev, &mut rng, format, n, k);
                    // Every m meets every k: two per (k, n) pair, rotating.
                    for m in [MS[(2 * (i + j)) % 8], MS[(2 * (i + j) + 1 + i) % 8]] {
                        let (x, xv) = upload(
                            dev,
                            &random_vec(&mut rng, m * k, -1.0, 1.0),
                            &[m, k],
                            DType::F32,
                        );
                        let ctx =
                            format!("{format} m={m} k={k} n={n} on {} seed {seed}", label(dev));
                        for kernel in KERNELS {
                            check_product(&x, &xv, &w, &deq, kernel, &ctx);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn quant_matmul_batched_strided_and_f16() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_matmul_batched_strided_and_f16");
    for dev in test_devices() {
        for format in QuantFormat::ALL {
            let (n, k) = (33, 96);
            let (w, _, deq) = random_weight(dev, &mut rng, format, n, k);
            let ctx =
                |what: &str| format!("{format} {what} n={n} k={k} on {} seed {seed}", label(dev));
            for dtype in float_dtypes(dev) {
                for lead in [&[][..], &[1], &[2, 3], &[3, 5], &[2, 1, 4], &[4, 25]] {
                    let mut shape = lead.to_vec();
                    shape.push(k);
                    let len = shape.iter().product();
                    let (x, xv) = upload(dev, &random_vec(&mut rng, len, -1.0, 1.0), &shape, dtype);
                    for kernel in KERNELS {
                        check_product(
                            &x,
                            &xv,
                            &w,
                            &deq,
                            kernel,
                            &ctx(&format!("{dtype} x {shape:?}")),
                        );
                    }
                }
            }
            // x stored [k, m] and used transposed: not contiguous.
            let m = 5;
            let (xt, xtv) = upload(
                dev,
                &random_vec(&mut rng, m * k, -1.0, 1.0),
                &[k, m],
                DType::F32,
            );
            let x = xt.transpose(0, 1).unwrap();
            let xv: Vec<f32> = (0..m * k).map(|i| xtv[(i % k) * m + i / k]).collect();
            for kernel in KERNELS {
                check_product(&x, &xv, &w, &deq, kernel, &ctx("transposed x"));
            }
            // Contiguous but at an offset of 1: not vec4-aligned.
            let m = 9;
            let (base, bv) = upload(
                dev,
                &random_vec(&mut rng, m * k + 1, -1.0, 1.0),
                &[m * k + 1],
                DType::F32,
            );
            let x = base
                .narrow(0, 1..m * k + 1)
                .unwrap()
                .reshape(&[m, k])
                .unwrap();
            for kernel in KERNELS {
                check_product(&x, &bv[1..], &w, &deq, kernel, &ctx("offset x"));
            }
            // No rows: an empty result, nothing dispatched.
            let empty = Tensor::from_slice(dev, &[0.0f32; 0], &[0, k]).unwrap();
            assert_eq!(empty.matmul_quant_t(&w).unwrap().shape(), [0, n]);
        }
    }
}

#[test]
fn quant_matmul_shape_and_dtype_errors() {
    let dev = &test_devices()[0];
    let (mut rng, _) = seeded_rng("quant_matmul_shape_and_dtype_errors");
    let (w, _, _) = random_weight(dev, &mut rng, QuantFormat::Q4_0, 7, 64);
    let wrong_k = Tensor::from_slice(dev, &[0.5f32; 96], &[3, 32]).unwrap();
    match wrong_k.matmul_quant_t(&w) {
        Err(Error::Shape(e)) => assert_eq!(e.op, "matmul_quant_t"),
        other => panic!("expected a shape error, got {other:?}"),
    }
    let scalar = Tensor::from_slice(dev, &[0.5f32], &[]).unwrap();
    assert!(matches!(scalar.matmul_quant_t(&w), Err(Error::Shape(_))));
    let ints = Tensor::from_slice(dev, &[1i32; 64], &[1, 64]).unwrap();
    assert!(matches!(ints.matmul_quant_t(&w), Err(Error::DType { .. })));
}

#[test]
fn quant_matrix_keeps_the_file_bytes() {
    let (mut rng, seed) = seeded_rng("quant_matrix_keeps_the_file_bytes");
    for dev in test_devices() {
        for format in QuantFormat::ALL {
            for (n, k) in [(1, 32), (3, 96), (7, 64), (257, 4096)] {
                let (w, bytes, deq) = random_weight(dev, &mut rng, format, n, k);
                let ctx = format!("{format} {n}x{k} on {} seed {seed}", label(dev));
                assert_eq!((w.rows(), w.cols(), w.format()), (n, k, format), "{ctx}");
                assert_eq!(w.to_ggml_bytes().unwrap(), bytes, "{ctx}");
                assert_close(
                    &w.dequantize_to_f32().unwrap(),
                    &deq,
                    Tolerance::EXACT,
                    &ctx,
                );
                // The file's bytes, plus 2 bytes of scale padding for an odd
                // block count (F16: the one unread scale word).
                let padding = match format {
                    QuantFormat::F16 => 4,
                    _ => 2 * (n * k / 32 % 2),
                };
                assert_eq!(w.gpu_bytes(), bytes.len() + padding, "{ctx}");
            }
        }
    }
}

#[test]
fn quant_matrix_rejects_bad_sizes() {
    let dev = &test_devices()[0];
    let shape_error = |r: tessera_runtime::Result<QuantMatrix>, what: &str| match r {
        Err(Error::Shape(e)) => assert_eq!(e.op, "quant_matrix", "{what}"),
        other => panic!("{what}: expected a shape error, got {other:?}"),
    };
    for format in QuantFormat::ALL {
        let b = format.block_bytes();
        let ok = vec![0u8; 2 * b];
        assert!(QuantMatrix::from_ggml_bytes(dev, format, 2, 32, &ok).is_ok());
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, 32, &ok[..2 * b - 1]),
            "short",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 1, 32, &ok),
            "long",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, 31, &ok),
            "k = 31",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, 48, &ok),
            "k = 48",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, 0, &[]),
            "k = 0",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 0, 32, &[]),
            "no rows",
        );
        match QuantMatrix::from_ggml_bytes(dev, format, usize::MAX / 2, 64, &ok) {
            Err(Error::TooLarge { op, .. }) => assert_eq!(op, "quant_matrix"),
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }
}

#[test]
fn quant_gather_rows_valid_and_out_of_range() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_gather_rows_valid_and_out_of_range");
    for dev in test_devices() {
        for format in QuantFormat::ALL {
            let (rows, k) = (37, 96);
            let (w, _, deq) = random_weight(dev, &mut rng, format, rows, k);
            let ctx = format!("{format} gather on {} seed {seed}", label(dev));
            let ids_u: Vec<u32> = random_ids(&mut rng, 6, rows as u32)
                .into_iter()
                .chain([0, rows as u32 - 1])
                .collect();
            let ids_i: Vec<i32> = ids_u.iter().map(|&i| i as i32).collect();
            let want: Vec<f32> = ids_u
                .iter()
                .flat_map(|&i| deq[i as usize * k..][..k].to_vec())
                .collect();
            let t_u = Tensor::from_slice(dev, &ids_u, &[2, 4]).unwrap();
            let t_i = Tensor::from_slice(dev, &ids_i, &[8]).unwrap();
            for (ids, shape) in [(&t_u, vec![2, 4, k]), (&t_i, vec![8, k])] {
                let out = w.gather_rows(ids).unwrap();
                assert_eq!(out.shape(), shape.as_slice(), "{ctx}");
                assert_eq!(out.dtype(), DType::F32, "{ctx}");
                assert_close(&out.to_vec::<f32>().unwrap(), &want, Tolerance::EXACT, &ctx);
            }
            let none = Tensor::from_slice(dev, &[0u32; 0], &[0]).unwrap();
            assert_eq!(w.gather_rows(&none).unwrap().shape(), [0, k]);
            let past_end = Tensor::from_slice(dev, &[3u32, rows as u32], &[2]).unwrap();
            match w.gather_rows(&past_end) {
                Err(Error::IndexOutOfRange {
                    index,
                    position,
                    bound,
                    ..
                }) => {
                    assert_eq!((index, position, bound), (rows as i64, 1, rows), "{ctx}")
                }
                other => panic!("{ctx}: expected IndexOutOfRange, got {other:?}"),
            }
            let negative = Tensor::from_slice(dev, &[-1i32], &[1]).unwrap();
            assert!(matches!(
                w.gather_rows(&negative),
                Err(Error::IndexOutOfRange { index: -1, .. })
            ));
            let floats = Tensor::from_slice(dev, &[1.0f32], &[1]).unwrap();
            assert!(matches!(w.gather_rows(&floats), Err(Error::DType { .. })));
        }
    }
}

/// A Q8_0 block: the f16 bits of `d`, then 32 quants.
fn q8_block(d: f32, qs: [i8; 32]) -> Vec<u8> {
    let mut b = f16::from_f32(d).to_bits().to_le_bytes().to_vec();
    b.extend(qs.iter().map(|&q| q as u8));
    b
}

#[test]
fn quantize_follows_ggml_rules_on_known_values() {
    // Q8_0, amax 127: d = 1 exactly, q = round(x) half away from zero.
    let mut x = [0.0f32; 32];
    x[..8].copy_from_slice(&[127.0, -127.0, 2.5, -2.5, 0.49, -0.51, 126.5, 3.0]);
    let mut want = [0i8; 32];
    want[..8].copy_from_slice(&[127, -127, 3, -3, 0, -1, 127, 3]);
    assert_eq!(
        quantize_rows(QuantFormat::Q8_0, &x, 32).unwrap(),
        q8_block(1.0, want)
    );
    // d = amax / 127 stored as f16; values i - 15: q = round((i - 15) * 127 / 16).
    let x: Vec<f32> = (0..32).map(|i| i as f32 - 15.0).collect();
    let bytes = quantize_rows(QuantFormat::Q8_0, &x, 32).unwrap();
    assert_eq!(
        bytes[..2],
        f16::from_f32(16.0 / 127.0).to_bits().to_le_bytes()
    );
    assert_eq!(
        (bytes[2] as i8, bytes[17] as i8, bytes[33] as i8),
        (-119, 0, 127)
    );

    // Q4_0, largest magnitude -8: d = -8 / -8 = 1, q = min(15, trunc(x + 8.5)).
    let mut x = [0.0f32; 32];
    x[..6].copy_from_slice(&[-8.0, 7.0, 7.4, 0.0, -0.6, 0.6]);
    x[16..20].copy_from_slice(&[-7.9, 1.49, -3.0, 5.5]);
    let q = quantize_rows(QuantFormat::Q4_0, &x, 32).unwrap();
    assert_eq!(q.len(), 18);
    assert_eq!(q[..2], f16::from_f32(1.0).to_bits().to_le_bytes());
    let lo: Vec<u8> = q[2..].iter().map(|b| b & 0xF).collect();
    let hi: Vec<u8> = q[2..].iter().map(|b| b >> 4).collect();
    assert_eq!(lo[..7], [0, 15, 15, 8, 7, 9, 8]);
    assert_eq!(hi[..5], [0, 9, 5, 14, 8]);
    // Largest magnitude positive (8, after -7.9): d = -1, so 8 -> q 0, and
    // -7.9 -> trunc(16.4) = 16, clamped to 15 (-7 after dequantizing).
    let mut x = [0.0f32; 32];
    x[..3].copy_from_slice(&[-7.9, 8.0, -7.0]);
    let q = quantize_rows(QuantFormat::Q4_0, &x, 32).unwrap();
    assert_eq!(q[..2], f16::from_f32(-1.0).to_bits().to_le_bytes());
    assert_eq!(
        [q[2] & 0xF, q[3] & 0xF, q[4] & 0xF, q[5] & 0xF],
        [15, 0, 15, 8]
    );
    let back = dequantize_rows(QuantFormat::Q4_0, &q, 32).unwrap();
    assert_eq!(back[..4], [-7.0, 8.0, -7.0, 0.0]);
    // All zero: d = 0 (Q4_0: 0 / -8 = -0, stored as f16 -0 as ggml does);
    // Q8_0 quants 0, Q4_0 quants 8; both dequantize to 0.
    let zeros = [0.0f32; 64];
    let q8 = quantize_rows(QuantFormat::Q8_0, &zeros, 64).unwrap();
    assert!(q8.iter().all(|&b| b == 0));
    let q4 = quantize_rows(QuantFormat::Q4_0, &zeros, 32).unwrap();
    assert!(q4
        .chunks(18)
        .all(|b| b[..2] == [0x00, 0x80] && b[2..].iter().all(|&v| v == 0x88)));
    assert_eq!(
        dequantize_rows(QuantFormat::Q4_0, &q4, 32).unwrap(),
        vec![0.0; 64]
    );
}

#[test]
fn dequantize_hand_made_blocks() {
    // Q8_0: d = 0.5, qs[i] = i - 16 (and -128 at the end): value i = 0.5 (i - 16).
    let mut qs = [0i8; 32];
    for (i, q) in qs.iter_mut().enumerate() {
        *q = i as i8 - 16;
    }
    qs[31] = -128;
    let mut want: Vec<f32> = (0..32).map(|i| 0.5 * (i as f32 - 16.0)).collect();
    want[31] = -64.0;
    assert_eq!(
        dequantize_rows(QuantFormat::Q8_0, &q8_block(0.5, qs), 32).unwrap(),
        want
    );
    // Q4_0: d = 0.25, byte j = j | (15 - j) << 4: value j = 0.25 (j - 8),
    // value j + 16 = 0.25 (7 - j). Two rows of one block each.
    let mut block = vec![0x00, 0x34]; // f16 0.25
    block.extend((0..16u8).map(|j| j | ((15 - j) << 4)));
    let mut want: Vec<f32> = (0..16).map(|j| 0.25 * (j as f32 - 8.0)).collect();
    want.extend((0..16).map(|j| 0.25 * (7.0 - j as f32)));
    let two_rows = [block.clone(), block].concat();
    let got = dequantize_rows(QuantFormat::Q4_0, &two_rows, 32).unwrap();
    assert_eq!(got, [want.clone(), want].concat());
}

#[test]
fn quantize_dequantize_round_trip_error() {
    let (mut rng, seed) = seeded_rng("quantize_dequantize_round_trip_error");
    for format in QuantFormat::ALL {
        let k = 96;
        let x = random_vec(&mut rng, 5 * k, -3.0, 3.0);
        let bytes = quantize_rows(format, &x, k).unwrap();
        assert_eq!(bytes.len(), 5 * 3 * format.block_bytes());
        let back = dequantize_rows(format, &bytes, k).unwrap();
        if format == QuantFormat::F16 {
            // Round to nearest f16: exactly what `half` gives, within 2^-11.
            for (i, (a, y)) in x.iter().zip(&back).enumerate() {
                assert_eq!(*y, f16::from_f32(*a).to_f32(), "f16 [{i}], seed {seed}");
                assert!(
                    (a - y).abs() <= a.abs() * 2f32.powi(-11),
                    "f16 [{i}]: {a} -> {y}"
                );
            }
            continue;
        }
        for (b, (xs, ys)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
            let d = f16::from_bits(u16::from_le_bytes([
                bytes[b * format.block_bytes()],
                bytes[b * format.block_bytes() + 1],
            ]))
            .to_f32()
            .abs();
            // Half a step (a whole one for Q4_0's clamped top code), plus the
            // f16 rounding of d times the largest code.
            let step = match format {
                QuantFormat::Q8_0 => 0.5 * d + 127.0 * d * 1e-3,
                QuantFormat::Q4_0 => d + 8.0 * d * 1e-3,
                QuantFormat::F16 => unreachable!("checked above"),
            };
            for (i, (a, y)) in xs.iter().zip(ys).enumerate() {
                assert!(
                    (a - y).abs() <= step,
                    "{format} block {b} [{i}]: {a} -> {y}, d {d}, seed {seed}"
                );
            }
        }
    }
}

#[test]
fn quantize_and_dequantize_reject_bad_sizes() {
    for format in QuantFormat::ALL {
        let shape = |r: tessera_runtime::Result<Vec<u8>>| matches!(r, Err(Error::Shape(_)));
        assert!(shape(quantize_rows(format, &[0.5; 64], 31)));
        assert!(shape(quantize_rows(format, &[0.5; 64], 0)));
        assert!(shape(quantize_rows(format, &[0.5; 48], 32)));
        assert!(quantize_rows(format, &[], 32).unwrap().is_empty());
        let b = format.block_bytes();
        let deq = |bytes: &[u8], k| dequantize_rows(format, bytes, k);
        assert!(matches!(deq(&vec![0; 2 * b - 1], 32), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; 3 * b], 64), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; b], 40), Err(Error::Shape(_))));
        assert_eq!(deq(&vec![0; 4 * b], 64).unwrap().len(), 128);
        assert_eq!(row_bytes(format, 96).unwrap(), 3 * b);
        assert!(matches!(row_bytes(format, 0), Err(Error::Shape(_))));
        assert!(matches!(row_bytes(format, 33), Err(Error::Shape(_))));
    }
}
