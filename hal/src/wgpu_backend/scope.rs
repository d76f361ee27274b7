//! Turn wgpu's error scopes into typed results.

use crate::error::DeviceError;

/// Error scopes pushed around one operation; pop with [`Scopes::finish`].
pub struct Scopes {
    validation: wgpu::ErrorScopeGuard,
    oom: wgpu::ErrorScopeGuard,
}

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

/// wgpu's error text with its sources.
pub fn describe(e: &wgpu::Error) -> String {
    match e {
        wgpu::Error::Validation { description, .. } => description.clone(),
        wgpu::Error::Internal { description, .. } => description.clone(),
        wgpu::Error::OutOfMemory { .. } => "out of memory".to_string(),
    }
}
