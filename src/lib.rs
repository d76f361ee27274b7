//! Tessera: run ML models on any GPU through WGSL compute shaders and wgpu.
//!
//! This facade re-exports the three layers:
//! - [`hal`]: adapters and the [`Device`] trait (wgpu underneath),
//! - [`kernels`]: the WGSL kernels and their specs,
//! - [`runtime`]: tensors, ops, loaders and models;
//!
//! and [`serve`] is the OpenAI-compatible HTTP server of `tessera serve`.
//!
//! An application needs only [`prelude`]:
//!
//! ```no_run
//! use tessera::prelude::*;
//! let device = open_default_device()?;
//! let a = Tensor::from_slice(&device, &[1.0f32, 2.0, 3.0, 4.0], &[2, 2])?;
//! let b = a.matmul(&a)?;
//! println!("{:?}", b.to_vec::<f32>()?);
//! # Ok::<(), tessera::Error>(())
//! ```

pub use tessera_hal as hal;
pub use tessera_kernels as kernels;
pub use tessera_runtime as runtime;

pub mod serve;

pub use tessera_hal::{
    enumerate_adapters, open_default_device, open_device, AdapterSelector, Device,
};
pub use tessera_kernels::DType;
pub use tessera_runtime::{Error, Tensor};

/// What an application needs, in one `use tessera::prelude::*;`: tensors and
/// dtypes, opening a device, the `nn` layers, the sentence embedder and the text
/// generator with its options and results, chat templates and messages, and
/// the error types.
pub mod prelude {
    pub use tessera_hal::{
        enumerate_adapters, open_default_device, open_device, reopen_device, AdapterDescription,
        AdapterSelector, Device, DeviceError,
    };
    pub use tessera_kernels::DType;
    pub use tessera_runtime::chat::{ChatError, ChatMessage, ChatTemplate, SpecialTokens};
    pub use tessera_runtime::generation::{
        BatchOptions, BatchScheduler, GenerateOptions, Generation, SamplingConfig, SequenceEvent,
        SequenceId, SequenceRequest, StopReason, TextGeneration, TextGenerator,
    };
    pub use tessera_runtime::models::bert::SentenceEmbedder;
    pub use tessera_runtime::nn::{Embedding, LayerNorm, Linear};
    pub use tessera_runtime::{Error, LoadError, Result, ShapeError, Tensor};
}
