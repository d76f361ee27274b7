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
