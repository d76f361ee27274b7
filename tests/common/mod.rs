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

pub use tessera_runtime::conformance::Tolerance;

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

#[track_caller]
fn check_close(actual: &[f32], expected: &[f32], tol: Tolerance, context: &str, nan_ok: bool) {
    let c = tessera_runtime::conformance::compare(actual, expected, tol, nan_ok);
    if !c.passed() {
        let (err, at) = c.worst;
        panic!(
            "{context}: {} of {} values differ beyond rtol {:e}, atol {:e}; \
             max finite |diff| {err:.3e} at [{at}] (actual {:e}, expected {:e}); first mismatches:\n{}",
            c.mismatches,
            c.len,
            tol.rtol,
            tol.atol,
            actual.get(at).copied().unwrap_or(f32::NAN),
            expected.get(at).copied().unwrap_or(f32::NAN),
            c.shown.join("\n")
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
    let mixed = tessera_runtime::conformance::mix_seed(seed, test_name);
    (StdRng::seed_from_u64(mixed), seed)
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

mod batching;
mod decoding;
mod devices;
mod minilm;
pub mod server;
mod tiny_bert;
#[allow(unused_imports)] // only the batching tests use these
pub use batching::*;
#[allow(unused_imports)] // only the decoder tests use these
pub use decoding::*;
pub use devices::*;
#[allow(unused_imports)] // only the MiniLM tests use these
pub use minilm::*;
#[allow(unused_imports)] // used by the tests that write a tiny BERT
pub use tiny_bert::*;

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
    f32_tol.for_dtype(dtype)
}

/// Every test turns output poisoning on: op outputs start as NaN.
pub fn poison_outputs() {
    tessera_runtime::set_poison_outputs(true);
}
