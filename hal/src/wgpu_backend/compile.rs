//! Turning a rendered kernel into a wgpu compute pipeline with an explicit layout:
//! storage bindings in order, then the parameter uniform; through the persistent
//! pipeline cache where the device has one.

use super::batch::WgpuPipeline;
use super::pipeline_cache::PersistentPipelineCache;
use super::scope::Scopes;
use crate::error::DeviceError;
use tessera_kernels::{BindingKind, KernelSource};

/// Create the pipeline for `source` inside error scopes, through the
/// persistent cache when there is one. A failure through the cache, whatever
/// its cause, is retried without it; when that succeeds the cache was at
/// fault and is discarded (rebuilt empty, rewritten on the next save). A
/// failure without the cache is the kernel's own error.
pub fn create_pipeline_recovering(
    device: &wgpu::Device,
    source: &KernelSource,
    cache: Option<&PersistentPipelineCache>,
) -> Result<WgpuPipeline, DeviceError> {
    let attempt = |cache: Option<&wgpu::PipelineCache>| {
        let scopes = Scopes::push(device);
        let pipeline = create_pipeline(device, source, cache);
        scopes
            .finish(|| format!("compiling {}", source.key))
            .map(|()| pipeline)
    };
    let Some(persistent) = cache else {
        return attempt(None);
    };
    match attempt(Some(&persistent.cache())) {
        Ok(pipeline) => {
            persistent.mark_dirty();
            Ok(pipeline)
        }
        Err(through_cache) => {
            let pipeline = attempt(None)?;
            persistent.discard(device, &through_cache.to_string());
            Ok(pipeline)
        }
    }
}

/// Create the module, bind group layout and pipeline for `source`. Errors are
/// reported through the caller's error scopes.
pub fn create_pipeline(
    device: &wgpu::Device,
    source: &KernelSource,
    cache: Option<&wgpu::PipelineCache>,
) -> WgpuPipeline {
    let descriptor = wgpu::ShaderModuleDescriptor {
        label: Some(&source.key),
        source: wgpu::ShaderSource::Wgsl(source.wgsl.as_str().into()),
    };
    let module = if source.unchecked_ok {
        // SAFETY: the kernel's spec documents the host-side proof that every
        // index is in range for every parameter set the runtime passes.
        unsafe {
            device.create_shader_module_trusted(descriptor, wgpu::ShaderRuntimeChecks::unchecked())
        }
    } else {
        device.create_shader_module(descriptor)
    };
    let mut entries: Vec<wgpu::BindGroupLayoutEntry> = source
        .bindings
        .iter()
        .enumerate()
        .map(|(i, kind)| wgpu::BindGroupLayoutEntry {
            binding: i as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage {
                    read_only: *kind == BindingKind::ReadOnly,
                },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        })
        .collect();
    if source.params_size > 0 {
        entries.push(wgpu::BindGroupLayoutEntry {
            binding: source.bindings.len() as u32,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                // The batch's parameter blocks share one buffer; the dispatch
                // picks its block, so bind groups can be reused (batch.rs).
                has_dynamic_offset: true,
                min_binding_size: None,
            },
            count: None,
        });
    }
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(&source.key),
        entries: &entries,
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(&source.key),
        bind_group_layouts: &[Some(&layout)],
        immediate_size: 0,
    });
    let constants: Vec<(&str, f64)> = source
        .overrides
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(&source.key),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(source.entry),
        compilation_options: wgpu::PipelineCompilationOptions {
            constants: &constants,
            zero_initialize_workgroup_memory: false,
        },
        cache,
    });
    WgpuPipeline { pipeline, layout }
}
