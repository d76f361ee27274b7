//! `Tensor::cached_attention` (fused causal attention of a few new tokens over
//! the key/value cache) on every test adapter, against an f64 CPU reference on
//! random inputs: odd head dims and group sizes, several new tokens (causal),
//! contexts longer than one workgroup's chunk of keys; and its typed errors.

mod common;

use common::*;
use tessera_runtime::reference::{self, AttentionDims};
use tessera_runtime::{Error, Tensor};

#[test]
fn cached_attention_matches_the_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("cached_attention_matches_the_reference");
    // (kv_heads, group, s, head_dim, past, capacity)
    let cases = [
        (1, 1, 1, 2, 0, 1),
        (2, 7, 1, 64, 5, 9),
        (2, 4, 3, 16, 0, 3),
        (3, 2, 5, 10, 70, 80),
        (1, 3, 1, 128, 200, 201),
        (2, 1, 8, 256, 3, 12),
        // Long contexts over few rows split the keys (2, 4 and 5 ranges),
        // the causal rows of s > 1 leaving the last range of some rows empty.
        (2, 3, 1, 64, 700, 701),
        (1, 2, 3, 40, 1100, 1110),
        (1, 1, 1, 256, 1500, 1501),
    ];
    for device in test_devices() {
        for dtype in float_dtypes(device) {
            for &(kv_heads, group, s, d, past, capacity) in &cases {
                let rows = group * s;
                let (q, qv) = upload(
                    device,
                    &random_vec(&mut rng, kv_heads * rows * d, -1.0, 1.0),
                    &[kv_heads, rows, d],
                    dtype,
                );
                let cache = [kv_heads, capacity, d];
                let n = kv_heads * capacity * d;
                let (keys, kv) = upload(device, &random_vec(&mut rng, n, -1.0, 1.0), &cache, dtype);
                let (values, vv) =
                    upload(device, &random_vec(&mut rng, n, -2.0, 2.0), &cache, dtype);
                let out = q.cached_attention(&keys, &values, past, s).unwrap();
                assert_eq!(out.shape(), [kv_heads, rows, d]);
                let dims = AttentionDims {
                    kv_heads,
                    rows,
                    head_dim: d,
                    capacity,
                    past,
                    s,
                };
                let want = reference::cached_attention(&qv, &kv, &vv, dims);
                let context = format!(
                    "{} {dtype} kv {kv_heads} group {group} s {s} d {d} past {past} seed {seed}",
                    label(device)
                );
                let tol = tol_for(dtype, Tolerance::F32_TRANSCENDENTAL);
                assert_close(&out.to_f32_vec().unwrap(), &want, tol, &context);
            }
        }
    }
}

#[test]
fn cached_attention_rejects_bad_shapes_and_positions() {
    let device = &test_devices()[0];
    let t = |shape: &[usize]| {
        let n: usize = shape.iter().product();
        Tensor::from_f32(device, &vec![0.25; n], shape, tessera_kernels::DType::F32).unwrap()
    };
    let (q, keys, values) = (t(&[2, 6, 16]), t(&[2, 10, 16]), t(&[2, 10, 16]));
    assert!(q.cached_attention(&keys, &values, 7, 3).is_ok());
    let shape_err = |r: tessera_runtime::Result<Tensor>| matches!(r, Err(Error::Shape(_)));
    assert!(shape_err(q.cached_attention(&keys, &values, 8, 3)));
    assert!(shape_err(q.cached_attention(&keys, &values, usize::MAX, 3)));
    assert!(shape_err(q.cached_attention(&keys, &values, 0, 4)));
    assert!(shape_err(q.cached_attention(&keys, &values, 0, 0)));
    assert!(shape_err(
        t(&[3, 6, 16]).cached_attention(&keys, &values, 0, 3)
    ));
    assert!(shape_err(q.cached_attention(&keys, &t(&[2, 9, 16]), 0, 3)));
    assert!(shape_err(t(&[1, 2, 300]).cached_attention(
        &t(&[1, 4, 300]),
        &t(&[1, 4, 300]),
        0,
        1
    )));
    let big = t(&[2, 20, 16]);
    let view = big.narrow(1, 0..10).unwrap();
    assert!(matches!(
        q.cached_attention(&view, &view, 0, 3),
        Err(Error::InvalidArgument { .. })
    ));
}
