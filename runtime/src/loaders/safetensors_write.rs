//! Writing f32 values as a safetensors file of F32, F16 or BF16 tensors (for tests,
//! tools and small exports).

use super::LoadError;
use half::{bf16, f16};
use std::path::Path;

/// Write `tensors` (name, shape, values) as F32 to `path`.
pub fn write_safetensors_f32(
    path: &Path,
    tensors: &[(&str, &[usize], &[f32])],
) -> Result<(), LoadError> {
    write_encoded(path, tensors, "F32", |v, out| out.extend(v.to_le_bytes()))
}

/// Write `tensors` (name, shape, values) as F16 to `path`, each value rounded
/// to the nearest f16.
pub fn write_safetensors_f16(
    path: &Path,
    tensors: &[(&str, &[usize], &[f32])],
) -> Result<(), LoadError> {
    write_encoded(path, tensors, "F16", |v, out| {
        out.extend(f16::from_f32(v).to_le_bytes())
    })
}

/// Write `tensors` (name, shape, values) as BF16 to `path`, each value
/// rounded to the nearest bf16 (ties to even).
pub fn write_safetensors_bf16(
    path: &Path,
    tensors: &[(&str, &[usize], &[f32])],
) -> Result<(), LoadError> {
    write_encoded(path, tensors, "BF16", |v, out| {
        out.extend(bf16::from_f32(v).to_le_bytes())
    })
}

/// Write `tensors` as `dtype`, each value appended to the data by `encode`.
fn write_encoded(
    path: &Path,
    tensors: &[(&str, &[usize], &[f32])],
    dtype: &str,
    encode: impl Fn(f32, &mut Vec<u8>),
) -> Result<(), LoadError> {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let numel: usize = shape.iter().product();
        if numel != values.len() {
            return Err(LoadError::BadTensor {
                path: path.to_path_buf(),
                tensor: name.to_string(),
                message: format!("{} values for shape {shape:?}", values.len()),
            });
        }
        let start = data.len();
        for &v in values.iter() {
            encode(v, &mut data);
        }
        header.insert(
            name.to_string(),
            serde_json::json!({ "dtype": dtype, "shape": shape, "data_offsets": [start, data.len()] }),
        );
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    std::fs::write(path, bytes).map_err(|e| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
