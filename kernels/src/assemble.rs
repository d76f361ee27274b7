//! Putting a kernel module together: the spec's header (dtype alias, constants,
//! generated functions), the parameter struct, the binding declarations
//! generated from the spec's binding list, the shared helpers and the `.wgsl`
//! body, in that order. WGSL declarations at module scope may come in any
//! order, so a body uses the bindings and `p` without declaring them.

use crate::grid::MAX_RANK;
use crate::{BindingKind, KernelSource, UniformParams};
use std::fmt::Write;

const COMMON: &str = include_str!("wgsl/common.wgsl");
const STRIDED: &str = include_str!("wgsl/strided.wgsl");

/// Default threads per workgroup of the 1-D kernels.
pub const DEFAULT_WG: u32 = 256;

/// One storage buffer of a kernel: the spec's binding list is the only place
/// its name, access and element type are written. The renderer declares it
/// as `@group(0) @binding(i) var<storage, access> name: array<elem>;`, `i` its
/// place in the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Binding {
    /// The WGSL variable name.
    pub name: &'static str,
    /// Read-only or read-write.
    pub kind: BindingKind,
    /// The WGSL element type of the array, e.g. `T` or `vec4<u32>`.
    pub elem: &'static str,
}

impl Binding {
    /// A buffer the kernel only reads.
    pub(crate) const fn read(name: &'static str, elem: &'static str) -> Binding {
        Binding {
            name,
            kind: BindingKind::ReadOnly,
            elem,
        }
    }

    /// A buffer the kernel writes.
    pub(crate) const fn read_write(name: &'static str, elem: &'static str) -> Binding {
        Binding {
            name,
            kind: BindingKind::ReadWrite,
            elem,
        }
    }
}

/// The WGSL declarations of `bindings` (group 0, binding `i` for the `i`-th)
/// and of the parameter uniform `p: Params` after them.
fn declarations(bindings: &[Binding]) -> String {
    let mut decls = String::new();
    for (i, b) in bindings.iter().enumerate() {
        let access = match b.kind {
            BindingKind::ReadOnly => "read",
            BindingKind::ReadWrite => "read_write",
        };
        let _ = writeln!(
            decls,
            "@group(0) @binding({i}) var<storage, {access}> {}: array<{}>;",
            b.name, b.elem
        );
    }
    let _ = writeln!(
        decls,
        "@group(0) @binding({}) var<uniform> p: Params;",
        bindings.len()
    );
    decls
}

/// The `MAX_RANK` constant and `strided_offsets` (`wgsl/strided.wgsl`): the
/// index decomposition of the strided kernels, which define `strides_at`.
pub(crate) fn strided_helpers() -> String {
    format!("const MAX_RANK: u32 = {MAX_RANK}u;\n{STRIDED}")
}

/// A 1-D kernel of [`DEFAULT_WG`] threads, set through the body's `override WG`.
pub(crate) fn linear_kernel<P: UniformParams>(
    key: String,
    header: &str,
    bindings: &[Binding],
    body: &str,
    needs_f16: bool,
) -> KernelSource {
    KernelSource {
        overrides: vec![("WG".to_string(), DEFAULT_WG as f64)],
        ..fixed_kernel::<P>(key, header, bindings, body, [DEFAULT_WG, 1, 1], needs_f16)
    }
}

/// A kernel whose workgroup size `workgroup` is fixed by constants in its
/// header or body.
pub(crate) fn fixed_kernel<P: UniformParams>(
    key: String,
    header: &str,
    bindings: &[Binding],
    body: &str,
    workgroup: [u32; 3],
    needs_f16: bool,
) -> KernelSource {
    KernelSource {
        key,
        wgsl: format!(
            "{header}{}{}\n{COMMON}\n{body}",
            P::WGSL,
            declarations(bindings)
        ),
        entry: "main",
        bindings: bindings.iter().map(|b| b.kind).collect(),
        params_size: std::mem::size_of::<P>() as u32,
        overrides: Vec::new(),
        workgroup,
        needs_f16,
        unchecked_ok: false,
    }
}
