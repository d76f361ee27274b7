//! Model file loaders. Every offset, size and shape is validated before any
//! tensor data is touched; bad files are a [`LoadError`], never a panic.

mod error;
mod safetensors;
mod safetensors_write;

pub use error::LoadError;
pub use safetensors::{SafetensorsFile, StDType, TensorInfo};
pub use safetensors_write::write_safetensors_f32;

#[cfg(test)]
mod safetensors_tests;
