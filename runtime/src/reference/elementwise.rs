//! Elementwise ops: unary functions, affine, binary ops and `where`, with broadcasting.

use tessera_kernels::{BinaryOp, UnaryOp};

use super::broadcast::{broadcast_index, broadcast_shape, broadcast_shapes, for_each_index};
use super::check_len;

/// `2 / sqrt(pi)`.
const TWO_OVER_SQRT_PI: f64 = std::f64::consts::FRAC_2_SQRT_PI;

/// The error function, accurate to about 1e-16 relative for every finite `x`.
///
/// For `|x| < 3` it sums the everywhere-positive series
/// `erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1))`
/// (no cancellation); beyond that it takes `1 - erfc(|x|)` from [`erfc`]'s
/// continued fraction.
pub fn erf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let a = x.abs();
    let r = if a < 3.0 {
        erf_series(a)
    } else {
        1.0 - erfc_continued_fraction(a)
    };
    r.copysign(x)
}

/// The complementary error function `1 - erf(x)`, keeping its relative accuracy
/// for large positive `x` (where `1 - erf(x)` would round to 0).
///
/// Below 2 it is `1 - erf(x)` (relative error under 1e-13 there); from 2 up it
/// evaluates the Laplace continued fraction (Abramowitz & Stegun 7.1.14)
/// `erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))`.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 2.0 {
        1.0 - erf(x)
    } else {
        erfc_continued_fraction(x)
    }
}

/// `erf(x)` for `0 <= x < 3` by the positive series.
fn erf_series(x: f64) -> f64 {
    let two_x2 = 2.0 * x * x;
    let mut term = x;
    let mut sum = x;
    let mut n = 0.0;
    while term > sum * 1e-17 {
        term *= two_x2 / (2.0 * n + 3.0);
        sum += term;
        n += 1.0;
    }
    TWO_OVER_SQRT_PI * (-x * x).exp() * sum
}

/// `erfc(x)` for `x >= 2` by the continued fraction, evaluated with modified Lentz.
fn erfc_continued_fraction(x: f64) -> f64 {
    if x.is_infinite() {
        return 0.0;
    }
    // f = b0 + a1/(b1 + a2/(b2 + ...)) with b_n = x and a_n = n/2.
    let tiny = 1e-300;
    let mut f = x;
    let mut c = f;
    let mut d = 0.0;
    for n in 1..10_000 {
        let a = n as f64 / 2.0;
        d = x + a * d;
        if d.abs() < tiny {
            d = tiny;
        }
        d = 1.0 / d;
        c = x + a / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = c * d;
        f *= delta;
        if (delta - 1.0).abs() < 1e-16 {
            break;
        }
    }
    (-x * x).exp() / std::f64::consts::PI.sqrt() / f
}

/// One unary op on one value, in `f64`.
pub fn unary_scalar(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Exp => x.exp(),
        UnaryOp::Log => x.ln(),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Rsqrt => 1.0 / x.sqrt(),
        UnaryOp::Tanh => x.tanh(),
        UnaryOp::Relu => nan_max(x, 0.0),
        // x/2 (1 + erf(x/sqrt 2)) == x/2 erfc(-x/sqrt 2), accurate for very negative x too.
        UnaryOp::GeluErf => 0.5 * x * erfc(-x * std::f64::consts::FRAC_1_SQRT_2),
        UnaryOp::GeluTanh => {
            let sqrt_2_over_pi = (2.0 / std::f64::consts::PI).sqrt();
            0.5 * x * (1.0 + (sqrt_2_over_pi * (x + 0.044715 * x * x * x)).tanh())
        }
        UnaryOp::Silu => x / (1.0 + (-x).exp()),
        UnaryOp::Sigmoid => 1.0 / (1.0 + (-x).exp()),
        UnaryOp::Erf => erf(x),
    }
}

/// Applies a unary op to every element.
pub fn unary(op: UnaryOp, x: &[f32]) -> Vec<f32> {
    x.iter()
        .map(|&v| unary_scalar(op, v as f64) as f32)
        .collect()
}

/// `x * scale + bias` for every element, rounded once.
pub fn affine(x: &[f32], scale: f32, bias: f32) -> Vec<f32> {
    x.iter()
        .map(|&v| (v as f64 * scale as f64 + bias as f64) as f32)
        .collect()
}

/// `max` that returns NaN when either side is NaN.
fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

/// `min` that returns NaN when either side is NaN.
fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// One binary op on one pair of values, in `f64`.
///
/// `Pow` follows IEEE `pow` (a negative base with an integer exponent is
/// defined); WGSL's `pow` is undefined for negative bases, so test `Pow` on
/// positive bases only.
pub fn binary_scalar(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Max => nan_max(a, b),
        BinaryOp::Min => nan_min(a, b),
        BinaryOp::Pow => a.powf(b),
        BinaryOp::SiluMul => a / (1.0 + (-a).exp()) * b,
        BinaryOp::Less => f64::from(u8::from(a < b)),
        BinaryOp::Greater => f64::from(u8::from(a > b)),
        BinaryOp::LessEqual => f64::from(u8::from(a <= b)),
        BinaryOp::GreaterEqual => f64::from(u8::from(a >= b)),
        BinaryOp::Equal => f64::from(u8::from(a == b)),
    }
}

/// Applies a binary op with numpy broadcasting; returns the values and the output shape.
///
/// # Panics
/// If a slice's length does not match its shape or the shapes do not broadcast.
pub fn binary(
    op: BinaryOp,
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
) -> (Vec<f32>, Vec<usize>) {
    check_len("binary lhs", a.len(), a_shape);
    check_len("binary rhs", b.len(), b_shape);
    let out_shape = broadcast_shape(a_shape, b_shape).unwrap_or_else(|| {
        panic!("reference: shapes {a_shape:?} and {b_shape:?} do not broadcast")
    });
    let mut out = Vec::with_capacity(super::numel(&out_shape));
    for_each_index(&out_shape, |i| {
        let x = a[broadcast_index(i, a_shape)] as f64;
        let y = b[broadcast_index(i, b_shape)] as f64;
        out.push(binary_scalar(op, x, y) as f32);
    });
    (out, out_shape)
}

/// `cond != 0 ? a : b` elementwise, broadcasting all three; returns values and shape.
///
/// # Panics
/// If a slice's length does not match its shape or the shapes do not broadcast.
pub fn where_select(
    cond: &[u32],
    cond_shape: &[usize],
    a: &[f32],
    a_shape: &[usize],
    b: &[f32],
    b_shape: &[usize],
) -> (Vec<f32>, Vec<usize>) {
    check_len("where cond", cond.len(), cond_shape);
    check_len("where lhs", a.len(), a_shape);
    check_len("where rhs", b.len(), b_shape);
    let out_shape = broadcast_shapes(&[cond_shape, a_shape, b_shape]).unwrap_or_else(|| {
        panic!("reference: shapes {cond_shape:?}, {a_shape:?}, {b_shape:?} do not broadcast")
    });
    let mut out = Vec::with_capacity(super::numel(&out_shape));
    for_each_index(&out_shape, |i| {
        let v = if cond[broadcast_index(i, cond_shape)] != 0 {
            a[broadcast_index(i, a_shape)]
        } else {
            b[broadcast_index(i, b_shape)]
        };
        out.push(v);
    });
    (out, out_shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values from Python's `math.erf` / `math.erfc` (correctly rounded libm).
    #[test]
    fn erf_matches_known_values() {
        let cases = [
            (0.0, 0.0),
            (0.1, 0.1124629160182849),
            (0.5, 0.5204998778130465),
            (1.0, 0.8427007929497149),
            (-1.0, -0.8427007929497149),
            (2.0, 0.9953222650189527),
            (3.0, 0.9999779095030014),
            (6.0, 1.0),
            (f64::INFINITY, 1.0),
            (f64::NEG_INFINITY, -1.0),
        ];
        for (x, want) in cases {
            assert!((erf(x) - want).abs() <= 1e-15, "erf({x}) = {}", erf(x));
        }
        assert!(erf(f64::NAN).is_nan());
        let erfc_cases = [
            (0.7, 0.32219880616258156),
            (1.5, 0.033894853524689274),
            (2.5, 0.0004069520174449589),
            (3.0, 2.2090496998585438e-05),
            (5.0, 1.5374597944280351e-12),
            (10.0, 2.088487583762545e-45),
        ];
        for (x, want) in erfc_cases {
            let got = erfc(x);
            assert!(((got - want) / want).abs() <= 1e-12, "erfc({x}) = {got}");
        }
        // Continuity where the two methods meet.
        let below = erf(3.0 - 1e-12);
        let above = erf(3.0);
        assert!((above - below).abs() < 1e-15);
    }

    #[test]
    fn unary_ops_at_known_points() {
        let x = [-2.0f32, 0.0, 1.0];
        assert_eq!(unary(UnaryOp::Neg, &x), vec![2.0, 0.0, -1.0]);
        assert_eq!(unary(UnaryOp::Abs, &x), vec![2.0, 0.0, 1.0]);
        assert_eq!(unary(UnaryOp::Relu, &x), vec![0.0, 0.0, 1.0]);
        assert!(unary(UnaryOp::Relu, &[f32::NAN])[0].is_nan());
        assert_eq!(
            unary(UnaryOp::Exp, &[0.0, 1.0]),
            vec![1.0, std::f32::consts::E]
        );
        assert_eq!(
            unary(UnaryOp::Log, &[1.0, 0.0]),
            vec![0.0, f32::NEG_INFINITY]
        );
        assert_eq!(
            unary(UnaryOp::Sqrt, &[4.0, 2.0]),
            vec![2.0, std::f32::consts::SQRT_2]
        );
        assert_eq!(unary(UnaryOp::Rsqrt, &[4.0, 0.0]), vec![0.5, f32::INFINITY]);
        assert_eq!(unary(UnaryOp::Sigmoid, &[0.0])[0], 0.5);
        assert_eq!(unary(UnaryOp::Silu, &[0.0, 100.0]), vec![0.0, 100.0]);
        let s = unary_scalar(UnaryOp::Sigmoid, 2.0);
        assert!((s - 0.8807970779778823).abs() < 1e-15);
        assert!((unary_scalar(UnaryOp::Silu, 2.0) - 2.0 * s).abs() < 1e-15);
        assert!((unary_scalar(UnaryOp::Tanh, 0.5) - 0.46211715726000974).abs() < 1e-15);
        // gelu(1) = 0.5 (1 + erf(1/sqrt 2)); reference value from PyTorch/mpmath.
        assert!((unary_scalar(UnaryOp::GeluErf, 1.0) - 0.8413447460685429).abs() < 1e-15);
        assert!((unary_scalar(UnaryOp::GeluErf, -1.0) + 0.15865525393145707).abs() < 1e-15);
        // Far in the left tail gelu is tiny but not zero: -10 * Phi(-10).
        let tail = unary_scalar(UnaryOp::GeluErf, -10.0);
        assert!(
            (tail / -7.619853024160593e-23 - 1.0).abs() < 1e-10,
            "{tail}"
        );
        // gelu_tanh(1) = 0.5 (1 + tanh(sqrt(2/pi) * 1.044715)).
        assert!((unary_scalar(UnaryOp::GeluTanh, 1.0) - 0.8411919906082768).abs() < 1e-15);
        assert_eq!(unary_scalar(UnaryOp::GeluTanh, 0.0), 0.0);
    }

    #[test]
    fn affine_rounds_once() {
        assert_eq!(
            affine(&[1.0, -2.0, 0.5], 3.0, 0.25),
            vec![3.25, -5.75, 1.75]
        );
    }

    #[test]
    fn binary_broadcasts_column_against_row() {
        // [3,1] + [4] -> [3,4]
        let (out, shape) = binary(
            BinaryOp::Add,
            &[0.0, 10.0, 20.0],
            &[3, 1],
            &[1.0, 2.0, 3.0, 4.0],
            &[4],
        );
        assert_eq!(shape, vec![3, 4]);
        assert_eq!(
            out,
            vec![1.0, 2.0, 3.0, 4.0, 11.0, 12.0, 13.0, 14.0, 21.0, 22.0, 23.0, 24.0]
        );
        let (out, shape) = binary(BinaryOp::Sub, &[5.0], &[], &[1.0, 2.0], &[2, 1]);
        assert_eq!((out, shape), (vec![4.0, 3.0], vec![2, 1]));
    }

    #[test]
    fn binary_ops_values() {
        let a = [1.0f32, -3.0, 2.0, 9.0];
        let b = [2.0f32, 4.0, -1.0, 0.5];
        let s = [4];
        let run = |op| binary(op, &a, &s, &b, &s).0;
        assert_eq!(run(BinaryOp::Mul), vec![2.0, -12.0, -2.0, 4.5]);
        assert_eq!(run(BinaryOp::Div), vec![0.5, -0.75, -2.0, 18.0]);
        assert_eq!(run(BinaryOp::Max), vec![2.0, 4.0, 2.0, 9.0]);
        assert_eq!(run(BinaryOp::Min), vec![1.0, -3.0, -1.0, 0.5]);
        assert_eq!(run(BinaryOp::Pow), vec![1.0, 81.0, 0.5, 3.0]);
        let nan = binary(BinaryOp::Max, &[f32::NAN], &[1], &[1.0], &[1]).0;
        assert!(nan[0].is_nan());
    }

    #[test]
    #[should_panic(expected = "do not broadcast")]
    fn binary_rejects_incompatible_shapes() {
        binary(BinaryOp::Add, &[0.0; 3], &[3], &[0.0; 4], &[4]);
    }

    #[test]
    fn where_broadcasts_all_three() {
        // cond [2,1], a [3], b scalar -> [2,3]
        let (out, shape) = where_select(&[1, 0], &[2, 1], &[1.0, 2.0, 3.0], &[3], &[-1.0], &[]);
        assert_eq!(shape, vec![2, 3]);
        assert_eq!(out, vec![1.0, 2.0, 3.0, -1.0, -1.0, -1.0]);
        let (out, _) = where_select(&[0, 7, 0], &[3], &[1.0; 3], &[3], &[2.0; 3], &[3]);
        assert_eq!(out, vec![2.0, 1.0, 2.0]);
    }
}
