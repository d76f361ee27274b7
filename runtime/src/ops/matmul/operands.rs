//! The host checks of the matmul family, the same on every backend: a dense
//! product's operands flattened over their broadcast batch
//! ([`DenseOperands`]), and a weight product's rows and residual
//! ([`QuantOperands`]).

use crate::error::{Error, Result, ShapeError};
use crate::ops::elementwise::require_float;
use crate::ops::launch::{same_device, to_u32};
use crate::quant::QuantMatrix;
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::{DType, MatmulParams, OperandLayout};

/// A `[batch.., rows, cols]` operand viewed as `(batch stride, row stride, col stride)`
/// over the flattened batch; copies first when the batch dims do not collapse.
fn flatten_batch(t: &Tensor, batch_shape: &[usize]) -> Result<(Tensor, usize)> {
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

/// A checked dense product `[.., m, k] @ [.., k, n]`: the operands over one
/// flattened batch, their layouts and the kernels' parameters.
pub(crate) struct DenseOperands {
    /// Element type of both operands and the result.
    pub dtype: DType,
    /// Rows of the left operand (after folding, see [`DenseOperands::check`]).
    pub m: usize,
    /// Columns of the right operand.
    pub n: usize,
    /// The inner dimension.
    pub k: usize,
    /// Matrices in the flattened batch.
    pub batch: usize,
    /// The left operand as checked (its batch folded into its rows when the
    /// right operand is a matrix), for the CPU backend.
    pub lhs: Tensor,
    /// The right operand as given, for the CPU backend.
    pub rhs: Tensor,
    /// The left operand broadcast over the batch (copied if it did not collapse).
    pub a: Tensor,
    /// The right operand broadcast over the batch (copied if it did not collapse).
    pub b: Tensor,
    /// A's strides as the tile kernels read them.
    pub a_layout: OperandLayout,
    /// B's strides as the tile kernels read them.
    pub b_layout: OperandLayout,
    /// The uniform of every dense kernel.
    pub params: MatmulParams,
    /// The result's shape: the broadcast batch (or A's leading dims), m, n.
    pub out_shape: Vec<usize>,
}

impl DenseOperands {
    /// Check `a @ b` for `op` (errors name it): one device, one float dtype,
    /// rank 2 or more, equal inner dimensions, batch dims that broadcast.
    /// `[.., m, k] @ [k, n]` folds A's batch into its rows (a view when A is
    /// row-contiguous): one product over B instead of many short ones.
    pub fn check(op: &'static str, a: &Tensor, b: &Tensor) -> Result<DenseOperands> {
        same_device(op, &[a, b])?;
        require_float(op, a)?;
        if a.dtype() != b.dtype() {
            return Err(Error::DType {
                op,
                expected: a.dtype().to_string(),
                found: b.dtype(),
            });
        }
        let shapes = [a.shape(), b.shape()];
        if a.rank() < 2 || b.rank() < 2 {
            let msg = "operands need at least 2 dimensions";
            return Err(ShapeError::new(op, msg, &shapes).into());
        }
        let (ra, rb) = (a.rank(), b.rank());
        let (k, k2, n) = (a.shape()[ra - 1], b.shape()[rb - 2], b.shape()[rb - 1]);
        if k != k2 {
            let msg = format!("inner dimensions differ: {k} vs {k2}");
            return Err(ShapeError::new(op, msg, &shapes).into());
        }
        if rb == 2 && ra > 2 {
            let rows: usize = a.shape()[..ra - 1].iter().product();
            let mut folded = DenseOperands::check(op, &a.reshape(&[rows, k])?, b)?;
            folded.out_shape = a.shape()[..ra - 1].to_vec();
            folded.out_shape.push(n);
            return Ok(folded);
        }
        let m = a.shape()[ra - 2];
        let batch_shape = broadcast_shapes(op, &a.shape()[..ra - 2], &b.shape()[..rb - 2])?;
        let batch: usize = batch_shape.iter().product();
        let (fa, a_sb) = flatten_batch(a, &batch_shape)?;
        let (fb, b_sb) = flatten_batch(b, &batch_shape)?;
        let (a_sb, b_sb) = match batch > 1 {
            true => (a_sb, b_sb),
            false => (0, 0),
        };
        // Every index the kernels form is below offset + Σ (extent-1)·stride of a
        // view that lies inside its buffer, so it fits u32 when the buffer does.
        let (na, nb) = (fa.rank(), fb.rank());
        let a_layout = OperandLayout {
            offset: fa.offset(),
            batch_stride: a_sb,
            outer_stride: fa.strides()[na - 2],
            k_stride: fa.strides()[na - 1],
        };
        let b_layout = OperandLayout {
            offset: fb.offset(),
            batch_stride: b_sb,
            outer_stride: fb.strides()[nb - 1],
            k_stride: fb.strides()[nb - 2],
        };
        let params = MatmulParams {
            m: to_u32(op, m)?,
            n: to_u32(op, n)?,
            k: to_u32(op, k)?,
            batch: to_u32(op, batch)?,
            a_off: to_u32(op, fa.offset())?,
            b_off: to_u32(op, fb.offset())?,
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
        let mut out_shape = batch_shape;
        out_shape.extend([m, n]);
        Ok(DenseOperands {
            dtype: a.dtype(),
            m,
            n,
            k,
            batch,
            lhs: a.clone(),
            rhs: b.clone(),
            a: fa,
            b: fb,
            a_layout,
            b_layout,
            params,
            out_shape,
        })
    }
}

/// A checked weight product `x [.., k] · Wᵀ (+ residual)` for a quantized
/// `W` of `n` rows of `k` values.
pub(crate) struct QuantOperands {
    /// Rows of x: its leading dims flattened.
    pub m: usize,
    /// Rows of W: columns of the result.
    pub n: usize,
    /// Columns of x and W.
    pub k: usize,
    /// The result's shape: x's leading dims, then n.
    pub out_shape: Vec<usize>,
}

impl QuantOperands {
    /// Check `x · wᵀ + residual` for `op`: one device, a float x whose last
    /// dim is w's columns, a residual of the result's shape and dtype.
    pub fn check(
        op: &'static str,
        x: &Tensor,
        w: &QuantMatrix,
        residual: Option<&Tensor>,
    ) -> Result<QuantOperands> {
        x.same_device(op, w.quants())?;
        require_float(op, x)?;
        let (n, k) = (w.rows(), w.cols());
        let shapes: [&[usize]; 2] = [x.shape(), &[n, k]];
        let Some((&x_k, lead)) = x.shape().split_last() else {
            return Err(ShapeError::new(op, "x needs at least one dimension", &shapes).into());
        };
        if x_k != k {
            let msg = format!("x has {x_k} columns, the weight {k}");
            return Err(ShapeError::new(op, msg, &shapes).into());
        }
        let mut out_shape = lead.to_vec();
        out_shape.push(n);
        if let Some(r) = residual {
            x.same_device(op, r)?;
            if r.shape() != out_shape.as_slice() || r.dtype() != x.dtype() {
                let msg = format!("the residual must be {out_shape:?} {}", x.dtype());
                return Err(ShapeError::new(op, msg, &[x.shape(), &[n, k], r.shape()]).into());
            }
        }
        Ok(QuantOperands {
            m: lead.iter().product(),
            n,
            k,
            out_shape,
        })
    }
}
