//! `tessera chat`: an interactive conversation in the terminal, streamed as
//! tokens are produced. One line of standard input is one user turn; the
//! history is kept across turns and rendered with the model's chat template.
//! `/reset` forgets the history (the system message stays), `/quit` or end of
//! input ends the chat. Works the same with standard input piped.

use super::generate::{prompt_ids_or_hint, report};
use super::generation_args::{no_template_error, ModelArgs, SamplingArgs};
use clap::Args;
use std::io::{BufRead, Write};
use tessera::prelude::*;
use tessera::runtime::chat::ChatMessage;

/// Arguments of `tessera chat`.
#[derive(Args, Debug)]
pub struct ChatArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// A system message that opens the conversation (kept by /reset).
    #[arg(long)]
    system: Option<String>,
    #[command(flatten)]
    sampling: SamplingArgs,
    /// Print one JSON object per turn {"prompt_ids", "ids", "text", "stop"}
    /// instead of streaming text.
    #[arg(long)]
    json: bool,
}

/// What one line of input asks for.
#[derive(Debug, PartialEq)]
enum Input<'a> {
    /// End the chat.
    Quit,
    /// Forget the turns so far.
    Reset,
    /// Nothing to send.
    Empty,
    /// A user turn.
    Message(&'a str),
}

fn parse(line: &str) -> Input<'_> {
    let text = line.trim_end_matches(['\n', '\r']);
    match text.trim() {
        "/quit" | "/exit" => Input::Quit,
        "/reset" => Input::Reset,
        "" => Input::Empty,
        _ => Input::Message(text),
    }
}

/// Run the command.
pub fn run(args: ChatArgs) -> Result<(), Box<dyn std::error::Error>> {
    let generator = args.model.load()?;
    if generator.chat_template().is_none() {
        return Err(no_template_error(&args.model.model));
    }
    let options = args.sampling.options();
    let opening: Vec<ChatMessage> = args
        .system
        .iter()
        .map(|s| ChatMessage::new("system", s.as_str()))
        .collect();
    let mut history = opening.clone();
    eprintln!("type a message; /reset forgets the conversation, /quit or end of input ends it");
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    loop {
        eprint!("> ");
        line.clear();
        if input.read_line(&mut line)? == 0 {
            eprintln!();
            return Ok(());
        }
        let text = match parse(&line) {
            Input::Quit => return Ok(()),
            Input::Reset => {
                history = opening.clone();
                eprintln!("(conversation reset)");
                continue;
            }
            Input::Empty => continue,
            Input::Message(text) => text,
        };
        history.push(ChatMessage::new("user", text));
        let prompt_ids = match prompt_ids_or_hint(generator.encode_chat(&history)) {
            Ok(ids) => ids,
            Err(e) => {
                history.pop();
                return Err(e);
            }
        };
        let mut write_error = None;
        let result = generator.generate_ids(&prompt_ids, &options, |piece| {
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
        });
        if let Some(e) = write_error {
            return Err(e.into());
        }
        let TextGeneration { generation, text } = match result {
            Ok(done) => done,
            Err(e @ Error::InvalidArgument { .. }) => {
                // The conversation outgrew the context: say so, keep the chat.
                history.pop();
                eprintln!("error: {e}; /reset starts over");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let reply = text.unwrap_or_default();
        if args.json {
            let line = serde_json::json!({
                "prompt_ids": generation.prompt_ids,
                "ids": generation.ids,
                "text": reply,
                "stop": format!("{:?}", generation.stop),
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out)?;
        }
        report(&generation);
        history.push(ChatMessage::new("assistant", reply));
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, Input};

    #[test]
    fn lines_become_commands_or_messages() {
        assert_eq!(parse("/quit\n"), Input::Quit);
        assert_eq!(parse(" /reset \r\n"), Input::Reset);
        assert_eq!(parse("  \n"), Input::Empty);
        assert_eq!(parse("hello there\n"), Input::Message("hello there"));
        assert_eq!(parse("/quitting"), Input::Message("/quitting"));
    }
}
