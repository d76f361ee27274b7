//! Rotary position embedding with host-computed cos/sin tables.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::launch::{launch, same_device, to_u32};
use super::row_blocks::{all_fit, stacked_ranges};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{elementwise_workgroups, DType, RopeParams, RopeSpec};

/// The declaration of `rope` (see [`OpDeclaration`]).
pub(crate) const ROPE: OpDeclaration = OpDeclaration {
    name: "rope",
    summary: "rotary position embedding, Hugging Face's half-split layout",
    api: "Tensor::rope",
    reference: "reference::rope",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "RopeSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::rope,
};

impl Tensor {
    /// Rotary position embedding of `self`, shaped `[rows, heads, head_dim]`, where
    /// row `r` is the token at position `pos0 + r`, in the half-split layout of
    /// Hugging Face's Llama (`x * cos + rotate_half(x) * sin`), times `scale`.
    /// `cos` and `sin` are f32 tables `[positions, head_dim / 2]`; positions past
    /// the table are a shape error.
    pub fn rope(&self, cos: &Tensor, sin: &Tensor, pos0: usize, scale: f32) -> Result<Tensor> {
        let op = "rope";
        same_device(op, &[self, cos, sin])?;
        super::elementwise::require_float(op, self)?;
        for table in [cos, sin] {
            if table.dtype() != DType::F32 {
                return Err(Error::DType {
                    op,
                    expected: "f32 cos/sin tables".into(),
                    found: table.dtype(),
                });
            }
        }
        let shapes = [self.shape(), cos.shape(), sin.shape()];
        let (rows, heads, head_dim) = match self.shape() {
            &[r, h, d] => (r, h, d),
            _ => {
                return Err(
                    ShapeError::new(op, "x must be [rows, heads, head_dim]", &shapes).into(),
                )
            }
        };
        if !head_dim.is_multiple_of(2) {
            return Err(ShapeError::new(op, "head_dim must be even", &shapes).into());
        }
        let half = head_dim / 2;
        if cos.rank() != 2 || cos.shape()[1] != half || cos.shape() != sin.shape() {
            return Err(ShapeError::new(
                op,
                "cos and sin must both be [positions, head_dim / 2]",
                &shapes,
            )
            .into());
        }
        let positions = cos.shape()[0];
        if pos0.checked_add(rows).is_none_or(|end| end > positions) {
            return Err(ShapeError::new(
                op,
                format!("positions {pos0}..{pos0}+{rows} exceed the {positions}-position table"),
                &shapes,
            )
            .into());
        }
        let x = self.contiguous()?;
        if !all_fit(&[&x, cos, sin]) && !host_ops::runs_on_host(x.device()) {
            // Blocks of rows, each with its positions of the tables.
            let end = pos0 + rows;
            let (c, s) = (cos.narrow(0, pos0..end)?, sin.narrow(0, pos0..end)?);
            let out = (x.shape(), x.dtype());
            return stacked_ranges(op, x.device(), &[&x, &c, &s], out, usize::MAX, |r| {
                let block = |t: &Tensor| t.narrow(0, r.clone())?.windowed(op);
                let (c, s) = (block(&c)?, block(&s)?);
                x.narrow(0, r)?.windowed(op)?.rope(&c, &s, 0, scale)
            });
        }
        // The kernel indexes the small tables from element 0.
        let (cos, sin) = (cos.at_offset_zero()?, sin.at_offset_zero()?);
        let out = Tensor::uninit(self.device(), self.dtype(), self.shape(), op)?;
        let n = rows * heads * half;
        if n == 0 {
            return Ok(out);
        }
        if host_ops::runs_on_host(x.device()) {
            host_ops::rope(&x, (&cos, &sin), pos0, scale, &out)?;
            return Ok(out);
        }
        let params = RopeParams {
            n: to_u32(op, n)?,
            heads: to_u32(op, heads)?,
            half: to_u32(op, half)?,
            pos0: to_u32(op, pos0)?,
            positions: to_u32(op, positions)?,
            x_off: to_u32(op, x.offset())?,
            out_off: 0,
            scale,
        };
        launch(
            op,
            x.device(),
            &RopeSpec { dtype: x.dtype() }.rendered(),
            &[x.buffer(), cos.buffer(), sin.buffer(), out.buffer()],
            &params,
            elementwise_workgroups(n as u64),
        )?;
        Ok(out)
    }

    /// Write the elements of `self` into the view `dst` (same shape and dtype),
    /// e.g. new keys into a slice of a preallocated cache.
    pub fn copy_into(&self, dst: &Tensor) -> Result<()> {
        let op = "copy_into";
        same_device(op, &[self, dst])?;
        if self.shape() != dst.shape() {
            return Err(
                ShapeError::new(op, "shapes must match", &[self.shape(), dst.shape()]).into(),
            );
        }
        if self.dtype() != dst.dtype() {
            return Err(Error::DType {
                op,
                expected: self.dtype().to_string(),
                found: dst.dtype(),
            });
        }
        super::layout::copy_into(op, self, dst)
    }
}
