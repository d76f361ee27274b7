//! Tiny Llama and Qwen2 checkpoints made with Hugging Face transformers
//! (`scripts/make_tiny_decoders.py`, files in `tests/data/decoders/`): our logits
//! and greedy continuations against transformers', from safetensors and from
//! GGUF (F32, and Q8_0 / Q4_0 against transformers run on the dequantized
//! weights), on every test adapter; plus the KV cache's agreement with one
//! batched pass, and the errors of bad ids and context overflow.

mod common;

use common::*;
use std::path::Path;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_runtime::generation::{generate, DecoderTokenizer, GenerateOptions};
use tessera_runtime::models::llama::{gguf_tokenizer, load_decoder, Decoder};
use tessera_runtime::Error;

const MODELS: [&str; 2] = ["tiny-llama", "tiny-qwen2"];

fn load(path: &Path, device: &Arc<dyn Device>) -> Decoder {
    load_decoder(path, device).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn safetensors_logits_and_greedy_match_transformers() {
    poison_outputs();
    for device in test_devices() {
        for name in MODELS {
            let reference = decoder_reference(name);
            let decoder = load(&decoder_dir(name), device);
            check_first_step_and_greedy(
                &decoder,
                &reference,
                &reference,
                &format!("{name} safetensors {}", label(device)),
            );
            check_all_positions(&decoder, &reference, name);
        }
    }
}

#[test]
fn gguf_f32_and_quantized_match_transformers() {
    poison_outputs();
    for device in test_devices() {
        for name in MODELS {
            let reference = decoder_reference(name);
            for (file, section) in [
                ("model-f32.gguf", &reference),
                ("model-q8_0.gguf", &reference["q8_0"]),
                ("model-q4_0.gguf", &reference["q4_0"]),
            ] {
                let decoder = load(&decoder_dir(name).join(file), device);
                check_first_step_and_greedy(
                    &decoder,
                    &reference,
                    section,
                    &format!("{name} {file} {}", label(device)),
                );
            }
        }
    }
}

#[test]
fn kv_cache_steps_match_one_batched_pass() {
    poison_outputs();
    let device = &test_devices()[0];
    for name in MODELS {
        let decoder = load(&decoder_dir(name), device);
        let reference = decoder_reference(name);
        let mut sequence = json_ids(&reference["prompt_ids"]);
        sequence.extend(json_ids(&reference["greedy_ids"]).iter().take(6));
        let mut cache = decoder.new_cache(sequence.len()).unwrap();
        let batched = decoder
            .forward_all(&sequence, &mut cache)
            .unwrap()
            .to_f32_vec()
            .unwrap();
        // Prompt of 3, then chunks of 1 and 2 through the cache.
        let vocab = decoder.config.vocab_size;
        let mut cache = decoder.new_cache(sequence.len()).unwrap();
        let mut start = 0;
        for len in [3, 1, 2, 1, 1, 2].into_iter().chain(std::iter::repeat(1)) {
            if start >= sequence.len() {
                break;
            }
            let end = (start + len).min(sequence.len());
            let stepped = decoder
                .forward_all(&sequence[start..end], &mut cache)
                .unwrap()
                .to_f32_vec()
                .unwrap();
            let err = logit_relative_error(&stepped, &batched[start * vocab..end * vocab]);
            assert!(
                err <= 1e-4,
                "{name} tokens {start}..{end}: off by {err:.2e}"
            );
            start = end;
        }
        assert_eq!(cache.len(), sequence.len());
    }
}

#[test]
fn tokenizers_reproduce_the_reference_prompt() {
    for name in MODELS {
        let reference = decoder_reference(name);
        let text = reference["prompt_text"].as_str().unwrap();
        let mut expected = json_ids(&reference["prompt_ids"]);
        expected.remove(0); // the bos id was prepended by hand
        let from_json =
            DecoderTokenizer::from_file(&decoder_dir(name).join("tokenizer.json")).unwrap();
        assert_eq!(
            from_json.encode(text).unwrap(),
            expected,
            "{name} tokenizer.json"
        );
        let from_gguf = gguf_tokenizer(&decoder_dir(name).join("model-f32.gguf"))
            .unwrap()
            .unwrap();
        assert_eq!(
            from_gguf.encode(text).unwrap(),
            expected,
            "{name} embedded tokenizer"
        );
        let greedy = json_ids(&reference["greedy_ids"]);
        assert_eq!(
            from_gguf.decode(&greedy).unwrap(),
            from_json.decode(&greedy).unwrap()
        );
    }
}

#[test]
fn bad_ids_and_context_overflow_are_errors() {
    let device = &test_devices()[0];
    let decoder = load(&decoder_dir("tiny-llama"), device);
    let vocab = decoder.config.vocab_size as u32;
    let mut cache = decoder.new_cache(8).unwrap();
    assert!(matches!(
        decoder.forward(&[1, vocab], &mut cache),
        Err(Error::IndexOutOfRange { index, position: 1, .. }) if index == vocab as i64
    ));
    assert!(matches!(
        decoder.forward(&[1; 9], &mut cache),
        Err(Error::TooLarge { .. })
    ));
    assert!(decoder.forward(&[], &mut cache).is_err());
    assert!(decoder.forward(&[1; 8], &mut cache).is_ok());
    assert!(matches!(
        decoder.forward(&[1], &mut cache),
        Err(Error::TooLarge { .. })
    ));
    let too_long = decoder.config.max_position_embeddings + 1;
    assert!(decoder.new_cache(too_long).is_err());
    let options = GenerateOptions {
        max_new_tokens: too_long,
        ..Default::default()
    };
    assert!(matches!(
        generate(&decoder, &[1, 2], &options, |_| true),
        Err(Error::InvalidArgument { .. })
    ));
    assert!(generate(&decoder, &[], &GenerateOptions::default(), |_| true).is_err());
}
