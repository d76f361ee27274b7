//! The engine: one thread that owns the models and runs all device work
//! (blocking, kept off the async workers), fed by a bounded queue. A full
//! queue is refused at once (429); each request hears back on its own
//! channel, and a request whose channel is closed (the client went away, or
//! its timeout passed) is dropped at the engine's next step.

mod batched;
mod jobs;
mod models;
mod output;
mod prepare;
mod random_model;
mod stats;

pub use jobs::{
    EmbeddingJob, EmbeddingResult, FinishReason, GenerationEvent, GenerationJob, Job, Prompt,
};
pub use random_model::{random_generator, word_tokenizer, RandomModel};
pub use stats::EngineStats;

use super::errors::ApiError;
use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::sync::Arc;
use std::thread::JoinHandle;
use tessera_runtime::generation::DEFAULT_BATCH_CONTEXT;
use tokio::sync::mpsc;

/// The decoder to serve.
#[derive(Clone, Debug)]
pub enum ModelSource {
    /// A Hugging Face folder or a `.gguf` file.
    Path(PathBuf),
    /// Random weights of a real model's shapes (load tests).
    Random(RandomModel),
}

impl ModelSource {
    /// The model's id: its folder or file name (a file without its
    /// extension), or the random model's name.
    pub fn id(&self) -> String {
        match self {
            ModelSource::Path(path) => model_id(path),
            ModelSource::Random(model) => model.name.clone(),
        }
    }
}

/// What the engine loads and how it runs.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// The decoder.
    pub model: ModelSource,
    /// The sentence-embedding folder (all-MiniLM-L6-v2 and its kin), if any.
    pub embed_model: Option<PathBuf>,
    /// Adapter selector (an index or a substring of a name or backend).
    pub adapter: Option<String>,
    /// Requests waiting for the engine at most; one more is refused.
    pub max_queue: usize,
    /// Sequences decoded together at most.
    pub max_batch: usize,
    /// `max_tokens` when a request gives none (capped by the context).
    pub default_max_tokens: usize,
    /// Tokens per sequence at most, prompt and output (`None`: the model's
    /// context, at most [`DEFAULT_BATCH_CONTEXT`]); capped at the model's
    /// context. It sizes the KV cache pool: `max_batch` sequences of it.
    pub context: Option<usize>,
}

impl EngineOptions {
    /// The context served: [`EngineOptions::context`] or its default, capped
    /// at the model's `model_context`.
    pub fn served_context(&self, model_context: usize) -> usize {
        self.context
            .unwrap_or(DEFAULT_BATCH_CONTEXT)
            .min(model_context)
    }
}

/// The served models, as `/v1/models` lists them and the routes check requests.
#[derive(Clone, Debug)]
pub struct ModelInfo {
    /// The decoder's id (its folder or file name).
    pub generator_id: String,
    /// The context served in tokens (prompt and output of one request; at
    /// most the decoder's).
    pub context: usize,
    /// The embedding model's id and dimensions, when one is served.
    pub embedder: Option<(String, usize)>,
}

/// The sending side of the engine's queue (cheap to clone).
#[derive(Clone, Debug)]
pub struct EngineHandle {
    queue: mpsc::Sender<Job>,
    capacity: usize,
}

impl EngineHandle {
    /// Requests in the queue now (not yet taken by the engine).
    pub fn queued(&self) -> usize {
        self.capacity.saturating_sub(self.queue.capacity())
    }

    /// Queue `job`, or refuse it at once: 429 when the queue is full, 503
    /// when the engine has stopped.
    pub fn submit(&self, job: Job) -> Result<(), ApiError> {
        self.queue.try_send(job).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => ApiError::queue_full(self.capacity),
            mpsc::error::TrySendError::Closed(_) => ApiError::unavailable("the engine has stopped"),
        })
    }
}

/// The running engine thread.
pub struct Engine {
    /// The models it serves.
    pub info: ModelInfo,
    /// Where requests go.
    pub handle: EngineHandle,
    /// Its counters.
    pub stats: Arc<EngineStats>,
    thread: JoinHandle<()>,
}

impl Engine {
    /// Start the thread, load the models on it and wait until they are
    /// ready. Errors: the adapter or a model failing to load.
    pub fn start(options: EngineOptions) -> Result<Engine, String> {
        if options.max_queue == 0 || options.max_batch == 0 {
            return Err("--max-queue and --max-batch must be at least 1".into());
        }
        let (queue, jobs) = mpsc::channel(options.max_queue);
        let (ready_tx, ready_rx) = std_mpsc::channel();
        let capacity = options.max_queue;
        let stats = Arc::new(EngineStats::default());
        let engine_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("tessera-engine".into())
            .spawn(move || batched::run(options, jobs, ready_tx, engine_stats))
            .map_err(|e| format!("cannot start the engine thread: {e}"))?;
        match ready_rx.recv() {
            Ok(Ok(info)) => Ok(Engine {
                info,
                handle: EngineHandle { queue, capacity },
                stats,
                thread,
            }),
            Ok(Err(message)) => {
                let _ = thread.join();
                Err(message)
            }
            Err(_) => {
                let _ = thread.join();
                Err("the engine thread stopped while loading".into())
            }
        }
    }

    /// Wait for the thread to finish the jobs it has; it ends once every
    /// [`EngineHandle`] is dropped and the queue is empty.
    pub fn join(self) {
        let Engine { handle, thread, .. } = self;
        drop(handle);
        if thread.join().is_err() {
            tracing::warn!("the engine thread panicked");
        }
    }
}

/// A model's id: its folder or file name (a file without its extension).
pub fn model_id(path: &std::path::Path) -> String {
    let name = match path.is_dir() {
        true => path.file_name(),
        false => path.file_stem(),
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| path.display().to_string())
}
