//! What an adapter is and can do, independent of wgpu's types.

use serde::Serialize;

/// Kind of adapter, best first for the default choice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AdapterType {
    /// A discrete GPU.
    DiscreteGpu,
    /// A GPU sharing memory with the CPU.
    IntegratedGpu,
    /// A virtualised GPU.
    VirtualGpu,
    /// A software rasteriser (lavapipe, llvmpipe, WARP).
    Cpu,
    /// Unknown.
    Other,
    /// Tessera's CPU backend: no GPU and no programs; each op runs its plain-Rust
    /// reference on host memory. Chosen by name (`cpu`) only, or when nothing
    /// else exists.
    Reference,
}

impl AdapterType {
    /// Rank for the default choice: lower is better.
    pub fn preference_rank(self) -> u8 {
        match self {
            AdapterType::DiscreteGpu => 0,
            AdapterType::IntegratedGpu => 1,
            AdapterType::VirtualGpu => 2,
            AdapterType::Cpu => 3,
            AdapterType::Other => 4,
            AdapterType::Reference => 5,
        }
    }
}

/// The limits Tessera cares about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceLimits {
    /// Largest buffer in bytes.
    pub max_buffer_size: u64,
    /// Largest storage binding in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Storage buffers one kernel may bind.
    pub max_storage_buffers_per_shader_stage: u32,
    /// Workgroup memory in bytes.
    pub max_compute_workgroup_storage_size: u32,
    /// Threads per workgroup.
    pub max_compute_invocations_per_workgroup: u32,
    /// Workgroup size in x.
    pub max_compute_workgroup_size_x: u32,
    /// Workgroups per dispatch dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Alignment of uniform buffer offsets.
    pub min_uniform_buffer_offset_alignment: u32,
    /// Alignment of storage buffer binding offsets: a window of a buffer
    /// ([`crate::Buffer::window`]) is bound at a multiple of it.
    pub min_storage_buffer_offset_alignment: u32,
}

/// How a device runs the ops the runtime hands it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub enum Execution {
    /// The runtime lowers each op to a WGSL compute program; the device compiles
    /// and dispatches it (wgpu: Vulkan, Metal, DX12, GL, WebGPU).
    #[default]
    WgslPrograms,
    /// The device records WGSL programs without running them (the null device):
    /// results are undefined and nothing can be measured.
    RecordedPrograms,
    /// The device runs no programs: the runtime executes each op directly over
    /// the device's host memory ([`crate::HostMemory`]) with the op's reference
    /// implementation (the CPU backend).
    HostOps,
}

impl Execution {
    /// Whether ops are lowered to WGSL programs for this device.
    pub fn lowers_to_wgsl(self) -> bool {
        matches!(self, Execution::WgslPrograms | Execution::RecordedPrograms)
    }

    /// Whether running work on this device takes measurable time (tuning and
    /// benchmarks mean something).
    pub fn is_measurable(self) -> bool {
        !matches!(self, Execution::RecordedPrograms)
    }
}

/// Optional capabilities of a device.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeviceFeatures {
    /// How ops run on this device (lowered WGSL programs, or directly on the host).
    pub execution: Execution,
    /// The device's memory is the host's RAM and its workgroups run on host
    /// cores (software adapters such as lavapipe, and the CPU backend): kernels
    /// that save memory traffic win over kernels that save arithmetic.
    pub host_memory: bool,
    /// `shader-f16`: f16 storage and arithmetic in WGSL.
    pub shader_f16: bool,
    /// Subgroup operations in compute shaders.
    pub subgroups: bool,
    /// Smallest subgroup size the adapter may use (0 without subgroups).
    pub subgroup_min_size: u32,
    /// GPU timestamp queries.
    pub timestamps: bool,
}

impl DeviceFeatures {
    /// Whether the device has subgroup operations with never fewer than
    /// `lanes` lanes per subgroup (what the subgroup-broadcast kernels assume).
    pub fn has_subgroups_of(&self, lanes: u32) -> bool {
        self.subgroups && self.subgroup_min_size >= lanes
    }
}

/// Description of one adapter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AdapterDescription {
    /// Position in [`crate::enumerate_adapters`]'s list.
    pub index: usize,
    /// Adapter name, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// Backend name: `vulkan`, `gl`, `metal`, `dx12`.
    pub backend: String,
    /// Adapter kind.
    pub device_type: AdapterType,
    /// Driver name.
    pub driver: String,
    /// Driver version / details.
    pub driver_info: String,
    /// PCI vendor id (0 when unknown).
    pub vendor: u32,
    /// Limits the adapter offers.
    pub limits: DeviceLimits,
    /// Features the adapter offers.
    pub features: DeviceFeatures,
}

impl AdapterDescription {
    /// A file-name-safe key of this adapter, its driver and this crate's version:
    /// caches of measured choices and compiled pipelines are valid under one key only.
    pub fn cache_key(&self) -> String {
        let vendor = self.vendor.to_string();
        let hash = crate::cache_dir::stable_hash(&[
            &self.name,
            &self.backend,
            &self.driver,
            &self.driver_info,
            &vendor,
            env!("CARGO_PKG_VERSION"),
        ]);
        format!("{}-{hash:016x}", self.backend)
    }

    /// Whether this is a software adapter behind the browser's WebGPU
    /// (SwiftShader, shaders compiled by Tint): there heavily unrolled
    /// register-blocked kernels take minutes and gigabytes to compile and can
    /// lose the device, so ops keep to their barrier-free or direct kernels.
    pub fn is_software_webgpu(&self) -> bool {
        self.features.host_memory && self.backend == "webgpu"
    }

    /// One line for listings: `[0] name (backend, type, driver)`.
    pub fn summary(&self) -> String {
        format!(
            "[{}] {} ({}, {:?}, {} {})",
            self.index, self.name, self.backend, self.device_type, self.driver, self.driver_info
        )
    }

    /// Whether `selector` (case-insensitive) names this adapter: its index, or a
    /// substring of its name or backend.
    pub fn matches(&self, selector: &str) -> bool {
        let s = selector.trim().to_lowercase();
        if let Ok(i) = s.parse::<usize>() {
            return i == self.index;
        }
        self.name.to_lowercase().contains(&s) || self.backend.to_lowercase() == s
    }
}

/// Which adapter to open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AdapterSelector {
    /// `TESSERA_ADAPTER` when set, else the best adapter (discrete, integrated, software).
    #[default]
    Auto,
    /// The best adapter, ignoring the environment.
    Best,
    /// By index, or case-insensitive substring of the name or the backend name.
    Named(String),
}

/// Environment variable that picks the adapter: an index, or a substring of the
/// adapter's name or backend (case-insensitive).
pub const ADAPTER_ENV: &str = "TESSERA_ADAPTER";

impl AdapterSelector {
    /// Resolve `Auto` against the environment.
    pub fn resolved(&self) -> AdapterSelector {
        match self {
            AdapterSelector::Auto => match std::env::var(ADAPTER_ENV) {
                Ok(v) if !v.trim().is_empty() => AdapterSelector::Named(v),
                _ => AdapterSelector::Best,
            },
            other => other.clone(),
        }
    }
}

/// Pick from `adapters` per `selector`: returns the index into the slice.
pub fn choose_adapter(
    adapters: &[AdapterDescription],
    selector: &AdapterSelector,
) -> Option<usize> {
    match selector.resolved() {
        AdapterSelector::Named(name) => {
            let exact_backend = name.trim().to_lowercase();
            adapters
                .iter()
                .position(|a| a.backend == exact_backend)
                .or_else(|| adapters.iter().position(|a| a.matches(&name)))
        }
        _ => adapters
            .iter()
            .enumerate()
            .min_by_key(|(_, a)| {
                (
                    a.device_type.preference_rank(),
                    backend_rank(&a.backend),
                    a.index,
                )
            })
            .map(|(i, _)| i),
    }
}

fn backend_rank(backend: &str) -> u8 {
    match backend {
        "vulkan" | "metal" | "dx12" => 0,
        "gl" => 1,
        _ => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adapter(
        index: usize,
        name: &str,
        backend: &str,
        device_type: AdapterType,
    ) -> AdapterDescription {
        AdapterDescription {
            index,
            name: name.into(),
            backend: backend.into(),
            device_type,
            driver: String::new(),
            driver_info: String::new(),
            vendor: 0,
            limits: DeviceLimits {
                max_buffer_size: 1 << 28,
                max_storage_buffer_binding_size: 1 << 27,
                max_storage_buffers_per_shader_stage: 8,
                max_compute_workgroup_storage_size: 16384,
                max_compute_invocations_per_workgroup: 256,
                max_compute_workgroup_size_x: 256,
                max_compute_workgroups_per_dimension: 65535,
                min_uniform_buffer_offset_alignment: 256,
                min_storage_buffer_offset_alignment: 256,
            },
            features: DeviceFeatures::default(),
        }
    }

    #[test]
    fn default_prefers_discrete_then_integrated_then_software_and_vulkan_over_gl() {
        let list = vec![
            adapter(0, "llvmpipe", "gl", AdapterType::Cpu),
            adapter(1, "llvmpipe", "vulkan", AdapterType::Cpu),
            adapter(2, "Intel Iris", "vulkan", AdapterType::IntegratedGpu),
            adapter(3, "NVIDIA H100", "vulkan", AdapterType::DiscreteGpu),
        ];
        assert_eq!(choose_adapter(&list, &AdapterSelector::Best), Some(3));
        assert_eq!(choose_adapter(&list[..3], &AdapterSelector::Best), Some(2));
        assert_eq!(choose_adapter(&list[..2], &AdapterSelector::Best), Some(1));
    }

    #[test]
    fn named_selection_by_index_name_or_backend() {
        let list = vec![
            adapter(0, "llvmpipe (LLVM 15)", "vulkan", AdapterType::Cpu),
            adapter(1, "llvmpipe (LLVM 15)", "gl", AdapterType::Cpu),
        ];
        let named = |s: &str| choose_adapter(&list, &AdapterSelector::Named(s.into()));
        assert_eq!(named("1"), Some(1));
        assert_eq!(named("GL"), Some(1));
        assert_eq!(named("LLVMPIPE"), Some(0));
        assert_eq!(named("7"), None);
        assert_eq!(named("radeon"), None);
    }
}
