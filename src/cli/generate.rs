//! `tessera generate`: text generation with a Llama or Qwen2 decoder, streamed
//! to stdout as tokens are produced.

use super::generation_args::{no_template_error, ModelArgs, SamplingArgs};
use clap::Args;
use std::io::Write;
use tessera::prelude::*;
use tessera::runtime::chat::ChatMessage;

/// Arguments of `tessera generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    model: ModelArgs,
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
    /// Send --prompt as one user message through the model's chat template
    /// (with the assistant's turn opened); generation stops at the end of the
    /// turn. A model without a template is an error (see --chat-template).
    #[arg(long, conflicts_with = "prompt_ids")]
    chat: bool,
    /// A system message before the user's (with --chat).
    #[arg(long, requires = "chat")]
    system: Option<String>,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Print one JSON object {"prompt_ids", "ids", "text", ...} instead of streaming text.
    #[arg(long)]
    json: bool,
}

/// Run the command.
pub fn run(args: GenerateArgs) -> Result<(), Box<dyn std::error::Error>> {
    let generator = args.model.load()?;
    let options = args.sampling.options();
    let prompt_ids = match (&args.prompt_ids, &args.prompt) {
        (Some(ids), _) => ids.clone(),
        (None, Some(text)) if args.chat => {
            if generator.chat_template().is_none() {
                return Err(no_template_error(&args.model.model));
            }
            let mut messages = Vec::new();
            if let Some(system) = &args.system {
                messages.push(ChatMessage::new("system", system.as_str()));
            }
            messages.push(ChatMessage::new("user", text.as_str()));
            prompt_ids_or_hint(generator.encode_chat(&messages))?
        }
        (None, Some(text)) => prompt_ids_or_hint(generator.encode_prompt(text))?,
        (None, None) => return Err("give --prompt TEXT or --prompt-ids 1,2,3".into()),
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
    let TextGeneration { generation, text } =
        generator.generate_ids(&prompt_ids, &options, on_piece)?;
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
    report(&generation);
    Ok(())
}

/// Prompt ids, or the error with a hint when the model has no tokenizer.
pub fn prompt_ids_or_hint(
    ids: Result<Vec<u32>, Error>,
) -> Result<Vec<u32>, Box<dyn std::error::Error>> {
    match ids {
        Err(Error::Load(LoadError::MissingTokenizer { .. })) => Err(
            "the model has no tokenizer.json (or none embedded): pass --tokenizer FILE or --prompt-ids"
                .into(),
        ),
        other => Ok(other?),
    }
}

/// One line on stderr: prompt and generation sizes and speeds.
pub fn report(generation: &Generation) {
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
}
