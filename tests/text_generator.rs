//! `TextGenerator` on the tiny reference checkpoints (`tests/data/decoders/`):
//! a Hugging Face folder and GGUF files give transformers' greedy ids and text
//! from prompt ids and from prompt text, the tokenizer is found beside the
//! model, in the GGUF file or where it is given, streamed pieces add up to the
//! text, and a missing tokenizer or file is a typed error.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use tessera::prelude::*;

/// Greedy steps the references hold.
const GREEDY_STEPS: usize = 24;

/// Greedy decoding of the reference's length, end-of-sequence ignored.
fn greedy() -> GenerateOptions {
    GenerateOptions {
        max_new_tokens: GREEDY_STEPS,
        stop_at_eos: false,
        stop_ids: Vec::new(),
        ..Default::default()
    }
}

fn load(path: &Path, device: &std::sync::Arc<dyn Device>) -> TextGenerator {
    TextGenerator::load(path, device).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh folder under the system's temp dir, named for the test.
fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tessera-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn prompt_ids_give_the_transformers_greedy_ids_and_text() {
    for device in test_devices() {
        for (name, file, section) in [
            ("tiny-llama", None, None),
            ("tiny-qwen2", None, None),
            ("tiny-llama", Some("model-q8_0.gguf"), Some("q8_0")),
            ("tiny-qwen2", Some("model-q4_0.gguf"), Some("q4_0")),
        ] {
            let r = decoder_reference(name);
            let expected = section.map_or(&r, |s| &r[s]);
            let path = file.map_or(decoder_dir(name), |f| decoder_dir(name).join(f));
            let context = format!("{} on {}", path.display(), label(device));
            let generator = load(&path, device);
            assert!(generator.tokenizer().is_some(), "{context}");
            let mut streamed = String::new();
            let result = generator
                .generate_ids(&json_ids(&r["prompt_ids"]), &greedy(), |piece| {
                    streamed.push_str(piece);
                    true
                })
                .unwrap_or_else(|e| panic!("{context}: {e}"));
            let generation = &result.generation;
            assert_eq!(
                generation.prompt_ids,
                json_ids(&r["prompt_ids"]),
                "{context}"
            );
            assert_eq!(
                generation.ids,
                json_ids(&expected["greedy_ids"]),
                "{context}"
            );
            assert_eq!(generation.stop, StopReason::MaxTokens, "{context}");
            let text = result.text.as_deref().unwrap();
            assert_eq!(text, expected["greedy_text"].as_str().unwrap(), "{context}");
            assert_eq!(streamed, text, "{context}: streamed pieces");
            assert!(generation.prompt_tokens_per_second() > 0.0, "{context}");
            assert!(generation.decode_tokens_per_second() > 0.0, "{context}");
        }
    }
}

#[test]
fn text_prompts_are_tokenized_with_bos_when_asked() {
    let device = &test_devices()[0];
    for path in [
        decoder_dir("tiny-qwen2"),
        decoder_dir("tiny-qwen2").join("model-f32.gguf"),
    ] {
        let r = decoder_reference("tiny-qwen2");
        let prompt = r["prompt_text"].as_str().unwrap();
        let with_bos = json_ids(&r["prompt_ids"]); // the bos id was prepended by hand
        let generator = load(&path, device);
        assert_eq!(generator.bos_token_id(), Some(with_bos[0]));
        assert!(!generator.prepends_bos());
        assert_eq!(generator.encode_prompt(prompt).unwrap(), &with_bos[1..]);
        let generator = generator.with_prepend_bos(true);
        assert_eq!(generator.encode_prompt(prompt).unwrap(), with_bos);
        let result = generator
            .generate_text(prompt, &greedy(), |_| true)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(result.generation.prompt_ids, with_bos);
        assert_eq!(result.generation.ids, json_ids(&r["greedy_ids"]));
        assert_eq!(result.text.as_deref(), r["greedy_text"].as_str());
    }
}

#[test]
fn the_callback_stops_generation_and_sampling_follows_the_seed() {
    let device = &test_devices()[0];
    let generator = load(&decoder_dir("tiny-llama"), device).with_prepend_bos(true);
    let mut pieces = 0;
    let stopped = generator
        .generate_text("The quick brown fox", &greedy(), |_| {
            pieces += 1;
            pieces < 3
        })
        .unwrap();
    assert_eq!(stopped.generation.ids.len(), 3);
    assert_eq!(stopped.generation.stop, StopReason::Callback);
    let sampled = |seed| {
        let options = GenerateOptions {
            max_new_tokens: 12,
            stop_at_eos: false,
            stop_ids: Vec::new(),
            sampling: SamplingConfig {
                temperature: 0.9,
                top_k: 40,
                top_p: 0.95,
                repetition_penalty: 1.1,
                seed,
            },
            context: None,
        };
        generator
            .generate_text("The quick brown fox", &options, |_| true)
            .unwrap()
            .generation
            .ids
    };
    assert_eq!(sampled(5), sampled(5));
    assert_ne!(sampled(5), sampled(6));
}

#[test]
fn a_model_without_a_tokenizer_generates_from_ids_only() {
    let device = &test_devices()[0];
    let source = decoder_dir("tiny-llama");
    let dir = scratch_dir("no-tokenizer");
    for file in ["config.json", "model.safetensors"] {
        std::fs::copy(source.join(file), dir.join(file)).unwrap();
    }
    let r = decoder_reference("tiny-llama");
    let prompt = json_ids(&r["prompt_ids"]);
    let generator = load(&dir, device);
    assert!(generator.tokenizer().is_none());
    match generator.generate_text("The quick brown fox", &greedy(), |_| true) {
        Err(Error::Load(LoadError::MissingTokenizer { path })) => assert_eq!(path, dir),
        other => panic!("expected MissingTokenizer, got {:?}", other.map(|r| r.text)),
    }
    // Without a tokenizer the pieces are the ids, each followed by a space.
    let mut streamed = String::new();
    let result = generator
        .generate_ids(&prompt, &greedy(), |piece| {
            streamed.push_str(piece);
            true
        })
        .unwrap();
    assert_eq!(result.generation.ids, json_ids(&r["greedy_ids"]));
    assert_eq!(result.text, None);
    let expected: String = result
        .generation
        .ids
        .iter()
        .map(|id| format!("{id} "))
        .collect();
    assert_eq!(streamed, expected);
    // The same folder with the tokenizer given explicitly.
    let tokenizer = source.join("tokenizer.json");
    let generator = TextGenerator::load_with_tokenizer(&dir, &tokenizer, device).unwrap();
    let result = generator
        .generate_ids(&prompt, &greedy(), |_| true)
        .unwrap();
    assert_eq!(result.text.as_deref(), r["greedy_text"].as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn missing_files_are_typed_errors() {
    let device = &test_devices()[0];
    let missing = Path::new("/nonexistent/tessera/model.gguf");
    assert!(matches!(
        TextGenerator::load(missing, device),
        Err(Error::Load(LoadError::Io { path, .. })) if path == missing
    ));
    let not_a_model = decoder_dir("tiny-llama").join("reference.json");
    assert!(matches!(
        TextGenerator::load(&not_a_model, device),
        Err(Error::Load(LoadError::Io { .. }))
    ));
    // A tokenizer file that is missing is an Io error naming it, as a missing
    // model is; one that is not a tokenizer is a Tokenizer error naming it.
    let no_tokenizer = Path::new("/nonexistent/tessera/tokenizer.json");
    assert!(matches!(
        TextGenerator::load_with_tokenizer(&decoder_dir("tiny-llama"), no_tokenizer, device),
        Err(Error::Load(LoadError::Io { path, .. })) if path == no_tokenizer
    ));
    let not_a_tokenizer = decoder_dir("tiny-llama").join("config.json");
    assert!(matches!(
        TextGenerator::load_with_tokenizer(&decoder_dir("tiny-llama"), &not_a_tokenizer, device),
        Err(Error::Load(LoadError::Tokenizer { path, .. })) if path == not_a_tokenizer
    ));
    let generator = load(&decoder_dir("tiny-llama"), device);
    assert!(matches!(
        generator.generate_ids(&[], &greedy(), |_| true),
        Err(Error::InvalidArgument { .. })
    ));
    let vocab = generator.config().vocab_size as u32;
    assert!(matches!(
        generator.generate_ids(&[1, vocab], &greedy(), |_| true),
        Err(Error::IndexOutOfRange { .. })
    ));
}

/// A copy of tiny-llama's F32 GGUF at `path` with its tokenizer metadata
/// edited by `edit` (e.g. an unknown pre-tokenizer, no merges).
fn gguf_with_broken_tokenizer(
    path: PathBuf,
    edit: impl FnOnce(&mut tessera_runtime::loaders::gguf::GgufWriter),
) -> PathBuf {
    use tessera_runtime::loaders::gguf::{GgufModelFile, GgufWriter};
    let source = GgufModelFile::open(&decoder_dir("tiny-llama").join("model-f32.gguf")).unwrap();
    let mut writer = GgufWriter::copy_of(&source).unwrap();
    edit(&mut writer);
    writer.write(&path).unwrap();
    path
}

#[test]
fn a_gguf_whose_tokenizer_cannot_be_built_generates_from_ids() {
    use tessera_runtime::loaders::gguf::GgufValue;
    let device = &test_devices()[0];
    let r = decoder_reference("tiny-llama");
    let prompt = json_ids(&r["prompt_ids"]);
    let dir = scratch_dir("broken-tokenizer");
    let unknown_pre = |w: &mut tessera_runtime::loaders::gguf::GgufWriter| {
        w.set_metadata(
            "tokenizer.ggml.pre",
            GgufValue::String("no-such-pre".into()),
        );
    };
    let no_merges = |w: &mut tessera_runtime::loaders::gguf::GgufWriter| {
        w.remove_metadata("tokenizer.ggml.merges");
    };
    for (case, path, why) in [
        (
            "unknown pre-tokenizer",
            gguf_with_broken_tokenizer(dir.join("unknown-pre.gguf"), unknown_pre),
            "no-such-pre",
        ),
        (
            "no merges",
            gguf_with_broken_tokenizer(dir.join("no-merges.gguf"), no_merges),
            "tokenizer.ggml.merges",
        ),
    ] {
        let generator = load(&path, device);
        assert!(generator.tokenizer().is_none(), "{case}");
        let problem = generator.tokenizer_problem().unwrap_or_default();
        assert!(problem.contains(why), "{case}: {problem}");
        // Ids need no tokenizer: transformers' greedy ids, no text.
        let result = generator
            .generate_ids(&prompt, &greedy(), |_| true)
            .unwrap();
        assert_eq!(result.generation.ids, json_ids(&r["greedy_ids"]), "{case}");
        assert_eq!(result.text, None, "{case}");
        // Text does, and the error says why there is none.
        match generator.generate_text("The quick brown fox", &greedy(), |_| true) {
            Err(Error::Load(LoadError::Tokenizer { path: p, message })) => {
                assert_eq!(p, path);
                assert!(message.contains(why), "{case}: {message}");
            }
            other => panic!(
                "{case}: expected a tokenizer error, got {:?}",
                other.map(|r| r.text)
            ),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
