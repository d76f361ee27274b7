//! Raw bytes into the ONNX loader (protobuf decode, graph checks, initializer
//! and attribute decoding, topological order). Whatever it accepts must be
//! consistent: each initializer holds exactly the elements its shape names.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_runtime::onnx::check_model_bytes;

fuzz_target!(|data: &[u8]| {
    if let Ok(summary) = check_model_bytes(data) {
        for (shape, len) in &summary.initializers {
            assert_eq!(shape.iter().product::<usize>(), *len);
        }
    }
});
