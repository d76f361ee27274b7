//! Opening a wgpu device on a chosen adapter: features, limits, queues and
//! the persistent pipeline cache.

use super::*;
use crate::options::DeviceOptions;

impl WgpuDevice {
    /// Open a device on an already chosen adapter. Blocking (native only).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_adapter(
        instance: &wgpu::Instance,
        adapter: wgpu::Adapter,
        description: AdapterDescription,
    ) -> Result<WgpuDevice> {
        WgpuDevice::from_adapter_with(instance, adapter, description, &DeviceOptions::default())
    }

    /// [`WgpuDevice::from_adapter`] with `options` applied to the limits the
    /// device describes and checks. Blocking (native only):
    /// [`WgpuDevice::from_adapter_async`] driven to the end.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_adapter_with(
        instance: &wgpu::Instance,
        adapter: wgpu::Adapter,
        description: AdapterDescription,
        options: &DeviceOptions,
    ) -> Result<WgpuDevice> {
        pollster::block_on(WgpuDevice::from_adapter_async(
            instance,
            adapter,
            description,
            options,
        ))
    }

    /// Open a device on an already chosen adapter with `options` applied to
    /// the limits the device describes and checks, without blocking. The
    /// device keeps `instance` (the one `adapter` came from) alive.
    pub async fn from_adapter_async(
        instance: &wgpu::Instance,
        adapter: wgpu::Adapter,
        description: AdapterDescription,
        options: &DeviceOptions,
    ) -> Result<WgpuDevice> {
        let features = describe::wanted_features(adapter.features());
        let request = wgpu::DeviceDescriptor {
            label: Some("tessera"),
            required_features: features,
            required_limits: adapter.limits(),
            experimental_features: wgpu::ExperimentalFeatures::disabled(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        };
        let (device, queue) =
            adapter
                .request_device(&request)
                .await
                .map_err(|e| DeviceError::RequestDevice {
                    adapter: description.name.clone(),
                    message: e.to_string(),
                })?;
        let lost = Arc::new(Mutex::new(None));
        let lost_slot = lost.clone();
        device.set_device_lost_callback(move |reason, message| {
            *lock(&lost_slot) = Some(format!("{reason:?}: {message}"));
        });
        let uncaptured = Arc::new(Mutex::new(Vec::new()));
        let uncaptured_slot = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            lock(&uncaptured_slot).push(scope::describe(&e));
        }));
        let query_set = features.contains(wgpu::Features::TIMESTAMP_QUERY).then(|| {
            device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("tessera timers"),
                ty: wgpu::QueryType::Timestamp,
                count: TIMESTAMP_SLOTS,
            })
        });
        let mut description = description;
        description.limits = options.apply(describe::describe_limits(&device.limits()));
        description.features = describe::describe_features(
            device.features(),
            description.features.subgroup_min_size,
            description.features.host_memory,
        );
        let pipeline_cache = PersistentPipelineCache::open(&device, &description.cache_key());
        let serial = (description.backend == "gl").then(|| parking_lot::ReentrantMutex::new(()));
        Ok(WgpuDevice {
            shared: Arc::new(Shared {
                id: NEXT_DEVICE_ID.fetch_add(1, Ordering::Relaxed),
                description,
                device,
                queue,
                pool: Mutex::new(SizeClassPool::new(crate::pool::budget_from_env(
                    POOL_MAX_BYTES,
                ))),
                pipelines: Mutex::new(HashMap::new()),
                batch: Mutex::new(Batch::default()),
                uniform: Mutex::new(None),
                bind_groups: Mutex::new(BindGroupCache::default()),
                stats: Mutex::new(DeviceStats::default()),
                lost,
                uncaptured,
                query_set,
                next_timer: Mutex::new(0),
                pipeline_cache,
                serial,
                _instance: instance.clone(),
            }),
        })
    }
}
