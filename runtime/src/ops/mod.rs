//! Tensor operations. Each op checks shapes and dtypes on the host, renders its
//! kernel spec, and records a dispatch through [`launch`]; nothing runs until a
//! read-back or flush.

mod elementwise;
mod gather;
mod launch;
mod layout;
mod matmul;
mod norm;
mod reduce;
mod softmax;

pub use elementwise::where_select;
pub use layout::concat;
