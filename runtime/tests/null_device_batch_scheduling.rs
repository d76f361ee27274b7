//! What a batched decode step (`Decoder::forward_batch`) records, on the
//! recording-only `NullDevice`: over the slots of one `KvPool`, every kernel
//! once for the whole batch (as many dispatches as one stream); over caches
//! of their own, the rotary/cache-write and attention kernels and a copy
//! into the stacked attention rows once per sequence.

use std::sync::Arc;
use tessera_hal::{Device, NullDevice};
use tessera_runtime::models::llama::{
    random_decoder, Decoder, DecoderConfig, KvCache, WeightFormat,
};

/// A 2-layer GQA Llama with q/k/v biases and Q8_0 weights on `dev`.
fn decoder(dev: &Arc<dyn Device>) -> Decoder {
    let config = DecoderConfig::from_hf_json(
        std::path::Path::new("config.json"),
        r#"{"model_type": "llama", "vocab_size": 512, "hidden_size": 256,
            "intermediate_size": 768, "num_hidden_layers": 2, "num_attention_heads": 8,
            "num_key_value_heads": 2, "head_dim": 32, "rms_norm_eps": 1e-5,
            "rope_theta": 500000.0, "max_position_embeddings": 2048,
            "attention_bias": true}"#,
    )
    .unwrap();
    random_decoder(&config, WeightFormat::Q8_0, 64, 7, dev).unwrap()
}

/// The kernel names (the key's first segment) recorded since `before`.
fn names_since(null: &NullDevice, before: usize) -> Vec<String> {
    null.recorded()[before..]
        .iter()
        .map(|d| d.key.split('/').next().unwrap_or("").to_string())
        .collect()
}

/// Prompts of 1, 2, .. tokens into `caches`, then one batched step: the
/// kernel names that step records.
fn batched_step_kernels(
    null: &NullDevice,
    decoder: &Decoder,
    caches: &mut [KvCache],
) -> Vec<String> {
    for (i, cache) in caches.iter_mut().enumerate() {
        let prompt: Vec<u32> = (0..=i as u32).collect();
        decoder.forward(&prompt, cache).unwrap();
    }
    let before = null.recorded().len();
    let ids: Vec<u32> = (10..10 + caches.len() as u32).collect();
    let mut refs: Vec<&mut KvCache> = caches.iter_mut().collect();
    decoder.forward_batch(&ids, &mut refs).unwrap();
    names_since(null, before)
}

/// Over pool slots a step records the embedding lookup, per layer the 9
/// dispatches of one stream (two norms, the q/k/v, o, gate/up and down
/// products, silu_mul, slotted_qkv_rope, slotted_attention), then the final
/// norm and the output head, whatever the batch's size.
#[test]
fn a_pooled_step_records_nine_dispatches_per_layer_for_any_batch() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let decoder = decoder(&dev);
    let layers = decoder.config.num_layers;
    for n in [1usize, 2, 5, 8] {
        let pool = decoder.new_kv_pool(8, 16).unwrap();
        let mut caches: Vec<KvCache> = (0..n).map(|_| pool.take_slot().unwrap().unwrap()).collect();
        assert_eq!(pool.free_slots(), 8 - n);
        let keys = batched_step_kernels(&null, &decoder, &mut caches);
        let count = |name: &str| keys.iter().filter(|k| *k == name).count();
        assert_eq!(keys.len(), 1 + layers * 9 + 2, "n = {n}: {keys:?}");
        assert_eq!(count("slotted_qkv_rope"), layers, "{keys:?}");
        assert_eq!(count("slotted_attention"), layers, "{keys:?}");
        assert_eq!(count("qkv_rope") + count("decode_attention"), 0);
        assert_eq!(count("qmatvec"), 4 * layers + 1, "{keys:?}");
        drop(caches);
        assert_eq!(pool.free_slots(), 8, "dropped caches free their slots");
    }
}

/// Over caches of their own, for `n` sequences a step records the embedding lookup, per layer 7
/// shared dispatches (two norms, the q/k/v, o, gate/up and down products,
/// silu_mul) plus 3 per sequence (qkv_rope, decode_attention, the copy into
/// the stacked rows), then the final norm and the output head: one stream
/// alone records 9 per layer.
#[test]
fn a_step_over_own_caches_records_seven_plus_three_per_sequence_dispatches_per_layer() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let decoder = decoder(&dev);
    let layers = decoder.config.num_layers;
    for n in [2usize, 5, 8] {
        let mut caches: Vec<KvCache> = (0..n).map(|_| decoder.new_cache(16).unwrap()).collect();
        let keys = batched_step_kernels(&null, &decoder, &mut caches);
        let count = |name: &str| keys.iter().filter(|k| *k == name).count();
        assert_eq!(
            keys.len(),
            1 + layers * (7 + 3 * n) + 2,
            "n = {n}: {keys:?}"
        );
        assert_eq!(count("qkv_rope"), layers * n, "{keys:?}");
        assert_eq!(count("decode_attention"), layers * n, "{keys:?}");
        // The four projections of every layer and the head, each once for
        // the whole batch (the multi-row quantized matvec up to 8 rows).
        assert_eq!(count("qmatvec"), 4 * layers + 1, "{keys:?}");
        for cache in &caches {
            assert!(cache.len() >= 2, "every cache advanced");
        }
    }
}
