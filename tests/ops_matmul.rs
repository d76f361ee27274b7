//! Batched matmul with transposed (strided) operands and batch broadcasting,
//! against the CPU reference; property tests over shapes.

mod common;

use common::*;
use proptest::prelude::*;
use tessera_runtime::ops::MatmulVariant;
use tessera_runtime::{reference, Error, Tensor};

/// `a` `[.., m, k]` (stored `[.., k, m]` when `ta`), `b` `[.., k, n]` (stored `[.., n, k]` when `tb`).
fn check_matmul(
    batch_a: &[usize],
    batch_b: &[usize],
    [m, k, n]: [usize; 3],
    (ta, tb): (bool, bool),
    seed_name: &str,
) {
    let (mut rng, seed) = seeded_rng(seed_name);
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let mut sa = batch_a.to_vec();
            sa.extend(if ta { [k, m] } else { [m, k] });
            let mut sb = batch_b.to_vec();
            sb.extend(if tb { [n, k] } else { [k, n] });
            let (a, av) = upload(
                dev,
                &random_vec(&mut rng, sa.iter().product(), -1.0, 1.0),
                &sa,
                dtype,
            );
            let (b, bv) = upload(
                dev,
                &random_vec(&mut rng, sb.iter().product(), -1.0, 1.0),
                &sb,
                dtype,
            );
            let r = sa.len();
            let a_op = if ta {
                a.transpose(r - 2, r - 1).unwrap()
            } else {
                a
            };
            let rb = sb.len();
            let b_op = if tb {
                b.transpose(rb - 2, rb - 1).unwrap()
            } else {
                b
            };
            let (want, want_shape) = reference::matmul(&av, &sa, &bv, &sb, ta, tb);
            let mut variants: Vec<Option<MatmulVariant>> = a_op
                .matmul_variants(&b_op)
                .unwrap()
                .into_iter()
                .map(Some)
                .collect();
            variants.push(None);
            for tile in variants {
                let out = a_op.matmul_with_variant(&b_op, tile).unwrap();
                assert_eq!(out.shape(), want_shape.as_slice());
                let tol = match dtype {
                    tessera_kernels::DType::F16 => Tolerance::matmul_f16(k),
                    _ => Tolerance::matmul_f32(k),
                };
                let ctx = format!(
                    "matmul {dtype} {tile:?} {sa:?}{} x {sb:?}{} on {} seed {seed}",
                    if ta { "^T" } else { "" },
                    if tb { "^T" } else { "" },
                    label(dev)
                );
                assert_close(&out.to_f32_vec().unwrap(), &want, tol, &ctx);
            }
        }
    }
}

#[test]
fn matmul_odd_shapes_all_transposes() {
    poison_outputs();
    for (m, k, n) in [
        (1, 1, 1),
        (1, 37, 1),
        (7, 13, 5),
        (64, 64, 64),
        (65, 17, 129),
        (1, 384, 1536),
        (200, 3, 31),
        // vec4-aligned shapes: the blocked tiles, checked (ragged) and unchecked.
        (128, 64, 128),
        (64, 16, 32),
        (36, 20, 68),
        (132, 12, 72),
        (4, 32, 8),
    ] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            check_matmul(
                &[],
                &[],
                [m, k, n],
                (ta, tb),
                "matmul_odd_shapes_all_transposes",
            );
        }
    }
}

#[test]
fn matmul_batched_and_broadcast() {
    poison_outputs();
    check_matmul(&[3], &[3], [9, 11, 13], (false, false), "matmul_batched");
    check_matmul(
        &[3],
        &[3],
        [36, 16, 40],
        (true, true),
        "matmul_batched_aligned",
    );
    check_matmul(
        &[2],
        &[1],
        [64, 32, 64],
        (false, true),
        "matmul_batched_blocked",
    );
    // A batched operand times a plain matrix folds the batch into the rows.
    check_matmul(
        &[2, 3],
        &[],
        [70, 7, 66],
        (false, false),
        "matmul_fold_rows",
    );
    check_matmul(
        &[4],
        &[],
        [5, 7, 9],
        (true, true),
        "matmul_fold_rows_transposed",
    );
    check_matmul(
        &[2, 3],
        &[3],
        [9, 11, 13],
        (false, true),
        "matmul_broadcast_b",
    );
    check_matmul(&[1], &[4], [5, 70, 6], (true, false), "matmul_broadcast_a");
    check_matmul(
        &[2, 1],
        &[1, 3],
        [4, 8, 4],
        (false, false),
        "matmul_broadcast_both",
    );
}

#[test]
fn matmul_large() {
    poison_outputs();
    check_matmul(&[], &[], [257, 511, 263], (false, true), "matmul_large");
}

#[test]
fn matmul_shape_errors() {
    let dev = &test_devices()[0];
    let a = Tensor::from_slice(dev, &[0.5f32; 6], &[2, 3]).unwrap();
    let b = Tensor::from_slice(dev, &[0.5f32; 8], &[4, 2]).unwrap();
    match a.matmul(&b) {
        Err(Error::Shape(e)) => assert_eq!(e.op, "matmul"),
        other => panic!("expected a shape error, got {other:?}"),
    }
    let v = Tensor::from_slice(dev, &[0.5f32; 3], &[3]).unwrap();
    assert!(matches!(a.matmul(&v), Err(Error::Shape(_))));
    // A forced variant that cannot run the operands is a shape error, not a
    // wrong answer: vec4 tiles need k % 4 == 0 here, matvec needs m <= 8.
    let c = Tensor::from_slice(dev, &[0.5f32; 9 * 3], &[3, 9]).unwrap();
    let wide = Tensor::from_slice(dev, &[0.5f32; 9 * 12], &[9, 12]).unwrap();
    for variant in MatmulVariant::all() {
        let applies = c.matmul_variants(&wide).unwrap().contains(&variant);
        let result = c.matmul_with_variant(&wide, Some(variant));
        assert_eq!(result.is_ok(), applies, "{}", variant.name());
        if !applies {
            assert!(matches!(result, Err(Error::Shape(_))), "{}", variant.name());
        }
    }
    let tall = Tensor::from_slice(dev, &[0.5f32; 9 * 12], &[12, 9]).unwrap();
    assert!(matches!(
        tall.matmul_with_variant(&c, Some(MatmulVariant::Matvec)),
        Err(Error::Shape(_))
    ));
    // Names round-trip, for the benchmark's --variant flag.
    for variant in MatmulVariant::all() {
        assert_eq!(MatmulVariant::from_name(&variant.name()), Some(variant));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn matmul_property(m in 1usize..70, k in 1usize..70, n in 1usize..70, batch in 1usize..4, ta: bool, tb: bool) {
        poison_outputs();
        check_matmul(&[batch], &[batch], [m, k, n], (ta, tb), "matmul_property");
    }

    #[test]
    fn broadcast_add_property(a in proptest::collection::vec(1usize..5, 0..4), b in proptest::collection::vec(1usize..5, 0..4), pick in proptest::collection::vec(any::<bool>(), 4)) {
        poison_outputs();
        // Make b broadcast-compatible with a: each aligned dim equals a's or is 1.
        let mut b = b;
        let lead = b.len().saturating_sub(a.len());
        for i in lead..b.len() {
            let ai = a.len() + i - b.len();
            b[i] = if pick[i % 4] { a[ai] } else { 1 };
        }
        let (mut rng, seed) = seeded_rng("broadcast_add_property");
        for dev in test_devices() {
            let av = random_vec(&mut rng, a.iter().product(), -3.0, 3.0);
            let bv = random_vec(&mut rng, b.iter().product(), -3.0, 3.0);
            let ta = Tensor::from_slice(dev, &av, &a).unwrap();
            let tb = Tensor::from_slice(dev, &bv, &b).unwrap();
            let got = ta.add(&tb).unwrap();
            let (want, shape) = reference::binary(tessera_kernels::BinaryOp::Add, &av, &a, &bv, &b);
            prop_assert_eq!(got.shape(), shape.as_slice());
            assert_close(&got.to_vec::<f32>().unwrap(), &want, Tolerance::F32_EXACTISH, &format!("{a:?}+{b:?} seed {seed}"));
        }
    }

    #[test]
    fn reduce_property(shape in proptest::collection::vec(1usize..40, 1..4), axis_pick in 0usize..3) {
        poison_outputs();
        let axis = axis_pick % shape.len();
        let (mut rng, seed) = seeded_rng("reduce_property");
        for dev in test_devices() {
            let xs = random_vec(&mut rng, shape.iter().product(), -2.0, 2.0);
            let x = Tensor::from_slice(dev, &xs, &shape).unwrap();
            let got = x.sum(axis).unwrap().to_vec::<f32>().unwrap();
            let want = reference::reduce(tessera_kernels::ReduceOp::Sum, &xs, &shape, axis);
            assert_close(&got, &want, Tolerance::sum_f32(shape[axis]), &format!("sum {shape:?} axis {axis} seed {seed}"));
        }
    }
}
