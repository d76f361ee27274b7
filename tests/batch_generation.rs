//! Continuous batching (`BatchScheduler`) on the tiny reference decoders
//! (`tests/data/decoders/`, safetensors and quantized GGUF), on every test
//! adapter: requests arriving at different steps, with different prompt
//! lengths and token budgets, give token for token what each gives alone
//! through `generate` (and the transformers reference ids for the reference
//! prompt); a cancelled sequence stops at once while the rest go on; seeded
//! sampling does not depend on the batch (faults and bad requests:
//! `tests/batch_errors.rs`).

mod common;

use common::*;
use tessera::prelude::*;
use tessera_runtime::models::llama::KvCache;

/// Five requests of different prompt lengths and budgets arriving over the
/// first steps; the first is the reference prompt for the reference's steps.
fn staggered_arrivals(reference_prompt: &[u32], seed_name: &str) -> (Vec<Arrival>, String) {
    let (mut rng, seed) = seeded_rng(seed_name);
    let greedy = SamplingConfig::default();
    let mut stopping = request(random_prompt(&mut rng, 13, 384), 20, greedy.clone());
    stopping.options.stop_at_eos = true;
    stopping.stop_ids = vec![7, 200];
    let arrivals = vec![
        (0, request(reference_prompt.to_vec(), 24, greedy.clone())),
        (
            0,
            request(random_prompt(&mut rng, 1, 384), 9, greedy.clone()),
        ),
        (
            2,
            request(random_prompt(&mut rng, 30, 384), 17, greedy.clone()),
        ),
        (
            3,
            request(random_prompt(&mut rng, 7, 384), 1, greedy.clone()),
        ),
        (3, stopping),
        (8, request(random_prompt(&mut rng, 19, 384), 12, greedy)),
    ];
    let arrivals = arrivals
        .into_iter()
        .map(|(step, request)| Arrival { step, request })
        .collect();
    (arrivals, format!("seed {seed}"))
}

/// The tiny reference decoders: safetensors (f32) and a quantized GGUF each,
/// with the section of `reference.json` holding their greedy ids; Qwen3 (q/k
/// norms) and Llama 3 (scaled rope) from their GGUF files.
const MODELS: [(&str, Option<&str>, Option<&str>); 6] = [
    ("tiny-llama", None, None),
    ("tiny-qwen2", None, None),
    ("tiny-qwen3", Some("model-f32.gguf"), None),
    ("tiny-llama3", Some("model-f32.gguf"), None),
    ("tiny-llama", Some("model-q8_0.gguf"), Some("q8_0")),
    ("tiny-qwen2", Some("model-q4_0.gguf"), Some("q4_0")),
];

#[test]
fn batched_greedy_is_each_request_alone() {
    for device in test_devices() {
        for (name, file, section) in MODELS {
            let r = decoder_reference(name);
            let expected = section.map_or(&r, |s| &r[s]);
            let prompt = json_ids(&r["prompt_ids"]);
            let (arrivals, seed) = staggered_arrivals(&prompt, "batched_greedy");
            for (max_batch, chunk) in [(3, 5), (8, 64)] {
                let context = format!(
                    "{name} {file:?} on {}, max_batch {max_batch}, chunk {chunk}, {seed}",
                    label(device)
                );
                let mut scheduler = BatchScheduler::new(
                    load_generator(name, file, device),
                    options(max_batch, chunk),
                )
                .unwrap();
                let outcomes = drive(&mut scheduler, &arrivals, None, &context);
                let decoder = scheduler.generator().decoder();
                for (i, (arrival, outcome)) in arrivals.iter().zip(&outcomes).enumerate() {
                    let (ids, stop) = alone(decoder, &arrival.request);
                    assert_eq!(outcome.tokens, ids, "{context}: request {i}");
                    let prompt_tokens = arrival.request.prompt_ids.len();
                    assert_eq!(
                        outcome.finished,
                        Some((stop, prompt_tokens, ids.len())),
                        "{context}: request {i}"
                    );
                }
                assert_eq!(
                    outcomes[0].tokens,
                    json_ids(&expected["greedy_ids"]),
                    "{context}: transformers' greedy ids"
                );
            }
        }
    }
}

/// With 2 slots, a short request finishes and later arrivals of other
/// prompt lengths take its slot (the pool is not grown: its bytes stay those
/// of 2 slots), while the long one decodes on: every output is still what
/// the request gives alone.
#[test]
fn freed_slots_are_reused_and_outputs_do_not_change() {
    for device in test_devices() {
        for (name, file) in [
            ("tiny-llama", None),
            ("tiny-qwen2", Some("model-q4_0.gguf")),
        ] {
            let (mut rng, seed) = seeded_rng("slot_reuse");
            let context = format!("{name} {file:?} on {}, seed {seed}", label(device));
            let greedy = SamplingConfig::default();
            let arrivals: Vec<Arrival> =
                [(0, 17, 14), (0, 3, 2), (3, 1, 9), (4, 11, 6), (5, 26, 3)]
                    .into_iter()
                    .map(|(step, prompt, new)| Arrival {
                        step,
                        request: request(random_prompt(&mut rng, prompt, 384), new, greedy.clone()),
                    })
                    .collect();
            let mut scheduler =
                BatchScheduler::new(load_generator(name, file, device), options(2, 64)).unwrap();
            assert_eq!(
                scheduler.kv_pool_bytes(),
                0,
                "{context}: no pool before a prompt"
            );
            let outcomes = drive(&mut scheduler, &arrivals, None, &context);
            let config = scheduler.generator().config();
            let position = config.num_layers * 2 * config.num_kv_heads * config.head_dim * 4;
            let slot = scheduler.options().max_context * position;
            let bytes = scheduler.kv_pool_bytes();
            // Two slots, each padded by less than 64 positions.
            assert!(
                bytes >= 2 * slot && bytes < 2 * (slot + 64 * position),
                "{context}: {bytes} bytes for 2 slots of {slot}"
            );
            let pool = scheduler.kv_pool().expect("a pool");
            assert_eq!((pool.slots(), pool.free_slots()), (2, 2), "{context}");
            let decoder = scheduler.generator().decoder();
            for (i, (arrival, outcome)) in arrivals.iter().zip(&outcomes).enumerate() {
                let (ids, _) = alone(decoder, &arrival.request);
                assert_eq!(ids.len(), arrival.request.options.max_new_tokens);
                assert_eq!(outcome.tokens, ids, "{context}: request {i}");
            }
        }
    }
}

#[test]
fn a_cancelled_sequence_stops_and_the_rest_go_on() {
    for device in test_devices() {
        let r = decoder_reference("tiny-qwen2");
        let (arrivals, seed) = staggered_arrivals(&json_ids(&r["prompt_ids"]), "cancel");
        let context = format!("tiny-qwen2 on {}, {seed}", label(device));
        let mut scheduler =
            BatchScheduler::new(load_generator("tiny-qwen2", None, device), options(4, 8)).unwrap();
        // The reference request (24 tokens) is cancelled before step 10.
        let outcomes = drive(&mut scheduler, &arrivals, Some((10, 0)), &context);
        let decoder = scheduler.generator().decoder();
        let (full, _) = alone(decoder, &arrivals[0].request);
        let cut = &outcomes[0];
        assert!(
            !cut.tokens.is_empty() && cut.tokens.len() < 10,
            "{context}: {} tokens before the cancel",
            cut.tokens.len()
        );
        assert_eq!(cut.tokens, full[..cut.tokens.len()], "{context}");
        assert!(cut.finished.is_none() && cut.failed.is_none(), "{context}");
        for (i, (arrival, outcome)) in arrivals.iter().zip(&outcomes).enumerate().skip(1) {
            assert_eq!(
                outcome.tokens,
                alone(decoder, &arrival.request).0,
                "{context}: {i}"
            );
        }
    }
}

/// Short prompts queued together start in the same step, up to the token
/// budget (`prefill_chunk` across prompts): 5 + 6 tokens fit 16, the third
/// prompt reads its first 5 tokens and starts at the next step; a request for
/// no tokens takes none of the budget; the batch bound still holds.
#[test]
fn queued_prompts_share_one_step_up_to_the_token_budget() {
    let device = &test_devices()[0];
    let greedy = SamplingConfig::default();
    let (mut rng, seed) = seeded_rng("prefill_budget");
    let prompts: Vec<Vec<u32>> = [5, 6, 7]
        .map(|len| random_prompt(&mut rng, len, 384))
        .into();
    for (max_batch, started) in [(8, [2, 3]), (2, [2, 2])] {
        let context = format!("max_batch {max_batch} on {}, {seed}", label(device));
        let mut scheduler = BatchScheduler::new(
            load_generator("tiny-qwen2", None, device),
            options(max_batch, 16),
        )
        .unwrap();
        let empty = scheduler
            .submit(request(prompts[0].clone(), 0, greedy.clone()))
            .unwrap();
        for prompt in &prompts {
            scheduler
                .submit(request(prompt.clone(), 4, greedy.clone()))
                .unwrap();
        }
        let events = scheduler.step().unwrap();
        assert!(
            matches!(events[0], SequenceEvent::Finished { id, .. } if id == empty),
            "{context}: {events:?}"
        );
        let tokens = |events: &[SequenceEvent]| {
            events
                .iter()
                .filter(|e| matches!(e, SequenceEvent::Token { .. }))
                .count()
        };
        assert_eq!(tokens(&events), 2, "{context}: {events:?}");
        assert_eq!(
            (scheduler.active(), scheduler.pending()),
            (started[0], 1),
            "{context}"
        );
        let events = scheduler.step().unwrap();
        assert_eq!(scheduler.active(), started[1], "{context}: {events:?}");
        assert_eq!(tokens(&events), started[1], "{context}: {events:?}");
    }
}

#[test]
fn seeded_sampling_does_not_depend_on_the_batch() {
    for device in test_devices() {
        let (mut rng, seed) = seeded_rng("seeded_sampling");
        let context = format!("tiny-llama on {}, seed {seed}", label(device));
        let sampled = |seed: u64| SamplingConfig {
            temperature: 0.9,
            top_k: 40,
            top_p: 0.95,
            repetition_penalty: 1.1,
            seed,
        };
        let requests: Vec<SequenceRequest> = (0..4)
            .map(|i| {
                request(
                    random_prompt(&mut rng, 3 + 5 * i, 384),
                    14,
                    sampled(100 + i as u64),
                )
            })
            .collect();
        let generator = load_generator("tiny-llama", None, device);
        let mut scheduler = BatchScheduler::new(generator, options(8, 16)).unwrap();
        // All together, with a greedy neighbour; then each alone.
        let mut together: Vec<Arrival> = requests
            .iter()
            .enumerate()
            .map(|(i, r)| Arrival {
                step: i,
                request: r.clone(),
            })
            .collect();
        together.push(Arrival {
            step: 1,
            request: request(
                random_prompt(&mut rng, 11, 384),
                20,
                SamplingConfig::default(),
            ),
        });
        let batched = drive(&mut scheduler, &together, None, &context);
        for (i, request) in requests.iter().enumerate() {
            let single = [Arrival {
                step: 0,
                request: request.clone(),
            }];
            let solo = drive(&mut scheduler, &single, None, &context);
            assert_eq!(batched[i].tokens, solo[0].tokens, "{context}: request {i}");
            let (ids, _) = alone(scheduler.generator().decoder(), request);
            assert_eq!(
                batched[i].tokens, ids,
                "{context}: request {i} through generate"
            );
        }
        // Different seeds drew different tokens somewhere (not all greedy).
        assert!(
            batched[..4].windows(2).any(|w| w[0].tokens != w[1].tokens),
            "{context}"
        );
    }
}

/// Largest relative logit error of a batched row against the same sequence
/// run alone (f32 accumulation in a different order of kernels).
const BATCH_LOGIT_RTOL: f64 = 1e-4;

#[test]
fn batched_logits_match_each_sequence_alone() {
    for device in test_devices() {
        for (name, file, _) in MODELS {
            let (mut rng, seed) = seeded_rng("batched_logits");
            let context = format!("{name} {file:?} on {}, seed {seed}", label(device));
            let generator = load_generator(name, file, device);
            let decoder = generator.decoder();
            // Sequences at different positions (1, 6, 17, 40 tokens cached).
            let prompts: Vec<Vec<u32>> = [1, 6, 17, 40]
                .iter()
                .map(|&len| random_prompt(&mut rng, len, 384))
                .collect();
            let next = random_prompt(&mut rng, prompts.len(), 384);
            let mut batch_caches = Vec::new();
            let mut expected = Vec::new();
            for (prompt, &id) in prompts.iter().zip(&next) {
                let mut cache = decoder.new_cache(64).unwrap();
                decoder.forward(prompt, &mut cache).unwrap();
                let mut alone = decoder.new_cache(64).unwrap();
                decoder.forward(prompt, &mut alone).unwrap();
                expected.push(
                    decoder
                        .forward(&[id], &mut alone)
                        .unwrap()
                        .to_f32_vec()
                        .unwrap(),
                );
                batch_caches.push(cache);
            }
            let mut refs: Vec<&mut KvCache> = batch_caches.iter_mut().collect();
            let logits = decoder.forward_batch(&next, &mut refs).unwrap();
            assert_eq!(logits.shape(), [prompts.len(), 384], "{context}");
            let rows = logits.to_f32_vec().unwrap();
            for (i, (row, want)) in rows.chunks_exact(384).zip(&expected).enumerate() {
                let error = logit_relative_error(row, want);
                assert!(error < BATCH_LOGIT_RTOL, "{context}: row {i}: {error:e}");
            }
            for (cache, prompt) in batch_caches.iter().zip(&prompts) {
                assert_eq!(cache.len(), prompt.len() + 1, "{context}: caches advanced");
            }
            // Bad batches are typed errors and advance no cache.
            let mut refs: Vec<&mut KvCache> = batch_caches.iter_mut().collect();
            let bad_id = decoder.forward_batch(&[3, 384, 5, 6], &mut refs);
            assert!(
                matches!(
                    bad_id,
                    Err(Error::IndexOutOfRange {
                        index: 384,
                        position: 1,
                        ..
                    })
                ),
                "{context}"
            );
            let mismatched = decoder.forward_batch(&[3, 4], &mut refs);
            assert!(
                matches!(mismatched, Err(Error::InvalidArgument { .. })),
                "{context}"
            );
            let mut full = decoder.new_cache(2).unwrap();
            decoder.forward(&[1, 2], &mut full).unwrap();
            refs.push(&mut full);
            let no_room = decoder.forward_batch(&[3, 4, 5, 6, 7], &mut refs);
            assert!(matches!(no_room, Err(Error::TooLarge { .. })), "{context}");
            for (cache, prompt) in batch_caches.iter().zip(&prompts) {
                assert_eq!(
                    cache.len(),
                    prompt.len() + 1,
                    "{context}: no cache advanced"
                );
            }
        }
    }
}

#[test]
fn the_scheduler_and_its_events_can_move_to_a_server_thread() {
    fn send<T: Send + 'static>() {}
    send::<BatchScheduler>();
    send::<SequenceEvent>();
    send::<SequenceRequest>();
}
