//! Tessera's tensor runtime: tensors, ops, loaders, layers and models.
//!
//! Rules of this crate:
//! - It never names wgpu: devices are `Arc<dyn tessera_hal::Device>`.
//! - An op is declared once ([`ops::OpDeclaration`], all of them in
//!   [`ops::DECLARATIONS`]): its `Tensor` method checks shapes and dtypes on the
//!   host (a [`ShapeError`] naming the op and the shapes), then runs the op by
//!   the device's capabilities: directly with its reference on a device that
//!   runs no programs (the CPU backend, `host_ops`), else as a kernel chosen
//!   among the declared candidates, lowered to WGSL and dispatched. Nothing is
//!   read back unless the caller asks.
//! - Ops ask the device for capabilities, never for a backend name or an
//!   adapter type.
//! - The conformance suite ([`conformance`]) is generated from the
//!   declarations: a new op is checked on every adapter once it is declared.
//! - Every op has a plain-Rust CPU reference in [`reference`] (f64 accumulation),
//!   the oracle of the tests.
//! - No panic on user input: bad shapes, indices out of range, tensors beyond the
//!   device's limits and malformed files are typed errors.

pub mod chat;
pub mod conformance;
mod error;
pub mod generation;
mod host_ops;
pub mod loaders;
pub mod models;
pub mod nn;
pub mod onnx;
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
