//! Putting a kernel module together: dtype header, generated snippets, the shared
//! helpers and the `.wgsl` body, in that order.

use crate::{BindingKind, KernelSource};

const COMMON: &str = include_str!("wgsl/common.wgsl");

/// Default threads per workgroup of the 1-D kernels.
pub const DEFAULT_WG: u32 = 256;

/// A 1-D kernel with `override WG` set to `wg`.
pub(crate) fn linear_kernel(
    key: String,
    header: &str,
    body: &str,
    bindings: Vec<BindingKind>,
    params_size: usize,
    wg: u32,
    needs_f16: bool,
) -> KernelSource {
    KernelSource {
        key,
        wgsl: format!("{header}\n{COMMON}\n{body}"),
        entry: "main",
        bindings,
        params_size: params_size as u32,
        overrides: vec![("WG".to_string(), wg as f64)],
        workgroup: [wg, 1, 1],
        needs_f16,
        unchecked_ok: false,
    }
}

/// A kernel whose workgroup size is fixed by constants in its header.
pub(crate) fn fixed_kernel(
    key: String,
    header: &str,
    body: &str,
    bindings: Vec<BindingKind>,
    params_size: usize,
    workgroup: [u32; 3],
    needs_f16: bool,
) -> KernelSource {
    KernelSource {
        key,
        wgsl: format!("{header}\n{COMMON}\n{body}"),
        entry: "main",
        bindings,
        params_size: params_size as u32,
        overrides: Vec::new(),
        workgroup,
        needs_f16,
        unchecked_ok: false,
    }
}
