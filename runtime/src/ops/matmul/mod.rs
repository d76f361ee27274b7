//! The matmul family as one op: a dense product ([`Tensor::matmul`]) and the
//! product with a weight of any storage ([`Tensor::matmul_t`] with a
//! [`Weight`]: dense, quantized, or row blocks of either), planned in one
//! place.
//!
//! Rules of this module (each file uses only files listed before it):
//! - `declaration`: the family's op declarations (`matmul`, `matmul_quant_t`).
//! - `operands`: the host checks, the same typed errors on every backend.
//! - `matvec`, `dense`, `quant`: the kernels (specs and dispatch) of the
//!   matrix-vector, tile and quantized families; none picks a kernel.
//! - `plan`: the choice among them, from shapes, dtypes, layouts and the
//!   device's capabilities (heuristics, the tuned choice). Nothing else
//!   chooses.
//! - `weight`: the [`Weight`] storage type (dense, quantized, row blocks no
//!   larger than a storage binding) and its embedding lookup.
//! - `split`: products whose operands or result exceed one storage binding,
//!   as products over blocks that fit (windows of the large buffers).
//! - `api`: the `Tensor` methods (check, plan, run; on the CPU backend the
//!   reference after the same checks), including the forced-kernel forms for
//!   tests and benchmarks.

mod api;
mod declaration;
mod dense;
mod matvec;
mod operands;
mod plan;
mod quant;
mod split;
mod weight;

pub(crate) use declaration::{MATMUL, MATMUL_QUANT_T};
pub use dense::MatmulVariant;
pub use matvec::matvec_applicable;
pub use weight::Weight;

#[cfg(doc)]
use crate::tensor::Tensor;
