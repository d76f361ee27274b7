//! `tessera generate`: text generation with a Llama or Qwen2 decoder, streamed
//! to stdout as tokens are produced.

use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use tessera::prelude::*;

/// Arguments of `tessera generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// A folder with config.json, model.safetensors and tokenizer.json, or a .gguf file.
    #[arg(long)]
    model: PathBuf,
    /// Prompt text, tokenized with the model's tokenizer.
    #[arg(
        long,
        conflicts_with = "prompt_ids",
        required_unless_present = "prompt_ids"
    )]
    prompt: Option<String>,
    /// Prompt as comma-separated token ids, e.g. 1,2,3.
    #[arg(long, value_delimiter = ',')]
    prompt_ids: Option<Vec<u32>>,
    /// tokenizer.json to use instead of the model's own.
    #[arg(long)]
    tokenizer: Option<PathBuf>,
    /// Prepend the model's beginning-of-sequence id to a text prompt (when the
    /// tokenizer did not already).
    #[arg(long)]
    bos: bool,
    /// Tokens to generate at most.
    #[arg(long, default_value_t = 64)]
    max_new_tokens: usize,
    /// 0 is greedy; otherwise logits are divided by it before sampling.
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// Sample among the k most likely tokens only (0: all).
    #[arg(long, default_value_t = 0)]
    top_k: usize,
    /// Sample among the smallest set of tokens reaching this probability (1: all).
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// Penalty on tokens already seen (1: off).
    #[arg(long, default_value_t = 1.0)]
    repetition_penalty: f32,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Keep going after an end-of-sequence token.
    #[arg(long)]
    ignore_eos: bool,
    /// Print one JSON object {"prompt_ids", "ids", "text", ...} instead of streaming text.
    #[arg(long)]
    json: bool,
    /// Adapter: an index, or a substring of its name or backend (default: $TESSERA_ADAPTER or the best).
    #[arg(long)]
    adapter: Option<String>,
}

/// Run the command.
pub fn run(args: GenerateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let selector = args
        .adapter
        .clone()
        .map(AdapterSelector::Named)
        .unwrap_or_default();
    let device = open_device(&selector)?;
    let generator = match &args.tokenizer {
        Some(tokenizer) => TextGenerator::load_with_tokenizer(&args.model, tokenizer, &device)?,
        None => TextGenerator::load(&args.model, &device)?,
    }
    .with_prepend_bos(args.bos);
    if let Some(problem) = generator.tokenizer_problem() {
        eprintln!("warning: no tokenizer, only --prompt-ids can be used: {problem}");
    }
    let config = generator.config();
    eprintln!(
        "adapter: {}; model: {} {} layers, {} MB of weights",
        device.adapter().summary(),
        config.family.name(),
        config.num_layers,
        generator.decoder().weight_bytes() / 1_000_000
    );
    let options = GenerateOptions {
        max_new_tokens: args.max_new_tokens,
        sampling: SamplingConfig {
            temperature: args.temperature,
            top_k: args.top_k,
            top_p: args.top_p,
            repetition_penalty: args.repetition_penalty,
            seed: args.seed,
        },
        stop_at_eos: !args.ignore_eos,
        context: None,
    };
    let mut out = std::io::stdout().lock();
    let mut write_error = None;
    let on_piece = |piece: &str| {
        if args.json {
            return true;
        }
        match write!(out, "{piece}").and_then(|_| out.flush()) {
            Ok(()) => true,
            Err(e) => {
                write_error = Some(e);
                false
            }
        }
    };
    let result = match (&args.prompt_ids, &args.prompt) {
        (Some(ids), _) => generator.generate_ids(ids, &options, on_piece),
        (None, Some(text)) => generator.generate_text(text, &options, on_piece),
        (None, None) => return Err("give --prompt TEXT or --prompt-ids 1,2,3".into()),
    };
    let TextGeneration { generation, text } = match result {
        Err(Error::Load(LoadError::MissingTokenizer { .. })) => {
            return Err(
                "the model has no tokenizer.json (or none embedded): pass --tokenizer FILE or --prompt-ids"
                    .into(),
            )
        }
        other => other?,
    };
    if let Some(e) = write_error {
        return Err(e.into());
    }
    if args.json {
        let line = serde_json::json!({
            "prompt_ids": generation.prompt_ids,
            "ids": generation.ids,
            "text": text,
            "stop": format!("{:?}", generation.stop),
            "prompt_tokens_per_second": generation.prompt_tokens_per_second(),
            "decode_tokens_per_second": generation.decode_tokens_per_second(),
        });
        writeln!(out, "{line}")?;
    } else {
        writeln!(out)?;
    }
    if generation.ids.is_empty() {
        eprintln!(
            "prompt: {} tokens, not run; generation: 0 tokens ({:?})",
            generation.prompt_ids.len(),
            generation.stop
        );
    } else {
        eprintln!(
            "prompt: {} tokens in {:.3} s ({:.1} tokens/s); generation: {} tokens, {:.1} tokens/s ({:?})",
            generation.prompt_ids.len(),
            generation.prompt_seconds,
            generation.prompt_tokens_per_second(),
            generation.ids.len(),
            generation.decode_tokens_per_second(),
            generation.stop
        );
    }
    Ok(())
}
