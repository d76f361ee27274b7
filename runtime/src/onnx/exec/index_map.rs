//! Layout ops as index maps: for each output element, the flat index of the
//! input element it copies. Host tensors apply a map directly; device tensors
//! apply it as one gather over the flattened tensor (`[n, 1]` rows), for the
//! layouts a strided view cannot express (negative steps, arbitrary indices).

use super::{Ctx, ExecResult};
use crate::onnx::value::{HostData, HostTensor, OnnxValue};
use crate::tensor::shape::contiguous_strides;
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tessera_kernels::DType;

/// What one cached upload holds: its dtype, shape and element bits.
type Upload = (DType, Vec<usize>, Vec<u32>);

/// The device tables (index maps, fill values, interpolation weights) of one
/// plan, kept so that a later run with the same input shapes uploads none of
/// them again. Each is found by the node's first output and the call's
/// number within the node, and reused only when its contents are equal (a
/// map may depend on data, as Gather's indices do).
#[derive(Default)]
pub(crate) struct IndexMaps {
    tables: Mutex<HashMap<(String, usize), (Upload, Tensor)>>,
    uploads: AtomicU64,
}

impl IndexMaps {
    /// Tables uploaded so far (not counting reuses).
    pub(crate) fn uploads(&self) -> u64 {
        self.uploads.load(Ordering::Relaxed)
    }
}

impl Ctx<'_> {
    /// The next call number of this node's tables.
    fn table_key(&self) -> (String, usize) {
        let n = self.tables_used.get();
        self.tables_used.set(n + 1);
        let name = self.node.outputs.first().cloned().unwrap_or_default();
        (name, n)
    }

    /// The tensor `make` uploads for `upload`, from the plan's tables when
    /// an equal one is there (uploaded and kept otherwise).
    fn table(
        &self,
        upload: Upload,
        make: impl FnOnce(&Upload) -> ExecResult<Tensor>,
    ) -> ExecResult<Tensor> {
        let key = self.table_key();
        let Some(maps) = self.maps else {
            return make(&upload);
        };
        if let Ok(tables) = maps.tables.lock() {
            if let Some((held, t)) = tables.get(&key) {
                if *held == upload {
                    return Ok(t.clone());
                }
            }
        }
        let t = make(&upload)?;
        maps.uploads.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut tables) = maps.tables.lock() {
            tables.insert(key, (upload, t.clone()));
        }
        Ok(t)
    }

    /// `values` as a u32 tensor of `shape` (kept with the plan).
    pub(crate) fn upload_u32(&self, values: Vec<u32>, shape: &[usize]) -> ExecResult<Tensor> {
        let device = self.device;
        self.table((DType::U32, shape.to_vec(), values), |(_, s, v)| {
            Ok(Tensor::from_slice(device, v, s)?)
        })
    }

    /// `values` as a `dtype` float tensor of `shape` (kept with the plan).
    pub(crate) fn upload_f32(
        &self,
        values: &[f32],
        shape: &[usize],
        dtype: DType,
    ) -> ExecResult<Tensor> {
        let device = self.device;
        let bits = values.iter().map(|v| v.to_bits()).collect();
        self.table((dtype, shape.to_vec(), bits), |(d, s, v)| {
            let f: Vec<f32> = v.iter().map(|&b| f32::from_bits(b)).collect();
            Ok(Tensor::from_f32(device, &f, s, *d)?)
        })
    }
}

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
    ctx: &Ctx<'_>,
    value: &OnnxValue,
    out_shape: &[usize],
    map: &[usize],
) -> ExecResult<OnnxValue> {
    match value {
        OnnxValue::Host(h) => Ok(OnnxValue::Host(HostTensor {
            shape: out_shape.to_vec(),
            data: take(&h.data, map),
        })),
        OnnxValue::Tensor(t) => Ok(OnnxValue::Tensor(gather_flat(ctx, t, out_shape, map)?)),
    }
}

fn gather_flat(
    ctx: &Ctx<'_>,
    t: &Tensor,
    out_shape: &[usize],
    map: &[usize],
) -> ExecResult<Tensor> {
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
    let ids = ctx.upload_u32(ids, &[map.len()])?;
    Ok(flat.gather_rows(&ids)?.reshape(out_shape)?)
}

/// Marks an output element that takes the fill value in [`apply_with_fill`].
pub(crate) const FILL: usize = usize::MAX;

/// The map of a layout given per dim: `dims[d][o]` is the input coordinate
/// along dim `d` of output coordinate `o` (`None`: the element is the fill).
/// Returns the output shape and the flat map ([`FILL`] for fill elements).
pub(crate) fn map_by_dims(
    in_shape: &[usize],
    dims: &[Vec<Option<usize>>],
) -> (Vec<usize>, Vec<usize>) {
    let strides = contiguous_strides(in_shape);
    let out_shape: Vec<usize> = dims.iter().map(|d| d.len()).collect();
    let n: usize = out_shape.iter().product();
    let mut out = Vec::with_capacity(n);
    let mut coord = vec![0usize; out_shape.len()];
    for _ in 0..n {
        let mut idx = Some(0usize);
        for (d, &c) in coord.iter().enumerate() {
            idx = match (idx, dims[d][c]) {
                (Some(i), Some(k)) => Some(i + k * strides[d]),
                _ => None,
            };
        }
        out.push(idx.unwrap_or(FILL));
        for d in (0..out_shape.len()).rev() {
            coord[d] += 1;
            if coord[d] < out_shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
    (out_shape, out)
}

/// [`apply`] where [`FILL`] entries take `fill`: the value gets one more
/// element (`fill`) and the fill entries gather it.
pub(crate) fn apply_with_fill(
    ctx: &Ctx<'_>,
    value: &OnnxValue,
    out_shape: &[usize],
    map: &[usize],
    fill: f64,
) -> ExecResult<OnnxValue> {
    if !map.contains(&FILL) {
        return apply(ctx, value, out_shape, map);
    }
    let n = value.shape().iter().product::<usize>();
    let map: Vec<usize> = map.iter().map(|&i| if i == FILL { n } else { i }).collect();
    let extended = match value {
        OnnxValue::Host(h) => {
            let data = match &h.data {
                HostData::F32(v) => HostData::F32(v.iter().copied().chain([fill as f32]).collect()),
                HostData::I64(v) => HostData::I64(v.iter().copied().chain([fill as i64]).collect()),
                HostData::Bool(v) => {
                    HostData::Bool(v.iter().copied().chain([fill != 0.0]).collect())
                }
            };
            OnnxValue::Host(HostTensor::new(vec![n + 1], data)?)
        }
        OnnxValue::Tensor(t) => {
            let f = ctx.upload_f32(&[fill as f32], &[1], t.dtype())?;
            if n == 0 {
                OnnxValue::Tensor(f)
            } else {
                let flat = t.contiguous()?.reshape(&[n])?;
                OnnxValue::Tensor(crate::ops::concat(&[&flat, &f], 0)?)
            }
        }
    };
    apply(ctx, &extended, out_shape, &map)
}
