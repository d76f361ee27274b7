//! Tessera's tensor runtime: tensors, ops, loaders, layers and models.
//!
//! Rules of this crate:
//! - It never names wgpu: devices are `Arc<dyn tessera_hal::Device>`.
//! - An op is defined once: check shapes and dtypes on the host (a [`ShapeError`]
//!   naming the op and the shapes), render a kernel spec, dispatch through the
//!   device. Nothing is read back unless the caller asks.
//! - Every op has a plain-Rust CPU reference in [`reference`] (f64 accumulation),
//!   the oracle of the tests.
//! - No panic on user input: bad shapes, indices out of range, tensors beyond the
//!   device's limits and malformed files are typed errors.

pub mod conformance;
mod error;
pub mod generation;
mod host_ops;
pub mod loaders;
pub mod models;
pub mod nn;
pub mod ops;
pub mod quant;
pub mod tensor;
pub mod timing;
pub mod tokenizer;
pub mod tuning;

pub use error::{Error, Result, ShapeError};
pub use loaders::LoadError;
pub use tensor::{set_poison_outputs, Element, Tensor};
pub mod reference;
