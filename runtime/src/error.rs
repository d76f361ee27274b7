//! Errors of the tensor runtime.

use tessera_hal::DeviceError;
use tessera_kernels::DType;
use thiserror::Error;

/// Shapes that do not fit an operation. Names the op and every shape involved.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{op}: {message} (shapes: {shapes:?})")]
pub struct ShapeError {
    /// The operation, e.g. `matmul`.
    pub op: &'static str,
    /// What is wrong.
    pub message: String,
    /// The shapes involved, in argument order.
    pub shapes: Vec<Vec<usize>>,
}

impl ShapeError {
    /// A shape error for `op` over `shapes`.
    pub fn new(op: &'static str, message: impl Into<String>, shapes: &[&[usize]]) -> ShapeError {
        ShapeError {
            op,
            message: message.into(),
            shapes: shapes.iter().map(|s| s.to_vec()).collect(),
        }
    }
}

/// Everything a runtime call can fail with.
#[derive(Debug, Error)]
pub enum Error {
    /// Shapes do not fit the op.
    #[error(transparent)]
    Shape(#[from] ShapeError),
    /// An operand has a dtype the op does not take.
    #[error("{op}: dtype {found} not supported here (expected {expected})")]
    DType {
        /// The operation.
        op: &'static str,
        /// What the op takes.
        expected: String,
        /// What it got.
        found: DType,
    },
    /// An index (token id, gather index) is outside its table.
    #[error("{op}: index {index} at position {position} is out of range 0..{bound}")]
    IndexOutOfRange {
        /// The operation.
        op: &'static str,
        /// The offending value.
        index: i64,
        /// Where it was in the index list.
        position: usize,
        /// The table size.
        bound: usize,
    },
    /// Operands live on different devices.
    #[error("{op}: operands are on different devices")]
    DeviceMismatch {
        /// The operation.
        op: &'static str,
    },
    /// A tensor or dispatch exceeds what the device or the kernels address.
    #[error("{op}: {message}")]
    TooLarge {
        /// The operation.
        op: &'static str,
        /// What is too large.
        message: String,
    },
    /// A kernel variant was forced on operands (or an adapter) it does not fit.
    #[error("{op}: variant {variant} does not apply here: {reason}")]
    VariantUnavailable {
        /// The operation.
        op: &'static str,
        /// The variant's name.
        variant: &'static str,
        /// Why it does not fit (alignment, broadcast, adapter features).
        reason: String,
    },
    /// An argument is outside what the call accepts (sampling settings, lengths).
    #[error("{op}: {message}")]
    InvalidArgument {
        /// The operation.
        op: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A model file or tokenizer failed to load.
    #[error(transparent)]
    Load(#[from] crate::loaders::LoadError),
    /// A chat template failed to compile or render, or the model has none.
    #[error(transparent)]
    Chat(#[from] crate::chat::ChatError),
    /// The device failed.
    #[error(transparent)]
    Device(#[from] DeviceError),
}

/// Result alias of the runtime.
pub type Result<T, E = Error> = std::result::Result<T, E>;
