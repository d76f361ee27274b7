//! What the runtime hands a device to compile: a program lowered for that
//! device's backend, never an op or a tensor.

use tessera_kernels::KernelSource;

/// A lowered program, in the format of the backend that runs it. Each
/// backend that compiles programs accepts its own variant and refuses the
/// others with a typed error; a backend that runs ops directly (the CPU
/// backend) accepts none. A vendor-runtime backend adds its variant here
/// (e.g. an Ascend C kernel), with the runtime lowering ops to it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Program<'a> {
    /// A WGSL compute shader with its entry point, bindings, parameter
    /// uniform and workgroup size: what wgpu runs (Vulkan, Metal, DX12, GL,
    /// WebGPU).
    Wgsl(&'a KernelSource),
}

impl Program<'_> {
    /// The program's cache key (unique per distinct program).
    pub fn key(&self) -> &str {
        match self {
            Program::Wgsl(source) => &source.key,
        }
    }

    /// The program format's name, for messages: `wgsl`.
    pub fn format(&self) -> &'static str {
        match self {
            Program::Wgsl(_) => "wgsl",
        }
    }
}

impl<'a> From<&'a KernelSource> for Program<'a> {
    fn from(source: &'a KernelSource) -> Program<'a> {
        Program::Wgsl(source)
    }
}
