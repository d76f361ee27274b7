//! NumPy `.npy` arrays (format versions 1, 2 and 3): read with the header
//! checked before anything is allocated (magic, version, header length,
//! dtype, C order, dims and the data's byte count against the file's), and
//! written as version 1. Dtypes: float32, float16, float64, int64, int32,
//! bool, little-endian.

use super::LoadError;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// The longest header we read (numpy writes a few hundred bytes).
const MAX_HEADER: usize = 1 << 16;
/// The most elements we read (2^31: 8 GiB of int64).
const MAX_ELEMENTS: usize = 1 << 31;
/// The most dims we read.
const MAX_DIMS: usize = 32;

/// The element types we read and write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NpyDType {
    /// `<f4`
    F32,
    /// `<f2`
    F16,
    /// `<f8`
    F64,
    /// `<i8`
    I64,
    /// `<i4`
    I32,
    /// `|b1`
    Bool,
}

impl NpyDType {
    /// The `descr` string numpy writes.
    pub fn descr(self) -> &'static str {
        match self {
            NpyDType::F32 => "<f4",
            NpyDType::F16 => "<f2",
            NpyDType::F64 => "<f8",
            NpyDType::I64 => "<i8",
            NpyDType::I32 => "<i4",
            NpyDType::Bool => "|b1",
        }
    }

    /// numpy's name (`float32`, ...).
    pub fn name(self) -> &'static str {
        match self {
            NpyDType::F32 => "float32",
            NpyDType::F16 => "float16",
            NpyDType::F64 => "float64",
            NpyDType::I64 => "int64",
            NpyDType::I32 => "int32",
            NpyDType::Bool => "bool",
        }
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            NpyDType::F64 | NpyDType::I64 => 8,
            NpyDType::F32 | NpyDType::I32 => 4,
            NpyDType::F16 => 2,
            NpyDType::Bool => 1,
        }
    }

    fn from_descr(d: &str) -> Option<NpyDType> {
        Some(match d {
            "<f4" => NpyDType::F32,
            "<f2" => NpyDType::F16,
            "<f8" => NpyDType::F64,
            "<i8" => NpyDType::I64,
            "<i4" => NpyDType::I32,
            "|b1" | "<b1" => NpyDType::Bool,
            _ => return None,
        })
    }

    /// Whether the elements are floats.
    pub fn is_float(self) -> bool {
        matches!(self, NpyDType::F32 | NpyDType::F16 | NpyDType::F64)
    }
}

/// An array: its dtype, dims (C order) and elements. Floats are held as f64
/// (exact for every stored float type), integers as i64, booleans as 0/1.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// The element type in the file.
    pub dtype: NpyDType,
    /// The dims.
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: NpyData,
}

/// The elements of an [`NpyArray`].
#[derive(Clone, Debug, PartialEq)]
pub enum NpyData {
    /// float32, float16, float64.
    Float(Vec<f64>),
    /// int64, int32, and bool as 0/1.
    Int(Vec<i64>),
}

/// The parsed header: dtype, shape, and where the data starts.
struct Header {
    dtype: NpyDType,
    shape: Vec<usize>,
    numel: usize,
    data_start: usize,
}

fn bad(path: &Path, message: impl Into<String>) -> LoadError {
    LoadError::BadHeader {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Reads the array in `path`; the data is read only after the header is
/// checked and the file's length matches it.
pub fn read_npy(path: &Path) -> Result<NpyArray, LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let mut pre = [0u8; 12];
    let got = read_up_to(&mut file, &mut pre).map_err(io)?;
    let (hlen, hstart) = preamble(path, &pre[..got])?;
    if (hstart + hlen) as u64 > len {
        return Err(truncated(path, "the header"));
    }
    let mut header = vec![0u8; hlen];
    file.seek(SeekFrom::Start(hstart as u64)).map_err(io)?;
    file.read_exact(&mut header).map_err(io)?;
    let h = parse_header(path, &header, hstart + hlen)?;
    let nbytes = h.numel * h.dtype.size();
    if len != (h.data_start + nbytes) as u64 {
        return Err(LoadError::BadTensor {
            path: path.to_path_buf(),
            tensor: "array".into(),
            message: format!(
                "the header's shape {:?} of {} needs {nbytes} data bytes, the file has {}",
                h.shape,
                h.dtype.name(),
                len.saturating_sub(h.data_start as u64)
            ),
        });
    }
    let mut data = vec![0u8; nbytes];
    file.read_exact(&mut data).map_err(io)?;
    Ok(decode_data(&h, &data))
}

/// Decodes an array from its bytes (the whole file).
pub fn decode_npy(bytes: &[u8]) -> Result<NpyArray, LoadError> {
    let path = Path::new("(bytes)");
    let (hlen, hstart) = preamble(path, &bytes[..bytes.len().min(12)])?;
    let header = bytes
        .get(hstart..hstart + hlen)
        .ok_or_else(|| truncated(path, "the header"))?;
    let h = parse_header(path, header, hstart + hlen)?;
    let data = &bytes[h.data_start..];
    if data.len() != h.numel * h.dtype.size() {
        return Err(truncated(path, "data bytes do not match the shape"));
    }
    Ok(decode_data(&h, data))
}

fn truncated(path: &Path, what: &str) -> LoadError {
    LoadError::Truncated {
        path: PathBuf::from(path),
        message: what.into(),
    }
}

fn read_up_to(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The header's length and start from the magic and version bytes.
fn preamble(path: &Path, pre: &[u8]) -> Result<(usize, usize), LoadError> {
    if pre.len() < 10 || &pre[..6] != MAGIC {
        return Err(bad(path, "not a .npy file (no \\x93NUMPY magic)"));
    }
    let (hlen, start) = match pre[6] {
        1 => (u16::from_le_bytes([pre[8], pre[9]]) as usize, 10),
        2 | 3 if pre.len() >= 12 => (
            u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize,
            12,
        ),
        2 | 3 => return Err(truncated(path, "the header length")),
        v => return Err(bad(path, format!("format version {v}.{}", pre[7]))),
    };
    if hlen > MAX_HEADER {
        return Err(bad(
            path,
            format!("header of {hlen} bytes (at most {MAX_HEADER})"),
        ));
    }
    Ok((hlen, start))
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
fn parse_header(path: &Path, header: &[u8], data_start: usize) -> Result<Header, LoadError> {
    let text = std::str::from_utf8(header).map_err(|_| bad(path, "header is not UTF-8"))?;
    let body = text.trim_end_matches(['\n', ' ', '\0']).trim();
    let inner = body
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .ok_or_else(|| bad(path, "header is not a dict"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = inner.trim();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or_else(|| bad(path, "expected a quoted key"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| bad(path, format!("no ':' after key {key}")))?
            .trim_start();
        let after = match key {
            "descr" => {
                let (v, a) = quoted(after).ok_or_else(|| bad(path, "descr is not a string"))?;
                descr = Some(v.to_string());
                a
            }
            "fortran_order" => {
                let (v, a) = if let Some(a) = after.strip_prefix("False") {
                    (false, a)
                } else if let Some(a) = after.strip_prefix("True") {
                    (true, a)
                } else {
                    return Err(bad(path, "fortran_order is not True or False"));
                };
                fortran = Some(v);
                a
            }
            "shape" => {
                let close = after
                    .find(')')
                    .ok_or_else(|| bad(path, "shape is not a tuple"))?;
                let tuple = after
                    .strip_prefix('(')
                    .ok_or_else(|| bad(path, "shape is not a tuple"))?;
                shape = Some(parse_dims(path, &tuple[..close - 1])?);
                &after[close + 1..]
            }
            other => return Err(bad(path, format!("unknown key {other}"))),
        };
        let after = after.trim_start();
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        if !after.starts_with(',') && !rest.is_empty() {
            return Err(bad(path, "expected ',' between items"));
        }
    }
    let descr = descr.ok_or_else(|| bad(path, "no descr"))?;
    let dtype = NpyDType::from_descr(&descr).ok_or_else(|| LoadError::UnsupportedDType {
        path: path.to_path_buf(),
        tensor: "array".into(),
        dtype: descr.clone(),
    })?;
    if fortran.ok_or_else(|| bad(path, "no fortran_order"))? {
        return Err(bad(path, "Fortran order (we read C order only)"));
    }
    let shape = shape.ok_or_else(|| bad(path, "no shape"))?;
    let numel = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| bad(path, format!("shape {shape:?} is too large")))?;
    Ok(Header {
        dtype,
        shape,
        numel,
        data_start,
    })
}

/// A `'...'` or `"..."` string at the start of `s`, and what follows.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let end = s[1..].find(q)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

fn parse_dims(path: &Path, s: &str) -> Result<Vec<usize>, LoadError> {
    let dims: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if dims.len() > MAX_DIMS {
        return Err(bad(
            path,
            format!("{} dims (at most {MAX_DIMS})", dims.len()),
        ));
    }
    dims.iter()
        .map(|d| {
            d.parse::<usize>()
                .map_err(|_| bad(path, format!("dim {d:?} is not a size")))
        })
        .collect()
}

fn decode_data(h: &Header, data: &[u8]) -> NpyArray {
    let n = h.dtype.size();
    let chunks = data.chunks_exact(n);
    let data = match h.dtype {
        NpyDType::F32 => NpyData::Float(
            chunks
                .map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        NpyDType::F16 => NpyData::Float(
            chunks
                .map(|c| f64::from(half::f16::from_le_bytes([c[0], c[1]]).to_f32()))
                .collect(),
        ),
        NpyDType::F64 => NpyData::Float(
            chunks
                .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        NpyDType::I64 => NpyData::Int(
            chunks
                .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect(),
        ),
        NpyDType::I32 => NpyData::Int(
            chunks
                .map(|c| i64::from(i32::from_le_bytes([c[0], c[1], c[2], c[3]])))
                .collect(),
        ),
        NpyDType::Bool => NpyData::Int(chunks.map(|c| i64::from(c[0] != 0)).collect()),
    };
    NpyArray {
        dtype: h.dtype,
        shape: h.shape.clone(),
        data,
    }
}

/// The bytes of `array` as a version 1.0 `.npy` file (header padded to 64).
pub fn encode_npy(array: &NpyArray) -> Vec<u8> {
    let dims: Vec<String> = array.shape.iter().map(|d| d.to_string()).collect();
    let shape = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {shape}, }}",
        array.dtype.descr()
    );
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat(total.next_multiple_of(64) - total));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    match &array.data {
        NpyData::Float(v) => {
            for &x in v {
                match array.dtype {
                    NpyDType::F16 => out.extend(half::f16::from_f64(x).to_le_bytes()),
                    NpyDType::F64 => out.extend(x.to_le_bytes()),
                    _ => out.extend((x as f32).to_le_bytes()),
                }
            }
        }
        NpyData::Int(v) => {
            for &x in v {
                match array.dtype {
                    NpyDType::I32 => out.extend((x as i32).to_le_bytes()),
                    NpyDType::Bool => out.push(u8::from(x != 0)),
                    _ => out.extend(x.to_le_bytes()),
                }
            }
        }
    }
    out
}

/// Writes `array` to `path` as a version 1.0 `.npy` file.
pub fn write_npy(path: &Path, array: &NpyArray) -> Result<(), LoadError> {
    let io = |e: std::io::Error| LoadError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut f = std::fs::File::create(path).map_err(io)?;
    f.write_all(&encode_npy(array)).map_err(io)
}
