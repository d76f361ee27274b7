//! Tensor operations. Each op checks shapes and dtypes on the host, renders its
//! kernel spec, and records a dispatch through [`launch`]; nothing runs until a
//! read-back or flush.

mod decode_attention;
mod elementwise;
mod elementwise_vec4;
mod gather;
mod kv_cache_checks;
pub(crate) mod launch;
mod layout;
mod matmul;
mod matmul_variants;
mod matvec;
mod norm;
mod qkv_rope;
mod reduce;
mod rope;
mod softmax;
mod variant;

pub use elementwise::where_select;
pub use layout::concat;
pub use matmul_variants::MatmulVariant;
pub use matvec::matvec_applicable;
pub use qkv_rope::QkvRope;
