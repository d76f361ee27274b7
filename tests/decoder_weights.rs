//! Weight matrices split into row ranges (for tables beyond one storage
//! binding) give the same products and embedding rows as one matrix, dense and
//! quantized, on every test adapter; matrices stacked by rows (q/k/v, gate/up)
//! merge when they share a storage and multiply like the stack either way.

mod common;

use common::*;
use tessera_runtime::models::llama::{upload_stacked, HostMatrix};
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat};
use tessera_runtime::{reference, Error, Tensor};

#[test]
fn row_split_matrices_match_whole_ones() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("row_split_matrices_match_whole_ones");
    let (rows, cols) = (37, 64);
    let values = random_vec(&mut rng, rows * cols, -1.0, 1.0);
    let bytes = quantize_rows(QuantFormat::Q8_0, &values, cols).unwrap();
    let row_bytes = bytes.len() / rows;
    let dequantized = dequantize_rows(QuantFormat::Q8_0, &bytes, cols).unwrap();
    for device in test_devices() {
        let splits = [0..10, 10..11, 11..30, 30..37];
        let dense_parts = splits
            .iter()
            .map(|r| Weight::dense(device, &values[r.start * cols..r.end * cols], r.len(), cols))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let quant_parts = splits
            .iter()
            .map(|r| {
                Weight::quantized(
                    device,
                    QuantFormat::Q8_0,
                    r.len(),
                    cols,
                    &bytes[r.start * row_bytes..r.end * row_bytes],
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        for (split, whole_values) in [
            (Weight::Rows(dense_parts), &values),
            (Weight::Rows(quant_parts), &dequantized),
        ] {
            let context = format!("{} seed {seed}", label(device));
            assert_eq!((split.rows(), split.cols()), (rows, cols));
            let ids = [36u32, 0, 10, 10, 29, 11, 5];
            let got = split.embed(device, &ids).unwrap().to_f32_vec().unwrap();
            let expected: Vec<f32> = ids
                .iter()
                .flat_map(|&i| whole_values[i as usize * cols..(i as usize + 1) * cols].to_vec())
                .collect();
            assert_eq!(got, expected, "{context}");
            assert!(matches!(
                split.embed(device, &[1, 37]),
                Err(Error::IndexOutOfRange {
                    index: 37,
                    position: 1,
                    ..
                })
            ));
            let m = 3;
            let x_values = random_vec(&mut rng, m * cols, -1.0, 1.0);
            let x = Tensor::from_f32(device, &x_values, &[m, cols], tessera_kernels::DType::F32)
                .unwrap();
            let y = x.matmul_t(&split).unwrap();
            assert_eq!(y.shape(), [m, rows]);
            let mut expected = vec![0f32; m * rows];
            for i in 0..m {
                for r in 0..rows {
                    expected[i * rows + r] = (0..cols)
                        .map(|c| x_values[i * cols + c] as f64 * whole_values[r * cols + c] as f64)
                        .sum::<f64>() as f32;
                }
            }
            assert_close(
                &y.to_f32_vec().unwrap(),
                &expected,
                Tolerance::matmul_f32(cols),
                &context,
            );
        }
    }
}

/// Stacking matrices by rows (q/k/v, gate/up): parts of one storage merge into
/// one matrix, a mix becomes row ranges, and either multiplies like the
/// stacked values; widths that differ are an error.
#[test]
fn stacked_matrices_merge_by_storage_and_multiply_like_the_stack() {
    poison_outputs();
    let (mut rng, seed) =
        seeded_rng("stacked_matrices_merge_by_storage_and_multiply_like_the_stack");
    let cols = 64;
    let rows = [5usize, 3, 3];
    let values: Vec<Vec<f32>> = rows
        .iter()
        .map(|&r| random_vec(&mut rng, r * cols, -1.0, 1.0))
        .collect();
    let q8 = |i: usize| {
        let bytes = quantize_rows(QuantFormat::Q8_0, &values[i], cols).unwrap();
        HostMatrix::blocks(QuantFormat::Q8_0, rows[i], cols, bytes).unwrap()
    };
    let f32 = |i: usize| HostMatrix::f32(rows[i], cols, values[i].clone()).unwrap();
    let dequantized = |i: usize| {
        let bytes = quantize_rows(QuantFormat::Q8_0, &values[i], cols).unwrap();
        dequantize_rows(QuantFormat::Q8_0, &bytes, cols).unwrap()
    };
    for device in test_devices() {
        let context = format!("{} seed {seed}", label(device));
        let cases: Vec<(Vec<HostMatrix>, Vec<f32>, &str)> = vec![
            (vec![f32(0), f32(1), f32(2)], values.concat(), "dense"),
            (
                vec![q8(0), q8(1), q8(2)],
                [dequantized(0), dequantized(1), dequantized(2)].concat(),
                "quant",
            ),
            (
                vec![q8(0), q8(1), f32(2)],
                [dequantized(0), dequantized(1), values[2].clone()].concat(),
                "rows",
            ),
        ];
        for (parts, stacked_values, kind) in cases {
            let stacked = upload_stacked(device, parts).unwrap();
            let merged_as_expected = match (&stacked, kind) {
                (Weight::Dense(_), "dense") | (Weight::Quant(_), "quant") => true,
                (Weight::Rows(parts), "rows") => parts.len() == 2,
                _ => false,
            };
            assert!(merged_as_expected, "{kind}: {stacked:?}");
            let total: usize = rows.iter().sum();
            assert_eq!((stacked.rows(), stacked.cols()), (total, cols));
            let m = 2;
            let x_values = random_vec(&mut rng, m * cols, -1.0, 1.0);
            let x = Tensor::from_f32(device, &x_values, &[m, cols], tessera_kernels::DType::F32)
                .unwrap();
            let (want, _) = reference::matmul(
                &x_values,
                &[m, cols],
                &stacked_values,
                &[total, cols],
                false,
                true,
            );
            let got = x.matmul_t(&stacked).unwrap().to_f32_vec().unwrap();
            assert_close(
                &got,
                &want,
                Tolerance::matmul_f32(cols),
                &format!("{kind} {context}"),
            );
        }
        let narrow = HostMatrix::f32(2, 32, vec![0.5; 64]).unwrap();
        assert!(matches!(
            upload_stacked(device, vec![f32(0), narrow]),
            Err(Error::Shape(_))
        ));
        assert!(matches!(
            upload_stacked(device, vec![]),
            Err(Error::Shape(_))
        ));
    }
    assert!(HostMatrix::f32(2, 3, vec![0.0; 5]).is_err());
    assert!(HostMatrix::blocks(QuantFormat::Q8_0, 2, 32, vec![0; 34]).is_err());
}
