//! Layer norm and RMS norm along the last axis.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise::require_float;
use super::launch::{launch, same_device, to_u32};
use super::row_blocks::stacked;
use super::variant::{choose_row_variant, tuned_row_variant};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::DType;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    row_per_thread_workgroups, row_vec4_wg_for, row_wg_for, rowwise_workgroups, KernelSource,
    NormKind, NormParams, NormPerThreadSpec, NormSpec, NormVec4Spec, RowVariant,
};

/// The kernels of both norms (one spec pair renders layer and RMS norm).
const NORM_KERNELS: &[KernelCandidate] = &[
    KernelCandidate {
        name: "per_thread",
        spec: "NormPerThreadSpec",
        needs: Needs::NOTHING,
        when:
            "rows of up to 1024 values on software WebGPU adapters (SwiftShader); tuned elsewhere",
    },
    KernelCandidate {
        name: "vec4_subgroup",
        spec: "NormVec4Spec",
        needs: Needs::SUBGROUPS,
        when: "rows and offsets multiples of 4, subgroups present",
    },
    KernelCandidate {
        name: "vec4",
        spec: "NormVec4Spec",
        needs: Needs::NOTHING,
        when: "rows and offsets multiples of 4",
    },
    KernelCandidate {
        name: "general",
        spec: "NormSpec",
        needs: Needs::NOTHING,
        when: "any row",
    },
];

/// The declaration of `layer_norm` (see [`OpDeclaration`]).
pub(crate) const LAYER_NORM: OpDeclaration = OpDeclaration {
    name: "layer_norm",
    summary: "(x - mean) / sqrt(var + eps) * w + b along the last axis",
    api: "Tensor::layer_norm",
    reference: "reference::layernorm",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: NORM_KERNELS,
    tuned: true,
    conformance: crate::conformance::layer_norm,
};

/// The declaration of `rms_norm` (see [`OpDeclaration`]).
pub(crate) const RMS_NORM: OpDeclaration = OpDeclaration {
    name: "rms_norm",
    summary: "x / sqrt(mean(x^2) + eps) * w along the last axis",
    api: "Tensor::rms_norm",
    reference: "reference::rmsnorm",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: NORM_KERNELS,
    tuned: true,
    conformance: crate::conformance::rms_norm,
};

impl Tensor {
    /// `(x - mean) / sqrt(var + eps) * weight + bias` along the last axis.
    pub fn layer_norm(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Result<Tensor> {
        self.norm(NormKind::Layer, weight, bias, eps, None)
    }

    /// [`Tensor::layer_norm`] with the kernel variant forced (`Some`) or chosen
    /// automatically (`None`); see [`Tensor::softmax_with_variant`].
    pub fn layer_norm_with_variant(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
        variant: Option<RowVariant>,
    ) -> Result<Tensor> {
        self.norm(NormKind::Layer, weight, bias, eps, variant)
    }

    /// `x / sqrt(mean(x^2) + eps) * weight` along the last axis.
    pub fn rms_norm(&self, weight: Option<&Tensor>, eps: f32) -> Result<Tensor> {
        self.norm(NormKind::Rms, weight, None, eps, None)
    }

    /// [`Tensor::rms_norm`] with the kernel variant forced (`Some`) or chosen
    /// automatically (`None`); see [`Tensor::softmax_with_variant`].
    pub fn rms_norm_with_variant(
        &self,
        weight: Option<&Tensor>,
        eps: f32,
        variant: Option<RowVariant>,
    ) -> Result<Tensor> {
        self.norm(NormKind::Rms, weight, None, eps, variant)
    }

    fn norm(
        &self,
        kind: NormKind,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
        variant: Option<RowVariant>,
    ) -> Result<Tensor> {
        let op = if kind == NormKind::Layer {
            "layer_norm"
        } else {
            "rms_norm"
        };
        require_float(op, self)?;
        if self.rank() == 0 {
            return Err(
                ShapeError::new(op, "needs at least one dimension", &[self.shape()]).into(),
            );
        }
        let n = *self.shape().last().expect("rank >= 1");
        let mut params_of: Vec<Tensor> = Vec::new();
        for t in [weight, bias].into_iter().flatten() {
            same_device(op, &[self, t])?;
            if t.shape() != [n] {
                return Err(ShapeError::new(
                    op,
                    format!("weight and bias must be [{n}]"),
                    &[self.shape(), t.shape()],
                )
                .into());
            }
            if t.dtype() != self.dtype() {
                return Err(Error::DType {
                    op,
                    expected: self.dtype().to_string(),
                    found: t.dtype(),
                });
            }
            params_of.push(t.contiguous()?);
        }
        let x = self.contiguous()?;
        if !host_ops::runs_on_host(x.device()) && !x.fits_binding() {
            // Blocks of whole rows along dim 0; weight and bias whole.
            return stacked(op, true, &[&x], x.shape(), x.dtype(), |p| {
                p[0].norm(kind, weight, bias, eps, variant)
            });
        }
        let rows = x.numel().checked_div(n).unwrap_or(0);
        let out = Tensor::uninit(x.device(), x.dtype(), x.shape(), op)?;
        let w = weight.map(|_| &params_of[0]);
        let b = bias.map(|_| params_of.last().expect("bias uploaded"));
        let mut offsets = vec![x.offset(), out.offset()];
        offsets.extend(params_of.iter().map(|t| t.offset()));
        let decl = if kind == NormKind::Layer {
            &LAYER_NORM
        } else {
            &RMS_NORM
        };
        let params = NormParams {
            rows: to_u32(op, rows)?,
            n: to_u32(op, n)?,
            x_off: to_u32(op, x.offset())?,
            y_off: 0,
            w_off: to_u32(op, w.map_or(0, |t| t.offset()))?,
            b_off: to_u32(op, b.map_or(0, |t| t.offset()))?,
            eps,
            pad0: 0,
        };
        let (dtype, has_weight, has_bias) = (x.dtype(), w.is_some(), b.is_some());
        // The kernel alone, for a variant: what the op launches and the tuner measures.
        let run_kernel = |variant: RowVariant| -> Result<()> {
            let source: Option<std::sync::Arc<KernelSource>> = match variant {
                RowVariant::General => NormSpec {
                    kind,
                    dtype,
                    has_weight,
                    has_bias,
                    wg: row_wg_for(n),
                }
                .rendered(),
                RowVariant::PerThread => NormPerThreadSpec {
                    kind,
                    dtype,
                    has_weight,
                    has_bias,
                }
                .rendered(),
                RowVariant::Vec4 | RowVariant::Vec4Subgroup => NormVec4Spec {
                    kind,
                    dtype,
                    has_weight,
                    has_bias,
                    wg: row_vec4_wg_for(n),
                    subgroups: variant.needs_subgroups(),
                }
                .rendered(),
            };
            let source = source
                .ok_or_else(|| ShapeError::new(op, "RMS norm takes no bias", &[x.shape()]))?;
            let mut buffers = vec![x.buffer()];
            buffers.extend(w.map(|t| t.buffer()));
            buffers.extend(b.map(|t| t.buffer()));
            buffers.push(out.buffer());
            let grid = match variant {
                RowVariant::PerThread => row_per_thread_workgroups(rows as u64),
                _ => rowwise_workgroups(rows as u64),
            };
            launch(op, x.device(), &source, &buffers, &params, grid)
        };
        let variant = match variant {
            Some(_) => choose_row_variant(decl, x.device(), n, &offsets, variant)?,
            None if rows == 0 => choose_row_variant(decl, x.device(), n, &offsets, None)?,
            None => {
                let class = format!(
                    "{op}/{dtype}/n{}/rows{}",
                    crate::tuning::bucket(n),
                    crate::tuning::bucket(rows)
                );
                tuned_row_variant(decl, x.device(), &class, n, &offsets, run_kernel)?
            }
        };
        if rows == 0 {
            return Ok(out);
        }
        if host_ops::runs_on_host(x.device()) {
            host_ops::norm(kind, &x, (w, b), eps, &out)?;
            return Ok(out);
        }
        run_kernel(variant)?;
        Ok(out)
    }
}
