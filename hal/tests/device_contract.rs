//! The device contract on the default adapter: buffers, compile, dispatch,
//! batching, pooling, typed errors, timestamps.

use std::sync::Arc;
use tessera_hal::{open_default_device, Device, DeviceError, NullDevice};
use tessera_kernels::{BindingKind, KernelSource};

fn device() -> Arc<dyn Device> {
    open_default_device().expect("a default adapter (install mesa-vulkan-drivers for lavapipe)")
}

/// out[i] = in[i] * p.scale + f32(i), guarded by p.n.
fn scale_kernel() -> KernelSource {
    KernelSource {
        key: "test/scale".into(),
        wgsl: r#"
struct Params { n: u32, scale: f32, _a: u32, _b: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;
override WG: u32 = 64u;
@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= p.n { return; }
    y[i] = x[i] * p.scale + f32(i);
}
"#
        .into(),
        entry: "main",
        bindings: vec![BindingKind::ReadOnly, BindingKind::ReadWrite],
        params_size: 16,
        overrides: vec![("WG".into(), 64.0)],
        workgroup: [64, 1, 1],
        needs_f16: false,
        unchecked_ok: false,
    }
}

fn params(n: u32, scale: f32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&n.to_le_bytes());
    v.extend_from_slice(&scale.to_le_bytes());
    v.extend_from_slice(&[0u8; 8]);
    v
}

/// Every value of `got` within 1e-3 (relative, absolute below 1) of `expect`.
fn assert_close(got: &[f32], expect: &[f32]) {
    assert_eq!(got.len(), expect.len());
    for (i, (g, e)) in got.iter().zip(expect).enumerate() {
        assert!(
            (g - e).abs() <= 1e-3 * e.abs().max(1.0),
            "at {i}: {g} vs {e}"
        );
    }
}

/// Dispatch the scale kernel `steps` times, from a into b on even steps and
/// back on odd ones, step `i` scaling by `scale(i)`; a starts as `x`. Returns
/// what the last destination should hold.
fn ping_pong(
    dev: &Arc<dyn Device>,
    kernel: &tessera_hal::Pipeline,
    [a, b]: [&tessera_hal::Buffer; 2],
    x: &[f32],
    steps: u32,
    scale: impl Fn(u32) -> f32,
) -> Vec<f32> {
    let n = x.len() as u32;
    let mut expect = x.to_vec();
    for step in 0..steps {
        let (src, dst) = if step % 2 == 0 { (a, b) } else { (b, a) };
        let s = scale(step);
        dev.dispatch(kernel, &[src, dst], &params(n, s), [n.div_ceil(64), 1, 1])
            .unwrap();
        expect = expect
            .iter()
            .enumerate()
            .map(|(i, v)| v * s + i as f32)
            .collect();
    }
    expect
}

fn f32s(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

#[test]
fn write_read_roundtrip_with_unaligned_ranges() {
    let dev = device();
    let buf = dev.alloc(10).unwrap();
    dev.write(&buf, 0, &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        .unwrap();
    assert_eq!(
        dev.read(&buf, 0, 10).unwrap(),
        vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    );
    assert_eq!(dev.read(&buf, 3, 5).unwrap(), vec![4, 5, 6, 7, 8]);
    assert!(matches!(
        dev.read(&buf, 8, 4),
        Err(DeviceError::InvalidCall(_))
    ));
    assert!(matches!(
        dev.write(&buf, 2, &[0; 4]),
        Err(DeviceError::InvalidCall(_))
    ));
}

#[test]
fn chained_dispatches_run_in_order_and_batch() {
    let dev = device();
    let n = 1000u32;
    let x: Vec<f32> = (0..n).map(|i| (i as f32).sin()).collect();
    let a = dev.alloc(n as u64 * 4).unwrap();
    let b = dev.alloc(n as u64 * 4).unwrap();
    dev.write(&a, 0, bytemuck_cast(&x)).unwrap();
    dev.write(&b, 0, bytemuck_cast(&vec![f32::NAN; n as usize]))
        .unwrap();
    let k = dev.compile((&scale_kernel()).into()).unwrap();
    let before = dev.stats();
    // b = a*2 + i; a = b*0.5 + i; repeated: each reads the previous result.
    let expect = ping_pong(&dev, &k, [&a, &b], &x, 10, |step| {
        if step % 2 == 0 {
            2.0
        } else {
            0.5
        }
    });
    let got = f32s(&dev.read(&a, 0, n as u64 * 4).unwrap());
    assert_close(&got, &expect);
    let after = dev.stats();
    assert_eq!(after.dispatches - before.dispatches, 10);
    assert!(
        after.submits - before.submits <= 2,
        "ten dispatches should share a submit"
    );
    // Two ways of binding a and b: the other eight dispatches reuse their bind
    // groups, each with its own parameters through the dynamic offset.
    assert!(
        after.bind_groups_created - before.bind_groups_created <= 2,
        "{before:?} -> {after:?}"
    );
}

#[test]
fn bind_groups_are_reused_across_batches_with_their_own_parameters() {
    let dev = device();
    let n = 256u32;
    let a = dev.alloc(n as u64 * 4).unwrap();
    let b = dev.alloc(n as u64 * 4).unwrap();
    let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).cos()).collect();
    dev.write(&a, 0, bytemuck_cast(&x)).unwrap();
    let k = dev.compile((&scale_kernel()).into()).unwrap();
    let before = dev.stats();
    // 1200 dispatches: more than two batches, every one with other parameters.
    // Two of every three steps halve the values, so they stay bounded.
    let expect = ping_pong(&dev, &k, [&a, &b], &x, 1200, |step| {
        if step % 3 == 0 {
            -1.0
        } else {
            0.5
        }
    });
    let got = f32s(&dev.read(&a, 0, n as u64 * 4).unwrap());
    assert_close(&got, &expect);
    let after = dev.stats();
    assert!(
        after.submits - before.submits >= 3,
        "{before:?} -> {after:?}"
    );
    // Two bindings, created again only when the parameter buffer grows.
    assert!(
        after.bind_groups_created - before.bind_groups_created <= 6,
        "{before:?} -> {after:?}"
    );
}

#[test]
fn dropped_buffers_are_reused_from_the_pool() {
    let dev = device();
    let hits = dev.stats().pool_hits;
    drop(dev.alloc(3000).unwrap());
    let _again = dev.alloc(2900).unwrap();
    assert!(dev.stats().pool_hits > hits);
}

#[test]
fn invalid_wgsl_is_a_typed_compile_error() {
    let dev = device();
    let mut bad = scale_kernel();
    bad.key = "test/bad".into();
    bad.wgsl = bad.wgsl.replace("x[i] * p.scale", "x[i] * undefined_name");
    match dev.compile((&bad).into()) {
        Err(DeviceError::Compile { key, .. }) => assert_eq!(key, "test/bad"),
        other => panic!("expected a compile error, got {other:?}"),
    }
    // The device stays usable afterwards.
    dev.compile((&scale_kernel()).into()).unwrap();
}

#[test]
fn oversized_buffers_and_bad_calls_are_errors() {
    let dev = device();
    let too_big = dev.adapter().limits.max_buffer_size + 4;
    assert!(matches!(
        dev.alloc(too_big),
        Err(DeviceError::TooLarge { .. })
    ));
    let k = dev.compile((&scale_kernel()).into()).unwrap();
    let a = dev.alloc(16).unwrap();
    assert!(matches!(
        dev.dispatch(&k, &[&a], &params(4, 1.0), [1, 1, 1]),
        Err(DeviceError::InvalidCall(_))
    ));
    assert!(matches!(
        dev.dispatch(&k, &[&a, &a], &[0; 4], [1, 1, 1]),
        Err(DeviceError::InvalidCall(_))
    ));
    let other = NullDevice::new();
    let foreign = other.alloc(16).unwrap();
    assert!(matches!(
        dev.dispatch(&k, &[&a, &foreign], &params(4, 1.0), [1, 1, 1]),
        Err(DeviceError::ForeignResource)
    ));
}

#[test]
fn timestamps_measure_a_region_when_offered() {
    let dev = device();
    let Some(token) = dev.timer_begin().unwrap() else {
        eprintln!(
            "adapter {} has no timestamp queries: skipped",
            dev.adapter().name
        );
        return;
    };
    let n = 1 << 16;
    let a = dev.alloc(n * 4).unwrap();
    let b = dev.alloc(n * 4).unwrap();
    let k = dev.compile((&scale_kernel()).into()).unwrap();
    dev.dispatch(
        &k,
        &[&a, &b],
        &params(n as u32, 1.0),
        [(n / 64) as u32, 1, 1],
    )
    .unwrap();
    let t = dev.timer_end(token).unwrap();
    assert!(t.as_secs_f64() < 10.0, "implausible GPU time {t:?}");
}

fn bytemuck_cast(x: &[f32]) -> &[u8] {
    // SAFETY: f32 has no padding and any byte pattern is a valid u8.
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const u8, std::mem::size_of_val(x)) }
}

#[test]
fn concurrent_threads_get_their_own_parameters() {
    // Each thread runs its own scale on its own buffers through the shared device;
    // parameter uniforms of different batches must never mix.
    let dev = device();
    let k = dev.compile((&scale_kernel()).into()).unwrap();
    std::thread::scope(|s| {
        for t in 0..4u32 {
            let dev = dev.clone();
            let k = k.clone();
            s.spawn(move || {
                let n = 300u32;
                for round in 0..20 {
                    let scale = (t * 100 + round) as f32;
                    let x: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
                    let a = dev.alloc(n as u64 * 4).unwrap();
                    let b = dev.alloc(n as u64 * 4).unwrap();
                    dev.write(&a, 0, bytemuck_cast(&x)).unwrap();
                    dev.dispatch(&k, &[&a, &b], &params(n, scale), [n.div_ceil(64), 1, 1])
                        .unwrap();
                    let got = f32s(&dev.read(&b, 0, n as u64 * 4).unwrap());
                    for (i, g) in got.iter().enumerate() {
                        let want = x[i] * scale + i as f32;
                        assert_eq!(*g, want, "thread {t} round {round} at {i}");
                    }
                }
            });
        }
    });
}
