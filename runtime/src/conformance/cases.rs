//! The context an op's conformance cases run in: the device, the dtype, a
//! seeded random source, and the record of every comparison.

use super::tolerance::{compare, Tolerance};
use crate::error::Result;
use crate::reference::round_to_f16;
use crate::tensor::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::DType;

/// What the cases of one op on one device and dtype found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CaseReport {
    /// Results compared.
    pub checks: usize,
    /// Largest `|actual - expected|` over every check.
    pub worst_error: f64,
    /// Largest error as a fraction of what its tolerance allows (<= 1 passes).
    pub worst_fraction: f64,
    /// The loosest tolerance any check used (largest rtol and atol), if any ran.
    pub loosest: Option<Tolerance>,
    /// One entry per failed check: what, the shapes and the first mismatches.
    pub failures: Vec<String>,
}

/// `seed` mixed with `name` by 64-bit FNV-1a (stable across Rust versions and
/// runs), so draws named differently differ under one seed: the seed of the
/// conformance cases and of the integration tests' random inputs.
pub fn mix_seed(seed: u64, name: &str) -> u64 {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    seed ^ hash
}

/// A result recorded by [`Cases::check`], compared when the cases settle.
struct PendingCheck {
    what: String,
    actual: Tensor,
    expected: Vec<f32>,
    tol: Tolerance,
}

/// Fresh random inputs for an op's cases and the comparisons of its results.
///
/// Results are read back when the cases settle ([`Cases::settle`]), after
/// every case was recorded: one async read per result, so the same cases run
/// where nothing may block (the web) and natively (where `run_op` waits).
pub struct Cases<'a> {
    device: &'a Arc<dyn Device>,
    dtype: DType,
    seed: u64,
    rng: StdRng,
    report: CaseReport,
    pending: Vec<PendingCheck>,
}

impl<'a> Cases<'a> {
    /// Cases on `device` for `dtype`, drawing from `seed` (mixed with the op's
    /// name, so ops sharing a seed still draw different inputs).
    pub fn new(device: &'a Arc<dyn Device>, dtype: DType, op: &str, seed: u64) -> Cases<'a> {
        let mixed = mix_seed(seed, op);
        Cases {
            device,
            dtype,
            seed,
            rng: StdRng::seed_from_u64(mixed),
            report: CaseReport::default(),
            pending: Vec::new(),
        }
    }

    /// The device under test.
    pub fn device(&self) -> &Arc<dyn Device> {
        self.device
    }

    /// The float dtype under test.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// The random source (for sizes, ids and choices).
    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// `len` values uniform in `[lo, hi)`, as the dtype under test stores them.
    pub fn values(&mut self, len: usize, lo: f32, hi: f32) -> Vec<f32> {
        let v: Vec<f32> = (0..len).map(|_| self.rng.random_range(lo..hi)).collect();
        match self.dtype {
            DType::F16 => round_to_f16(&v),
            _ => v,
        }
    }

    /// A random tensor of `shape` in the dtype under test, and its values.
    pub fn input(&mut self, shape: &[usize], lo: f32, hi: f32) -> Result<(Tensor, Vec<f32>)> {
        let values = self.values(shape.iter().product(), lo, hi);
        let t = Tensor::from_f32(self.device, &values, shape, self.dtype)?;
        Ok((t, values))
    }

    /// `len` ids uniform in `0..upper`.
    pub fn ids(&mut self, len: usize, upper: u32) -> Vec<u32> {
        (0..len).map(|_| self.rng.random_range(0..upper)).collect()
    }

    /// Compare `actual` (read back as f32 when the cases settle) with
    /// `expected` under `tol` (loosened for f16 by [`Tolerance::for_dtype`]);
    /// `what` names the case and its shapes in the report.
    pub fn check(
        &mut self,
        what: &str,
        actual: &Tensor,
        expected: &[f32],
        tol: Tolerance,
    ) -> Result<()> {
        self.pending.push(PendingCheck {
            what: what.to_string(),
            actual: actual.clone(),
            expected: expected.to_vec(),
            tol,
        });
        Ok(())
    }

    /// Read back every result [`Cases::check`] recorded and compare it. The
    /// first read that fails is returned, after the others were compared.
    pub async fn settle(&mut self) -> Result<()> {
        let mut first_error = None;
        for p in std::mem::take(&mut self.pending) {
            match read_as_f32(&p.actual).await {
                Ok(values) => self.check_values(&p.what, &values, &p.expected, p.tol),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// [`Cases::check`] for values already on the host.
    pub fn check_values(&mut self, what: &str, actual: &[f32], expected: &[f32], tol: Tolerance) {
        let tol = tol.for_dtype(self.dtype);
        let c = compare(actual, expected, tol, false);
        let r = &mut self.report;
        r.checks += 1;
        r.worst_error = r.worst_error.max(c.worst.0);
        r.worst_fraction = r.worst_fraction.max(c.worst_fraction);
        r.loosest = Some(match r.loosest {
            None => tol,
            Some(l) => Tolerance {
                rtol: l.rtol.max(tol.rtol),
                atol: l.atol.max(tol.atol),
            },
        });
        if !c.passed() {
            r.failures.push(format!(
                "{what} ({}, seed {}): {} of {} values beyond {tol}:\n{}",
                self.dtype,
                self.seed,
                c.mismatches,
                c.len,
                c.shown.join("\n")
            ));
        }
    }

    /// The report so far.
    pub fn report(&self) -> &CaseReport {
        &self.report
    }

    /// The report, consuming the cases.
    pub fn into_report(self) -> CaseReport {
        self.report
    }
}

/// A result's values as f32, whatever its dtype, read without blocking.
async fn read_as_f32(t: &Tensor) -> Result<Vec<f32>> {
    Ok(match t.dtype() {
        DType::U32 => t
            .to_vec_async::<u32>()
            .await?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        DType::I32 => t
            .to_vec_async::<i32>()
            .await?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        _ => t.to_f32_vec_async().await?,
    })
}
