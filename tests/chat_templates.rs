//! Real chat templates (Llama 3 / 3.1, Qwen2.5, Qwen3, SmolLM2, Mistral v0.3,
//! TinyLlama-Zephyr, Phi-3, Gemma 2 / 3) rendered by Tessera must equal, byte
//! for byte, what transformers' `apply_chat_template(tokenize=False)` rendered
//! (tests/data/chat/template_refs.json, made by scripts/make_chat_refs.py),
//! and raise where it raised.

use serde_json::Value;
use std::path::Path;
use tessera::runtime::chat::{strftime, ChatError, ChatMessage, ChatTemplate, SpecialTokens};

fn refs() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/template_refs.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn special(value: &Value) -> SpecialTokens {
    let get = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_string);
    SpecialTokens {
        bos_token: get("bos_token"),
        eos_token: get("eos_token"),
        unk_token: get("unk_token"),
        sep_token: get("sep_token"),
        pad_token: get("pad_token"),
        cls_token: get("cls_token"),
        mask_token: get("mask_token"),
    }
}

#[test]
fn templates_render_as_transformers_renders_them() {
    let refs = refs();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/templates");
    let cases = refs["cases"].as_array().unwrap();
    assert!(cases.len() >= 150, "{}", cases.len());
    let mut failures = Vec::new();
    let mut templates = std::collections::BTreeSet::new();
    for case in cases {
        let name = case["template"].as_str().unwrap();
        templates.insert(name);
        let source = std::fs::read_to_string(dir.join(format!("{name}.jinja"))).unwrap();
        let template = ChatTemplate::new(&source, special(&refs["special_tokens"][name])).unwrap();
        let conversation = case["conversation"].as_str().unwrap();
        let messages: Vec<ChatMessage> =
            serde_json::from_value(refs["conversations"][conversation].clone()).unwrap();
        let add = case["add_generation_prompt"].as_bool().unwrap();
        let variables = case["variables"].as_object().unwrap();
        let got = template.render_with(&messages, add, variables);
        let label =
            format!("{name} / {conversation} / add_generation_prompt={add} / {variables:?}");
        match (&got, case.get("expected"), case.get("error")) {
            (Ok(text), Some(want), _) if text == want.as_str().unwrap() => {}
            (Err(ChatError::Raised { message }), None, Some(want))
                if message == want.as_str().unwrap() => {}
            _ => failures.push(format!(
                "{label}\n  got:  {got:?}\n  want: {:?}",
                case.get("expected").or(case.get("error"))
            )),
        }
    }
    assert_eq!(templates.len(), 10, "{templates:?}");
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn strftime_matches_python() {
    for case in refs()["strftime"].as_array().unwrap() {
        let format = case["format"].as_str().unwrap();
        let unix = case["unix"].as_i64().unwrap();
        assert_eq!(
            strftime(format, unix),
            case["expected"].as_str().unwrap(),
            "{format} at {unix}"
        );
    }
}

#[test]
fn strftime_now_is_todays_date() {
    let template = ChatTemplate::new(
        "{% if strftime_now is defined %}{{ strftime_now('%Y-%m-%d') }}{% endif %}",
        SpecialTokens::default(),
    )
    .unwrap();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let got = template.render(&[], false).unwrap();
    let after = before + 5;
    assert!(
        got == strftime("%Y-%m-%d", before) || got == strftime("%Y-%m-%d", after),
        "{got}"
    );
}
