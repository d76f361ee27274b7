//! Tessera's compute kernels as WGSL, and the specs that render them.
//!
//! Rules of this crate:
//! - Pure: no wgpu, no GPU. A spec renders a [`KernelSource`]; `tessera-hal` compiles it.
//! - Each kernel is a `.wgsl` body under `src/wgsl/` (via `include_str!`) plus a small
//!   Rust spec. Specialise with a dtype header (`alias T = f32;`) and WGSL `override`
//!   constants, never with blind string replacement inside the body.
//! - Every variant a spec can render is validated by naga in this crate's unit tests.
//! - Storage may be f16; arithmetic and accumulation are always f32.
//! - Kernels never read or write out of bounds: every access is guarded by a size
//!   from the parameter uniform, unless the spec documents the host's proof.
//! - Bindings: storage buffers at group 0, bindings 0..n in [`KernelSource::bindings`]
//!   order, then the parameter uniform (a `#[repr(C)]` Pod struct mirrored in WGSL)
//!   at binding n. Offsets in parameters are in elements, not bytes.
//! - Large dispatches use the 2-D grid of [`grid`].

mod assemble;
mod data_movement;
mod dtype;
mod elementwise;
mod float_math;
mod gemm;
pub mod grid;
mod op_kinds;
mod rowwise;
mod source;

pub use data_movement::{CastParams, CastSpec, CopyParams, CopySpec, GatherParams, GatherSpec};
pub use dtype::DType;
pub use elementwise::{
    elementwise_workgroups, AffineSpec, BinaryParams, BinarySpec, UnaryParams, UnarySpec,
    WhereParams, WhereSpec,
};
pub use gemm::{MatmulParams, MatmulSpec, MatmulTile};
pub use op_kinds::{BinaryOp, NormKind, ReduceOp, UnaryOp};
pub use rowwise::{
    row_wg_for, rowwise_workgroups, NormParams, NormSpec, ReduceParams, ReduceSpec, SoftmaxParams,
    SoftmaxSpec, ROW_WG,
};
pub use source::{dtype_header, BindingKind, KernelSource};

#[cfg(test)]
mod naga_check;
