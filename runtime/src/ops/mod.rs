//! Tensor operations. Each op is declared once ([`OpDeclaration`], in the op's
//! file; all of them in [`DECLARATIONS`]); its `Tensor` method checks shapes and
//! dtypes on the host (the same typed errors on every backend), then either
//! runs the op directly (the CPU backend, on a device whose execution is
//! `HostOps`: the op's reference) or picks a kernel, renders its WGSL and
//! records a dispatch through `launch`; nothing runs until a read-back or
//! flush.

mod attention_blocks;
mod conv;
mod declaration;
mod decode_attention;
mod elementwise;
mod elementwise_vec4;
mod fused_map;
mod gather;
mod gather_blocks;
mod kv_cache_checks;
pub(crate) mod launch;
mod layout;
mod matmul;
mod norm;
mod pool;
mod qkv_rope;
mod reduce;
mod rope;
mod row_blocks;
mod select;
mod slot_table;
mod slotted_attention;
mod slotted_qkv_rope;
mod softmax;
mod variant;
mod window;

pub use conv::ConvKernel;
pub use declaration::{KernelCandidate, Needs, OpDeclaration};
pub use elementwise::where_select;
pub use fused_map::fused_map;
pub use layout::concat;
pub use matmul::{matvec_applicable, MatmulVariant, Weight};
pub use qkv_rope::QkvRope;
pub use slot_table::SlotTable;

/// Every op's declaration, in the order of the conformance table.
pub const DECLARATIONS: &[OpDeclaration] = &[
    elementwise::UNARY,
    elementwise::AFFINE,
    elementwise::BINARY,
    elementwise::WHERE,
    fused_map::FUSED_MAP,
    layout::COPY,
    layout::CAST,
    layout::CONCAT,
    gather::GATHER,
    reduce::REDUCE,
    reduce::ARGMAX,
    softmax::SOFTMAX,
    norm::LAYER_NORM,
    norm::RMS_NORM,
    matmul::MATMUL,
    matmul::MATMUL_QUANT_T,
    crate::quant::QUANT_GATHER,
    rope::ROPE,
    qkv_rope::QKV_ROPE,
    decode_attention::CACHED_ATTENTION,
    slotted_qkv_rope::SLOTTED_QKV_ROPE,
    slotted_attention::SLOTTED_ATTENTION,
    conv::CONV,
    conv::CONV_TRANSPOSE,
    pool::POOL,
];
