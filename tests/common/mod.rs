//! Shared helpers for the workspace's integration tests: named tolerances,
//! closeness assertions, seeded random inputs and output poisoning.
//!
//! Use from a test file with `mod common;`. The rules the helpers support:
//!
//! - Draw fresh random inputs every run from [`seeded_rng`]; put the seed (and
//!   the shape) into the `context` string of every assertion, so a failure says
//!   how to reproduce it: `TESSERA_TEST_SEED=<seed> cargo test <name>`.
//! - Never test on zeros or ones only; [`random_vec`] gives uniform values.
//! - Fill output buffers with [`POISON`] before each run, so an element the
//!   kernel never wrote shows up as NaN, and NaN never passes [`assert_close`].
//! - Compare against `tessera_runtime::reference` with a named [`Tolerance`].

// Each test binary uses its own subset of these helpers.
#![allow(dead_code)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Value to fill output buffers with before a run: any element a kernel fails
/// to write stays NaN, and [`assert_close`] rejects NaN.
pub const POISON: f32 = f32::NAN;

/// Environment variable that fixes the seed of [`seeded_rng`] (a decimal `u64`).
pub const SEED_ENV: &str = "TESSERA_TEST_SEED";

/// How far a result may be from the reference: `|actual - expected| <= atol + rtol * |expected|`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    /// Relative tolerance, a fraction of `|expected|`.
    pub rtol: f64,
    /// Absolute tolerance, for values near zero.
    pub atol: f64,
}

impl Tolerance {
    /// Bit-exact: for data movement (copy, permute, slice, concat, gather, where).
    pub const EXACT: Tolerance = Tolerance {
        rtol: 0.0,
        atol: 0.0,
    };

    /// `f32` ops that are correctly rounded or nearly so in WGSL: `+ - * /`
    /// (division is 2.5 ULP), `abs`, `max`, `min`, `relu`, affine, `sqrt`. A few
    /// ULP (f32 ULP is 1.2e-7 relative) plus a small floor near zero.
    pub const F32_EXACTISH: Tolerance = Tolerance {
        rtol: 1e-5,
        atol: 1e-6,
    };

    /// `f32` ops built on WGSL's transcendental builtins, which are not
    /// correctly rounded: `exp` is specified to `3 + 2|x|` ULP (23 ULP, 2.7e-6
    /// relative, at |x| = 10), `log` to 2^-21 absolute near 1, `tanh`/`sinh`
    /// are inherited from `exp` formulas and so lose relative accuracy near 0
    /// (about 4e-7 absolute), `pow` is `exp2(y * log2(x))`, and kernels
    /// approximate `erf`. Also for composites built on them: sigmoid, silu,
    /// gelu, softmax, layer/RMS norm (`inverseSqrt` is 2 ULP). Valid for inputs
    /// of moderate size (|x| up to about 10); rtol 1e-4 leaves a wide margin over
    /// those bounds while still catching any indexing or formula bug.
    pub const F32_TRANSCENDENTAL: Tolerance = Tolerance {
        rtol: 1e-4,
        atol: 1e-5,
    };

    /// `f16` storage (11-bit significand: one rounding is 4.9e-4 relative) with
    /// `f32` arithmetic inside the kernel. Prepare inputs with
    /// `tessera_runtime::reference::round_to_f16` so input rounding is not counted.
    pub const F16: Tolerance = Tolerance {
        rtol: 1e-2,
        atol: 1e-3,
    };

    /// `f32` matmul with inner dimension `k`, inputs of unit scale (|x| <= ~1).
    ///
    /// Accumulated rounding error grows with the number of terms; near-zero
    /// outputs (where terms cancel) carry an absolute error that grows about as
    /// `sqrt(k)` for blocked accumulation, hence `atol = 1e-5 * sqrt(k)`; rtol
    /// 1e-4 covers the relative error of large outputs. Scale `atol` by the
    /// product of the inputs' magnitudes if they are not of unit scale.
    pub fn matmul_f32(k: usize) -> Tolerance {
        Tolerance {
            rtol: 1e-4,
            atol: 1e-5 * (k.max(1) as f64).sqrt(),
        }
    }

    /// `f16` matmul (f16 inputs, `f32` accumulation) with inner dimension `k`,
    /// unit-scale inputs: [`Tolerance::F16`] with `atol` scaled by `sqrt(k)`.
    /// A kernel that accumulates in `f16` fails this for large `k`, as it should.
    pub fn matmul_f16(k: usize) -> Tolerance {
        Tolerance {
            rtol: 1e-2,
            atol: 1e-3 * (k.max(1) as f64).sqrt(),
        }
    }

    /// `f32` sum (or mean times `n`) of `n` unit-scale values: a dot product
    /// in all but name, so the same as [`Tolerance::matmul_f32`].
    pub fn sum_f32(n: usize) -> Tolerance {
        Tolerance::matmul_f32(n)
    }
}

/// Asserts every `actual[i]` is within `tol` of `expected[i]`; NaN never passes.
///
/// Equal infinities pass; an infinity against anything else fails. On failure
/// the panic names `context` (make it carry the seed and shape), the number of
/// mismatches, the largest error, and the first few mismatching indices.
#[track_caller]
pub fn assert_close(actual: &[f32], expected: &[f32], tol: Tolerance, context: &str) {
    check_close(actual, expected, tol, context, false);
}

/// Like [`assert_close`], except that a NaN passes where the expected value is
/// also NaN. Only for tests that feed NaN on purpose.
#[track_caller]
pub fn assert_close_nan_ok(actual: &[f32], expected: &[f32], tol: Tolerance, context: &str) {
    check_close(actual, expected, tol, context, true);
}

/// How many mismatching elements a failure lists.
const SHOWN_MISMATCHES: usize = 8;

#[track_caller]
fn check_close(actual: &[f32], expected: &[f32], tol: Tolerance, context: &str, nan_ok: bool) {
    assert_eq!(
        actual.len(),
        expected.len(),
        "{context}: length differs: actual {} values, expected {}",
        actual.len(),
        expected.len()
    );
    let mut mismatches = Vec::new();
    let mut count = 0usize;
    // Largest |actual - expected| over finite pairs, and where.
    let mut max_err = (0.0f64, 0usize);
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let (a64, e64) = (a as f64, e as f64);
        let allowed = tol.atol + tol.rtol * e64.abs();
        let ok = if a.is_nan() || e.is_nan() {
            nan_ok && a.is_nan() && e.is_nan()
        } else if a.is_infinite() || e.is_infinite() {
            a == e
        } else {
            let err = (a64 - e64).abs();
            if err > max_err.0 {
                max_err = (err, i);
            }
            err <= allowed
        };
        if !ok {
            count += 1;
            if mismatches.len() < SHOWN_MISMATCHES {
                mismatches.push(format!(
                    "  [{i}] actual {a:e}, expected {e:e}, |diff| {:.3e}, allowed {allowed:.3e}",
                    (a64 - e64).abs()
                ));
            }
        }
    }
    if count > 0 {
        let (err, at) = max_err;
        panic!(
            "{context}: {count} of {} values differ beyond rtol {:e}, atol {:e}; \
             max finite |diff| {err:.3e} at [{at}] (actual {:e}, expected {:e}); first mismatches:\n{}",
            actual.len(),
            tol.rtol,
            tol.atol,
            actual[at],
            expected[at],
            mismatches.join("\n")
        );
    }
}

/// A random generator for one test, and the seed to print with any failure.
///
/// The seed comes from `TESSERA_TEST_SEED` when set, else fresh from the OS.
/// The generator is seeded with the seed mixed with `test_name`, so tests that
/// share a fixed seed still draw different inputs, and rerunning one test with
/// `TESSERA_TEST_SEED=<seed>` reproduces its inputs exactly. The seed is also
/// written to stderr, which the test harness shows for a failing test.
///
/// # Panics
/// If `TESSERA_TEST_SEED` is set but is not a decimal `u64`.
pub fn seeded_rng(test_name: &str) -> (StdRng, u64) {
    let seed = match std::env::var(SEED_ENV) {
        Ok(s) => s
            .trim()
            .parse::<u64>()
            .unwrap_or_else(|_| panic!("{SEED_ENV}={s:?} is not a decimal u64")),
        Err(std::env::VarError::NotPresent) => rand::rng().random(),
        Err(e) => panic!("{SEED_ENV}: {e}"),
    };
    eprintln!("{test_name}: {SEED_ENV}={seed}");
    (StdRng::seed_from_u64(seed ^ fnv1a(test_name)), seed)
}

/// 64-bit FNV-1a: a hash that stays the same across Rust versions and runs.
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `len` values drawn uniformly from `[lo, hi)`.
///
/// # Panics
/// If `lo >= hi`.
pub fn random_vec<R: Rng + ?Sized>(rng: &mut R, len: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(lo..hi)).collect()
}

/// `len` ids drawn uniformly from `0..upper` (token ids, gather indices).
///
/// # Panics
/// If `upper == 0` and `len > 0`.
pub fn random_ids<R: Rng + ?Sized>(rng: &mut R, len: usize, upper: u32) -> Vec<u32> {
    (0..len).map(|_| rng.random_range(0..upper)).collect()
}

/// A `len`-element output buffer filled with [`POISON`].
pub fn poisoned(len: usize) -> Vec<f32> {
    vec![POISON; len]
}

mod decoding;
mod devices;
#[allow(unused_imports)] // only the decoder tests use these
pub use decoding::*;
pub use devices::*;

use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;
use tessera_runtime::Tensor;

/// The float dtypes `device` runs: f32 always, f16 where it has shader-f16.
pub fn float_dtypes(device: &Arc<dyn Device>) -> Vec<DType> {
    if has_f16(device) {
        vec![DType::F32, DType::F16]
    } else {
        vec![DType::F32]
    }
}

/// Upload `values` as `dtype`; returns the tensor and the values as stored
/// (rounded to f16 for f16), which is what the reference must see.
pub fn upload(
    device: &Arc<dyn Device>,
    values: &[f32],
    shape: &[usize],
    dtype: DType,
) -> (Tensor, Vec<f32>) {
    let stored = match dtype {
        DType::F16 => tessera_runtime::reference::round_to_f16(values),
        _ => values.to_vec(),
    };
    let t = Tensor::from_f32(device, &stored, shape, dtype).expect("upload");
    (t, stored)
}

/// The tolerance for `dtype`: `f32_tol` for f32, [`Tolerance::F16`] (or looser) for f16.
pub fn tol_for(dtype: DType, f32_tol: Tolerance) -> Tolerance {
    match dtype {
        DType::F16 => Tolerance {
            rtol: Tolerance::F16.rtol.max(f32_tol.rtol),
            atol: Tolerance::F16.atol.max(f32_tol.atol),
        },
        _ => f32_tol,
    }
}

/// Every test turns output poisoning on: op outputs start as NaN.
pub fn poison_outputs() {
    tessera_runtime::set_poison_outputs(true);
}
