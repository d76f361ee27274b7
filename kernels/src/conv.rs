//! Convolution and transposed convolution over up to three spatial dims,
//! direct (no im2col buffer), with the bias and an activation in the same
//! dispatch.

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::window::WindowParams;
use crate::{dtype_header, DType, KernelSource};

const CONV: &str = include_str!("wgsl/conv.wgsl");
const CONV_TRANSPOSE: &str = include_str!("wgsl/conv_transpose.wgsl");
const ACTIVATION: &str = include_str!("wgsl/conv_activation.wgsl");

/// Output channels one conv thread computes.
pub const CONV_CHANNELS_PER_THREAD: usize = 4;

/// Neighbouring output positions along the last spatial dim one conv
/// thread computes.
pub const CONV_POSITIONS_PER_THREAD: usize = 4;

/// Bindings of both kernels: x, weight, bias (read; a dummy when
/// `has_bias` is 0), out (write).
pub(crate) const CONV_BINDINGS: [Binding; 4] = [
    Binding::read("x", "T"),
    Binding::read("w", "T"),
    Binding::read("b", "T"),
    Binding::read_write("out", "T"),
];

fn render(name: &str, dtype: DType, body: &str) -> KernelSource {
    linear_kernel::<WindowParams>(
        format!("{name}/{dtype}/wg{DEFAULT_WG}"),
        &format!("{}{ACTIVATION}", dtype_header(dtype)),
        &CONV_BINDINGS,
        body,
        dtype == DType::F16,
    )
}

/// Convolution: one thread per [`CONV_CHANNELS_PER_THREAD`] output channels
/// of a group at [`CONV_POSITIONS_PER_THREAD`] neighbouring output positions
/// ([`WindowParams`]; `total` is
/// `n * groups * ceil(c_out / groups / 4) * out_d * out_h * ceil(out_w / 4)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvSpec {
    /// Element type of every operand.
    pub dtype: DType,
}

impl ConvSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        render("conv", self.dtype, CONV)
    }

    /// Every variant: f32.
    pub fn all() -> Vec<ConvSpec> {
        vec![ConvSpec { dtype: DType::F32 }]
    }
}

/// Transposed convolution: one thread per output element
/// ([`WindowParams`]; `total` is `n * c_out * out_d * out_h * out_w`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvTransposeSpec {
    /// Element type of every operand.
    pub dtype: DType,
}

impl ConvTransposeSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        render("conv_transpose", self.dtype, CONV_TRANSPOSE)
    }

    /// Every variant: f32.
    pub fn all() -> Vec<ConvTransposeSpec> {
        vec![ConvTransposeSpec { dtype: DType::F32 }]
    }
}
