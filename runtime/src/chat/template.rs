//! [`ChatTemplate`]: one compiled chat template and the special tokens it is
//! rendered with.

use super::error::ChatError;
use super::python::{raise_exception, strftime_now, tojson, TemplateRaised};
use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, ErrorKind};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io;

/// The name the template is stored under in its environment.
const TEMPLATE_NAME: &str = "chat_template";

/// One turn of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// `system`, `user`, `assistant` (or whatever roles the template knows).
    pub role: String,
    /// The text of the turn.
    pub content: String,
}

impl ChatMessage {
    /// A message of `role` with `content`.
    pub fn new(role: impl Into<String>, content: impl Into<String>) -> ChatMessage {
        ChatMessage {
            role: role.into(),
            content: content.into(),
        }
    }
}

/// The named special tokens a template may print (`{{ bos_token }}`), as
/// transformers passes its `special_tokens_map`: only those the model has are
/// defined in the template.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialTokens {
    /// Beginning of sequence, e.g. `<s>`, `<|begin_of_text|>`.
    pub bos_token: Option<String>,
    /// End of sequence, e.g. `</s>`, `<|im_end|>`.
    pub eos_token: Option<String>,
    /// Unknown token.
    pub unk_token: Option<String>,
    /// Separator token.
    pub sep_token: Option<String>,
    /// Padding token.
    pub pad_token: Option<String>,
    /// Classifier token.
    pub cls_token: Option<String>,
    /// Mask token.
    pub mask_token: Option<String>,
}

impl SpecialTokens {
    /// (name, token) of each token that is set.
    pub fn entries(&self) -> Vec<(&'static str, &str)> {
        [
            ("bos_token", &self.bos_token),
            ("eos_token", &self.eos_token),
            ("unk_token", &self.unk_token),
            ("sep_token", &self.sep_token),
            ("pad_token", &self.pad_token),
            ("cls_token", &self.cls_token),
            ("mask_token", &self.mask_token),
        ]
        .into_iter()
        .filter_map(|(name, token)| token.as_deref().map(|t| (name, t)))
        .collect()
    }
}

/// Bounds on one render: templates come with downloaded models and are not
/// trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RenderLimits {
    /// minijinja instructions one render may run (its "fuel").
    pub fuel: u64,
    /// Nesting depth of loops, conditions and macro calls.
    pub recursion: usize,
    /// Bytes of rendered text.
    pub output_bytes: usize,
}

/// The limits every [`ChatTemplate`] renders under: real templates over
/// long conversations use a few hundred thousand instructions and nest a few
/// levels.
pub const RENDER_LIMITS: RenderLimits = RenderLimits {
    fuel: 50_000_000,
    recursion: 100,
    output_bytes: 16 << 20,
};

/// A compiled chat template, rendered as transformers'
/// `apply_chat_template(tokenize=False)` renders it.
pub struct ChatTemplate {
    env: Environment<'static>,
    special: SpecialTokens,
    source: String,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("special", &self.special)
            .field("source_bytes", &self.source.len())
            .finish()
    }
}

impl ChatTemplate {
    /// Compile `source` (Jinja) to be rendered with `special`; a template that
    /// does not parse is [`ChatError::Syntax`].
    pub fn new(source: &str, special: SpecialTokens) -> Result<ChatTemplate, ChatError> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(false);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.set_fuel(Some(RENDER_LIMITS.fuel));
        env.set_recursion_limit(RENDER_LIMITS.recursion);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", tojson);
        env.add_template_owned(TEMPLATE_NAME, source.to_string())
            .map_err(|e| ChatError::Syntax {
                message: describe(&e),
            })?;
        Ok(ChatTemplate {
            env,
            special,
            source: source.to_string(),
        })
    }

    /// The Jinja source.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The special tokens it renders with.
    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.special
    }

    /// The conversation as the model's prompt text; with
    /// `add_generation_prompt` the template's opening of an assistant turn
    /// is appended. Errors: the template raised, ran too long, printed too
    /// much, or failed ([`ChatError`]).
    pub fn render(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
    ) -> Result<String, ChatError> {
        self.render_with(messages, add_generation_prompt, &serde_json::Map::new())
    }

    /// Like [`ChatTemplate::render`], with more template variables (as
    /// `apply_chat_template`'s keyword arguments: `enable_thinking`,
    /// `date_string`, `tools`, ...); they override the defaults and the
    /// special tokens of the same name. JSON objects reach the template with
    /// their keys sorted.
    pub fn render_with(
        &self,
        messages: &[ChatMessage],
        add_generation_prompt: bool,
        variables: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, ChatError> {
        let mut context: BTreeMap<String, Value> = BTreeMap::new();
        for (name, token) in self.special.entries() {
            context.insert(name.to_string(), Value::from(token));
        }
        context.insert("messages".into(), Value::from_serialize(messages));
        context.insert("tools".into(), Value::from(()));
        context.insert("documents".into(), Value::from(()));
        context.insert(
            "add_generation_prompt".into(),
            Value::from(add_generation_prompt),
        );
        for (name, value) in variables {
            context.insert(name.clone(), Value::from_serialize(value));
        }
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| ChatError::Render {
                message: describe(&e),
            })?;
        let mut out = LimitedWriter {
            bytes: Vec::new(),
            limit: RENDER_LIMITS.output_bytes,
            exceeded: false,
        };
        let result = template.render_captured_to(context, &mut out);
        if out.exceeded {
            return Err(ChatError::OutputTooLarge {
                limit: RENDER_LIMITS.output_bytes,
            });
        }
        if let Err(e) = result {
            return Err(render_error(&e));
        }
        String::from_utf8(out.bytes).map_err(|e| ChatError::Render {
            message: format!("the output is not UTF-8: {e}"),
        })
    }
}

/// minijinja's error with its line, one line of text.
fn describe(e: &minijinja::Error) -> String {
    match e.line() {
        Some(line) => format!("{} (line {line})", e.detail().unwrap_or(&e.to_string())),
        None => e.to_string(),
    }
}

fn render_error(e: &minijinja::Error) -> ChatError {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(raised) = inner.downcast_ref::<TemplateRaised>() {
            return ChatError::Raised {
                message: raised.0.clone(),
            };
        }
        source = inner.source();
    }
    match e.kind() {
        ErrorKind::OutOfFuel => ChatError::OutOfFuel {
            fuel: RENDER_LIMITS.fuel,
        },
        ErrorKind::SyntaxError => ChatError::Syntax {
            message: describe(e),
        },
        _ => ChatError::Render {
            message: describe(e),
        },
    }
}

/// Collects the rendered bytes and fails a write past `limit`.
struct LimitedWriter {
    bytes: Vec<u8>,
    limit: usize,
    exceeded: bool,
}

impl io::Write for LimitedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > self.limit {
            self.exceeded = true;
            return Err(io::Error::other("chat template output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
