//! Translate wgpu's adapter description into ours, and enumerate adapters.

use crate::adapter::{AdapterDescription, AdapterType, DeviceFeatures, DeviceLimits, Execution};

/// Backends Tessera looks at: every native one wgpu supports.
#[cfg(not(target_arch = "wasm32"))]
pub fn tessera_backends() -> wgpu::Backends {
    wgpu::Backends::VULKAN | wgpu::Backends::GL | wgpu::Backends::METAL | wgpu::Backends::DX12
}

/// Backends Tessera looks at on the web: the browser's WebGPU.
#[cfg(target_arch = "wasm32")]
pub fn tessera_backends() -> wgpu::Backends {
    wgpu::Backends::BROWSER_WEBGPU
}

/// A wgpu instance over [`tessera_backends`].
pub fn create_instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    desc.backends = tessera_backends();
    wgpu::Instance::new(desc)
}

/// Every adapter the instance finds, with our description, in wgpu's order.
pub async fn enumerate_async(
    instance: &wgpu::Instance,
) -> Vec<(wgpu::Adapter, AdapterDescription)> {
    let adapters = instance.enumerate_adapters(tessera_backends()).await;
    #[allow(unused_mut)]
    let mut found: Vec<_> = adapters
        .into_iter()
        .enumerate()
        .map(|(index, adapter)| {
            let desc = describe(index, &adapter);
            (adapter, desc)
        })
        .collect();
    // The browser's adapter comes back unnamed; name it from its info.
    #[cfg(target_arch = "wasm32")]
    for (_, desc) in found.iter_mut().filter(|(_, d)| d.name.is_empty()) {
        let fallback = desc.device_type == AdapterType::Cpu;
        desc.name = super::web_info::browser_adapter_name(fallback).await;
    }
    found
}

/// Describe one adapter.
pub fn describe(index: usize, adapter: &wgpu::Adapter) -> AdapterDescription {
    let info = adapter.get_info();
    let limits = adapter.limits();
    let features = adapter.features();
    AdapterDescription {
        index,
        name: info.name.clone(),
        backend: info.backend.to_str().to_string(),
        device_type: match info.device_type {
            wgpu::DeviceType::DiscreteGpu => AdapterType::DiscreteGpu,
            wgpu::DeviceType::IntegratedGpu => AdapterType::IntegratedGpu,
            wgpu::DeviceType::VirtualGpu => AdapterType::VirtualGpu,
            wgpu::DeviceType::Cpu => AdapterType::Cpu,
            wgpu::DeviceType::Other => AdapterType::Other,
        },
        driver: info.driver.clone(),
        driver_info: info.driver_info.clone(),
        vendor: info.vendor,
        limits: describe_limits(&limits),
        features: describe_features(
            features,
            info.subgroup_min_size,
            info.device_type == wgpu::DeviceType::Cpu,
        ),
    }
}

/// Our view of a wgpu limits struct.
pub fn describe_limits(limits: &wgpu::Limits) -> DeviceLimits {
    DeviceLimits {
        max_buffer_size: limits.max_buffer_size,
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_storage_buffers_per_shader_stage: limits.max_storage_buffers_per_shader_stage,
        max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        max_compute_workgroup_size_x: limits.max_compute_workgroup_size_x,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        min_uniform_buffer_offset_alignment: limits.min_uniform_buffer_offset_alignment,
        min_storage_buffer_offset_alignment: limits.min_storage_buffer_offset_alignment,
    }
}

/// Our view of a wgpu feature set.
pub fn describe_features(
    features: wgpu::Features,
    subgroup_min_size: u32,
    host_memory: bool,
) -> DeviceFeatures {
    let subgroups = features.contains(wgpu::Features::SUBGROUP);
    DeviceFeatures {
        execution: Execution::WgslPrograms,
        host_memory,
        subgroup_min_size: if subgroups { subgroup_min_size } else { 0 },
        shader_f16: features.contains(wgpu::Features::SHADER_F16),
        subgroups,
        timestamps: features.contains(wgpu::Features::TIMESTAMP_QUERY),
    }
}

/// The optional features Tessera asks for, where offered.
pub fn wanted_features(offered: wgpu::Features) -> wgpu::Features {
    let wanted = wgpu::Features::SHADER_F16
        | wgpu::Features::SUBGROUP
        | wgpu::Features::TIMESTAMP_QUERY
        | wgpu::Features::PIPELINE_CACHE;
    offered & wanted
}
