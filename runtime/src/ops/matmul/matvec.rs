//! The matrix-vector kernels ([`tessera_kernels::MatvecSpec`]) for decoding
//! shapes, `[.., m, k] @ [.., k, n]` with m of 1 to 8: the layout and load
//! picked from B's strides (a PyTorch Linear weight `W [n, k]` used as
//! `W.transpose(0, 1)` is the k-contiguous case), vec4 where aligned, and the
//! spec's shape from the kernels' table.

use super::operands::DenseOperands;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::ops::launch::launch;
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
pub(super) enum MatvecChoice {
    /// Layout and load from B's strides, the spec from the kernels' table.
    Auto,
    /// Layout and load forced, the spec from the kernels' table.
    Variant(MatvecVariant),
    /// The whole spec forced.
    Spec(MatvecSpec),
}

/// The parameters after A is replaced by a contiguous copy.
fn params_with_contiguous_a(params: &MatmulParams, batch: usize) -> MatmulParams {
    let (m, k) = (params.m, params.k);
    MatmulParams {
        a_off: 0,
        a_sb: if batch > 1 { m.saturating_mul(k) } else { 0 },
        a_sm: k,
        a_sk: 1,
        ..*params
    }
}

/// Run the checked product `ops` through the matvec kernels into `out` (of
/// `ops.out_shape`, not empty) as `choice` says. A forced vec4 variant that
/// does not [fit](MatvecVariant::fits) the operands is a shape error (a
/// k-contiguous vec4 run first copies a misaligned A: it is a few rows).
/// The errors [`run`] gives a forced `choice` that cannot run `ops` (a
/// vec4 variant on unaligned operands, a spec of another dtype), without
/// running it: checked before a split, whose blocks take the planned kernel.
pub(super) fn check_forced(ops: &DenseOperands, choice: MatvecChoice) -> Result<()> {
    let params = ops.params;
    let variant = match choice {
        MatvecChoice::Auto => return Ok(()),
        MatvecChoice::Variant(v) => v,
        MatvecChoice::Spec(s) if s.dtype != ops.dtype => {
            return Err(Error::DType {
                op: OP,
                expected: format!("{} (the spec's dtype)", s.dtype),
                found: ops.dtype,
            })
        }
        MatvecChoice::Spec(s) => s.variant(),
    };
    let copied = params_with_contiguous_a(&params, ops.batch);
    let fits = variant.fits(&params)
        || (variant.layout == MatvecLayout::KContiguous && variant.fits(&copied));
    if fits {
        return Ok(());
    }
    Err(ShapeError::new(
        OP,
        format!("{variant:?} needs aligned vec4 operands: {params:?}"),
        &[ops.lhs.shape(), ops.rhs.shape()],
    )
    .into())
}

pub(super) fn run(ops: &DenseOperands, choice: MatvecChoice, out: &Tensor) -> Result<()> {
    let (mut a, mut params) = (ops.a.clone(), ops.params);
    let auto = MatvecVariant::for_params(&params);
    let variant = match choice {
        MatvecChoice::Auto => auto,
        MatvecChoice::Variant(v) => v,
        MatvecChoice::Spec(s) => s.variant(),
    };
    let contiguous_a = params_with_contiguous_a(&params, ops.batch);
    if variant.layout == MatvecLayout::KContiguous
        && !variant.fits(&params)
        && variant.fits(&contiguous_a)
    {
        // A is small (a few rows): a fresh contiguous copy has offset and
        // strides that are multiples of 4 whenever k is.
        a = a.copy()?;
        params = contiguous_a;
    }
    let variant = match (choice, variant.fits(&params)) {
        (_, true) => variant,
        (MatvecChoice::Auto, false) => MatvecVariant::new(variant.layout, MatvecLoad::Scalar),
        (_, false) => {
            return Err(ShapeError::new(
                OP,
                format!("{variant:?} needs aligned vec4 operands: {params:?}"),
                &[ops.lhs.shape(), ops.rhs.shape()],
            )
            .into())
        }
    };
    let spec = match choice {
        MatvecChoice::Spec(s) => {
            if s.dtype != ops.dtype {
                return Err(Error::DType {
                    op: OP,
                    expected: format!("{} (the spec's dtype)", s.dtype),
                    found: ops.dtype,
                });
            }
            if !s.is_valid() {
                return Err(ShapeError::new(
                    OP,
                    format!("invalid kernel spec {s:?}"),
                    &[ops.lhs.shape(), ops.rhs.shape()],
                )
                .into());
            }
            s
        }
        _ => MatvecSpec::for_shape(ops.dtype, variant, ops.m, ops.n, ops.k),
    };
    // The checks above hold on every backend; a device that runs ops
    // directly runs this one without the kernel.
    if host_ops::runs_on_host(out.device()) {
        return host_ops::matmul(&ops.lhs, &ops.rhs, out);
    }
    launch(
        OP,
        out.device(),
        &spec.rendered(),
        &[a.buffer(), ops.b.buffer(), out.buffer()],
        &params,
        spec.workgroups(ops.m, ops.n, ops.batch),
    )
}
