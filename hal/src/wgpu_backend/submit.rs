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

    /// Wait until the device is idle (native only: the web cannot wait;
    /// there a read-back's future is the wait).
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) fn wait_idle(&self) -> Result<()> {
        self.shared
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| DeviceError::Wait(e.to_string()))
    }

    /// On the web nothing waits: the browser runs submitted work in order and
    /// the next read-back's future resolves after it.
    #[cfg(target_arch = "wasm32")]
    pub(super) fn wait_idle(&self) -> Result<()> {
        Ok(())
    }

    /// [`WgpuDevice::read_raw_async`], blocking (native only; the web answers
    /// [`DeviceError::Unsupported`]).
    pub(super) fn read_raw(&self, src: &wgpu::Buffer, offset: u64, len: u64) -> Result<Vec<u8>> {
        #[cfg(not(target_arch = "wasm32"))]
        {
            pollster::block_on(self.read_raw_async(src, offset, len))
        }
        #[cfg(target_arch = "wasm32")]
        {
            let _ = (src, offset, len);
            Err(self.no_blocking_on_the_web())
        }
    }

    /// The error of a blocking call on the web.
    #[cfg(target_arch = "wasm32")]
    pub(super) fn no_blocking_on_the_web(&self) -> DeviceError {
        DeviceError::Unsupported {
            what: "a blocking read-back on the web (use Device::read_async)".into(),
            adapter: self.shared.description.name.clone(),
        }
    }

    /// Copy `len` bytes at `offset` of `src` to the host (flushes pending
    /// work). Native drives the mapping by waiting for the device; on the web
    /// the browser resolves it from its event loop.
    pub(super) async fn read_raw_async(
        &self,
        src: &wgpu::Buffer,
        offset: u64,
        len: u64,
    ) -> Result<Vec<u8>> {
        let staging = self.shared.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tessera readback"),
            size: len,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        self.submit(|encoder| encoder.copy_buffer_to_buffer(src, offset, &staging, 0, len))?;
        let (sender, mapped) = crate::oneshot::channel();
        staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |r| sender.send(r));
        self.wait_idle()?;
        mapped
            .await
            .ok_or_else(|| DeviceError::Wait("the buffer mapping was dropped".into()))?
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
