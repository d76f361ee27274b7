//! Unary, affine, binary (broadcasting) and where/select against the CPU reference,
//! on every test adapter, f32 and f16, odd shapes.

mod common;

use common::*;
use tessera_kernels::{BinaryOp, DType, UnaryOp};
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
                        BinaryOp::Pow => Tolerance::F32_TRANSCENDENTAL,
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
