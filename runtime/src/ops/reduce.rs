//! Reductions along one axis.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise::require_float;
use super::launch::{launch, to_u32};
use super::row_blocks::{shape_fits, stacked_ranges};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::{binding_limit, Tensor};
use tessera_kernels::KernelSpec;
use tessera_kernels::{row_wg_for, rowwise_workgroups, DType, ReduceOp, ReduceParams, ReduceSpec};

/// The kernel of every reduction (one spec renders sum, mean, max, min, argmax).
const REDUCE_KERNELS: &[KernelCandidate] = &[KernelCandidate {
    name: "general",
    spec: "ReduceSpec",
    needs: Needs::NOTHING,
    when: "any axis",
}];

/// The declaration of `reduce` (see [`OpDeclaration`]).
pub(crate) const REDUCE: OpDeclaration = OpDeclaration {
    name: "reduce",
    summary: "sum, mean, max, min along one axis",
    api: "Tensor::reduce",
    reference: "reference::reduce",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "sum_f32(len) for sum and mean; EXACT for max and min",
    kernels: REDUCE_KERNELS,
    tuned: false,
    conformance: crate::conformance::reduce,
};

/// The declaration of `argmax` (see [`OpDeclaration`]).
pub(crate) const ARGMAX: OpDeclaration = OpDeclaration {
    name: "argmax",
    summary: "index of the largest value along one axis (u32, first on ties)",
    api: "Tensor::argmax",
    reference: "reference::argmax",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT",
    kernels: REDUCE_KERNELS,
    tuned: false,
    conformance: crate::conformance::argmax,
};

impl Tensor {
    /// Reduce along `axis`, removing it. ArgMax gives u32 indices (first on ties).
    pub fn reduce(&self, op: ReduceOp, axis: usize) -> Result<Tensor> {
        let name = op.name();
        require_float(name, self)?;
        if axis >= self.rank() {
            return Err(ShapeError::new(
                name,
                format!("axis {axis} out of range"),
                &[self.shape()],
            )
            .into());
        }
        if self.shape()[axis] == 0 && op != ReduceOp::Sum {
            return Err(
                ShapeError::new(name, format!("axis {axis} is empty"), &[self.shape()]).into(),
            );
        }
        let x = self.contiguous()?;
        let outer: usize = x.shape()[..axis].iter().product();
        let inner: usize = x.shape()[axis + 1..].iter().product();
        let mut shape = x.shape().to_vec();
        shape.remove(axis);
        let out_dtype = if op == ReduceOp::ArgMax {
            DType::U32
        } else {
            x.dtype()
        };
        let fits = x.fits_binding() && shape_fits(x.device(), &shape, out_dtype);
        if !fits && !host_ops::runs_on_host(x.device()) {
            return reduce_blocks(op, &x, axis, (&shape, out_dtype));
        }
        let out = Tensor::uninit(x.device(), out_dtype, &shape, name)?;
        let outputs = outer * inner;
        if outputs > 0 && host_ops::runs_on_host(x.device()) {
            host_ops::reduce(op, &x, axis, &out)?;
        } else if outputs > 0 {
            let params = ReduceParams {
                outer: to_u32(name, outer)?,
                len: to_u32(name, x.shape()[axis])?,
                inner: to_u32(name, inner)?,
                x_off: to_u32(name, x.offset())?,
                y_off: 0,
                pad: [0; 3],
            };
            let source = ReduceSpec {
                op,
                dtype: x.dtype(),
                wg: row_wg_for(x.shape()[axis]),
            }
            .rendered();
            launch(
                name,
                x.device(),
                &source,
                &[x.buffer(), out.buffer()],
                &params,
                rowwise_workgroups(outputs as u64),
            )?;
        }
        Ok(out)
    }

    /// Sum along `axis`.
    pub fn sum(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Sum, axis)
    }
    /// Mean along `axis`.
    pub fn mean(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Mean, axis)
    }
    /// Maximum along `axis`.
    pub fn max(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Max, axis)
    }
    /// Minimum along `axis`.
    pub fn min(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::Min, axis)
    }
    /// Index of the maximum along `axis` (u32, first on ties).
    pub fn argmax(&self, axis: usize) -> Result<Tensor> {
        self.reduce(ReduceOp::ArgMax, axis)
    }
}

/// The split path of [`Tensor::reduce`] over a contiguous `x` or result past
/// one binding: blocks along dim 0 of the result, which is dim 0 of `x` for
/// `axis > 0` (one row at a time, a rank lower, when a row is too wide) and
/// dim 1 of `x` for `axis == 0` (each block of columns copied out
/// contiguous). Errors: a rank-1 `x`, or one reduced column past a binding
/// (`TooLarge`).
fn reduce_blocks(op: ReduceOp, x: &Tensor, axis: usize, out: (&[usize], DType)) -> Result<Tensor> {
    let name = op.name();
    let device = x.device();
    if x.rank() < 2 {
        return Err(Error::TooLarge {
            op: name,
            message: format!(
                "{:?} reduced to one value exceeds a storage binding",
                x.shape()
            ),
        });
    }
    if axis > 0 {
        let Ok(most) = x.rows_per_window(name) else {
            // One row wider than a binding: each row alone, a rank lower.
            return stacked_ranges(name, device, &[], out, 1, |r| {
                let mut shape = out.0.to_vec();
                shape[0] = 1;
                x.drop_dim0(r.start).reduce(op, axis - 1)?.reshape(&shape)
            });
        };
        return stacked_ranges(name, device, &[], out, most, |r| {
            x.narrow(0, r)?.windowed(name)?.reduce(op, axis)
        });
    }
    let column = (x.numel() / x.shape()[1].max(1)) as u64 * x.dtype().size_in_bytes() as u64;
    let most = usize::try_from(binding_limit(device) / column.max(1)).unwrap_or(usize::MAX);
    stacked_ranges(name, device, &[], out, most, |r| {
        x.narrow(1, r)?.contiguous()?.reduce(op, 0)
    })
}
