//! Named tolerances and the comparison of a result with its reference.

use tessera_kernels::DType;

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
    /// [`crate::reference::round_to_f16`] so input rounding is not counted.
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

    /// The tolerance for `dtype`: `self` for f32 (and integers), the looser of
    /// `self` and [`Tolerance::F16`] for f16.
    pub fn for_dtype(self, dtype: DType) -> Tolerance {
        match dtype {
            DType::F16 => Tolerance {
                rtol: Tolerance::F16.rtol.max(self.rtol),
                atol: Tolerance::F16.atol.max(self.atol),
            },
            _ => self,
        }
    }
}

impl std::fmt::Display for Tolerance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if *self == Tolerance::EXACT {
            write!(f, "exact")
        } else {
            write!(f, "rtol {:.0e}, atol {:.1e}", self.rtol, self.atol)
        }
    }
}

/// How many mismatching elements a [`Comparison`] lists.
const SHOWN_MISMATCHES: usize = 8;

/// The outcome of comparing a result with its reference under a tolerance.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Comparison {
    /// Elements compared.
    pub len: usize,
    /// Elements beyond the tolerance (NaN against a number counts; NaN
    /// against NaN counts unless `nan_ok`).
    pub mismatches: usize,
    /// Largest `|actual - expected|` over finite pairs, and its index.
    pub worst: (f64, usize),
    /// Largest `|actual - expected| / (atol + rtol |expected|)` over finite
    /// pairs: at most 1 when every element passes (0 for exact equality).
    pub worst_fraction: f64,
    /// The first few mismatches, one line each.
    pub shown: Vec<String>,
}

impl Comparison {
    /// Whether every element is within tolerance.
    pub fn passed(&self) -> bool {
        self.mismatches == 0
    }
}

/// Compare `actual` with `expected` element by element under `tol`. Equal
/// infinities pass; an infinity against anything else fails; NaN passes only
/// against NaN and only with `nan_ok`. Lengths that differ count every
/// element of the longer one as a mismatch.
pub fn compare(actual: &[f32], expected: &[f32], tol: Tolerance, nan_ok: bool) -> Comparison {
    let mut c = Comparison {
        len: actual.len().max(expected.len()),
        mismatches: actual.len().abs_diff(expected.len()),
        ..Comparison::default()
    };
    if c.mismatches > 0 {
        c.shown.push(format!(
            "  length differs: actual {} values, expected {}",
            actual.len(),
            expected.len()
        ));
    }
    for (i, (&a, &e)) in actual.iter().zip(expected).enumerate() {
        let (a64, e64) = (a as f64, e as f64);
        let allowed = tol.atol + tol.rtol * e64.abs();
        let ok = if a.is_nan() || e.is_nan() {
            nan_ok && a.is_nan() && e.is_nan()
        } else if a.is_infinite() || e.is_infinite() {
            a == e
        } else {
            let err = (a64 - e64).abs();
            if err > c.worst.0 {
                c.worst = (err, i);
            }
            let fraction = match allowed > 0.0 {
                true => err / allowed,
                false if err == 0.0 => 0.0,
                false => f64::INFINITY,
            };
            c.worst_fraction = c.worst_fraction.max(fraction);
            err <= allowed
        };
        if !ok {
            c.mismatches += 1;
            if c.shown.len() < SHOWN_MISMATCHES {
                c.shown.push(format!(
                    "  [{i}] actual {a:e}, expected {e:e}, |diff| {:.3e}, allowed {allowed:.3e}",
                    (a64 - e64).abs()
                ));
            }
        }
    }
    c
}
