//! GGML Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K / Q6_K (and F16, BF16 in blocks)
//! weights kept in their format on the device (the block formats themselves
//! are checked in `quant_codec.rs`): the device copy of a weight; `x · Wᵀ` through every kernel (and the automatic
//! choice) against the f64 reference on the dequantized weight, over odd
//! shapes (K formats: odd counts of 256-value super-blocks), batched and
//! strided inputs and f16; quantized embedding lookups; quantized tensors of
//! a GGUF file; and bad sizes, shapes and ids as typed errors. Every op test
//! runs on every test adapter.

mod common;

use common::*;
use rand::Rng;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;
use tessera_runtime::loaders::gguf::{GgmlType, GgufModelFile, GgufWriter};
use tessera_runtime::quant::{
    dequantize_rows, quantize_rows, QuantFormat, QuantKernel, QuantMatrix,
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
/// Dequantization is exact in f32 for Q8_0 / Q4_0 / Q5_0 / F16 / BF16 (an f16
/// scale times an integer of at most 8 bits, or an f16 / bf16 widened) and within an ulp
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
            assert_eq!(empty.matmul_quant_t_with(&w, None).unwrap().shape(), [0, n]);
        }
    }
}

#[test]
fn quant_matmul_shape_and_dtype_errors() {
    let dev = &test_devices()[0];
    let (mut rng, _) = seeded_rng("quant_matmul_shape_and_dtype_errors");
    let (w, _, _) = random_weight(dev, &mut rng, QuantFormat::Q4_0, 7, 64);
    let wrong_k = Tensor::from_slice(dev, &[0.5f32; 96], &[3, 32]).unwrap();
    match wrong_k.matmul_quant_t_with(&w, None) {
        Err(Error::Shape(e)) => assert_eq!(e.op, "matmul_quant_t"),
        other => panic!("expected a shape error, got {other:?}"),
    }
    let scalar = Tensor::from_slice(dev, &[0.5f32], &[]).unwrap();
    assert!(matches!(
        scalar.matmul_quant_t_with(&w, None),
        Err(Error::Shape(_))
    ));
    let ints = Tensor::from_slice(dev, &[1i32; 64], &[1, 64]).unwrap();
    assert!(matches!(
        ints.matmul_quant_t_with(&w, None),
        Err(Error::DType { .. })
    ));
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
                // block count (F16, BF16, K formats: the one unread scale word; Q6_K:
                // 14 bytes per super-block), and Q5_0 / Q5_1's 20-byte blocks
                // zero-padded to whole 16 bytes at the end.
                let groups = n * k / g;
                let q5_tail = (16 - 20 * groups % 16) % 16;
                let padding = match format {
                    QuantFormat::Q8_0 | QuantFormat::Q4_0 => 2 * (groups % 2),
                    QuantFormat::F16 | QuantFormat::BF16 | QuantFormat::Q4_K => 4,
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
    // row of Qwen2.5-0.5B's hidden size), a Q5_1 [160, 3] and a BF16 [224, 9]
    // tensor (GGML dims: row length first).
    let shapes = [
        (GgmlType::Q4_K, QuantFormat::Q4_K, 5, 512),
        (GgmlType::Q6_K, QuantFormat::Q6_K, 3, 768),
        (GgmlType::Q4_1, QuantFormat::Q4_1, 7, 96),
        (GgmlType::Q5_0, QuantFormat::Q5_0, 5, 896),
        (GgmlType::Q5_1, QuantFormat::Q5_1, 3, 160),
        (GgmlType::BF16, QuantFormat::BF16, 9, 224),
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

/// A BF16 GGUF written by gguf-py (`tests/data/quant/bf16.gguf`, made by
/// `scripts/make_bf16_gguf.py`): the loader sees type 30 and gguf-py's bytes,
/// our quantizer gives those bytes from the same f32 inputs (round to nearest,
/// ties to even), and our dequantizer, the device's copy and its gather give
/// gguf-py's dequantized values bit for bit.
#[test]
fn bf16_gguf_written_by_gguf_py_matches_bit_for_bit() {
    poison_outputs();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/quant/bf16.gguf");
    let file = GgufModelFile::open(&path).unwrap();
    let info = file.header().tensor("w").unwrap();
    assert_eq!(
        (info.ggml_type, info.dims.clone()),
        (GgmlType::BF16, vec![96, 5])
    );
    let (n, k) = (5, 96);
    let bytes = file.tensor_bytes("w").unwrap();
    let x = file.tensor_f32("x").unwrap();
    let want = file.tensor_f32("w_f32").unwrap();
    let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
    assert_eq!(quantize_rows(QuantFormat::BF16, &x, k).unwrap(), bytes);
    assert_eq!(bits(&file.tensor_f32("w").unwrap()), bits(&want));
    assert_eq!(
        bits(&dequantize_rows(QuantFormat::BF16, bytes, k).unwrap()),
        bits(&want)
    );
    for dev in test_devices() {
        let ctx = format!("bf16.gguf on {}", label(dev));
        let w = QuantMatrix::from_ggml_bytes(dev, QuantFormat::BF16, n, k, bytes).unwrap();
        assert_eq!(bits(&w.dequantize_to_f32().unwrap()), bits(&want), "{ctx}");
        let ids = Tensor::from_slice(dev, &[4u32, 0, 3], &[3]).unwrap();
        let rows = w.gather_rows(&ids).unwrap().to_vec::<f32>().unwrap();
        let expect = [&want[4 * k..], &want[..k], &want[3 * k..4 * k]].concat();
        assert_eq!(bits(&rows), bits(&expect), "{ctx}");
    }
}
