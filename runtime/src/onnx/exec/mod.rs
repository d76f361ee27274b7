//! Running one node: the operators we map onto the op layer. Float tensors
//! run on the device through `Tensor` ops; integer and boolean tensors (shapes,
//! indices, masks) are computed on the host.

mod activation;
mod cnn;
mod compare;
mod gather_elements;
mod index_map;
mod layout;
mod math;
mod nn;
mod pad_tile;
mod reduce;
mod resize;
mod shape_ops;
mod split;
mod window_attrs;

pub(crate) use index_map::IndexMaps;

use super::error::OnnxError;
use super::graph::Node;
use super::value::{HostTensor, OnnxValue};
use std::sync::Arc;
use tessera_hal::Device;

/// Every default-domain operator we run, sorted.
pub const SUPPORTED: &[&str] = &[
    "Abs",
    "Add",
    "And",
    "ArgMax",
    "ArgMin",
    "AveragePool",
    "BatchNormalization",
    "Cast",
    "Celu",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "ConvTranspose",
    "Div",
    "Dropout",
    "Elu",
    "Equal",
    "Erf",
    "Exp",
    "Expand",
    "Flatten",
    "Gather",
    "GatherElements",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Greater",
    "GreaterOrEqual",
    "HardSigmoid",
    "HardSwish",
    "Identity",
    "LRN",
    "LayerNormalization",
    "LeakyRelu",
    "Less",
    "LessOrEqual",
    "Log",
    "LogSoftmax",
    "MatMul",
    "Max",
    "MaxPool",
    "Mean",
    "Min",
    "Mish",
    "Mul",
    "Neg",
    "Not",
    "Or",
    "PRelu",
    "Pad",
    "Pow",
    "Range",
    "Reciprocal",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceSum",
    "ReduceSumSquare",
    "Relu",
    "Reshape",
    "Resize",
    "Selu",
    "Shape",
    "Sigmoid",
    "Size",
    "Slice",
    "Softmax",
    "Softplus",
    "Softsign",
    "Split",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Sum",
    "Tanh",
    "ThresholdedRelu",
    "Tile",
    "Transpose",
    "Trilu",
    "Unsqueeze",
    "Upsample",
    "Where",
    "Xor",
];

/// Whether we run `op` of `domain`.
pub(crate) fn is_supported(domain: &str, op: &str) -> bool {
    (domain.is_empty() || domain == "ai.onnx") && SUPPORTED.binary_search(&op).is_ok()
}

/// Why a node of a supported operator is still not run (an attribute value
/// we do not implement), found at load; `None` when it runs.
pub(crate) fn unsupported_use(node: &Node) -> Option<String> {
    match node.op.as_str() {
        "Resize" | "Upsample" => resize::unsupported(&node.attrs),
        "Gelu" => match node.attrs.string("approximate").unwrap_or("none") {
            "none" | "tanh" => None,
            other => Some(format!("approximate {other}")),
        },
        "Pad" => match node.attrs.string("mode").unwrap_or("constant") {
            "constant" | "reflect" | "edge" | "wrap" => None,
            other => Some(format!("mode {other}")),
        },
        _ => None,
    }
}

/// What a node can fail with, before it is named.
#[derive(Debug)]
pub(crate) enum ExecError {
    Runtime(crate::Error),
    Bad(String),
}

impl From<crate::Error> for ExecError {
    fn from(e: crate::Error) -> ExecError {
        ExecError::Runtime(e)
    }
}

impl From<crate::ShapeError> for ExecError {
    fn from(e: crate::ShapeError) -> ExecError {
        ExecError::Runtime(e.into())
    }
}

impl From<OnnxError> for ExecError {
    fn from(e: OnnxError) -> ExecError {
        match e {
            OnnxError::Runtime(e) => ExecError::Runtime(*e),
            other => ExecError::Bad(other.to_string()),
        }
    }
}

pub(crate) type ExecResult<T> = Result<T, ExecError>;

pub(crate) fn bad<T>(message: impl Into<String>) -> ExecResult<T> {
    Err(ExecError::Bad(message.into()))
}

/// One node's context: the device, the node, the model's opset and its inputs
/// (`None` for an omitted optional input).
pub(crate) struct Ctx<'a> {
    pub(crate) device: &'a Arc<dyn Device>,
    pub(crate) node: &'a Node,
    pub(crate) opset: i64,
    pub(crate) inputs: Vec<Option<OnnxValue>>,
    /// The plan's device tables (none while folding constants at load).
    pub(crate) maps: Option<&'a IndexMaps>,
    /// How many tables this node asked for so far (their keys).
    pub(crate) tables_used: std::cell::Cell<usize>,
}

impl Ctx<'_> {
    /// Input `i`, which must be present.
    pub(crate) fn input(&self, i: usize) -> ExecResult<&OnnxValue> {
        match self.inputs.get(i) {
            Some(Some(v)) => Ok(v),
            _ => bad(format!("input {i} is missing")),
        }
    }

    /// Input `i` if present.
    pub(crate) fn opt(&self, i: usize) -> Option<&OnnxValue> {
        self.inputs.get(i).and_then(|v| v.as_ref())
    }

    /// Input `i` as host integers (shapes, axes, indices).
    pub(crate) fn ints(&self, i: usize) -> ExecResult<Vec<i64>> {
        Ok(self.input(i)?.to_host()?.to_i64())
    }

    /// Input `i` in host memory.
    pub(crate) fn host(&self, i: usize) -> ExecResult<HostTensor> {
        Ok(self.input(i)?.to_host()?)
    }
}

/// Normalizes a possibly negative axis against `rank`.
pub(crate) fn axis(a: i64, rank: usize) -> ExecResult<usize> {
    let r = rank as i64;
    let v = if a < 0 { a + r } else { a };
    if (0..r.max(1)).contains(&v) || (r == 0 && v == 0) {
        Ok(v as usize)
    } else {
        bad(format!("axis {a} out of range for rank {rank}"))
    }
}

/// Runs `node` on `inputs`, naming the node in any error.
pub(crate) fn run_node(ctx: Ctx<'_>) -> Result<Vec<OnnxValue>, OnnxError> {
    let node = ctx.node;
    let result = match node.op.as_str() {
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Max" | "Min" | "Sum" | "Mean" => {
            math::binary(&ctx)
        }
        "Abs" | "Neg" | "Exp" | "Log" | "Sqrt" | "Tanh" | "Relu" | "Sigmoid" | "Reciprocal"
        | "Gelu" | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Clip" => math::unary(&ctx),
        "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" | "Not" | "And" | "Or"
        | "Xor" => compare::run(&ctx),
        "Where" => math::where_select(&ctx),
        "Erf" | "PRelu" | "Softplus" | "Softsign" | "Elu" | "Selu" | "Celu" | "ThresholdedRelu"
        | "Mish" => activation::run(&ctx),
        "Pad" | "Tile" | "Trilu" => pad_tile::run(&ctx),
        "Split" => split::run(&ctx),
        "GatherElements" => gather_elements::run(&ctx),
        "Resize" | "Upsample" => resize::run(&ctx),
        "MatMul" | "Gemm" => nn::matmul(&ctx),
        "Softmax" | "LogSoftmax" => nn::softmax(&ctx),
        "LayerNormalization" | "BatchNormalization" => nn::norm(&ctx),
        "ReduceMean" | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ReduceSumSquare" | "ReduceL1"
        | "ReduceL2" | "ReduceLogSum" | "ReduceLogSumExp" | "ArgMax" | "ArgMin" => {
            reduce::run(&ctx)
        }
        "Reshape" | "Flatten" | "Squeeze" | "Unsqueeze" | "Shape" | "Size" | "Identity"
        | "Dropout" | "Constant" | "ConstantOfShape" | "Range" | "Cast" => shape_ops::run(&ctx),
        "Transpose" | "Concat" | "Slice" | "Gather" | "Expand" => layout::run(&ctx),
        "Conv" | "FusedConv" | "ConvTranspose" | "MaxPool" | "AveragePool"
        | "GlobalAveragePool" | "GlobalMaxPool" | "LRN" => cnn::run(&ctx),
        _ => bad("unsupported operator"),
    };
    result.map_err(|e| match e {
        ExecError::Runtime(source) => OnnxError::Op {
            node: node.name.clone(),
            op: node.op.clone(),
            source: Box::new(source),
        },
        ExecError::Bad(message) => OnnxError::BadNode {
            node: node.name.clone(),
            op: node.op.clone(),
            message,
        },
    })
}
