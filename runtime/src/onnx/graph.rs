//! A model file into a checked graph: versions, value names, initializers,
//! attributes and a topological order of the nodes. Every problem is an
//! [`OnnxError`] at load.

use super::attrs::Attrs;
use super::error::{limit, OnnxError, OnnxResult};
use super::limits::{MAX_FILE_BYTES, MAX_NODES, MAX_NODE_ARITY};
use super::proto::{ModelProto, ValueInfoProto};
use super::tensor_proto::decode_tensor;
use super::value::HostTensor;
use prost::Message;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The default-domain opsets we load (7..=21 is the range we support; later
/// opsets, whose operators mostly only added types, load too and are proved by
/// ONNX's node tests).
pub const OPSETS: std::ops::RangeInclusive<i64> = 7..=28;

/// One dim of a declared input or output.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    /// A known size.
    Fixed(i64),
    /// A named size (`batch`, `sequence`).
    Symbolic(String),
    /// No size given.
    Unknown,
}

/// A graph input or output as the model declares it.
#[derive(Debug, Clone)]
pub struct ValueInfo {
    /// The value's name.
    pub name: String,
    /// The ONNX element type tag (0 when not a tensor or not given).
    pub elem_type: i32,
    /// The dims, if the model gives a shape.
    pub dims: Option<Vec<Dim>>,
}

/// One node.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    /// The node's name, or `#index` when it has none.
    pub(crate) name: String,
    pub(crate) op: String,
    pub(crate) domain: String,
    /// Input names; an empty name is an omitted optional input.
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) attrs: Attrs,
}

/// A checked graph with its nodes in topological order.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    pub(crate) ir_version: i64,
    /// The default-domain opset.
    pub(crate) opset: i64,
    /// Every imported opset (domain, version).
    pub(crate) opsets: Vec<(String, i64)>,
    /// The inputs that are not initializers, in graph order.
    pub(crate) inputs: Vec<ValueInfo>,
    pub(crate) outputs: Vec<ValueInfo>,
    pub(crate) initializers: HashMap<String, HostTensor>,
    pub(crate) nodes: Vec<Node>,
}

/// Reads a model file (size checked first).
pub(crate) fn read_model_bytes(path: &Path) -> OnnxResult<Vec<u8>> {
    let io = |e: std::io::Error| OnnxError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(limit(
            "model file",
            format!("{size} bytes exceed {MAX_FILE_BYTES}"),
        ));
    }
    std::fs::read(path).map_err(io)
}

/// Decodes the protobuf message only.
pub(crate) fn decode_model(bytes: &[u8]) -> OnnxResult<ModelProto> {
    ModelProto::decode(bytes).map_err(|e| OnnxError::Decode(e.to_string()))
}

fn is_default_domain(domain: &str) -> bool {
    domain.is_empty() || domain == "ai.onnx"
}

fn value_info(v: &ValueInfoProto) -> ValueInfo {
    use super::proto::tensor_shape_proto::dimension::Value;
    use super::proto::type_proto::Value as TypeValue;
    let tensor = v.r#type.as_ref().and_then(|t| match &t.value {
        Some(TypeValue::TensorType(t)) => Some(t),
        _ => None,
    });
    let dims = tensor.and_then(|t| t.shape.as_ref()).map(|s| {
        s.dim
            .iter()
            .map(|d| match &d.value {
                Some(Value::DimValue(v)) => Dim::Fixed(*v),
                Some(Value::DimParam(p)) => Dim::Symbolic(p.clone()),
                None => Dim::Unknown,
            })
            .collect()
    });
    ValueInfo {
        name: v.name.clone().unwrap_or_default(),
        elem_type: tensor.and_then(|t| t.elem_type).unwrap_or(0),
        dims,
    }
}

/// Checks a decoded model and builds its graph; `dir` holds external data.
pub(crate) fn build_graph(model: &ModelProto, dir: Option<&Path>) -> OnnxResult<Graph> {
    let ir_version = model.ir_version.unwrap_or(0);
    if ir_version < 3 {
        return Err(OnnxError::Version(format!(
            "IR version {ir_version} (3 or later needed)"
        )));
    }
    let opsets: Vec<(String, i64)> = model
        .opset_import
        .iter()
        .map(|o| (o.domain.clone().unwrap_or_default(), o.version.unwrap_or(0)))
        .collect();
    let opset = opsets
        .iter()
        .find(|(d, _)| is_default_domain(d))
        .map(|(_, v)| *v)
        .ok_or_else(|| OnnxError::Version("no default-domain opset imported".into()))?;
    if !OPSETS.contains(&opset) {
        return Err(OnnxError::Version(format!(
            "default-domain opset {opset} (we load {}..={})",
            OPSETS.start(),
            OPSETS.end()
        )));
    }
    let graph = model
        .graph
        .as_ref()
        .ok_or_else(|| OnnxError::Decode("the model has no graph".into()))?;
    if graph.node.len() > MAX_NODES {
        return Err(limit(
            "graph",
            format!("{} nodes exceed {MAX_NODES}", graph.node.len()),
        ));
    }
    let mut defined: HashSet<String> = HashSet::new();
    let mut define = |name: &str| -> OnnxResult<()> {
        if !name.is_empty() && !defined.insert(name.to_string()) {
            return Err(OnnxError::DuplicateValue {
                name: name.to_string(),
            });
        }
        Ok(())
    };
    let mut initializers = HashMap::new();
    for t in &graph.initializer {
        let name = t.name.clone().unwrap_or_default();
        define(&name)?;
        initializers.insert(name, decode_tensor(t, dir)?);
    }
    let mut inputs = Vec::new();
    for v in &graph.input {
        let info = value_info(v);
        // IR < 4 lists initializers among the inputs too.
        if !initializers.contains_key(&info.name) {
            define(&info.name)?;
            inputs.push(info);
        }
    }
    let mut nodes = Vec::with_capacity(graph.node.len());
    for (index, n) in graph.node.iter().enumerate() {
        let name = match n.name.as_deref() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => format!("#{index}"),
        };
        if n.input.len() > MAX_NODE_ARITY || n.output.len() > MAX_NODE_ARITY {
            return Err(limit(format!("node {name}"), "too many inputs or outputs"));
        }
        for o in &n.output {
            define(o)?;
        }
        nodes.push(Node {
            name,
            op: n.op_type.clone().unwrap_or_default(),
            domain: n.domain.clone().unwrap_or_default(),
            inputs: n.input.clone(),
            outputs: n.output.clone(),
            attrs: Attrs::decode(&n.attribute, dir)?,
        });
    }
    let nodes = topological_order(nodes, &defined)?;
    let outputs: Vec<ValueInfo> = graph.output.iter().map(value_info).collect();
    for o in &outputs {
        if !defined.contains(&o.name) {
            return Err(OnnxError::DanglingInput {
                node: "graph output".into(),
                op: "-".into(),
                input: o.name.clone(),
            });
        }
    }
    Ok(Graph {
        ir_version,
        opset,
        opsets,
        inputs,
        outputs,
        initializers,
        nodes,
    })
}

/// Kahn's algorithm: nodes ordered so that every input is produced first.
/// A name nothing defines is `DanglingInput`; nodes left over form a cycle.
fn topological_order(nodes: Vec<Node>, defined: &HashSet<String>) -> OnnxResult<Vec<Node>> {
    let mut producer: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for o in n.outputs.iter().filter(|o| !o.is_empty()) {
            producer.insert(o, i);
        }
    }
    let mut waiting = vec![0usize; nodes.len()];
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for input in n.inputs.iter().filter(|s| !s.is_empty()) {
            if !defined.contains(input) {
                return Err(OnnxError::DanglingInput {
                    node: n.name.clone(),
                    op: n.op.clone(),
                    input: input.clone(),
                });
            }
            if let Some(&p) = producer.get(input.as_str()) {
                waiting[i] += 1;
                consumers[p].push(i);
            }
        }
    }
    let mut ready: Vec<usize> = (0..nodes.len())
        .filter(|&i| waiting[i] == 0)
        .rev()
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(i) = ready.pop() {
        order.push(i);
        for &c in consumers[i].iter().rev() {
            waiting[c] -= 1;
            if waiting[c] == 0 {
                ready.push(c);
            }
        }
    }
    if order.len() < nodes.len() {
        let stuck = (0..nodes.len()).find(|&i| waiting[i] > 0).unwrap_or(0);
        return Err(OnnxError::Cycle {
            node: nodes[stuck].name.clone(),
            op: nodes[stuck].op.clone(),
        });
    }
    let mut slots: Vec<Option<Node>> = nodes.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}
