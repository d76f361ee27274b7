//! Chat on a [`TextGenerator`]: the model's chat template, the ids that end
//! a turn, and a conversation turned into prompt ids.

use super::text_generator::TextGenerator;
use crate::chat::{
    ChatConfig, ChatError, ChatMessage, ChatTemplate, SpecialTokens, END_OF_TURN_MARKERS,
};
use crate::error::Result;
use crate::loaders::gguf::GgufModelFile;
use crate::loaders::LoadError;
use std::path::Path;

/// The chat settings of the model at `path` (a folder or a `.gguf` file);
/// empty for anything else.
pub(super) fn model_chat_config(path: &Path) -> Result<ChatConfig> {
    if path.is_dir() {
        return Ok(ChatConfig::from_folder(path)?);
    }
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
    {
        let file = GgufModelFile::open(path)?;
        return Ok(ChatConfig::from_gguf(file.header())?);
    }
    Ok(ChatConfig::default())
}

impl TextGenerator {
    /// The model's chat template (from its GGUF metadata, `chat_template.jinja`
    /// or `tokenizer_config.json`), or the one set with
    /// [`TextGenerator::with_chat_template`]; `None` when it has none.
    pub fn chat_template(&self) -> Option<&ChatTemplate> {
        self.chat.template.as_ref()
    }

    /// The named special tokens of the model's files (`bos_token`,
    /// `eos_token`, ...), which its template renders with.
    pub fn chat_special_tokens(&self) -> &SpecialTokens {
        &self.chat.special
    }

    /// Use `template` instead of the model's own chat template.
    pub fn with_chat_template(mut self, template: ChatTemplate) -> TextGenerator {
        self.chat.template = Some(template);
        self
    }

    /// The ids that end generation: the config's end-of-sequence ids, the
    /// model files' end-of-turn ids (GGUF `eot_token_id`,
    /// `generation_config.json`'s `eos_token_id` list), the `eos_token`, and
    /// each of [`END_OF_TURN_MARKERS`] the tokenizer holds as a special token.
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop_ids
    }

    /// The conversation rendered by the chat template with the assistant's
    /// turn opened (`add_generation_prompt`), then tokenized with the special
    /// tokens in it parsed and nothing added: a BOS appears once, where the
    /// template writes it (as transformers' `apply_chat_template(tokenize=True)`).
    /// With [`TextGenerator::with_prepend_bos`] a BOS is put first when the
    /// template wrote none. Errors: no template ([`ChatError::Missing`]), the
    /// template failing, no tokenizer.
    pub fn encode_chat(&self, messages: &[ChatMessage]) -> Result<Vec<u32>> {
        let template = self.chat_template().ok_or_else(|| ChatError::Missing {
            path: self.model_path().to_path_buf(),
        })?;
        let text = template.render(messages, true)?;
        let tokenizer = self
            .tokenizer()
            .ok_or_else(|| LoadError::MissingTokenizer {
                path: self.model_path().to_path_buf(),
            })?;
        let mut ids = tokenizer.encode_raw(&text)?;
        if let Some(bos) = self.bos_token_id().filter(|_| self.prepends_bos()) {
            if ids.first() != Some(&bos) {
                ids.insert(0, bos);
            }
        }
        Ok(ids)
    }

    /// Every stop id, in order of the sources above, each once.
    pub(super) fn collect_stop_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self.config().eos_token_ids.clone();
        ids.extend(&self.chat.stop_ids);
        if let Some(tokenizer) = self.tokenizer() {
            let eos = self.chat.special.eos_token.as_deref();
            for token in eos.into_iter().chain(END_OF_TURN_MARKERS) {
                ids.extend(tokenizer.special_token_id(token));
            }
        }
        let mut seen = Vec::with_capacity(ids.len());
        ids.retain(|id| {
            let new = !seen.contains(id);
            seen.push(*id);
            new
        });
        ids
    }
}
