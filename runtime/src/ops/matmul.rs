//! Batched matrix multiply with numpy batch broadcasting. Transposed operands are
//! passed as strided views: no copy unless the batch dims cannot be flattened to a
//! single stride.

use super::elementwise::require_float;
use super::launch::{launch, same_device, to_u32};
use crate::error::{Error, Result, ShapeError};
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::{MatmulParams, MatmulSpec, MatmulTile};

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

impl Tensor {
    /// `self @ other` for `[.., m, k] @ [.., k, n]` with broadcast batch dims.
    pub fn matmul(&self, other: &Tensor) -> Result<Tensor> {
        self.matmul_with_tile(other, None)
    }

    /// [`Tensor::matmul`] with the kernel tile forced (`None`: chosen by output
    /// size and adapter type). For tests and benchmarks of each variant.
    pub fn matmul_with_tile(&self, other: &Tensor, tile: Option<MatmulTile>) -> Result<Tensor> {
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
        if rb == 2 && ra > 2 {
            // [.., m, k] @ [k, n]: fold the batch into the rows, one big matmul
            // instead of many short ones (a view when self is row-contiguous).
            let rows: usize = self.shape()[..ra - 1].iter().product();
            let flat = self.reshape(&[rows, k])?.matmul_with_tile(other, tile)?;
            let mut shape = self.shape()[..ra - 1].to_vec();
            shape.push(n);
            return flat.reshape(&shape);
        }
        let batch_shape = broadcast_shapes(op, &self.shape()[..ra - 2], &other.shape()[..rb - 2])?;
        let batch: usize = batch_shape.iter().product();
        let (a, a_sb) = flatten_batch(self, &batch_shape)?;
        let (b, b_sb) = flatten_batch(other, &batch_shape)?;
        let mut shape = batch_shape.clone();
        shape.extend([m, n]);
        let out = Tensor::uninit(self.device(), self.dtype(), &shape, op)?;
        if out.numel() == 0 {
            return Ok(out);
        }
        // Every index the kernel forms is below offset + Σ (extent-1)·stride of a
        // view that lies inside its buffer, so it fits u32 when the buffer does.
        let (na, nbr) = (a.rank(), b.rank());
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
            a_sm: to_u32(op, a.strides()[na - 2])?,
            a_sk: to_u32(op, a.strides()[na - 1])?,
            pad1: 0,
            b_sb: to_u32(op, b_sb)?,
            b_sk: to_u32(op, b.strides()[nbr - 2])?,
            b_sn: to_u32(op, b.strides()[nbr - 1])?,
            pad2: 0,
        };
        let software = self.device().adapter().device_type == tessera_hal::AdapterType::Cpu;
        let tile = tile.unwrap_or_else(|| MatmulTile::for_output(m, n, software));
        let spec = MatmulSpec {
            dtype: self.dtype(),
            tile,
        };
        let source = spec.render();
        launch(
            op,
            self.device(),
            &source,
            &[a.buffer(), b.buffer(), out.buffer()],
            &params,
            spec.workgroups(m, n, batch),
        )?;
        Ok(out)
    }
}
