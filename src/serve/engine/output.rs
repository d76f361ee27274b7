//! One sequence's way back to its client: ids decoded to whole characters,
//! stop strings cut, events sent on the request's channel.

use super::jobs::{FinishReason, GenerationEvent};
use crate::serve::errors::ApiError;
use crate::serve::text_output::{IncrementalDecoder, StopMatcher};
use tessera_runtime::generation::DecoderTokenizer;
use tokio::sync::mpsc::UnboundedSender;

/// The output side of a running sequence.
pub struct SequenceOutput {
    events: UnboundedSender<GenerationEvent>,
    text: IncrementalDecoder,
    stops: StopMatcher,
    prompt_tokens: usize,
    tokens: usize,
    stopped_by_string: bool,
}

impl SequenceOutput {
    /// Tell the client its prompt of `prompt_tokens` was accepted.
    pub fn start(
        events: UnboundedSender<GenerationEvent>,
        stops: Vec<String>,
        prompt_tokens: usize,
    ) -> SequenceOutput {
        let _ = events.send(GenerationEvent::Started { prompt_tokens });
        SequenceOutput {
            events,
            text: IncrementalDecoder::default(),
            stops: StopMatcher::new(stops),
            prompt_tokens,
            tokens: 0,
            stopped_by_string: false,
        }
    }

    /// Whether the client has gone (its channel is closed).
    pub fn client_gone(&self) -> bool {
        self.events.is_closed()
    }

    /// A generated token: send the text it completes, up to a stop string.
    /// Returns whether the sequence should go on (no stop string, no
    /// decoding error, the client still there).
    pub fn token(&mut self, tokenizer: &DecoderTokenizer, id: u32) -> bool {
        self.tokens += 1;
        if self.client_gone() || self.stopped_by_string {
            return false;
        }
        match self.text.push(tokenizer, id) {
            Ok(piece) => self.release(&piece),
            Err(e) => {
                self.fail(ApiError::internal(e.to_string()));
                false
            }
        }
    }

    fn release(&mut self, piece: &str) -> bool {
        let released = self.stops.push(piece);
        if !released.text.is_empty() {
            let _ = self.events.send(GenerationEvent::Text(released.text));
        }
        self.stopped_by_string = released.stopped;
        !released.stopped
    }

    /// Tokens generated so far.
    pub fn tokens(&self) -> usize {
        self.tokens
    }

    /// The sequence ended (`end_of_sequence`: on an end token; else at its
    /// length, or a stop string): send what text is held and the finish event.
    pub fn finish(
        mut self,
        tokenizer: &DecoderTokenizer,
        end_of_sequence: bool,
        completion_tokens: usize,
    ) {
        if !self.stopped_by_string {
            let rest = self.text.finish(tokenizer).unwrap_or_default();
            if self.release(&rest) {
                let tail = self.stops.finish();
                if !tail.is_empty() {
                    let _ = self.events.send(GenerationEvent::Text(tail));
                }
            }
        }
        let reason = match self.stopped_by_string || end_of_sequence {
            true => FinishReason::Stop,
            false => FinishReason::Length,
        };
        let _ = self.events.send(GenerationEvent::Finished {
            reason,
            prompt_tokens: self.prompt_tokens,
            completion_tokens,
        });
    }

    /// The sequence failed.
    pub fn fail(&self, error: ApiError) {
        let _ = self.events.send(GenerationEvent::Failed(error));
    }
}
