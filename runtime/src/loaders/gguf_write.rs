//! Writing GGUF v3 (or v2) files that [`GgufFile::parse`](super::gguf::GgufFile::parse)
//! reads back unchanged: for tests, fuzzing and small exports. Everything the
//! parser would refuse is refused here first, as a [`LoadError`].

use super::gguf::{GgmlType, GgufValue, DEFAULT_ALIGNMENT, MAX_ARRAY_DEPTH, MAX_ARRAY_ELEMENTS};
use super::gguf::{GgufModelFile, MAX_DIMS};
use super::LoadError;
use std::collections::HashSet;
use std::path::Path;

/// One tensor waiting to be written.
#[derive(Clone, Debug)]
struct PendingTensor {
    name: String,
    dims: Vec<u64>,
    ggml_type: GgmlType,
    data: Vec<u8>,
}

/// A GGUF file being assembled: metadata in insertion order, then tensors in
/// insertion order, each at the next multiple of the alignment
/// (`general.alignment` when set, else 32).
#[derive(Clone, Debug)]
pub struct GgufWriter {
    version: u32,
    metadata: Vec<(String, GgufValue)>,
    tensors: Vec<PendingTensor>,
}

impl Default for GgufWriter {
    fn default() -> Self {
        GgufWriter::new()
    }
}

impl GgufWriter {
    /// An empty GGUF v3 file.
    pub fn new() -> GgufWriter {
        GgufWriter {
            version: 3,
            metadata: Vec::new(),
            tensors: Vec::new(),
        }
    }

    /// A writer holding everything of `file` (version, metadata in key order,
    /// tensors in file order with their bytes), to edit and write again.
    pub fn copy_of(file: &GgufModelFile) -> Result<GgufWriter, LoadError> {
        let header = file.header();
        let mut writer = GgufWriter::new();
        writer.version(header.version);
        for (key, value) in &header.metadata {
            writer.metadata(key.clone(), value.clone());
        }
        for t in &header.tensors {
            let bytes = file.tensor_bytes(&t.name)?;
            writer.tensor(t.name.clone(), &t.dims, t.ggml_type, bytes);
        }
        Ok(writer)
    }

    /// Set metadata `key` to `value`, replacing its earlier value if any.
    pub fn set_metadata(&mut self, key: &str, value: GgufValue) -> &mut Self {
        match self.metadata.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.metadata.push((key.to_string(), value)),
        }
        self
    }

    /// Remove metadata `key`, if present.
    pub fn remove_metadata(&mut self, key: &str) -> &mut Self {
        self.metadata.retain(|(k, _)| k != key);
        self
    }

    /// Write format version `version` (2 and 3 share a layout; others are
    /// refused when encoding).
    pub fn version(&mut self, version: u32) -> &mut Self {
        self.version = version;
        self
    }

    /// Add metadata `key` = `value`.
    pub fn metadata(&mut self, key: impl Into<String>, value: GgufValue) -> &mut Self {
        self.metadata.push((key.into(), value));
        self
    }

    /// Add tensor `name` of GGML dimensions `dims` (`dims[0]` fastest) stored
    /// as `data` (little-endian values or GGML blocks).
    pub fn tensor(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        ggml_type: GgmlType,
        data: impl Into<Vec<u8>>,
    ) -> &mut Self {
        self.tensors.push(PendingTensor {
            name: name.into(),
            dims: dims.to_vec(),
            ggml_type,
            data: data.into(),
        });
        self
    }

    /// Add an F32 tensor.
    pub fn tensor_f32(
        &mut self,
        name: impl Into<String>,
        dims: &[u64],
        values: &[f32],
    ) -> &mut Self {
        let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(name, dims, GgmlType::F32, data)
    }

    /// The file's bytes (errors name the file `<gguf writer>`).
    pub fn to_bytes(&self) -> Result<Vec<u8>, LoadError> {
        self.encode(Path::new("<gguf writer>"))
    }

    /// Write the file to `path`.
    pub fn write(&self, path: &Path) -> Result<(), LoadError> {
        let bytes = self.encode(path)?;
        std::fs::write(path, bytes).map_err(|e| LoadError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    fn encode(&self, path: &Path) -> Result<Vec<u8>, LoadError> {
        let bad = |message: String| LoadError::BadHeader {
            path: path.to_path_buf(),
            message,
        };
        if !matches!(self.version, 2 | 3) {
            return Err(bad(format!("version {} (supported: 2, 3)", self.version)));
        }
        let mut out = b"GGUF".to_vec();
        out.extend(self.version.to_le_bytes());
        out.extend((self.tensors.len() as u64).to_le_bytes());
        out.extend((self.metadata.len() as u64).to_le_bytes());
        let mut keys = HashSet::new();
        let mut budget = MAX_ARRAY_ELEMENTS;
        let mut alignment = DEFAULT_ALIGNMENT;
        for (key, value) in &self.metadata {
            if !keys.insert(key.as_str()) {
                return Err(bad(format!("duplicate metadata key {key:?}")));
            }
            if key == "general.alignment" {
                alignment = match value {
                    GgufValue::U32(a) if a.is_power_of_two() => u64::from(*a),
                    other => {
                        return Err(bad(format!(
                            "general.alignment {other:?} is not a power-of-two u32"
                        )))
                    }
                };
            }
            string(&mut out, key);
            out.extend(value.type_id().to_le_bytes());
            write_value(&mut out, value, 0, &mut budget).map_err(|m| bad(format!("{key}: {m}")))?;
        }
        let mut names = HashSet::new();
        let mut offset = 0u64;
        let mut offsets = Vec::with_capacity(self.tensors.len());
        for t in &self.tensors {
            let tensor_error = |message: String| LoadError::BadTensor {
                path: path.to_path_buf(),
                tensor: t.name.clone(),
                message,
            };
            if !names.insert(t.name.as_str()) {
                return Err(bad(format!("duplicate tensor {:?}", t.name)));
            }
            if !(1..=MAX_DIMS).contains(&t.dims.len()) {
                return Err(tensor_error(format!("{} dimensions", t.dims.len())));
            }
            let n_bytes = t.ggml_type.n_bytes(&t.dims).map_err(tensor_error)?;
            if n_bytes != t.data.len() as u64 {
                return Err(tensor_error(format!(
                    "{} bytes of data, shape {:?} of {:?} takes {n_bytes}",
                    t.data.len(),
                    t.dims,
                    t.ggml_type
                )));
            }
            string(&mut out, &t.name);
            out.extend((t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(t.ggml_type.id().to_le_bytes());
            out.extend(offset.to_le_bytes());
            offsets.push(offset);
            offset = (offset + n_bytes).div_ceil(alignment) * alignment;
        }
        let data_start = (out.len() as u64).div_ceil(alignment) * alignment;
        for (t, offset) in self.tensors.iter().zip(offsets) {
            out.resize((data_start + offset) as usize, 0);
            out.extend(&t.data);
        }
        Ok(out)
    }
}

fn string(out: &mut Vec<u8>, s: &str) {
    out.extend((s.len() as u64).to_le_bytes());
    out.extend(s.as_bytes());
}

/// Append the payload of `value` (its type id is already written).
fn write_value(
    out: &mut Vec<u8>,
    value: &GgufValue,
    depth: usize,
    budget: &mut usize,
) -> Result<(), String> {
    match value {
        GgufValue::U8(v) => out.push(*v),
        GgufValue::I8(v) => out.extend(v.to_le_bytes()),
        GgufValue::U16(v) => out.extend(v.to_le_bytes()),
        GgufValue::I16(v) => out.extend(v.to_le_bytes()),
        GgufValue::U32(v) => out.extend(v.to_le_bytes()),
        GgufValue::I32(v) => out.extend(v.to_le_bytes()),
        GgufValue::F32(v) => out.extend(v.to_le_bytes()),
        GgufValue::Bool(v) => out.push(u8::from(*v)),
        GgufValue::String(s) => string(out, s),
        GgufValue::U64(v) => out.extend(v.to_le_bytes()),
        GgufValue::I64(v) => out.extend(v.to_le_bytes()),
        GgufValue::F64(v) => out.extend(v.to_le_bytes()),
        GgufValue::Array(items) => {
            if depth >= MAX_ARRAY_DEPTH {
                return Err(format!("arrays nested deeper than {MAX_ARRAY_DEPTH}"));
            }
            *budget = budget
                .checked_sub(items.len())
                .ok_or_else(|| format!("more than {MAX_ARRAY_ELEMENTS} array elements in all"))?;
            // An empty array's element type is not kept by the parser: u8.
            let elem_type = items.first().map_or(0, GgufValue::type_id);
            if let Some(other) = items.iter().find(|v| v.type_id() != elem_type) {
                return Err(format!(
                    "array mixes {} and {}",
                    items[0].type_name(),
                    other.type_name()
                ));
            }
            out.extend(elem_type.to_le_bytes());
            out.extend((items.len() as u64).to_le_bytes());
            for item in items {
                write_value(out, item, depth + 1, budget)?;
            }
        }
    }
    Ok(())
}
