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
    // The batch folds into 96 rows: one large-tile matmul of 24 x 2 tiles.
    assert_eq!(keys[0], ("matmul/f32/tile64".to_string(), [24, 2, 1]));
    assert_eq!(keys[1].0, "binary/add/f32/wg256");
    assert_eq!(keys[2].0, "unary/gelu_erf/f32/wg256");
    assert_eq!(keys[3], ("softmax/plain/f32/wg256".to_string(), [96, 1, 1]));
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
