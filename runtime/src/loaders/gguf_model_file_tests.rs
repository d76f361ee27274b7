//! Typed metadata, the writer, and tensor data of opened GGUF files.

use super::gguf::{GgmlType, GgufFile, GgufModelFile, GgufValue, GgufWriter};
use super::LoadError;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

fn temp_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "tessera-gguf-{}-{tag}-{n}.gguf",
        std::process::id()
    ))
}

fn strings(items: &[&str]) -> GgufValue {
    GgufValue::Array(
        items
            .iter()
            .map(|s| GgufValue::String(s.to_string()))
            .collect(),
    )
}

/// Metadata of every type.
fn sample_metadata() -> Vec<(&'static str, GgufValue)> {
    vec![
        ("general.architecture", GgufValue::String("llama".into())),
        ("u8", GgufValue::U8(7)),
        ("i8", GgufValue::I8(-7)),
        ("u16", GgufValue::U16(700)),
        ("i16", GgufValue::I16(-700)),
        ("u32", GgufValue::U32(4_000_000_000)),
        ("i32", GgufValue::I32(-5)),
        ("i32_pos", GgufValue::I32(5)),
        ("u64_big", GgufValue::U64(1 << 40)),
        ("i64", GgufValue::I64(-1)),
        ("f32", GgufValue::F32(1e-5)),
        ("f64", GgufValue::F64(0.5)),
        ("f64_huge", GgufValue::F64(1e300)),
        ("int_as_float", GgufValue::U32(10000)),
        ("odd_int", GgufValue::U32((1 << 24) + 1)),
        ("bool", GgufValue::Bool(true)),
        ("strs", strings(&["a", "bc"])),
        (
            "ints",
            GgufValue::Array(vec![GgufValue::I32(-1), GgufValue::I32(3)]),
        ),
        (
            "u8s",
            GgufValue::Array(vec![GgufValue::U8(1), GgufValue::U8(255)]),
        ),
        (
            "u32s_big",
            GgufValue::Array(vec![GgufValue::U32(1), GgufValue::U32(u32::MAX)]),
        ),
        ("empty", GgufValue::Array(vec![])),
        (
            "nested",
            GgufValue::Array(vec![
                strings(&["x"]),
                GgufValue::Array(vec![GgufValue::U8(1)]),
            ]),
        ),
    ]
}

/// [`sample_metadata`], and one tensor of every supported type.
fn sample() -> GgufWriter {
    let mut w = GgufWriter::new();
    for (key, value) in sample_metadata() {
        w.metadata(key, value);
    }
    let f16: Vec<u8> = [0.5f32, -4.0]
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect();
    let bf16: Vec<u8> = [8.0f32, -0.125]
        .iter()
        .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
        .collect();
    let q8: Vec<u8> = (0..68u8).collect();
    w.tensor_f32("f", &[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, -6.5])
        .tensor("h", &[2], GgmlType::F16, f16)
        .tensor("b", &[2, 1], GgmlType::BF16, bf16)
        .tensor("q", &[32, 2], GgmlType::Q8_0, q8);
    w
}

fn parse(bytes: &[u8]) -> GgufFile {
    GgufFile::parse(Path::new("m.gguf"), bytes).unwrap()
}

fn config_error(r: Result<impl std::fmt::Debug, LoadError>, needles: &[&str]) {
    match r {
        Err(e @ LoadError::BadConfig { .. }) => {
            let text = e.to_string();
            for needle in needles {
                assert!(text.contains(needle), "{text} lacks {needle:?}");
            }
        }
        other => panic!("expected BadConfig with {needles:?}, got {other:?}"),
    }
}

#[test]
fn typed_getters_convert_losslessly_only() {
    let f = parse(&sample().to_bytes().unwrap());
    assert_eq!(f.architecture().unwrap(), "llama");
    assert_eq!(f.get_u64("u8"), Some(7));
    assert_eq!(f.get_u64("u16"), Some(700));
    assert_eq!(f.get_u64("u32"), Some(4_000_000_000));
    assert_eq!(f.get_u64("i32_pos"), Some(5));
    assert_eq!(f.get_u64("i8"), None);
    assert_eq!(f.get_u64("i64"), None);
    assert_eq!(f.get_u32("u32"), Some(4_000_000_000));
    assert_eq!(f.get_u32("u64_big"), None);
    assert_eq!(f.get_u64("u64_big"), Some(1 << 40));
    assert_eq!(f.get_u64("f32"), None);
    assert_eq!(f.get_f32("f32"), Some(1e-5));
    assert_eq!(f.get_f32("f64"), Some(0.5));
    assert_eq!(f.get_f32("f64_huge"), None);
    assert_eq!(f.get_f32("int_as_float"), Some(10000.0));
    assert_eq!(f.get_f32("odd_int"), None, "2^24 + 1 is not an f32");
    assert_eq!(f.get_f32("general.architecture"), None);
    assert_eq!(f.get_str("general.architecture"), Some("llama"));
    assert_eq!(f.get_str("u8"), None);
    assert_eq!(f.get_bool("bool"), Some(true));
    assert_eq!(f.get_bool("u8"), None);
    assert_eq!(f.get_str_array("strs"), Some(vec!["a", "bc"]));
    assert_eq!(f.get_str_array("ints"), None);
    assert_eq!(f.get_str_array("empty"), Some(vec![]));
    assert_eq!(f.get_i32_array("ints"), Some(vec![-1, 3]));
    assert_eq!(f.get_i32_array("u8s"), Some(vec![1, 255]));
    assert_eq!(f.get_i32_array("u32s_big"), None);
    assert_eq!(f.get_i32_array("strs"), None);
    assert_eq!(f.get_i32_array("nested"), None);
    assert_eq!(f.get_u64("absent"), None);
    assert_eq!(f.require_u32("u16").unwrap(), 700);
    assert_eq!(f.require_i32_array("u8s").unwrap(), vec![1, 255]);
}

#[test]
fn require_names_the_file_key_and_what_was_found() {
    let f = parse(&sample().to_bytes().unwrap());
    config_error(f.require_u64("absent"), &["m.gguf", "absent", "missing"]);
    config_error(
        f.require_u32("u64_big"),
        &["u64_big", "u64 1099511627776", "u32"],
    );
    config_error(f.require_u64("i8"), &["i8 -7", "non-negative"]);
    config_error(f.require_str("u8"), &["u8 7", "expected a string"]);
    config_error(
        f.require_f32("general.architecture"),
        &["the string \"llama\""],
    );
    config_error(f.require_bool("f32"), &["f32 1e-5", "bool"]);
    config_error(f.require_str_array("ints"), &["array of 2 i32", "strings"]);
    config_error(f.require_i32_array("u32s_big"), &["array of 2 u32"]);
    let bare = parse(&GgufWriter::new().to_bytes().unwrap());
    config_error(bare.architecture(), &["general.architecture", "missing"]);
}

#[test]
fn the_writer_round_trips_metadata_and_tensors() {
    let w = sample();
    let bytes = w.to_bytes().unwrap();
    let f = parse(&bytes);
    assert_eq!(f.version, 3);
    let expected = sample_metadata();
    assert_eq!(f.metadata.len(), expected.len());
    for (key, value) in expected {
        assert_eq!(f.metadata[key], value, "{key}");
    }
    let names: Vec<_> = f.tensors.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["f", "h", "b", "q"]);
    assert!(f.tensors.iter().all(|t| t.offset % 32 == 0));
    let mut v2 = sample();
    v2.version(2)
        .metadata("general.alignment", GgufValue::U32(64));
    let f = parse(&v2.to_bytes().unwrap());
    assert_eq!((f.version, f.alignment), (2, 64));
    assert!(f.tensors.iter().all(|t| t.offset % 64 == 0));
}

#[test]
fn the_writer_refuses_what_the_parser_would() {
    let refused = |w: &GgufWriter, needle: &str| match w.to_bytes() {
        Err(e) => assert!(e.to_string().contains(needle), "{e} lacks {needle:?}"),
        Ok(_) => panic!("wrote a file the parser refuses ({needle})"),
    };
    let mut w = GgufWriter::new();
    w.metadata("k", GgufValue::U8(1))
        .metadata("k", GgufValue::U8(2));
    refused(&w, "duplicate metadata key");
    let mut w = GgufWriter::new();
    w.metadata(
        "k",
        GgufValue::Array(vec![GgufValue::U8(1), GgufValue::I8(1)]),
    );
    refused(&w, "mixes");
    let mut w = GgufWriter::new();
    w.metadata("general.alignment", GgufValue::U32(48));
    refused(&w, "alignment");
    let mut w = GgufWriter::new();
    w.tensor_f32("t", &[3], &[1.0, 2.0]);
    refused(&w, "8 bytes of data");
    let mut w = GgufWriter::new();
    w.tensor_f32("t", &[1], &[1.0])
        .tensor_f32("t", &[1], &[1.0]);
    refused(&w, "duplicate tensor");
    let mut w = GgufWriter::new();
    w.tensor("q", &[31], GgmlType::Q4_0, vec![0; 18]);
    refused(&w, "whole Q4_0 blocks");
    let mut w = GgufWriter::new();
    w.tensor("q", &[128, 2], GgmlType::Q4_K, vec![0; 144]);
    refused(&w, "whole Q4_K blocks");
    let mut w = GgufWriter::new();
    w.tensor_f32("t", &[1, 1, 1, 1, 1], &[1.0]);
    refused(&w, "5 dimensions");
    let mut w = GgufWriter::new();
    w.version(1);
    refused(&w, "version 1");
    let mut deep = GgufValue::U8(0);
    for _ in 0..5 {
        deep = GgufValue::Array(vec![deep]);
    }
    let mut w = GgufWriter::new();
    w.metadata("deep", deep);
    refused(&w, "nested");
}

#[test]
fn an_opened_file_gives_tensor_bytes_and_f32_values() {
    let path = temp_path("open");
    sample().write(&path).unwrap();
    let file = GgufModelFile::open(&path).unwrap();
    assert_eq!(file.path(), path.as_path());
    assert_eq!(file.header().architecture().unwrap(), "llama");
    assert_eq!(
        file.tensor_f32("f").unwrap(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, -6.5]
    );
    assert_eq!(file.tensor_f32("h").unwrap(), vec![0.5, -4.0]);
    assert_eq!(file.tensor_f32("b").unwrap(), vec![8.0, -0.125]);
    assert_eq!(
        file.tensor_bytes("q").unwrap(),
        (0..68u8).collect::<Vec<_>>()
    );
    assert_eq!(file.tensor_bytes("f").unwrap().len(), 24);
    match file.tensor_f32("q") {
        Err(e @ LoadError::UnsupportedDType { .. }) => {
            let text = e.to_string();
            assert!(text.contains("Q8_0") && text.contains("quant"), "{text}");
        }
        other => panic!("Q8_0 as f32: {other:?}"),
    }
    for missing in [
        file.tensor_bytes("nope").err(),
        file.tensor_f32("nope").err(),
    ] {
        assert!(
            matches!(&missing, Some(LoadError::MissingTensor { tensor, path: p }) if tensor == "nope" && p == &path),
            "{missing:?}"
        );
    }
    drop(file);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn q4_1_q5_tensors_give_bytes_not_f32() {
    let mut w = GgufWriter::new();
    w.tensor("q41", &[32], GgmlType::Q4_1, vec![1; 20])
        .tensor("q50", &[64], GgmlType::Q5_0, vec![2; 44])
        .tensor("q51", &[32, 3], GgmlType::Q5_1, vec![3; 72]);
    let file = GgufModelFile::from_bytes(Path::new("q5.gguf"), w.to_bytes().unwrap()).unwrap();
    assert_eq!(file.tensor_bytes("q41").unwrap(), vec![1; 20]);
    assert_eq!(file.tensor_bytes("q50").unwrap(), vec![2; 44]);
    assert_eq!(file.tensor_bytes("q51").unwrap(), vec![3; 72]);
    for (name, ty) in [("q41", "Q4_1"), ("q50", "Q5_0"), ("q51", "Q5_1")] {
        match file.tensor_f32(name) {
            Err(e @ LoadError::UnsupportedDType { .. }) => {
                let text = e.to_string();
                assert!(text.contains(ty) && text.contains("quant"), "{text}");
            }
            other => panic!("{ty} as f32: {other:?}"),
        }
    }
}

#[test]
fn k_quant_tensors_give_bytes_not_f32() {
    let mut w = GgufWriter::new();
    w.tensor("q4k", &[256], GgmlType::Q4_K, vec![7; 144])
        .tensor("q6k", &[256, 2], GgmlType::Q6_K, vec![9; 420]);
    let file = GgufModelFile::from_bytes(Path::new("k.gguf"), w.to_bytes().unwrap()).unwrap();
    assert_eq!(file.tensor_bytes("q4k").unwrap(), vec![7; 144]);
    assert_eq!(file.tensor_bytes("q6k").unwrap(), vec![9; 420]);
    for (name, ty) in [("q4k", "Q4_K"), ("q6k", "Q6_K")] {
        match file.tensor_f32(name) {
            Err(e @ LoadError::UnsupportedDType { .. }) => {
                let text = e.to_string();
                assert!(text.contains(ty) && text.contains("quant"), "{text}");
            }
            other => panic!("{ty} as f32: {other:?}"),
        }
    }
}

#[test]
fn opening_bad_files_is_an_error() {
    let missing = temp_path("missing");
    assert!(matches!(
        GgufModelFile::open(&missing),
        Err(LoadError::Io { .. })
    ));
    let empty = temp_path("empty");
    std::fs::write(&empty, b"").unwrap();
    let r = GgufModelFile::open(&empty);
    let _ = std::fs::remove_file(&empty);
    assert!(matches!(r, Err(LoadError::Truncated { .. })), "{r:?}");
    let mut bytes = sample().to_bytes().unwrap();
    bytes.truncate(bytes.len() - 1);
    assert!(matches!(
        GgufModelFile::from_bytes(Path::new("cut.gguf"), bytes),
        Err(LoadError::Truncated { .. })
    ));
}
