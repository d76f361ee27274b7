//! ONNX models: loading (a hostile file, checked before anything is
//! allocated), inspection, and execution of the graph on the op layer.
//!
//! - `proto`: the protobuf messages (prost, generated and committed).
//! - `graph`, `attrs`, `tensor_proto`, `external`, `limits`: the file into a
//!   checked graph in topological order; every problem is an [`OnnxError`].
//! - `exec`: one node onto `Tensor` ops (floats on the device; integer shape
//!   arithmetic on the host). [`SUPPORTED`] lists the operators.
//! - `model`: [`OnnxModel`] (load: support check, constant folding, uploads;
//!   run: plans cached per set of input shapes, each value dropped after its
//!   last reader as `liveness` computes). `info`: [`inspect`].

mod attrs;
mod error;
mod exec;
mod external;
mod fuse;
mod fuse_elementwise;
mod fused_run;
mod graph;
mod info;
mod inputs;
mod limits;
mod liveness;
mod model;
pub mod node_tests;
mod npy_io;
pub mod proto;
mod tensor_proto;
mod value;

pub use error::{OnnxError, OnnxResult};
pub use exec::SUPPORTED;
pub use graph::{Dim, ValueInfo, OPSETS};
pub use info::{describe_value, inspect, ModelInfo};
pub use model::{LoadOptions, OnnxModel, RunMemory};
pub use npy_io::{npy_to_value, value_to_npy};
pub use tensor_proto::type_name;
pub use value::{HostData, HostTensor, OnnxValue};

/// Decodes a serialized `TensorProto` (a node test's `input_0.pb`, say) into a
/// host tensor, with the same checks as an initializer. External data is refused.
pub fn decode_tensor_bytes(bytes: &[u8]) -> OnnxResult<HostTensor> {
    use prost::Message;
    let t = proto::TensorProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))?;
    tensor_proto::decode_tensor(&t, None)
}

/// Parses and checks model bytes without a device (the fuzz target's entry):
/// the graph, its initializers and attributes, in topological order.
pub fn check_model_bytes(bytes: &[u8]) -> OnnxResult<ModelSummary> {
    let g = graph::build_graph(&graph::decode_model(bytes)?, None)?;
    Ok(ModelSummary {
        nodes: g.nodes.len(),
        initializers: g
            .initializers
            .values()
            .map(|t| (t.shape.clone(), t.data.len()))
            .collect(),
    })
}

/// What [`check_model_bytes`] found.
#[derive(Debug, Clone)]
pub struct ModelSummary {
    /// The node count.
    pub nodes: usize,
    /// Each initializer's shape and element count.
    pub initializers: Vec<(Vec<usize>, usize)>,
}
