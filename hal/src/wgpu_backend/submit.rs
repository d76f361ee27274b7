//! Submitting recorded work, waiting for the device, and reading back.

use super::*;

impl WgpuDevice {
    /// Submit the pending batch plus `extra` commands appended after it.
    pub(super) fn submit(&self, extra: impl FnOnce(&mut wgpu::CommandEncoder)) -> Result<()> {
        let shared = &self.shared;
        // The uniform lock is held from taking the batch until its submit: the
        // parameter buffer is shared, so another thread's write must not land
        // between this batch's write and its submit.
        let mut uniform_slot = lock(&shared.uniform);
        let batch = std::mem::take(&mut *lock(&shared.batch));
        let scopes = Scopes::push(&shared.device);
        if !batch.params.is_empty() {
            let needed = batch.params.len() as u64;
            if uniform_slot.as_ref().is_none_or(|u| u.size() < needed) {
                // Bind groups naming the old parameter buffer are of no more use.
                lock(&shared.bind_groups).clear();
                *uniform_slot = Some(shared.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("tessera params"),
                    size: size_class(needed),
                    usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
                    mapped_at_creation: false,
                }));
            }
            let uniform = uniform_slot.as_ref().expect("just created");
            let padded = batch.params.len().div_ceil(4) * 4;
            let mut bytes = batch.params;
            bytes.resize(padded, 0);
            shared.queue.write_buffer(uniform, 0, &bytes);
        }
        let mut encoder = shared
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("tessera batch"),
            });
        let bind_groups_created = {
            let mut bind_groups = lock(&shared.bind_groups);
            batch::encode(
                &shared.device,
                &mut encoder,
                &batch.commands,
                uniform_slot.as_ref(),
                shared.query_set.as_ref(),
                &mut bind_groups,
            )
        };
        extra(&mut encoder);
        shared.queue.submit([encoder.finish()]);
        drop(uniform_slot);
        {
            let mut stats = lock(&shared.stats);
            stats.submits += 1;
            stats.bind_groups_created += bind_groups_created;
        }
        scopes.finish(|| format!("submitting a batch of {} dispatches", batch.dispatches))
    }

    pub(super) fn wait_idle(&self) -> Result<()> {
        self.shared
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| DeviceError::Wait(e.to_string()))
    }

    /// Copy `len` bytes at `offset` of `src` to the host (flushes pending work).
    pub(super) fn read_raw(&self, src: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        let staging = self.shared.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tessera readback"),
            size: len,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.submit(|encoder| encoder.copy_buffer_to_buffer(src, offset, &staging, 0, len))?;
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait_idle()?;
        rx.recv()
            .map_err(|e| DeviceError::Wait(e.to_string()))?
            .map_err(|e| DeviceError::Wait(e.to_string()))?;
        let bytes = staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| DeviceError::Wait(e.to_string()))?
            .to_vec();
        staging.unmap();
        self.check_health()?;
        Ok(bytes)
    }
}
