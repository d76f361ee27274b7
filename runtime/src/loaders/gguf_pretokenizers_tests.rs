//! Every pre-tokenizer of `gguf_pretokenizers`, built into a GGUF tokenizer,
//! against the Python `tokenizers` library's splits and ids on the same BPE
//! (`tests/data/tokenizers/pretok_refs.json`, made by
//! `scripts/make_pretok_refs.py` from the families' `tokenizer.json` settings).

use super::gguf::{GgufFile, GgufValue, GgufWriter};
use super::gguf_pretokenizers::{pre_tokenizer_spec, PRE_TOKENIZERS};
use super::gguf_tokenizer::tokenizer_from_gguf;
use serde_json::Value;
use std::path::Path;
use tokenizers::{
    NormalizedString, Normalizer, OffsetReferential, OffsetType, PreTokenizedString, PreTokenizer,
    Tokenizer,
};

fn references() -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/tokenizers/pretok_refs.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

/// The reference vocabulary and merges in a GGUF with `tokenizer.ggml.pre = pre`.
fn tokenizer_for(refs: &Value, pre: &str) -> Tokenizer {
    let list = |key: &str| {
        GgufValue::Array(
            strings(&refs[key])
                .into_iter()
                .map(GgufValue::String)
                .collect(),
        )
    };
    let mut w = GgufWriter::new();
    w.metadata("general.architecture", GgufValue::String("llama".into()))
        .metadata("tokenizer.ggml.model", GgufValue::String("gpt2".into()))
        .metadata("tokenizer.ggml.pre", GgufValue::String(pre.into()))
        .metadata("tokenizer.ggml.tokens", list("tokens"))
        .metadata("tokenizer.ggml.merges", list("merges"));
    let file = GgufFile::parse(Path::new("pretok.gguf"), &w.to_bytes().unwrap()).unwrap();
    tokenizer_from_gguf(&file).unwrap_or_else(|e| panic!("{pre}: {e}"))
}

/// The pre-token strings of `text` (after the tokenizer's normalizer).
fn pre_tokens(tokenizer: &Tokenizer, text: &str) -> Vec<String> {
    let mut normalized = NormalizedString::from(text);
    if let Some(n) = tokenizer.get_normalizer() {
        n.normalize(&mut normalized).unwrap();
    }
    let mut pieces = PreTokenizedString::from(normalized);
    tokenizer
        .get_pre_tokenizer()
        .unwrap()
        .pre_tokenize(&mut pieces)
        .unwrap();
    pieces
        .get_splits(OffsetReferential::Original, OffsetType::Char)
        .into_iter()
        .map(|(s, _, _)| s.to_string())
        .collect()
}

#[test]
fn every_pre_tokenizer_splits_and_encodes_as_the_tokenizers_library() {
    let refs = references();
    let corpus = strings(&refs["corpus"]);
    let families = refs["families"].as_object().unwrap();
    // The table and the reference name the same families.
    let mut canonical: Vec<&str> = PRE_TOKENIZERS.iter().map(|s| s.names[0]).collect();
    let mut referenced: Vec<&str> = families.keys().map(String::as_str).collect();
    canonical.sort();
    referenced.sort();
    assert_eq!(canonical, referenced);
    for spec in PRE_TOKENIZERS {
        let family = &families[spec.names[0]];
        assert_eq!(family["nfc"], spec.nfc, "{}", spec.names[0]);
        assert_eq!(
            family["ignore_merges"], spec.ignore_merges,
            "{}",
            spec.names[0]
        );
        // Every alias builds the same tokenizer; check them all.
        for &name in spec.names {
            let tokenizer = tokenizer_for(&refs, name);
            for (text, line) in corpus.iter().zip(family["lines"].as_array().unwrap()) {
                assert_eq!(
                    pre_tokens(&tokenizer, text),
                    strings(&line["pre_tokens"]),
                    "{name}: pre-tokens of {text:?}"
                );
                let ids: Vec<u32> = line["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u32)
                    .collect();
                let encoding = tokenizer.encode(text.as_str(), false).unwrap();
                assert_eq!(encoding.get_ids(), ids, "{name}: ids of {text:?}");
            }
        }
    }
}

#[test]
fn the_families_differ_where_their_regexes_do() {
    // A reference that cannot fail is no reference: the splits of the corpus
    // must tell the digit rules apart.
    let refs = references();
    let families = refs["families"].as_object().unwrap();
    let numbers = |name: &str| strings(&families[name]["lines"][1]["pre_tokens"]);
    let distinct: std::collections::BTreeSet<Vec<String>> = ["gpt-2", "llama-bpe", "qwen2"]
        .iter()
        .map(|n| numbers(n))
        .collect();
    assert_eq!(distinct.len(), 3);
    assert!(numbers("llama-bpe").contains(&"123".to_string()));
    assert!(!numbers("smollm").iter().any(|p| p == "42"));
}

#[test]
fn aliases_are_unique_and_unknown_names_are_refused() {
    let mut all: Vec<&str> = PRE_TOKENIZERS
        .iter()
        .flat_map(|s| s.names.to_vec())
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "a name appears twice");
    for name in [
        "smollm",
        "llama3",
        "qwen2",
        "tekken",
        "gpt-4o",
        "deepseek-coder",
    ] {
        assert!(pre_tokenizer_spec(name).is_some(), "{name}");
    }
    assert!(pre_tokenizer_spec("no-such-pre").is_none());
    assert!(pre_tokenizer_spec("").is_none());
}
