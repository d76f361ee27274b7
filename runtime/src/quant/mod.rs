//! GGML block-quantized weights (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, the K formats
//! Q4_K and Q6_K, and F16 and BF16 cut into blocks) that stay in their format on the
//! GPU and are dequantized inside the matmul kernels.
//!
//! Rules of this module:
//! - The block formats are ggml's ([`QuantFormat`] documents them); the CPU
//!   dequantizer [`dequantize_rows`] follows ggml's reference code (checked
//!   bit for bit against gguf-py for the K formats and Q4_1 / Q5_0 / Q5_1)
//!   and is the oracle of the tests. The quantizer [`quantize_rows`] is
//!   ggml's reference one for the 32-value formats (byte for byte gguf-py's
//!   for Q4_1 / Q5_0 / Q5_1) and a simpler one-pass quantizer for Q4_K /
//!   Q6_K (not ggml's search; loading GGUF files never quantizes).
//! - Rows are whole groups: multiples of 32 values, or of 256 for the K
//!   formats, whose super-blocks the kernels walk as 8 blocks of 32.
//! - A [`QuantMatrix`] is an `n x k` weight (n rows of k values, the GGML
//!   tensor of dims `[k, n]`) held on the device as two `u32` buffers: the
//!   blocks' quant bytes unchanged and the leading f16 fields (Q8_0 / Q4_0 /
//!   Q5_0 scales two per word, Q4_1 / Q5_1 scale and min one pair per word;
//!   the layout is documented on [`QuantFormat`]). Nothing is widened to f32
//!   on the device: it takes the file's bytes, plus at most 2 bytes of scale
//!   padding and 12 of quant padding, or one unread scale word and, for
//!   Q6_K, 14 bytes per 210-byte super-block.
//! - A [`QuantMatrix`] is one storage of a [`crate::ops::Weight`]:
//!   [`Tensor::matmul_t`](crate::tensor::Tensor::matmul_t) computes `x · Wᵀ`
//!   (a Linear layer without bias) through a split-k matvec kernel for a few
//!   rows and a tiled kernel for many, accumulating in f32 (the matmul
//!   family, `ops/matmul`); [`QuantMatrix::gather_rows`] is the embedding
//!   lookup. Sizes and ids are checked on the host with typed
//!   errors; nothing is read out of bounds on the host or the device.

mod cpu;
mod cpu_k;
mod cpu_q5;
mod gather;
mod matrix;

pub use cpu::{dequantize_rows, quantize_rows, row_bytes};
pub(crate) use gather::QUANT_GATHER;
pub use matrix::QuantMatrix;
pub use tessera_kernels::{QuantFormat, QuantKernel};
