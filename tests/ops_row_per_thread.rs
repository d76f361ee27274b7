//! The per-thread row kernels (`RowVariant::PerThread`: one invocation per
//! row, 64 rows per workgroup, no barrier), forced on every adapter against
//! the f64 CPU reference: softmax with and without a mask (broadcast and
//! full), layer norm and RMS norm, over short odd rows, row counts that end
//! inside a workgroup, and rows of huge, very negative and fully masked
//! values. `ops_reduce_norm.rs` forces it beside the other variants too.

mod common;

use common::*;
use tessera_kernels::{RowVariant, ROW_PER_THREAD_MAX, ROW_PER_THREAD_WG};
use tessera_runtime::reference;

/// Row lengths: one value, odd short rows (MiniLM's attention rows are 30),
/// an odd longer one, and both sides of the automatic limit.
const LENGTHS: &[usize] = &[
    1,
    3,
    30,
    31,
    127,
    515,
    ROW_PER_THREAD_MAX,
    ROW_PER_THREAD_MAX + 1,
];

/// Rows per workgroup of the per-thread kernels.
const WG: usize = ROW_PER_THREAD_WG as usize;

/// Leading dims: one row, one row past a workgroup, and three workgroups and
/// a part (the row index crosses the leading dim inside a workgroup).
const LEADING: &[[usize; 2]] = &[[1, 1], [1, WG + 1], [2, (3 * WG + 17) / 2]];

/// Softmax logits for `rows` rows of `len`: random in [-8, 8), and with
/// `extreme` every third row scaled to [-8000, 8000) or shifted to about
/// -30000 (stability). Masked softmax adds the mask in f32, which rounds
/// such sums by more than the tolerance allows; it takes moderate logits.
fn logits(rng: &mut rand::rngs::StdRng, rows: usize, len: usize, extreme: bool) -> Vec<f32> {
    let mut x = random_vec(rng, rows * len, -8.0, 8.0);
    if !extreme {
        return x;
    }
    for (r, row) in x.chunks_mut(len).enumerate() {
        match r % 3 {
            1 => row.iter_mut().for_each(|v| *v *= 1000.0),
            2 => row.iter_mut().for_each(|v| *v -= 30000.0),
            _ => {}
        }
    }
    x
}

/// A mask of `rows` rows of `len`: random in [-3, 0), some -inf and -1e4,
/// and the last row entirely -inf (its softmax rows give zeros).
fn mask_values(rng: &mut rand::rngs::StdRng, rows: usize, len: usize) -> Vec<f32> {
    let mut m = random_vec(rng, rows * len, -3.0, 0.0);
    for (j, v) in m.iter_mut().enumerate().step_by(4) {
        *v = if j % 8 == 0 {
            f32::NEG_INFINITY
        } else {
            -1.0e4
        };
    }
    let last = (rows - 1) * len;
    m[last..].fill(f32::NEG_INFINITY);
    m
}

#[test]
fn per_thread_softmax_matches_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("per_thread_softmax_matches_reference");
    let v = Some(RowVariant::PerThread);
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let tol = tol_for(dtype, Tolerance::F32_TRANSCENDENTAL);
            for &len in LENGTHS {
                for &[a, b] in LEADING {
                    let shape = [a, b, len];
                    let ctx = |what: &str| {
                        format!("{what} {dtype} {shape:?} on {} seed {seed}", label(dev))
                    };
                    let extreme = logits(&mut rng, a * b, len, true);
                    let (x, xs) = upload(dev, &extreme, &shape, dtype);
                    let got = x.softmax_with_variant(None, v).unwrap();
                    let want = reference::softmax(&xs, &shape, None);
                    assert_close(&got.to_f32_vec().unwrap(), &want, tol, &ctx("softmax"));
                    let moderate = logits(&mut rng, a * b, len, false);
                    let (x, xs) = upload(dev, &moderate, &shape, dtype);
                    // A mask broadcast over the middle dim, as attention's.
                    let mshape = [a, 1, len];
                    let (m, ms) = upload(dev, &mask_values(&mut rng, a, len), &mshape, dtype);
                    let got = x.softmax_with_variant(Some(&m), v).unwrap();
                    let want = reference::softmax(&xs, &shape, Some((&ms, &mshape)));
                    let ctx_b = ctx("broadcast-masked softmax");
                    assert_close(&got.to_f32_vec().unwrap(), &want, tol, &ctx_b);
                    // A full mask: every row its own.
                    let (m, ms) = upload(dev, &mask_values(&mut rng, a * b, len), &shape, dtype);
                    let got = x.softmax_with_variant(Some(&m), v).unwrap();
                    let want = reference::softmax(&xs, &shape, Some((&ms, &shape)));
                    let ctx_f = ctx("full-masked softmax");
                    assert_close(&got.to_f32_vec().unwrap(), &want, tol, &ctx_f);
                }
            }
        }
    }
}

#[test]
fn per_thread_norms_match_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("per_thread_norms_match_reference");
    let v = Some(RowVariant::PerThread);
    let f32_tol = Tolerance {
        rtol: 1e-3,
        atol: 1e-4,
    };
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let tol = tol_for(dtype, f32_tol);
            for &len in LENGTHS {
                for &[a, b] in LEADING {
                    let shape = [a, b, len];
                    let ctx = |what: &str| {
                        format!("{what} {dtype} {shape:?} on {} seed {seed}", label(dev))
                    };
                    let values = random_vec(&mut rng, a * b * len, -4.0, 6.0);
                    let (x, xs) = upload(dev, &values, &shape, dtype);
                    let (w, ws) = upload(dev, &random_vec(&mut rng, len, 0.5, 1.5), &[len], dtype);
                    let (bias, bs) =
                        upload(dev, &random_vec(&mut rng, len, -0.5, 0.5), &[len], dtype);
                    let got = x.layer_norm_with_variant(Some(&w), Some(&bias), 1e-5, v);
                    let want = reference::layernorm(&xs, &shape, Some(&ws), Some(&bs), 1e-5);
                    let got = got.unwrap().to_f32_vec().unwrap();
                    assert_close(&got, &want, tol, &ctx("layer_norm w b"));
                    let got = x.layer_norm_with_variant(None, None, 1e-12, v);
                    let want = reference::layernorm(&xs, &shape, None, None, 1e-12);
                    let got = got.unwrap().to_f32_vec().unwrap();
                    assert_close(&got, &want, tol, &ctx("layer_norm"));
                    let got = x.rms_norm_with_variant(Some(&w), 1e-6, v);
                    let want = reference::rmsnorm(&xs, &shape, Some(&ws), 1e-6);
                    let got = got.unwrap().to_f32_vec().unwrap();
                    assert_close(&got, &want, tol, &ctx("rms_norm w"));
                }
            }
        }
    }
}

#[test]
fn per_thread_rows_past_one_grid_dimension() {
    // More rows than 65535 workgroups of 64 hold: the 2-D grid, whose
    // last workgroups lie past the rows.
    poison_outputs();
    let (mut rng, seed) = seeded_rng("per_thread_rows_past_one_grid_dimension");
    let shape = [WG * 65_535 + 77, 2];
    let v = Some(RowVariant::PerThread);
    for dev in test_devices() {
        let xs = random_vec(&mut rng, shape[0] * shape[1], -4.0, 4.0);
        let x = tessera_runtime::Tensor::from_slice(dev, &xs, &shape).unwrap();
        let ctx = format!("{shape:?} on {} seed {seed}", label(dev));
        let got = x
            .softmax_with_variant(None, v)
            .unwrap()
            .to_f32_vec()
            .unwrap();
        let want = reference::softmax(&xs, &shape, None);
        let tol = Tolerance::F32_TRANSCENDENTAL;
        assert_close(&got, &want, tol, &format!("softmax {ctx}"));
        let got = x.layer_norm_with_variant(None, None, 1e-5, v).unwrap();
        let want = reference::layernorm(&xs, &shape, None, None, 1e-5);
        let got = got.to_f32_vec().unwrap();
        assert_close(
            &got,
            &want,
            Tolerance::F32_TRANSCENDENTAL,
            &format!("layer_norm {ctx}"),
        );
    }
}
