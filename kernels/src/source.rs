//! The rendered form of a kernel: what the device layer compiles.

use crate::DType;

/// How one buffer binding of a kernel is used. Bindings live in group 0, numbered
/// in the order of [`KernelSource::bindings`]; the parameter uniform, when the
/// kernel has one, follows them at binding `bindings.len()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindingKind {
    /// A storage buffer the kernel only reads (`var<storage, read>`).
    ReadOnly,
    /// A storage buffer the kernel writes (`var<storage, read_write>`).
    ReadWrite,
}

/// A fully rendered compute kernel, ready for `Device::compile`.
///
/// `key` identifies the rendering uniquely (kernel, dtype, tuning choice): two
/// sources with the same key must have the same WGSL, so the device may cache
/// pipelines by key.
#[derive(Clone, Debug, PartialEq)]
pub struct KernelSource {
    /// Unique cache key of this rendering, e.g. `unary/exp/f32/wg256`.
    pub key: String,
    /// Complete WGSL module text.
    pub wgsl: String,
    /// Name of the `@compute` entry point.
    pub entry: &'static str,
    /// Storage bindings in binding order (group 0, binding 0..n).
    pub bindings: Vec<BindingKind>,
    /// Size in bytes of the parameter uniform at binding `bindings.len()`, or 0 for none.
    pub params_size: u32,
    /// Values for the module's `override` constants, by name.
    pub overrides: Vec<(String, f64)>,
    /// The workgroup size the kernel was rendered with (x, y, z).
    pub workgroup: [u32; 3],
    /// Whether the module needs the `shader-f16` device feature.
    pub needs_f16: bool,
    /// Whether the host has proved every index of this rendering in range, so the
    /// device may compile it without runtime bounds checks. Default `false`.
    pub unchecked_ok: bool,
}

/// The WGSL header that fixes the storage element type of a kernel: enables f16
/// where needed and defines `alias T = ...;`.
pub fn dtype_header(dtype: DType) -> String {
    match dtype {
        DType::F16 => "enable f16;\nalias T = f16;\n".to_string(),
        other => format!("alias T = {};\n", other.wgsl_name()),
    }
}
