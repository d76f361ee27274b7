//! Safetensors files, memory-mapped and validated before use.
//!
//! Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON mapping
//! tensor names to `{dtype, shape, data_offsets: [start, end]}` (offsets relative
//! to the data section that follows), then the data. [`SafetensorsFile::open`]
//! (a memory map) and [`SafetensorsFile::from_bytes`] (a buffer) check the
//! header length against the file, every dtype, every offset against the data
//! section, `shape × dtype size == end - start` with checked arithmetic, and
//! that no two tensors overlap.

use super::file_bytes::FileBytes;
use super::LoadError;
use crate::quant::QuantFormat;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest header we accept (the format's own reference reader uses 100 MB).
const MAX_HEADER_BYTES: u64 = 100 << 20;

/// Element types of the safetensors format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StDType {
    /// bool, 1 byte
    Bool,
    /// u8
    U8,
    /// i8
    I8,
    /// i16
    I16,
    /// u16
    U16,
    /// f16
    F16,
    /// bfloat16
    BF16,
    /// i32
    I32,
    /// u32
    U32,
    /// f32
    F32,
    /// i64
    I64,
    /// u64
    U64,
    /// f64
    F64,
}

impl StDType {
    fn parse(s: &str) -> Option<StDType> {
        Some(match s {
            "BOOL" => StDType::Bool,
            "U8" => StDType::U8,
            "I8" => StDType::I8,
            "I16" => StDType::I16,
            "U16" => StDType::U16,
            "F16" => StDType::F16,
            "BF16" => StDType::BF16,
            "I32" => StDType::I32,
            "U32" => StDType::U32,
            "F32" => StDType::F32,
            "I64" => StDType::I64,
            "U64" => StDType::U64,
            "F64" => StDType::F64,
            _ => return None,
        })
    }

    /// The block format that holds a matrix of this dtype with rows of
    /// `cols` values unchanged on the device: [`QuantFormat::F16`] /
    /// [`QuantFormat::BF16`] when the rows are whole 32-value blocks, else
    /// none (such a matrix is uploaded as f32).
    pub fn block_format(self, cols: usize) -> Option<QuantFormat> {
        let format = match self {
            StDType::F16 => QuantFormat::F16,
            StDType::BF16 => QuantFormat::BF16,
            _ => return None,
        };
        (cols > 0 && cols.is_multiple_of(format.group_values())).then_some(format)
    }

    /// Bytes per element.
    pub fn size_in_bytes(self) -> usize {
        match self {
            StDType::Bool | StDType::U8 | StDType::I8 => 1,
            StDType::I16 | StDType::U16 | StDType::F16 | StDType::BF16 => 2,
            StDType::I32 | StDType::U32 | StDType::F32 => 4,
            StDType::I64 | StDType::U64 | StDType::F64 => 8,
        }
    }
}

/// A validated tensor entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Element type.
    pub dtype: StDType,
    /// Dimensions.
    pub shape: Vec<usize>,
    /// Byte range inside the data section.
    pub range: std::ops::Range<usize>,
}

/// An open, validated safetensors file.
#[derive(Debug)]
pub struct SafetensorsFile {
    path: PathBuf,
    map: FileBytes,
    data_start: usize,
    tensors: BTreeMap<String, TensorInfo>,
}

impl SafetensorsFile {
    /// Map and validate `path`.
    pub fn open(path: &Path) -> Result<SafetensorsFile, LoadError> {
        let io = |e: std::io::Error| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // Too short to map usefully (zero bytes cannot be mapped): read it.
        let bytes = FileBytes::open(path, 8).map_err(io)?;
        SafetensorsFile::validate(path, bytes)
    }

    /// Validate `bytes`, the whole of a safetensors file (`path` names it in
    /// errors).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<SafetensorsFile, LoadError> {
        SafetensorsFile::validate(path, FileBytes::Owned(bytes))
    }

    fn validate(path: &Path, map: FileBytes) -> Result<SafetensorsFile, LoadError> {
        let len = map.len() as u64;
        let truncated = |message: String| LoadError::Truncated {
            path: path.to_path_buf(),
            message,
        };
        if len < 8 {
            return Err(truncated(format!(
                "{len} bytes, less than the 8-byte header length"
            )));
        }
        let header_len = u64::from_le_bytes(map[..8].try_into().expect("8 bytes"));
        let bad = |message: String| LoadError::BadHeader {
            path: path.to_path_buf(),
            message,
        };
        if header_len > MAX_HEADER_BYTES {
            return Err(bad(format!(
                "header length {header_len} exceeds {MAX_HEADER_BYTES}"
            )));
        }
        if header_len > len - 8 {
            return Err(truncated(format!(
                "header of {header_len} bytes but only {} follow",
                len - 8
            )));
        }
        let data_start = 8 + header_len as usize;
        let header: serde_json::Value = serde_json::from_slice(&map[8..data_start])
            .map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let entries = header
            .as_object()
            .ok_or_else(|| bad("header is not a JSON object".into()))?;
        let data_len = map.len() - data_start;
        let mut tensors = BTreeMap::new();
        for (name, entry) in entries {
            if name == "__metadata__" {
                continue;
            }
            tensors.insert(name.clone(), parse_entry(path, name, entry, data_len)?);
        }
        check_overlaps(path, &tensors)?;
        Ok(SafetensorsFile {
            path: path.to_path_buf(),
            map,
            data_start,
            tensors,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Tensor names, sorted.
    pub fn names(&self) -> Vec<&str> {
        self.tensors.keys().map(String::as_str).collect()
    }

    /// A tensor's entry, or `MissingTensor`.
    pub fn info(&self, name: &str) -> Result<&TensorInfo, LoadError> {
        self.tensors
            .get(name)
            .ok_or_else(|| LoadError::MissingTensor {
                path: self.path.clone(),
                tensor: name.to_string(),
            })
    }

    /// A tensor's entry, checked to have `shape`.
    pub fn expect_shape(&self, name: &str, shape: &[usize]) -> Result<&TensorInfo, LoadError> {
        let info = self.info(name)?;
        if info.shape != shape {
            return Err(LoadError::ShapeMismatch {
                path: self.path.clone(),
                tensor: name.to_string(),
                expected: shape.to_vec(),
                found: info.shape.clone(),
            });
        }
        Ok(info)
    }

    /// A tensor's raw little-endian bytes.
    pub fn raw_bytes(&self, name: &str) -> Result<&[u8], LoadError> {
        let info = self.info(name)?;
        Ok(&self.map[self.data_start + info.range.start..self.data_start + info.range.end])
    }

    /// A float tensor (F32, F16 or BF16) as f32 values.
    pub fn to_f32(&self, name: &str) -> Result<Vec<f32>, LoadError> {
        let info = self.info(name)?;
        let bytes = self.raw_bytes(name)?;
        Ok(match info.dtype {
            StDType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes(c.try_into().expect("4")))
                .collect(),
            StDType::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes(c.try_into().expect("2")).to_f32())
                .collect(),
            StDType::BF16 => bytes
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes(c.try_into().expect("2")).to_f32())
                .collect(),
            other => {
                return Err(LoadError::UnsupportedDType {
                    path: self.path.clone(),
                    tensor: name.to_string(),
                    dtype: format!("{other:?} (float weights must be F32, F16 or BF16)"),
                })
            }
        })
    }
}

fn parse_entry(
    path: &Path,
    name: &str,
    entry: &serde_json::Value,
    data_len: usize,
) -> Result<TensorInfo, LoadError> {
    let bad = |message: String| LoadError::BadTensor {
        path: path.to_path_buf(),
        tensor: name.to_string(),
        message,
    };
    let dtype_name = entry
        .get("dtype")
        .and_then(|d| d.as_str())
        .ok_or_else(|| bad("no dtype string".into()))?;
    let dtype = StDType::parse(dtype_name).ok_or_else(|| LoadError::UnsupportedDType {
        path: path.to_path_buf(),
        tensor: name.to_string(),
        dtype: dtype_name.to_string(),
    })?;
    let shape = entry
        .get("shape")
        .and_then(|s| s.as_array())
        .ok_or_else(|| bad("no shape array".into()))?
        .iter()
        .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
        .collect::<Option<Vec<usize>>>()
        .ok_or_else(|| bad("shape has a non-integer or oversized dimension".into()))?;
    let offsets = entry
        .get("data_offsets")
        .and_then(|o| o.as_array())
        .filter(|o| o.len() == 2)
        .ok_or_else(|| bad("data_offsets is not [start, end]".into()))?;
    let offset = |v: &serde_json::Value| v.as_u64().and_then(|v| usize::try_from(v).ok());
    let (start, end) = match (offset(&offsets[0]), offset(&offsets[1])) {
        (Some(s), Some(e)) => (s, e),
        _ => return Err(bad("data_offsets are not integers".into())),
    };
    if start > end {
        return Err(bad(format!(
            "data_offsets end {end} is before start {start}"
        )));
    }
    if end > data_len {
        return Err(bad(format!(
            "data_offsets [{start}, {end}] run past the data section of {data_len} bytes"
        )));
    }
    let bytes = shape
        .iter()
        .try_fold(dtype.size_in_bytes(), |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| bad(format!("shape {shape:?} overflows")))?;
    if bytes != end - start {
        return Err(bad(format!(
            "shape {shape:?} of {dtype_name} needs {bytes} bytes but data_offsets span {}",
            end - start
        )));
    }
    Ok(TensorInfo {
        dtype,
        shape,
        range: start..end,
    })
}

fn check_overlaps(path: &Path, tensors: &BTreeMap<String, TensorInfo>) -> Result<(), LoadError> {
    let mut ranges: Vec<(&str, &std::ops::Range<usize>)> = tensors
        .iter()
        .filter(|(_, t)| !t.range.is_empty())
        .map(|(n, t)| (n.as_str(), &t.range))
        .collect();
    ranges.sort_by_key(|(_, r)| (r.start, r.end));
    for pair in ranges.windows(2) {
        if pair[1].1.start < pair[0].1.end {
            return Err(LoadError::Overlap {
                path: path.to_path_buf(),
                first: pair[0].0.to_string(),
                second: pair[1].0.to_string(),
            });
        }
    }
    Ok(())
}
