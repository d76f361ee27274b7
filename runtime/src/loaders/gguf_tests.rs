//! The GGUF parser on a valid file and on a corpus of malformed ones modelled on
//! known GGUF overflow bugs: every case is a `LoadError`, never a panic.

use super::gguf::{GgmlType, GgufFile, GgufModelFile, GgufValue};
use super::LoadError;
use std::path::{Path, PathBuf};

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

#[test]
fn k_quant_tensors_are_whole_super_blocks() {
    // (type id, type, bytes per 256-value super-block)
    for (id, ty, bytes) in [(12u32, GgmlType::Q4_K, 144u64), (14, GgmlType::Q6_K, 210)] {
        assert_eq!(GgmlType::from_id(id), Some(ty));
        assert_eq!(ty.id(), id);
        assert_eq!(ty.block(), (256, bytes));
        assert_eq!(ty.n_bytes(&[256]), Ok(bytes));
        assert_eq!(ty.n_bytes(&[768, 3, 2]), Ok(18 * bytes));
        for dims in [&[128u64][..], &[32, 8], &[257, 1], &[896, 2]] {
            let err = ty.n_bytes(dims).unwrap_err();
            assert!(err.contains("not whole"), "{ty:?} {dims:?}: {err}");
        }
        assert!(ty.n_bytes(&[256, u64::MAX / 2]).is_err());
        // A file with a [512, 3] tensor (6 super-blocks) parses with its size.
        let mut w = Writer::new(3, 1, 0);
        w.tensor("k", &[512, 3], id, 0);
        let f = parse(&w.data(32, 6 * bytes as usize)).unwrap();
        let t = f.tensor("k").unwrap();
        assert_eq!((t.ggml_type, t.n_bytes), (ty, 6 * bytes));
        // Rows that are not whole super-blocks (Q8_0 blocks would fit), and
        // data one byte short, are refused.
        let mut w = Writer::new(3, 1, 0);
        w.tensor("k", &[96, 8], id, 0);
        header_error(&w.data(32, 4096), &format!("whole {ty:?} blocks of 256"));
        let mut w = Writer::new(3, 1, 0);
        w.tensor("k", &[512, 3], id, 0);
        assert!(parse(&w.data(32, 6 * bytes as usize - 1)).is_err());
    }
    // The ids between and around stay unsupported (Q5_K, Q3_K, ...).
    for id in [10u32, 11, 13, 15] {
        assert_eq!(GgmlType::from_id(id), None, "{id}");
    }
}

#[test]
fn q4_1_q5_0_q5_1_tensors_are_whole_blocks() {
    // (type id, type, bytes per 32-value block)
    for (id, ty, bytes) in [
        (3u32, GgmlType::Q4_1, 20u64),
        (6, GgmlType::Q5_0, 22),
        (7, GgmlType::Q5_1, 24),
    ] {
        assert_eq!(GgmlType::from_id(id), Some(ty));
        assert_eq!(ty.id(), id);
        assert_eq!(ty.block(), (32, bytes));
        assert_eq!(ty.n_bytes(&[32]), Ok(bytes));
        // Qwen2.5-0.5B's hidden size: 28 blocks per row.
        assert_eq!(ty.n_bytes(&[896, 3]), Ok(84 * bytes));
        for dims in [&[16u64][..], &[33, 2], &[100]] {
            let err = ty.n_bytes(dims).unwrap_err();
            assert!(err.contains("not whole"), "{ty:?} {dims:?}: {err}");
        }
        // A file with a [96, 3] tensor (9 blocks) parses with its size; data
        // one byte short is refused.
        let mut w = Writer::new(3, 1, 0);
        w.tensor("q", &[96, 3], id, 0);
        let f = parse(&w.data(32, 9 * bytes as usize)).unwrap();
        let t = f.tensor("q").unwrap();
        assert_eq!((t.ggml_type, t.n_bytes), (ty, 9 * bytes));
        assert!(parse(&w.data(32, 9 * bytes as usize - 1)).is_err());
        let mut w = Writer::new(3, 1, 0);
        w.tensor("q", &[48, 2], id, 0);
        header_error(&w.data(32, 4096), &format!("whole {ty:?} blocks of 32"));
    }
    // ggml's removed Q4_2 / Q4_3 (ids 4 and 5) stay unsupported.
    for id in [4u32, 5] {
        assert_eq!(GgmlType::from_id(id), None, "{id}");
    }
}

/// Files modelled on GGUF overflow bugs of other readers: (file name, bytes,
/// a word the error must contain). Each comment names the bug it mirrors.
fn known_bug_cases() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let one = |dims: &[u64], type_id: u32, data: usize| {
        let mut w = Writer::new(3, 1, 0);
        w.tensor("t", dims, type_id, 0);
        w.data(32, data)
    };
    let mut cases = Vec::new();
    // ggml-org/ggml#709 (review: n_dims > GGML_MAX_DIMS overflowed ne[4]),
    // antirez/gguf-tools#25 and openvino.genai#4170 (n_dims > 8 wrote past
    // dim[8] once the assert was compiled out), sparkinfer#11 (dims[4]).
    for (name, n_dims) in [("n_dims_9.gguf", 9u32), ("n_dims_max.gguf", u32::MAX)] {
        let mut w = Writer::new(3, 1, 0);
        w.string("t").u32(n_dims);
        for _ in 0..9 {
            w.u64(1);
        }
        w.u32(0).u64(0);
        cases.push((name, w.data(32, 64), "dimensions"));
    }
    // llama.cpp#25378 / #25401 (gguf-py): np.prod over uint64 dims wrapped,
    // [4194305, 4194305, 211106198978564] collapsed to a handful of elements.
    cases.push((
        "prod_wraps.gguf",
        one(&[4194305, 4194305, 211106198978564], 0, 64),
        "overflows",
    ));
    // zackshen/gguf#15 (gguf-rs): shape[0] * shape[1] * ... wrapped for
    // [u64::MAX, 2, 1, 1] F32, giving a 4-byte tensor.
    cases.push((
        "dims_u64_max.gguf",
        one(&[u64::MAX, 2, 1, 1], 0, 64),
        "overflows",
    ));
    // huggingface/candle#3714: two dims of 2^40 (2^80 elements) panicked in
    // debug builds and wrapped in release.
    cases.push((
        "dims_2p40.gguf",
        one(&[1 << 40, 1 << 40], 0, 64),
        "overflows",
    ));
    // llama.cpp#18674: a Q8_0 token_embd [1152, 2^42 + 1] whose byte stride
    // times rows wrapped to 0 ...
    cases.push((
        "q8_rows_2p42.gguf",
        one(&[1152, (1 << 42) + 1], 8, 64),
        "truncated",
    ));
    // ... and the same with rows large enough that blocks x 34 bytes overflow.
    cases.push((
        "q8_bytes_wrap.gguf",
        one(&[1152, 1 << 59], 8, 64),
        "overflows",
    ));
    // llama.cpp#26978: ne = [4, 2^30 - 1, 2^30 + 1, 1] F32 is 2^64 - 16 bytes,
    // which padding to the alignment wrapped to 0, after a valid tensor.
    let mut w = Writer::new(3, 2, 0);
    w.tensor("a", &[64], 0, 0)
        .tensor("b", &[4, (1 << 30) - 1, (1 << 30) + 1, 1], 0, 256);
    cases.push(("pad_wraps.gguf", w.data(32, 384), "overflows"));
    // llama.cpp PR #14595: the running total of tensor sizes overflowed; here
    // two tensors of 2^62 bytes each.
    let mut w = Writer::new(3, 2, 0);
    w.tensor("a", &[1 << 60], 0, 0)
        .tensor("b", &[1 << 60], 0, 1 << 62);
    cases.push(("sum_wraps.gguf", w.data(32, 64), "truncated"));
    // sparkinfer#423 (off + n wrapped in rd_str) and 1bit-MONSTER#366 (a
    // 2^62 string length allocated up front): key, value and tensor name.
    let mut w = Writer::new(3, 0, 1);
    w.u64(u64::MAX - 7);
    cases.push(("key_len_wraps.gguf", w.data(32, 64), "key length"));
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(8).u64(1 << 62);
    cases.push(("string_len_2p62.gguf", w.data(32, 64), "string length"));
    let mut w = Writer::new(3, 1, 0);
    w.u64(u64::MAX);
    cases.push((
        "tensor_name_len_max.gguf",
        w.data(32, 64),
        "tensor name length",
    ));
    // llama.cpp PR #27188 (gguf-py): a 43-byte file with an array length of
    // 2^63 looped, growing memory without bound.
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(9).u32(0).u64(1 << 63);
    cases.push(("array_len_2p63.gguf", w.data(1, 0), "array length"));
    // llama.cpp#15711: n_tensors under SIZE_MAX / sizeof(info) but its
    // product with the per-tensor overhead overflowed.
    cases.push((
        "n_tensors_huge.gguf",
        Writer::new(3, u64::MAX / 24, 0).data(32, 64),
        "tensor count",
    ));
    // huggingface.js PR #2028: unbounded recursion through arrays of arrays,
    // and an invalid array element type read as undefined.
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(9);
    for _ in 0..64 {
        w.u32(9).u64(1);
    }
    cases.push(("arrays_64_deep.gguf", w.data(32, 0), "nested"));
    let mut w = Writer::new(3, 0, 1);
    w.string("k").u32(9).u32(13).u64(1);
    cases.push(("array_type_13.gguf", w.data(32, 64), "unknown type"));
    // ggml-org/ggml PR #1516: general.alignment 2^31 (a power of two, so
    // accepted) padded the data section past any file; no allocation follows.
    let mut w = Writer::new(3, 1, 1);
    w.string("general.alignment").u32(4).u32(1 << 31);
    w.tensor("t", &[4], 0, 0);
    cases.push(("alignment_2p31.gguf", w.data(32, 64), "truncated"));
    // ggml-org/ggml#709 (review): an unchecked tensor type indexed the type
    // traits table.
    cases.push((
        "type_id_max.gguf",
        one(&[4], u32::MAX, 64),
        "unsupported dtype",
    ));
    // llama.cpp#3634 and mistral.rs#2225 are tokenizer bugs (ids past the
    // vocabulary): see gguf_tokenizer_tests.
    cases
}

#[test]
fn overflow_bugs_of_other_readers_are_errors() {
    for (name, bytes, needle) in known_bug_cases() {
        match parse(&bytes) {
            Err(e) => assert!(
                e.to_string().contains(needle),
                "{name}: {e} lacks {needle:?}"
            ),
            Ok(_) => panic!("{name} parsed"),
        }
    }
}

/// Inputs that once broke a parser (fuzzing finds, see fuzz/README.md): each
/// must be a `LoadError`, from the header parser and from an opened file.
#[test]
fn regression_files_are_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/gguf-malformed");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|e| e != "gguf") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        assert!(parse(&bytes).is_err(), "{} parsed", path.display());
        assert!(
            GgufModelFile::open(&path).is_err(),
            "{} opened",
            path.display()
        );
    }
}

/// Writes the fuzzing seed corpora: run with
/// `TESSERA_FUZZ_CORPUS=fuzz/corpus cargo test -p tessera-runtime --lib write_fuzz_seeds -- --ignored`.
#[test]
#[ignore = "writes files; run by hand to refresh fuzz/corpus"]
fn write_fuzz_seeds() {
    let Some(root) = std::env::var_os("TESSERA_FUZZ_CORPUS").map(PathBuf::from) else {
        panic!("set TESSERA_FUZZ_CORPUS to the corpus folder (fuzz/corpus)");
    };
    let write = |target: &str, name: &str, bytes: &[u8]| {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), bytes).unwrap();
    };
    write("gguf_parse", "valid.gguf", &valid());
    write(
        "gguf_parse",
        "tokenizer.gguf",
        &super::gguf_tokenizer_tests::tokenizer_gguf_bytes(),
    );
    for (name, bytes, _) in known_bug_cases() {
        write("gguf_parse", name, &bytes);
    }
    let f32_tensor = |header: &str, data: &[u8]| {
        let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(data);
        bytes
    };
    let floats: Vec<u8> = [1.5f32, -2.0, 0.25]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    write(
        "safetensors_parse",
        "f32.safetensors",
        &f32_tensor(
            r#"{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}"#,
            &floats,
        ),
    );
    write(
        "safetensors_parse",
        "mixed.safetensors",
        &f32_tensor(
            r#"{"a":{"dtype":"F16","shape":[2,1],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"i":{"dtype":"I64","shape":[0],"data_offsets":[8,8]}}"#,
            &floats[..8],
        ),
    );
    write(
        "safetensors_parse",
        "empty.safetensors",
        &f32_tensor("{}", &[]),
    );
    // gguf_roundtrip reads its input through `arbitrary`: any bytes will do.
    write("gguf_roundtrip", "zeros", &[0; 64]);
    write("gguf_roundtrip", "ramp", &(0..=255u8).collect::<Vec<_>>());
    write("gguf_roundtrip", "ones", &[0xff; 96]);
}
