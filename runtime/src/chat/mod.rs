//! Chat templates: a model's Jinja template (`tokenizer.chat_template` in a
//! GGUF file, `chat_template` in `tokenizer_config.json` or
//! `chat_template.jinja` in a Hugging Face folder) rendered over a
//! conversation as transformers' `apply_chat_template` renders it.
//!
//! - [`ChatTemplate`] compiles a template with minijinja in the environment
//!   transformers uses (`trim_blocks`, `lstrip_blocks`, loop controls,
//!   Python string and dict methods through `minijinja-contrib`'s pycompat,
//!   `raise_exception`, `strftime_now`, a `tojson` that does not escape HTML)
//!   and renders `messages`, `add_generation_prompt`, `tools = none`,
//!   `documents = none` and the special tokens (`bos_token`, `eos_token`, ...).
//! - Templates are untrusted: rendering is bounded in steps (fuel), recursion
//!   depth and output size, and every failure is a [`ChatError`].
//! - [`model_files`] reads a model's template, special tokens and end-of-turn
//!   ids; [`crate::generation::TextGenerator`] loads them with the model.

mod error;
pub mod model_files;
mod python;
mod template;

pub use error::ChatError;
pub use model_files::{ChatConfig, END_OF_TURN_MARKERS};
pub use python::strftime;
pub use template::{ChatMessage, ChatTemplate, SpecialTokens, RENDER_LIMITS};

#[cfg(test)]
mod template_tests;
