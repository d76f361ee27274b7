//! The decode-batch ops over a slotted key/value pool on every test adapter:
//! `Tensor::slotted_qkv_rope` (each row split, biased, rotated at its own
//! position and written into its own slot) and `Tensor::slotted_attention`
//! (each row over its own slot up to its own position), against the CPU
//! references, on random inputs, batches of 1, 3 and 8 rows at different
//! positions, odd head dims and grouped-query heads. Pool elements outside
//! the rows' (slot, position) keep their sentinel; outputs are poisoned
//! before each run. Bad tables are typed errors, checked on the host.

mod common;

use common::*;
use tessera_kernels::DType;
use tessera_runtime::models::llama::rope_table_values;
use tessera_runtime::ops::{QkvRope, SlotTable};
use tessera_runtime::reference::{self, SlottedDims};
use tessera_runtime::{Error, Tensor};

/// What pool elements hold before the ops; those no row owns keep it.
const SENTINEL: f32 = 7.5;

struct Case {
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    slots: usize,
    capacity: usize,
    /// (slot, position) per row.
    rows: &'static [(usize, usize)],
}

const CASES: [Case; 4] = [
    Case {
        heads: 4,
        kv_heads: 2,
        head_dim: 8,
        slots: 3,
        capacity: 5,
        rows: &[(1, 0)],
    },
    Case {
        heads: 6,
        kv_heads: 2,
        head_dim: 6,
        slots: 5,
        capacity: 11,
        rows: &[(4, 10), (0, 3), (2, 0)],
    },
    Case {
        heads: 14,
        kv_heads: 2,
        head_dim: 64,
        slots: 8,
        capacity: 300,
        rows: &[
            (7, 1),
            (0, 299),
            (3, 40),
            (1, 0),
            (6, 257),
            (2, 5),
            (5, 128),
            (4, 17),
        ],
    },
    Case {
        heads: 3,
        kv_heads: 3,
        head_dim: 10,
        slots: 9,
        capacity: 4,
        rows: &[(8, 3), (2, 2), (5, 1)],
    },
];

impl Case {
    fn dims(&self) -> SlottedDims {
        SlottedDims {
            heads: self.heads,
            kv_heads: self.kv_heads,
            head_dim: self.head_dim,
            slots: self.slots,
            capacity: self.capacity,
        }
    }

    fn pool_shape(&self) -> [usize; 4] {
        [self.slots, self.kv_heads, self.capacity, self.head_dim]
    }
}

#[test]
fn slotted_rope_then_attention_match_the_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("slotted_rope_then_attention_match_the_reference");
    for device in test_devices() {
        for dtype in float_dtypes(device) {
            for c in &CASES {
                let (d, n) = (c.head_dim, c.rows.len());
                let width = (c.heads + 2 * c.kv_heads) * d;
                let (cos, sin) = rope_table_values(d, 10000.0, c.capacity);
                let table_t = |v: &[f32]| {
                    Tensor::from_f32(device, v, &[c.capacity, d / 2], DType::F32).unwrap()
                };
                let (cos_t, sin_t) = (table_t(&cos), table_t(&sin));
                let (x, xv) = upload(
                    device,
                    &random_vec(&mut rng, n * width, -2.0, 2.0),
                    &[n, width],
                    dtype,
                );
                let (bias, bv) = upload(
                    device,
                    &random_vec(&mut rng, width, -0.5, 0.5),
                    &[width],
                    dtype,
                );
                // The pool: random keys and values where the rows attend
                // (positions below each row's own), the sentinel elsewhere.
                let mut kv = vec![SENTINEL; c.pool_shape().iter().product()];
                let mut vv = kv.clone();
                let slot_len = c.dims().slot_len();
                for &(slot, position) in c.rows {
                    for h in 0..c.kv_heads {
                        let at = slot * slot_len + h * c.capacity * d;
                        for e in at..at + position * d {
                            kv[e] = rng_value(&mut rng, dtype);
                            vv[e] = rng_value(&mut rng, dtype);
                        }
                    }
                }
                let keys = Tensor::from_f32(device, &kv, &c.pool_shape(), dtype).unwrap();
                let values = Tensor::from_f32(device, &vv, &c.pool_shape(), dtype).unwrap();
                let table = SlotTable::new(device, c.rows).unwrap();
                let q_scale = 1.0 / (d as f32).sqrt();
                let spec = QkvRope {
                    heads: c.heads,
                    kv_heads: c.kv_heads,
                    head_dim: d,
                    bias: Some(&bias),
                    cos: &cos_t,
                    sin: &sin_t,
                    pos0: 0,
                    q_scale,
                };
                let q = x.slotted_qkv_rope(&spec, &table, &keys, &values).unwrap();
                assert_eq!(q.shape(), [n, c.heads, d]);
                let out = q.slotted_attention(&table, &keys, &values).unwrap();
                assert_eq!(out.shape(), [n, c.heads * d]);

                let want_q = reference::slotted_qkv_rope(
                    c.dims(),
                    &xv,
                    Some(&bv),
                    (&cos, &sin),
                    c.rows,
                    q_scale,
                    (&mut kv, &mut vv),
                );
                let context = format!(
                    "{} {dtype} rows {:?} heads {}/{} d {d} seed {seed}",
                    label(device),
                    c.rows,
                    c.heads,
                    c.kv_heads
                );
                let tol = tol_for(dtype, Tolerance::F32_TRANSCENDENTAL);
                let got_q = q.to_f32_vec().unwrap();
                assert_close(&got_q, &want_q, tol, &format!("q {context}"));
                // The pools (sentinels included, so a stray write fails)
                // become the reference's; attention reads what the kernel
                // wrote, rounded as stored.
                let got_k = keys.to_f32_vec().unwrap();
                let got_v = values.to_f32_vec().unwrap();
                assert_close(&got_k, &kv, tol, &format!("keys {context}"));
                assert_close(&got_v, &vv, tol, &format!("values {context}"));
                let want = reference::slotted_attention(&got_q, &got_k, &got_v, c.rows, c.dims());
                let got = out.to_f32_vec().unwrap();
                assert_close(&got, &want, tol, &format!("attention {context}"));
            }
        }
    }
}

/// One random value as `dtype` stores it.
fn rng_value(rng: &mut rand::rngs::StdRng, dtype: DType) -> f32 {
    let v = random_vec(rng, 1, -1.0, 1.0);
    match dtype {
        DType::F16 => reference::round_to_f16(&v)[0],
        _ => v[0],
    }
}

#[test]
fn slotted_ops_reject_bad_tables_and_pools() {
    let device = &test_devices()[0];
    let (heads, kv_heads, d, slots, capacity) = (4, 2, 8, 3, 5);
    let width = (heads + 2 * kv_heads) * d;
    let t = |shape: &[usize]| {
        let n: usize = shape.iter().product();
        Tensor::from_f32(device, &vec![0.25; n], shape, DType::F32).unwrap()
    };
    // Rope tables for 4 positions: fewer than the pool's 5.
    let (cos, sin) = rope_table_values(d, 10000.0, 4);
    let cos = Tensor::from_f32(device, &cos, &[4, d / 2], DType::F32).unwrap();
    let sin = Tensor::from_f32(device, &sin, &[4, d / 2], DType::F32).unwrap();
    let (keys, values) = (
        t(&[slots, kv_heads, capacity, d]),
        t(&[slots, kv_heads, capacity, d]),
    );
    let spec = QkvRope {
        heads,
        kv_heads,
        head_dim: d,
        bias: None,
        cos: &cos,
        sin: &sin,
        pos0: 0,
        q_scale: 1.0,
    };
    let (x, q) = (t(&[2, width]), t(&[2, heads, d]));
    let table = |rows: &[(usize, usize)]| SlotTable::new(device, rows).unwrap();
    let good = table(&[(2, 3), (0, 0)]);
    assert!(x.slotted_qkv_rope(&spec, &good, &keys, &values).is_ok());
    assert!(q.slotted_attention(&good, &keys, &values).is_ok());

    let out_of_range = |r: tessera_runtime::Result<Tensor>, want: (i64, usize, usize)| match r {
        Err(Error::IndexOutOfRange {
            index,
            position,
            bound,
            ..
        }) => assert_eq!((index, position, bound), want),
        other => panic!("expected IndexOutOfRange {want:?}, got {other:?}"),
    };
    // A slot past the pool (row 1 names slot 3 of 3).
    let bad_slot = table(&[(0, 1), (3, 1)]);
    out_of_range(
        x.slotted_qkv_rope(&spec, &bad_slot, &keys, &values),
        (3, 1, 3),
    );
    out_of_range(q.slotted_attention(&bad_slot, &keys, &values), (3, 1, 3));
    // A position past the pool (5 of 5), and past the rope tables (4 of 4).
    let past_pool = table(&[(0, 5), (1, 1)]);
    out_of_range(
        x.slotted_qkv_rope(&spec, &past_pool, &keys, &values),
        (5, 0, 4),
    );
    out_of_range(q.slotted_attention(&past_pool, &keys, &values), (5, 0, 5));
    let past_rope = table(&[(0, 1), (1, 4)]);
    out_of_range(
        x.slotted_qkv_rope(&spec, &past_rope, &keys, &values),
        (4, 1, 4),
    );
    assert!(q.slotted_attention(&past_rope, &keys, &values).is_ok());

    // Tables: no rows, or two rows for one slot.
    assert!(matches!(
        SlotTable::new(device, &[]),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        SlotTable::new(device, &[(1, 0), (1, 2)]),
        Err(Error::InvalidArgument { .. })
    ));
    // Rows that do not match the table, pools of the wrong shape or a view.
    let shape_err = |r: tessera_runtime::Result<Tensor>| matches!(r, Err(Error::Shape(_)));
    let one = table(&[(1, 1)]);
    assert!(shape_err(x.slotted_qkv_rope(&spec, &one, &keys, &values)));
    assert!(shape_err(q.slotted_attention(&one, &keys, &values)));
    let small = t(&[slots, kv_heads, capacity - 1, d]);
    assert!(shape_err(x.slotted_qkv_rope(&spec, &good, &keys, &small)));
    assert!(shape_err(q.slotted_attention(&good, &keys, &small)));
    assert!(shape_err(q.slotted_attention(
        &good,
        &t(&[slots, 3, capacity, d]),
        &t(&[slots, 3, capacity, d])
    )));
    let big = t(&[slots + 1, kv_heads, capacity, d]);
    let view = big.narrow(0, 1..slots + 1).unwrap();
    assert!(matches!(
        q.slotted_attention(&good, &view, &view),
        Err(Error::InvalidArgument { .. })
    ));
    // The positions come from the table, not pos0.
    assert!(matches!(
        x.slotted_qkv_rope(&QkvRope { pos0: 1, ..spec }, &good, &keys, &values),
        Err(Error::InvalidArgument { .. })
    ));
}
