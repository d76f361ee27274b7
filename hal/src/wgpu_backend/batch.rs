//! Recorded-but-unsubmitted work, and how it becomes one command buffer.
//!
//! Dispatches are recorded as plain values (pipeline, buffer handles, parameter
//! bytes) and encoded at flush time into compute passes. The recorded handles keep
//! every buffer alive, so a buffer cannot return to the pool and be reused while
//! unsubmitted work still names it. Parameter uniforms of a batch share one buffer,
//! written just before the submit; each dispatch finds its block through a
//! dynamic offset, so a bind group depends only on the buffers it binds and is
//! kept in a [`BindGroupCache`] for the next dispatch that binds the same ones.

use crate::device::{Buffer, Pipeline};
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::num::NonZeroU64;

/// Bind groups kept at most; past this the cache starts over.
const MAX_CACHED_BIND_GROUPS: usize = 4096;

/// What a bind group binds: the layout, each storage buffer with its binding
/// offset and size, and the parameter uniform buffer (bound at offset 0 with the
/// pipeline's parameter size; the dispatch's block is the dynamic offset).
#[derive(PartialEq, Eq, Hash)]
struct BindKey {
    layout: wgpu::BindGroupLayout,
    buffers: Vec<(wgpu::Buffer, u64, u64)>,
    params: Option<(wgpu::Buffer, u64)>,
}

/// Bind groups already created, by what they bind.
///
/// Creating a bind group is the largest part of wgpu's host cost per dispatch.
/// Buffers come back from the pool, so a model's steady state binds the same
/// buffers in the same ways over and over. A cached bind group (and its key)
/// holds its buffers alive, so the device clears the cache whenever it lets a
/// buffer go (the pool full or trimmed) or replaces the parameter buffer, and the
/// cache starts over past [`MAX_CACHED_BIND_GROUPS`] entries.
#[derive(Default)]
pub struct BindGroupCache {
    groups: HashMap<BindKey, wgpu::BindGroup>,
}

impl BindGroupCache {
    /// Drop every cached bind group (and with them their hold on buffers).
    pub fn clear(&mut self) {
        self.groups.clear();
    }
}

/// One recorded command.
pub enum Command {
    /// A kernel dispatch.
    Dispatch {
        /// What to run.
        pipeline: Pipeline,
        /// Storage buffers in binding order.
        buffers: Vec<Buffer>,
        /// Byte offset of its parameters in the batch's uniform data.
        params_offset: u64,
        /// Workgroup grid.
        workgroups: [u32; 3],
    },
    /// Start of a timed region: write timestamp `slot` before what follows.
    TimerBegin(u32),
    /// End of a timed region: write timestamp `slot` after what precedes.
    TimerEnd(u32),
}

/// The pending batch.
#[derive(Default)]
pub struct Batch {
    /// Commands in order.
    pub commands: Vec<Command>,
    /// Uniform bytes of all dispatches, each block aligned.
    pub params: Vec<u8>,
    /// Number of dispatches in `commands`.
    pub dispatches: usize,
    /// Bytes of buffers handed out since the batch was opened. The batch's
    /// handles keep the intermediates of its dispatches alive until it is
    /// submitted, so the device submits once this passes a budget: a long
    /// forward pass holds at most that much beyond its live tensors.
    pub allocated: u64,
}

impl Batch {
    /// Append `params` at the next aligned offset; returns that offset.
    pub fn push_params(&mut self, params: &[u8], align: u64) -> u64 {
        let offset = (self.params.len() as u64).div_ceil(align) * align;
        self.params.resize(offset as usize, 0);
        self.params.extend_from_slice(params);
        offset
    }

    /// Whether nothing is recorded.
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }
}

/// Backend data of a compiled pipeline.
pub struct WgpuPipeline {
    /// The pipeline.
    pub pipeline: wgpu::ComputePipeline,
    /// Its bind group layout (group 0).
    pub layout: wgpu::BindGroupLayout,
}

/// A run of dispatches encoded as one compute pass.
struct PassPlan<'a> {
    begin: Option<u32>,
    end: Option<u32>,
    dispatches: Vec<&'a Command>,
}

/// Group commands into passes; timestamps become pass boundaries.
fn plan_passes(commands: &[Command]) -> Vec<PassPlan<'_>> {
    let mut passes = Vec::new();
    let mut current = PassPlan {
        begin: None,
        end: None,
        dispatches: Vec::new(),
    };
    for cmd in commands {
        match cmd {
            Command::Dispatch { .. } => current.dispatches.push(cmd),
            Command::TimerBegin(slot) => {
                if !current.dispatches.is_empty() || current.begin.is_some() {
                    passes.push(current);
                }
                current = PassPlan {
                    begin: Some(*slot),
                    end: None,
                    dispatches: Vec::new(),
                };
            }
            Command::TimerEnd(slot) => {
                current.end = Some(*slot);
                passes.push(current);
                current = PassPlan {
                    begin: None,
                    end: None,
                    dispatches: Vec::new(),
                };
            }
        }
    }
    if !current.dispatches.is_empty() || current.begin.is_some() {
        passes.push(current);
    }
    passes
}

/// Encode `commands` into `encoder`. `uniform` holds the batch's parameters;
/// bind groups come from `cache` or are created into it. Returns how many were
/// created.
pub fn encode(
    device: &wgpu::Device,
    encoder: &mut wgpu::CommandEncoder,
    commands: &[Command],
    uniform: Option<&wgpu::Buffer>,
    query_set: Option<&wgpu::QuerySet>,
    cache: &mut BindGroupCache,
) -> u64 {
    let mut created = 0;
    for plan in plan_passes(commands) {
        let timestamp_writes = match (query_set, plan.begin.is_some() || plan.end.is_some()) {
            (Some(qs), true) => Some(wgpu::ComputePassTimestampWrites {
                query_set: qs,
                beginning_of_pass_write_index: plan.begin,
                end_of_pass_write_index: plan.end,
            }),
            _ => None,
        };
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some("tessera"),
            timestamp_writes,
        });
        for cmd in plan.dispatches {
            let Command::Dispatch {
                pipeline,
                buffers,
                params_offset,
                workgroups,
            } = cmd
            else {
                continue;
            };
            let Some(backend) = pipeline.backend::<WgpuPipeline>() else {
                continue;
            };
            let params_size = pipeline.params_size() as u64;
            let key = BindKey {
                layout: backend.layout.clone(),
                buffers: buffers
                    .iter()
                    .map(|b| {
                        let raw = b.backend::<wgpu::Buffer>().expect("checked at record time");
                        (raw.clone(), b.offset(), binding_size(b))
                    })
                    .collect(),
                params: (params_size > 0)
                    .then(|| (uniform.expect("params recorded").clone(), params_size)),
            };
            if cache.groups.len() >= MAX_CACHED_BIND_GROUPS {
                cache.clear();
            }
            let bind_group: &wgpu::BindGroup = match cache.groups.entry(key) {
                Entry::Occupied(hit) => hit.into_mut(),
                Entry::Vacant(miss) => {
                    created += 1;
                    let group = create_bind_group(device, miss.key());
                    miss.insert(group)
                }
            };
            pass.set_pipeline(&backend.pipeline);
            if params_size > 0 {
                let offset = u32::try_from(*params_offset)
                    .expect("a batch's parameters stay far below 4 GiB");
                pass.set_bind_group(0, bind_group, &[offset]);
            } else {
                pass.set_bind_group(0, bind_group, &[]);
            }
            pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        }
    }
    created
}

/// The bind group `key` describes: storage buffers at bindings 0.., then the
/// parameter uniform at offset 0 (moved per dispatch by its dynamic offset).
fn create_bind_group(device: &wgpu::Device, key: &BindKey) -> wgpu::BindGroup {
    let mut entries = Vec::with_capacity(key.buffers.len() + 1);
    for (i, (buffer, offset, size)) in key.buffers.iter().enumerate() {
        entries.push(wgpu::BindGroupEntry {
            binding: i as u32,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer,
                offset: *offset,
                size: NonZeroU64::new(*size),
            }),
        });
    }
    if let Some((uniform, size)) = &key.params {
        entries.push(wgpu::BindGroupEntry {
            binding: key.buffers.len() as u32,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: uniform,
                offset: 0,
                size: NonZeroU64::new(*size),
            }),
        });
    }
    device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: None,
        layout: &key.layout,
        entries: &entries,
    })
}

/// Bytes of a buffer (or window) visible to a kernel: its size rounded up to
/// 4 (the allocation is padded to 4, so a window's rounding stays inside it).
pub fn binding_size(buffer: &Buffer) -> u64 {
    buffer.size().max(4).div_ceil(4) * 4
}
