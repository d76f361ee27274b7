//! The GGUF-embedded SentencePiece tokenizer against the real SentencePiece
//! (a tiny BPE model and its encodings, tests/data/tokenizers/tiny-spm.json,
//! made by scripts/make_tiny_spm.py), against a direct transcription of
//! llama.cpp's `llm_tokenizer_spm` on generated text, and on hostile metadata.

use super::gguf::{GgufFile, GgufValue, GgufWriter};
use super::gguf_tokenizer::tokenizer_from_gguf;
use super::gguf_tokenizer_spm::MAX_PIECE_CHARS;
use super::gguf_tokenizer_tests::assert_tokenizer_error;
use crate::models::llama::gguf_tokenizer;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// tests/data/tokenizers/tiny-spm.json.
struct Reference {
    pieces: Vec<String>,
    scores: Vec<f32>,
    types: Vec<i32>,
    bos: u32,
    eos: u32,
    unk: u32,
    add_space_prefix: bool,
    /// (text, sentencepiece's ids, sentencepiece's decode of them)
    cases: Vec<(String, Vec<u32>, String)>,
}

fn reference() -> Reference {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/tokenizers/tiny-spm.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let list = |key: &str| json[key].as_array().unwrap().clone();
    let id = |key: &str| json[key].as_u64().unwrap() as u32;
    let ids = |v: &serde_json::Value| -> Vec<u32> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i.as_u64().unwrap() as u32)
            .collect()
    };
    Reference {
        pieces: list("pieces")
            .iter()
            .map(|p| p.as_str().unwrap().to_string())
            .collect(),
        scores: list("scores")
            .iter()
            .map(|s| s.as_f64().unwrap() as f32)
            .collect(),
        types: list("types")
            .iter()
            .map(|t| t.as_i64().unwrap() as i32)
            .collect(),
        bos: id("bos_id"),
        eos: id("eos_id"),
        unk: id("unk_id"),
        add_space_prefix: json["add_space_prefix"].as_bool().unwrap(),
        cases: list("cases")
            .iter()
            .map(|c| {
                (
                    c["text"].as_str().unwrap().to_string(),
                    ids(&c["ids"]),
                    c["decoded"].as_str().unwrap().to_string(),
                )
            })
            .collect(),
    }
}

type Entries = Vec<(&'static str, Option<GgufValue>)>;

fn strings<S: AsRef<str>>(items: &[S]) -> GgufValue {
    GgufValue::Array(
        items
            .iter()
            .map(|s| GgufValue::String(s.as_ref().to_string()))
            .collect(),
    )
}

/// The metadata llama.cpp's converter writes for `r`.
fn entries(r: &Reference) -> Entries {
    vec![
        (
            "general.architecture",
            Some(GgufValue::String("llama".into())),
        ),
        (
            "tokenizer.ggml.model",
            Some(GgufValue::String("llama".into())),
        ),
        ("tokenizer.ggml.tokens", Some(strings(&r.pieces))),
        (
            "tokenizer.ggml.scores",
            Some(GgufValue::Array(
                r.scores.iter().map(|&s| GgufValue::F32(s)).collect(),
            )),
        ),
        (
            "tokenizer.ggml.token_type",
            Some(GgufValue::Array(
                r.types.iter().map(|&t| GgufValue::I32(t)).collect(),
            )),
        ),
        ("tokenizer.ggml.bos_token_id", Some(GgufValue::U32(r.bos))),
        ("tokenizer.ggml.eos_token_id", Some(GgufValue::U32(r.eos))),
        (
            "tokenizer.ggml.unknown_token_id",
            Some(GgufValue::U32(r.unk)),
        ),
        (
            "tokenizer.ggml.add_space_prefix",
            Some(GgufValue::Bool(r.add_space_prefix)),
        ),
        ("tokenizer.ggml.add_bos_token", Some(GgufValue::Bool(true))),
    ]
}

fn set(entries: &mut Entries, key: &'static str, value: Option<GgufValue>) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(entry) => entry.1 = value,
        None => entries.push((key, value)),
    }
}

fn gguf_bytes(entries: &Entries) -> Vec<u8> {
    let mut w = GgufWriter::new();
    for (key, value) in entries {
        if let Some(value) = value {
            w.metadata(*key, value.clone());
        }
    }
    w.to_bytes().unwrap()
}

fn parse(entries: &Entries) -> GgufFile {
    GgufFile::parse(Path::new("spm.gguf"), &gguf_bytes(entries)).unwrap()
}

fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tessera-spm-{}-{name}.gguf", std::process::id()))
}

#[test]
fn the_embedded_tokenizer_matches_sentencepiece() {
    let r = reference();
    assert!(r.cases.len() >= 20);
    let path = temp_path("tiny");
    std::fs::write(&path, gguf_bytes(&entries(&r))).unwrap();
    // The CLI's path: the file on disk through models::llama::gguf_tokenizer.
    let decoder = gguf_tokenizer(&path).unwrap().unwrap();
    let tokenizer =
        tokenizer_from_gguf(&GgufFile::parse(&path, &std::fs::read(&path).unwrap()).unwrap())
            .unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut plain = tokenizer.clone();
    plain.set_encode_special_tokens(true);
    assert_eq!(decoder.vocab_size(), r.pieces.len());

    let mut special_text = 0;
    for (text, expected, decoded) in &r.cases {
        // Control pieces (`<s>`) are special tokens here, as when llama.cpp
        // parses special tokens; SentencePiece reads them as text, as the
        // tokenizer does with special-token matching off.
        let has_special = ["<s>", "</s>", "<unk>"].iter().any(|s| text.contains(s));
        let ids = plain
            .encode(text.as_str(), false)
            .unwrap()
            .get_ids()
            .to_vec();
        assert_eq!(&ids, expected, "{text:?}");
        if has_special {
            special_text += 1;
        } else {
            let ids = tokenizer
                .encode(text.as_str(), false)
                .unwrap()
                .get_ids()
                .to_vec();
            assert_eq!(&ids, expected, "{text:?}");
            // The CLI's encode adds BOS (add_bos_token), as llama.cpp does.
            let mut with_bos = vec![r.bos];
            with_bos.extend(expected);
            assert_eq!(decoder.encode(text).unwrap(), with_bos, "{text:?}");
            assert_eq!(&decoder.decode(&with_bos).unwrap(), decoded, "{text:?}");
        }
        assert_eq!(
            &tokenizer.decode(expected, true).unwrap(),
            decoded,
            "{text:?}"
        );
        assert_eq!(&decoder.decode(expected).unwrap(), decoded, "{text:?}");
    }
    assert_eq!(special_text, 1);
    // With special parsing, `<s>` in the text is the BOS id, and the text
    // after it gets its own space prefix (llama.cpp: is_prev_special).
    let ids = tokenizer.encode("<s>hi", false).unwrap().get_ids().to_vec();
    let hi = plain.encode("hi", false).unwrap().get_ids().to_vec();
    assert_eq!(ids[0], r.bos);
    assert_eq!(&ids[1..], &hi[..]);
}

/// llama.cpp's `llm_tokenizer_spm::tokenize`, transcribed naively: merge the
/// adjacent pair whose concatenation is a piece with the highest score
/// (leftmost on ties) until none is left, then byte-fallback what is no piece.
fn llama_cpp_spm(r: &Reference, ids: &HashMap<&str, u32>, text: &str) -> Vec<u32> {
    if text.is_empty() {
        return Vec::new();
    }
    let text = format!(" {text}").replace(' ', "\u{2581}");
    let mut symbols: Vec<String> = text.chars().map(String::from).collect();
    loop {
        let mut best: Option<(f32, usize)> = None;
        for i in 0..symbols.len().saturating_sub(1) {
            let merged = format!("{}{}", symbols[i], symbols[i + 1]);
            if let Some(&id) = ids.get(merged.as_str()) {
                let score = r.scores[id as usize];
                if r.types[id as usize] == 1 && best.is_none_or(|(s, _)| score > s) {
                    best = Some((score, i));
                }
            }
        }
        let Some((_, i)) = best else { break };
        let right = symbols.remove(i + 1);
        symbols[i].push_str(&right);
    }
    let mut out = Vec::new();
    for s in symbols {
        match ids.get(s.as_str()) {
            Some(&id) => out.push(id),
            None => out.extend(s.bytes().map(|b| ids[format!("<0x{b:02X}>").as_str()])),
        }
    }
    out
}

#[test]
fn generated_text_encodes_as_llama_cpp_does() {
    let r = reference();
    let ids: HashMap<&str, u32> = r
        .pieces
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i as u32))
        .collect();
    let tokenizer = tokenizer_from_gguf(&parse(&entries(&r))).unwrap();
    // Characters from the pieces (so merges happen), plus some that are not.
    let mut alphabet: Vec<char> = r
        .pieces
        .iter()
        .zip(&r.types)
        .filter(|&(_, &t)| t == 1)
        .flat_map(|(p, _)| p.chars())
        .map(|c| if c == '\u{2581}' { ' ' } else { c })
        .collect();
    alphabet.sort_unstable();
    alphabet.dedup();
    alphabet.extend([' ', ' ', ' ', 'e', 't', '\n', '\t', 'ß', '中', '🎉', 'q']);
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((state >> 33) as usize) % n
    };
    for _ in 0..400 {
        let len = next(40);
        let text: String = (0..len).map(|_| alphabet[next(alphabet.len())]).collect();
        let got = tokenizer
            .encode(text.as_str(), false)
            .unwrap()
            .get_ids()
            .to_vec();
        assert_eq!(got, llama_cpp_spm(&r, &ids, &text), "{text:?}");
        assert_eq!(tokenizer.decode(&got, true).unwrap(), text);
    }
}

/// A hand-made vocabulary: unk, bos, eos, a user-defined piece, normal pieces
/// and only two byte pieces.
fn small() -> Reference {
    let pieces = [
        ("<unk>", 0.0, 2),
        ("<s>", 0.0, 3),
        ("</s>", 0.0, 3),
        ("<tool>", 0.0, 4),
        ("<0x0A>", 0.0, 6),
        ("<0xC3>", 0.0, 6),
        ("▁", -1.0, 1),
        ("a", -2.0, 1),
        ("b", -3.0, 1),
        ("ab", -4.0, 1),
        ("▁ab", -5.0, 1),
        ("c", -6.0, 1),
        ("ca", -0.5, 1),
    ];
    Reference {
        pieces: pieces.iter().map(|p| p.0.to_string()).collect(),
        scores: pieces.iter().map(|p| p.1).collect(),
        types: pieces.iter().map(|p| p.2).collect(),
        bos: 1,
        eos: 2,
        unk: 0,
        add_space_prefix: true,
        cases: Vec::new(),
    }
}

fn encode(entries: &Entries, text: &str, special: bool) -> Vec<u32> {
    let tokenizer = tokenizer_from_gguf(&parse(entries)).unwrap();
    tokenizer.encode(text, special).unwrap().get_ids().to_vec()
}

#[test]
fn merges_byte_fallback_unk_and_flags() {
    let r = small();
    let e = entries(&r);
    // "cab": "ca" (-0.5) beats "ab" (-4), and "▁c" is no piece.
    assert_eq!(encode(&e, "cab", false), vec![6, 12, 8]);
    assert_eq!(encode(&e, "ab ab", false), vec![10, 10]);
    // BOS from the post-processor.
    assert_eq!(encode(&e, "ab", true), vec![1, 10]);
    // A newline has a byte piece; "é" (C3 A9) lacks A9, so it is unk, and a
    // run of unknown characters is one unk.
    assert_eq!(encode(&e, "a\n", false), vec![6, 7, 4]);
    assert_eq!(encode(&e, "éü€a", false), vec![6, 0, 7]);
    // User-defined pieces are matched before the normalizer, and the text
    // after them gets its own prefix, as after <s>.
    assert_eq!(encode(&e, "ab<tool>ab", false), vec![10, 3, 10]);
    assert_eq!(encode(&e, "ab</s>", true), vec![1, 10, 2]);
    let tokenizer = tokenizer_from_gguf(&parse(&e)).unwrap();
    assert_eq!(
        tokenizer.decode(&[1, 10, 3, 10, 4, 2], true).unwrap(),
        "ab<tool> ab\n"
    );

    let mut no_prefix = e.clone();
    set(
        &mut no_prefix,
        "tokenizer.ggml.add_space_prefix",
        Some(GgufValue::Bool(false)),
    );
    set(
        &mut no_prefix,
        "tokenizer.ggml.add_bos_token",
        Some(GgufValue::Bool(false)),
    );
    set(
        &mut no_prefix,
        "tokenizer.ggml.add_eos_token",
        Some(GgufValue::Bool(true)),
    );
    assert_eq!(encode(&no_prefix, "ab ab", true), vec![9, 10, 2]);
    let tokenizer = tokenizer_from_gguf(&parse(&no_prefix)).unwrap();
    assert_eq!(tokenizer.decode(&[6, 9, 10], true).unwrap(), " ab ab");

    // Without an unknown_token_id the unknown-type piece is unk; without any
    // unk piece an unknown character is an error, not a panic.
    let mut implicit = e.clone();
    set(&mut implicit, "tokenizer.ggml.unknown_token_id", None);
    assert_eq!(encode(&implicit, "€", false), vec![6, 0]);
    let mut no_unk = e.clone();
    set(&mut no_unk, "tokenizer.ggml.unknown_token_id", None);
    let mut types = r.types.clone();
    types[0] = 1;
    set(
        &mut no_unk,
        "tokenizer.ggml.token_type",
        Some(GgufValue::Array(
            types.into_iter().map(GgufValue::I32).collect(),
        )),
    );
    let tokenizer = tokenizer_from_gguf(&parse(&no_unk)).unwrap();
    let _ = tokenizer.encode("€", false);
}

fn spm_error(entries: &Entries, needles: &[&str]) {
    assert_tokenizer_error(&parse(entries), "spm.gguf", needles);
}

#[test]
fn malformed_spm_metadata_is_an_error() {
    let r = small();
    let n = r.pieces.len() as u32;
    let case = |key: &'static str, value: Option<GgufValue>, needles: &[&str]| {
        let mut e = entries(&r);
        set(&mut e, key, value);
        spm_error(&e, needles);
    };
    case("tokenizer.ggml.scores", None, &["scores", "missing"]);
    case(
        "tokenizer.ggml.scores",
        Some(GgufValue::Array(vec![GgufValue::F32(0.0); 3])),
        &["scores has 3 entries", "13 tokens"],
    );
    case(
        "tokenizer.ggml.scores",
        Some(strings(&vec!["0"; n as usize])),
        &["scores", "not an array of numbers"],
    );
    case(
        "tokenizer.ggml.scores",
        Some(GgufValue::F32(0.0)),
        &["scores", "not an array of numbers"],
    );
    let mut nan = r.scores.clone();
    nan[7] = f32::NAN;
    case(
        "tokenizer.ggml.scores",
        Some(GgufValue::Array(
            nan.into_iter().map(GgufValue::F32).collect(),
        )),
        &["score 7 is NaN"],
    );
    case(
        "tokenizer.ggml.token_type",
        None,
        &["token_type", "missing"],
    );
    case(
        "tokenizer.ggml.token_type",
        Some(GgufValue::Array(vec![GgufValue::I32(1); 2])),
        &["token_type has 2 entries"],
    );
    case(
        "tokenizer.ggml.token_type",
        Some(GgufValue::Array(vec![GgufValue::I32(9); n as usize])),
        &["token 0 has type 9"],
    );
    case(
        "tokenizer.ggml.tokens",
        Some(GgufValue::Array(vec![])),
        &["empty"],
    );
    case("tokenizer.ggml.tokens", None, &["tokens", "missing"]);
    let mut repeated = r.pieces.clone();
    repeated[9] = "a".into();
    case(
        "tokenizer.ggml.tokens",
        Some(strings(&repeated)),
        &["token 9", "repeats token 7"],
    );
    let mut empty = r.pieces.clone();
    empty[8] = String::new();
    case(
        "tokenizer.ggml.tokens",
        Some(strings(&empty)),
        &["token 8 is empty"],
    );
    let mut long = r.pieces.clone();
    long[8] = "b".repeat(MAX_PIECE_CHARS + 1);
    case(
        "tokenizer.ggml.tokens",
        Some(strings(&long)),
        &["token 8", "characters long"],
    );
    for key in [
        "tokenizer.ggml.bos_token_id",
        "tokenizer.ggml.eos_token_id",
        "tokenizer.ggml.unknown_token_id",
    ] {
        for bad in [n, u32::MAX] {
            case(
                key,
                Some(GgufValue::U32(bad)),
                &[key, "outside the vocabulary"],
            );
        }
        case(key, Some(GgufValue::I32(-1)), &[key, "i32 -1"]);
    }
    case(
        "tokenizer.ggml.add_space_prefix",
        Some(GgufValue::U8(1)),
        &["add_space_prefix", "expected a bool"],
    );
}

/// Long pieces up to the cap are fine: the merge derivation is bounded.
#[test]
fn long_pieces_derive_merges_within_bounds() {
    let mut r = small();
    for n in 2..=MAX_PIECE_CHARS {
        r.pieces.push("a".repeat(n));
        r.scores.push(-10.0 - n as f32);
        r.types.push(1);
    }
    r.pieces.remove(9); // "ab": keep the a-runs the only long pieces
    r.scores.remove(9);
    r.types.remove(9);
    let tokenizer = tokenizer_from_gguf(&parse(&entries(&r))).unwrap();
    let text = "a".repeat(300);
    let ids = tokenizer
        .encode(text.as_str(), false)
        .unwrap()
        .get_ids()
        .to_vec();
    assert_eq!(tokenizer.decode(&ids, true).unwrap(), text);
}
