//! What a batched decode step (`Decoder::forward_batch`) records, on the
//! recording-only `NullDevice`: the shared layers once for the batch, the
//! rotary/cache-write and attention kernels and a copy into the stacked
//! attention rows once per sequence.

use std::sync::Arc;
use tessera_hal::{Device, NullDevice};
use tessera_runtime::models::llama::{random_decoder, DecoderConfig, KvCache, WeightFormat};

/// For `n` sequences a step records the embedding lookup, per layer 7
/// shared dispatches (two norms, the q/k/v, o, gate/up and down products,
/// silu_mul) plus 3 per sequence (qkv_rope, decode_attention, the copy into
/// the stacked rows), then the final norm and the output head: one stream
/// alone records 9 per layer.
#[test]
fn a_batched_step_records_seven_plus_three_per_sequence_dispatches_per_layer() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let config = DecoderConfig::from_hf_json(
        std::path::Path::new("config.json"),
        r#"{"model_type": "llama", "vocab_size": 512, "hidden_size": 256,
            "intermediate_size": 768, "num_hidden_layers": 2, "num_attention_heads": 8,
            "num_key_value_heads": 2, "head_dim": 32, "rms_norm_eps": 1e-5,
            "rope_theta": 500000.0, "max_position_embeddings": 2048,
            "attention_bias": true}"#,
    )
    .unwrap();
    let layers = config.num_layers;
    let decoder = random_decoder(&config, WeightFormat::Q8_0, 64, 7, &dev).unwrap();
    for n in [2usize, 5, 8] {
        let mut caches: Vec<KvCache> = (0..n).map(|_| decoder.new_cache(16).unwrap()).collect();
        for (i, cache) in caches.iter_mut().enumerate() {
            let prompt: Vec<u32> = (0..=i as u32).collect();
            decoder.forward(&prompt, cache).unwrap();
        }
        let before = null.recorded().len();
        let ids: Vec<u32> = (0..n as u32).map(|i| 10 + i).collect();
        let mut refs: Vec<&mut KvCache> = caches.iter_mut().collect();
        decoder.forward_batch(&ids, &mut refs).unwrap();
        let recorded = null.recorded();
        let keys: Vec<&str> = recorded[before..]
            .iter()
            .map(|d| d.key.split('/').next().unwrap_or(""))
            .collect();
        let count = |name: &str| keys.iter().filter(|k| **k == name).count();
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
