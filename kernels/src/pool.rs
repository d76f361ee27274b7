//! Max and average pooling over up to three spatial dims.

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::window::WindowParams;
use crate::{dtype_header, DType, KernelSource};

const POOL: &str = include_str!("wgsl/pool.wgsl");

/// Pooling: one thread per output element ([`WindowParams`]; `total` is
/// `n * c * out_d * out_h * out_w`, `mode` a [`crate::PoolMode`] code).
/// Bindings: x (read), out (write).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PoolSpec {
    /// Element type of x and out.
    pub dtype: DType,
}

impl PoolSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        const BINDINGS: [Binding; 2] = [Binding::read("x", "T"), Binding::read_write("out", "T")];
        linear_kernel::<WindowParams>(
            format!("pool/{}/wg{DEFAULT_WG}", self.dtype),
            &dtype_header(self.dtype),
            &BINDINGS,
            POOL,
            self.dtype == DType::F16,
        )
    }

    /// Every variant: f32.
    pub fn all() -> Vec<PoolSpec> {
        vec![PoolSpec { dtype: DType::F32 }]
    }
}
