//! Host element types that map to a tensor [`DType`].

use tessera_kernels::DType;

/// A host scalar type a tensor can be built from or read into.
pub trait Element: bytemuck::Pod + Copy + Send + Sync + 'static {
    /// The tensor dtype this host type maps to.
    const DTYPE: DType;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
}

impl Element for half::f16 {
    const DTYPE: DType = DType::F16;
}

impl Element for i32 {
    const DTYPE: DType = DType::I32;
}

impl Element for u32 {
    const DTYPE: DType = DType::U32;
}
