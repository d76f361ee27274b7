//! Row gather (embedding lookup) from a GGML-quantized table that stays
//! quantized on the device ([`QuantFormat`] gives the layout): one thread per
//! output value, dequantized to f32.

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::params::uniform_params;
use crate::{DType, KernelSource, QuantFormat};

const QUANT_GATHER: &str = include_str!("wgsl/quant_gather.wgsl");

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

uniform_params!(QuantGatherParams = include_str!("wgsl/quant_gather_params.wgsl");
    n, cols, rows, blocks, ids_off, out_off, pad);

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
        const BINDINGS: [Binding; 4] = [
            Binding::read("qs", "vec4<u32>"),
            Binding::read("scales", "u32"),
            Binding::read("ids", "I"),
            Binding::read_write("out", "f32"),
        ];
        linear_kernel::<QuantGatherParams>(
            format!("quant_gather/{}/{index}/wg{DEFAULT_WG}", self.format),
            &header,
            &BINDINGS,
            QUANT_GATHER,
            false,
        )
    }

    /// Every variant: each format, u32 and i32 ids.
    pub fn all() -> Vec<QuantGatherSpec> {
        QuantFormat::ALL
            .into_iter()
            .flat_map(|format| {
                [DType::U32, DType::I32].map(|index_dtype| QuantGatherSpec {
                    format,
                    index_dtype,
                })
            })
            .collect()
    }
}
