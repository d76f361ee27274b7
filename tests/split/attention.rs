//! Rotary embedding, the fused q/k/v split and cached attention past one
//! binding, under the small cap of [`capped_devices`]: blocks of tokens, and
//! key/value caches split by head. Fresh random inputs, poisoned outputs,
//! the f64 references.

use super::*;
use tessera_runtime::ops::QkvRope;
use tessera_runtime::reference::{AttentionDims, QkvRopeDims};

/// Random f32 cos/sin tables `[positions, half]`.
fn tables(rng: &mut impl Rng, positions: usize, half: usize) -> (Vec<f32>, Vec<f32>) {
    let angles = random_vec(rng, positions * half, -3.0, 3.0);
    (
        angles.iter().map(|a| a.cos()).collect(),
        angles.iter().map(|a| a.sin()).collect(),
    )
}

#[test]
fn rope_splits_over_blocks_of_tokens_and_their_table_rows() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_rope");
    for device in capped_devices() {
        // [41, 5, 326] (267 KB) at 13 of 100 positions; [600, 1, 160]
        // (384 KB) at 250 of 900, whose tables (288 KB each) split too.
        for (rows, heads, d, positions, pos0) in [(41, 5, 326, 100, 13), (600, 1, 160, 900, 250)] {
            let x = random_vec(&mut rng, rows * heads * d, -2.0, 2.0);
            let (cos, sin) = tables(&mut rng, positions, d / 2);
            let tx = Tensor::from_slice(&device, &x, &[rows, heads, d]).unwrap();
            let tc = Tensor::from_slice(&device, &cos, &[positions, d / 2]).unwrap();
            let ts = Tensor::from_slice(&device, &sin, &[positions, d / 2]).unwrap();
            let y = tx.rope(&tc, &ts, pos0, 0.75).expect("split rope");
            let expected = reference::rope(&x, heads, d, &cos, &sin, pos0, 0.75);
            let context = format!("{} [{rows}, {heads}, {d}] seed {seed}", label(&device));
            assert_close(
                &y.to_vec::<f32>().unwrap(),
                &expected,
                Tolerance::F32_TRANSCENDENTAL,
                &context,
            );
        }
    }
}

/// One fused projection through `qkv_rope` and then `cached_attention`, both
/// checked against the references, the caches whole afterwards.
fn qkv_then_attention(device: &Arc<dyn Device>, rng: &mut impl Rng, dims: QkvRopeDims, seed: u64) {
    let QkvRopeDims {
        rows,
        heads,
        kv_heads,
        head_dim: d,
        pos0,
        capacity,
        q_scale,
    } = dims;
    let width = (heads + 2 * kv_heads) * d;
    let x = random_vec(rng, rows * width, -2.0, 2.0);
    let bias = random_vec(rng, width, -0.5, 0.5);
    let (cos, sin) = tables(rng, pos0 + rows, d / 2);
    let mut keys = random_vec(rng, kv_heads * capacity * d, -1.0, 1.0);
    let mut values = random_vec(rng, kv_heads * capacity * d, -1.0, 1.0);
    let upload = |v: &[f32], shape: &[usize]| Tensor::from_slice(device, v, shape).unwrap();
    let (tk, tv) = (
        upload(&keys, &[kv_heads, capacity, d]),
        upload(&values, &[kv_heads, capacity, d]),
    );
    let tb = upload(&bias, &[width]);
    let (tc, ts) = (
        upload(&cos, &[pos0 + rows, d / 2]),
        upload(&sin, &[pos0 + rows, d / 2]),
    );
    let spec = QkvRope {
        heads,
        kv_heads,
        head_dim: d,
        bias: Some(&tb),
        cos: &tc,
        sin: &ts,
        pos0,
        q_scale,
    };
    let context = format!("{} {dims:?} seed {seed}", label(device));
    let q = upload(&x, &[rows, width])
        .qkv_rope(&spec, &tk, &tv)
        .expect("split qkv_rope");
    let expected_q =
        reference::qkv_rope(dims, &x, Some(&bias), (&cos, &sin), &mut keys, &mut values);
    let tol = Tolerance::F32_TRANSCENDENTAL;
    let q_values = q.to_vec::<f32>().unwrap();
    assert_close(&q_values, &expected_q, tol, &format!("{context} q"));
    assert_close(
        &tk.to_vec::<f32>().unwrap(),
        &keys,
        tol,
        &format!("{context} keys"),
    );
    assert_close(
        &tv.to_vec::<f32>().unwrap(),
        &values,
        Tolerance::EXACT,
        &format!("{context} values"),
    );
    let out = q
        .cached_attention(&tk, &tv, pos0, rows)
        .expect("split cached_attention");
    let attention = AttentionDims {
        kv_heads,
        rows: heads / kv_heads * rows,
        head_dim: d,
        capacity,
        past: pos0,
        s: rows,
    };
    let expected = reference::cached_attention(&q_values, &keys, &values, attention);
    assert_close(
        &out.to_vec::<f32>().unwrap(),
        &expected,
        tol,
        &format!("{context} attention"),
    );
}

#[test]
fn qkv_rope_and_cached_attention_split_by_tokens_and_by_cache_heads() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_qkv_attention");
    for device in capped_devices() {
        let dims = |rows, heads, kv_heads, pos0, capacity| QkvRopeDims {
            rows,
            heads,
            kv_heads,
            head_dim: 32,
            pos0,
            capacity,
            q_scale: 0.3,
        };
        // A 270 KB projection of 211 tokens, small caches: blocks of tokens.
        qkv_then_attention(&device, &mut rng, dims(211, 6, 2, 17, 240), seed);
        // 268 KB caches of 3 heads: blocks of heads (each head 89600 bytes).
        qkv_then_attention(&device, &mut rng, dims(5, 6, 3, 600, 700), seed);
        // Caches whose heads do not start at a binding offset cannot split.
        let align = u64::from(device.adapter().limits.min_storage_buffer_offset_alignment).max(4);
        let (kv, capacity, d) = (3usize, 701usize, 32usize);
        if !(capacity as u64 * d as u64 * 4).is_multiple_of(align) {
            let cache = Tensor::from_slice(
                &device,
                &vec![0.0f32; kv * capacity * d],
                &[kv, capacity, d],
            )
            .unwrap();
            let q = Tensor::from_slice(&device, &vec![0.5f32; kv * 2 * d], &[kv, 2, d]).unwrap();
            let context = format!("{} misaligned heads seed {seed}", label(&device));
            assert!(
                matches!(
                    q.cached_attention(&cache, &cache, 3, 1),
                    Err(Error::TooLarge { .. })
                ),
                "{context}"
            );
        }
    }
}
