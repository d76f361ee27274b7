//! The runtime on the recording null device: ops pick the kernels and grids we
//! expect and report bad input before anything is dispatched. No GPU needed.

use std::sync::Arc;
use tessera_hal::{Device, NullDevice};
use tessera_runtime::{Error, Tensor};

#[test]
fn a_layer_records_the_expected_kernels() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let x = Tensor::from_slice(&dev, &vec![0.5f32; 96 * 384], &[3, 32, 384]).unwrap();
    let w = Tensor::from_slice(&dev, &vec![0.5f32; 1536 * 384], &[1536, 384]).unwrap();
    let b = Tensor::from_slice(&dev, &vec![0.5f32; 1536], &[1536]).unwrap();
    let y = x
        .matmul(&w.transpose(0, 1).unwrap())
        .unwrap()
        .add(&b)
        .unwrap()
        .gelu()
        .unwrap();
    assert_eq!(y.shape(), &[3, 32, 1536]);
    let _ = y.softmax(None).unwrap();
    let keys: Vec<(String, [u32; 3])> = null
        .recorded()
        .into_iter()
        .map(|d| (d.key, d.workgroups))
        .collect();
    // The batch folds into 96 rows: one matmul, the transposed weight read in
    // place by the register-blocked 64x64 vec4 tile (ragged in m: the checked
    // rendering), 24 x 2 tiles.
    assert_eq!(
        keys[0],
        (
            "matmul_blocked/f32/64x64x16t4x4/akbk/checked".to_string(),
            [24, 2, 1]
        )
    );
    // The bias add is a row vector over contiguous rows: the vec4 kernel with b
    // repeated, one vec4 per thread (96 * 1536 / 4 / 256 = 144 workgroups).
    assert_eq!(
        keys[1],
        (
            "binary_vec4/add/f32/repeat_b/wg256".to_string(),
            [144, 1, 1]
        )
    );
    assert_eq!(
        keys[2],
        ("unary_vec4/gelu_erf/f32/wg256".to_string(), [144, 1, 1])
    );
    // Rows of 1536 fit vec4 and registers (384 vec4s, 128 threads x 3); the null
    // device has no subgroups, so the reductions are the shared-memory tree.
    assert_eq!(
        keys[3],
        ("softmax_vec4/plain/f32/wg128/tree".to_string(), [96, 1, 1])
    );
    assert_eq!(keys.len(), 4);
}

#[test]
fn shape_errors_dispatch_nothing() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let a = Tensor::from_slice(&dev, &[1.0f32; 6], &[2, 3]).unwrap();
    let b = Tensor::from_slice(&dev, &[1.0f32; 6], &[2, 3]).unwrap();
    assert!(matches!(a.matmul(&b), Err(Error::Shape(_))));
    let mask = Tensor::from_slice(&dev, &[0.0f32; 4], &[4]).unwrap();
    assert!(matches!(a.softmax(Some(&mask)), Err(Error::Shape(_))));
    assert!(null.recorded().is_empty());
}

#[test]
fn tensors_beyond_the_device_limit_are_errors() {
    let dev: Arc<dyn Device> = Arc::new(NullDevice::new());
    let limit = dev.adapter().limits.max_storage_buffer_binding_size as usize;
    match Tensor::uninit(&dev, tessera_kernels::DType::F32, &[limit / 4 + 1], "test") {
        Err(Error::TooLarge { op, .. }) => assert_eq!(op, "test"),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let overflow = Tensor::uninit(&dev, tessera_kernels::DType::F32, &[usize::MAX, 2], "test");
    assert!(matches!(overflow, Err(Error::Shape(_))));
}

/// A decode step of a quantized decoder records 9 dispatches per layer (plus
/// the embedding lookup, the final norm and the output head), in this order:
/// q/k/v and gate/up are stacked matrices, bias + rope + cache writes are one
/// kernel, attention over the cache is one kernel, and the residual
/// connections are added in the o and down matvecs' stores.
#[test]
fn a_decode_step_records_nine_dispatches_per_layer() {
    use tessera_runtime::models::llama::{random_decoder, DecoderConfig, WeightFormat};
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    // A small Llama with q/k/v biases (as Qwen2 has) and grouped-query attention.
    let config = DecoderConfig::from_hf_json(
        std::path::Path::new("config.json"),
        r#"{"model_type": "llama", "vocab_size": 512, "hidden_size": 256,
            "intermediate_size": 768, "num_hidden_layers": 2, "num_attention_heads": 8,
            "num_key_value_heads": 2, "head_dim": 32, "rms_norm_eps": 1e-5,
            "rope_theta": 500000.0, "max_position_embeddings": 2048,
            "attention_bias": true}"#,
    )
    .unwrap();
    let decoder = random_decoder(&config, WeightFormat::Q8_0, 64, 7, &dev).unwrap();
    let mut cache = decoder.new_cache(16).unwrap();
    decoder.forward(&[1, 2, 3], &mut cache).unwrap();
    let before = null.recorded().len();
    decoder.forward(&[4], &mut cache).unwrap();
    let recorded = null.recorded();
    let step: Vec<String> = recorded[before..]
        .iter()
        .map(|d| d.key.split('/').next().unwrap_or("").to_string())
        .collect();
    let fused = recorded[before..]
        .iter()
        .filter(|d| d.key.ends_with("/residual"))
        .count();
    assert_eq!(fused, 2 * config.num_layers);
    let layer = [
        "norm_vec4",
        "qmatvec",
        "qkv_rope",
        "decode_attention",
        "qmatvec", // o, plus the residual
        "norm_vec4",
        "qmatvec",
        "binary_vec4", // silu_mul
        "qmatvec",     // down, plus the residual
    ];
    let mut expected = vec!["quant_gather".to_string()];
    for _ in 0..config.num_layers {
        expected.extend(layer.iter().map(|k| k.to_string()));
    }
    expected.extend(["norm_vec4".to_string(), "qmatvec".to_string()]);
    assert_eq!(step, expected);
}

#[test]
fn long_context_attention_splits_the_keys_then_merges() {
    let null = Arc::new(NullDevice::new());
    let dev: Arc<dyn Device> = null.clone();
    let (kv_heads, group, d, capacity) = (2, 7, 64, 4096);
    let q = Tensor::from_slice(
        &dev,
        &vec![0.5f32; kv_heads * group * d],
        &[kv_heads, group, d],
    )
    .unwrap();
    let cache = vec![0.5f32; kv_heads * capacity * d];
    let keys = Tensor::from_slice(&dev, &cache, &[kv_heads, capacity, d]).unwrap();
    let values = Tensor::from_slice(&dev, &cache, &[kv_heads, capacity, d]).unwrap();
    // A short context: one workgroup per (kv head, query row).
    q.cached_attention(&keys, &values, 100, 1).unwrap();
    // 4096 keys over 14 rows: 16 ranges of 256 keys, then one merge per row.
    q.cached_attention(&keys, &values, 4095, 1).unwrap();
    let recorded: Vec<(String, [u32; 3])> = null
        .recorded()
        .into_iter()
        .map(|r| (r.key, r.workgroups))
        .filter(|(key, _)| key.starts_with("decode_attention"))
        .collect();
    assert_eq!(
        recorded,
        [
            ("decode_attention/f32/wg64".to_string(), [14, 1, 1]),
            ("decode_attention_partial/f32/wg64".to_string(), [224, 1, 1]),
            ("decode_attention_combine/f32/wg64".to_string(), [14, 1, 1]),
        ]
    );
}

#[test]
fn quantized_products_on_software_adapters() {
    use tessera_runtime::quant::{QuantFormat, QuantMatrix};
    let kernels_for = |m: usize, n: usize, k: usize| -> Vec<String> {
        let null = Arc::new(NullDevice::software());
        let dev: Arc<dyn Device> = null.clone();
        // All-zero Q4_0 blocks: 18 bytes per 32 values.
        let bytes = vec![0u8; n * k / 32 * 18];
        let w = QuantMatrix::from_ggml_bytes(&dev, QuantFormat::Q4_0, n, k, &bytes).unwrap();
        let x = Tensor::from_slice(&dev, &vec![0.5f32; m * k], &[m, k]).unwrap();
        let before = null.recorded().len();
        let y = x.matmul_quant_t_with(&w, None).unwrap();
        assert_eq!(y.shape(), [m, n]);
        null.recorded()[before..]
            .iter()
            .map(|d| d.key.clone())
            .collect()
    };
    // Decoding (up to 8 rows): the matvec form sharing x by subgroup
    // broadcasts, two columns per lane, 64 lanes per workgroup.
    assert_eq!(
        kernels_for(2, 96, 64),
        ["qmatvec/q4_0/f32/r2/wg64/s1/subgroup"]
    );
    // 16 rows: the weight dequantized once, then the dense matmul.
    let small = kernels_for(16, 96, 64);
    assert_eq!(small.len(), 2, "{small:?}");
    assert!(small[0].starts_with("quant_gather/q4_0"), "{small:?}");
    assert!(small[1].starts_with("matmul"), "{small:?}");
    // An f32 copy over 256 MiB (65536 x 1056 x 4 bytes): the fat tile instead.
    let large = kernels_for(16, 65536, 1056);
    assert_eq!(large.len(), 1, "{large:?}");
    assert!(large[0].contains("fat"), "{large:?}");
}
