//! Raw bytes into the safetensors parser. Whatever it accepts must be safe to
//! use: every tensor's bytes lie in the data section with the size its shape
//! and dtype imply, and float tensors convert to the right number of values.

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;
use tessera_runtime::loaders::SafetensorsFile;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = SafetensorsFile::from_bytes(Path::new("fuzz.safetensors"), data.to_vec()) else {
        return;
    };
    for name in file.names() {
        let info = file.info(name).expect("listed").clone();
        let bytes = file
            .raw_bytes(name)
            .expect("a parsed tensor's range is valid");
        assert_eq!(bytes.len(), info.range.len());
        let elements: usize = info.shape.iter().product();
        assert_eq!(elements * info.dtype.size_in_bytes(), bytes.len());
        if let Ok(values) = file.to_f32(name) {
            assert_eq!(values.len(), elements);
        }
        assert!(file.expect_shape(name, &info.shape).is_ok());
    }
});
