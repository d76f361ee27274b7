//! Small-m matmul ("matvec") for decoding shapes: `[.., m, k] @ [.., k, n]` with
//! m of 1 to 8, through the kernels of [`tessera_kernels::MatvecSpec`]. Operands
//! are strided views (a PyTorch Linear weight `W [n, k]` used as `W.transpose(0, 1)`
//! is the k-contiguous case); batch dims broadcast as in [`Tensor::matmul`], and a
//! rank-2 right operand folds the left operand's batch into its rows.

use super::elementwise::require_float;
use super::launch::{launch, same_device, to_u32};
use super::matmul::flatten_batch;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::grid::MAX_WORKGROUPS_PER_DIM;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    MatmulParams, MatvecLayout, MatvecLoad, MatvecSpec, MatvecVariant, MATVEC_MAX_ROWS,
};

const OP: &str = "matvec";

/// Whether the matvec kernels suit an `m x k · k x n` product: m of 1 to
/// [`MATVEC_MAX_ROWS`] (one row group, B streamed once) and an n the tuned grid
/// can cover. Any k. [`Tensor::matvec`] also runs larger m, one row group at a time.
pub fn matvec_applicable(m: usize, n: usize, _k: usize) -> bool {
    (1..=MATVEC_MAX_ROWS as usize).contains(&m)
        && (1..=8 * MAX_WORKGROUPS_PER_DIM as usize).contains(&n)
}

/// How the kernel is picked.
#[derive(Clone, Copy)]
enum Choice {
    Auto,
    Variant(MatvecVariant),
    Spec(MatvecSpec),
}

/// A checked call: operands over a flattened batch, parameters, output shape.
struct Plan {
    a: Tensor,
    b: Tensor,
    params: MatmulParams,
    shape: Vec<usize>,
    m: usize,
    n: usize,
    batch: usize,
}

impl Tensor {
    /// `self @ other` through the matvec kernels, variant chosen from B's strides
    /// (vec4 loads where aligned) and tuned for the shape.
    pub fn matvec(&self, other: &Tensor) -> Result<Tensor> {
        self.run_matvec(other, Choice::Auto)
    }

    /// [`Tensor::matvec`] with the layout and load forced (`None`: automatic).
    /// A forced vec4 variant that does not [fit](MatvecVariant::fits) the operands
    /// is a shape error (a k-contiguous vec4 run first copies a misaligned A).
    pub fn matvec_with(&self, other: &Tensor, variant: Option<MatvecVariant>) -> Result<Tensor> {
        self.run_matvec(other, variant.map_or(Choice::Auto, Choice::Variant))
    }

    /// [`Tensor::matvec`] with the whole kernel spec forced (rows, workgroup size,
    /// split), for tests and tuning. Its dtype must be the operands'.
    pub fn matvec_with_spec(&self, other: &Tensor, spec: MatvecSpec) -> Result<Tensor> {
        self.run_matvec(other, Choice::Spec(spec))
    }

    fn run_matvec(&self, other: &Tensor, choice: Choice) -> Result<Tensor> {
        let mut plan = self.matvec_plan(other)?;
        let out = Tensor::uninit(self.device(), self.dtype(), &plan.shape, OP)?;
        if out.numel() == 0 {
            return Ok(out);
        }
        let auto = MatvecVariant::for_params(&plan.params);
        let variant = match choice {
            Choice::Auto => auto,
            Choice::Variant(v) => v,
            Choice::Spec(s) => s.variant(),
        };
        if variant.layout == MatvecLayout::KContiguous
            && !variant.fits(&plan.params)
            && variant.fits(&plan.params_with_contiguous_a())
        {
            plan.contiguous_a()?;
        }
        let variant = match (choice, variant.fits(&plan.params)) {
            (_, true) => variant,
            (Choice::Auto, false) => MatvecVariant::new(variant.layout, MatvecLoad::Scalar),
            (_, false) => {
                return Err(ShapeError::new(
                    OP,
                    format!("{variant:?} needs aligned vec4 operands: {:?}", plan.params),
                    &[self.shape(), other.shape()],
                )
                .into())
            }
        };
        let spec = match choice {
            Choice::Spec(s) => {
                if s.dtype != self.dtype() {
                    return Err(Error::DType {
                        op: OP,
                        expected: format!("{} (the spec's dtype)", s.dtype),
                        found: self.dtype(),
                    });
                }
                if !s.is_valid() {
                    return Err(ShapeError::new(
                        OP,
                        format!("invalid kernel spec {s:?}"),
                        &[self.shape(), other.shape()],
                    )
                    .into());
                }
                s
            }
            _ => MatvecSpec::for_shape(
                self.dtype(),
                variant,
                plan.m,
                plan.n,
                plan.params.k as usize,
            ),
        };
        // The checks above hold on every backend; a device that runs ops
        // directly runs this one without the kernel.
        if host_ops::runs_on_host(self.device()) {
            host_ops::matmul(self, other, &out)?;
            return Ok(out);
        }
        launch(
            OP,
            self.device(),
            &spec.rendered(),
            &[plan.a.buffer(), plan.b.buffer(), out.buffer()],
            &plan.params,
            spec.workgroups(plan.m, plan.n, plan.batch),
        )?;
        Ok(out)
    }

    fn matvec_plan(&self, other: &Tensor) -> Result<Plan> {
        same_device(OP, &[self, other])?;
        require_float(OP, self)?;
        if self.dtype() != other.dtype() {
            return Err(Error::DType {
                op: OP,
                expected: self.dtype().to_string(),
                found: other.dtype(),
            });
        }
        let shapes = [self.shape(), other.shape()];
        if self.rank() < 2 || other.rank() < 2 {
            let msg = "operands need at least 2 dimensions";
            return Err(ShapeError::new(OP, msg, &shapes).into());
        }
        let (ra, rb) = (self.rank(), other.rank());
        let (k, k2) = (self.shape()[ra - 1], other.shape()[rb - 2]);
        let n = other.shape()[rb - 1];
        if k != k2 {
            let msg = format!("inner dimensions differ: {k} vs {k2}");
            return Err(ShapeError::new(OP, msg, &shapes).into());
        }
        if rb == 2 && ra > 2 {
            // [.., m, k] @ [k, n]: the batch folds into the rows, so B is
            // streamed once (a view when self is row-contiguous).
            let rows: usize = self.shape()[..ra - 1].iter().product();
            let mut plan = self.reshape(&[rows, k])?.matvec_plan(other)?;
            plan.shape = self.shape()[..ra - 1].to_vec();
            plan.shape.push(n);
            return Ok(plan);
        }
        let m = self.shape()[ra - 2];
        let batch_shape = broadcast_shapes(OP, &self.shape()[..ra - 2], &other.shape()[..rb - 2])?;
        let batch: usize = batch_shape.iter().product();
        let (a, a_sb) = flatten_batch(self, &batch_shape)?;
        let (b, b_sb) = flatten_batch(other, &batch_shape)?;
        let mut shape = batch_shape;
        shape.extend([m, n]);
        // Every index the kernels form is below offset + Σ (extent-1)·stride of a
        // view that lies inside its buffer, so it fits u32 when the buffer does.
        let (na, nb) = (a.rank(), b.rank());
        let params = MatmulParams {
            m: to_u32(OP, m)?,
            n: to_u32(OP, n)?,
            k: to_u32(OP, k)?,
            batch: to_u32(OP, batch)?,
            a_off: to_u32(OP, a.offset())?,
            b_off: to_u32(OP, b.offset())?,
            c_off: 0,
            pad0: 0,
            a_sb: to_u32(OP, if batch > 1 { a_sb } else { 0 })?,
            a_sm: to_u32(OP, a.strides()[na - 2])?,
            a_sk: to_u32(OP, a.strides()[na - 1])?,
            pad1: 0,
            b_sb: to_u32(OP, if batch > 1 { b_sb } else { 0 })?,
            b_sk: to_u32(OP, b.strides()[nb - 2])?,
            b_sn: to_u32(OP, b.strides()[nb - 1])?,
            pad2: 0,
        };
        Ok(Plan {
            a,
            b,
            params,
            shape,
            m,
            n,
            batch,
        })
    }
}

impl Plan {
    /// The parameters after [`Plan::contiguous_a`].
    fn params_with_contiguous_a(&self) -> MatmulParams {
        let (m, k) = (self.params.m, self.params.k);
        MatmulParams {
            a_off: 0,
            a_sb: if self.batch > 1 {
                m.saturating_mul(k)
            } else {
                0
            },
            a_sm: k,
            a_sk: 1,
            ..self.params
        }
    }

    /// Replace A by a fresh contiguous copy (A is small: a few rows), so its
    /// offset and strides are multiples of 4 whenever k is.
    fn contiguous_a(&mut self) -> Result<()> {
        self.a = self.a.copy()?;
        self.params = self.params_with_contiguous_a();
        Ok(())
    }
}
