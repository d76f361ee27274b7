//! A model's chat settings as its files give them: the template, the named
//! special tokens, and the ids that end an assistant turn.
//!
//! - Hugging Face folder: `chat_template.jinja` (transformers 5), else
//!   `tokenizer_config.json`'s `chat_template` (a string, or a list of
//!   `{name, template}` of which `default` is taken); the special tokens from
//!   `tokenizer_config.json` (strings or `{"content": ...}` objects), else
//!   `special_tokens_map.json`; end-of-turn ids from `generation_config.json`'s
//!   `eos_token_id` (an id or a list).
//! - GGUF: `tokenizer.chat_template`; the special tokens by their ids
//!   (`tokenizer.ggml.bos_token_id`, ...) in `tokenizer.ggml.tokens`;
//!   end-of-turn ids from `tokenizer.ggml.eos_token_id`, `eot_token_id` and
//!   `eom_token_id`.
//!
//! Whichever the format, the tokens of [`END_OF_TURN_MARKERS`] that the
//! tokenizer holds as special tokens also end a turn (the generator looks
//! them up).

use super::error::ChatError;
use super::template::{ChatTemplate, SpecialTokens};
use crate::loaders::gguf::GgufFile;
use serde_json::Value as Json;
use std::path::Path;

/// Special tokens that end a turn in common chat formats (ChatML, Llama 3,
/// Phi-3, Llama 2 / Mistral, Gemma, GPT-2 style): a generator stops on each
/// that its tokenizer holds as a special token.
pub const END_OF_TURN_MARKERS: [&str; 8] = [
    "<|im_end|>",
    "<|eot_id|>",
    "<|eom_id|>",
    "<|end|>",
    "</s>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|end_of_text|>",
];

/// What a model's files say about chat.
#[derive(Debug, Default)]
pub struct ChatConfig {
    /// The compiled template, when the model has one.
    pub template: Option<ChatTemplate>,
    /// The named special tokens (rendered into the template).
    pub special: SpecialTokens,
    /// Ids the files name as ending generation (eos, end of turn).
    pub stop_ids: Vec<u32>,
}

impl ChatConfig {
    /// The chat settings of a Hugging Face model folder; a folder without
    /// them gives an empty config. Errors: malformed JSON or a template
    /// that does not compile.
    pub fn from_folder(dir: &Path) -> Result<ChatConfig, ChatError> {
        let tokenizer_config = read_json(&dir.join("tokenizer_config.json"))?;
        let special_map = read_json(&dir.join("special_tokens_map.json"))?;
        let mut special = SpecialTokens::default();
        for (name, slot) in special_slots(&mut special) {
            let from = |json: &Option<Json>| json.as_ref().and_then(|j| token_text(j.get(name)?));
            *slot = from(&tokenizer_config).or_else(|| from(&special_map));
        }
        let jinja = dir.join("chat_template.jinja");
        let source = if jinja.is_file() {
            Some(std::fs::read_to_string(&jinja).map_err(|e| config_error(&jinja, e))?)
        } else {
            let path = dir.join("tokenizer_config.json");
            match tokenizer_config
                .as_ref()
                .and_then(|c| c.get("chat_template"))
            {
                None | Some(Json::Null) => None,
                Some(value) => Some(template_from_config(&path, value)?),
            }
        };
        let stop_ids = match read_json(&dir.join("generation_config.json"))? {
            Some(generation) => {
                let path = dir.join("generation_config.json");
                ids_of(&path, generation.get("eos_token_id"))?
            }
            None => Vec::new(),
        };
        let template = source
            .map(|s| ChatTemplate::new(&s, special.clone()))
            .transpose()?;
        Ok(ChatConfig {
            template,
            special,
            stop_ids,
        })
    }

    /// The chat settings in a GGUF file's metadata. Errors: a template that
    /// does not compile, a special-token id outside the vocabulary.
    pub fn from_gguf(file: &GgufFile) -> Result<ChatConfig, ChatError> {
        let tokens = file
            .get_str_array("tokenizer.ggml.tokens")
            .unwrap_or_default();
        let token_of = |key: &str| -> Result<Option<String>, ChatError> {
            let Some(id) = file.get_u32(key) else {
                return Ok(None);
            };
            match tokens.get(id as usize) {
                Some(token) => Ok(Some(token.to_string())),
                None if tokens.is_empty() => Ok(None),
                None => Err(ChatError::Config {
                    path: file.path.clone(),
                    message: format!(
                        "{key} {id} is outside the vocabulary of {} tokens",
                        tokens.len()
                    ),
                }),
            }
        };
        let special = SpecialTokens {
            bos_token: token_of("tokenizer.ggml.bos_token_id")?,
            eos_token: token_of("tokenizer.ggml.eos_token_id")?,
            unk_token: token_of("tokenizer.ggml.unknown_token_id")?,
            sep_token: token_of("tokenizer.ggml.seperator_token_id")?,
            pad_token: token_of("tokenizer.ggml.padding_token_id")?,
            cls_token: token_of("tokenizer.ggml.cls_token_id")?,
            mask_token: token_of("tokenizer.ggml.mask_token_id")?,
        };
        let mut stop_ids = Vec::new();
        for key in ["eos", "eot", "eom"] {
            let key = format!("tokenizer.ggml.{key}_token_id");
            if token_of(&key)?.is_some() {
                stop_ids.extend(file.get_u32(&key));
            }
        }
        let template = match file.get("tokenizer.chat_template") {
            None => None,
            Some(value) => {
                let source = value.as_str().ok_or_else(|| ChatError::Config {
                    path: file.path.clone(),
                    message: "tokenizer.chat_template is not a string".into(),
                })?;
                Some(ChatTemplate::new(source, special.clone())?)
            }
        };
        Ok(ChatConfig {
            template,
            special,
            stop_ids,
        })
    }
}

fn special_slots(special: &mut SpecialTokens) -> [(&'static str, &mut Option<String>); 7] {
    [
        ("bos_token", &mut special.bos_token),
        ("eos_token", &mut special.eos_token),
        ("unk_token", &mut special.unk_token),
        ("sep_token", &mut special.sep_token),
        ("pad_token", &mut special.pad_token),
        ("cls_token", &mut special.cls_token),
        ("mask_token", &mut special.mask_token),
    ]
}

/// A special token as `tokenizer_config.json` writes it: a string, or an
/// object with its `content`.
fn token_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Object(o) => o.get("content")?.as_str().map(str::to_string),
        _ => None,
    }
}

/// `chat_template` of `tokenizer_config.json`: a string, or named templates
/// (`[{"name": "default", "template": ...}, ...]`) of which `default` is used.
fn template_from_config(path: &Path, value: &Json) -> Result<String, ChatError> {
    let bad = |message: &str| ChatError::Config {
        path: path.to_path_buf(),
        message: format!("chat_template {message}"),
    };
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Array(named) => named
            .iter()
            .find(|t| t.get("name").and_then(Json::as_str) == Some("default"))
            .and_then(|t| t.get("template")?.as_str().map(str::to_string))
            .ok_or_else(|| bad("lists named templates but none named \"default\"")),
        _ => Err(bad("is neither a string nor a list of named templates")),
    }
}

/// Ids of an `eos_token_id` field: absent, null, an id or a list of ids.
fn ids_of(path: &Path, value: Option<&Json>) -> Result<Vec<u32>, ChatError> {
    let id = |v: &Json| {
        v.as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| ChatError::Config {
                path: path.to_path_buf(),
                message: format!("eos_token_id {v} is not a token id"),
            })
    };
    match value {
        None | Some(Json::Null) => Ok(Vec::new()),
        Some(Json::Array(list)) => list.iter().map(id).collect(),
        Some(single) => Ok(vec![id(single)?]),
    }
}

fn read_json(path: &Path) -> Result<Option<Json>, ChatError> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| config_error(path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| config_error(path, e))
}

fn config_error(path: &Path, e: impl std::fmt::Display) -> ChatError {
    ChatError::Config {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}
