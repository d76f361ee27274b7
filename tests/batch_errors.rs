//! Continuous batching (`BatchScheduler`) under faults, on every test
//! adapter: a request whose KV cache does not fit the device fails alone
//! while the others finish as they would alone; bad requests and options
//! are typed errors.

mod common;

use common::*;
use tessera::prelude::*;
use tessera_runtime::generation::DecoderTokenizer;
use tessera_runtime::models::llama::{random_decoder, DecoderConfig, WeightFormat, MAX_CONTEXT};

#[test]
fn a_request_whose_cache_does_not_fit_fails_alone() {
    for device in test_devices() {
        // The tiny Llama's shapes with 8 key/value heads of 256 values and the
        // longest context we accept: a whole-context cache needs 8 GiB per
        // layer, past every test device's largest buffer.
        let tiny =
            DecoderConfig::from_hf_file(&decoder_dir("tiny-llama").join("config.json")).unwrap();
        let config = DecoderConfig {
            num_heads: 8,
            num_kv_heads: 8,
            head_dim: 256,
            max_position_embeddings: MAX_CONTEXT,
            ..tiny
        };
        // Rope tables for the 128 positions the short requests use; the
        // configuration keeps the whole context.
        let mut decoder = random_decoder(&config, WeightFormat::F32, 128, 5, device).unwrap();
        decoder.config.max_position_embeddings = MAX_CONTEXT;
        let tokenizer =
            DecoderTokenizer::from_file(&decoder_dir("tiny-llama").join("tokenizer.json")).unwrap();
        let generator = TextGenerator::from_parts(decoder, tokenizer);
        let mut scheduler = BatchScheduler::new(generator, options(4, 8)).unwrap();
        let (mut rng, seed) = seeded_rng("fails_alone");
        let context = format!("random decoder on {}, seed {seed}", label(device));
        let greedy = SamplingConfig::default();
        let arrivals = vec![
            Arrival {
                step: 0,
                request: request(random_prompt(&mut rng, 6, 384), 10, greedy.clone()),
            },
            Arrival {
                step: 1,
                request: request(
                    random_prompt(&mut rng, 3, 384),
                    MAX_CONTEXT - 3,
                    greedy.clone(),
                ),
            },
            Arrival {
                step: 1,
                request: request(random_prompt(&mut rng, 9, 384), 8, greedy),
            },
        ];
        let outcomes = drive(&mut scheduler, &arrivals, None, &context);
        assert!(
            matches!(
                outcomes[1].failed,
                Some(Error::TooLarge { op: "kv_cache", .. })
            ),
            "{context}: {:?}",
            outcomes[1]
        );
        assert!(outcomes[1].tokens.is_empty(), "{context}");
        let decoder = scheduler.generator().decoder();
        for i in [0, 2] {
            assert_eq!(
                outcomes[i].tokens,
                alone(decoder, &arrivals[i].request).0,
                "{context}: {i}"
            );
            assert_eq!(
                outcomes[i].tokens.len(),
                arrivals[i].request.options.max_new_tokens
            );
        }
    }
}

#[test]
fn bad_requests_and_options_are_typed_errors() {
    let device = &test_devices()[0];
    let bad_options = [
        options(0, 8),
        options(4, 0),
        BatchOptions {
            max_context: 0,
            ..options(4, 8)
        },
    ];
    for bad in bad_options {
        let generator = load_generator("tiny-llama", None, device);
        assert!(
            matches!(
                BatchScheduler::new(generator, bad.clone()),
                Err(Error::InvalidArgument { .. })
            ),
            "{bad:?}"
        );
    }
    let limited = BatchOptions {
        max_context: 40,
        ..options(4, 8)
    };
    let mut scheduler =
        BatchScheduler::new(load_generator("tiny-llama", None, device), limited).unwrap();
    let greedy = SamplingConfig::default();
    let cases = [
        (request(vec![], 4, greedy.clone()), "empty prompt"),
        (request(vec![3; 30], 11, greedy.clone()), "past max_context"),
        (
            request(vec![3, 384, 5], 4, greedy.clone()),
            "id past the vocabulary",
        ),
        (
            SequenceRequest {
                stop_ids: vec![1, 999],
                ..request(vec![3], 4, greedy.clone())
            },
            "stop id past the vocabulary",
        ),
        (
            request(
                vec![3],
                4,
                SamplingConfig {
                    temperature: -1.0,
                    ..greedy.clone()
                },
            ),
            "negative temperature",
        ),
    ];
    for (bad, what) in cases {
        let error = scheduler.submit(bad).expect_err(what);
        match what {
            "id past the vocabulary" | "stop id past the vocabulary" => assert!(
                matches!(
                    error,
                    Error::IndexOutOfRange {
                        index: 384 | 999,
                        ..
                    }
                ),
                "{what}: {error}"
            ),
            _ => assert!(
                matches!(error, Error::InvalidArgument { .. }),
                "{what}: {error}"
            ),
        }
    }
    assert_eq!(scheduler.pending(), 0, "nothing bad was queued");
    // The model's context caps max_context; a request of exactly it is accepted.
    let capped =
        BatchScheduler::new(load_generator("tiny-llama", None, device), options(2, 8)).unwrap();
    assert_eq!(capped.options().max_context, 128);
    let ok = scheduler.submit(request(vec![3; 30], 10, greedy)).unwrap();
    assert_eq!(scheduler.pending(), 1);
    scheduler.cancel(ok);
    scheduler.cancel(ok);
    assert_eq!(scheduler.pending(), 0);
    assert!(scheduler.step().unwrap().is_empty());
}
