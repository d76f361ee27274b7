//! What compiling or rendering a chat template can fail with.

use std::path::PathBuf;
use thiserror::Error;

/// A chat template that does not compile or render, or a model whose chat
/// settings are malformed or missing.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ChatError {
    /// The template does not parse.
    #[error("chat template syntax error: {message}")]
    Syntax {
        /// minijinja's description, with the line.
        message: String,
    },
    /// The template called `raise_exception(message)` (e.g. roles that do not
    /// alternate).
    #[error("the chat template refused the conversation: {message}")]
    Raised {
        /// The template's message.
        message: String,
    },
    /// Rendering took more than the step budget (a runaway loop).
    #[error("chat template ran past its budget of {fuel} steps (a runaway loop?)")]
    OutOfFuel {
        /// The budget.
        fuel: u64,
    },
    /// The rendered text grew past the output limit.
    #[error("chat template output exceeds {limit} bytes")]
    OutputTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Any other failure while rendering (an unknown filter or method, an
    /// undefined value used, recursion past the limit, a type error).
    #[error("chat template failed to render: {message}")]
    Render {
        /// minijinja's description, with the line.
        message: String,
    },
    /// The model has no chat template.
    #[error("{path}: the model has no chat template (no tokenizer.chat_template in a GGUF file, no chat_template in tokenizer_config.json or chat_template.jinja in a folder)")]
    Missing {
        /// The model.
        path: PathBuf,
    },
    /// A file with chat settings is malformed.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}
