//! Structured: an `arbitrary` description of metadata and tensors is written as
//! a GGUF file, which must parse back to exactly the same values (floats
//! bit for bit); every strict prefix of it must be an error; and the file with
//! one byte changed must parse or fail without panicking.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;
use std::path::Path;
use tessera_runtime::loaders::gguf::{GgmlType, GgufFile, GgufModelFile, GgufValue, GgufWriter};

#[derive(Arbitrary, Debug)]
enum Scalar {
    U8(u8),
    I8(i8),
    U16(u16),
    I16(i16),
    U32(u32),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    U64(u64),
    I64(i64),
    F64(f64),
}

#[derive(Arbitrary, Debug)]
enum Array {
    U8(Vec<u8>),
    I8(Vec<i8>),
    U16(Vec<u16>),
    I16(Vec<i16>),
    U32(Vec<u32>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    Bool(Vec<bool>),
    Str(Vec<String>),
    U64(Vec<u64>),
    I64(Vec<i64>),
    F64(Vec<f64>),
}

#[derive(Arbitrary, Debug)]
enum Value {
    Scalar(Scalar),
    Array(Array),
    /// An array of arrays, each of its own element type.
    Nested(Vec<Array>),
}

#[derive(Arbitrary, Debug)]
struct Tensor {
    name: String,
    /// Picks F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, Q4_1, Q5_0 or Q5_1.
    ggml_type: u8,
    /// 1 to 4 dimensions, each 1 to 8 (rows of one or two blocks for block
    /// types: 32 or 64 values, 256 or 512 for the K types).
    dims: Vec<u8>,
    data: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    v2: bool,
    /// `general.alignment` = 2^(n % 9) when set.
    alignment_log2: Option<u8>,
    metadata: Vec<(String, Value)>,
    tensors: Vec<Tensor>,
    /// Where to change a byte (and cut the file), and what to xor it with.
    mutate_at: u32,
    mutate_with: u8,
}

fn scalar(s: &Scalar) -> GgufValue {
    match s {
        Scalar::U8(v) => GgufValue::U8(*v),
        Scalar::I8(v) => GgufValue::I8(*v),
        Scalar::U16(v) => GgufValue::U16(*v),
        Scalar::I16(v) => GgufValue::I16(*v),
        Scalar::U32(v) => GgufValue::U32(*v),
        Scalar::I32(v) => GgufValue::I32(*v),
        Scalar::F32(v) => GgufValue::F32(*v),
        Scalar::Bool(v) => GgufValue::Bool(*v),
        Scalar::Str(v) => GgufValue::String(v.clone()),
        Scalar::U64(v) => GgufValue::U64(*v),
        Scalar::I64(v) => GgufValue::I64(*v),
        Scalar::F64(v) => GgufValue::F64(*v),
    }
}

fn array(a: &Array) -> GgufValue {
    fn each<T: Copy>(items: &[T], f: impl Fn(T) -> GgufValue) -> GgufValue {
        GgufValue::Array(items.iter().copied().map(f).collect())
    }
    match a {
        Array::U8(v) => each(v, GgufValue::U8),
        Array::I8(v) => each(v, GgufValue::I8),
        Array::U16(v) => each(v, GgufValue::U16),
        Array::I16(v) => each(v, GgufValue::I16),
        Array::U32(v) => each(v, GgufValue::U32),
        Array::I32(v) => each(v, GgufValue::I32),
        Array::F32(v) => each(v, GgufValue::F32),
        Array::Bool(v) => each(v, GgufValue::Bool),
        Array::Str(v) => GgufValue::Array(v.iter().cloned().map(GgufValue::String).collect()),
        Array::U64(v) => each(v, GgufValue::U64),
        Array::I64(v) => each(v, GgufValue::I64),
        Array::F64(v) => each(v, GgufValue::F64),
    }
}

fn value(v: &Value) -> GgufValue {
    match v {
        Value::Scalar(s) => scalar(s),
        Value::Array(a) => array(a),
        Value::Nested(items) => GgufValue::Array(items.iter().map(array).collect()),
    }
}

/// Equal, floats compared bit for bit (NaN payloads included).
fn same(a: &GgufValue, b: &GgufValue) -> bool {
    match (a, b) {
        (GgufValue::F32(x), GgufValue::F32(y)) => x.to_bits() == y.to_bits(),
        (GgufValue::F64(x), GgufValue::F64(y)) => x.to_bits() == y.to_bits(),
        (GgufValue::Array(x), GgufValue::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        _ => a == b,
    }
}

/// Touch everything a parsed file offers; it must not panic.
fn touch(file: &GgufModelFile) {
    let header = file.header();
    for t in &header.tensors {
        let bytes = file
            .tensor_bytes(&t.name)
            .expect("a parsed tensor's range is valid");
        assert_eq!(bytes.len() as u64, t.n_bytes);
        let _ = file.tensor_f32(&t.name);
    }
    for key in header.metadata.keys() {
        let _ = (
            header.get_u64(key),
            header.get_f32(key),
            header.get_str_array(key),
        );
        let _ = header.require_i32_array(key).map_err(|e| e.to_string());
    }
}

fuzz_target!(|input: Input| {
    let mut writer = GgufWriter::new();
    writer.version(if input.v2 { 2 } else { 3 });
    let mut expected = Vec::new();
    let mut keys = HashSet::new();
    // general.alignment comes only from `alignment_log2`: any other value is
    // one the writer (and parser) must refuse.
    keys.insert("general.alignment".to_string());
    let alignment = input.alignment_log2.map(|n| 1u32 << (n % 9));
    if let Some(a) = alignment {
        expected.push(("general.alignment".to_string(), GgufValue::U32(a)));
    }
    for (key, v) in &input.metadata {
        if keys.insert(key.clone()) {
            expected.push((key.clone(), value(v)));
        }
    }
    for (key, v) in &expected {
        writer.metadata(key.clone(), v.clone());
    }
    let mut tensors = Vec::new();
    let mut names = HashSet::new();
    for t in input.tensors.iter().take(8) {
        if !names.insert(t.name.clone()) {
            continue;
        }
        let ggml_type = [
            GgmlType::F32,
            GgmlType::F16,
            GgmlType::BF16,
            GgmlType::Q8_0,
            GgmlType::Q4_0,
            GgmlType::Q4_K,
            GgmlType::Q6_K,
            GgmlType::Q4_1,
            GgmlType::Q5_0,
            GgmlType::Q5_1,
        ][usize::from(t.ggml_type % 10)];
        let mut dims: Vec<u64> = t
            .dims
            .iter()
            .take(4)
            .map(|&d| u64::from(d % 8) + 1)
            .collect();
        if dims.is_empty() {
            dims.push(1);
        }
        let block = ggml_type.block().0;
        if block > 1 {
            dims[0] = block * (dims[0] % 2 + 1);
        }
        let n_bytes = ggml_type.n_bytes(&dims).expect("small shapes") as usize;
        let data: Vec<u8> = t.data.iter().copied().cycle().take(n_bytes).collect();
        let data = if data.len() == n_bytes {
            data
        } else {
            vec![0x5a; n_bytes]
        };
        writer.tensor(t.name.clone(), &dims, ggml_type, data.clone());
        tensors.push((t.name.clone(), dims, ggml_type, data));
    }

    // Small inputs cannot reach the parser's limits (array elements, depth):
    // the writer must take every description built above.
    let bytes = match writer.to_bytes() {
        Ok(bytes) => bytes,
        Err(e) => panic!("the writer refused a valid description: {e}"),
    };
    let path = Path::new("roundtrip.gguf");
    let file = match GgufModelFile::from_bytes(path, bytes.clone()) {
        Ok(file) => file,
        Err(e) => panic!("a written file does not parse: {e}"),
    };
    let header = file.header();
    assert_eq!(header.version, if input.v2 { 2 } else { 3 });
    assert_eq!(header.alignment, alignment.map_or(32, u64::from));
    assert_eq!(header.metadata.len(), expected.len());
    for (key, v) in &expected {
        assert!(
            same(&header.metadata[key], v),
            "{key}: {:?} != {v:?}",
            header.metadata[key]
        );
    }
    assert_eq!(header.tensors.len(), tensors.len());
    for (info, (name, dims, ggml_type, data)) in header.tensors.iter().zip(&tensors) {
        assert_eq!(
            (&info.name, &info.dims, info.ggml_type),
            (name, dims, *ggml_type)
        );
        assert_eq!(file.tensor_bytes(name).unwrap(), data.as_slice());
    }
    touch(&file);

    // Every strict prefix ends inside the header or the last tensor.
    let cut = input.mutate_at as usize % bytes.len();
    assert!(
        GgufFile::parse(path, &bytes[..cut]).is_err(),
        "prefix of {cut} parsed"
    );
    // One changed byte: an error or a usable file, never a panic.
    let mut mutated = bytes;
    mutated[cut] ^= input.mutate_with.max(1);
    if let Ok(file) = GgufModelFile::from_bytes(path, mutated) {
        touch(&file);
    }
});
