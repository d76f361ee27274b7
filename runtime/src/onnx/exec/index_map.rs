//! Layout ops as index maps: for each output element, the flat index of the
//! input element it copies. Host tensors apply a map directly; device tensors
//! apply it as one gather over the flattened tensor (`[n, 1]` rows), for the
//! layouts a strided view cannot express (negative steps, arbitrary indices).

use super::ExecResult;
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::contiguous_strides;
use crate::tensor::Tensor;

/// The map of `permute(perm)` over `shape`.
pub(crate) fn permute_map(shape: &[usize], perm: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let strides = contiguous_strides(shape);
    let out_shape: Vec<usize> = perm.iter().map(|&p| shape[p]).collect();
    let out_strides: Vec<usize> = perm.iter().map(|&p| strides[p]).collect();
    (out_shape.clone(), strided_map(&out_shape, &out_strides, 0))
}

/// The flat indices of a strided walk over `shape` (signed strides allowed
/// through `offset`: each coordinate adds `stride * index`).
pub(crate) fn strided_map(shape: &[usize], strides: &[usize], offset: usize) -> Vec<usize> {
    signed_map(
        shape,
        &strides.iter().map(|&s| s as i64).collect::<Vec<_>>(),
        offset as i64,
    )
}

/// As [`strided_map`] with signed strides; the caller guarantees every
/// index lands in range.
pub(crate) fn signed_map(shape: &[usize], strides: &[i64], offset: i64) -> Vec<usize> {
    let n: usize = shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut coord = vec![0usize; shape.len()];
    for _ in 0..n {
        let idx: i64 = offset
            + coord
                .iter()
                .zip(strides)
                .map(|(&c, &s)| c as i64 * s)
                .sum::<i64>();
        out.push(idx as usize);
        for d in (0..shape.len()).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
    out
}

/// The map of broadcasting `shape` to `target` (numpy rules, already checked).
pub(crate) fn broadcast_map(shape: &[usize], target: &[usize]) -> Vec<usize> {
    let strides = contiguous_strides(shape);
    let lead = target.len() - shape.len();
    let bstrides: Vec<usize> = (0..target.len())
        .map(|d| {
            if d < lead || shape[d - lead] == 1 {
                0
            } else {
                strides[d - lead]
            }
        })
        .collect();
    strided_map(target, &bstrides, 0)
}

/// `data[map[i]]` for each i.
pub(crate) fn take(data: &HostData, map: &[usize]) -> HostData {
    match data {
        HostData::F32(v) => HostData::F32(map.iter().map(|&i| v[i]).collect()),
        HostData::I64(v) => HostData::I64(map.iter().map(|&i| v[i]).collect()),
        HostData::Bool(v) => HostData::Bool(map.iter().map(|&i| v[i]).collect()),
    }
}

/// Applies `map` to a value, giving `out_shape`.
pub(crate) fn apply(
    value: &OnnxValue,
    out_shape: &[usize],
    map: &[usize],
) -> ExecResult<OnnxValue> {
    match value {
        OnnxValue::Host(h) => Ok(OnnxValue::Host(HostTensor {
            shape: out_shape.to_vec(),
            data: take(&h.data, map),
        })),
        OnnxValue::Tensor(t) => Ok(OnnxValue::Tensor(gather_flat(t, out_shape, map)?)),
    }
}

fn gather_flat(t: &Tensor, out_shape: &[usize], map: &[usize]) -> ExecResult<Tensor> {
    if map.is_empty() {
        return Ok(Tensor::uninit(
            t.device(),
            t.dtype(),
            out_shape,
            "onnx layout",
        )?);
    }
    let flat = t.contiguous()?.reshape(&[t.numel(), 1])?;
    let ids: Vec<u32> = map.iter().map(|&i| i as u32).collect();
    let ids = Tensor::from_slice(t.device(), &ids, &[ids.len()])?;
    Ok(flat.gather_rows(&ids)?.reshape(out_shape)?)
}
