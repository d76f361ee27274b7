//! Recorded-but-unsubmitted work, and how it becomes one command buffer.
//!
//! Dispatches are recorded as plain values (pipeline, buffer handles, parameter
//! bytes) and encoded at flush time into compute passes. The recorded handles keep
//! every buffer alive, so a buffer cannot return to the pool and be reused while
//! unsubmitted work still names it. Parameter uniforms of a batch share one buffer,
//! written just before the submit.

use crate::device::{Buffer, Pipeline};
use std::num::NonZeroU64;

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

/// Encode `commands` into `encoder`. `uniform` holds the batch's parameters.
pub fn encode(
    device: &wgpu::Device,
    encoder: &mut wgpu::CommandEncoder,
    commands: &[Command],
    uniform: Option<&wgpu::Buffer>,
    query_set: Option<&wgpu::QuerySet>,
) {
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
            let mut entries = Vec::with_capacity(buffers.len() + 1);
            for (i, buffer) in buffers.iter().enumerate() {
                let raw = buffer
                    .backend::<wgpu::Buffer>()
                    .expect("checked at record time");
                entries.push(wgpu::BindGroupEntry {
                    binding: i as u32,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: raw,
                        offset: 0,
                        size: NonZeroU64::new(binding_size(buffer)),
                    }),
                });
            }
            if pipeline.params_size() > 0 {
                entries.push(wgpu::BindGroupEntry {
                    binding: buffers.len() as u32,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: uniform.expect("params recorded"),
                        offset: *params_offset,
                        size: NonZeroU64::new(pipeline.params_size() as u64),
                    }),
                });
            }
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: None,
                layout: &backend.layout,
                entries: &entries,
            });
            pass.set_pipeline(&backend.pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(workgroups[0], workgroups[1], workgroups[2]);
        }
    }
}

/// Bytes of a buffer visible to a kernel: its requested size rounded up to 4.
pub fn binding_size(buffer: &Buffer) -> u64 {
    buffer.size().max(4).div_ceil(4) * 4
}
