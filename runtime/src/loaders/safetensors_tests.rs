//! Malformed safetensors files written by the tests themselves: each must give the
//! right `LoadError`, never a panic.

use super::{LoadError, SafetensorsFile, StDType};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

fn temp_path(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!(
        "tessera-st-{}-{tag}-{n}.safetensors",
        std::process::id()
    ))
}

fn write_raw(tag: &str, bytes: &[u8]) -> PathBuf {
    let path = temp_path(tag);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// A file from a JSON header and a data section.
fn file_with(tag: &str, header: &str, data: &[u8]) -> PathBuf {
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    write_raw(tag, &bytes)
}

fn open(path: &PathBuf) -> Result<SafetensorsFile, LoadError> {
    let r = SafetensorsFile::open(path);
    let _ = std::fs::remove_file(path);
    r
}

#[test]
fn valid_file_round_trips_f32_f16_bf16() {
    let f32s: Vec<u8> = [1.5f32, -2.25, 3.0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let f16s: Vec<u8> = [0.5f32, -4.0]
        .iter()
        .flat_map(|v| half::f16::from_f32(*v).to_le_bytes())
        .collect();
    let bf16s: Vec<u8> = [8.0f32, -0.125]
        .iter()
        .flat_map(|v| half::bf16::from_f32(*v).to_le_bytes())
        .collect();
    let mut data = f32s.clone();
    data.extend(&f16s);
    data.extend(&bf16s);
    let header = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"h":{"dtype":"F16","shape":[2,1],"data_offsets":[12,16]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},"ids":{"dtype":"I64","shape":[0],"data_offsets":[20,20]}}"#;
    let path = file_with("valid", header, &data);
    let file = SafetensorsFile::open(&path).unwrap();
    assert_eq!(file.names(), vec!["a", "b", "h", "ids"]);
    assert_eq!(file.to_f32("a").unwrap(), vec![1.5, -2.25, 3.0]);
    assert_eq!(file.to_f32("h").unwrap(), vec![0.5, -4.0]);
    assert_eq!(file.to_f32("b").unwrap(), vec![8.0, -0.125]);
    assert_eq!(file.info("h").unwrap().dtype, StDType::F16);
    assert!(matches!(
        file.to_f32("ids"),
        Err(LoadError::UnsupportedDType { .. })
    ));
    assert!(matches!(
        file.expect_shape("h", &[2]),
        Err(LoadError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        file.info("nope"),
        Err(LoadError::MissingTensor { .. })
    ));
    drop(file);
    let _ = std::fs::remove_file(path);
}

#[test]
fn empty_and_short_files_are_truncated() {
    assert!(matches!(
        open(&write_raw("empty", &[])),
        Err(LoadError::Truncated { .. })
    ));
    assert!(matches!(
        open(&write_raw("short", &[1, 0, 0])),
        Err(LoadError::Truncated { .. })
    ));
    let mut bytes = 100u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert!(matches!(
        open(&write_raw("header-past-end", &bytes)),
        Err(LoadError::Truncated { .. })
    ));
}

#[test]
fn huge_header_length_is_rejected_before_reading() {
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"{}");
    assert!(matches!(
        open(&write_raw("huge-header", &bytes)),
        Err(LoadError::BadHeader { .. })
    ));
}

#[test]
fn garbage_json_is_a_bad_header() {
    assert!(matches!(
        open(&file_with("garbage", "{not json", &[])),
        Err(LoadError::BadHeader { .. })
    ));
    assert!(matches!(
        open(&file_with("array", "[1,2]", &[])),
        Err(LoadError::BadHeader { .. })
    ));
}

#[test]
fn bad_entries_name_the_tensor() {
    let cases = [
        (
            "past-end",
            r#"{"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#,
            8usize,
        ),
        (
            "end-before-start",
            r#"{"t":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#,
            8,
        ),
        (
            "size-mismatch",
            r#"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
            8,
        ),
        (
            "overflow",
            r#"{"t":{"dtype":"F32","shape":[18446744073709551615,4],"data_offsets":[0,8]}}"#,
            8,
        ),
        (
            "negative-dim",
            r#"{"t":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
            8,
        ),
        ("no-offsets", r#"{"t":{"dtype":"F32","shape":[1]}}"#, 8),
        (
            "three-offsets",
            r#"{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#,
            8,
        ),
        ("no-dtype", r#"{"t":{"shape":[1],"data_offsets":[0,4]}}"#, 8),
    ];
    for (tag, header, data_len) in cases {
        match open(&file_with(tag, header, &vec![0u8; data_len])) {
            Err(LoadError::BadTensor { tensor, .. }) => assert_eq!(tensor, "t", "{tag}"),
            other => panic!("{tag}: expected BadTensor, got {other:?}"),
        }
    }
}

#[test]
fn unknown_dtype_and_overlaps_are_errors() {
    let header = r#"{"t":{"dtype":"F8_E9","shape":[1],"data_offsets":[0,1]}}"#;
    assert!(matches!(
        open(&file_with("dtype", header, &[0])),
        Err(LoadError::UnsupportedDType { .. })
    ));
    let header = r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#;
    assert!(matches!(
        open(&file_with("overlap", header, &[0; 12])),
        Err(LoadError::Overlap { .. })
    ));
}

#[test]
fn missing_file_is_io() {
    assert!(matches!(
        SafetensorsFile::open(&temp_path("absent")),
        Err(LoadError::Io { .. })
    ));
}

#[test]
fn random_mutations_never_panic() {
    // A valid file, then flipped bytes and truncations at every length.
    let header = r#"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]}}"#;
    let mut base = (header.len() as u64).to_le_bytes().to_vec();
    base.extend_from_slice(header.as_bytes());
    base.extend_from_slice(&[7u8; 22]);
    let mut state = 0x9e3779b97f4a7c15u64;
    for round in 0..300 {
        let mut bytes = base.clone();
        if round < 100 {
            bytes.truncate(round * base.len() / 100);
        } else {
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state as usize) % bytes.len();
                bytes[i] = (state >> 32) as u8;
            }
        }
        let path = write_raw("mutant", &bytes);
        if let Ok(file) = open(&path) {
            for name in file.names() {
                let _ = file.to_f32(name);
            }
        }
    }
}
