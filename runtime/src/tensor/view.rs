//! Views: reshape, permute, transpose, slice, broadcast. No data moves unless
//! the layout cannot be expressed with strides (then reshape copies).

use super::shape::{checked_numel, contiguous_strides};
use super::Tensor;
use crate::error::{Result, ShapeError};
use std::ops::Range;

impl Tensor {
    /// Same elements, new shape. A view when contiguous, else a copy first.
    pub fn reshape(&self, shape: &[usize]) -> Result<Tensor> {
        if checked_numel(shape) != Some(self.numel()) {
            return Err(ShapeError::new(
                "reshape",
                "element counts differ",
                &[self.shape(), shape],
            )
            .into());
        }
        let base = if self.is_contiguous() {
            self.clone()
        } else {
            self.contiguous()?
        };
        Ok(base.with_layout(shape.to_vec(), contiguous_strides(shape), base.offset()))
    }

    /// Reorder dimensions: output dim `i` is input dim `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Result<Tensor> {
        let mut seen = vec![false; self.rank()];
        if perm.len() != self.rank()
            || perm
                .iter()
                .any(|&p| p >= self.rank() || std::mem::replace(&mut seen[p], true))
        {
            return Err(ShapeError::new(
                "permute",
                format!("{perm:?} is not a permutation"),
                &[self.shape()],
            )
            .into());
        }
        let shape = perm.iter().map(|&p| self.shape()[p]).collect();
        let strides = perm.iter().map(|&p| self.strides()[p]).collect();
        Ok(self.with_layout(shape, strides, self.offset()))
    }

    /// Swap two dimensions.
    pub fn transpose(&self, a: usize, b: usize) -> Result<Tensor> {
        let mut perm: Vec<usize> = (0..self.rank()).collect();
        if a >= self.rank() || b >= self.rank() {
            return Err(ShapeError::new(
                "transpose",
                format!("dims {a}, {b} out of range"),
                &[self.shape()],
            )
            .into());
        }
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// Sub-range `range` of dimension `dim`.
    pub fn narrow(&self, dim: usize, range: Range<usize>) -> Result<Tensor> {
        if dim >= self.rank() || range.start > range.end || range.end > self.shape()[dim] {
            return Err(ShapeError::new(
                "slice",
                format!("dim {dim} range {range:?} out of bounds"),
                &[self.shape()],
            )
            .into());
        }
        let mut shape = self.shape().to_vec();
        shape[dim] = range.len();
        let offset = self.offset() + range.start * self.strides()[dim];
        Ok(self.with_layout(shape, self.strides().to_vec(), offset))
    }

    /// Sub-ranges of every dimension.
    pub fn slice(&self, ranges: &[Range<usize>]) -> Result<Tensor> {
        if ranges.len() != self.rank() {
            return Err(ShapeError::new(
                "slice",
                format!("{} ranges for rank {}", ranges.len(), self.rank()),
                &[self.shape()],
            )
            .into());
        }
        let mut t = self.clone();
        for (dim, r) in ranges.iter().enumerate() {
            t = t.narrow(dim, r.clone())?;
        }
        Ok(t)
    }

    /// View with numpy broadcasting to `shape` (stride 0 on expanded dims).
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape.len() < self.rank() {
            return Err(ShapeError::new(
                "broadcast_to",
                "target rank is smaller",
                &[self.shape(), shape],
            )
            .into());
        }
        let lead = shape.len() - self.rank();
        let mut strides = vec![0; shape.len()];
        for (i, &d) in shape.iter().enumerate() {
            if i < lead {
                continue;
            }
            let (sd, ss) = (self.shape()[i - lead], self.strides()[i - lead]);
            strides[i] = match sd {
                x if x == d => ss,
                1 => 0,
                _ => {
                    return Err(ShapeError::new(
                        "broadcast_to",
                        format!("dim {i}: {sd} to {d}"),
                        &[self.shape(), shape],
                    )
                    .into())
                }
            };
        }
        Ok(self.with_layout(shape.to_vec(), strides, self.offset()))
    }

    /// Insert a dimension of size 1 at `dim`.
    pub fn unsqueeze(&self, dim: usize) -> Result<Tensor> {
        if dim > self.rank() {
            return Err(ShapeError::new(
                "unsqueeze",
                format!("dim {dim} out of range"),
                &[self.shape()],
            )
            .into());
        }
        let mut shape = self.shape().to_vec();
        let mut strides = self.strides().to_vec();
        let stride = if dim < self.rank() {
            self.strides()[dim] * self.shape()[dim]
        } else {
            1
        };
        shape.insert(dim, 1);
        strides.insert(dim, stride);
        Ok(self.with_layout(shape, strides, self.offset()))
    }
}
