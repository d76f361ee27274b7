//! Model file loaders (safetensors, and GGUF headers in [`gguf`]). Every offset, size and shape is validated before any
//! tensor data is touched; bad files are a [`LoadError`], never a panic.

mod error;
pub mod gguf;
mod safetensors;
mod safetensors_write;

pub use error::LoadError;
pub use safetensors::{SafetensorsFile, StDType, TensorInfo};
pub use safetensors_write::write_safetensors_f32;

#[cfg(test)]
mod gguf_tests;
#[cfg(test)]
mod safetensors_tests;
