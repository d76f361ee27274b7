//! Errors of ONNX loading and execution. Every variant that concerns a node
//! names it (its name, or `#index` when it has none) and its operator.

use std::path::PathBuf;
use thiserror::Error;

/// An ONNX model that cannot be loaded or run.
#[derive(Debug, Error)]
pub enum OnnxError {
    /// The file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// The bytes are not a valid ONNX protobuf message.
    #[error("not a valid ONNX protobuf: {0}")]
    Decode(String),
    /// The model's IR version or opsets are outside what we run.
    #[error("unsupported model version: {0}")]
    Version(String),
    /// A size, count, dim or length is outside the limits (checked before allocating).
    #[error("{what}: {message}")]
    Limit {
        /// What was being read.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A tensor (initializer, Constant, input) is malformed: bad type tag, a
    /// data length that does not match its shape, a bad external reference.
    #[error("tensor {tensor}: {message}")]
    BadTensor {
        /// The tensor's name.
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// An external-data location that leaves the model's folder, or cannot be read.
    #[error("tensor {tensor}: external data {location}: {message}")]
    ExternalData {
        /// The tensor's name.
        tensor: String,
        /// The location as written in the model.
        location: String,
        /// What is wrong.
        message: String,
    },
    /// The graph's nodes form a cycle.
    #[error("graph has a cycle through node {node} ({op})")]
    Cycle {
        /// A node on the cycle.
        node: String,
        /// Its operator.
        op: String,
    },
    /// A node reads a value that no input, initializer or node produces.
    #[error("node {node} ({op}) reads {input}, which nothing produces")]
    DanglingInput {
        /// The node.
        node: String,
        /// Its operator.
        op: String,
        /// The missing value's name.
        input: String,
    },
    /// A value is produced twice (by two nodes, or by a node and an input).
    #[error("value {name} is defined twice")]
    DuplicateValue {
        /// The value's name.
        name: String,
    },
    /// An operator we do not run (named, with its node), found at load.
    #[error("unsupported operator {domain}{op} (opset {opset}) at node {node}")]
    UnsupportedOp {
        /// The operator.
        op: String,
        /// Its domain followed by `.`, empty for the default domain.
        domain: String,
        /// The opset it is imported at.
        opset: i64,
        /// The node.
        node: String,
    },
    /// A supported operator used with an attribute value we do not run
    /// (Resize's cubic mode, say), found at load.
    #[error("node {node} ({op}): {what} is not supported")]
    UnsupportedAttr {
        /// The node.
        node: String,
        /// Its operator.
        op: String,
        /// The attribute and value.
        what: String,
    },
    /// A node's attributes or inputs are not what its operator takes.
    #[error("node {node} ({op}): {message}")]
    BadNode {
        /// The node.
        node: String,
        /// Its operator.
        op: String,
        /// What is wrong.
        message: String,
    },
    /// The inputs given to `run` do not match the graph.
    #[error("input {name}: {message}")]
    BadInput {
        /// The graph input.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// An op of the runtime failed while running a node.
    #[error("node {node} ({op}): {source}")]
    Op {
        /// The node.
        node: String,
        /// Its operator.
        op: String,
        /// The runtime's error.
        #[source]
        source: Box<crate::Error>,
    },
    /// A runtime call outside any node failed (upload, read-back).
    #[error(transparent)]
    Runtime(#[from] Box<crate::Error>),
}

impl From<crate::Error> for OnnxError {
    fn from(e: crate::Error) -> OnnxError {
        OnnxError::Runtime(Box::new(e))
    }
}

/// Result alias of the ONNX module.
pub type OnnxResult<T> = std::result::Result<T, OnnxError>;

/// A `Limit` error.
pub(crate) fn limit(what: impl Into<String>, message: impl Into<String>) -> OnnxError {
    OnnxError::Limit {
        what: what.into(),
        message: message.into(),
    }
}
