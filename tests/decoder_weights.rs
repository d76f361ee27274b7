//! Weight matrices split into row ranges (for tables beyond one storage
//! binding) give the same products and embedding rows as one matrix, dense and
//! quantized, on every test adapter.

mod common;

use common::*;
use tessera_runtime::models::llama::WeightMatrix;
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat};
use tessera_runtime::{Error, Tensor};

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
            .map(|r| {
                WeightMatrix::dense(device, &values[r.start * cols..r.end * cols], r.len(), cols)
            })
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let quant_parts = splits
            .iter()
            .map(|r| {
                WeightMatrix::quantized(
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
            (WeightMatrix::Rows(dense_parts), &values),
            (WeightMatrix::Rows(quant_parts), &dequantized),
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
            let y = split.matmul_t(&x).unwrap();
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
