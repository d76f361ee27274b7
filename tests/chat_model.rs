//! Chat on a model (`tests/data/chat/tiny-chat/`, made by
//! scripts/make_tiny_chat.py): the template, special tokens and end-of-turn
//! ids load from a Hugging Face folder and from a GGUF file; `encode_chat`
//! gives transformers' `apply_chat_template(tokenize=True)` ids; generation
//! stops on `<|im_end|>` where transformers' greedy `generate` stopped; a
//! model without a template or with a broken one is a typed error.

mod common;

use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use tessera::prelude::*;

fn chat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chat/tiny-chat")
}

fn reference() -> Value {
    serde_json::from_str(&std::fs::read_to_string(chat_dir().join("reference.json")).unwrap())
        .unwrap()
}

fn paths() -> [PathBuf; 2] {
    [chat_dir(), chat_dir().join("model-f32.gguf")]
}

/// Greedy, 16 new tokens at most, stopping at end of turn (as the reference).
fn options() -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: 16,
        ..Default::default()
    }
}

#[test]
fn a_chat_turn_has_transformers_prompt_ids_and_stops_at_end_of_turn() {
    let r = reference();
    let im_end = 191;
    for device in test_devices() {
        for path in paths() {
            let context = format!("{} on {}", path.display(), label(device));
            let generator = TextGenerator::load(&path, device).unwrap();
            assert!(generator.chat_template().is_some(), "{context}");
            assert_eq!(generator.stop_ids(), &[1, im_end], "{context}");
            let messages = [
                ChatMessage::new("system", r["system"].as_str().unwrap()),
                ChatMessage::new("user", r["prompt"].as_str().unwrap()),
            ];
            let ids = generator.encode_chat(&messages).unwrap();
            assert_eq!(ids, json_ids(&r["prompt_ids"]), "{context}");
            assert_eq!(
                ids.iter().filter(|&&id| id == 0).count(),
                1,
                "one BOS: {context}"
            );
            let result = generator.generate_ids(&ids, &options(), |_| true).unwrap();
            assert_eq!(result.generation.ids, json_ids(&r["ids"]), "{context}");
            assert_eq!(
                result.generation.stop,
                StopReason::EndOfSequence,
                "{context}"
            );
            assert_eq!(result.text.as_deref(), r["text"].as_str(), "{context}");
        }
    }
}

#[test]
fn a_conversation_keeps_its_history_across_turns() {
    let r = reference();
    let device = &test_devices()[0];
    for path in paths() {
        let generator = TextGenerator::load(&path, device).unwrap();
        let mut history = Vec::new();
        for turn in r["chat"].as_array().unwrap() {
            history.push(ChatMessage::new("user", turn["user"].as_str().unwrap()));
            let ids = generator.encode_chat(&history).unwrap();
            assert_eq!(ids, json_ids(&turn["prompt_ids"]), "{}", path.display());
            let result = generator.generate_ids(&ids, &options(), |_| true).unwrap();
            assert_eq!(result.generation.ids, json_ids(&turn["ids"]));
            let text = result.text.unwrap();
            assert_eq!(text, turn["text"].as_str().unwrap());
            history.push(ChatMessage::new("assistant", text));
        }
    }
}

#[test]
fn stop_ids_in_options_end_generation_without_a_template() {
    // tiny-llama has no template and only <|eos|> as a stop id; asking to
    // stop at the id greedy decoding picks third ends generation there.
    let r = decoder_reference("tiny-llama");
    let generator = TextGenerator::load(&decoder_dir("tiny-llama"), &test_devices()[0]).unwrap();
    assert!(generator.chat_template().is_none());
    assert_eq!(generator.stop_ids(), &[1]);
    let greedy = json_ids(&r["greedy_ids"]);
    let stop = greedy[2];
    let first = greedy.iter().position(|&id| id == stop).unwrap();
    let options = GenerateOptions {
        max_new_tokens: 24,
        stop_ids: vec![stop],
        ..Default::default()
    };
    let result = generator
        .generate_ids(&json_ids(&r["prompt_ids"]), &options, |_| true)
        .unwrap();
    assert_eq!(result.generation.ids, greedy[..=first].to_vec());
    assert_eq!(result.generation.stop, StopReason::EndOfSequence);
    let err = generator
        .encode_chat(&[ChatMessage::new("user", "hi")])
        .unwrap_err();
    assert!(
        matches!(err, Error::Chat(ChatError::Missing { .. })),
        "{err}"
    );
}

#[test]
fn broken_chat_settings_are_typed_errors() {
    let device = &test_devices()[0];
    let dir = std::env::temp_dir().join(format!("tessera-chat-broken-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(chat_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    let config = dir.join("tokenizer_config.json");
    for (text, check) in [
        (
            r#"{"chat_template": "{% for m in messages %}"}"#,
            (|e: &ChatError| matches!(e, ChatError::Syntax { .. })) as fn(&ChatError) -> bool,
        ),
        (r#"{"chat_template": 7}"#, |e| {
            matches!(e, ChatError::Config { .. })
        }),
        (
            r#"{"chat_template": [{"name": "tool_use", "template": "x"}]}"#,
            |e| matches!(e, ChatError::Config { .. }),
        ),
        ("{not json", |e| matches!(e, ChatError::Config { .. })),
    ] {
        std::fs::write(&config, text).unwrap();
        match TextGenerator::load(&dir, device) {
            Err(Error::Chat(e)) => assert!(check(&e), "{text}: {e:?}"),
            Err(e) => panic!("{text}: {e}"),
            Ok(_) => panic!("{text}: loaded"),
        }
    }
    // A named default template is taken; a raising template fails the turn.
    std::fs::write(
        &config,
        r#"{"chat_template": [{"name": "default", "template": "{{ raise_exception('no ' + messages[0].role) }}"}]}"#,
    )
    .unwrap();
    let generator = TextGenerator::load(&dir, device).unwrap();
    let err = generator
        .encode_chat(&[ChatMessage::new("user", "hi")])
        .unwrap_err();
    assert!(
        matches!(&err, Error::Chat(ChatError::Raised { message }) if message == "no user"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
