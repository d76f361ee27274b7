//! GGML block-quantized weights (Q8_0, Q4_0, and F16 cut into blocks) that stay
//! in their format on the GPU and are dequantized inside the matmul kernels.
//!
//! Rules of this module:
//! - The block formats are ggml's ([`QuantFormat`] documents them); the CPU
//!   quantizer and dequantizer in [`quantize_rows`] / [`dequantize_rows`]
//!   follow ggml's reference code and are the oracle of the tests.
//! - A [`QuantMatrix`] is an `n x k` weight (n rows of k values, the GGML
//!   tensor of dims `[k, n]`) held on the device as two `u32` buffers: the
//!   blocks' quant bytes unchanged and the f16 scales packed two per word (the
//!   layout is documented on [`QuantFormat`]). Nothing is widened to f32 on
//!   the device: it takes the file's bytes, plus at most 2 bytes of padding.
//! - [`Tensor::matmul_quant_t`] computes `x · Wᵀ` (a Linear layer without
//!   bias) through a split-k matvec kernel for a few rows and a tiled kernel
//!   for many, accumulating in f32; [`QuantMatrix::gather_rows`] is the
//!   embedding lookup. Sizes and ids are checked on the host with typed
//!   errors; nothing is read out of bounds on the host or the device.

mod cpu;
mod gather;
mod matmul;
mod matrix;

pub use cpu::{dequantize_rows, quantize_rows, row_bytes};
pub use matrix::QuantMatrix;
pub use tessera_kernels::{QuantFormat, QuantKernel};
