//! `x · Wᵀ` with a quantized `W`: host checks, kernel choice, dispatch.

use super::matrix::QuantMatrix;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::ops::launch::{launch, to_u32};
use crate::ops::{KernelCandidate, Needs, OpDeclaration};
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    DType, QuantKernel, QuantMatmulParams, QuantMatvecSpec, QuantTile, QuantTiledSpec,
    QUANT_MATVEC_SUBGROUP_LANES,
};

/// The declaration of `matmul_quant_t` (see [`OpDeclaration`]).
pub(crate) const MATMUL_QUANT_T: OpDeclaration = OpDeclaration {
    name: "matmul_quant_t",
    summary: "x · Wᵀ (+ residual) for a weight in any GGUF quant format",
    api: "Tensor::matmul_quant_t, Tensor::matmul_quant_t_add",
    reference: "quant::dequantize_rows, then reference::matmul",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "matmul_f32(k) / matmul_f16(k)",
    kernels: &[
        KernelCandidate {
            name: "matvec_subgroup",
            spec: "QuantMatvecSpec",
            needs: Needs {
                subgroup_lanes: QUANT_MATVEC_SUBGROUP_LANES,
                f16: false,
            },
            when: "up to 8 rows on host-memory adapters",
        },
        KernelCandidate {
            name: "matvec",
            spec: "QuantMatvecSpec",
            needs: Needs::NOTHING,
            when: "up to 8 rows (split-k)",
        },
        KernelCandidate {
            name: "dequantized",
            spec: "QuantGatherSpec + dense matmul",
            needs: Needs::NOTHING,
            when: "more rows on host-memory adapters, f32 copy under 256 MiB",
        },
        KernelCandidate {
            name: "tiled_wide",
            spec: "QuantTiledSpec",
            needs: Needs::NOTHING,
            when: "more rows on GPUs",
        },
        KernelCandidate {
            name: "tiled_fat",
            spec: "QuantTiledSpec",
            needs: Needs::NOTHING,
            when: "more rows on host-memory adapters past the f32 copy limit",
        },
    ],
    tuned: false,
    conformance: crate::conformance::matmul_quant_t,
};

const OP: &str = "matmul_quant_t";

/// Largest f32 copy of a weight [`QuantKernel::Dequantized`] makes when the
/// kernel is chosen automatically; past it (or the device's binding limit)
/// the fat tile reads the quantized weight directly.
const DEQUANTIZED_MAX_BYTES: u64 = 256 << 20;

impl Tensor {
    /// `self [..., k] · wᵀ` for a quantized `w` of `n` rows × `k` columns:
    /// a `[..., n]` tensor of `self`'s dtype (f32 or f16; f32 accumulation),
    /// what a Linear layer without bias computes. The leading dims are
    /// flattened into `m` rows: up to 8 go to the split-k matvec kernel, more
    /// to the tiled one on a GPU and, on a software adapter, to the dense
    /// matmul over the weight dequantized to f32 (the fat tile when that copy
    /// would exceed 256 MiB). A
    /// non-contiguous (or misaligned) `self` is copied first. Errors: a last
    /// dim other than `k` or a scalar (shape errors), a non-float dtype,
    /// another device, a grid beyond the device's limits.
    pub fn matmul_quant_t(&self, w: &QuantMatrix) -> Result<Tensor> {
        self.matmul_quant_t_with(w, None)
    }

    /// [`Tensor::matmul_quant_t`] with the kernel forced (`None`: chosen by
    /// [`QuantKernel::for_shape`]). Every kernel takes any number of rows.
    pub fn matmul_quant_t_with(
        &self,
        w: &QuantMatrix,
        kernel: Option<QuantKernel>,
    ) -> Result<Tensor> {
        self.quant_product(w, kernel, None)
    }

    /// `self · wᵀ + residual` ([`Tensor::matmul_quant_t`] then a residual
    /// connection), with `residual` of the product's shape and dtype. Up to 8
    /// rows it is one dispatch: the matvec kernel adds a contiguous residual
    /// in its store; otherwise the sum is a second op.
    pub fn matmul_quant_t_add(&self, w: &QuantMatrix, residual: &Tensor) -> Result<Tensor> {
        self.quant_product(w, None, Some(residual))
    }

    /// The product with the kernel forced or chosen, plus `residual` if given.
    fn quant_product(
        &self,
        w: &QuantMatrix,
        kernel: Option<QuantKernel>,
        residual: Option<&Tensor>,
    ) -> Result<Tensor> {
        self.same_device(OP, w.quants())?;
        if !self.dtype().is_float() {
            return Err(Error::DType {
                op: OP,
                expected: "f32 or f16".into(),
                found: self.dtype(),
            });
        }
        let (n, k) = (w.rows(), w.cols());
        let shapes: [&[usize]; 2] = [self.shape(), &[n, k]];
        let Some((&x_k, lead)) = self.shape().split_last() else {
            return Err(ShapeError::new(OP, "x needs at least one dimension", &shapes).into());
        };
        if x_k != k {
            let msg = format!("x has {x_k} columns, the weight {k}");
            return Err(ShapeError::new(OP, msg, &shapes).into());
        }
        let m: usize = lead.iter().product();
        let mut shape = lead.to_vec();
        shape.push(n);
        if let Some(r) = residual {
            self.same_device(OP, r)?;
            if r.shape() != shape.as_slice() || r.dtype() != self.dtype() {
                let msg = format!("the residual must be {shape:?} {}", self.dtype());
                return Err(ShapeError::new(OP, msg, &[self.shape(), &[n, k], r.shape()]).into());
            }
        }
        if host_ops::runs_on_host(self.device()) {
            let out = Tensor::uninit(self.device(), self.dtype(), &shape, OP)?;
            if m > 0 {
                let dense = w.dequantize_to_f32()?;
                host_ops::matmul_t(self, &dense, n, residual, &out)?;
            }
            return Ok(out);
        }
        let adapter = self.device().adapter();
        let software = adapter.features.host_memory;
        let dense_bytes = (n as u64).saturating_mul(k as u64).saturating_mul(4);
        let dense_limit = DEQUANTIZED_MAX_BYTES.min(adapter.limits.max_storage_buffer_binding_size);
        let kernel = kernel.unwrap_or_else(|| match QuantKernel::for_shape(m, software) {
            QuantKernel::Dequantized if dense_bytes > dense_limit => {
                QuantKernel::Tiled(QuantTile::Fat)
            }
            choice => choice,
        });
        // The matvec kernel adds a contiguous residual from offset 0 in its store.
        let fused = residual
            .filter(|r| kernel == QuantKernel::Matvec && r.is_contiguous() && r.offset() == 0);
        if let (Some(r), None) = (residual, fused) {
            return self.quant_product(w, Some(kernel), None)?.add(r);
        }
        if kernel == QuantKernel::Dequantized && m > 0 {
            return self.dequantized_product(w, &shape);
        }
        let out = Tensor::uninit(self.device(), self.dtype(), &shape, OP)?;
        if m == 0 {
            return Ok(out);
        }
        // The kernels read x as vec4 rows: contiguous from a multiple of 4.
        let x = if self.is_contiguous() && self.offset().is_multiple_of(4) {
            self.clone()
        } else {
            self.copy()?
        };
        let (source, grid) = match kernel {
            QuantKernel::Matvec => {
                let mut spec = QuantMatvecSpec {
                    residual: fused.is_some(),
                    ..QuantMatvecSpec::for_shape(w.format(), x.dtype(), m, n, k)
                };
                // On a software adapter with subgroups of 8+ lanes, the form
                // that shares x through broadcasts (a quarter of the loads).
                if software
                    && adapter
                        .features
                        .has_subgroups_of(QUANT_MATVEC_SUBGROUP_LANES)
                {
                    spec = spec.software();
                }
                (spec.rendered(), spec.grid(m, n))
            }
            QuantKernel::Tiled(tile) => {
                let spec = QuantTiledSpec {
                    format: w.format(),
                    dtype: x.dtype(),
                    tile,
                };
                (spec.rendered(), spec.grid(m, n))
            }
            QuantKernel::Dequantized => unreachable!("returned above"),
        };
        let params = QuantMatmulParams {
            m: to_u32(OP, m)?,
            n: to_u32(OP, n)?,
            k: to_u32(OP, k)?,
            blocks: to_u32(OP, w.blocks_per_row())?,
            x_off: to_u32(OP, x.offset())?,
            out_off: 0,
            col_groups: grid.map_or(0, |g| g.col_groups),
            groups: grid.map_or(0, |g| g.groups),
        };
        let mut buffers = vec![
            x.buffer(),
            w.quants().buffer(),
            w.scales().buffer(),
            out.buffer(),
        ];
        buffers.extend(fused.map(Tensor::buffer));
        launch(
            OP,
            self.device(),
            &source,
            &buffers,
            &params,
            grid.map(|g| g.workgroups),
        )?;
        Ok(out)
    }

    /// [`QuantKernel::Dequantized`]: `w` dequantized to f32 on the device,
    /// then the dense matmul (x in f32, the result cast back to x's dtype).
    /// The leading dims are flattened into rows first (`shape` is the result's).
    fn dequantized_product(&self, w: &QuantMatrix, shape: &[usize]) -> Result<Tensor> {
        let dense = w.dequantize()?;
        let rows = self.numel() / w.cols();
        let x = self.reshape(&[rows, w.cols()])?;
        let x = match self.dtype() {
            DType::F32 => x,
            _ => x.cast(DType::F32)?,
        };
        let product = x.matmul(&dense.transpose(0, 1)?)?.reshape(shape)?;
        match self.dtype() {
            DType::F32 => Ok(product),
            dtype => product.cast(dtype),
        }
    }
}
