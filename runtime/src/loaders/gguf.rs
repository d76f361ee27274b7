//! GGUF (v2 and v3) files: a header parser safe on hostile input, typed
//! metadata, and tensor data.
//!
//! [`GgufFile::parse`] reads the header, metadata and tensor table of a GGUF
//! file held in memory (e.g. a memory map) without touching tensor data. Every
//! count, length, offset, alignment, dimension and type is checked, sizes use
//! checked arithmetic, and every allocation is bounded by the bytes that remain,
//! so a file that claims 2^60 tensors or a 2^64-byte string is a [`LoadError`],
//! not an allocation failure. Rejected: bad magic, versions other than 2 and 3
//! (v1 used 32-bit counts; a byte-swapped version is big-endian GGUF),
//! truncation anywhere, duplicate keys or tensor names, more than 4 dimensions,
//! zero or overflowing shapes, block-quantized rows that are not whole blocks,
//! offsets not on the alignment, tensors past the end of the file or
//! overlapping, an alignment that is not a power of two, invalid UTF-8, arrays
//! nested deeper than [`MAX_ARRAY_DEPTH`], and more than [`MAX_ARRAY_ELEMENTS`]
//! array elements.
//!
//! On top of the header:
//! - typed metadata reads on [`GgufFile`]: `get_u64`, `get_u32`, `get_f32`,
//!   `get_str`, `get_bool`, `get_str_array`, `get_i32_array` (`None` when absent
//!   or of another type; integers are accepted whenever the value converts
//!   losslessly) and their `require_*` twins, which make both cases a
//!   [`LoadError`] naming the file and the key;
//! - [`GgufModelFile`]: a memory-mapped file with its parsed header, giving a
//!   tensor's bytes (range validated at parse time) or its values as f32 (F32,
//!   F16, BF16; the block-quantized Q8_0 / Q4_0 / Q4_1 / Q5_0 / Q5_1 / Q4_K /
//!   Q6_K go to `crate::quant`);
//! - [`GgufWriter`]: writes files this parser reads back unchanged (tests,
//!   fuzzing, small exports);
//! - the embedded tokenizer is built in [`super::gguf_tokenizer`].
//!
//! Not here: the model config from `llama.*` / `qwen2.*` keys (see
//! `models::llama::DecoderConfig::from_gguf`).

use super::LoadError;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub use super::gguf_model_file::GgufModelFile;
pub use super::gguf_write::GgufWriter;

/// `GGUF` in the first four bytes.
const MAGIC: &[u8; 4] = b"GGUF";
/// Alignment of the data section and tensor offsets when the file does not say.
pub const DEFAULT_ALIGNMENT: u64 = 32;
/// Arrays of arrays deeper than this are refused.
pub const MAX_ARRAY_DEPTH: usize = 4;
/// Array elements a file may hold in all (real vocabularies hold under a
/// million): caps the memory a small file can make the parser allocate.
pub const MAX_ARRAY_ELEMENTS: usize = 1 << 24;
/// Dimensions a GGML tensor may have.
pub const MAX_DIMS: usize = 4;

/// A metadata value.
#[derive(Clone, Debug, PartialEq)]
pub enum GgufValue {
    /// `uint8`.
    U8(u8),
    /// `int8`.
    I8(i8),
    /// `uint16`.
    U16(u16),
    /// `int16`.
    I16(i16),
    /// `uint32`.
    U32(u32),
    /// `int32`.
    I32(i32),
    /// `float32`.
    F32(f32),
    /// `bool`.
    Bool(bool),
    /// `string` (UTF-8).
    String(String),
    /// `array` of values of one type.
    Array(Vec<GgufValue>),
    /// `uint64`.
    U64(u64),
    /// `int64`.
    I64(i64),
    /// `float64`.
    F64(f64),
}

/// Tensor storage types this parser accepts (GGML type ids).
#[allow(non_camel_case_types)] // ggml's names: Q4_K, Q6_K
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GgmlType {
    /// 0: f32.
    F32,
    /// 1: f16.
    F16,
    /// 2: blocks of 32 4-bit values with an f16 scale (18 bytes).
    Q4_0,
    /// 3: blocks of 32 4-bit values with an f16 scale and min (20 bytes).
    Q4_1,
    /// 6: blocks of 32 5-bit values with an f16 scale (22 bytes).
    Q5_0,
    /// 7: blocks of 32 5-bit values with an f16 scale and min (24 bytes).
    Q5_1,
    /// 8: blocks of 32 8-bit values with an f16 scale (34 bytes).
    Q8_0,
    /// 12: super-blocks of 256 4-bit values with 6-bit scales and mins (144 bytes).
    Q4_K,
    /// 14: super-blocks of 256 6-bit values with 8-bit scales (210 bytes).
    Q6_K,
    /// 30: bf16.
    BF16,
}

impl GgmlType {
    /// The type of GGML type id `id`, if supported.
    pub fn from_id(id: u32) -> Option<GgmlType> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            6 => GgmlType::Q5_0,
            7 => GgmlType::Q5_1,
            8 => GgmlType::Q8_0,
            12 => GgmlType::Q4_K,
            14 => GgmlType::Q6_K,
            30 => GgmlType::BF16,
            _ => return None,
        })
    }

    /// The GGML type id.
    pub fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q5_0 => 6,
            GgmlType::Q5_1 => 7,
            GgmlType::Q8_0 => 8,
            GgmlType::Q4_K => 12,
            GgmlType::Q6_K => 14,
            GgmlType::BF16 => 30,
        }
    }

    /// (elements per block, bytes per block).
    pub fn block(self) -> (u64, u64) {
        match self {
            GgmlType::F32 => (1, 4),
            GgmlType::F16 | GgmlType::BF16 => (1, 2),
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q5_0 => (32, 22),
            GgmlType::Q5_1 => (32, 24),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q4_K => (256, 144),
            GgmlType::Q6_K => (256, 210),
        }
    }

    /// Bytes of a tensor of this type with GGML dimensions `dims`, or why
    /// there is no such tensor: no or zero dimensions, rows that are not whole
    /// blocks, or a size that overflows `u64`.
    pub fn n_bytes(self, dims: &[u64]) -> Result<u64, String> {
        let Some(&row) = dims.first() else {
            return Err("no dimensions".into());
        };
        if dims.contains(&0) {
            return Err(format!("zero dimension in {dims:?}"));
        }
        let elements = dims
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| format!("shape {dims:?} overflows"))?;
        let (block_elems, block_bytes) = self.block();
        if row % block_elems != 0 {
            return Err(format!(
                "rows of {row} values are not whole {self:?} blocks of {block_elems}"
            ));
        }
        (elements / block_elems)
            .checked_mul(block_bytes)
            .ok_or_else(|| format!("size of shape {dims:?} overflows"))
    }
}

/// One entry of the tensor table, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct GgufTensorInfo {
    /// Tensor name.
    pub name: String,
    /// Dimensions in GGML order (`dims[0]` varies fastest).
    pub dims: Vec<u64>,
    /// Storage type.
    pub ggml_type: GgmlType,
    /// Absolute byte offset of the data in the file.
    pub offset: u64,
    /// Bytes of data.
    pub n_bytes: u64,
}

/// A parsed GGUF header: metadata and tensor table, every range checked
/// against the file's length.
#[derive(Clone, Debug)]
pub struct GgufFile {
    /// The file the header came from (for errors).
    pub path: PathBuf,
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata by key.
    pub metadata: BTreeMap<String, GgufValue>,
    /// Tensors in file order.
    pub tensors: Vec<GgufTensorInfo>,
    /// Alignment of the data section.
    pub alignment: u64,
    /// Absolute offset of the data section.
    pub data_start: u64,
}

impl GgufFile {
    /// Parse the header of `bytes`, the whole file at `path`.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<GgufFile, LoadError> {
        Parser {
            path,
            bytes,
            pos: 0,
            array_budget: MAX_ARRAY_ELEMENTS,
        }
        .file()
    }

    /// The tensor named `name`.
    pub fn tensor(&self, name: &str) -> Option<&GgufTensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
}

struct Parser<'a> {
    path: &'a Path,
    bytes: &'a [u8],
    pos: usize,
    /// Array elements still allowed (see [`MAX_ARRAY_ELEMENTS`]).
    array_budget: usize,
}

impl<'a> Parser<'a> {
    fn truncated(&self, what: &str) -> LoadError {
        LoadError::Truncated {
            path: self.path.to_path_buf(),
            message: format!(
                "{what} at byte {} (file has {})",
                self.pos,
                self.bytes.len()
            ),
        }
    }

    fn bad(&self, message: impl Into<String>) -> LoadError {
        LoadError::BadHeader {
            path: self.path.to_path_buf(),
            message: message.into(),
        }
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], LoadError> {
        if n > self.remaining() {
            return Err(self.truncated(what));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], LoadError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u32(&mut self, what: &str) -> Result<u32, LoadError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, LoadError> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A count of items of at least `min_item_bytes` each: refused when the
    /// rest of the file cannot hold that many.
    fn count(&mut self, what: &str, min_item_bytes: usize) -> Result<usize, LoadError> {
        let n = self.u64(what)?;
        let fits = usize::try_from(n)
            .ok()
            .and_then(|n| n.checked_mul(min_item_bytes.max(1)))
            .is_some_and(|bytes| bytes <= self.remaining());
        if !fits {
            return Err(self.bad(format!(
                "{what} {n} cannot fit in the {} bytes left",
                self.remaining()
            )));
        }
        Ok(n as usize)
    }

    fn string(&mut self, what: &str) -> Result<String, LoadError> {
        let len = self.count(what, 1)?;
        let raw = self.take(len, what)?;
        String::from_utf8(raw.to_vec()).map_err(|_| self.bad(format!("{what} is not UTF-8")))
    }

    fn value(&mut self, type_id: u32, depth: usize) -> Result<GgufValue, LoadError> {
        Ok(match type_id {
            0 => GgufValue::U8(self.array::<1>("u8")?[0]),
            1 => GgufValue::I8(self.array::<1>("i8")?[0] as i8),
            2 => GgufValue::U16(u16::from_le_bytes(self.array("u16")?)),
            3 => GgufValue::I16(i16::from_le_bytes(self.array("i16")?)),
            4 => GgufValue::U32(self.u32("u32")?),
            5 => GgufValue::I32(i32::from_le_bytes(self.array("i32")?)),
            6 => GgufValue::F32(f32::from_le_bytes(self.array("f32")?)),
            7 => match self.array::<1>("bool")?[0] {
                0 => GgufValue::Bool(false),
                1 => GgufValue::Bool(true),
                b => return Err(self.bad(format!("bool value {b}"))),
            },
            8 => GgufValue::String(self.string("string length")?),
            9 => {
                if depth >= MAX_ARRAY_DEPTH {
                    return Err(self.bad(format!("arrays nested deeper than {MAX_ARRAY_DEPTH}")));
                }
                let elem_type = self.u32("array element type")?;
                let min = value_min_bytes(elem_type)
                    .ok_or_else(|| self.bad(format!("array of unknown type {elem_type}")))?;
                let n = self.count("array length", min)?;
                self.array_budget = self.array_budget.checked_sub(n).ok_or_else(|| {
                    self.bad(format!(
                        "more than {MAX_ARRAY_ELEMENTS} array elements in all"
                    ))
                })?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(elem_type, depth + 1)?);
                }
                GgufValue::Array(items)
            }
            10 => GgufValue::U64(self.u64("u64")?),
            11 => GgufValue::I64(i64::from_le_bytes(self.array("i64")?)),
            12 => GgufValue::F64(f64::from_le_bytes(self.array("f64")?)),
            other => return Err(self.bad(format!("unknown metadata type {other}"))),
        })
    }

    fn file(mut self) -> Result<GgufFile, LoadError> {
        let magic = self.array::<4>("magic")?;
        if &magic != MAGIC {
            return Err(self.bad(format!("magic {magic:02x?} is not GGUF")));
        }
        let version = self.u32("version")?;
        if !matches!(version, 2 | 3) {
            return Err(self.bad(format!(
                "version {version} (supported: 2, 3; a byte-swapped version is big-endian GGUF)"
            )));
        }
        // A tensor entry takes at least 8 (name length) + 4 + 4 + 8 bytes.
        let n_tensors = self.count("tensor count", 24)?;
        // A metadata entry takes at least 8 (key length) + 4 + 1 bytes.
        let n_kv = self.count("metadata count", 13)?;
        let mut metadata = BTreeMap::new();
        for _ in 0..n_kv {
            let key = self.string("key length")?;
            let type_id = self.u32("value type")?;
            let value = self.value(type_id, 0)?;
            if metadata.insert(key.clone(), value).is_some() {
                return Err(self.bad(format!("duplicate metadata key {key:?}")));
            }
        }
        let alignment = match metadata.get("general.alignment") {
            None => DEFAULT_ALIGNMENT,
            Some(GgufValue::U32(a)) if a.is_power_of_two() => u64::from(*a),
            Some(other) => {
                return Err(self.bad(format!(
                    "general.alignment {other:?} is not a power-of-two u32"
                )))
            }
        };
        let mut raw = Vec::with_capacity(n_tensors);
        let mut names = HashSet::new();
        for _ in 0..n_tensors {
            let name = self.string("tensor name length")?;
            if !names.insert(name.clone()) {
                return Err(self.bad(format!("duplicate tensor {name:?}")));
            }
            let n_dims = self.u32("dimension count")? as usize;
            if !(1..=MAX_DIMS).contains(&n_dims) {
                return Err(self.bad(format!("tensor {name:?} has {n_dims} dimensions")));
            }
            let mut dims = Vec::with_capacity(n_dims);
            for _ in 0..n_dims {
                dims.push(self.u64("dimension")?);
            }
            let type_id = self.u32("tensor type")?;
            let offset = self.u64("tensor offset")?;
            raw.push((name, dims, type_id, offset));
        }
        let header_end = self.pos as u64;
        let data_start = header_end
            .div_ceil(alignment)
            .checked_mul(alignment)
            .ok_or_else(|| self.bad("data section start overflows"))?;
        let file_len = self.bytes.len() as u64;
        let mut tensors = Vec::with_capacity(raw.len());
        for (name, dims, type_id, offset) in raw {
            let tensor_error = |message: String| LoadError::BadTensor {
                path: self.path.to_path_buf(),
                tensor: name.clone(),
                message,
            };
            let ggml_type =
                GgmlType::from_id(type_id).ok_or_else(|| LoadError::UnsupportedDType {
                    path: self.path.to_path_buf(),
                    tensor: name.clone(),
                    dtype: format!("ggml type {type_id}"),
                })?;
            let n_bytes = ggml_type.n_bytes(&dims).map_err(tensor_error)?;
            if offset % alignment != 0 {
                return Err(tensor_error(format!(
                    "offset {offset} is not a multiple of the alignment {alignment}"
                )));
            }
            let start = data_start
                .checked_add(offset)
                .ok_or_else(|| tensor_error("offset overflows".into()))?;
            let end = start
                .checked_add(n_bytes)
                .ok_or_else(|| tensor_error("end overflows".into()))?;
            if end > file_len {
                return Err(LoadError::Truncated {
                    path: self.path.to_path_buf(),
                    message: format!(
                        "tensor {name:?} needs bytes {start}..{end}, the file has {file_len}"
                    ),
                });
            }
            tensors.push(GgufTensorInfo {
                name,
                dims,
                ggml_type,
                offset: start,
                n_bytes,
            });
        }
        let mut by_offset: Vec<&GgufTensorInfo> = tensors.iter().collect();
        by_offset.sort_by_key(|t| t.offset);
        for pair in by_offset.windows(2) {
            if pair[0].offset + pair[0].n_bytes > pair[1].offset {
                return Err(LoadError::Overlap {
                    path: self.path.to_path_buf(),
                    first: pair[0].name.clone(),
                    second: pair[1].name.clone(),
                });
            }
        }
        Ok(GgufFile {
            path: self.path.to_path_buf(),
            version,
            metadata,
            tensors,
            alignment,
            data_start,
        })
    }
}

/// The fewest bytes a value of metadata type `type_id` takes, or `None` for an
/// unknown type.
fn value_min_bytes(type_id: u32) -> Option<usize> {
    Some(match type_id {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        9 => 12,
        _ => return None,
    })
}
