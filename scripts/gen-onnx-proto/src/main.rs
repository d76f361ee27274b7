//! Generates `runtime/src/onnx/proto/onnx.rs` from `onnx.proto` with prost-build,
//! compiling the proto with protox (pure Rust: no `protoc`).
//! Usage: gen-onnx-proto PROTO_DIR OUT_DIR

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, proto_dir, out_dir] = args.as_slice() else {
        return Err("usage: gen-onnx-proto PROTO_DIR OUT_DIR".into());
    };
    let file = std::path::Path::new(proto_dir).join("onnx.proto");
    let descriptors = protox::compile([&file], [proto_dir])?;
    prost_build::Config::new()
        .out_dir(out_dir)
        .compile_fds(descriptors)?;
    Ok(())
}
