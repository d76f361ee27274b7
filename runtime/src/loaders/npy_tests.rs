//! The .npy codec against files numpy wrote (tests/data/npy, made by
//! scripts/make-npy-fixtures.py) and against malformed headers.

use super::npy::{decode_npy, encode_npy, read_npy, NpyArray, NpyDType, NpyData};
use super::LoadError;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/npy")
}

#[test]
fn reads_every_file_numpy_wrote() {
    let values: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("values.json")).unwrap())
            .unwrap();
    let table = values.as_object().unwrap();
    assert_eq!(table.len(), 9);
    for (name, want) in table {
        let a = read_npy(&fixtures().join(format!("{name}.npy"))).unwrap();
        assert_eq!(a.dtype.name(), want["dtype"].as_str().unwrap(), "{name}");
        let shape: Vec<usize> = want["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(a.shape, shape, "{name}");
        let expected = want["values"].as_array().unwrap();
        match &a.data {
            NpyData::Float(v) => {
                assert_eq!(v.len(), expected.len(), "{name}");
                for (x, e) in v.iter().zip(expected) {
                    // serde_json parses the decimal to within an ulp of f64.
                    let e = e.as_f64().unwrap();
                    assert!((x - e).abs() <= 1e-15 * e.abs(), "{name}: {x} vs {e}");
                }
            }
            NpyData::Int(v) => {
                let e: Vec<i64> = expected.iter().map(|e| e.as_i64().unwrap()).collect();
                assert_eq!(v, &e, "{name}");
            }
        }
        // Written back, the bytes decode to the same array.
        assert_eq!(decode_npy(&encode_npy(&a)).unwrap(), a, "{name}");
    }
    let v2 = std::fs::read(fixtures().join("f32_2x3_v2.npy")).unwrap();
    assert_eq!(v2[6], 2, "the v2 fixture has a version 2 header");
}

#[test]
fn our_files_have_numpys_layout() {
    // numpy's own bytes for np.save of np.zeros((2, 3), np.float32)'s header,
    // then the data: the header is padded to a multiple of 64.
    let a = read_npy(&fixtures().join("f32_2x3.npy")).unwrap();
    let ours = encode_npy(&a);
    let theirs = std::fs::read(fixtures().join("f32_2x3.npy")).unwrap();
    assert_eq!(ours, theirs);
    let b = read_npy(&fixtures().join("bool_2x3.npy")).unwrap();
    assert_eq!(
        encode_npy(&b),
        std::fs::read(fixtures().join("bool_2x3.npy")).unwrap()
    );
}

fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(header.len() as u16).to_le_bytes());
    v.extend_from_slice(header.as_bytes());
    v.extend_from_slice(data);
    v
}

fn is_header_error(r: Result<NpyArray, LoadError>) -> bool {
    matches!(
        r,
        Err(LoadError::BadHeader { .. }
            | LoadError::Truncated { .. }
            | LoadError::UnsupportedDType { .. })
    )
}

#[test]
fn malformed_headers_are_typed_errors() {
    let ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
    assert!(decode_npy(&with_header(ok, &[0; 8])).is_ok());
    let cases: Vec<Vec<u8>> = vec![
        b"NUMPY".to_vec(),
        b"\x93NUMPX\x01\x00\x10\x00".to_vec(),
        b"\x93NUMPY\x09\x00\x10\x00{}".to_vec(),
        b"\x93NUMPY\x01\x00\xff\xff{".to_vec(),
        b"\x93NUMPY\x02\x00\xff\xff\xff\x7f{".to_vec(),
        with_header("not a dict", &[]),
        with_header(
            "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }",
            &[0; 8],
        ),
        with_header(
            "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
            &[0; 16],
        ),
        with_header(
            "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }",
            &[0; 8],
        ),
        with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }",
            &[0; 8],
        ),
        with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2, }",
            &[0; 8],
        ),
        with_header("{'descr': '<f4', 'shape': (2,), }", &[0; 8]),
        with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}",
            &[0; 8],
        ),
        // A shape whose byte count overflows: refused before any allocation.
        with_header(
            "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
            &[],
        ),
        // Data shorter and longer than the shape.
        with_header(ok, &[0; 7]),
        with_header(ok, &[0; 9]),
        with_header(
            "{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }",
            &[0; 8],
        ),
        with_header(
            "{'descr': '<f4', 'fortran_order': Fals, 'shape': (2,), }",
            &[0; 8],
        ),
        with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': 2, }",
            &[0; 8],
        ),
        with_header(
            "{'descr': 'é', 'fortran_order': False, 'shape': (2,), }",
            &[0; 8],
        ),
    ];
    for (i, bytes) in cases.into_iter().enumerate() {
        let r = decode_npy(&bytes);
        assert!(is_header_error(r), "case {i} is not a typed header error");
    }
}

#[test]
fn a_file_shorter_than_its_header_says_is_refused_before_reading_data() {
    let dir = std::env::temp_dir().join(format!("tessera-npy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("short.npy");
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000,), }";
    std::fs::write(&path, with_header(header, &[0; 16])).unwrap();
    let r = read_npy(&path);
    assert!(matches!(r, Err(LoadError::BadTensor { .. })), "{r:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_dtype_round_trips() {
    for (dtype, data) in [
        (NpyDType::F32, NpyData::Float(vec![1.5, -2.25, 3e-8])),
        (NpyDType::F16, NpyData::Float(vec![1.5, -2.25, 0.0])),
        (NpyDType::F64, NpyData::Float(vec![1.0 / 3.0, -2.0, 1e300])),
        (NpyDType::I64, NpyData::Int(vec![i64::MIN, 0, i64::MAX])),
        (
            NpyDType::I32,
            NpyData::Int(vec![i32::MIN as i64, 1, i32::MAX as i64]),
        ),
        (NpyDType::Bool, NpyData::Int(vec![1, 0, 1])),
    ] {
        let a = NpyArray {
            dtype,
            shape: vec![3, 1],
            data,
        };
        let bytes = encode_npy(&a);
        assert_eq!(
            (bytes.len() - dtype.size() * 3) % 64,
            0,
            "{dtype:?} header padding"
        );
        let back = decode_npy(&bytes).unwrap();
        if dtype == NpyDType::F32 {
            let NpyData::Float(v) = &back.data else {
                panic!()
            };
            assert_eq!(v[2], f64::from(3e-8f32));
        } else {
            assert_eq!(back, a, "{dtype:?}");
        }
    }
}
