//! Limits on what a model file may declare, checked before anything is
//! allocated from a size read out of the file.

use super::error::{limit, OnnxResult};

/// The largest model file we read (protobuf's own limit is 2 GiB).
pub(crate) const MAX_FILE_BYTES: u64 = 2 << 30;
/// The largest rank of a tensor.
pub(crate) const MAX_RANK: usize = 32;
/// The most elements of one tensor (the kernels index with 32 bits).
pub(crate) const MAX_ELEMENTS: usize = u32::MAX as usize;
/// Whether `n` elements are within [`MAX_ELEMENTS`] (a conversion rather than
/// a comparison: on wasm32 `MAX_ELEMENTS` is `usize::MAX`).
pub(crate) fn within_max_elements(n: usize) -> bool {
    u32::try_from(n).is_ok()
}
/// The most nodes of a graph.
pub(crate) const MAX_NODES: usize = 1 << 20;
/// The most inputs or outputs of one node.
pub(crate) const MAX_NODE_ARITY: usize = 1 << 16;

/// The element count of `dims` as read from a file: each dim non-negative,
/// the rank and the product within the limits.
pub(crate) fn checked_dims(what: &str, dims: &[i64]) -> OnnxResult<Vec<usize>> {
    if dims.len() > MAX_RANK {
        return Err(limit(
            what,
            format!("rank {} exceeds {MAX_RANK}", dims.len()),
        ));
    }
    let mut shape = Vec::with_capacity(dims.len());
    let mut numel: usize = 1;
    for &d in dims {
        let d = usize::try_from(d).map_err(|_| limit(what, format!("negative dim {d}")))?;
        numel = numel
            .checked_mul(d)
            .filter(|&n| within_max_elements(n))
            .ok_or_else(|| {
                limit(
                    what,
                    format!("dims {dims:?} exceed {MAX_ELEMENTS} elements"),
                )
            })?;
        shape.push(d);
    }
    Ok(shape)
}

/// The product of a checked shape (cannot overflow after [`checked_dims`]).
pub(crate) fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}
