//! The web's pipeline cache: none. Browsers keep their own shader caches and
//! WebGPU offers no pipeline-cache data to save, so every method is a no-op
//! with the native cache's signature (`pipeline_cache.rs`).

/// Never constructed on the web: [`PersistentPipelineCache::open`] is `None`.
pub struct PersistentPipelineCache {
    _never: std::convert::Infallible,
}

impl PersistentPipelineCache {
    /// No cache on the web.
    pub fn open(_device: &wgpu::Device, _adapter_key: &str) -> Option<PersistentPipelineCache> {
        None
    }

    /// Unreachable: no cache exists.
    pub fn cache(&self) -> wgpu::PipelineCache {
        match self._never {}
    }

    /// Unreachable: no cache exists.
    pub fn discard(&self, _device: &wgpu::Device, _reason: &str) {
        match self._never {}
    }

    /// Unreachable: no cache exists.
    pub fn mark_dirty(&self) {
        match self._never {}
    }

    /// Unreachable: no cache exists.
    pub fn save_if_dirty(&self) {
        match self._never {}
    }
}
