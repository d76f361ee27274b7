//! The embedded GGUF tokenizer on a byte-level BPE vocabulary written by the
//! test itself, on malformed tokenizer metadata, and (when the tiny
//! checkpoints are present) against the `tokenizer.json` beside a real GGUF.

use super::gguf::{GgufFile, GgufModelFile, GgufValue, GgufWriter};
use super::gguf_tokenizer::{gguf_special_ids, tokenizer_from_gguf};
use super::LoadError;
use std::path::Path;

/// GPT-2's byte-to-character map: printable bytes stand for themselves, the
/// others for 256 + n in order.
fn byte_chars() -> Vec<char> {
    let mut n = 0;
    (0u32..256)
        .map(|b| {
            let printable = (33..=126).contains(&b) || (161..=172).contains(&b) || b >= 174;
            if printable {
                char::from_u32(b).unwrap()
            } else {
                n += 1;
                char::from_u32(255 + n).unwrap()
            }
        })
        .collect()
}

const MERGES: &[&str] = &[
    "h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "Ġwor l", "Ġworl d", "1 2", "12 3",
];
const EOT: &str = "<|endoftext|>";
const TOOL: &str = "<tool>";

/// The 256 byte tokens, the merged tokens, a control and a user-defined token.
fn vocabulary() -> (Vec<String>, Vec<i32>) {
    let mut tokens: Vec<String> = byte_chars().into_iter().map(String::from).collect();
    for m in MERGES {
        tokens.push(m.replace(' ', ""));
    }
    let mut types = vec![1; tokens.len()];
    tokens.push(EOT.into());
    types.push(3);
    tokens.push(TOOL.into());
    types.push(4);
    (tokens, types)
}

fn id_of(token: &str) -> u32 {
    vocabulary().0.iter().position(|t| t == token).unwrap() as u32
}

fn strings<S: AsRef<str>>(items: &[S]) -> GgufValue {
    GgufValue::Array(
        items
            .iter()
            .map(|s| GgufValue::String(s.as_ref().to_string()))
            .collect(),
    )
}

/// A GGUF with the test vocabulary and no tensors (a fuzzing seed).
pub(super) fn tokenizer_gguf_bytes() -> Vec<u8> {
    metadata_bytes(|_| {})
}

/// Tokenizer metadata; `edit` may replace or drop entries before writing.
fn file_with(edit: impl FnOnce(&mut Vec<(&'static str, Option<GgufValue>)>)) -> GgufFile {
    GgufFile::parse(Path::new("tok.gguf"), &metadata_bytes(edit)).unwrap()
}

fn metadata_bytes(edit: impl FnOnce(&mut Vec<(&'static str, Option<GgufValue>)>)) -> Vec<u8> {
    let (tokens, types) = vocabulary();
    let eot = tokens.len() as u32 - 2;
    let mut entries: Vec<(&'static str, Option<GgufValue>)> = vec![
        (
            "general.architecture",
            Some(GgufValue::String("llama".into())),
        ),
        (
            "tokenizer.ggml.model",
            Some(GgufValue::String("gpt2".into())),
        ),
        (
            "tokenizer.ggml.pre",
            Some(GgufValue::String("gpt-2".into())),
        ),
        ("tokenizer.ggml.tokens", Some(strings(&tokens))),
        (
            "tokenizer.ggml.token_type",
            Some(GgufValue::Array(
                types.into_iter().map(GgufValue::I32).collect(),
            )),
        ),
        ("tokenizer.ggml.merges", Some(strings(MERGES))),
        ("tokenizer.ggml.bos_token_id", Some(GgufValue::U32(eot))),
        ("tokenizer.ggml.eos_token_id", Some(GgufValue::U32(eot))),
    ];
    edit(&mut entries);
    let mut w = GgufWriter::new();
    for (key, value) in entries {
        if let Some(value) = value {
            w.metadata(key, value);
        }
    }
    w.to_bytes().unwrap()
}

fn set(entries: &mut [(&'static str, Option<GgufValue>)], key: &str, value: Option<GgufValue>) {
    entries.iter_mut().find(|(k, _)| *k == key).unwrap().1 = value;
}

fn encode(file: &GgufFile, text: &str) -> Vec<u32> {
    let tokenizer = tokenizer_from_gguf(file).unwrap();
    tokenizer.encode(text, true).unwrap().get_ids().to_vec()
}

#[test]
fn byte_level_bpe_encodes_and_decodes() {
    let file = file_with(|_| {});
    let tokenizer = tokenizer_from_gguf(&file).unwrap();
    let eot = id_of(EOT);
    assert_eq!(tokenizer.get_vocab_size(true), 256 + MERGES.len() + 2);
    let ids = |text: &str| tokenizer.encode(text, true).unwrap().get_ids().to_vec();
    assert_eq!(ids("hello world"), vec![id_of("hello"), id_of("Ġworld")]);
    // No post-processor: no BOS is added, the control token is matched whole.
    assert_eq!(
        ids("hello<|endoftext|>"),
        vec![id_of("hello"), eot],
        "control tokens are special added tokens"
    );
    assert_eq!(ids("<tool>"), vec![id_of(TOOL)]);
    // Unmerged text falls back to byte tokens; é is two bytes.
    let bytes = byte_chars();
    assert_eq!(
        ids("hé"),
        vec![
            id_of("h"),
            id_of(&bytes[0xc3].to_string()),
            id_of(&bytes[0xa9].to_string())
        ]
    );
    assert_eq!(
        ids("hello\n"),
        vec![id_of("hello"), id_of(&bytes[b'\n' as usize].to_string())]
    );
    for text in [
        "hello world",
        "héllo wörld ✓ 123",
        "  two  spaces\tand\nlines",
    ] {
        let encoded = ids(text);
        assert_eq!(tokenizer.decode(&encoded, true).unwrap(), text);
    }
    // Decoding skips special tokens, not user-defined ones.
    let with_special = [id_of("hello"), eot, id_of(TOOL)];
    assert_eq!(
        tokenizer.decode(&with_special, true).unwrap(),
        "hello<tool>"
    );
    assert_eq!(gguf_special_ids(&file), (Some(eot), Some(eot)));
}

#[test]
fn the_pre_tokenizer_follows_tokenizer_ggml_pre() {
    let with_pre = |pre: Option<&str>| {
        file_with(|e| {
            set(
                e,
                "tokenizer.ggml.pre",
                pre.map(|p| GgufValue::String(p.into())),
            )
        })
    };
    let (d1, d2, d3, d4) = (id_of("1"), id_of("2"), id_of("3"), id_of("4"));
    let (d12, d123) = (id_of("12"), id_of("123"));
    for pre in [None, Some("default"), Some("gpt-2")] {
        assert_eq!(
            encode(&with_pre(pre), "1234"),
            vec![id_of("123"), d4],
            "{pre:?}"
        );
        assert_eq!(encode(&with_pre(pre), "124"), vec![d12, d4], "{pre:?}");
    }
    // GPT-2 keeps digit runs together; Llama 3 splits them in threes, Qwen2 one by one.
    assert_eq!(encode(&with_pre(Some("llama-bpe")), "1234"), vec![d123, d4]);
    assert_eq!(
        encode(&with_pre(Some("qwen2")), "1234"),
        vec![d1, d2, d3, d4]
    );
    assert_eq!(
        encode(&with_pre(Some("qwen2")), "hello world"),
        vec![id_of("hello"), id_of("Ġworld")]
    );
    match tokenizer_from_gguf(&with_pre(Some("no-such-pre"))) {
        Err(e @ LoadError::Tokenizer { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("\"no-such-pre\"")
                    && text.contains("smollm")
                    && text.contains("--tokenizer"),
                "{text}"
            );
        }
        other => panic!("unknown pre-tokenizer: {other:?}"),
    }
}

#[test]
fn token_types_are_optional() {
    let file = file_with(|e| set(e, "tokenizer.ggml.token_type", None));
    // Without types the end-of-text marker is plain text, split into bytes.
    assert!(encode(&file, EOT).len() > 1);
    assert_eq!(encode(&file, "hello"), vec![id_of("hello")]);
}

fn tokenizer_error(file: &GgufFile, needles: &[&str]) {
    assert_tokenizer_error(file, "tok.gguf", needles);
}

/// Building `file`'s tokenizer fails with a tokenizer or config error whose
/// message names `file_name` and contains every needle (also used by the
/// SentencePiece tests).
pub(super) fn assert_tokenizer_error(file: &GgufFile, file_name: &str, needles: &[&str]) {
    match tokenizer_from_gguf(file) {
        Err(e @ (LoadError::Tokenizer { .. } | LoadError::BadConfig { .. })) => {
            let text = e.to_string();
            assert!(text.contains(file_name), "{text} does not name the file");
            for needle in needles {
                assert!(text.contains(needle), "{text} lacks {needle:?}");
            }
        }
        Err(other) => panic!("unexpected error kind {other:?}"),
        Ok(_) => panic!("built a tokenizer; expected an error with {needles:?}"),
    }
}

#[test]
fn other_tokenizer_models_are_refused_with_a_hint() {
    let model =
        |m: &str| file_with(|e| set(e, "tokenizer.ggml.model", Some(GgufValue::String(m.into()))));
    // "llama" (SentencePiece) is built in gguf_tokenizer_spm (tests there);
    // this byte-level vocabulary has no scores for it.
    tokenizer_error(&model("llama"), &["tokenizer.ggml.scores", "missing"]);
    tokenizer_error(&model("bert"), &["WordPiece", "--tokenizer FILE"]);
    tokenizer_error(&model("t5"), &["Unigram", "--tokenizer FILE"]);
    tokenizer_error(&model("rwkv"), &["\"rwkv\"", "not supported"]);
    let none = file_with(|e| set(e, "tokenizer.ggml.model", None));
    tokenizer_error(&none, &["no embedded tokenizer", "--tokenizer FILE"]);
    let typed = file_with(|e| set(e, "tokenizer.ggml.model", Some(GgufValue::U8(1))));
    tokenizer_error(&typed, &["tokenizer.ggml.model", "expected a string"]);
}

#[test]
fn malformed_tokenizer_metadata_is_an_error() {
    let n = vocabulary().0.len() as u32;
    let case = |key: &'static str, value: Option<GgufValue>, needles: &[&str]| {
        tokenizer_error(&file_with(|e| set(e, key, value)), needles);
    };
    // mistral.rs #2225 (fixed by #2282): an eos id past the vocabulary indexed
    // the token list and panicked; llama.cpp #3634: eos == vocabulary size.
    for bad in [n, u32::MAX] {
        case(
            "tokenizer.ggml.eos_token_id",
            Some(GgufValue::U32(bad)),
            &["eos_token_id", "outside the vocabulary"],
        );
    }
    case(
        "tokenizer.ggml.bos_token_id",
        Some(GgufValue::I32(-1)),
        &["bos_token_id", "i32 -1"],
    );
    case(
        "tokenizer.ggml.eos_token_id",
        Some(GgufValue::String("2".into())),
        &["eos_token_id", "expected an integer"],
    );
    // llama.cpp #26690 / #24888: token_type declared with another element type
    // (or length) than the reader strides through; here a clean type error.
    case(
        "tokenizer.ggml.token_type",
        Some(GgufValue::Array(vec![GgufValue::F32(1.0); n as usize])),
        &["token_type", "array of"],
    );
    case(
        "tokenizer.ggml.token_type",
        Some(GgufValue::Array(vec![GgufValue::I32(1); 3])),
        &["3 entries", "tokens"],
    );
    case(
        "tokenizer.ggml.tokens",
        None,
        &["tokenizer.ggml.tokens", "missing"],
    );
    case(
        "tokenizer.ggml.tokens",
        Some(GgufValue::Array(vec![])),
        &["empty"],
    );
    case(
        "tokenizer.ggml.tokens",
        Some(GgufValue::Array(vec![GgufValue::U8(1)])),
        &["array of 1 u8", "strings"],
    );
    case("tokenizer.ggml.merges", None, &["merges", "missing"]);
    case(
        "tokenizer.ggml.merges",
        Some(strings(&["he"])),
        &["merge 0", "not \"a b\""],
    );
    case(
        "tokenizer.ggml.merges",
        Some(strings(&["é "])),
        &["merge 0", "not \"a b\""],
    );
    case(
        "tokenizer.ggml.merges",
        Some(strings(&["h e", "hello world"])),
        &["merge 1", "\"hello world\"", "not in the vocabulary"],
    );
    case(
        "tokenizer.ggml.merges",
        Some(strings(&["x y"])),
        &["\"xy\" is not in the vocabulary"],
    );
    let (mut tokens, _) = vocabulary();
    tokens[260] = "h".into();
    case(
        "tokenizer.ggml.tokens",
        Some(strings(&tokens)),
        &["token 260", "repeats token 104"],
    );
}

/// Real tiny checkpoints, when another part of the repository has made them.
#[test]
fn the_embedded_tokenizer_matches_tokenizer_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/decoders");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: no {}", dir.display());
        return;
    };
    let texts = [
        "Hello, world! The quick brown fox jumps over the lazy dog.",
        "Numbers 1234567 and 3.14159, emoji 🎉, accents déjà vu.",
        "  leading spaces\ttabs\nnew lines\n\n and CamelCase words.",
        "I'm sure they'll say it's fine; we've seen worse.",
        "<|bos|>special <|eos|>markers<|eos|>",
    ];
    let mut checked = 0;
    for entry in entries.flatten() {
        let (gguf, json) = (
            entry.path().join("model-f32.gguf"),
            entry.path().join("tokenizer.json"),
        );
        if !gguf.exists() || !json.exists() {
            continue;
        }
        let file = GgufModelFile::open(&gguf).unwrap();
        let from_gguf = tokenizer_from_gguf(file.header()).unwrap();
        let from_json = tokenizers::Tokenizer::from_file(&json).unwrap();
        for text in texts {
            let expected = from_json.encode(text, false).unwrap();
            let got = from_gguf.encode(text, false).unwrap();
            assert_eq!(
                got.get_ids(),
                expected.get_ids(),
                "{}: {text:?}",
                gguf.display()
            );
            assert_eq!(
                from_gguf.decode(got.get_ids(), true).unwrap(),
                from_json.decode(expected.get_ids(), true).unwrap()
            );
        }
        checked += 1;
    }
    assert!(
        checked > 0,
        "no model-f32.gguf + tokenizer.json under {}",
        dir.display()
    );
}
