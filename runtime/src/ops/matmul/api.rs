//! The `Tensor` methods of the matmul family: [`Tensor::matmul`] for a dense
//! right operand and [`Tensor::matmul_t`] for `x · Wᵀ` with a [`Weight`] of
//! any storage, plus the forced-kernel forms tests and benchmarks use. Each
//! checks its operands ([`super::operands`]), lets [`super::plan`] pick the
//! kernel, and runs it (or, on the CPU backend, the reference).

use super::dense::MatmulVariant;
use super::matvec::{self, MatvecChoice};
use super::operands::{DenseOperands, QuantOperands};
use super::plan::quant_kernel;
use super::quant;
use super::split;
use super::weight::Weight;
use crate::error::{Result, ShapeError};
use crate::host_ops;
use crate::ops::concat;
use crate::quant::{QuantKernel, QuantMatrix};
use crate::tensor::Tensor;
use tessera_kernels::{DType, MatmulTile, MatvecSpec, MatvecVariant};

const QUANT_OP: &str = "matmul_quant_t";

impl Tensor {
    /// `self @ other` for `[.., m, k] @ [.., k, n]` with broadcast batch dims.
    /// Transposed operands are passed as strided views: no copy unless the
    /// batch dims cannot be flattened to a single stride. The kernel (a tile,
    /// or the matrix-vector kernels for a few rows) is the tuned choice for
    /// the call's class on this adapter (see [`crate::tuning`]).
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        self.matmul_with_variant(other, None)
    }

    /// [`Tensor::matmul`] without the split check, for a product that cannot
    /// be split (the launch reports an operand past the binding).
    pub(super) fn matmul_unsplit(&self, other: &Tensor) -> Result<Tensor> {
        let ops = DenseOperands::check("matmul", self, other)?;
        let out = Tensor::uninit(self.device(), self.dtype(), &ops.out_shape, "matmul")?;
        match ops.choose(&out) {
            _ if out.numel() == 0 => {}
            MatmulVariant::Matvec => matvec::run(&ops, MatvecChoice::Auto, &out)?,
            variant => ops.run(variant, &out)?,
        }
        Ok(out)
    }

    /// [`Tensor::matmul`] with one of the strided tiles forced (`None`: automatic).
    pub fn matmul_with_tile(&self, other: &Tensor, tile: Option<MatmulTile>) -> Result<Tensor> {
        self.matmul_with_variant(other, tile.map(MatmulVariant::Tiled))
    }

    /// The variants that can run `self @ other` (for tests and benchmarks).
    pub fn matmul_variants(&self, other: &Tensor) -> Result<Vec<MatmulVariant>> {
        let ops = DenseOperands::check("matmul", self, other)?;
        Ok(MatmulVariant::all()
            .into_iter()
            .filter(|&v| ops.applies(v))
            .collect())
    }

    /// [`Tensor::matmul`] with the kernel forced (`None`: the tuned or heuristic
    /// choice). A forced variant that cannot run these operands is a shape error.
    pub fn matmul_with_variant(
        &self,
        other: &Tensor,
        variant: Option<MatmulVariant>,
    ) -> Result<Tensor> {
        let ops = DenseOperands::check("matmul", self, other)?;
        if variant.is_none() && !host_ops::runs_on_host(self.device()) {
            let out_bytes = ops.out_shape.iter().product::<usize>() * self.dtype().size_in_bytes();
            if split::dense_needs_split(self, other, out_bytes) {
                return split::split_matmul(self, other);
            }
        }
        let out = Tensor::uninit(self.device(), self.dtype(), &ops.out_shape, "matmul")?;
        if out.numel() == 0 {
            return Ok(out);
        }
        let variant = variant.unwrap_or_else(|| ops.choose(&out));
        if variant == MatmulVariant::Matvec {
            if !ops.applies(variant) {
                let msg = "the matvec variant needs 1 <= m <= 8";
                return Err(ShapeError::new("matmul", msg, &[self.shape(), other.shape()]).into());
            }
            matvec::run(&ops, MatvecChoice::Auto, &out)?;
            return Ok(out);
        }
        // A forced variant must fit on every backend; a device that runs ops
        // directly then runs the op without the kernel.
        if host_ops::runs_on_host(self.device()) {
            if !ops.applies(variant) {
                return Err(ops.unavailable(variant));
            }
            host_ops::matmul(&ops.lhs, &ops.rhs, &out)?;
            return Ok(out);
        }
        ops.run(variant, &out)?;
        Ok(out)
    }

    /// `self @ other` through the matrix-vector kernels (any m, one row group
    /// at a time), the layout and load chosen from B's strides (vec4 loads
    /// where aligned); what [`Tensor::matmul`] runs for up to 8 rows on GPUs.
    pub fn matvec(&self, other: &Tensor) -> Result<Tensor> {
        self.run_matvec(other, MatvecChoice::Auto)
    }

    /// [`Tensor::matvec`] with the layout and load forced (`None`: automatic).
    /// Operands past one storage binding split into products that fit, each
    /// with the planned kernel (the forced one is then not used).
    /// A forced vec4 variant that does not [fit](MatvecVariant::fits) the operands
    /// is a shape error (a k-contiguous vec4 run first copies a misaligned A).
    pub fn matvec_with(&self, other: &Tensor, variant: Option<MatvecVariant>) -> Result<Tensor> {
        self.run_matvec(
            other,
            variant.map_or(MatvecChoice::Auto, MatvecChoice::Variant),
        )
    }

    /// [`Tensor::matvec`] with the whole kernel spec forced (rows, workgroup size,
    /// split), for tests and tuning. Its dtype must be the operands'.
    pub fn matvec_with_spec(&self, other: &Tensor, spec: MatvecSpec) -> Result<Tensor> {
        self.run_matvec(other, MatvecChoice::Spec(spec))
    }

    fn run_matvec(&self, other: &Tensor, choice: MatvecChoice) -> Result<Tensor> {
        let ops = DenseOperands::check("matvec", self, other)?;
        if !host_ops::runs_on_host(self.device()) {
            let out_bytes = ops.out_shape.iter().product::<usize>() * self.dtype().size_in_bytes();
            if split::dense_needs_split(self, other, out_bytes) {
                // Blocks that fit, each with the planned kernel.
                matvec::check_forced(&ops, choice)?;
                return split::split_matmul(self, other);
            }
        }
        let out = Tensor::uninit(self.device(), self.dtype(), &ops.out_shape, "matvec")?;
        if out.numel() > 0 {
            matvec::run(&ops, choice, &out)?;
        }
        Ok(out)
    }

    /// `self [.., k] · wᵀ` for a weight `w` of `n` rows × `k` columns in any
    /// storage: a `[.., n]` tensor of `self`'s dtype, what a Linear layer
    /// without bias computes. A dense weight runs [`Tensor::matmul`] on its
    /// transposed view (its dtype must be `self`'s); a quantized one its
    /// kernels (f32 accumulation): up to 8 rows of x the split-k matvec
    /// kernel, more the tiled one on a GPU and, on a software adapter, the
    /// dense matmul over the weight dequantized to f32 (the fat tile when
    /// that copy would exceed 256 MiB); row blocks each, concatenated.
    /// Errors: a last dim other than `k` or a scalar, a dense weight that is
    /// not a matrix (shape errors), a non-float dtype, another device, a grid
    /// beyond the device's limits.
    pub fn matmul_t(&self, w: &Weight) -> Result<Tensor> {
        match w {
            Weight::Dense(t) if !t.fits_binding() && !host_ops::runs_on_host(t.device()) => {
                self.matmul_t(&split::weight_row_blocks(t)?)
            }
            Weight::Dense(t) => self.matmul(&dense_transposed(t)?),
            Weight::Quant(q) => self.quant_product(q, None, None),
            Weight::Rows(parts) => {
                let outs = parts
                    .iter()
                    .map(|p| self.matmul_t(p))
                    .collect::<Result<Vec<_>>>()?;
                let refs: Vec<&Tensor> = outs.iter().collect();
                concat(&refs, self.rank().max(1) - 1)
            }
        }
    }

    /// `self · wᵀ + residual` ([`Tensor::matmul_t`] then a residual
    /// connection), with `residual` of the product's shape and dtype. For a
    /// quantized weight and up to 8 rows it is one dispatch: the matvec kernel
    /// adds a contiguous residual in its store; otherwise the sum is a second op.
    pub fn matmul_t_add(&self, w: &Weight, residual: &Tensor) -> Result<Tensor> {
        match w {
            Weight::Quant(q) => self.quant_product(q, None, Some(residual)),
            _ => self.matmul_t(w)?.add(residual),
        }
    }

    /// [`Tensor::matmul_t`] for a bare [`QuantMatrix`] with the kernel forced
    /// (`None`: the plan's choice; errors name the op `matmul_quant_t`), for
    /// tests and benchmarks. Applications hold weights as [`Weight`] (or
    /// [`crate::nn::Linear`]). Every kernel takes any number of rows.
    pub fn matmul_quant_t_with(
        &self,
        w: &QuantMatrix,
        kernel: Option<QuantKernel>,
    ) -> Result<Tensor> {
        self.quant_product(w, kernel, None)
    }

    /// The quantized product with the kernel forced or planned, plus `residual`.
    fn quant_product(
        &self,
        w: &QuantMatrix,
        kernel: Option<QuantKernel>,
        residual: Option<&Tensor>,
    ) -> Result<Tensor> {
        let ops = QuantOperands::check(QUANT_OP, self, w, residual)?;
        if host_ops::runs_on_host(self.device()) {
            let out = Tensor::uninit(self.device(), self.dtype(), &ops.out_shape, QUANT_OP)?;
            if ops.m > 0 {
                let dense = w.dequantize_to_f32()?;
                host_ops::matmul_t(self, &dense, ops.n, residual, &out)?;
            }
            return Ok(out);
        }
        let kernel =
            kernel.unwrap_or_else(|| quant_kernel(ops.m, ops.n, ops.k, self.device().adapter()));
        // The matvec kernel adds a contiguous residual from offset 0 in its store.
        let fused = residual
            .filter(|r| kernel == QuantKernel::Matvec && r.is_contiguous() && r.offset() == 0);
        if let (Some(r), None) = (residual, fused) {
            return self.quant_product(w, Some(kernel), None)?.add(r);
        }
        let tile = match kernel {
            QuantKernel::Matvec => None,
            QuantKernel::Tiled(tile) => Some(tile),
            QuantKernel::Dequantized if ops.m > 0 => {
                return self.dequantized_product(w, &ops.out_shape)
            }
            // Nothing to compute: any kernel's empty result.
            QuantKernel::Dequantized => None,
        };
        let out = Tensor::uninit(self.device(), self.dtype(), &ops.out_shape, QUANT_OP)?;
        if ops.m > 0 {
            quant::run(self, w, &ops, tile, fused, &out)?;
        }
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

/// A dense `[out, in]` weight as the `[in, out]` right operand of a matmul
/// (a view); a weight of another rank is a shape error.
fn dense_transposed(w: &Tensor) -> Result<Tensor> {
    if w.rank() != 2 {
        let msg = "a dense weight must be [out, in]";
        return Err(ShapeError::new("matmul_t", msg, &[w.shape()]).into());
    }
    w.transpose(0, 1)
}
