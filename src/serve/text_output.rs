//! A sequence's generated ids into the text a client sees: incremental
//! decoding that waits for whole characters (byte-level BPE can split one
//! across tokens), and stop strings matched on the decoded text and never
//! emitted.

use tessera_runtime::generation::DecoderTokenizer;
use tessera_runtime::LoadError;

/// Decodes a growing list of ids a window at a time: each push decodes the
/// ids since the last released piece (with the piece before it as context, so
/// a tokenizer that treats the first token specially still joins pieces
/// right) and releases the new text once it ends on a whole character.
#[derive(Debug, Default)]
pub struct IncrementalDecoder {
    ids: Vec<u32>,
    prefix_offset: usize,
    read_offset: usize,
}

impl IncrementalDecoder {
    /// Add `id`; returns the text it completes (possibly empty).
    pub fn push(&mut self, tokenizer: &DecoderTokenizer, id: u32) -> Result<String, LoadError> {
        self.ids.push(id);
        let prefix = tokenizer.decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let text = tokenizer.decode(&self.ids[self.prefix_offset..])?;
        if text.ends_with('\u{FFFD}') || text.len() <= prefix.len() {
            return Ok(String::new()); // an incomplete character, or nothing visible yet
        }
        let Some(piece) = text.get(prefix.len()..) else {
            return Ok(String::new());
        };
        let piece = piece.to_string();
        self.prefix_offset = self.read_offset;
        self.read_offset = self.ids.len();
        Ok(piece)
    }

    /// The text still held back at the end of generation (an unfinished
    /// character, shown as U+FFFD as the tokenizer decodes it).
    pub fn finish(&mut self, tokenizer: &DecoderTokenizer) -> Result<String, LoadError> {
        if self.read_offset == self.ids.len() {
            return Ok(String::new());
        }
        let prefix = tokenizer.decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let text = tokenizer.decode(&self.ids[self.prefix_offset..])?;
        self.prefix_offset = self.read_offset;
        self.read_offset = self.ids.len();
        Ok(text.get(prefix.len()..).unwrap_or_default().to_string())
    }
}

/// Holds back text that may begin a stop string until it is known not to.
#[derive(Debug, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

/// What a piece of text became after the stop strings were checked.
#[derive(Debug, PartialEq, Eq)]
pub struct Released {
    /// Text safe to send now.
    pub text: String,
    /// A stop string was found: generation ends and `text` is the last text.
    pub stopped: bool,
}

impl StopMatcher {
    /// A matcher for `stops` (empty strings are ignored).
    pub fn new(stops: Vec<String>) -> StopMatcher {
        let stops = stops.into_iter().filter(|s| !s.is_empty()).collect();
        StopMatcher {
            stops,
            held: String::new(),
        }
    }

    /// Add generated text; release what cannot be part of a stop string.
    pub fn push(&mut self, piece: &str) -> Released {
        self.held.push_str(piece);
        let first_stop = self.stops.iter().filter_map(|s| self.held.find(s)).min();
        if let Some(at) = first_stop {
            let text = self.held[..at].to_string();
            self.held.clear();
            return Released {
                text,
                stopped: true,
            };
        }
        // Keep the longest tail that is the start of a stop string.
        let keep_from = self
            .held
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| self.stops.iter().any(|s| s.starts_with(&self.held[i..])))
            .unwrap_or(self.held.len());
        let text = self.held[..keep_from].to_string();
        self.held.drain(..keep_from);
        Released {
            text,
            stopped: false,
        }
    }

    /// Generation ended without a stop string: the held text is released.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, bool) {
        let mut m = StopMatcher::new(stops.iter().map(|s| s.to_string()).collect());
        let mut out = String::new();
        for p in pieces {
            let r = m.push(p);
            out.push_str(&r.text);
            if r.stopped {
                return (out, true);
            }
        }
        out.push_str(&m.finish());
        (out, false)
    }

    #[test]
    fn stop_strings_split_across_pieces_are_found_and_not_emitted() {
        assert_eq!(
            run(&["END"], &["abc E", "N", "D more"]),
            ("abc ".into(), true)
        );
        assert_eq!(run(&["xy", "b"], &["a", "xb"]), ("ax".into(), true));
        assert_eq!(run(&["END"], &["abc EN", "d"]), ("abc ENd".into(), false));
        assert_eq!(run(&[], &["a", "b"]), ("ab".into(), false));
        assert_eq!(run(&["é!"], &["caf", "é", "?"]), ("café?".into(), false));
        assert_eq!(run(&["\n\n"], &["one\n", "\ntwo"]), ("one".into(), true));
    }

    #[test]
    fn held_text_waits_only_while_it_can_start_a_stop_string() {
        let mut m = StopMatcher::new(vec!["STOP".into()]);
        assert_eq!(m.push("aS").text, "a");
        assert_eq!(m.push("T").text, "");
        assert_eq!(m.push("x").text, "STx");
    }

    #[test]
    fn pieces_join_into_the_whole_decoded_text_across_split_characters() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/decoders/tiny-llama/tokenizer.json");
        let tokenizer = DecoderTokenizer::from_file(&path).unwrap();
        let text = "The naïve café: 日本語 🙂 ok";
        let ids = tokenizer.encode(text).unwrap();
        assert!(ids.len() > text.chars().count() / 2, "{ids:?}");
        let mut decoder = IncrementalDecoder::default();
        let mut joined = String::new();
        for &id in &ids {
            let piece = decoder.push(&tokenizer, id).unwrap();
            assert!(!piece.contains('\u{FFFD}'), "{piece:?}");
            joined.push_str(&piece);
        }
        joined.push_str(&decoder.finish(&tokenizer).unwrap());
        assert_eq!(joined, tokenizer.decode(&ids).unwrap());
        assert_eq!(joined, text);
    }
}
