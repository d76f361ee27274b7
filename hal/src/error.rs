//! Errors of the device layer.

use thiserror::Error;

/// Everything that can go wrong talking to a device.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum DeviceError {
    /// No adapter at all was found.
    #[error(
        "no GPU or software adapter found. On Linux install Mesa's Vulkan drivers \
         (`apt-get install mesa-vulkan-drivers libvulkan1`) for the lavapipe software adapter, \
         or a GPU driver with Vulkan support"
    )]
    NoAdapter,
    /// The adapter named by `TESSERA_ADAPTER` or the API does not exist.
    #[error("no adapter matches {selector:?}; available: {available}")]
    AdapterNotFound {
        /// What the caller asked for.
        selector: String,
        /// The adapters that do exist, one per line.
        available: String,
    },
    /// Opening the logical device failed.
    #[error("could not open a device on adapter {adapter}: {message}")]
    RequestDevice {
        /// Adapter name.
        adapter: String,
        /// wgpu's message.
        message: String,
    },
    /// A buffer larger than the device allows was requested.
    #[error("buffer of {requested} bytes exceeds the device limit of {limit} bytes ({what})")]
    TooLarge {
        /// Bytes asked for.
        requested: u64,
        /// The limit that was hit.
        limit: u64,
        /// Which limit.
        what: &'static str,
    },
    /// The device ran out of memory.
    #[error("out of device memory while {during}")]
    OutOfMemory {
        /// The operation that failed.
        during: String,
    },
    /// wgpu rejected an operation as invalid.
    #[error("wgpu validation error while {during}: {message}")]
    Validation {
        /// The operation that failed.
        during: String,
        /// wgpu's message.
        message: String,
    },
    /// A kernel failed to compile into a pipeline.
    #[error("kernel {key} failed to compile: {message}")]
    Compile {
        /// Kernel key.
        key: String,
        /// The compiler's message.
        message: String,
    },
    /// The kernel or operation needs a feature the device lacks.
    #[error("{what} is not supported on adapter {adapter}")]
    Unsupported {
        /// What was needed, e.g. `shader-f16`.
        what: String,
        /// Adapter name.
        adapter: String,
    },
    /// A call's arguments do not fit the kernel or buffer.
    #[error("invalid call: {0}")]
    InvalidCall(String),
    /// A buffer from another device was passed.
    #[error("buffer or pipeline belongs to a different device")]
    ForeignResource,
    /// The device was lost (driver reset, removal).
    #[error("device lost: {0}")]
    Lost(String),
    /// An error wgpu reported outside any scope, surfaced on the next call.
    #[error("earlier device error: {0}")]
    Uncaptured(String),
    /// Waiting for the device or mapping a buffer failed.
    #[error("device wait failed: {0}")]
    Wait(String),
}

/// Result alias of the device layer.
pub type Result<T, E = DeviceError> = std::result::Result<T, E>;
