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
        GOOD.replace("\"num_attention_heads\": 12", "\"num_attention_heads\": 7"),
        GOOD.replace("\"gelu\"", "\"swish\""),
        GOOD.replace("\"hidden_size\": 384", "\"hidden_size\": 0"),
        GOOD.replace("\"vocab_size\": 30522,", ""),
        "{".to_string(),
    ] {
        assert!(
            matches!(parse(&bad), Err(LoadError::BadConfig { .. })),
            "accepted: {bad}"
        );
    }
}
