//! `tessera serve`: an OpenAI-compatible HTTP server (axum on tokio) for a
//! decoder and, optionally, a sentence embedder.
//!
//! Rules of the module: device work happens only on the engine thread
//! ([`engine`]), never on the async workers; every request is checked and
//! refused with an OpenAI-style error before anything sized by it is
//! allocated (the body is capped, list lengths and `max_tokens` are checked);
//! a full queue answers 429 at once.

pub mod client;
pub mod engine;
pub mod errors;
pub mod openai_types;
pub mod responses;
pub mod routes;
pub mod shutdown;
pub mod sse;
pub mod text_output;

use engine::{Engine, EngineOptions};
use routes::{router, AppState};
use std::sync::Arc;
use std::time::Duration;

/// The largest request body taken by default (bytes).
pub const DEFAULT_MAX_BODY_BYTES: usize = 2 << 20;

/// Everything `tessera serve` is told.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The models and the engine's limits.
    pub engine: EngineOptions,
    /// Address to bind (default 127.0.0.1: loopback only).
    pub host: String,
    /// Port to bind (0: any free port; the bound one is printed).
    pub port: u16,
    /// How long one request may take, queueing included.
    pub request_timeout: Duration,
    /// The largest request body taken, in bytes.
    pub max_body_bytes: usize,
}

/// Load the models, bind, print `listening on http://ADDR` on stderr and
/// serve until SIGINT or SIGTERM; then drain in-flight requests, let the
/// engine finish and return.
pub fn serve(options: ServeOptions) -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::start(options.engine.clone())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let state = AppState {
        engine: engine.handle.clone(),
        info: Arc::new(engine.info.clone()),
        stats: engine.stats.clone(),
        request_timeout: options.request_timeout,
        max_body_bytes: options.max_body_bytes,
    };
    let result = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((options.host.as_str(), options.port)).await?;
        let address = listener.local_addr()?;
        eprintln!(
            "models: {} (generation){}",
            state.info.generator_id,
            state
                .info
                .embedder
                .as_ref()
                .map_or(String::new(), |(id, _)| format!(", {id} (embeddings)"))
        );
        eprintln!("listening on http://{address}");
        axum::serve(listener, router(state))
            .with_graceful_shutdown(shutdown::signal())
            .await
    });
    engine.join();
    eprintln!("stopped");
    Ok(result?)
}
