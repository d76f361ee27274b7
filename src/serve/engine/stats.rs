//! Counters the engine keeps and `/health` reports.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// What the engine has done so far.
#[derive(Debug, Default)]
pub struct EngineStats {
    /// Sequences being generated now.
    pub active: AtomicUsize,
    /// The most sequences generated at once so far.
    pub peak_active: AtomicUsize,
    /// Generation requests finished (end of sequence, stop string or length).
    pub completed: AtomicU64,
    /// Generation requests dropped before their end because their client went away.
    pub cancelled: AtomicU64,
    /// Tokens generated over all requests.
    pub generated_tokens: AtomicU64,
    /// Embeddings requests answered.
    pub embeddings: AtomicU64,
}

impl EngineStats {
    /// The counters as JSON. The engine updates `active` before it counts
    /// the sequences that left (release), and this reads the counts first
    /// (acquire): a snapshot that counts a sequence as completed or
    /// cancelled never still counts it as active.
    pub fn snapshot(&self) -> serde_json::Value {
        let completed = self.completed.load(Ordering::Acquire);
        let cancelled = self.cancelled.load(Ordering::Acquire);
        serde_json::json!({
            "active": self.active.load(Ordering::Relaxed),
            "peak_active": self.peak_active.load(Ordering::Relaxed),
            "completed": completed,
            "cancelled": cancelled,
            "generated_tokens": self.generated_tokens.load(Ordering::Relaxed),
            "embeddings": self.embeddings.load(Ordering::Relaxed),
        })
    }

    /// Record the count of sequences generated now.
    pub(super) fn set_active(&self, n: usize) {
        self.active.store(n, Ordering::Relaxed);
        self.peak_active.fetch_max(n, Ordering::Relaxed);
    }

    /// Add `n` to `counter` (release: after the `active` update before it).
    pub(super) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Release);
    }
}
