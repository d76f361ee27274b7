//! Errors of model loading: every variant names the file, and the tensor where
//! one is involved.

use std::path::PathBuf;
use thiserror::Error;

/// A model file, config or tokenizer that cannot be used.
#[derive(Debug, Error)]
pub enum LoadError {
    /// The file could not be opened or read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        message: String,
    },
    /// The file ends before its header or data does.
    #[error("{path}: truncated: {message}")]
    Truncated {
        /// The file.
        path: PathBuf,
        /// What is missing.
        message: String,
    },
    /// The header is not what the format says.
    #[error("{path}: bad header: {message}")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tensor's dtype is not one we read.
    #[error("{path}: tensor {tensor}: unsupported dtype {dtype}")]
    UnsupportedDType {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// Its dtype.
        dtype: String,
    },
    /// A tensor's byte range is invalid or does not match its shape.
    #[error("{path}: tensor {tensor}: {message}")]
    BadTensor {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// Two tensors share bytes.
    #[error("{path}: tensors {first} and {second} overlap")]
    Overlap {
        /// The file.
        path: PathBuf,
        /// One tensor.
        first: String,
        /// The other.
        second: String,
    },
    /// A tensor the model needs is absent.
    #[error("{path}: missing tensor {tensor}")]
    MissingTensor {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
    },
    /// A tensor has a different shape than the config implies.
    #[error("{path}: tensor {tensor} has shape {found:?}, the config implies {expected:?}")]
    ShapeMismatch {
        /// The file.
        path: PathBuf,
        /// The tensor.
        tensor: String,
        /// What the config implies.
        expected: Vec<usize>,
        /// What the file has.
        found: Vec<usize>,
    },
    /// A config file is malformed or describes something unsupported.
    #[error("{path}: {message}")]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A size, count or value read from a file (config.json, GGUF metadata, a
    /// header, a tokenizer) is impossible, beyond a sane cap, or disagrees with
    /// another: refused before anything is sized from it.
    #[error("{path}: {field}: {message}")]
    InvalidField {
        /// The file.
        path: PathBuf,
        /// The field, as the file names it (`num_hidden_layers`, `llama.block_count`).
        field: String,
        /// What is wrong with its value.
        message: String,
    },
    /// Text was given to a model that has no tokenizer: no `tokenizer.json` in
    /// its folder, none embedded in its GGUF file, and none given explicitly.
    #[error("{path}: no tokenizer (no tokenizer.json in the model folder, none embedded in the GGUF file, none given)")]
    MissingTokenizer {
        /// The model.
        path: PathBuf,
    },
    /// The tokenizer file failed to load or encode.
    #[error("{path}: tokenizer: {message}")]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}
