//! The GGUF parser on a valid file and on a corpus of malformed ones modelled on
//! known GGUF overflow bugs: every case is a `LoadError`, never a panic.

use super::gguf::{GgmlType, GgufFile, GgufValue};
use super::LoadError;
use std::path::Path;

/// A little GGUF writer for tests: metadata as raw (key, type id, payload).
struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn new(version: u32, n_tensors: u64, n_kv: u64) -> Writer {
        let mut out = b"GGUF".to_vec();
        out.extend(version.to_le_bytes());
        out.extend(n_tensors.to_le_bytes());
        out.extend(n_kv.to_le_bytes());
        Writer { out }
    }
    fn string(&mut self, s: &str) -> &mut Self {
        self.out.extend((s.len() as u64).to_le_bytes());
        self.out.extend(s.as_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.out.extend(v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.out.extend(v.to_le_bytes());
        self
    }
    fn tensor(&mut self, name: &str, dims: &[u64], type_id: u32, offset: u64) -> &mut Self {
        self.string(name).u32(dims.len() as u32);
        for &d in dims {
            self.u64(d);
        }
        self.u32(type_id).u64(offset)
    }
    /// Pad to `align` and append `data_len` bytes of data.
    fn data(&mut self, align: usize, data_len: usize) -> Vec<u8> {
        let mut out = self.out.clone();
        out.resize(out.len().div_ceil(align) * align, 0);
        out.extend((0..data_len).map(|i| (i * 7) as u8));
        out
    }
}

/// A valid file: 3 metadata entries, an f32 [3, 2] tensor and a Q8_0 [32, 2] one.
fn valid() -> Vec<u8> {
    let mut w = Writer::new(3, 2, 3);
    w.string("general.architecture").u32(8).string("llama");
    w.string("llama.context_length").u32(4).u32(2048);
    w.string("tokenizer.ggml.tokens")
        .u32(9)
        .u32(8)
        .u64(2)
        .string("a")
        .string("bc");
    w.tensor("w", &[3, 2], 0, 0);
    w.tensor("q", &[32, 2], 8, 32);
    w.data(32, 32 + 68)
}

fn parse(bytes: &[u8]) -> Result<GgufFile, LoadError> {
    GgufFile::parse(Path::new("t.gguf"), bytes)
}

#[test]
fn a_valid_file_parses() {
    let f = parse(&valid()).unwrap();
    assert_eq!(f.version, 3);
    assert_eq!(f.metadata["general.architecture"].as_str(), Some("llama"));
    assert_eq!(f.metadata["llama.context_length"].as_u64(), Some(2048));
    assert_eq!(
        f.metadata["tokenizer.ggml.tokens"],
        GgufValue::Array(vec![
            GgufValue::String("a".into()),
            GgufValue::String("bc".into())
        ])
    );
    let w = f.tensor("w").unwrap();
    assert_eq!(
        (w.ggml_type, w.n_bytes, w.dims.clone()),
        (GgmlType::F32, 24, vec![3, 2])
    );
    let q = f.tensor("q").unwrap();
    assert_eq!((q.ggml_type, q.n_bytes), (GgmlType::Q8_0, 68));
    assert_eq!(q.offset, f.data_start + 32);
    assert_eq!(f.data_start % 32, 0);
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = valid();
    for len in 0..bytes.len() {
        assert!(
            parse(&bytes[..len]).is_err(),
            "prefix of {len} bytes parsed"
        );
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = valid();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..4000 {
        let mut b = bytes.clone();
        for _ in 0..3 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % b.len() as u64) as usize;
            b[i] = (state >> 32) as u8;
        }
        let _ = parse(&b);
    }
}

fn header_error(bytes: &[u8], needle: &str) {
    match parse(bytes) {
        Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle:?}"),
        Ok(_) => panic!("parsed; expected an error with {needle:?}"),
    }
}

#[test]
fn malformed_headers_are_errors() {
    let mut bad_magic = valid();
    bad_magic[0] = b'X';
    header_error(&bad_magic, "magic");
    for version in [1u32, 4, 0x0300_0000] {
        let mut b = valid();
        b[4..8].copy_from_slice(&version.to_le_bytes());
        header_error(&b, "version");
    }
    // Counts far beyond the file (the classic allocation bomb).
    header_error(&Writer::new(3, u64::MAX, 0).data(32, 0), "tensor count");
    header_error(&Writer::new(3, 0, 1 << 40).data(32, 0), "metadata count");
    let mut w = Writer::new(3, 0, 1);
    w.u64(u64::MAX - 3);
    header_error(&w.data(32, 64), "key length");
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(9).u32(4).u64(1 << 61);
    header_error(&w.data(32, 0), "array length");
    // Many u8 arrays whose elements would each cost a full value in memory.
    let mut w = Writer::new(3, 0, 2);
    w.string("a").u32(9).u32(0).u64(1 << 23);
    w.out.extend(std::iter::repeat_n(0u8, 1 << 23));
    w.string("b").u32(9).u32(0).u64((1 << 23) + 1);
    w.out.extend(std::iter::repeat_n(0u8, (1 << 23) + 1));
    header_error(&w.data(32, 0), "array elements in all");
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(42);
    header_error(&w.data(32, 0), "unknown metadata type");
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(7).out.push(2);
    header_error(&w.data(32, 0), "bool");
    // Arrays of arrays of ... deeper than the cap.
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(9);
    for _ in 0..6 {
        w.u32(9).u64(1);
    }
    header_error(&w.data(32, 256), "nested");
    let mut w = Writer::new(3, 0, 2);
    w.string("k").u32(4).u32(1).string("k").u32(4).u32(2);
    header_error(&w.data(32, 0), "duplicate metadata key");
    let mut w = Writer::new(3, 0, 1);
    w.u64(2).out.extend([0xff, 0xfe]);
    w.u32(4).u32(1);
    header_error(&w.data(32, 0), "UTF-8");
    for align in [0u32, 3, 48] {
        let mut w = Writer::new(3, 0, 1);
        w.string("general.alignment").u32(4).u32(align);
        header_error(&w.data(32, 0), "alignment");
    }
}

#[test]
fn malformed_tensor_tables_are_errors() {
    let one = |name: &str, dims: &[u64], type_id: u32, offset: u64, data: usize| {
        let mut w = Writer::new(3, 1, 0);
        w.tensor(name, dims, type_id, offset);
        w.data(32, data)
    };
    header_error(&one("t", &[1, 1, 1, 1, 1], 0, 0, 64), "5 dimensions");
    header_error(&one("t", &[], 0, 0, 64), "0 dimensions");
    header_error(&one("t", &[4, 0], 0, 0, 64), "zero dimension");
    header_error(
        &one("t", &[1 << 32, 1 << 32, 1 << 32], 0, 0, 64),
        "overflows",
    );
    header_error(&one("t", &[u64::MAX / 2, 1], 0, 0, 64), "overflows");
    header_error(&one("t", &[33, 1], 8, 0, 64), "whole Q8_0 blocks");
    header_error(&one("t", &[4], 0, 8, 64), "alignment");
    header_error(&one("t", &[4], 0, u64::MAX - 31, 64), "overflows");
    header_error(&one("t", &[64], 0, 0, 100), "truncated");
    header_error(&one("t", &[4], 99, 0, 64), "unsupported dtype");
    let mut w = Writer::new(3, 2, 0);
    w.tensor("t", &[4], 0, 0).tensor("t", &[4], 0, 32);
    header_error(&w.data(32, 64), "duplicate tensor");
    let mut w = Writer::new(3, 2, 0);
    w.tensor("a", &[16], 0, 0).tensor("b", &[4], 0, 32);
    header_error(&w.data(32, 64), "overlap");
}
