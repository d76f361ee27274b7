//! Softmax along the last axis, with an optional additive mask.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise::require_float;
use super::launch::{launch, pad8, same_device, to_u32};
use super::row_blocks::stacked;
use super::variant::{choose_row_variant, tuned_row_variant};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::DType;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    row_per_thread_workgroups, row_vec4_wg_for, row_wg_for, rowwise_workgroups, RowVariant,
    SoftmaxParams, SoftmaxPerThreadSpec, SoftmaxSpec, SoftmaxVec4Spec,
};

/// The declaration of `softmax` (see [`OpDeclaration`]).
pub(crate) const SOFTMAX: OpDeclaration = OpDeclaration {
    name: "softmax",
    summary: "stable softmax of x + mask along the last axis",
    api: "Tensor::softmax",
    reference: "reference::softmax",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: &[
        KernelCandidate {
            name: "per_thread",
            spec: "SoftmaxPerThreadSpec",
            needs: Needs::NOTHING,
            when: "rows of up to 1024 on SwiftShader, and on other software adapters where general would run; tuned elsewhere",
        },
        KernelCandidate {
            name: "vec4_subgroup",
            spec: "SoftmaxVec4Spec",
            needs: Needs::SUBGROUPS,
            when: "rows and offsets multiples of 4, subgroups present",
        },
        KernelCandidate {
            name: "vec4",
            spec: "SoftmaxVec4Spec",
            needs: Needs::NOTHING,
            when: "rows and offsets multiples of 4",
        },
        KernelCandidate {
            name: "general",
            spec: "SoftmaxSpec",
            needs: Needs::NOTHING,
            when: "any row",
        },
    ],
    tuned: true,
    conformance: crate::conformance::softmax,
};

impl Tensor {
    /// Stable softmax of `self + mask` along the last axis. The mask (same dtype)
    /// broadcasts to `self`'s shape, e.g. `[b, 1, 1, s]` over attention scores
    /// `[b, h, q, s]`. A row that is entirely -inf gives zeros.
    pub fn softmax(&self, mask: Option<&Tensor>) -> Result<Tensor> {
        self.softmax_with_variant(mask, None)
    }

    /// [`Tensor::softmax`] with the kernel variant forced (`Some`) or chosen from
    /// the row length, offsets and adapter features (`None`, as `softmax` does).
    /// A forced variant that does not fit is an error
    /// ([`Error::VariantUnavailable`], or an unsupported-device error for
    /// subgroups on an adapter without them).
    pub fn softmax_with_variant(
        &self,
        mask: Option<&Tensor>,
        variant: Option<RowVariant>,
    ) -> Result<Tensor> {
        let op = "softmax";
        require_float(op, self)?;
        if self.rank() == 0 {
            return Err(
                ShapeError::new(op, "needs at least one dimension", &[self.shape()]).into(),
            );
        }
        let x = self.contiguous()?;
        let n = *x.shape().last().expect("rank >= 1");
        let rows = x.numel().checked_div(n).unwrap_or(0);
        let mask_view = match mask {
            Some(m) => {
                same_device(op, &[self, m])?;
                if m.dtype() != x.dtype() {
                    return Err(Error::DType {
                        op,
                        expected: x.dtype().to_string(),
                        found: m.dtype(),
                    });
                }
                Some(m.broadcast_to(x.shape()).map_err(|_| {
                    ShapeError::new(
                        op,
                        "mask does not broadcast to the input",
                        &[x.shape(), m.shape()],
                    )
                })?)
            }
            None => None,
        };
        if !host_ops::runs_on_host(x.device()) && !x.fits_binding() {
            // Blocks of whole rows along dim 0 (the mask cut with them).
            let mut inputs = vec![&x];
            inputs.extend(mask_view.as_ref());
            return stacked(op, true, &inputs, x.shape(), x.dtype(), |p| {
                p[0].softmax_with_variant(p.get(1), variant)
            });
        }
        let out = Tensor::uninit(x.device(), x.dtype(), x.shape(), op)?;
        let offsets = [x.offset(), out.offset()];
        let params = SoftmaxParams {
            rows: to_u32(op, rows)?,
            n: to_u32(op, n)?,
            x_off: to_u32(op, x.offset())?,
            y_off: 0,
            m_off: to_u32(op, mask_view.as_ref().map_or(0, |m| m.offset()))?,
            rank: x.rank() as u32,
            pad: [0; 2],
            shape: pad8(op, x.shape())?,
            m_strides: pad8(op, mask_view.as_ref().map_or(&[][..], |m| m.strides()))?,
        };
        let (dtype, masked) = (x.dtype(), mask_view.is_some());
        // The kernel alone, for a variant: what the op launches and the tuner measures.
        let run_kernel = |variant: RowVariant| -> Result<()> {
            let source = match variant {
                RowVariant::General => SoftmaxSpec {
                    dtype,
                    masked,
                    wg: row_wg_for(n),
                }
                .rendered(),
                RowVariant::PerThread => SoftmaxPerThreadSpec { dtype, masked }.rendered(),
                RowVariant::Vec4 | RowVariant::Vec4Subgroup => SoftmaxVec4Spec {
                    dtype,
                    masked,
                    wg: row_vec4_wg_for(n),
                    subgroups: variant.needs_subgroups(),
                }
                .rendered(),
            };
            let mut buffers = vec![x.buffer()];
            buffers.extend(mask_view.as_ref().map(|m| m.buffer()));
            buffers.push(out.buffer());
            let grid = match variant {
                RowVariant::PerThread => row_per_thread_workgroups(rows as u64),
                _ => rowwise_workgroups(rows as u64),
            };
            launch(op, x.device(), &source, &buffers, &params, grid)
        };
        let variant = match variant {
            Some(_) => choose_row_variant(&SOFTMAX, x.device(), n, &offsets, variant)?,
            None if rows == 0 => choose_row_variant(&SOFTMAX, x.device(), n, &offsets, None)?,
            None => {
                let class = format!(
                    "{op}/{dtype}/n{}/rows{}/{}",
                    crate::tuning::bucket(n),
                    crate::tuning::bucket(rows),
                    if masked { "masked" } else { "plain" }
                );
                tuned_row_variant(&SOFTMAX, x.device(), &class, n, &offsets, run_kernel)?
            }
        };
        if rows == 0 {
            return Ok(out);
        }
        if host_ops::runs_on_host(x.device()) {
            host_ops::softmax(&x, mask_view.as_ref(), &out)?;
            return Ok(out);
        }
        run_kernel(variant)?;
        Ok(out)
    }
}
