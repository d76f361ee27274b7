//! Shared f32 helpers of the elementwise kernels (`wgsl/float_math.wgsl`) and the
//! generated coefficient arrays they need.

const FLOAT_MATH: &str = include_str!("wgsl/float_math.wgsl");

/// Coefficients of `erf_approx` below |x| = 0.9277 (N. Juffa's erff): odd
/// polynomial `x + x * P(x^2)`, highest power first.
const ERF_SMALL: [f32; 6] = [
    -5.967_617e-4,
    4.991_194_2e-3,
    -2.676_813_5e-2,
    1.128_199_3e-1,
    -3.761_253_4e-1,
    1.283_791_7e-1,
];

/// Coefficients of `erf_approx` above |x| = 0.9277: `1 - exp(Q(|x|))`, in the
/// order float_math.wgsl consumes them.
const ERF_LARGE: [f32; 7] = [
    -1.728_534_7e-5,
    3.831_971_3e-4,
    -3.883_964_4e-3,
    2.425_462_2e-2,
    -1.067_778_8e-1,
    -6.348_467e-1,
    -1.287_175_1e-1,
];

/// A WGSL `const NAME = array<f32, N>(...);` line; `{:?}` prints each f32 so that
/// it parses back to the same value.
fn const_array(name: &str, values: &[f32]) -> String {
    let items: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!(
        "const {name} = array<f32, {}>({});\n",
        values.len(),
        items.join(", ")
    )
}

/// The generated `ERF_*` coefficient arrays plus the f32 helpers of
/// `float_math.wgsl` (`erf_approx`, `tanh_safe`, `sigmoid_safe`, `pow_f32`).
pub(crate) fn float_math() -> String {
    const_array("ERF_SMALL", &ERF_SMALL) + &const_array("ERF_LARGE", &ERF_LARGE) + FLOAT_MATH
}

#[cfg(test)]
mod tests {
    use super::*;

    /// f32 mirror of `erf_approx` in float_math.wgsl, on the same coefficients.
    fn erf_mirror(v: f32) -> f32 {
        let (t, s) = (v.abs(), v * v);
        if t > 475.0 / 512.0 {
            let l = ERF_LARGE;
            let u = l[2].mul_add(t, l[3]);
            let mut r = l[0].mul_add(t, l[1]).mul_add(s, u);
            for c in [l[4], l[5], l[6], -t] {
                r = r.mul_add(t, c);
            }
            return v.signum() * (1.0 - r.exp());
        }
        let mut r = ERF_SMALL[0];
        for c in &ERF_SMALL[1..] {
            r = r.mul_add(s, *c);
        }
        r.mul_add(v, v)
    }

    /// erf by its Maclaurin series in f64 (exact to ~1e-12 for |x| <= 4.5).
    fn erf_series(x: f64) -> f64 {
        let (mut term, mut sum, mut n) = (x, x, 0.0);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_accurate_to_1e_7() {
        for k in -900..=900 {
            let x = (k as f32 * 0.01) as f64;
            let want = if x.abs() <= 4.5 {
                erf_series(x)
            } else {
                x.signum()
            };
            let got = erf_mirror(x as f32) as f64;
            let err = (got - want).abs();
            assert!(err < 1e-7, "erf({x}) = {got}, want {want}");
            assert!(err <= 2e-7 * want.abs(), "erf({x}) relative error {err}");
        }
    }

    /// f32 mirror of `pow_f32` in float_math.wgsl (keep the two in step).
    fn pow_mirror(x: f32, y: f32) -> f32 {
        if y == 0.0 || x == 1.0 {
            return 1.0;
        }
        let ax = x.abs();
        let mut r = if ax == 0.0 {
            if y > 0.0 {
                0.0
            } else {
                f32::from_bits(0x7f80_0000)
            }
        } else {
            ax.powf(y)
        };
        if x < 0.0 {
            if y.floor() != y {
                return f32::from_bits(0x7fc0_0000);
            }
            if (y * 0.5).fract().abs() == 0.5 {
                r = -r;
            }
        }
        r
    }

    #[test]
    fn pow_mirror_matches_powf_on_special_cases() {
        let xs = [-3.0f32, -2.5, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 7.25];
        let ys = [
            -3.0f32,
            -2.0,
            -1.5,
            -1.0,
            0.0,
            0.5,
            1.0,
            2.0,
            3.0,
            1e8,
            16_777_217.0,
        ];
        for x in xs {
            for y in ys {
                let (got, want) = (pow_mirror(x, y), x.powf(y));
                let same = (got.is_nan() && want.is_nan()) || got == want;
                assert!(same, "pow({x}, {y}) = {got}, want {want}");
            }
        }
    }
}
