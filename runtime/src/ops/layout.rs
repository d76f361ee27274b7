//! Materialising views (contiguous), concatenation and dtype casts.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::launch::{launch, pad8, same_device, to_u32};
use super::row_blocks::{all_fit, by_row_blocks, shape_fits, stacked};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    elementwise_workgroups, CastParams, CastSpec, CopyParams, CopySpec, CopyVec4Params,
    CopyVec4Spec, DType,
};

/// The declaration of `copy` (see [`OpDeclaration`]).
pub(crate) const COPY: OpDeclaration = OpDeclaration {
    name: "copy",
    summary: "materialise a view (permute, slice, broadcast) or write into one",
    api: "Tensor::contiguous, Tensor::copy, Tensor::copy_into",
    reference: "reference::permute, reference::slice",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT",
    kernels: &[
        KernelCandidate {
            name: "vec4",
            spec: "CopyVec4Spec",
            needs: Needs::NOTHING,
            when: "both contiguous, multiples of 4",
        },
        KernelCandidate {
            name: "general",
            spec: "CopySpec",
            needs: Needs::NOTHING,
            when: "any strides",
        },
    ],
    tuned: false,
    conformance: crate::conformance::copy,
};

/// The declaration of `cast` (see [`OpDeclaration`]).
pub(crate) const CAST: OpDeclaration = OpDeclaration {
    name: "cast",
    summary: "convert between f32, f16 and i32 (float to int truncates)",
    api: "Tensor::cast",
    reference: "round_to_f16, f32::trunc",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT (to f16: one f16 step)",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "CastSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::cast,
};

/// The declaration of `concat` (see [`OpDeclaration`]).
pub(crate) const CONCAT: OpDeclaration = OpDeclaration {
    name: "concat",
    summary: "join tensors along an axis",
    api: "concat",
    reference: "reference::concat",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT",
    kernels: &[KernelCandidate {
        name: "copy",
        spec: "CopySpec",
        needs: Needs::NOTHING,
        when: "one copy per part",
    }],
    tuned: false,
    conformance: crate::conformance::concat,
};

/// Copy the elements of `src` into the view `dst` (same shape and dtype).
pub(super) fn copy_into(op: &'static str, src: &Tensor, dst: &Tensor) -> Result<()> {
    debug_assert_eq!(src.shape(), dst.shape());
    if src.numel() == 0 {
        return Ok(());
    }
    if host_ops::runs_on_host(src.device()) {
        return host_ops::copy(src, dst);
    }
    if !all_fit(&[src, dst]) {
        return by_row_blocks(op, &[src], dst, |pieces, out| {
            copy_into(op, &pieces[0], out)
        });
    }
    let aligned = |t: &Tensor| t.is_contiguous() && t.offset().is_multiple_of(4);
    if aligned(src) && aligned(dst) && src.numel().is_multiple_of(4) {
        // Both contiguous and vec4-aligned: one vec4 per thread, no index math.
        let params = CopyVec4Params {
            n: to_u32(op, src.numel())?,
            x_off: to_u32(op, src.offset())?,
            y_off: to_u32(op, dst.offset())?,
            pad0: 0,
        };
        let source = CopyVec4Spec { dtype: src.dtype() }.rendered();
        return launch(
            op,
            src.device(),
            &source,
            &[src.buffer(), dst.buffer()],
            &params,
            elementwise_workgroups(src.numel() as u64 / 4),
        );
    }
    let params = CopyParams {
        n: to_u32(op, src.numel())?,
        rank: src.rank() as u32,
        x_off: to_u32(op, src.offset())?,
        out_off: to_u32(op, dst.offset())?,
        shape: pad8(op, src.shape())?,
        x_strides: pad8(op, src.strides())?,
        out_strides: pad8(op, dst.strides())?,
    };
    let source = CopySpec { dtype: src.dtype() }.rendered();
    launch(
        op,
        src.device(),
        &source,
        &[src.buffer(), dst.buffer()],
        &params,
        elementwise_workgroups(src.numel() as u64),
    )
}

impl Tensor {
    /// The same elements in a fresh row-major buffer; `self` when already contiguous.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.is_contiguous() {
            return Ok(self.clone());
        }
        let out = Tensor::uninit(self.device(), self.dtype(), self.shape(), "contiguous")?;
        copy_into("contiguous", self, &out)?;
        Ok(out)
    }

    /// `self` when contiguous from element 0 of its buffer, else a fresh
    /// contiguous copy: for kernels that index a small operand (rope tables,
    /// a bias) from the buffer's start.
    pub(crate) fn at_offset_zero(&self) -> Result<Tensor> {
        match self.is_contiguous() && self.offset() == 0 {
            true => Ok(self.clone()),
            false => self.copy(),
        }
    }

    /// A fresh contiguous copy, even when `self` is already contiguous.
    pub fn copy(&self) -> Result<Tensor> {
        let out = Tensor::uninit(self.device(), self.dtype(), self.shape(), "copy")?;
        copy_into("copy", self, &out)?;
        Ok(out)
    }

    /// Convert to `dtype` (float to int truncates toward zero).
    pub fn cast(&self, dtype: DType) -> Result<Tensor> {
        if dtype == self.dtype() {
            return Ok(self.clone());
        }
        let x = self.contiguous()?;
        let fits = x.fits_binding() && shape_fits(x.device(), x.shape(), dtype);
        if !fits && !host_ops::runs_on_host(x.device()) {
            // Blocks of the flattened elements.
            let flat = x.reshape(&[x.numel()])?;
            let y = stacked("cast", false, &[&flat], flat.shape(), dtype, |p| {
                p[0].cast(dtype)
            })?;
            return y.reshape(x.shape());
        }
        let out = Tensor::uninit(x.device(), dtype, x.shape(), "cast")?;
        if host_ops::runs_on_host(x.device()) {
            host_ops::cast(&x, &out)?;
            return Ok(out);
        }
        if x.numel() > 0 {
            let params = CastParams {
                n: to_u32("cast", x.numel())?,
                x_off: to_u32("cast", x.offset())?,
                y_off: 0,
                pad0: 0,
            };
            let source = CastSpec {
                from: x.dtype(),
                to: dtype,
            }
            .rendered();
            launch(
                "cast",
                x.device(),
                &source,
                &[x.buffer(), out.buffer()],
                &params,
                elementwise_workgroups(x.numel() as u64),
            )?;
        }
        Ok(out)
    }
}

/// Join tensors along `axis`; all other dims and the dtype must agree.
pub fn concat(parts: &[&Tensor], axis: usize) -> Result<Tensor> {
    let op = "concat";
    let Some(first) = parts.first() else {
        return Err(ShapeError::new(op, "nothing to concatenate", &[]).into());
    };
    same_device(op, parts)?;
    let shapes: Vec<&[usize]> = parts.iter().map(|t| t.shape()).collect();
    if axis >= first.rank() {
        return Err(ShapeError::new(op, format!("axis {axis} out of range"), &shapes).into());
    }
    let mut total = 0usize;
    for t in parts {
        if t.dtype() != first.dtype() {
            return Err(Error::DType {
                op,
                expected: first.dtype().to_string(),
                found: t.dtype(),
            });
        }
        let same_rest = t.rank() == first.rank()
            && t.shape()
                .iter()
                .zip(first.shape())
                .enumerate()
                .all(|(d, (a, b))| d == axis || a == b);
        if !same_rest {
            return Err(
                ShapeError::new(op, format!("shapes differ outside axis {axis}"), &shapes).into(),
            );
        }
        total += t.shape()[axis];
    }
    let mut shape = first.shape().to_vec();
    shape[axis] = total;
    let out = Tensor::uninit(first.device(), first.dtype(), &shape, op)?;
    let mut start = 0;
    for t in parts {
        let len = t.shape()[axis];
        copy_into(op, t, &out.narrow(axis, start..start + len)?)?;
        start += len;
    }
    Ok(out)
}
