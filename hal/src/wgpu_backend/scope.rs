//! Turn wgpu's error scopes into typed results.
//!
//! Native: each operation is wrapped in an out-of-memory and a validation
//! scope, popped (waiting) when it ends. The web cannot wait for a scope, so
//! there no scope is pushed: errors reach the device's uncaptured-error
//! handler and the next call reports them ([`crate::DeviceError::Uncaptured`]);
//! an async read-back yields to the browser first, so its result carries every
//! error of the work it waited for.

use crate::error::DeviceError;

/// Error scopes pushed around one operation; pop with [`Scopes::finish`].
#[cfg(not(target_arch = "wasm32"))]
pub struct Scopes {
    validation: wgpu::ErrorScopeGuard,
    oom: wgpu::ErrorScopeGuard,
}

#[cfg(not(target_arch = "wasm32"))]
impl Scopes {
    /// Push an out-of-memory and a validation scope.
    pub fn push(device: &wgpu::Device) -> Scopes {
        let oom = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
        Scopes { validation, oom }
    }

    /// Pop both scopes; the first error caught becomes a [`DeviceError`].
    pub fn finish(self, during: impl FnOnce() -> String) -> Result<(), DeviceError> {
        let validation = pollster::block_on(self.validation.pop());
        let oom = pollster::block_on(self.oom.pop());
        match (validation, oom) {
            (_, Some(_)) => Err(DeviceError::OutOfMemory { during: during() }),
            (Some(e), None) => Err(DeviceError::Validation {
                during: during(),
                message: describe(&e),
            }),
            (None, None) => Ok(()),
        }
    }
}

/// On the web, no scope: errors go to the uncaptured-error handler.
#[cfg(target_arch = "wasm32")]
pub struct Scopes;

#[cfg(target_arch = "wasm32")]
impl Scopes {
    /// Nothing to push: the uncaptured-error handler collects errors.
    pub fn push(_device: &wgpu::Device) -> Scopes {
        Scopes
    }

    /// Nothing to pop: errors are reported by the next call.
    pub fn finish(self, _during: impl FnOnce() -> String) -> Result<(), DeviceError> {
        Ok(())
    }
}

/// wgpu's error text with its sources.
pub fn describe(e: &wgpu::Error) -> String {
    match e {
        wgpu::Error::Validation { description, .. } => description.clone(),
        wgpu::Error::Internal { description, .. } => description.clone(),
        wgpu::Error::OutOfMemory { .. } => "out of memory".to_string(),
    }
}
