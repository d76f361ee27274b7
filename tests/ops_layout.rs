//! Strided copies (contiguous, permute, slice, concat), gather and cast against
//! the CPU reference on every test adapter.

mod common;

use common::*;
use tessera_kernels::DType;
use tessera_runtime::{ops::concat, reference, Error, Tensor};

#[test]
fn permute_and_slice_views_materialise_exactly() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("permute_and_slice_views_materialise_exactly");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let shape = [3, 5, 7, 2];
            let (x, xs) = upload(dev, &random_vec(&mut rng, 210, -9.0, 9.0), &shape, dtype);
            let perm = [2, 0, 3, 1];
            let got = x.permute(&perm).unwrap().contiguous().unwrap();
            let ctx = format!("permute {dtype} on {} seed {seed}", label(dev));
            assert_close(
                &got.to_f32_vec().unwrap(),
                &reference::permute(&xs, &shape, &perm),
                Tolerance::EXACT,
                &ctx,
            );

            let ranges = [1..3, 0..5, 2..7, 1..2];
            let got = x.slice(&ranges).unwrap();
            assert_eq!(got.shape(), &[2, 5, 5, 1]);
            let ctx = format!("slice {dtype} on {} seed {seed}", label(dev));
            assert_close(
                &got.to_f32_vec().unwrap(),
                &reference::slice(&xs, &shape, &ranges),
                Tolerance::EXACT,
                &ctx,
            );

            // A slice of a permuted view, then reshaped (forces a copy).
            let view = x.permute(&perm).unwrap().narrow(0, 2..6).unwrap();
            let flat = view.reshape(&[4 * 3 * 2 * 5]).unwrap();
            let want = reference::slice(
                &reference::permute(&xs, &shape, &perm),
                &[7, 3, 2, 5],
                &[2..6, 0..3, 0..2, 0..5],
            );
            let ctx = format!("slice of permute {dtype} on {} seed {seed}", label(dev));
            assert_close(&flat.to_f32_vec().unwrap(), &want, Tolerance::EXACT, &ctx);
        }
    }
}

#[test]
fn concat_along_each_axis() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("concat_along_each_axis");
    for dev in test_devices() {
        for axis in 0..3 {
            let shapes: [Vec<usize>; 3] = std::array::from_fn(|i| {
                let mut s = vec![2, 3, 4];
                s[axis] = i + 1;
                s
            });
            let values: Vec<Vec<f32>> = shapes
                .iter()
                .map(|s| random_vec(&mut rng, s.iter().product(), -1.0, 1.0))
                .collect();
            let tensors: Vec<Tensor> = values
                .iter()
                .zip(&shapes)
                .map(|(v, s)| Tensor::from_slice(dev, v, s).unwrap())
                .collect();
            let refs: Vec<&Tensor> = tensors.iter().collect();
            let got = concat(&refs, axis).unwrap();
            let parts: Vec<(&[f32], &[usize])> = values
                .iter()
                .zip(&shapes)
                .map(|(v, s)| (v.as_slice(), s.as_slice()))
                .collect();
            let (want, want_shape) = reference::concat(&parts, axis);
            assert_eq!(got.shape(), want_shape.as_slice());
            let ctx = format!("concat axis {axis} on {} seed {seed}", label(dev));
            assert_close(&got.to_vec::<f32>().unwrap(), &want, Tolerance::EXACT, &ctx);
        }
        let a = Tensor::from_slice(dev, &[0.0f32; 6], &[2, 3]).unwrap();
        let b = Tensor::from_slice(dev, &[0.0f32; 8], &[2, 4]).unwrap();
        assert!(matches!(concat(&[&a, &b], 0), Err(Error::Shape(_))));
    }
}

#[test]
fn gather_rows_checks_ids_and_matches_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("gather_rows_checks_ids_and_matches_reference");
    for dev in test_devices() {
        for dtype in float_dtypes(dev) {
            let (rows, cols) = (101, 37);
            let (table, tv) = upload(
                dev,
                &random_vec(&mut rng, rows * cols, -1.0, 1.0),
                &[rows, cols],
                dtype,
            );
            let ids_v = random_ids(&mut rng, 3 * 11, rows as u32);
            let ids = Tensor::from_slice(dev, &ids_v, &[3, 11]).unwrap();
            let got = table.gather_rows(&ids).unwrap();
            assert_eq!(got.shape(), &[3, 11, cols]);
            let want = reference::gather(&tv, rows, cols, &ids_v).unwrap();
            let ctx = format!("gather {dtype} on {} seed {seed}", label(dev));
            assert_close(&got.to_f32_vec().unwrap(), &want, Tolerance::EXACT, &ctx);

            let signed: Vec<i32> = ids_v.iter().map(|&i| i as i32).collect();
            let ids = Tensor::from_slice(dev, &signed, &[33]).unwrap();
            assert_close(
                &table.gather_rows(&ids).unwrap().to_f32_vec().unwrap(),
                &want,
                Tolerance::EXACT,
                &ctx,
            );
        }
        let table = Tensor::from_slice(dev, &[0.5f32; 20], &[5, 4]).unwrap();
        let bad = Tensor::from_slice(dev, &[1u32, 5], &[2]).unwrap();
        match table.gather_rows(&bad) {
            Err(Error::IndexOutOfRange {
                index: 5,
                position: 1,
                bound: 5,
                ..
            }) => {}
            other => panic!("expected IndexOutOfRange, got {other:?}"),
        }
        let negative = Tensor::from_slice(dev, &[-1i32], &[1]).unwrap();
        assert!(matches!(
            table.gather_rows(&negative),
            Err(Error::IndexOutOfRange { index: -1, .. })
        ));
    }
}

#[test]
fn cast_between_f32_f16_and_ints() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("cast_between_f32_f16_and_ints");
    for dev in test_devices() {
        let xs = random_vec(&mut rng, 1001, -100.0, 100.0);
        let x = Tensor::from_slice(dev, &xs, &[1001]).unwrap();
        if has_f16(dev) {
            let h = x.cast(DType::F16).unwrap();
            assert_eq!(h.dtype(), DType::F16);
            let ctx = format!("f32->f16 on {} seed {seed}", label(dev));
            assert_close(
                &h.to_f32_vec().unwrap(),
                &reference::round_to_f16(&xs),
                Tolerance::EXACT,
                &ctx,
            );
            let back = h.cast(DType::F32).unwrap().to_vec::<f32>().unwrap();
            assert_close(&back, &reference::round_to_f16(&xs), Tolerance::EXACT, &ctx);
        } else {
            eprintln!(
                "{}: no shader-f16, checking cast to f16 is a typed error",
                label(dev)
            );
            assert!(matches!(x.cast(DType::F16), Err(Error::Device(_))));
        }
        let ints: Vec<i32> = (0..77).map(|i| i * 7 - 200).collect();
        let t = Tensor::from_slice(dev, &ints, &[77])
            .unwrap()
            .cast(DType::F32)
            .unwrap();
        let want: Vec<f32> = ints.iter().map(|&i| i as f32).collect();
        assert_close(
            &t.to_vec::<f32>().unwrap(),
            &want,
            Tolerance::EXACT,
            &format!("i32->f32 on {}", label(dev)),
        );
    }
}

#[test]
fn bad_views_are_shape_errors() {
    let dev = &test_devices()[0];
    let x = Tensor::from_slice(dev, &[0.0f32; 24], &[2, 3, 4]).unwrap();
    assert!(matches!(x.reshape(&[5, 5]), Err(Error::Shape(_))));
    assert!(matches!(x.permute(&[0, 0, 1]), Err(Error::Shape(_))));
    assert!(matches!(x.narrow(1, 2..4), Err(Error::Shape(_))));
    assert!(matches!(
        Tensor::from_slice(dev, &[0.0f32; 5], &[2, 3]),
        Err(Error::Shape(_))
    ));
    assert!(matches!(x.to_vec::<u32>(), Err(Error::DType { .. })));
}

/// `copy` moves bits: -0.0, NaN payloads and infinities survive, on the vec4 path
/// (contiguous, aligned) and on the strided path (odd counts, offsets off 4).
#[test]
fn copy_is_bit_exact_on_both_paths() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("copy_is_bit_exact");
    for dev in test_devices() {
        for len in [4usize, 12, 1000, 1001, 4099] {
            let mut values = random_vec(&mut rng, len + 8, -3.0, 3.0);
            values[1] = -0.0;
            values[2] = f32::from_bits(0x7fc0_1234);
            values[3] = f32::NEG_INFINITY;
            let t = Tensor::from_slice(dev, &values, &[len + 8]).unwrap();
            for start in [0usize, 1, 4] {
                let view = t.narrow(0, start..start + len).unwrap();
                let copied = view.copy().unwrap();
                assert_eq!(copied.shape(), &[len]);
                let got: Vec<u32> = copied
                    .to_vec::<f32>()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect();
                let want: Vec<u32> = values[start..start + len]
                    .iter()
                    .map(|v| v.to_bits())
                    .collect();
                assert_eq!(
                    got,
                    want,
                    "copy of {len} at {start} on {} seed {seed}",
                    label(dev)
                );
            }
        }
        let ints = Tensor::from_slice(dev, &[7i32, -1, i32::MIN, 3, 9, 10, 11, 12], &[8]).unwrap();
        assert_eq!(
            ints.copy().unwrap().to_vec::<i32>().unwrap(),
            ints.to_vec::<i32>().unwrap()
        );
        if has_f16(dev) {
            let h: Vec<half::f16> = (0..16)
                .map(|i| half::f16::from_f32(i as f32 - 7.5))
                .collect();
            let th = Tensor::from_slice(dev, &h, &[16]).unwrap();
            assert_eq!(th.copy().unwrap().to_vec::<half::f16>().unwrap(), h);
        }
    }
}
