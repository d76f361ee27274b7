//! Reductions, softmax (with masks) and layer/RMS norm against the CPU reference.

mod common;

use common::*;
use tessera_kernels::{ReduceOp, RowVariant, UnaryOp, ROW_VEC4_RESIDENT_MAX};
use tessera_runtime::{reference, Error, Tensor};

const SHAPES: &[&[usize]] = &[
    &[1],
    &[13],
    &[4, 1],
    &[3, 257],
    &[2, 7, 5],
    &[5, 1031],
    &[64, 3, 9],
];

#[test]
fn reductions_along_every_axis() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("reductions_along_every_axis");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for shape in SHAPES {
                let n: usize = shape.iter().product();
                let (x, xs) = upload(dev, &random_vec(&mut rng, n, -3.0, 3.0), shape, dtype);
                for axis in 0..shape.len() {
                    for op in ReduceOp::ALL {
                        let out = x.reduce(op, axis).unwrap();
                        let mut want_shape = shape.to_vec();
                        want_shape.remove(axis);
                        assert_eq!(out.shape(), want_shape.as_slice());
                        let ctx = format!(
                            "{op:?} {dtype} {shape:?} axis {axis} on {} seed {seed}",
                            label(dev)
                        );
                        if op == ReduceOp::ArgMax {
                            let got = out.to_vec::<u32>().unwrap();
                            assert_eq!(got, reference::argmax(&xs, shape, axis), "{ctx}");
                        } else {
                            let tol = tol_for(dtype, Tolerance::sum_f32(shape[axis]));
                            assert_close(
                                &out.to_f32_vec().unwrap(),
                                &reference::reduce(op, &xs, shape, axis),
                                tol,
                                &ctx,
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn softmax_with_and_without_masks() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("softmax_with_and_without_masks");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for shape in [&[1usize][..], &[7], &[3, 129], &[2, 3, 5, 17], &[9, 1000]] {
                let n: usize = shape.iter().product();
                let (x, xs) = upload(dev, &random_vec(&mut rng, n, -10.0, 10.0), shape, dtype);
                let ctx = format!("softmax {dtype} {shape:?} on {} seed {seed}", label(dev));
                let got = x.softmax(None).unwrap().to_f32_vec().unwrap();
                assert_close(
                    &got,
                    &reference::softmax(&xs, shape, None),
                    tol_for(dtype, Tolerance::F32_TRANSCENDENTAL),
                    &ctx,
                );
            }
            // Attention-style key mask [b, 1, 1, s] over scores [b, h, q, s], with -inf and large negatives.
            let (b, h, q, s) = (2, 3, 4, 11);
            let (x, xs) = upload(
                dev,
                &random_vec(&mut rng, b * h * q * s, -5.0, 5.0),
                &[b, h, q, s],
                dtype,
            );
            let mut mask = vec![0.0f32; b * s];
            for j in 7..s {
                mask[j] = -1.0e4;
                mask[s + j - 4] = f32::NEG_INFINITY;
            }
            let (m, mv) = upload(dev, &mask, &[b, 1, 1, s], dtype);
            let got = x.softmax(Some(&m)).unwrap().to_f32_vec().unwrap();
            let want = reference::softmax(&xs, &[b, h, q, s], Some((&mv, &[b, 1, 1, s])));
            let ctx = format!("masked softmax {dtype} on {} seed {seed}", label(dev));
            assert_close(
                &got,
                &want,
                tol_for(dtype, Tolerance::F32_TRANSCENDENTAL),
                &ctx,
            );
        }
        // A fully masked row gives zeros, never NaN.
        let x = Tensor::from_slice(dev, &[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
        let m = Tensor::from_slice(
            dev,
            &[f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0, 0.0],
            &[2, 2],
        )
        .unwrap();
        let got = x.softmax(Some(&m)).unwrap().to_vec::<f32>().unwrap();
        let want = reference::softmax(
            &[1.0, 2.0, 3.0, 4.0],
            &[2, 2],
            Some((&[f32::NEG_INFINITY, f32::NEG_INFINITY, 0.0, 0.0], &[2, 2])),
        );
        assert_close(
            &got,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
            &format!("all-masked row on {}", label(dev)),
        );
    }
}

#[test]
fn layer_norm_and_rms_norm() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("layer_norm_and_rms_norm");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for shape in [
                &[1usize, 1][..],
                &[5, 7],
                &[3, 384],
                &[2, 3, 1031],
                &[17, 4096],
            ] {
                let n: usize = shape.iter().product();
                let d = *shape.last().unwrap();
                let (x, xs) = upload(dev, &random_vec(&mut rng, n, -4.0, 6.0), shape, dtype);
                let (w, wv) = upload(dev, &random_vec(&mut rng, d, 0.5, 1.5), &[d], dtype);
                let (b, bv) = upload(dev, &random_vec(&mut rng, d, -0.5, 0.5), &[d], dtype);
                let tol = tol_for(
                    dtype,
                    Tolerance {
                        rtol: 1e-4,
                        atol: 1e-4,
                    },
                );
                let ctx = format!("layer_norm {dtype} {shape:?} on {} seed {seed}", label(dev));
                let got = x
                    .layer_norm(Some(&w), Some(&b), 1e-5)
                    .unwrap()
                    .to_f32_vec()
                    .unwrap();
                assert_close(
                    &got,
                    &reference::layernorm(&xs, shape, Some(&wv), Some(&bv), 1e-5),
                    tol,
                    &ctx,
                );
                let got = x
                    .layer_norm(None, None, 1e-12)
                    .unwrap()
                    .to_f32_vec()
                    .unwrap();
                assert_close(
                    &got,
                    &reference::layernorm(&xs, shape, None, None, 1e-12),
                    tol,
                    &ctx,
                );
                let ctx = format!("rms_norm {dtype} {shape:?} on {} seed {seed}", label(dev));
                let got = x.rms_norm(Some(&w), 1e-6).unwrap().to_f32_vec().unwrap();
                assert_close(
                    &got,
                    &reference::rmsnorm(&xs, shape, Some(&wv), 1e-6),
                    tol,
                    &ctx,
                );
            }
        }
        let x = Tensor::from_slice(dev, &[1.0f32; 6], &[2, 3]).unwrap();
        let w = Tensor::from_slice(dev, &[1.0f32; 4], &[4]).unwrap();
        assert!(x.layer_norm(Some(&w), None, 1e-5).is_err());
    }
}

#[test]
fn mlp_style_chain_stays_close() {
    // exp(log(x)) on a long chain exercises batching across many dispatches.
    poison_outputs();
    let (mut rng, seed) = seeded_rng("mlp_style_chain_stays_close");
    for dev in test_devices() {
        let xs = random_vec(&mut rng, 4097, 0.5, 2.0);
        let mut x = Tensor::from_slice(dev, &xs, &[4097]).unwrap();
        for _ in 0..300 {
            x = x.unary(UnaryOp::Log).unwrap().unary(UnaryOp::Exp).unwrap();
        }
        let ctx = format!("600-op chain on {} seed {seed}", label(dev));
        assert_close(
            &x.to_vec::<f32>().unwrap(),
            &xs,
            Tolerance {
                rtol: 1e-3,
                atol: 1e-4,
            },
            &ctx,
        );
    }
}

/// Row lengths the vec4 row variants take: tiny, odd multiples of 4, the
/// register-resident limit, and one past it (the two-pass loop).
const VEC4_ROW_LENGTHS: &[usize] = &[4, 8, 12, 1028, ROW_VEC4_RESIDENT_MAX, 4100];

/// Row lengths that are not multiples of 4: the vec4 variants must refuse
/// them, and the automatic choice must fall back to the general kernel.
const SCALAR_ROW_LENGTHS: &[usize] = &[1, 6, 13, 1030];

/// The row variants `dev` runs; says which it skips.
fn row_variants_on(dev: &std::sync::Arc<dyn tessera_hal::Device>) -> Vec<RowVariant> {
    RowVariant::ALL
        .into_iter()
        .filter(|v| {
            let runs = !v.needs_subgroups() || has_subgroups(dev);
            if !runs {
                eprintln!("{}: no subgroups; skipping row variant {v:?}", label(dev));
            }
            runs
        })
        .collect()
}

/// Check one forced-variant result: the reference where the variant fits,
/// `VariantUnavailable` where it must refuse.
#[track_caller]
fn check_row_result(
    got: tessera_runtime::Result<Tensor>,
    want: &[f32],
    fits: bool,
    tol: Tolerance,
    ctx: &str,
) {
    if !fits {
        assert!(
            matches!(got, Err(Error::VariantUnavailable { .. })),
            "{ctx}: expected VariantUnavailable, got {:?}",
            got.map(|t| t.shape().to_vec())
        );
        return;
    }
    let got = got.unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_close(&got.to_f32_vec().unwrap(), want, tol, ctx);
}

#[test]
fn row_variants_forced_match_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("row_variants_forced_match_reference");
    for dev in test_devices() {
        let variants = row_variants_on(dev);
        for dtype in float_dtypes(dev) {
            let tol = tol_for(dtype, Tolerance::F32_TRANSCENDENTAL);
            for &len in VEC4_ROW_LENGTHS.iter().chain(SCALAR_ROW_LENGTHS) {
                let shape = [2, 3, len];
                let mshape = [2, 1, len];
                let (x, xs) = upload(
                    dev,
                    &random_vec(&mut rng, 6 * len, -8.0, 8.0),
                    &shape,
                    dtype,
                );
                // Batch 0: some -inf and large negatives; batch 1: every key masked.
                let mut mask = random_vec(&mut rng, 2 * len, -3.0, 0.0);
                for j in (0..len).step_by(3) {
                    mask[j] = if j % 2 == 0 {
                        f32::NEG_INFINITY
                    } else {
                        -1.0e4
                    };
                }
                mask[len..].fill(f32::NEG_INFINITY);
                let (m, mv) = upload(dev, &mask, &mshape, dtype);
                let (w, wv) = upload(dev, &random_vec(&mut rng, len, 0.5, 1.5), &[len], dtype);
                let (b, bv) = upload(dev, &random_vec(&mut rng, len, -0.5, 0.5), &[len], dtype);
                for &variant in &variants {
                    let fits = !variant.is_vec4() || len.is_multiple_of(4);
                    let ctx = |what: &str| {
                        format!(
                            "{what} {variant:?} {dtype} {shape:?} on {} seed {seed}",
                            label(dev)
                        )
                    };
                    let v = Some(variant);
                    check_row_result(
                        x.softmax_with_variant(None, v),
                        &reference::softmax(&xs, &shape, None),
                        fits,
                        tol,
                        &ctx("softmax"),
                    );
                    check_row_result(
                        x.softmax_with_variant(Some(&m), v),
                        &reference::softmax(&xs, &shape, Some((&mv, &mshape))),
                        fits,
                        tol,
                        &ctx("masked softmax"),
                    );
                    check_row_result(
                        x.layer_norm_with_variant(Some(&w), Some(&b), 1e-5, v),
                        &reference::layernorm(&xs, &shape, Some(&wv), Some(&bv), 1e-5),
                        fits,
                        tol,
                        &ctx("layer_norm w b"),
                    );
                    check_row_result(
                        x.layer_norm_with_variant(None, None, 1e-12, v),
                        &reference::layernorm(&xs, &shape, None, None, 1e-12),
                        fits,
                        tol,
                        &ctx("layer_norm"),
                    );
                    check_row_result(
                        x.rms_norm_with_variant(Some(&w), 1e-6, v),
                        &reference::rmsnorm(&xs, &shape, Some(&wv), 1e-6),
                        fits,
                        tol,
                        &ctx("rms_norm w"),
                    );
                    check_row_result(
                        x.rms_norm_with_variant(None, 1e-6, v),
                        &reference::rmsnorm(&xs, &shape, None, 1e-6),
                        fits,
                        tol,
                        &ctx("rms_norm"),
                    );
                }
            }
        }
    }
}

#[test]
fn row_variants_check_operand_offsets() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("row_variants_check_operand_offsets");
    let (rows, len) = (3, 8);
    let shape = [rows, len];
    let tol = Tolerance::F32_TRANSCENDENTAL;
    for dev in test_devices() {
        let ctx = |what: &str| format!("{what} on {} seed {seed}", label(dev));
        let base = random_vec(&mut rng, rows * len + 4, -5.0, 5.0);
        let all = Tensor::from_slice(dev, &base, &[base.len()]).unwrap();
        let view = |start: usize| {
            all.narrow(0, start..start + rows * len)
                .unwrap()
                .reshape(&shape)
                .unwrap()
        };
        let (odd, even) = (view(1), view(4));
        assert_eq!((odd.offset(), even.offset()), (1, 4));
        let (odd_v, even_v) = (&base[1..1 + rows * len], &base[4..4 + rows * len]);
        // Offset 1: vec4 refused, the automatic choice still right.
        check_row_result(
            odd.softmax_with_variant(None, Some(RowVariant::Vec4)),
            &[],
            false,
            tol,
            &ctx("vec4 softmax at offset 1"),
        );
        check_row_result(
            odd.softmax(None),
            &reference::softmax(odd_v, &shape, None),
            true,
            tol,
            &ctx("softmax at offset 1"),
        );
        // Offset 4: vec4 applies.
        check_row_result(
            even.softmax_with_variant(None, Some(RowVariant::Vec4)),
            &reference::softmax(even_v, &shape, None),
            true,
            tol,
            &ctx("vec4 softmax at offset 4"),
        );
        // The mask is read as scalars: any offset works with vec4.
        let mask = random_vec(&mut rng, len + 1, -2.0, 0.0);
        let m = Tensor::from_slice(dev, &mask, &[len + 1])
            .unwrap()
            .narrow(0, 1..len + 1)
            .unwrap()
            .reshape(&[1, len])
            .unwrap();
        check_row_result(
            even.softmax_with_variant(Some(&m), Some(RowVariant::Vec4)),
            &reference::softmax(even_v, &shape, Some((&mask[1..], &[1, len]))),
            true,
            tol,
            &ctx("vec4 softmax, mask at offset 1"),
        );
        // Subgroups forced on an adapter without them: a typed device error.
        if !has_subgroups(dev) {
            let got = even.softmax_with_variant(None, Some(RowVariant::Vec4Subgroup));
            assert!(
                matches!(
                    got,
                    Err(Error::Device(tessera_hal::DeviceError::Unsupported { .. }))
                ),
                "{}",
                ctx("vec4_subgroup without subgroups")
            );
        }
        // A weight at offset 2: vec4 refused, automatic right.
        let wbase = random_vec(&mut rng, len + 2, 0.5, 1.5);
        let w = Tensor::from_slice(dev, &wbase, &[len + 2])
            .unwrap()
            .narrow(0, 2..len + 2)
            .unwrap();
        check_row_result(
            even.rms_norm_with_variant(Some(&w), 1e-6, Some(RowVariant::Vec4)),
            &[],
            false,
            tol,
            &ctx("vec4 rms_norm, weight at offset 2"),
        );
        check_row_result(
            even.rms_norm(Some(&w), 1e-6),
            &reference::rmsnorm(even_v, &shape, Some(&wbase[2..]), 1e-6),
            true,
            tol,
            &ctx("rms_norm, weight at offset 2"),
        );
    }
}

#[test]
fn row_variants_past_one_grid_dimension() {
    // More rows than one dispatch dimension holds (65535): the 2-D grid.
    poison_outputs();
    let (mut rng, seed) = seeded_rng("row_variants_past_one_grid_dimension");
    let shape = [70_000, 4];
    for dev in test_devices() {
        let xs = random_vec(&mut rng, shape[0] * shape[1], -4.0, 4.0);
        let x = Tensor::from_slice(dev, &xs, &shape).unwrap();
        for variant in row_variants_on(dev) {
            let ctx = format!("{variant:?} {shape:?} on {} seed {seed}", label(dev));
            check_row_result(
                x.softmax_with_variant(None, Some(variant)),
                &reference::softmax(&xs, &shape, None),
                true,
                Tolerance::F32_TRANSCENDENTAL,
                &format!("softmax {ctx}"),
            );
            check_row_result(
                x.layer_norm_with_variant(None, None, 1e-5, Some(variant)),
                &reference::layernorm(&xs, &shape, None, None, 1e-5),
                true,
                Tolerance::F32_TRANSCENDENTAL,
                &format!("layer_norm {ctx}"),
            );
        }
    }
}
