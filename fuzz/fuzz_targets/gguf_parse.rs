//! Raw bytes into the GGUF parser. Whatever it accepts must be safe to use:
//! every tensor's bytes lie in the file with the size its shape implies, F32 /
//! F16 / BF16 tensors convert, every typed metadata read answers, and an
//! embedded tokenizer either builds and round-trips a string or is an error.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tessera_runtime::loaders::gguf::{GgmlType, GgufModelFile};
use tessera_runtime::loaders::gguf_tokenizer::{gguf_special_ids, tokenizer_from_gguf};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = GgufModelFile::from_bytes(Path::new("fuzz.gguf"), data.to_vec()) else {
        return;
    };
    let header = file.header();
    assert!(matches!(header.version, 2 | 3));
    assert!(header.alignment.is_power_of_two());
    assert_eq!(header.data_start % header.alignment, 0);
    assert!(header.data_start <= data.len() as u64 || header.tensors.is_empty());
    for t in &header.tensors {
        assert!(t.offset >= header.data_start);
        assert_eq!(t.offset % header.alignment, 0);
        assert_eq!(Ok(t.n_bytes), t.ggml_type.n_bytes(&t.dims));
        let bytes = file
            .tensor_bytes(&t.name)
            .expect("a parsed tensor's range is valid");
        assert_eq!(bytes.len() as u64, t.n_bytes);
        let elements: u64 = t.dims.iter().product();
        match (file.tensor_f32(&t.name), t.ggml_type) {
            (
                Err(_),
                GgmlType::Q8_0
                | GgmlType::Q4_0
                | GgmlType::Q4_1
                | GgmlType::Q5_0
                | GgmlType::Q5_1
                | GgmlType::Q4_K
                | GgmlType::Q6_K,
            ) => {}
            (Ok(values), GgmlType::F32 | GgmlType::F16 | GgmlType::BF16) => {
                assert_eq!(values.len() as u64, elements)
            }
            (r, ty) => panic!("tensor_f32 of {ty:?}: {:?}", r.map(|v| v.len())),
        }
    }
    for (key, value) in &header.metadata {
        let _ = value.type_name();
        assert_eq!(header.get_u64(key), value.as_u64());
        assert_eq!(
            header.get_u32(key).is_some(),
            header.require_u32(key).is_ok()
        );
        assert_eq!(
            header.get_f32(key).is_some(),
            header.require_f32(key).is_ok()
        );
        assert_eq!(
            header.get_str(key).is_some(),
            header.require_str(key).is_ok()
        );
        assert_eq!(
            header.get_bool(key).is_some(),
            header.require_bool(key).is_ok()
        );
        assert_eq!(
            header.get_str_array(key).is_some(),
            header.require_str_array(key).is_ok()
        );
        assert_eq!(
            header.get_i32_array(key).is_some(),
            header.require_i32_array(key).is_ok()
        );
        let _ = header.require_u64(key).map_err(|e| e.to_string());
    }
    let _ = header.architecture().map_err(|e| e.to_string());
    let (bos, eos) = gguf_special_ids(header);
    if let Ok(tokenizer) = tokenizer_from_gguf(header) {
        let n = tokenizer.get_vocab_size(true) as u32;
        assert!(bos.is_none_or(|id| id < n) && eos.is_none_or(|id| id < n));
        let text = "Hello, wörld! 123 <|endoftext|>\n\t 🎉";
        if let Ok(encoding) = tokenizer.encode(text, false) {
            assert!(encoding.get_ids().iter().all(|&id| id < n));
            let _ = tokenizer.decode(encoding.get_ids(), true);
        }
    }
});
