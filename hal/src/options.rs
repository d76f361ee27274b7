//! Options for opening a device: today, a cap on the storage binding size the
//! runtime plans with, so that tests run the split paths of large tensors on
//! any adapter.

use crate::adapter::DeviceLimits;
use crate::error::{DeviceError, Result};

/// Environment variable that caps the storage binding size (bytes) the
/// runtime plans with, e.g. `TESSERA_MAX_BINDING_BYTES=8388608`.
pub const MAX_BINDING_ENV: &str = "TESSERA_MAX_BINDING_BYTES";

/// The smallest binding cap accepted: below it every kernel's parameter
/// tables and tiles would split into absurd pieces.
pub const MIN_BINDING_CAP: u64 = 64 * 1024;

/// How to open a device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceOptions {
    /// Cap on [`DeviceLimits::max_storage_buffer_binding_size`] (bytes): the
    /// device then describes, and checks each dispatch against, the smaller of
    /// this and the adapter's limit. `None`: the adapter's limit.
    pub max_binding_bytes: Option<u64>,
}

impl DeviceOptions {
    /// The options the environment sets ([`MAX_BINDING_ENV`]). A value that
    /// is not a byte count of at least [`MIN_BINDING_CAP`] is an error.
    pub fn from_env() -> Result<DeviceOptions> {
        let Ok(value) = std::env::var(MAX_BINDING_ENV) else {
            return Ok(DeviceOptions::default());
        };
        match value.trim().parse::<u64>() {
            Ok(bytes) if bytes >= MIN_BINDING_CAP => Ok(DeviceOptions {
                max_binding_bytes: Some(bytes),
            }),
            _ => Err(DeviceError::InvalidCall(format!(
                "{MAX_BINDING_ENV}={value:?} is not a byte count of at least {MIN_BINDING_CAP}"
            ))),
        }
    }

    /// `limits` with the options applied: the binding size capped (rounded
    /// down to a multiple of the storage offset alignment, never below
    /// [`MIN_BINDING_CAP`]).
    pub fn apply(&self, mut limits: DeviceLimits) -> DeviceLimits {
        if let Some(cap) = self.max_binding_bytes {
            let align = u64::from(limits.min_storage_buffer_offset_alignment.max(4));
            let cap = (cap.max(MIN_BINDING_CAP) / align * align).max(align);
            limits.max_storage_buffer_binding_size =
                limits.max_storage_buffer_binding_size.min(cap);
        }
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CpuDevice;

    #[test]
    fn a_cap_lowers_the_binding_limit_only() {
        let limits = CpuDevice::description(0).limits;
        let capped = DeviceOptions {
            max_binding_bytes: Some(8 * 1024 * 1024 + 3),
        }
        .apply(limits.clone());
        assert_eq!(capped.max_storage_buffer_binding_size, 8 * 1024 * 1024);
        assert_eq!(capped.max_buffer_size, limits.max_buffer_size);
        let tiny = DeviceOptions {
            max_binding_bytes: Some(1),
        }
        .apply(limits.clone());
        assert_eq!(tiny.max_storage_buffer_binding_size, MIN_BINDING_CAP);
        let none = DeviceOptions::default().apply(limits.clone());
        assert_eq!(none, limits);
    }
}
