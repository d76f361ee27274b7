//! `tessera serve`: the OpenAI-compatible server ([`tessera::serve`]).

use super::bench::presets::{preset_config, PRESET_NAMES};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use tessera::runtime::models::llama::WeightFormat;
use tessera::serve::engine::{EngineOptions, ModelSource, RandomModel};
use tessera::serve::{serve, ServeOptions, DEFAULT_MAX_BODY_BYTES};

/// Arguments of `tessera serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// The decoder: a folder with config.json, model.safetensors and tokenizer.json, or a .gguf file.
    #[arg(
        long,
        required_unless_present = "random_preset",
        conflicts_with = "random_preset"
    )]
    model: Option<PathBuf>,
    /// For load tests: serve random weights of a known model's shapes
    /// (qwen2.5-0.5b, llama-3.2-1b, tiny) with a word-list tokenizer (`w0`..`wN`)
    /// instead of --model.
    #[arg(long)]
    random_preset: Option<String>,
    /// The random model's weight format (f32, f16, q8_0, q4_0, q4_k, ...).
    #[arg(long, default_value = "q8_0", requires = "random_preset")]
    random_format: String,
    /// Keep only this many layers of the random preset (for slow adapters).
    #[arg(long, requires = "random_preset")]
    random_layers: Option<usize>,
    /// The random model's context in tokens.
    #[arg(long, default_value_t = 512, requires = "random_preset")]
    random_context: usize,
    /// A sentence-embedding folder (e.g. all-MiniLM-L6-v2) for /v1/embeddings.
    #[arg(long)]
    embed_model: Option<PathBuf>,
    /// Address to bind; the default serves this machine only.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to bind (0: any free port; the bound address is printed on stderr).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Sequences generated together at most.
    #[arg(long, default_value_t = 8)]
    max_batch: usize,
    /// Tokens per request at most, prompt and output (default: the model's
    /// context, at most 4096). The KV cache holds --max-batch requests of
    /// this many tokens, allocated at the first request.
    #[arg(long)]
    context: Option<usize>,
    /// Requests waiting for the engine at most; past it, requests get 429.
    #[arg(long, default_value_t = 64)]
    max_queue: usize,
    /// Seconds one request may take, queueing included (504 or an error event past it).
    #[arg(long, default_value_t = 600.0)]
    request_timeout: f64,
    /// max_tokens of a request that gives none (capped by the context).
    #[arg(long, default_value_t = 256)]
    default_max_tokens: usize,
    /// The largest request body taken, in bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    max_body_bytes: usize,
    /// Adapter: an index, or a substring of its name or backend (default: $TESSERA_ADAPTER or the best).
    #[arg(long)]
    adapter: Option<String>,
}

/// Run the server until SIGINT or SIGTERM.
pub fn run(args: ServeArgs) -> Result<(), Box<dyn std::error::Error>> {
    if args.context == Some(0) {
        return Err("--context must be at least 1".into());
    }
    if !(args.request_timeout.is_finite() && args.request_timeout > 0.0) {
        return Err("--request-timeout must be a positive number of seconds".into());
    }
    let model = match (&args.model, &args.random_preset) {
        (Some(path), _) => ModelSource::Path(path.clone()),
        (None, Some(preset)) => ModelSource::Random(random_model(&args, preset)?),
        (None, None) => return Err("give --model PATH (or --random-preset NAME)".into()),
    };
    serve(ServeOptions {
        engine: EngineOptions {
            model,
            embed_model: args.embed_model,
            adapter: args.adapter,
            max_queue: args.max_queue,
            max_batch: args.max_batch,
            default_max_tokens: args.default_max_tokens,
            context: args.context,
        },
        host: args.host,
        port: args.port,
        request_timeout: Duration::from_secs_f64(args.request_timeout),
        max_body_bytes: args.max_body_bytes,
    })
}

/// The random model `--random-preset` names.
fn random_model(args: &ServeArgs, preset: &str) -> Result<RandomModel, Box<dyn std::error::Error>> {
    let mut config = preset_config(preset)
        .ok_or_else(|| format!("unknown preset {preset:?}: {PRESET_NAMES}"))?;
    let format = WeightFormat::from_name(&args.random_format)
        .ok_or_else(|| format!("unknown format {:?}", args.random_format))?;
    if let Some(layers) = args.random_layers {
        config.num_layers = layers.clamp(1, config.num_layers);
    }
    if args.random_context == 0 || args.random_context > config.max_position_embeddings {
        return Err(format!(
            "--random-context must be 1 to {}",
            config.max_position_embeddings
        )
        .into());
    }
    config.max_position_embeddings = args.random_context;
    let layers = match args.random_layers {
        Some(_) => format!("-{}layers", config.num_layers),
        None => String::new(),
    };
    Ok(RandomModel {
        name: format!("random-{preset}{layers}-{}", format.name()),
        config,
        format,
    })
}
