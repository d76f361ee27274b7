//! GGML Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K / Q6_K (and F16 in blocks)
//! weights kept in their format on the device: the CPU block formats against
//! ggml's rules and hand-made blocks (the K and Q4_1 / Q5_0 / Q5_1 formats are
//! also checked bit for bit against gguf-py in the runtime's unit tests); the
//! device copy of a weight; `x · Wᵀ` through every kernel (and the automatic
//! choice) against the f64 reference on the dequantized weight, over odd
//! shapes (K formats: odd counts of 256-value super-blocks), batched and
//! strided inputs and f16; quantized embedding lookups; quantized tensors of
//! a GGUF file; and bad sizes, shapes and ids as typed errors. Every op test
//! runs on every test adapter.

mod common;

use common::*;
use half::f16;
use rand::Rng;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;
use tessera_runtime::loaders::gguf::{GgmlType, GgufModelFile, GgufWriter};
use tessera_runtime::quant::{
    dequantize_rows, quantize_rows, row_bytes, QuantFormat, QuantKernel, QuantMatrix,
};
use tessera_runtime::{reference, Error, Tensor};

const MS: [usize; 8] = [1, 2, 3, 5, 8, 9, 33, 100];
const NS: [usize; 4] = [1, 7, 33, 257];

/// Row lengths to test in `format`: multiples of its group (32, or 256 for
/// the K formats), odd counts of groups included.
fn ks(format: QuantFormat) -> &'static [usize] {
    match format.group_values() {
        32 => &[32, 64, 96, 4096],
        _ => &[256, 768, 4096],
    }
}

/// A short row of three groups: 96 values, or 768 for the K formats.
fn three_groups(format: QuantFormat) -> usize {
    3 * format.group_values()
}

/// Tolerance of `x · Wᵀ` against the f64 reference on the dequantized weight.
/// Dequantization is exact in f32 for Q8_0 / Q4_0 / Q5_0 / F16 (an f16 scale
/// times an integer of at most 8 bits, or an f16 widened) and within an ulp
/// or two for Q4_1 / Q5_1 (`q·d + m` rounds twice, and a GPU may fuse it) and
/// the K formats (`(d·sc)·q − dmin·m` likewise), so what remains is f32 accumulation over `k` terms of unit-scale
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

/// Tolerance of a gathered row against the CPU dequantizer: bit-exact, except
/// Q4_K's `(d·sc)·q − dmin·m` and Q4_1 / Q5_1's `q·d + m`, which a GPU
/// compiler may fuse into one FMA (one rounding fewer): a few ulp, with a
/// floor for values that cancel to near zero (the weights here are within
/// [-1, 1], so one rounding of `q·d` is below 1.2e-7).
fn gather_tol(format: QuantFormat) -> Tolerance {
    match format {
        QuantFormat::Q4_K | QuantFormat::Q4_1 | QuantFormat::Q5_1 => Tolerance::F32_EXACTISH,
        _ => Tolerance::EXACT,
    }
}

/// The automatic choice, then every kernel forced.
const KERNELS: [Option<QuantKernel>; 5] = [
    None,
    Some(QuantKernel::ALL[0]),
    Some(QuantKernel::ALL[1]),
    Some(QuantKernel::ALL[2]),
    Some(QuantKernel::ALL[3]),
];

#[test]
fn quant_matmul_odd_shapes_every_kernel() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_matmul_odd_shapes_every_kernel");
    for dev in test_devices() {
        for format in QuantFormat::ALL {
            for (i, &k) in ks(format).iter().enumerate() {
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
            let (n, k) = (33, three_groups(format));
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
            let g = format.group_values();
            for (n, k) in [(1, g), (3, 3 * g), (7, 2 * g), (257, 4096)] {
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
                // block count (F16, K formats: the one unread scale word; Q6_K:
                // 14 bytes per super-block), and Q5_0 / Q5_1's 20-byte blocks
                // zero-padded to whole 16 bytes at the end.
                let groups = n * k / g;
                let q5_tail = (16 - 20 * groups % 16) % 16;
                let padding = match format {
                    QuantFormat::Q8_0 | QuantFormat::Q4_0 => 2 * (groups % 2),
                    QuantFormat::F16 | QuantFormat::Q4_K => 4,
                    QuantFormat::Q6_K => 4 + 14 * groups,
                    QuantFormat::Q4_1 => 0,
                    QuantFormat::Q5_0 => 2 * (groups % 2) + q5_tail,
                    QuantFormat::Q5_1 => q5_tail,
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
        let (b, g) = (format.group_bytes(), format.group_values());
        let ok = vec![0u8; 2 * b];
        assert!(QuantMatrix::from_ggml_bytes(dev, format, 2, g, &ok).is_ok());
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, g, &ok[..2 * b - 1]),
            "short",
        );
        shape_error(QuantMatrix::from_ggml_bytes(dev, format, 1, g, &ok), "long");
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, g - 1, &ok),
            "k = group - 1",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, g + g / 2, &ok),
            "k = 1.5 groups",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 2, 0, &[]),
            "k = 0",
        );
        shape_error(
            QuantMatrix::from_ggml_bytes(dev, format, 0, g, &[]),
            "no rows",
        );
        if g > 32 {
            // 64 values are whole 32-value blocks but not K super-blocks.
            shape_error(
                QuantMatrix::from_ggml_bytes(dev, format, 2, 64, &ok),
                "k = 64",
            );
        }
        match QuantMatrix::from_ggml_bytes(dev, format, usize::MAX / 2, 2 * g, &ok) {
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
            let (rows, k) = (37, three_groups(format));
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
                assert_close(
                    &out.to_vec::<f32>().unwrap(),
                    &want,
                    gather_tol(format),
                    &ctx,
                );
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

#[test]
fn quant_tensors_of_a_gguf_file_load_and_multiply() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_tensors_of_a_gguf_file_load_and_multiply");
    // A Q4_K [512, 5], a Q6_K [768, 3], a Q4_1 [96, 7], a Q5_0 [896, 5] (a
    // row of Qwen2.5-0.5B's hidden size) and a Q5_1 [160, 3] tensor (GGML
    // dims: row length first).
    let shapes = [
        (GgmlType::Q4_K, QuantFormat::Q4_K, 5, 512),
        (GgmlType::Q6_K, QuantFormat::Q6_K, 3, 768),
        (GgmlType::Q4_1, QuantFormat::Q4_1, 7, 96),
        (GgmlType::Q5_0, QuantFormat::Q5_0, 5, 896),
        (GgmlType::Q5_1, QuantFormat::Q5_1, 3, 160),
    ];
    let mut writer = GgufWriter::new();
    let mut want = Vec::new();
    for (i, &(ty, format, n, k)) in shapes.iter().enumerate() {
        let bytes = quantize_rows(format, &random_vec(&mut rng, n * k, -1.0, 1.0), k).unwrap();
        writer.tensor(format!("w{i}"), &[k as u64, n as u64], ty, bytes.clone());
        want.push(bytes);
    }
    let file = GgufModelFile::from_bytes(Path::new("q.gguf"), writer.to_bytes().unwrap()).unwrap();
    for dev in test_devices() {
        for (i, &(ty, format, n, k)) in shapes.iter().enumerate() {
            let ctx = format!("{format} on {} seed {seed}", label(dev));
            let info = file.header().tensor(&format!("w{i}")).unwrap();
            assert_eq!(
                (info.ggml_type, info.dims.clone()),
                (ty, vec![k as u64, n as u64])
            );
            let bytes = file.tensor_bytes(&info.name).unwrap();
            assert_eq!(bytes, want[i].as_slice(), "{ctx}");
            let w = QuantMatrix::from_ggml_bytes(dev, format, n, k, bytes).unwrap();
            assert_eq!(w.to_ggml_bytes().unwrap(), bytes, "{ctx}");
            let deq = dequantize_rows(format, bytes, k).unwrap();
            assert_eq!(w.dequantize_to_f32().unwrap(), deq, "{ctx}");
            for m in [1, 12] {
                let (x, xv) = upload(
                    dev,
                    &random_vec(&mut rng, m * k, -1.0, 1.0),
                    &[m, k],
                    DType::F32,
                );
                check_product(&x, &xv, &w, &deq, None, &format!("{ctx} m={m}"));
            }
            let ids = Tensor::from_slice(dev, &[n as u32 - 1, 0], &[2]).unwrap();
            let rows = w.gather_rows(&ids).unwrap().to_vec::<f32>().unwrap();
            let expect = [&deq[(n - 1) * k..], &deq[..k]].concat();
            assert_close(&rows, &expect, gather_tol(format), &ctx);
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
        let k = three_groups(format);
        let x = random_vec(&mut rng, 5 * k, -3.0, 3.0);
        let bytes = quantize_rows(format, &x, k).unwrap();
        assert_eq!(bytes.len(), 5 * 3 * format.group_bytes());
        let back = dequantize_rows(format, &bytes, k).unwrap();
        let ctx = format!("{format}, seed {seed}");
        match format {
            QuantFormat::F16 => {
                // Round to nearest f16: exactly what `half` gives, within 2^-11.
                for (i, (a, y)) in x.iter().zip(&back).enumerate() {
                    assert_eq!(*y, f16::from_f32(*a).to_f32(), "f16 [{i}], seed {seed}");
                    assert!(
                        (a - y).abs() <= a.abs() * 2f32.powi(-11),
                        "f16 [{i}]: {a} -> {y}"
                    );
                }
            }
            QuantFormat::Q8_0 | QuantFormat::Q4_0 | QuantFormat::Q5_0 => {
                round_trip_32(format, &x, &bytes, &back)
            }
            QuantFormat::Q4_1 | QuantFormat::Q5_1 => round_trip_min(format, &x, &bytes, &back),
            QuantFormat::Q4_K => {
                for (g, (xs, ys)) in x.chunks(256).zip(back.chunks(256)).enumerate() {
                    round_trip_q4_k(xs, &bytes[144 * g..][..144], ys, &ctx);
                }
            }
            QuantFormat::Q6_K => {
                for (g, (xs, ys)) in x.chunks(256).zip(back.chunks(256)).enumerate() {
                    round_trip_q6_k(xs, &bytes[210 * g..][..210], ys, &ctx);
                }
            }
        }
    }
}

/// The little-endian f16 at byte `at` of `b`.
fn f16_le(b: &[u8], at: usize) -> f32 {
    f16::from_bits(u16::from_le_bytes([b[at], b[at + 1]])).to_f32()
}

/// Q8_0 / Q4_0 / Q5_0 (ggml's quantizers): within half a step of the
/// block's `d` (a whole one for Q4_0's and Q5_0's clamped top code), plus the
/// f16 rounding of `d` times the largest code.
fn round_trip_32(format: QuantFormat, x: &[f32], bytes: &[u8], back: &[f32]) {
    for (b, (xs, ys)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
        let d = f16_le(bytes, b * format.group_bytes()).abs();
        let step = match format {
            QuantFormat::Q8_0 => 0.5 * d + 127.0 * d * 1e-3,
            QuantFormat::Q5_0 => d + 16.0 * d * 1e-3,
            _ => d + 8.0 * d * 1e-3,
        };
        for (i, (a, y)) in xs.iter().zip(ys).enumerate() {
            assert!(
                (a - y).abs() <= step,
                "{format} block {b} [{i}]: {a} -> {y}, d {d}"
            );
        }
    }
}

/// Q4_1 / Q5_1 (ggml's quantizers): `d` is the range over 15 (31) steps and
/// `m` the minimum, so every value is within half a step of `q·d + m` before
/// `d` and `m` are rounded to f16; that rounding (2^-11 relative) adds up to
/// `steps · d · 2^-11 + |m| · 2^-11`. The bound below reads the stored f16 `d`
/// and `m`, so it doubles that slack. Also checks the stored min is the
/// block's minimum rounded to f16 and `d` the range over the steps, rounded.
fn round_trip_min(format: QuantFormat, x: &[f32], bytes: &[u8], back: &[f32]) {
    let steps = match format {
        QuantFormat::Q4_1 => 15.0,
        _ => 31.0,
    };
    for (b, (xs, ys)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
        let block = &bytes[b * format.group_bytes()..];
        let (d, m) = (f16_le(block, 0), f16_le(block, 2));
        let min = xs.iter().fold(f32::MAX, |a, &v| a.min(v));
        let max = xs.iter().fold(f32::MIN, |a, &v| a.max(v));
        assert_eq!(m, f16::from_f32(min).to_f32(), "{format} block {b}");
        assert_eq!(
            d,
            f16::from_f32((max - min) / steps).to_f32(),
            "{format} block {b}"
        );
        let bound = 0.5 * d + (steps * d + m.abs()) * 2f32.powi(-10) + ROUNDING;
        for (i, (a, y)) in xs.iter().zip(ys).enumerate() {
            assert!(
                (a - y).abs() <= bound,
                "{format} block {b} [{i}]: {a} -> {y}, d {d} m {m}"
            );
        }
    }
}

/// Slack for f32 rounding in `(x + o) / s`, `s·q − o` on values of at most
/// a few units.
const ROUNDING: f32 = 1e-5;

/// Q4_K (the one-pass quantizer): sub-block j's step `s = d·sc[j]` and offset
/// `o = dmin·m[j]`, read back from the block, satisfy what rounding the scales
/// up promises: `o` covers the sub-block's minimum (clamped to 0 from above)
/// by less than one `dmin`, `15 s − o` reaches its maximum, `s` is at most
/// one `d` above the ideal `(max + o) / 15`; and every value is within half a
/// step.
fn round_trip_q4_k(x: &[f32], block: &[u8], back: &[f32], ctx: &str) {
    let (d, dmin) = (f16_le(block, 0), f16_le(block, 2));
    let s = &block[4..16];
    for j in 0..8 {
        let (sc, m) = match j {
            0..4 => (s[j] & 63, s[j + 4] & 63),
            _ => (
                (s[j + 4] & 0xF) | (s[j - 4] >> 6) << 4,
                (s[j + 4] >> 4) | (s[j] >> 6) << 4,
            ),
        };
        let (step, o) = (d * sc as f32, dmin * m as f32);
        let xs = &x[32 * j..][..32];
        let min = xs.iter().fold(0.0f32, |a, &v| a.min(v));
        let max = xs.iter().fold(f32::MIN, |a, &v| a.max(v));
        let c = format!("{ctx} q4_k sub-block {j}: d {d} sc {sc} dmin {dmin} m {m}");
        assert!(o >= -min - ROUNDING && o <= -min + dmin + ROUNDING, "{c}");
        assert!(15.0 * step - o >= max - ROUNDING, "{c}");
        assert!(step <= (max + o) / 15.0 + d + ROUNDING, "{c}");
        for (i, (a, y)) in xs.iter().zip(&back[32 * j..][..32]).enumerate() {
            assert!(
                (a - y).abs() <= 0.5 * step + ROUNDING,
                "{c} [{i}]: {a} -> {y}"
            );
        }
    }
}

/// Q6_K (the one-pass quantizer): group g's step `s = d·sc[g]` covers its
/// largest magnitude in 31 steps and is at most one `d` above the ideal
/// `amax / 31`; every value is within half a step.
fn round_trip_q6_k(x: &[f32], block: &[u8], back: &[f32], ctx: &str) {
    let d = f16_le(block, 208);
    for g in 0..16 {
        let sc = block[192 + g] as i8;
        let step = d * sc as f32;
        let xs = &x[16 * g..][..16];
        let amax = xs.iter().fold(0.0f32, |a, &v| a.max(v.abs()));
        let c = format!("{ctx} q6_k group {g}: d {d} sc {sc}");
        assert!(sc >= 0 && 31.0 * step >= amax - ROUNDING, "{c}");
        assert!(step <= amax / 31.0 + d + ROUNDING, "{c}");
        for (i, (a, y)) in xs.iter().zip(&back[16 * g..][..16]).enumerate() {
            assert!(
                (a - y).abs() <= 0.5 * step + ROUNDING,
                "{c} [{i}]: {a} -> {y}"
            );
        }
    }
}

#[test]
fn quantize_and_dequantize_reject_bad_sizes() {
    for format in QuantFormat::ALL {
        let (b, g) = (format.group_bytes(), format.group_values());
        let shape = |r: tessera_runtime::Result<Vec<u8>>| matches!(r, Err(Error::Shape(_)));
        assert!(shape(quantize_rows(format, &vec![0.5; 2 * g], g - 1)));
        assert!(shape(quantize_rows(format, &vec![0.5; 2 * g], 0)));
        assert!(shape(quantize_rows(format, &vec![0.5; g + g / 2], g)));
        assert!(quantize_rows(format, &[], g).unwrap().is_empty());
        let deq = |bytes: &[u8], k| dequantize_rows(format, bytes, k);
        assert!(matches!(deq(&vec![0; 2 * b - 1], g), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; 3 * b], 2 * g), Err(Error::Shape(_))));
        assert!(matches!(deq(&vec![0; b], g + 8), Err(Error::Shape(_))));
        assert_eq!(deq(&vec![0; 4 * b], 2 * g).unwrap().len(), 4 * g);
        assert_eq!(row_bytes(format, 3 * g).unwrap(), 3 * b);
        assert!(matches!(row_bytes(format, 0), Err(Error::Shape(_))));
        assert!(matches!(row_bytes(format, g + 1), Err(Error::Shape(_))));
        if g > 32 {
            // Whole 32-value blocks are not whole K super-blocks.
            assert!(matches!(row_bytes(format, 96), Err(Error::Shape(_))));
            assert!(shape(quantize_rows(format, &[0.5; 96], 96)));
        }
    }
}
