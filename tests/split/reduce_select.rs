//! Reductions, argmax, where/select and casts past one binding, under the
//! small cap of [`capped_devices`]: fresh random inputs on odd shapes, every
//! output poisoned, against the f64 references.

use super::*;
use tessera_runtime::reference::ReduceOp;

#[test]
fn reductions_and_argmax_split_over_blocks_of_the_result() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_reduce");
    for device in capped_devices() {
        for dtype in float_dtypes(&device) {
            // [389, 421] (327 KB in f16) along both axes: blocks of rows, then
            // blocks of columns; [2, 23003, 3] along 2 (one dim-0 row is
            // 276 KB in f32) and along 1; [70001, 2] along 1 (a large result).
            let cases: [(&[usize], usize); 6] = [
                (&[389, 421], 0),
                (&[389, 421], 1),
                (&[2, 23003, 3], 2),
                (&[2, 23003, 3], 1),
                (&[3, 307, 197], 0),
                (&[70001, 2], 1),
            ];
            for (shape, axis) in cases {
                let numel: usize = shape.iter().product();
                let values = random_vec(&mut rng, numel, -2.0, 2.0);
                let (x, stored) = upload(&device, &values, shape, dtype);
                let ctx = |what: &str| {
                    format!(
                        "{} {dtype} {what} {shape:?} axis {axis} seed {seed}",
                        label(&device)
                    )
                };
                let len = shape[axis];
                for (op, tol) in [
                    (ReduceOp::Sum, Tolerance::sum_f32(len)),
                    (ReduceOp::Mean, Tolerance::sum_f32(len)),
                    (ReduceOp::Max, Tolerance::EXACT),
                ] {
                    let y = x.reduce(op, axis).expect("split reduce");
                    let expected = reference::reduce(op, &stored, shape, axis);
                    assert_eq!(y.numel(), expected.len(), "{}", ctx(op.name()));
                    let expected = match dtype {
                        DType::F16 => reference::round_to_f16(&expected),
                        _ => expected,
                    };
                    assert_close(
                        &y.to_f32_vec().unwrap(),
                        &expected,
                        tol_for(dtype, tol),
                        &ctx(op.name()),
                    );
                }
                let arg = x.argmax(axis).expect("split argmax");
                assert_eq!(
                    arg.to_vec::<u32>().unwrap(),
                    reference::argmax(&stored, shape, axis),
                    "{}",
                    ctx("argmax")
                );
            }
        }
        // One line reduced to one value past a binding: a typed error.
        let wide = Tensor::from_slice(&device, &random_vec(&mut rng, 70_000, -1.0, 1.0), &[70_000])
            .unwrap();
        let ctx = format!("{} sum [70000] seed {seed}", label(&device));
        assert!(matches!(wide.sum(0), Err(Error::TooLarge { .. })), "{ctx}");
    }
}

#[test]
fn where_select_and_cast_split_over_blocks() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("split_where_cast");
    for device in capped_devices() {
        let (r, c) = (389usize, 211usize);
        let ctx = |what: &str| format!("{} {what} [{r}, {c}] seed {seed}", label(&device));
        let cond: Vec<u32> = (0..r * c).map(|_| rng.random_range(0..2u32)).collect();
        let row_cond: Vec<u32> = (0..c).map(|_| rng.random_range(0..2u32)).collect();
        let a = random_vec(&mut rng, r * c, -3.0, 3.0);
        let b = random_vec(&mut rng, r * c, -3.0, 3.0);
        let ta = Tensor::from_slice(&device, &a, &[r, c]).unwrap();
        let tb = Tensor::from_slice(&device, &b, &[r, c]).unwrap();
        let b_row = Tensor::from_slice(&device, &b[..c], &[c]).unwrap();
        // Full condition with a broadcast row for b; a broadcast condition.
        let tc = Tensor::from_slice(&device, &cond, &[r, c]).unwrap();
        let y = where_select(&tc, &ta, &b_row).expect("split where");
        let (expected, _) = reference::where_select(&cond, &[r, c], &a, &[r, c], &b[..c], &[c]);
        assert_close(
            &y.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::EXACT,
            &ctx("where"),
        );
        let tc = Tensor::from_slice(&device, &row_cond, &[1, c]).unwrap();
        let y = where_select(&tc, &ta, &tb).expect("split where, broadcast condition");
        let (expected, _) = reference::where_select(&row_cond, &[1, c], &a, &[r, c], &b, &[r, c]);
        assert_close(
            &y.to_vec::<f32>().unwrap(),
            &expected,
            Tolerance::EXACT,
            &ctx("where b"),
        );

        // f32 to i32 truncates; to f16 rounds; f16 back to f32 is exact.
        let wide = random_vec(&mut rng, r * c, -100.0, 100.0);
        let tw = Tensor::from_slice(&device, &wide, &[r, c]).unwrap();
        let ints = tw.cast(DType::I32).expect("split cast to i32");
        let truncated: Vec<i32> = wide.iter().map(|&v| v.trunc() as i32).collect();
        assert_eq!(
            ints.to_vec::<i32>().unwrap(),
            truncated,
            "{}",
            ctx("cast i32")
        );
        if has_f16(&device) {
            // [3, 401, 227] f32 is 1.1 MB, 546 KB as f16: both sides split.
            let shape = [3usize, 401, 227];
            let values = random_vec(&mut rng, shape.iter().product(), -3.0, 3.0);
            let t = Tensor::from_slice(&device, &values, &shape).unwrap();
            let half = t.cast(DType::F16).expect("split cast to f16");
            let back = half.cast(DType::F32).expect("split cast from f16");
            assert_close(
                &back.to_vec::<f32>().unwrap(),
                &reference::round_to_f16(&values),
                Tolerance::EXACT,
                &ctx("cast f16"),
            );
        }
    }
}
