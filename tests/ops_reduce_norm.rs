//! Reductions, softmax (with masks) and layer/RMS norm against the CPU reference.

mod common;

use common::*;
use tessera_kernels::{ReduceOp, UnaryOp};
use tessera_runtime::{reference, Tensor};

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
