//! `Tensor::qkv_rope` (split a fused q/k/v projection, add its bias, rotate q
//! and k, scale q, write q grouped and k/v into the caches) on every test
//! adapter, against the CPU reference built from `reference::rope`, on random
//! inputs and odd head counts; cache rows outside the new positions must keep
//! their sentinel. Bad shapes, positions and caches are typed errors.

mod common;

use common::*;
use tessera_kernels::DType;
use tessera_runtime::models::llama::rope_table_values;
use tessera_runtime::ops::QkvRope;
use tessera_runtime::{reference, Error, Tensor};

/// What cache rows hold before the op; rows it must not touch keep it.
const SENTINEL: f32 = 7.5;

struct Case {
    rows: usize,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    pos0: usize,
    capacity: usize,
    bias: bool,
}

const CASES: [Case; 5] = [
    Case {
        rows: 1,
        heads: 4,
        kv_heads: 2,
        head_dim: 8,
        pos0: 0,
        capacity: 3,
        bias: true,
    },
    Case {
        rows: 3,
        heads: 6,
        kv_heads: 2,
        head_dim: 6,
        pos0: 5,
        capacity: 11,
        bias: false,
    },
    Case {
        rows: 7,
        heads: 14,
        kv_heads: 2,
        head_dim: 64,
        pos0: 2,
        capacity: 9,
        bias: true,
    },
    Case {
        rows: 1,
        heads: 1,
        kv_heads: 1,
        head_dim: 2,
        pos0: 0,
        capacity: 1,
        bias: false,
    },
    Case {
        rows: 5,
        heads: 3,
        kv_heads: 3,
        head_dim: 10,
        pos0: 1,
        capacity: 6,
        bias: true,
    },
];

/// Expected (q_out, keys, values) for `x` `[rows, width]` (+ `bias`), caches
/// starting as SENTINEL.
fn expected(c: &Case, x: &[f32], bias: Option<&[f32]>, cos: &[f32], sin: &[f32]) -> [Vec<f32>; 3] {
    let dims = reference::QkvRopeDims {
        rows: c.rows,
        heads: c.heads,
        kv_heads: c.kv_heads,
        head_dim: c.head_dim,
        pos0: c.pos0,
        capacity: c.capacity,
        q_scale: 1.0 / (c.head_dim as f32).sqrt(),
    };
    let mut keys = vec![SENTINEL; c.kv_heads * c.capacity * c.head_dim];
    let mut values = keys.clone();
    let q = reference::qkv_rope(dims, x, bias, (cos, sin), &mut keys, &mut values);
    [q, keys, values]
}

#[test]
fn qkv_rope_matches_the_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("qkv_rope_matches_the_reference");
    for device in test_devices() {
        for dtype in float_dtypes(device) {
            for c in &CASES {
                let d = c.head_dim;
                let width = (c.heads + 2 * c.kv_heads) * d;
                let positions = c.pos0 + c.rows + 1;
                let (cos, sin) = rope_table_values(d, 10000.0, positions);
                let table = |v: &[f32]| {
                    Tensor::from_f32(device, v, &[positions, d / 2], DType::F32).unwrap()
                };
                let (cos_t, sin_t) = (table(&cos), table(&sin));
                let (x, xv) = upload(
                    device,
                    &random_vec(&mut rng, c.rows * width, -2.0, 2.0),
                    &[c.rows, width],
                    dtype,
                );
                let (bias, bv) = upload(
                    device,
                    &random_vec(&mut rng, width, -0.5, 0.5),
                    &[width],
                    dtype,
                );
                let cache_shape = [c.kv_heads, c.capacity, d];
                let sentinel = vec![SENTINEL; c.kv_heads * c.capacity * d];
                let keys = Tensor::from_f32(device, &sentinel, &cache_shape, dtype).unwrap();
                let values = Tensor::from_f32(device, &sentinel, &cache_shape, dtype).unwrap();
                let spec = QkvRope {
                    heads: c.heads,
                    kv_heads: c.kv_heads,
                    head_dim: d,
                    bias: c.bias.then_some(&bias),
                    cos: &cos_t,
                    sin: &sin_t,
                    pos0: c.pos0,
                    q_scale: 1.0 / (d as f32).sqrt(),
                };
                let q = x.qkv_rope(&spec, &keys, &values).unwrap();
                let group = c.heads / c.kv_heads;
                assert_eq!(q.shape(), [c.kv_heads, group * c.rows, d]);
                let [want_q, want_k, want_v] =
                    expected(c, &xv, c.bias.then_some(bv.as_slice()), &cos, &sin);
                let context = format!(
                    "{} {dtype} rows {} heads {}/{} d {d} pos0 {} bias {} seed {seed}",
                    label(device),
                    c.rows,
                    c.heads,
                    c.kv_heads,
                    c.pos0,
                    c.bias
                );
                let tol = tol_for(dtype, Tolerance::F32_TRANSCENDENTAL);
                assert_close(
                    &q.to_f32_vec().unwrap(),
                    &want_q,
                    tol,
                    &format!("q {context}"),
                );
                assert_close(
                    &keys.to_f32_vec().unwrap(),
                    &want_k,
                    tol,
                    &format!("keys {context}"),
                );
                assert_close(
                    &values.to_f32_vec().unwrap(),
                    &want_v,
                    tol,
                    &format!("values {context}"),
                );
            }
        }
    }
}

#[test]
fn qkv_rope_rejects_bad_shapes_positions_and_caches() {
    let device = &test_devices()[0];
    let (heads, kv_heads, d, capacity) = (4, 2, 8, 4);
    let width = (heads + 2 * kv_heads) * d;
    let (cos, sin) = rope_table_values(d, 10000.0, 6);
    let cos = Tensor::from_f32(device, &cos, &[6, d / 2], DType::F32).unwrap();
    let sin = Tensor::from_f32(device, &sin, &[6, d / 2], DType::F32).unwrap();
    let zeros = |shape: &[usize]| {
        let n: usize = shape.iter().product();
        Tensor::from_f32(device, &vec![0.5; n], shape, DType::F32).unwrap()
    };
    let (keys, values) = (
        zeros(&[kv_heads, capacity, d]),
        zeros(&[kv_heads, capacity, d]),
    );
    let x = zeros(&[2, width]);
    let bias = zeros(&[width]);
    let spec = QkvRope {
        heads,
        kv_heads,
        head_dim: d,
        bias: Some(&bias),
        cos: &cos,
        sin: &sin,
        pos0: 0,
        q_scale: 1.0,
    };
    assert!(x.qkv_rope(&spec, &keys, &values).is_ok());
    let shape_err = |r: tessera_runtime::Result<Tensor>| matches!(r, Err(Error::Shape(_)));
    // Width, bias, heads, positions past the caches (4) and the tables (6).
    assert!(shape_err(
        zeros(&[2, width + 1]).qkv_rope(&spec, &keys, &values)
    ));
    let short_bias = zeros(&[width - 1]);
    let with = |s: QkvRope<'_>| x.qkv_rope(&s, &keys, &values);
    assert!(shape_err(with(QkvRope {
        bias: Some(&short_bias),
        ..spec
    })));
    assert!(shape_err(with(QkvRope {
        kv_heads: 3,
        ..spec
    })));
    assert!(shape_err(with(QkvRope {
        head_dim: 7,
        ..spec
    })));
    assert!(shape_err(with(QkvRope { pos0: 3, ..spec })));
    assert!(shape_err(with(QkvRope {
        pos0: usize::MAX,
        ..spec
    })));
    let big = (zeros(&[kv_heads, 8, d]), zeros(&[kv_heads, 8, d]));
    assert!(shape_err(x.qkv_rope(
        &QkvRope { pos0: 5, ..spec },
        &big.0,
        &big.1
    )));
    // Caches: wrong shape, a narrowed view, another dtype.
    assert!(shape_err(x.qkv_rope(
        &spec,
        &zeros(&[kv_heads, capacity, d + 2]),
        &values
    )));
    let view = big.0.narrow(1, 0..capacity).unwrap();
    assert!(matches!(
        x.qkv_rope(&spec, &view, &view),
        Err(Error::InvalidArgument { .. })
    ));
    let ids = Tensor::from_slice(device, &[1u32; 64], &[kv_heads, capacity, d]).unwrap();
    assert!(matches!(
        x.qkv_rope(&spec, &ids, &values),
        Err(Error::DType { .. })
    ));
}
