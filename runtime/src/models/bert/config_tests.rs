//! Config files that cannot describe a usable BERT give `BadConfig` naming the file.

use super::config::BertConfig;
use crate::loaders::LoadError;

fn parse(text: &str) -> Result<BertConfig, LoadError> {
    let path = std::env::temp_dir().join(format!(
        "tessera-config-{}-{}.json",
        std::process::id(),
        text.len()
    ));
    std::fs::write(&path, text).unwrap();
    let r = BertConfig::from_file(&path);
    let _ = std::fs::remove_file(&path);
    r
}

const GOOD: &str = r#"{"hidden_size": 384, "num_attention_heads": 12, "num_hidden_layers": 6,
  "intermediate_size": 1536, "layer_norm_eps": 1e-12, "max_position_embeddings": 512,
  "vocab_size": 30522, "type_vocab_size": 2, "hidden_act": "gelu"}"#;

#[test]
fn good_config_parses() {
    let c = parse(GOOD).unwrap();
    assert_eq!(
        (c.hidden_size, c.num_attention_heads, c.num_hidden_layers),
        (384, 12, 6)
    );
}

#[test]
fn bad_configs_are_errors() {
    for bad in [
        GOOD.replace("\"gelu\"", "\"swish\""),
        GOOD.replace("\"vocab_size\": 30522,", ""),
        "{".to_string(),
    ] {
        assert!(
            matches!(parse(&bad), Err(LoadError::BadConfig { .. })),
            "accepted: {bad}"
        );
    }
}

#[test]
fn impossible_values_name_their_field() {
    let cases = [
        (
            "\"num_attention_heads\": 12",
            "\"num_attention_heads\": 7",
            "num_attention_heads",
        ),
        ("\"hidden_size\": 384", "\"hidden_size\": 0", "hidden_size"),
        (
            "\"num_hidden_layers\": 6",
            "\"num_hidden_layers\": 4000000000",
            "num_hidden_layers",
        ),
        (
            "\"hidden_size\": 384",
            "\"hidden_size\": 1048576",
            "hidden_size",
        ),
        (
            "\"vocab_size\": 30522",
            "\"vocab_size\": 18446744073709551615",
            "vocab_size",
        ),
        (
            "\"max_position_embeddings\": 512",
            "\"max_position_embeddings\": 0",
            "max_position_embeddings",
        ),
        (
            "\"intermediate_size\": 1536",
            "\"intermediate_size\": 99999999999",
            "intermediate_size",
        ),
        (
            "\"layer_norm_eps\": 1e-12",
            "\"layer_norm_eps\": -1e-5",
            "layer_norm_eps",
        ),
        (
            "\"layer_norm_eps\": 1e-12",
            "\"layer_norm_eps\": 0",
            "layer_norm_eps",
        ),
        (
            "\"type_vocab_size\": 2",
            "\"type_vocab_size\": 0",
            "type_vocab_size",
        ),
    ];
    for (from, to, field) in cases {
        let text = GOOD.replace(from, to);
        assert_ne!(text, GOOD, "{from} not in the config");
        match parse(&text) {
            Err(LoadError::InvalidField { field: f, .. }) if f == field => {}
            other => panic!("{to}: {other:?}"),
        }
    }
}
