//! `Tensor::matmul_t_add` with a quantized `Weight` (a quantized Linear plus a residual
//! connection) on every test adapter and format: up to 8 rows the matvec
//! kernel adds the residual in its store, past that (or for a strided
//! residual) a separate add runs; both match the f64 reference of `x · Wᵀ +
//! residual` on the dequantized weight. Mismatched residuals are shape errors.

mod common;

use common::*;
use tessera_kernels::DType;
use tessera_runtime::nn::Weight;
use tessera_runtime::quant::{dequantize_rows, quantize_rows, QuantFormat, QuantMatrix};
use tessera_runtime::{reference, Error, Tensor};

#[test]
fn quant_matmul_plus_residual_matches_the_reference() {
    poison_outputs();
    let (mut rng, seed) = seeded_rng("quant_matmul_plus_residual_matches_the_reference");
    for device in test_devices() {
        for format in QuantFormat::ALL {
            let k = 2 * format.group_values();
            let n = 37;
            let values = random_vec(&mut rng, n * k, -1.0, 1.0);
            let bytes = quantize_rows(format, &values, k).unwrap();
            let w =
                Weight::from(QuantMatrix::from_ggml_bytes(device, format, n, k, &bytes).unwrap());
            let deq = dequantize_rows(format, &bytes, k).unwrap();
            for dtype in float_dtypes(device) {
                // Fused (m <= 8, contiguous residual), strided, and past the matvec.
                for (m, strided) in [(1, false), (8, false), (3, true), (9, false)] {
                    let (x, xv) = upload(
                        device,
                        &random_vec(&mut rng, m * k, -1.0, 1.0),
                        &[m, k],
                        dtype,
                    );
                    let rv = random_vec(&mut rng, m * n * 2, -4.0, 4.0);
                    // A strided residual: the first n columns of an [m, 2n] tensor.
                    let (residual, stored) = match strided {
                        false => upload(device, &rv[..m * n], &[m, n], dtype),
                        true => upload(device, &rv, &[m, 2 * n], dtype),
                    };
                    let (residual, rv): (Tensor, Vec<f32>) = match strided {
                        false => (residual, stored),
                        true => (
                            residual.narrow(1, 0..n).unwrap(),
                            stored.chunks(2 * n).flat_map(|r| r[..n].to_vec()).collect(),
                        ),
                    };
                    let (product, _) = reference::matmul(&xv, &[m, k], &deq, &[n, k], false, true);
                    let want: Vec<f32> = product.iter().zip(&rv).map(|(a, b)| a + b).collect();
                    let got = x.matmul_t_add(&w, &residual).unwrap();
                    assert_eq!(got.shape(), [m, n]);
                    let context = format!(
                        "{format} {dtype} m {m} strided {strided} on {} seed {seed}",
                        label(device)
                    );
                    let tol = match dtype {
                        DType::F16 => Tolerance::matmul_f16(k),
                        _ => Tolerance::matmul_f32(k),
                    };
                    assert_close(&got.to_f32_vec().unwrap(), &want, tol, &context);
                }
            }
        }
    }
}

#[test]
fn a_mismatched_residual_is_a_shape_error() {
    let device = &test_devices()[0];
    let k = 64;
    let bytes = quantize_rows(QuantFormat::Q8_0, &vec![0.5; 3 * k], k).unwrap();
    let w = Weight::from(
        QuantMatrix::from_ggml_bytes(device, QuantFormat::Q8_0, 3, k, &bytes).unwrap(),
    );
    let x = Tensor::from_f32(device, &vec![0.25; 2 * k], &[2, k], DType::F32).unwrap();
    for (shape, dtype) in [
        (vec![2, 4], DType::F32),
        (vec![3], DType::F32),
        (vec![2, 3], DType::F16),
    ] {
        let n: usize = shape.iter().product();
        let r = Tensor::from_f32(device, &vec![1.0; n], &shape, dtype);
        let Ok(r) = r else { continue }; // f16 needs the adapter's support
        assert!(
            matches!(x.matmul_t_add(&w, &r), Err(Error::Shape(_))),
            "{shape:?} {dtype}"
        );
    }
    let ok = Tensor::from_f32(device, &[1.0; 6], &[2, 3], DType::F32).unwrap();
    assert!(x.matmul_t_add(&w, &ok).is_ok());
}
