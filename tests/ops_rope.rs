//! Rotary position embedding and `copy_into` (the KV cache's write) on every
//! test adapter, against the CPU reference on random inputs and odd shapes.

mod common;

use common::*;
use tessera_kernels::DType;
use tessera_runtime::models::llama::rope_table_values;
use tessera_runtime::{reference, Error, Tensor};

#[test]
fn rope_matches_the_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("rope_matches_the_reference");
    for device in test_devices() {
        for dtype in float_dtypes(device) {
            for &(rows, heads, head_dim, pos0, scale) in &[
                (1, 1, 2, 0, 1.0f32),
                (3, 5, 6, 7, 0.25),
                (17, 4, 64, 0, 1.0),
                (1, 14, 64, 99, 0.125),
                (33, 2, 128, 3, 1.0),
            ] {
                let positions = pos0 + rows + 2;
                let (cos, sin) = rope_table_values(head_dim, 500000.0, positions);
                let half = head_dim / 2;
                let cos_t = Tensor::from_f32(device, &cos, &[positions, half], DType::F32).unwrap();
                let sin_t = Tensor::from_f32(device, &sin, &[positions, half], DType::F32).unwrap();
                let values = random_vec(&mut rng, rows * heads * head_dim, -2.0, 2.0);
                let (x, stored) = upload(device, &values, &[rows, heads, head_dim], dtype);
                let out = x.rope(&cos_t, &sin_t, pos0, scale).unwrap();
                assert_eq!(out.shape(), [rows, heads, head_dim]);
                let expected = reference::rope(&stored, heads, head_dim, &cos, &sin, pos0, scale);
                let context = format!(
                    "{} {dtype} rows {rows} heads {heads} d {head_dim} pos0 {pos0} seed {seed}",
                    label(device)
                );
                assert_close(
                    &out.to_f32_vec().unwrap(),
                    &expected,
                    tol_for(dtype, Tolerance::F32_TRANSCENDENTAL),
                    &context,
                );
            }
        }
    }
}

#[test]
fn rope_tables_rotate_position_zero_by_nothing_and_match_the_formula() {
    let (cos, sin) = rope_table_values(8, 10000.0, 5);
    assert!(cos[..4].iter().all(|&c| c == 1.0) && sin[..4].iter().all(|&s| s == 0.0));
    // Position 3, pair 1: angle 3 / 10000^(2/8).
    let angle = 3.0f64 / 10000f64.powf(0.25);
    assert!((cos[3 * 4 + 1] as f64 - angle.cos()).abs() < 1e-6);
    assert!((sin[3 * 4 + 1] as f64 - angle.sin()).abs() < 1e-6);
}

#[test]
fn rope_rejects_bad_shapes_and_positions_past_the_table() {
    for device in test_devices() {
        let (cos, sin) = rope_table_values(4, 10000.0, 4);
        let cos = Tensor::from_f32(device, &cos, &[4, 2], DType::F32).unwrap();
        let sin = Tensor::from_f32(device, &sin, &[4, 2], DType::F32).unwrap();
        let x = Tensor::from_f32(device, &[0.5; 24], &[3, 2, 4], DType::F32).unwrap();
        assert!(matches!(x.rope(&cos, &sin, 2, 1.0), Err(Error::Shape(_))));
        assert!(matches!(
            x.rope(&cos, &sin, usize::MAX, 1.0),
            Err(Error::Shape(_))
        ));
        let odd = Tensor::from_f32(device, &[0.5; 6], &[2, 1, 3], DType::F32).unwrap();
        assert!(matches!(odd.rope(&cos, &sin, 0, 1.0), Err(Error::Shape(_))));
        let flat = Tensor::from_f32(device, &[0.5; 8], &[2, 4], DType::F32).unwrap();
        assert!(matches!(
            flat.rope(&cos, &sin, 0, 1.0),
            Err(Error::Shape(_))
        ));
        assert!(x.rope(&cos, &sin, 1, 1.0).is_ok());
    }
}

#[test]
fn copy_into_writes_a_view_and_leaves_the_rest() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("copy_into_writes_a_view_and_leaves_the_rest");
    for device in test_devices() {
        // A cache [heads 3, capacity 10, d 5]; write positions 4..7 from a
        // permuted [s 3, heads 3, d 5] source, as the decoder does.
        let base = random_vec(&mut rng, 3 * 10 * 5, -1.0, 1.0);
        let cache = Tensor::from_f32(device, &base, &[3, 10, 5], DType::F32).unwrap();
        let src_values = random_vec(&mut rng, 3 * 3 * 5, -1.0, 1.0);
        let src = Tensor::from_f32(device, &src_values, &[3, 3, 5], DType::F32).unwrap();
        src.permute(&[1, 0, 2])
            .unwrap()
            .copy_into(&cache.narrow(1, 4..7).unwrap())
            .unwrap();
        let mut expected = base.clone();
        for s in 0..3 {
            for h in 0..3 {
                for d in 0..5 {
                    expected[h * 50 + (4 + s) * 5 + d] = src_values[s * 15 + h * 5 + d];
                }
            }
        }
        let got = cache.to_f32_vec().unwrap();
        assert_eq!(got, expected, "{} seed {seed}", label(device));
        let wrong = cache.narrow(1, 0..2).unwrap();
        assert!(matches!(src.copy_into(&wrong), Err(Error::Shape(_))));
    }
}
