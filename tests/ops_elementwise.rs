//! Unary, affine, binary (broadcasting) and where/select against the CPU reference,
//! on every test adapter, f32 and f16, odd shapes.

mod common;

use common::*;
use tessera_kernels::{BinaryOp, DType, ElementwiseVariant, UnaryOp};
use tessera_runtime::{ops::where_select, reference, Error, Tensor};

const SHAPES: &[&[usize]] = &[&[1], &[7], &[257], &[3, 5, 7], &[1000, 33]];

fn domain(op: UnaryOp) -> (f32, f32) {
    match op {
        UnaryOp::Log | UnaryOp::Sqrt | UnaryOp::Rsqrt => (0.01, 10.0),
        UnaryOp::Exp => (-10.0, 10.0),
        _ => (-8.0, 8.0),
    }
}

fn unary_tolerance(op: UnaryOp) -> Tolerance {
    match op {
        UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Relu => Tolerance::EXACT,
        _ => Tolerance::F32_TRANSCENDENTAL,
    }
}

#[test]
fn unary_ops_match_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("unary_ops_match_reference");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for op in UnaryOp::ALL {
                for shape in SHAPES {
                    let n: usize = shape.iter().product();
                    let (lo, hi) = domain(op);
                    let (x, xs) = upload(dev, &random_vec(&mut rng, n, lo, hi), shape, dtype);
                    let got = x.unary(op).unwrap().to_f32_vec().unwrap();
                    let want = reference::unary(op, &xs);
                    let ctx = format!("{op:?} {dtype} {shape:?} on {} seed {seed}", label(dev));
                    assert_close(&got, &want, tol_for(dtype, unary_tolerance(op)), &ctx);
                }
            }
        }
    }
}

#[test]
fn unary_on_a_transposed_view() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("unary_on_a_transposed_view");
    for dev in test_devices() {
        let xs = random_vec(&mut rng, 13 * 9, -3.0, 3.0);
        let x = Tensor::from_slice(dev, &xs, &[13, 9])
            .unwrap()
            .transpose(0, 1)
            .unwrap();
        let got = x.exp().unwrap().to_vec::<f32>().unwrap();
        let want = reference::unary(UnaryOp::Exp, &reference::permute(&xs, &[13, 9], &[1, 0]));
        assert_close(
            &got,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
            &format!("exp of x^T on {} seed {seed}", label(dev)),
        );
    }
}

#[test]
fn affine_matches_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("affine_matches_reference");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for shape in SHAPES {
                let n: usize = shape.iter().product();
                let (x, xs) = upload(dev, &random_vec(&mut rng, n, -5.0, 5.0), shape, dtype);
                let got = x.affine(-1.75, 0.3).unwrap().to_f32_vec().unwrap();
                let want = reference::affine(&xs, -1.75, 0.3);
                let ctx = format!("affine {dtype} {shape:?} on {} seed {seed}", label(dev));
                assert_close(&got, &want, tol_for(dtype, Tolerance::F32_EXACTISH), &ctx);
            }
        }
    }
}

const BROADCAST_PAIRS: &[(&[usize], &[usize])] = &[
    (&[5, 7], &[5, 7]),
    (&[3, 1], &[4]),
    (&[2, 1, 6], &[5, 1]),
    (&[1], &[17, 3]),
    (&[4, 3, 2, 1], &[3, 1, 5]),
    (&[257, 31], &[31]),
];

#[test]
fn binary_ops_broadcast_like_numpy() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("binary_ops_broadcast_like_numpy");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for op in BinaryOp::ALL {
                for (sa, sb) in BROADCAST_PAIRS {
                    let (lo, hi) = if op == BinaryOp::Pow {
                        (0.1, 3.0)
                    } else {
                        (-4.0, 4.0)
                    };
                    let na: usize = sa.iter().product();
                    let nb: usize = sb.iter().product();
                    let (a, av) = upload(dev, &random_vec(&mut rng, na, lo, hi), sa, dtype);
                    let mut bv = random_vec(&mut rng, nb, lo, hi);
                    if op == BinaryOp::Div {
                        bv.iter_mut().for_each(|v| {
                            *v = if v.abs() < 0.25 {
                                0.25_f32.copysign(*v)
                            } else {
                                *v
                            }
                        });
                    }
                    let (b, bv) = upload(dev, &bv, sb, dtype);
                    let out = a.binary(op, &b).unwrap();
                    let (want, want_shape) = reference::binary(op, &av, sa, &bv, sb);
                    assert_eq!(out.shape(), want_shape.as_slice());
                    let tol = match op {
                        BinaryOp::Pow | BinaryOp::SiluMul => Tolerance::F32_TRANSCENDENTAL,
                        _ => Tolerance::F32_EXACTISH,
                    };
                    let ctx = format!(
                        "{op:?} {dtype} {sa:?} x {sb:?} on {} seed {seed}",
                        label(dev)
                    );
                    assert_close(&out.to_f32_vec().unwrap(), &want, tol_for(dtype, tol), &ctx);
                }
            }
        }
    }
}

#[test]
fn binary_rejects_unbroadcastable_shapes() {
    let dev = &test_devices()[0];
    let a = Tensor::from_slice(dev, &[1.0f32; 6], &[2, 3]).unwrap();
    let b = Tensor::from_slice(dev, &[1.0f32; 4], &[4]).unwrap();
    match a.add(&b) {
        Err(Error::Shape(e)) => {
            assert_eq!(e.op, "add");
            assert_eq!(e.shapes, vec![vec![2, 3], vec![4]]);
        }
        other => panic!("expected a shape error, got {other:?}"),
    }
    let c = Tensor::from_slice(dev, &[1u32; 6], &[2, 3]).unwrap();
    assert!(matches!(a.add(&c), Err(Error::DType { .. })));
}

#[test]
fn where_selects_with_broadcasting() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("where_selects_with_broadcasting");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let cond_v = random_ids(&mut rng, 3, 2);
            let cond = Tensor::from_slice(dev, &cond_v, &[3, 1]).unwrap();
            let (a, av) = upload(dev, &random_vec(&mut rng, 12, -2.0, 2.0), &[3, 4], dtype);
            let (b, bv) = upload(dev, &random_vec(&mut rng, 4, -2.0, 2.0), &[4], dtype);
            let got = where_select(&cond, &a, &b).unwrap();
            let (want, shape) = reference::where_select(&cond_v, &[3, 1], &av, &[3, 4], &bv, &[4]);
            assert_eq!(got.shape(), shape.as_slice());
            let ctx = format!("where {dtype} on {} seed {seed}", label(dev));
            assert_close(&got.to_f32_vec().unwrap(), &want, Tolerance::EXACT, &ctx);
        }
    }
}

#[test]
fn f16_is_a_typed_error_where_unsupported() {
    for dev in test_devices() {
        if has_f16(dev) {
            continue;
        }
        eprintln!(
            "{}: no shader-f16; checking the f16 path reports Unsupported and f32 still works",
            label(dev)
        );
        let x = Tensor::from_f32(dev, &[1.0, 2.0], &[2], DType::F16).unwrap();
        match x.exp() {
            Err(Error::Device(tessera_hal::DeviceError::Unsupported { .. })) => {}
            other => panic!("expected Unsupported on {}, got {other:?}", label(dev)),
        }
        let y = Tensor::from_f32(dev, &[1.0, 2.0], &[2], DType::F32).unwrap();
        assert_eq!(y.relu().unwrap().to_vec::<f32>().unwrap(), vec![1.0, 2.0]);
    }
}

/// Inputs of a binary op: `b`'s values kept off zero for division.
fn binary_inputs(
    op: BinaryOp,
    rng: &mut rand::rngs::StdRng,
    na: usize,
    nb: usize,
) -> (Vec<f32>, Vec<f32>) {
    let (lo, hi) = if op == BinaryOp::Pow {
        (0.1, 3.0)
    } else {
        (-4.0, 4.0)
    };
    let a = random_vec(rng, na, lo, hi);
    let mut b = random_vec(rng, nb, lo, hi);
    if op == BinaryOp::Div {
        b.iter_mut().for_each(|v| {
            *v = if v.abs() < 0.25 {
                0.25_f32.copysign(*v)
            } else {
                *v
            }
        });
    }
    (a, b)
}

fn binary_tolerance(op: BinaryOp) -> Tolerance {
    match op {
        BinaryOp::Pow | BinaryOp::SiluMul => Tolerance::F32_TRANSCENDENTAL,
        _ => Tolerance::F32_EXACTISH,
    }
}

/// Check one forced-variant result: the reference where the variant fits,
/// `VariantUnavailable` where it must refuse.
#[track_caller]
fn check_variant_result(
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

/// `(a shape, b shape, Vec4 applies, Vec4RowBroadcast applies)`.
const VARIANT_PAIRS: &[(&[usize], &[usize], bool, bool)] = &[
    (&[4], &[4], true, true),
    (&[3, 8], &[3, 8], true, true),
    (&[2, 3, 1028], &[2, 3, 1028], true, true),
    (&[7], &[7], false, false),
    (&[3, 5], &[3, 5], false, false),
    (&[6, 8], &[8], false, true),
    (&[8], &[6, 8], false, true),
    (&[2, 3, 4, 12], &[4, 12], false, true),
    (&[5, 4], &[1, 4], false, true),
    (&[3, 1, 4], &[4], false, true),
    (&[3, 6], &[6], false, false),
    (&[5, 8], &[5, 1], false, false),
    (&[4, 8], &[1], false, false),
];

#[test]
fn binary_variants_forced_match_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("binary_variants_forced_match_reference");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for op in BinaryOp::ALL {
                for &(sa, sb, vec4, row) in VARIANT_PAIRS {
                    let (na, nb) = (sa.iter().product(), sb.iter().product());
                    let (av, bv) = binary_inputs(op, &mut rng, na, nb);
                    let (a, av) = upload(dev, &av, sa, dtype);
                    let (b, bv) = upload(dev, &bv, sb, dtype);
                    let (want, _) = reference::binary(op, &av, sa, &bv, sb);
                    for variant in ElementwiseVariant::ALL {
                        let fits = match variant {
                            ElementwiseVariant::General => true,
                            ElementwiseVariant::Vec4 => vec4,
                            ElementwiseVariant::Vec4RowBroadcast => row,
                        };
                        let ctx = format!(
                            "{op:?} {variant:?} {dtype} {sa:?} x {sb:?} on {} seed {seed}",
                            label(dev)
                        );
                        check_variant_result(
                            a.binary_with_variant(op, &b, Some(variant)),
                            &want,
                            fits,
                            tol_for(dtype, binary_tolerance(op)),
                            &ctx,
                        );
                    }
                    let ctx = format!(
                        "{op:?} auto {dtype} {sa:?} x {sb:?} on {} seed {seed}",
                        label(dev)
                    );
                    check_variant_result(
                        a.binary(op, &b),
                        &want,
                        true,
                        tol_for(dtype, binary_tolerance(op)),
                        &ctx,
                    );
                }
            }
        }
    }
}

#[test]
fn binary_variants_check_offsets_and_layouts() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("binary_variants_check_offsets_and_layouts");
    let tol = Tolerance::F32_EXACTISH;
    for dev in test_devices() {
        let ctx = |what: &str| format!("{what} on {} seed {seed}", label(dev));
        let base = random_vec(&mut rng, 33, -4.0, 4.0);
        let all = Tensor::from_slice(dev, &base, &[33]).unwrap();
        let odd = all.narrow(0, 1..33).unwrap().reshape(&[4, 8]).unwrap();
        let even = all.narrow(0, 0..32).unwrap().reshape(&[4, 8]).unwrap();
        let bs = random_vec(&mut rng, 32, -4.0, 4.0);
        let b = Tensor::from_slice(dev, &bs, &[4, 8]).unwrap();
        let row = Tensor::from_slice(dev, &bs[..8], &[8]).unwrap();
        for variant in [
            ElementwiseVariant::Vec4,
            ElementwiseVariant::Vec4RowBroadcast,
        ] {
            check_variant_result(
                odd.binary_with_variant(BinaryOp::Sub, &b, Some(variant)),
                &[],
                false,
                tol,
                &ctx("sub at offset 1"),
            );
            check_variant_result(
                odd.binary_with_variant(BinaryOp::Sub, &row, Some(variant)),
                &[],
                false,
                tol,
                &ctx("row sub at offset 1"),
            );
        }
        let (want, _) = reference::binary(BinaryOp::Sub, &base[1..], &[4, 8], &bs, &[4, 8]);
        check_variant_result(odd.sub(&b), &want, true, tol, &ctx("auto sub at offset 1"));
        let (want, _) = reference::binary(BinaryOp::Sub, &bs[..8], &[8], &base[1..], &[4, 8]);
        check_variant_result(
            row.sub(&odd),
            &want,
            true,
            tol,
            &ctx("auto row sub at offset 1"),
        );
        // The repeated operand at an aligned, non-zero offset.
        let row4 = all.narrow(0, 4..12).unwrap();
        let (want, _) = reference::binary(BinaryOp::Div, &bs, &[4, 8], &base[4..12], &[8]);
        let got = b.binary_with_variant(
            BinaryOp::Div,
            &row4,
            Some(ElementwiseVariant::Vec4RowBroadcast),
        );
        check_variant_result(got, &want, true, tol, &ctx("row div at offset 4"));
        // A transposed (non-contiguous) operand: vec4 refused, automatic right.
        let t = even.transpose(0, 1).unwrap();
        let tb = Tensor::from_slice(dev, &bs, &[8, 4]).unwrap();
        check_variant_result(
            t.binary_with_variant(BinaryOp::Mul, &tb, Some(ElementwiseVariant::Vec4)),
            &[],
            false,
            tol,
            &ctx("mul of x^T"),
        );
        let (want, _) = reference::binary(
            BinaryOp::Mul,
            &reference::permute(&base[..32], &[4, 8], &[1, 0]),
            &[8, 4],
            &bs,
            &[8, 4],
        );
        check_variant_result(t.mul(&tb), &want, true, tol, &ctx("auto mul of x^T"));
    }
}

#[test]
fn unary_variants_forced_match_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("unary_variants_forced_match_reference");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for shape in [&[4usize][..], &[1028], &[2, 3, 12], &[7], &[3, 5]] {
                let n: usize = shape.iter().product();
                let vec4 = n.is_multiple_of(4);
                for variant in ElementwiseVariant::ALL {
                    let fits = match variant {
                        ElementwiseVariant::General => true,
                        ElementwiseVariant::Vec4 => vec4,
                        ElementwiseVariant::Vec4RowBroadcast => false,
                    };
                    for op in UnaryOp::ALL {
                        let (lo, hi) = domain(op);
                        let (x, xs) = upload(dev, &random_vec(&mut rng, n, lo, hi), shape, dtype);
                        let ctx = format!(
                            "{op:?} {variant:?} {dtype} {shape:?} on {} seed {seed}",
                            label(dev)
                        );
                        check_variant_result(
                            x.unary_with_variant(op, Some(variant)),
                            &reference::unary(op, &xs),
                            fits,
                            tol_for(dtype, unary_tolerance(op)),
                            &ctx,
                        );
                    }
                    let (x, xs) = upload(dev, &random_vec(&mut rng, n, -5.0, 5.0), shape, dtype);
                    let ctx = format!(
                        "affine {variant:?} {dtype} {shape:?} on {} seed {seed}",
                        label(dev)
                    );
                    check_variant_result(
                        x.affine_with_variant(0.75, -1.5, Some(variant)),
                        &reference::affine(&xs, 0.75, -1.5),
                        fits,
                        tol_for(dtype, Tolerance::F32_EXACTISH),
                        &ctx,
                    );
                }
            }
        }
    }
}

#[test]
fn fused_map_matches_reference_on_random_programs_and_seeds() {
    poison_outputs();
    let (_, seed) = seeded_rng("fused_map_matches_reference");
    let decl = tessera_runtime::ops::DECLARATIONS
        .iter()
        .find(|d| d.name == "fused_map")
        .expect("fused_map is declared");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            for s in [seed, seed ^ 0x5eed, seed.wrapping_add(7)] {
                let row = tessera_runtime::conformance::run_op(decl, dev, dtype, s);
                assert!(row.error.is_none(), "{:?} on {}", row.error, label(dev));
                assert!(row.report.checks >= 30, "{} checks", row.report.checks);
                assert!(
                    row.report.failures.is_empty(),
                    "fused_map {dtype} on {} seed {s}:\n{}",
                    label(dev),
                    row.report.failures.join("\n")
                );
            }
        }
    }
}

#[test]
fn fused_map_refuses_bad_inputs_with_typed_errors() {
    use tessera_kernels::{FusedProgram, FusedStep};
    let dev = &test_devices()[0];
    let add = FusedProgram::new(&[
        FusedStep::Input(0),
        FusedStep::Input(1),
        FusedStep::Binary(BinaryOp::Add, 0, 1),
    ])
    .unwrap();
    let a = Tensor::from_slice(dev, &[1.0f32, 2.0, 3.0], &[3]).unwrap();
    let b = Tensor::from_slice(dev, &[1.0f32, 2.0], &[2]).unwrap();
    let i = Tensor::from_slice(dev, &[1i32, 2, 3], &[3]).unwrap();
    let f = tessera_runtime::ops::fused_map;
    assert!(matches!(f(&[&a], &add), Err(Error::InvalidArgument { .. })));
    assert!(matches!(f(&[&a, &b], &add), Err(Error::Shape(_))));
    assert!(matches!(f(&[&a, &i], &add), Err(Error::DType { .. })));
    let ok = f(&[&a, &a], &add).unwrap().to_f32_vec().unwrap();
    assert_eq!(ok, vec![2.0, 4.0, 6.0]);
}
