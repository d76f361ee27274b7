//! Arguments shared by `tessera generate` and `tessera chat`: which model to
//! load, and how to choose tokens.

use clap::Args;
use std::path::PathBuf;
use tessera::prelude::*;
use tessera::runtime::chat::ChatTemplate;

/// The model and where it runs.
#[derive(Args, Debug)]
pub struct ModelArgs {
    /// A folder with config.json, model.safetensors and tokenizer.json, or a .gguf file.
    #[arg(long)]
    pub model: PathBuf,
    /// tokenizer.json to use instead of the model's own.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// A Jinja chat template file to use instead of the model's own (its
    /// special tokens still come from the model's files).
    #[arg(long)]
    pub chat_template: Option<PathBuf>,
    /// Prepend the model's beginning-of-sequence id to a prompt (when the
    /// tokenizer or the chat template did not already put it first).
    #[arg(long)]
    pub bos: bool,
    /// Adapter: an index, or a substring of its name or backend (default: $TESSERA_ADAPTER or the best).
    #[arg(long)]
    pub adapter: Option<String>,
}

impl ModelArgs {
    /// Open the adapter, load the model (and the template file, if given)
    /// and say on stderr what was loaded.
    pub fn load(&self) -> Result<TextGenerator, Box<dyn std::error::Error>> {
        let selector = self
            .adapter
            .clone()
            .map(AdapterSelector::Named)
            .unwrap_or_default();
        let device = open_device(&selector)?;
        let mut generator = match &self.tokenizer {
            Some(tokenizer) => TextGenerator::load_with_tokenizer(&self.model, tokenizer, &device)?,
            None => TextGenerator::load(&self.model, &device)?,
        }
        .with_prepend_bos(self.bos);
        if let Some(path) = &self.chat_template {
            let source =
                std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let special = generator.chat_special_tokens().clone();
            let template = ChatTemplate::new(&source, special)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            generator = generator.with_chat_template(template);
        }
        let config = generator.config();
        eprintln!(
            "adapter: {}; model: {} {} layers, {} MB of weights",
            device.adapter().summary(),
            config.family.name(),
            config.num_layers,
            generator.decoder().weight_bytes() / 1_000_000
        );
        Ok(generator)
    }
}

/// How many tokens, and how each is chosen.
#[derive(Args, Debug)]
pub struct SamplingArgs {
    /// Tokens to generate at most (per turn in `chat`).
    #[arg(long, default_value_t = 64)]
    pub max_new_tokens: usize,
    /// 0 is greedy; otherwise logits are divided by it before sampling.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Sample among the k most likely tokens only (0: all).
    #[arg(long, default_value_t = 0)]
    pub top_k: usize,
    /// Sample among the smallest set of tokens reaching this probability (1: all).
    #[arg(long, default_value_t = 1.0)]
    pub top_p: f32,
    /// Penalty on tokens already seen (1: off).
    #[arg(long, default_value_t = 1.0)]
    pub repetition_penalty: f32,
    /// Seed of the sampler.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Keep going after an end-of-sequence or end-of-turn token.
    #[arg(long)]
    pub ignore_eos: bool,
}

impl SamplingArgs {
    /// The generation options these arguments ask for.
    pub fn options(&self) -> GenerateOptions {
        GenerateOptions {
            max_new_tokens: self.max_new_tokens,
            sampling: SamplingConfig {
                temperature: self.temperature,
                top_k: self.top_k,
                top_p: self.top_p,
                repetition_penalty: self.repetition_penalty,
                seed: self.seed,
            },
            stop_at_eos: !self.ignore_eos,
            stop_ids: Vec::new(),
            context: None,
        }
    }
}

/// The error for a model without a chat template, naming the way out.
pub fn no_template_error(model: &std::path::Path) -> Box<dyn std::error::Error> {
    format!(
        "{}: the model has no chat template (no tokenizer.chat_template in the GGUF file, no \
         chat_template.jinja or chat_template in tokenizer_config.json); give one with \
         --chat-template FILE, or use --prompt without --chat",
        model.display()
    )
    .into()
}
