//! What `tessera onnx info` prints: a model's inputs and outputs (with
//! symbolic dims), opsets, operator histogram and unsupported operators,
//! read without a device.

use super::error::OnnxResult;
use super::exec::is_supported;
use super::graph::{build_graph, decode_model, read_model_bytes, Dim, ValueInfo};
use std::collections::BTreeMap;
use std::path::Path;

/// A summary of a model file.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// The IR version.
    pub ir_version: i64,
    /// Imported opsets: (domain, version); the default domain is empty.
    pub opsets: Vec<(String, i64)>,
    /// Graph inputs (initializers excluded).
    pub inputs: Vec<ValueInfo>,
    /// Graph outputs.
    pub outputs: Vec<ValueInfo>,
    /// The number of initializers.
    pub initializers: usize,
    /// Node count per operator (`domain.Op` outside the default domain).
    pub histogram: BTreeMap<String, usize>,
    /// Operators we do not run, with the nodes that use them.
    pub unsupported: BTreeMap<String, Vec<String>>,
}

/// Reads and checks a model file and summarizes it.
pub fn inspect(path: &Path) -> OnnxResult<ModelInfo> {
    let bytes = read_model_bytes(path)?;
    let graph = build_graph(&decode_model(&bytes)?, path.parent())?;
    let mut histogram = BTreeMap::new();
    let mut unsupported: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for node in &graph.nodes {
        let key = if node.domain.is_empty() || node.domain == "ai.onnx" {
            node.op.clone()
        } else {
            format!("{}.{}", node.domain, node.op)
        };
        *histogram.entry(key.clone()).or_insert(0) += 1;
        if !is_supported(&node.domain, &node.op) {
            unsupported.entry(key).or_default().push(node.name.clone());
        }
    }
    Ok(ModelInfo {
        ir_version: graph.ir_version,
        opsets: graph.opsets,
        inputs: graph.inputs,
        outputs: graph.outputs,
        initializers: graph.initializers.len(),
        histogram,
        unsupported,
    })
}

/// `name: type [dims]`, symbolic dims by name, unknown ones as `?`.
pub fn describe_value(v: &ValueInfo) -> String {
    let dims = match &v.dims {
        Some(d) => {
            let parts: Vec<String> = d
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => n.to_string(),
                    Dim::Symbolic(s) => s.clone(),
                    Dim::Unknown => "?".into(),
                })
                .collect();
            format!("[{}]", parts.join(", "))
        }
        None => "(shape not given)".into(),
    };
    format!(
        "{}: {} {dims}",
        v.name,
        super::tensor_proto::type_name(v.elem_type)
    )
}
