//! Model file loaders. Every offset, size and shape is validated before any
//! tensor data is touched; bad files are a [`LoadError`], never a panic.

mod error;
mod safetensors;

pub use error::LoadError;
pub use safetensors::{SafetensorsFile, StDType, TensorInfo};
