//! Batched matrix multiply with numpy batch broadcasting. Transposed operands are
//! passed as strided views: no copy unless the batch dims cannot be flattened to a
//! single stride. The kernel is chosen per call class by the tuner (see
//! [`crate::tuning`]) among the variants of [`MatmulVariant`].

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise::require_float;
use super::launch::{same_device, to_u32};
use super::matmul_variants::{MatmulPlan, MatmulVariant};
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::DType;
use tessera_kernels::{MatmulParams, MatmulTile, OperandLayout};

/// The declaration of `matmul` (see [`OpDeclaration`]).
pub(crate) const MATMUL: OpDeclaration = OpDeclaration {
    name: "matmul",
    summary: "[.., m, k] @ [.., k, n] with batch broadcasting and strided operands",
    api: "Tensor::matmul",
    reference: "reference::matmul",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "matmul_f32(k) / matmul_f16(k)",
    kernels: &[
        KernelCandidate {
            name: "matvec",
            spec: "MatvecSpec",
            needs: Needs::NOTHING,
            when: "1 <= m <= 8 on GPUs",
        },
        KernelCandidate {
            name: "blocked",
            spec: "BlockedMatmulSpec",
            needs: Needs::NOTHING,
            when: "m, n >= 64: register-blocked tiles",
        },
        KernelCandidate {
            name: "subgroup",
            spec: "SubgroupMatmulSpec",
            needs: Needs::SUBGROUPS,
            when: "m, n >= 64 on host-memory adapters",
        },
        KernelCandidate {
            name: "tile64",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "large outputs",
        },
        KernelCandidate {
            name: "tile64fat",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "large outputs on host-memory adapters",
        },
        KernelCandidate {
            name: "tile16",
            spec: "MatmulSpec",
            needs: Needs::NOTHING,
            when: "small outputs",
        },
    ],
    tuned: true,
    conformance: crate::conformance::matmul,
};

/// A `[batch.., rows, cols]` operand viewed as `(batch stride, row stride, col stride)`
/// over the flattened batch; copies first when the batch dims do not collapse.
pub(super) fn flatten_batch(t: &Tensor, batch_shape: &[usize]) -> Result<(Tensor, usize)> {
    let r = t.rank();
    let mut full = batch_shape.to_vec();
    full.extend_from_slice(&t.shape()[r - 2..]);
    let view = t.broadcast_to(&full)?;
    let nb = batch_shape.len();
    let dims: Vec<(usize, usize)> = (0..nb)
        .map(|i| (view.shape()[i], view.strides()[i]))
        .filter(|&(d, _)| d != 1)
        .collect();
    let collapsible = dims.windows(2).all(|w| w[0].1 == w[1].1 * w[1].0);
    if collapsible {
        let stride = dims.last().map_or(0, |&(_, s)| s);
        return Ok((view, stride));
    }
    let c = view.contiguous()?;
    let stride = c.shape()[nb] * c.shape()[nb + 1];
    Ok((c, stride))
}

impl Tensor {
    /// `self @ other` for `[.., m, k] @ [.., k, n]` with broadcast batch dims.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        self.matmul_with_variant(other, None)
    }

    /// [`Tensor::matmul`] with one of the strided tiles forced (`None`: automatic).
    pub fn matmul_with_tile(&self, other: &Tensor, tile: Option<MatmulTile>) -> Result<Tensor> {
        self.matmul_with_variant(other, tile.map(MatmulVariant::Tiled))
    }

    /// The variants that can run `self @ other` (for tests and benchmarks).
    pub fn matmul_variants(&self, other: &Tensor) -> Result<Vec<MatmulVariant>> {
        if let Some((flat, other)) = self.folded(other)? {
            return flat.matmul_variants(other);
        }
        let plan = self.matmul_plan(other)?;
        Ok(MatmulVariant::all()
            .into_iter()
            .filter(|&v| plan.inner.applies(v))
            .collect())
    }

    /// [`Tensor::matmul`] with the kernel forced (`None`: the tuned or heuristic
    /// choice). A forced variant that cannot run these operands is a shape error.
    pub fn matmul_with_variant(
        &self,
        other: &Tensor,
        variant: Option<MatmulVariant>,
    ) -> Result<Tensor> {
        if let Some((flat, other)) = self.folded(other)? {
            let mut shape = self.shape()[..self.rank() - 1].to_vec();
            shape.push(other.shape()[1]);
            return flat.matmul_with_variant(other, variant)?.reshape(&shape);
        }
        let plan = self.matmul_plan(other)?;
        let mut shape = plan.batch_shape.clone();
        shape.extend([plan.inner.m, plan.inner.n]);
        let out = Tensor::uninit(self.device(), self.dtype(), &shape, "matmul")?;
        if out.numel() == 0 {
            return Ok(out);
        }
        let plan = plan.inner;
        let variant = match variant {
            Some(v) => v,
            None => plan.choose(&out),
        };
        if variant == MatmulVariant::Matvec {
            if !plan.applies(variant) {
                return Err(ShapeError::new(
                    "matmul",
                    "the matvec variant needs 1 <= m <= 8",
                    &[self.shape(), other.shape()],
                )
                .into());
            }
            return self.matvec(other);
        }
        // A forced variant must fit on every backend; a device that runs ops
        // directly then runs the op without the kernel.
        if host_ops::runs_on_host(self.device()) {
            if !plan.applies(variant) {
                return Err(plan.unavailable(variant));
            }
            host_ops::matmul(self, other, &out)?;
            return Ok(out);
        }
        plan.run(variant, &out)?;
        Ok(out)
    }

    /// `[.., m, k] @ [k, n]` as one `[rows, k] @ [k, n]` matmul (a view when
    /// self is row-contiguous): one big matmul instead of many short ones.
    fn folded<'o>(&self, other: &'o Tensor) -> Result<Option<(Tensor, &'o Tensor)>> {
        let (ra, rb) = (self.rank(), other.rank());
        if rb != 2 || ra <= 2 {
            return Ok(None);
        }
        let k = self.shape()[ra - 1];
        let rows: usize = self.shape()[..ra - 1].iter().product();
        Ok(Some((self.reshape(&[rows, k])?, other)))
    }

    fn matmul_plan(&self, other: &Tensor) -> Result<BatchedPlan> {
        let op = "matmul";
        same_device(op, &[self, other])?;
        require_float(op, self)?;
        if self.dtype() != other.dtype() {
            return Err(Error::DType {
                op,
                expected: self.dtype().to_string(),
                found: other.dtype(),
            });
        }
        if self.rank() < 2 || other.rank() < 2 {
            return Err(ShapeError::new(
                op,
                "operands need at least 2 dimensions",
                &[self.shape(), other.shape()],
            )
            .into());
        }
        let (ra, rb) = (self.rank(), other.rank());
        let (m, k) = (self.shape()[ra - 2], self.shape()[ra - 1]);
        let (k2, n) = (other.shape()[rb - 2], other.shape()[rb - 1]);
        if k != k2 {
            return Err(ShapeError::new(
                op,
                format!("inner dimensions differ: {k} vs {k2}"),
                &[self.shape(), other.shape()],
            )
            .into());
        }
        let batch_shape = broadcast_shapes(op, &self.shape()[..ra - 2], &other.shape()[..rb - 2])?;
        let batch: usize = batch_shape.iter().product();
        let (a, a_sb) = flatten_batch(self, &batch_shape)?;
        let (b, b_sb) = flatten_batch(other, &batch_shape)?;
        // Every index the kernels form is below offset + Σ (extent-1)·stride of a
        // view that lies inside its buffer, so it fits u32 when the buffer does.
        let (na, nbr) = (a.rank(), b.rank());
        let a_layout = OperandLayout {
            offset: a.offset(),
            batch_stride: if batch > 1 { a_sb } else { 0 },
            outer_stride: a.strides()[na - 2],
            k_stride: a.strides()[na - 1],
        };
        let b_layout = OperandLayout {
            offset: b.offset(),
            batch_stride: if batch > 1 { b_sb } else { 0 },
            outer_stride: b.strides()[nbr - 1],
            k_stride: b.strides()[nbr - 2],
        };
        let params = MatmulParams {
            m: to_u32(op, m)?,
            n: to_u32(op, n)?,
            k: to_u32(op, k)?,
            batch: to_u32(op, batch)?,
            a_off: to_u32(op, a.offset())?,
            b_off: to_u32(op, b.offset())?,
            c_off: 0,
            pad0: 0,
            a_sb: to_u32(op, a_sb)?,
            a_sm: to_u32(op, a_layout.outer_stride)?,
            a_sk: to_u32(op, a_layout.k_stride)?,
            pad1: 0,
            b_sb: to_u32(op, b_sb)?,
            b_sk: to_u32(op, b_layout.k_stride)?,
            b_sn: to_u32(op, b_layout.outer_stride)?,
            pad2: 0,
        };
        Ok(BatchedPlan {
            batch_shape,
            inner: MatmulPlan {
                dtype: self.dtype(),
                m,
                n,
                k,
                batch,
                a,
                b,
                a_layout,
                b_layout,
                params,
            },
        })
    }
}

/// A plan with the broadcast batch shape of the output.
struct BatchedPlan {
    batch_shape: Vec<usize>,
    inner: MatmulPlan,
}
