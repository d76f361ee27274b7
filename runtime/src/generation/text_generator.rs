//! Text generation end to end: a decoder checkpoint and its tokenizer on a
//! device; text (or ids) in, streamed text pieces and the generated ids out.

use super::generator::{generate_async, GenerateOptions, Generation};
use super::text::{DecoderTokenizer, TextStream};
use crate::chat::ChatConfig;
use crate::error::Result;
use crate::loaders::LoadError;
use crate::loaders::SafetensorsFile;
use crate::models::llama::{
    decoder_from_safetensors, gguf_tokenizer, load_decoder, Decoder, DecoderConfig,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tessera_hal::Device;

/// The result of [`TextGenerator::generate_text`] or [`TextGenerator::generate_ids`].
#[derive(Clone, Debug)]
pub struct TextGeneration {
    /// The prompt and generated ids, the prompt and decode times (tokens per
    /// second through its methods) and why generation stopped.
    pub generation: Generation,
    /// The generated ids as text (special tokens skipped); `None` when the
    /// model has no tokenizer.
    pub text: Option<String>,
}

/// A tokenizer whose ids reach past the decoder's token table is refused at
/// load (`path` names the tokenizer's file in the error).
fn check_tokenizer_fits(
    decoder: &Decoder,
    tokenizer: &DecoderTokenizer,
    path: &Path,
) -> Result<(), LoadError> {
    let (ids, rows) = (tokenizer.vocab_size(), decoder.config.vocab_size);
    if ids > rows {
        return Err(LoadError::InvalidField {
            path: path.to_path_buf(),
            field: "tokenizer vocabulary".into(),
            message: format!("{ids} tokens, but the model's token table has {rows} rows"),
        });
    }
    Ok(())
}

/// A decoder language model (Llama, Qwen2) and its tokenizer on a device.
pub struct TextGenerator {
    decoder: Decoder,
    tokenizer: Option<DecoderTokenizer>,
    /// Why the model's own tokenizer could not be built, when it could not.
    tokenizer_problem: Option<String>,
    model_path: PathBuf,
    prepend_bos: bool,
    pub(super) chat: ChatConfig,
    pub(super) stop_ids: Vec<u32>,
}

impl TextGenerator {
    /// Load a Hugging Face folder (`config.json`, `model.safetensors`, and
    /// `tokenizer.json` when it has one) or a `.gguf` file (with its embedded
    /// tokenizer, when it has one) onto `device`. A model without a tokenizer
    /// still loads: it generates from ids ([`TextGenerator::generate_ids`]). So
    /// does one whose tokenizer cannot be built (an unknown pre-tokenizer,
    /// missing merges, ids past the token table): the reason is kept
    /// ([`TextGenerator::tokenizer_problem`]) and text prompts fail with it.
    pub fn load(path: &Path, device: &Arc<dyn Device>) -> Result<TextGenerator> {
        let decoder = load_decoder(path, device)?;
        let built = model_tokenizer(path).and_then(|tokenizer| {
            if let Some(tokenizer) = &tokenizer {
                check_tokenizer_fits(&decoder, tokenizer, path)?;
            }
            Ok(tokenizer)
        });
        let (tokenizer, problem) = match built {
            Ok(tokenizer) => (tokenizer, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let chat = super::text_generator_chat::model_chat_config(path)?;
        let mut generator = TextGenerator::with_parts(decoder, tokenizer, path, chat);
        generator.tokenizer_problem = problem;
        Ok(generator)
    }

    /// Like [`TextGenerator::load`], with the `tokenizer.json` at `tokenizer`
    /// instead of the model's own.
    pub fn load_with_tokenizer(
        path: &Path,
        tokenizer: &Path,
        device: &Arc<dyn Device>,
    ) -> Result<TextGenerator> {
        let decoder = load_decoder(path, device)?;
        let tokenizer_path = tokenizer;
        let tokenizer = DecoderTokenizer::from_file(tokenizer)?;
        check_tokenizer_fits(&decoder, &tokenizer, tokenizer_path)?;
        let chat = super::text_generator_chat::model_chat_config(path)?;
        Ok(TextGenerator::with_parts(
            decoder,
            Some(tokenizer),
            path,
            chat,
        ))
    }

    /// Build from the bytes of a Hugging Face folder's files (the web's way
    /// in, where files arrive by fetch): `config.json`'s text,
    /// `tokenizer.json` and `model.safetensors`. It has no chat template.
    /// Errors as [`TextGenerator::load_with_tokenizer`]'s.
    pub fn from_bytes(
        config_json: &str,
        tokenizer_json: &[u8],
        safetensors: Vec<u8>,
        device: &Arc<dyn Device>,
    ) -> Result<TextGenerator> {
        let config = DecoderConfig::from_hf_json(Path::new("config.json"), config_json)?;
        let weights = SafetensorsFile::from_bytes(Path::new("model.safetensors"), safetensors)?;
        config.check_against_safetensors(Path::new("config.json"), &weights)?;
        let decoder = decoder_from_safetensors(config, &weights, device)?;
        let tokenizer_path = Path::new("tokenizer.json");
        let tokenizer = DecoderTokenizer::from_bytes(tokenizer_path, tokenizer_json)?;
        check_tokenizer_fits(&decoder, &tokenizer, tokenizer_path)?;
        Ok(TextGenerator::from_parts(decoder, tokenizer))
    }

    /// Build from parts (e.g. a random-weight decoder and a tokenizer); it has
    /// no chat template until [`TextGenerator::with_chat_template`].
    pub fn from_parts(decoder: Decoder, tokenizer: DecoderTokenizer) -> TextGenerator {
        TextGenerator::with_parts(
            decoder,
            Some(tokenizer),
            Path::new(""),
            ChatConfig::default(),
        )
    }

    fn with_parts(
        decoder: Decoder,
        tokenizer: Option<DecoderTokenizer>,
        path: &Path,
        chat: ChatConfig,
    ) -> TextGenerator {
        let mut generator = TextGenerator {
            decoder,
            tokenizer,
            tokenizer_problem: None,
            model_path: path.to_path_buf(),
            prepend_bos: false,
            chat,
            stop_ids: Vec::new(),
        };
        generator.stop_ids = generator.collect_stop_ids();
        generator
    }

    /// Prepend the model's beginning-of-sequence id to text prompts when the
    /// tokenizer does not already put it first (default: off, the tokenizer
    /// decides).
    pub fn with_prepend_bos(mut self, prepend: bool) -> TextGenerator {
        self.prepend_bos = prepend;
        self
    }

    /// Whether text prompts get the beginning-of-sequence id prepended.
    pub fn prepends_bos(&self) -> bool {
        self.prepend_bos
    }

    /// The model's beginning-of-sequence id, when the checkpoint names one.
    pub fn bos_token_id(&self) -> Option<u32> {
        self.decoder.config.bos_token_id
    }

    /// The architecture.
    pub fn config(&self) -> &DecoderConfig {
        &self.decoder.config
    }

    /// The decoder (for forward passes of its own, or [`generate`] with an id
    /// callback).
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// The tokenizer, when the model has one.
    pub fn tokenizer(&self) -> Option<&DecoderTokenizer> {
        self.tokenizer.as_ref()
    }

    /// The tokenizer, or why there is none: [`LoadError::MissingTokenizer`]
    /// when the model has none, [`LoadError::Tokenizer`] with the reason when
    /// its own could not be built.
    pub(super) fn require_tokenizer(&self) -> Result<&DecoderTokenizer, LoadError> {
        self.tokenizer.as_ref().ok_or_else(|| {
            let path = self.model_path.clone();
            match &self.tokenizer_problem {
                Some(problem) => LoadError::Tokenizer {
                    path,
                    message: format!(
                        "the model's tokenizer could not be built, so only prompt ids \
                         work ({problem})"
                    ),
                },
                None => LoadError::MissingTokenizer { path },
            }
        })
    }

    /// Why the model's own tokenizer could not be built (then
    /// [`TextGenerator::tokenizer`] is `None` and only ids can be prompts);
    /// `None` when it was built or the model has none.
    pub fn tokenizer_problem(&self) -> Option<&str> {
        self.tokenizer_problem.as_deref()
    }

    /// The checkpoint it was loaded from (empty when built from parts).
    pub fn model_path(&self) -> &Path {
        &self.model_path
    }

    /// The device it runs on.
    pub fn device(&self) -> &Arc<dyn Device> {
        self.decoder.device()
    }

    /// Whether its device is lost (out of memory, driver reset): every call
    /// fails until [`TextGenerator::recover`].
    pub fn is_device_lost(&self) -> bool {
        self.device().is_lost()
    }

    /// Open a fresh device on the same adapter and reload the decoder from
    /// its checkpoint: the way back from a lost device without restarting the
    /// process. Errors: a generator built from parts (nothing to reload from),
    /// the adapter gone, the reload failing.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn recover(&mut self) -> Result<()> {
        if self.model_path.as_os_str().is_empty() {
            return Err(crate::error::Error::InvalidArgument {
                op: "recover",
                message: "the generator was built from parts: no checkpoint to reload".into(),
            });
        }
        // The old device's free buffers go first: the new one may need the room.
        self.device().trim_pool();
        let device = tessera_hal::reopen_device(&**self.device())?;
        self.decoder = load_decoder(&self.model_path, &device)?;
        Ok(())
    }

    /// The prompt ids of `text`: the tokenizer's ids, with the
    /// beginning-of-sequence id put first when [`TextGenerator::with_prepend_bos`]
    /// asked for it. [`LoadError::MissingTokenizer`] when the model has no
    /// tokenizer, [`LoadError::Tokenizer`] with the reason when its tokenizer
    /// could not be built.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>> {
        let tokenizer = self.require_tokenizer()?;
        let mut ids = tokenizer.encode(text)?;
        if let Some(bos) = self.bos_token_id().filter(|_| self.prepend_bos) {
            if ids.first() != Some(&bos) {
                ids.insert(0, bos);
            }
        }
        Ok(ids)
    }

    /// Tokenize `prompt` ([`TextGenerator::encode_prompt`]) and generate after
    /// it, calling `on_piece` once per generated token with the text that token
    /// completes (possibly empty: a character can span tokens); return `false`
    /// from it to stop. Errors: no tokenizer, an empty prompt, a prompt plus
    /// `max_new_tokens` beyond the context, bad sampling settings. Blocks on
    /// [`TextGenerator::generate_text_async`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn generate_text(
        &self,
        prompt: &str,
        options: &GenerateOptions,
        on_piece: impl FnMut(&str) -> bool,
    ) -> Result<TextGeneration> {
        pollster::block_on(self.generate_text_async(prompt, options, on_piece))
    }

    /// [`TextGenerator::generate_text`] without blocking (for the web).
    pub async fn generate_text_async(
        &self,
        prompt: &str,
        options: &GenerateOptions,
        on_piece: impl FnMut(&str) -> bool,
    ) -> Result<TextGeneration> {
        let prompt_ids = self.encode_prompt(prompt)?;
        self.generate_ids_async(&prompt_ids, options, on_piece)
            .await
    }

    /// Generate after `prompt_ids`, streaming pieces as
    /// [`TextGenerator::generate_text`] does; it stops (unless
    /// `options.stop_at_eos` is off) on any of [`TextGenerator::stop_ids`] as
    /// well as `options.stop_ids`. Without a tokenizer each piece is
    /// the token's id in decimal followed by a space, and the result has no text.
    /// Errors: an empty prompt, ids outside the vocabulary, a prompt plus
    /// `max_new_tokens` beyond the context, bad sampling settings. Blocks on
    /// [`TextGenerator::generate_ids_async`].
    #[cfg(not(target_arch = "wasm32"))]
    pub fn generate_ids(
        &self,
        prompt_ids: &[u32],
        options: &GenerateOptions,
        on_piece: impl FnMut(&str) -> bool,
    ) -> Result<TextGeneration> {
        pollster::block_on(self.generate_ids_async(prompt_ids, options, on_piece))
    }

    /// [`TextGenerator::generate_ids`] without blocking (for the web).
    pub async fn generate_ids_async(
        &self,
        prompt_ids: &[u32],
        options: &GenerateOptions,
        mut on_piece: impl FnMut(&str) -> bool,
    ) -> Result<TextGeneration> {
        let mut options = options.clone();
        for &id in &self.stop_ids {
            if !options.stop_ids.contains(&id) {
                options.stop_ids.push(id);
            }
        }
        let options = &options;
        let mut stream = self.tokenizer.as_ref().map(TextStream::new);
        let mut stream_error = None;
        let generation = generate_async(&self.decoder, prompt_ids, options, |id| {
            let piece = match stream.as_mut().map(|s| s.push(id)) {
                Some(Ok(piece)) => piece,
                Some(Err(e)) => {
                    stream_error = Some(e);
                    return false;
                }
                None => format!("{id} "),
            };
            on_piece(&piece)
        })
        .await?;
        if let Some(e) = stream_error {
            return Err(e.into());
        }
        let text = stream.map(|s| s.text()).transpose()?;
        Ok(TextGeneration { generation, text })
    }
}

/// The tokenizer of the model at `path`: `tokenizer.json` in a model folder,
/// else the one embedded in a GGUF file; `None` when there is none.
fn model_tokenizer(path: &Path) -> Result<Option<DecoderTokenizer>, LoadError> {
    if path.is_dir() {
        let beside = path.join("tokenizer.json");
        return match beside.exists() {
            true => DecoderTokenizer::from_file(&beside).map(Some),
            false => Ok(None),
        };
    }
    gguf_tokenizer(path)
}
