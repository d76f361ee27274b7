//! Small-m matmul ("matvec") kernels: every layout/load variant and the automatic
//! choice on every test adapter, against the CPU reference, over odd shapes, both
//! B layouts (B stored [k, n], or [n, k] as a PyTorch Linear weight and used
//! transposed), batches, broadcasts and forced specs; shape and dtype errors;
//! a property test over shapes.

mod common;

use common::*;
use proptest::prelude::*;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::{DType, MatvecLayout, MatvecLoad, MatvecSpec, MatvecVariant};
use tessera_runtime::ops::matvec_applicable;
use tessera_runtime::{reference, Error, Tensor};

/// Every variant forced, then the automatic choice.
fn choices() -> Vec<Option<MatvecVariant>> {
    let mut all: Vec<_> = MatvecVariant::ALL.iter().copied().map(Some).collect();
    all.push(None);
    all
}

/// A matvec call: A `[batch_a.., m, k]` (stored `[.., k, m]` when `ta`), B
/// `[batch_b.., k, n]` (stored `[.., n, k]` when `tb`, the Linear-weight layout).
#[derive(Clone, Debug)]
struct Case {
    batch_a: Vec<usize>,
    batch_b: Vec<usize>,
    mkn: [usize; 3],
    ta: bool,
    tb: bool,
}

impl Case {
    fn new(batch_a: &[usize], batch_b: &[usize], mkn: [usize; 3], ta: bool, tb: bool) -> Case {
        Case {
            batch_a: batch_a.to_vec(),
            batch_b: batch_b.to_vec(),
            mkn,
            ta,
            tb,
        }
    }

    /// Whether a forced vec4 variant must run: B (and A, after the copy the
    /// runtime makes) is aligned along the variant's axis.
    fn vec4_fits(&self, layout: MatvecLayout) -> bool {
        let [_, k, n] = self.mkn;
        match layout {
            MatvecLayout::KContiguous => k.is_multiple_of(4) && (self.tb || n == 1),
            MatvecLayout::NContiguous => n.is_multiple_of(4) && (!self.tb || k == 1),
        }
    }
}

/// Runs `case` on every device and dtype with each of `choices`, or with `spec`.
fn check(
    case: &Case,
    choices: &[Option<MatvecVariant>],
    spec: Option<MatvecSpec>,
    seed_name: &str,
) {
    let (mut rng, seed) = seeded_rng(seed_name);
    let [m, k, n] = case.mkn;
    for dev in test_devices() {
        for dtype in [DType::F32, DType::F16] {
            if dtype == DType::F16 && !has_f16(dev) {
                eprintln!(
                    "{seed_name}: skipping f16 on {} (no shader-f16)",
                    label(dev)
                );
                continue;
            }
            let mut sa = case.batch_a.clone();
            sa.extend(if case.ta { [k, m] } else { [m, k] });
            let mut sb = case.batch_b.clone();
            sb.extend(if case.tb { [n, k] } else { [k, n] });
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
            let a_op = if case.ta {
                a.transpose(sa.len() - 2, sa.len() - 1).unwrap()
            } else {
                a
            };
            let b_op = if case.tb {
                b.transpose(sb.len() - 2, sb.len() - 1).unwrap()
            } else {
                b
            };
            let (want, want_shape) = reference::matmul(&av, &sa, &bv, &sb, case.ta, case.tb);
            let tol = match dtype {
                DType::F16 => Tolerance::matmul_f16(k),
                _ => Tolerance::matmul_f32(k),
            };
            let ctx = |what: String| {
                format!(
                    "matvec {dtype} {what} {case:?} on {} seed {seed}",
                    label(dev)
                )
            };
            type Run = (
                Option<MatvecVariant>,
                String,
                tessera_runtime::Result<Tensor>,
            );
            let runs: Vec<Run> = match spec {
                Some(s) => {
                    let s = MatvecSpec { dtype, ..s };
                    vec![(
                        Some(s.variant()),
                        format!("{s:?}"),
                        a_op.matvec_with_spec(&b_op, s),
                    )]
                }
                None => choices
                    .iter()
                    .map(|&c| (c, format!("{c:?}"), a_op.matvec_with(&b_op, c)))
                    .collect(),
            };
            for (variant, what, result) in runs {
                let fits = variant
                    .is_none_or(|v| v.load == MatvecLoad::Scalar || case.vec4_fits(v.layout));
                match (result, fits) {
                    (Ok(out), true) => {
                        assert_eq!(out.shape(), want_shape.as_slice(), "{}", ctx(what.clone()));
                        assert_close(&out.to_f32_vec().unwrap(), &want, tol, &ctx(what));
                    }
                    (Err(Error::Shape(_)), false) => {}
                    (Ok(_), false) => panic!("{}: ran although vec4 does not fit", ctx(what)),
                    (Err(e), _) => panic!("{}: unexpected error {e}", ctx(what)),
                }
            }
        }
    }
}

const KS: [usize; 8] = [1, 3, 4, 5, 127, 128, 1000, 4097];
const NS: [usize; 5] = [1, 3, 7, 64, 1000];
const MS: [usize; 4] = [1, 2, 3, 8];

#[test]
fn matvec_odd_shapes_both_layouts() {
    poison_outputs();
    let mut i = 0;
    for k in KS {
        for n in NS {
            let m = MS[i % 4];
            // Batch 1, or a batch of 3 folded into the rows of a rank-2 B.
            let batch: &[usize] = if (i / 4).is_multiple_of(2) { &[] } else { &[3] };
            i += 1;
            for tb in [true, false] {
                let case = Case::new(batch, &[], [m, k, n], false, tb);
                check(&case, &choices(), None, "matvec_odd_shapes_both_layouts");
            }
        }
    }
}

#[test]
fn matvec_batched_broadcast_and_strided_a() {
    poison_outputs();
    for tb in [true, false] {
        for (ba, bb, mkn, ta) in [
            (&[3][..], &[3][..], [2, 128, 64], false),
            (&[3], &[3], [3, 127, 7], false),
            (&[1], &[2], [1, 1000, 3], false),
            (&[2, 3], &[1], [8, 64, 1000], false),
            (&[3], &[], [1, 128, 64], true),
            (&[], &[], [3, 132, 37], true),
            (&[2], &[2], [8, 4, 4], true),
        ] {
            let case = Case::new(ba, bb, mkn, ta, tb);
            check(
                &case,
                &choices(),
                None,
                "matvec_batched_broadcast_and_strided_a",
            );
        }
    }
}

#[test]
fn matvec_forced_specs() {
    poison_outputs();
    for variant in MatvecVariant::ALL {
        for (rows, wg, split) in [
            (1, 32, 1),
            (2, 64, 8),
            (4, 256, 256),
            (8, 128, 2),
            (3, 256, 32),
        ] {
            let spec = MatvecSpec {
                dtype: DType::F32,
                layout: variant.layout,
                load: variant.load,
                rows,
                wg,
                split,
            };
            for tb in [true, false] {
                let case = Case::new(&[2], &[2], [5, 132, 36], false, tb);
                check(&case, &[], Some(spec), "matvec_forced_specs");
            }
        }
    }
}

fn dev0() -> &'static Arc<dyn Device> {
    &test_devices()[0]
}

#[test]
fn matvec_errors() {
    let dev = dev0();
    let a = Tensor::from_slice(dev, &[0.5f32; 6], &[2, 3]).unwrap();
    let b = Tensor::from_slice(dev, &[0.5f32; 8], &[4, 2]).unwrap();
    match a.matvec(&b) {
        Err(Error::Shape(e)) => assert_eq!(e.op, "matvec"),
        other => panic!("expected a shape error, got {other:?}"),
    }
    let v = Tensor::from_slice(dev, &[0.5f32; 3], &[3]).unwrap();
    assert!(matches!(a.matvec(&v), Err(Error::Shape(_))));
    assert!(matches!(v.matvec(&a), Err(Error::Shape(_))));
    let ai = Tensor::from_slice(dev, &[1i32; 6], &[2, 3]).unwrap();
    let bi = Tensor::from_slice(dev, &[1i32; 6], &[3, 2]).unwrap();
    assert!(matches!(ai.matvec(&bi), Err(Error::DType { .. })));
    let b32 = Tensor::from_slice(dev, &[0.5f32; 6], &[3, 2]).unwrap();
    assert!(matches!(a.matvec(&bi), Err(Error::DType { .. })));
    // Batch dims that do not broadcast.
    let a3 = Tensor::from_slice(dev, &[0.5f32; 12], &[2, 2, 3]).unwrap();
    let b3 = Tensor::from_slice(dev, &[0.5f32; 18], &[3, 3, 2]).unwrap();
    assert!(matches!(a3.matvec(&b3), Err(Error::Shape(_))));
    // Forced vec4 on operands it does not fit: k = 3, n = 2.
    for variant in MatvecVariant::ALL {
        let r = a.matvec_with(&b32, Some(variant));
        match variant.load {
            MatvecLoad::Scalar => assert!(r.is_ok(), "{variant:?}: {r:?}"),
            MatvecLoad::Vec4 => assert!(matches!(r, Err(Error::Shape(_))), "{variant:?}: {r:?}"),
        }
    }
    let spec = MatvecSpec {
        dtype: DType::F32,
        layout: MatvecLayout::KContiguous,
        load: MatvecLoad::Scalar,
        rows: 1,
        wg: 64,
        split: 8,
    };
    assert!(a.matvec_with_spec(&b32, spec).is_ok());
    let wrong_dtype = MatvecSpec {
        dtype: DType::F16,
        ..spec
    };
    assert!(matches!(
        a.matvec_with_spec(&b32, wrong_dtype),
        Err(Error::DType { .. })
    ));
    let invalid = MatvecSpec { split: 3, ..spec };
    assert!(matches!(
        a.matvec_with_spec(&b32, invalid),
        Err(Error::Shape(_))
    ));
}

#[test]
fn matvec_empty_and_zero_k() {
    poison_outputs();
    let dev = dev0();
    let a = Tensor::from_slice(dev, &[0.0f32; 0], &[2, 0]).unwrap();
    let b = Tensor::from_slice(dev, &[0.0f32; 0], &[0, 3]).unwrap();
    for c in choices() {
        let out = a.matvec_with(&b, c);
        if let Some(MatvecVariant {
            load: MatvecLoad::Vec4,
            ..
        }) = c
        {
            assert!(matches!(out, Err(Error::Shape(_))), "{c:?}");
            continue;
        }
        let out = out.unwrap();
        assert_eq!(out.shape(), [2, 3]);
        assert_close(
            &out.to_f32_vec().unwrap(),
            &[0.0; 6],
            Tolerance::EXACT,
            &format!("{c:?}"),
        );
    }
    let e = Tensor::from_slice(dev, &[0.0f32; 0], &[0, 5]).unwrap();
    let w = Tensor::from_slice(dev, &[0.5f32; 10], &[5, 2]).unwrap();
    assert_eq!(e.matvec(&w).unwrap().shape(), [0, 2]);
}

#[test]
fn matvec_applicable_bounds() {
    assert!(matvec_applicable(1, 4096, 4096));
    assert!(matvec_applicable(8, 1, 1));
    assert!(!matvec_applicable(0, 10, 10));
    assert!(!matvec_applicable(9, 10, 10));
    assert!(!matvec_applicable(1, 0, 10));
    assert!(!matvec_applicable(1, 8 * 65535 + 1, 10));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn matvec_property(m in 1usize..=8, k in 1usize..300, n in 1usize..100, batch in 1usize..4, tb: bool, pick in 0usize..5) {
        poison_outputs();
        let case = Case::new(&[batch], &[batch], [m, k, n], false, tb);
        check(&case, &[choices()[pick]], None, "matvec_property");
    }
}
