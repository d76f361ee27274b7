//! An open GGUF file: its bytes (a read-only memory map, or a buffer) and the
//! header parsed from them. Tensor byte ranges were validated by the parser, so
//! reading a tensor only looks it up.

use super::file_bytes::FileBytes;
use super::gguf::{GgmlType, GgufFile, GgufTensorInfo};
use super::LoadError;
use std::path::Path;

/// A GGUF file with its validated header, owning its bytes.
#[derive(Debug)]
pub struct GgufModelFile {
    bytes: FileBytes,
    header: GgufFile,
}

impl GgufModelFile {
    /// Map `path` read-only and parse its header. As with any memory map, a
    /// file truncated by another process while open can fault on access.
    pub fn open(path: &Path) -> Result<GgufModelFile, LoadError> {
        let io = |e: std::io::Error| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        // Mapping zero bytes fails on some platforms; the parser says
        // "truncated" instead.
        let bytes = FileBytes::open(path, 1).map_err(io)?;
        let header = GgufFile::parse(path, &bytes)?;
        Ok(GgufModelFile { bytes, header })
    }

    /// Parse `bytes`, the whole of a GGUF file (`path` names it in errors).
    pub fn from_bytes(path: &Path, bytes: Vec<u8>) -> Result<GgufModelFile, LoadError> {
        let header = GgufFile::parse(path, &bytes)?;
        Ok(GgufModelFile {
            bytes: FileBytes::Owned(bytes),
            header,
        })
    }

    /// The parsed header: metadata and tensor table.
    pub fn header(&self) -> &GgufFile {
        &self.header
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.header.path
    }

    /// The tensor table entry of `name`, or `MissingTensor`.
    pub fn info(&self, name: &str) -> Result<&GgufTensorInfo, LoadError> {
        self.header
            .tensor(name)
            .ok_or_else(|| LoadError::MissingTensor {
                path: self.header.path.clone(),
                tensor: name.to_string(),
            })
    }

    /// The raw bytes of tensor `name`, as stored (little-endian values or
    /// GGML blocks).
    pub fn tensor_bytes(&self, name: &str) -> Result<&[u8], LoadError> {
        let info = self.info(name)?;
        // The parser checked offset + n_bytes <= the file's length; this
        // lookup stays checked so no header can make it panic.
        usize::try_from(info.offset)
            .ok()
            .zip(usize::try_from(info.n_bytes).ok())
            .and_then(|(start, len)| self.bytes.get(start..start.checked_add(len)?))
            .ok_or_else(|| LoadError::BadTensor {
                path: self.header.path.clone(),
                tensor: name.to_string(),
                message: format!(
                    "bytes {}..+{} are outside the file of {}",
                    info.offset,
                    info.n_bytes,
                    self.bytes.len()
                ),
            })
    }

    /// The values of tensor `name` as f32 (F32, F16 and BF16), in GGML order
    /// (`dims[0]` varies fastest, i.e. row-major `[.., dims[1], dims[0]]`).
    /// Block-quantized Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K / Q6_K
    /// tensors are an `UnsupportedDType` error:
    /// take their [`tensor_bytes`](Self::tensor_bytes) to
    /// `crate::quant::dequantize_rows`.
    pub fn tensor_f32(&self, name: &str) -> Result<Vec<f32>, LoadError> {
        let info = self.info(name)?;
        let bytes = self.tensor_bytes(name)?;
        Ok(match info.ggml_type {
            GgmlType::F32 => bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
            GgmlType::F16 => bytes
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            GgmlType::BF16 => bytes
                .chunks_exact(2)
                .map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
            quant @ (GgmlType::Q8_0
            | GgmlType::Q4_0
            | GgmlType::Q4_1
            | GgmlType::Q5_0
            | GgmlType::Q5_1
            | GgmlType::Q4_K
            | GgmlType::Q6_K) => {
                return Err(LoadError::UnsupportedDType {
                    path: self.header.path.clone(),
                    tensor: name.to_string(),
                    dtype: format!(
                        "{quant:?} as f32 (block-quantized: dequantize its tensor_bytes \
                         with tessera_runtime::quant::dequantize_rows)"
                    ),
                })
            }
        })
    }
}
