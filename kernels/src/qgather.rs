//! Row gather (embedding lookup) from a GGML-quantized table that stays
//! quantized on the device ([`QuantFormat`] gives the layout): one thread per
//! output value, dequantized to f32.

use crate::assemble::{linear_kernel, DEFAULT_WG};
use crate::{BindingKind, DType, KernelSource, QuantFormat};

const QGATHER: &str = include_str!("wgsl/qgather.wgsl");

/// Parameters of [`QuantGatherSpec`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct QuantGatherParams {
    /// Output values (ids × cols).
    pub n: u32,
    /// Values per row of the table (a multiple of the format's group: 32 or 256).
    pub cols: u32,
    /// Rows of the table.
    pub rows: u32,
    /// Blocks per row: `cols / 32`.
    pub blocks: u32,
    /// Offset of the ids in elements.
    pub ids_off: u32,
    /// Offset of out in elements.
    pub out_off: u32,
    /// Padding.
    pub pad: [u32; 2],
}

/// `out[r] = dequantize(W[ids[r]])` as f32, 0 for ids outside the table.
/// Bindings: qs, scales, ids (read; u32 or i32), out (write, f32), then the
/// [`QuantGatherParams`] uniform. Grid: [`crate::elementwise_workgroups`] of `n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct QuantGatherSpec {
    /// Block format of the table.
    pub format: QuantFormat,
    /// Id type: U32 or I32.
    pub index_dtype: DType,
}

impl QuantGatherSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let (index, check) = match self.index_dtype {
            DType::I32 => (
                "i32",
                "fn in_table(id: I, rows: u32) -> bool { return id >= 0 && u32(id) < rows; }\n",
            ),
            _ => (
                "u32",
                "fn in_table(id: I, rows: u32) -> bool { return id < rows; }\n",
            ),
        };
        let header = format!("alias I = {index};\n{check}{}", self.format.wgsl());
        linear_kernel(
            format!("qgather/{}/{index}/wg{DEFAULT_WG}", self.format),
            &header,
            QGATHER,
            vec![
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadOnly,
                BindingKind::ReadWrite,
            ],
            std::mem::size_of::<QuantGatherParams>(),
            DEFAULT_WG,
            false,
        )
    }
}
