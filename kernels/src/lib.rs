//! Tessera's compute kernels as WGSL, and the specs that render them.
//!
//! Rules of this crate:
//! - Pure: no wgpu, no GPU. A spec renders a [`KernelSource`]; `tessera-hal` compiles it.
//! - Each kernel is a `.wgsl` body under `src/wgsl/` (via `include_str!`) plus a small
//!   Rust spec. Specialise with a dtype header (`alias T = f32;`) and WGSL `override`
//!   constants, never with blind string replacement inside the body. The one
//!   exceptions are the register-blocked and subgroup matmuls ([`BlockedMatmulSpec`],
//!   [`SubgroupMatmulSpec`]), whose modules are generated line by line so their
//!   accumulators are unrolled into registers.
//! - Every spec type lists its variants ([`KernelSpec::all`]); the registry
//!   ([`all_kernel_sources`]) chains them, and this crate's unit tests validate
//!   every one with naga.
//! - Storage may be f16 (and weights bf16 or GGML blocks); arithmetic and accumulation
//!   are always f32.
//! - Kernels never read or write out of bounds: every access is guarded by a size
//!   from the parameter uniform, unless the spec documents the host's proof.
//! - Bindings: storage buffers at group 0, bindings 0..n in [`KernelSource::bindings`]
//!   order, then the parameter uniform `p` at binding n. A spec's binding list
//!   (name, access, element type) is their only description: the renderer
//!   declares them, `.wgsl` bodies never do.
//! - Parameters: a `#[repr(C)]` Pod struct per kernel family, mirrored by a
//!   WGSL `struct Params` ([`UniformParams`]) that the tests lay out with naga
//!   and compare with the host's. Offsets in parameters are in elements, not bytes.
//! - Helpers used by several kernels (strided addressing, workgroup reductions,
//!   the 2-D workgroup id, the fat 64x64 matmul tile's main loop that the dense
//!   and quantized tiles share with their own loads) live in one shared `.wgsl`
//!   snippet each.
//! - Large dispatches use the 2-D grid of [`grid`].
//! - Fast variants (vec4 loads, subgroup reductions) sit beside the general
//!   strided kernels, never replace them: [`RowVariant`] and
//!   [`ElementwiseVariant`] name them, and the host proves a variant's
//!   preconditions ([`row_vec4_fits`], [`vec4_fits`], the adapter's subgroups)
//!   before rendering it.
//! - Callers render through [`KernelSpec::rendered`], which renders each spec value
//!   once per process and shares the result: rendering formats the whole WGSL text
//!   and costs more host time than recording the dispatch.

mod assemble;
mod conv;
mod conv_gemm;
mod data_movement;
mod decode_attention;
mod dtype;
mod elementwise;
mod elementwise_vec4;
mod float_math;
mod fused_map;
pub mod grid;
mod matmul;
mod matmul_blocked;
mod matmul_quant;
mod matmul_subgroup;
mod matvec;
mod matvec_quant_subgroup;
mod norm;
mod op_kinds;
mod params;
mod pool;
mod qkv_rope;
mod quant_format;
mod quant_gather;
mod reduce;
mod register_block;
mod registry;
mod render_cache;
mod rope;
mod row_per_thread;
mod row_variant;
mod row_vec4;
mod rowwise;
mod slotted_attention;
mod slotted_qkv_rope;
mod softmax;
mod source;
mod tile_shape;
mod window;

pub use conv::{ConvSpec, ConvTransposeSpec, CONV_CHANNELS_PER_THREAD, CONV_POSITIONS_PER_THREAD};
pub use conv_gemm::{ConvGemmConfig, ConvGemmSpec, CONV_GEMM_CONFIGS};
pub use data_movement::{
    CastParams, CastSpec, CopyParams, CopySpec, CopyVec4Params, CopyVec4Spec, GatherParams,
    GatherSpec,
};
pub use decode_attention::{
    decode_attention_workgroups, DecodeAttentionParams, DecodeAttentionSpec, DecodeAttentionStage,
    DECODE_ATTENTION_MAX_HEAD_DIM, DECODE_ATTENTION_WG,
};
pub use dtype::DType;
pub use elementwise::{
    elementwise_workgroups, AffineSpec, BinaryParams, BinarySpec, UnaryParams, UnarySpec,
    WhereParams, WhereSpec,
};
pub use elementwise_vec4::{
    elementwise_vec4_workgroups, vec4_fits, AffineVec4Spec, BinaryVec4Params, BinaryVec4Spec,
    ElementwiseVariant, UnaryVec4Spec, Vec4Layout,
};
pub use fused_map::{
    FusedMapParams, FusedMapSpec, FusedProgram, FusedStep, FUSED_MAX_INPUTS, FUSED_MAX_STEPS,
};
pub use matmul::{MatmulParams, MatmulSpec, MatmulTile};
pub use matmul_blocked::{
    BlockedConfig, BlockedMatmulSpec, Contiguous, OperandLayout, BLOCKED_CONFIGS,
};
pub use matmul_quant::{
    quant_grid, QuantGrid, QuantKernel, QuantMatmulParams, QuantMatvecSpec, QuantTile,
    QuantTiledSpec, QUANT_MATVEC_MAX_M, QUANT_MATVEC_MAX_WG, QUANT_MATVEC_SOFTWARE_COLUMNS,
    QUANT_MATVEC_SUBGROUP_LANES, QUANT_TILE,
};
pub use matmul_subgroup::{SubgroupLoad, SubgroupMatmulSpec, SUBGROUP_MATMUL_LANES};
pub use matvec::{
    MatvecLayout, MatvecLoad, MatvecSpec, MatvecVariant, MATVEC_MAX_ROWS, MATVEC_MAX_WG,
};
pub use norm::{NormParams, NormPerThreadSpec, NormSpec, NormVec4Spec};
pub use op_kinds::{BinaryOp, NormKind, ReduceOp, UnaryOp};
pub use params::{ParamsField, UniformParams};
pub use pool::PoolSpec;
pub use qkv_rope::{QkvRopeParams, QkvRopeSpec};
pub use quant_format::{QuantFormat, QUANT_BLOCK_VALUES};
pub use quant_gather::{QuantGatherParams, QuantGatherSpec};
pub use reduce::{ReduceParams, ReduceSpec};
pub use registry::all_kernel_sources;
pub use render_cache::KernelSpec;
pub use rope::{RopeParams, RopeSpec};
pub use row_per_thread::{row_per_thread_workgroups, ROW_PER_THREAD_WG};
pub use row_variant::{
    row_vec4_fits, row_vec4_wg_for, RowVariant, ROW_PER_THREAD_MAX, ROW_VEC4_PER_THREAD,
    ROW_VEC4_RESIDENT_MAX,
};
pub use rowwise::{row_wg_for, rowwise_workgroups, ROW_WG};
pub use slotted_attention::{SlottedAttentionParams, SlottedAttentionSpec};
pub use slotted_qkv_rope::{SlottedQkvRopeParams, SlottedQkvRopeSpec};
pub use softmax::{SoftmaxParams, SoftmaxPerThreadSpec, SoftmaxSpec, SoftmaxVec4Spec};
pub use source::{dtype_header, BindingKind, KernelSource};
pub use tile_shape::TileShape;
pub use window::{ConvActivation, PoolMode, WindowGeometry, WindowParams};

#[cfg(test)]
mod naga_check;
