//! The reductions along one axis (sum, mean, max, min, argmax): one workgroup
//! per output, x viewed as `[outer, len, inner]`.

use crate::assemble::{fixed_kernel, Binding};
use crate::params::uniform_params;
use crate::rowwise::{row_choices, wg_header};
use crate::{DType, KernelSource, ReduceOp};

const REDUCE: &str = include_str!("wgsl/reduce.wgsl");
const ARGMAX: &str = include_str!("wgsl/argmax.wgsl");

/// Parameters of the reductions: x viewed as `[outer, len, inner]`, output `[outer, inner]`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ReduceParams {
    /// Product of the dims before the axis.
    pub outer: u32,
    /// Length of the reduced axis.
    pub len: u32,
    /// Product of the dims after the axis.
    pub inner: u32,
    /// Input offset.
    pub x_off: u32,
    /// Output offset.
    pub y_off: u32,
    /// Padding.
    pub pad: [u32; 3],
}

uniform_params!(ReduceParams = include_str!("wgsl/reduce_params.wgsl");
    outer, len, inner, x_off, y_off, pad);

/// A reduction along one axis of a contiguous tensor; one workgroup per output
/// (`outer * inner` of them). Bindings: x (read), y (write; u32 for argmax).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReduceSpec {
    /// The reduction.
    pub op: ReduceOp,
    /// Input storage type (f32 or f16).
    pub dtype: DType,
    /// Threads per workgroup (a power of two, 32..=256; see [`row_wg_for`]).
    pub wg: u32,
}

impl ReduceSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let key = format!("reduce/{}/{}/wg{}", self.op.name(), self.dtype, self.wg);
        let (init, combine, finish) = match self.op {
            ReduceOp::Sum => ("0.0", "a + b", "acc"),
            ReduceOp::Mean => ("0.0", "a + b", "acc / f32(max(len, 1u))"),
            ReduceOp::Max => (
                "f32_bits(0xff800000u)",
                "select(max(a, b), f32_bits(0x7fc00000u), is_nan(a) || is_nan(b))",
                "acc",
            ),
            ReduceOp::Min => (
                "f32_bits(0x7f800000u)",
                "select(min(a, b), f32_bits(0x7fc00000u), is_nan(a) || is_nan(b))",
                "acc",
            ),
            ReduceOp::ArgMax => {
                const BINDINGS: [Binding; 2] =
                    [Binding::read("x", "T"), Binding::read_write("y", "u32")];
                return self.kernel(key, &wg_header(self.dtype, self.wg), &BINDINGS, ARGMAX);
            }
        };
        const BINDINGS: [Binding; 2] = [Binding::read("x", "T"), Binding::read_write("y", "T")];
        let header = format!(
            "{}fn init() -> f32 {{ return {init}; }}\nfn combine(a: f32, b: f32) -> f32 {{ return {combine}; }}\nfn finish(acc: f32, len: u32) -> f32 {{ return {finish}; }}\n",
            wg_header(self.dtype, self.wg)
        );
        self.kernel(key, &header, &BINDINGS, REDUCE)
    }

    fn kernel(&self, key: String, header: &str, bindings: &[Binding], body: &str) -> KernelSource {
        fixed_kernel::<ReduceParams>(
            key,
            header,
            bindings,
            body,
            [self.wg, 1, 1],
            self.dtype == DType::F16,
        )
    }

    /// Every variant: each reduction of f32 and f16 with each workgroup size.
    pub fn all() -> Vec<ReduceSpec> {
        row_choices()
            .flat_map(|(dtype, wg)| ReduceOp::ALL.map(|op| ReduceSpec { op, dtype, wg }))
            .collect()
    }
}
