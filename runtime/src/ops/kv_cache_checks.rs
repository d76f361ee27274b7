//! Host checks shared by the ops that read or write a decoder's key/value
//! caches in place.

use crate::error::{Error, Result, ShapeError};
use crate::tensor::Tensor;

/// The capacity of `keys` and `values` after checking that both are whole
/// contiguous `[kv_heads, capacity, head_dim]` tensors at offset 0 of
/// `dtype` (the kernels index them from element 0). Errors name `op`.
pub(super) fn cache_capacity(
    op: &'static str,
    keys: &Tensor,
    values: &Tensor,
    kv_heads: usize,
    head_dim: usize,
    dtype: tessera_kernels::DType,
) -> Result<usize> {
    for cache in [keys, values] {
        if cache.dtype() != dtype {
            return Err(Error::DType {
                op,
                expected: dtype.to_string(),
                found: cache.dtype(),
            });
        }
    }
    let shapes = [keys.shape(), values.shape()];
    let capacity = match keys.shape() {
        &[kv, cap, d] if kv == kv_heads && d == head_dim => cap,
        _ => {
            let msg = format!("keys must be [{kv_heads}, capacity, {head_dim}]");
            return Err(ShapeError::new(op, msg, &shapes).into());
        }
    };
    if values.shape() != keys.shape() {
        let msg = "values must have the shape of keys";
        return Err(ShapeError::new(op, msg, &shapes).into());
    }
    for cache in [keys, values] {
        if !cache.is_contiguous() || cache.offset() != 0 {
            return Err(Error::InvalidArgument {
                op,
                message: "the key and value caches must be whole contiguous tensors".into(),
            });
        }
    }
    Ok(capacity)
}

/// The slots and capacity of a slotted pool `keys`, `values` after checking
/// that both are whole contiguous `[slots, kv_heads, capacity, head_dim]`
/// tensors at offset 0 of `dtype` (the kernels index them from element 0).
/// Errors name `op`.
pub(super) fn pool_dims(
    op: &'static str,
    (keys, values): (&Tensor, &Tensor),
    kv_heads: usize,
    head_dim: usize,
    dtype: tessera_kernels::DType,
) -> Result<(usize, usize)> {
    for pool in [keys, values] {
        if pool.dtype() != dtype {
            return Err(Error::DType {
                op,
                expected: dtype.to_string(),
                found: pool.dtype(),
            });
        }
    }
    let shapes = [keys.shape(), values.shape()];
    let dims = match keys.shape() {
        &[slots, kv, cap, d] if kv == kv_heads && d == head_dim && slots > 0 && cap > 0 => {
            (slots, cap)
        }
        _ => {
            let msg = format!("the pool must be [slots, {kv_heads}, capacity, {head_dim}]");
            return Err(ShapeError::new(op, msg, &shapes).into());
        }
    };
    if values.shape() != keys.shape() {
        let msg = "values must have the shape of keys";
        return Err(ShapeError::new(op, msg, &shapes).into());
    }
    for pool in [keys, values] {
        if !pool.is_contiguous() || pool.offset() != 0 {
            return Err(Error::InvalidArgument {
                op,
                message: "the key and value pools must be whole contiguous tensors".into(),
            });
        }
    }
    Ok(dims)
}
