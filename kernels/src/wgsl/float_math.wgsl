// f32 helpers for the elementwise kernels, prepended after the generated
// `const ERF_SMALL` / `ERF_LARGE` lines (see elementwise.rs). Unused helpers cost nothing.

// An f32 from its bit pattern. A function, so naga does not fold it into a
// non-finite literal (which it rejects); used for inf and NaN results.
fn f32_from_bits(bits: u32) -> f32 {
    return bitcast<f32>(bits);
}

// erf in f32 after N. Juffa's erff (|error| < 1e-7 absolute, ~1e-7 relative):
// an odd polynomial below |x| = 0.9277, 1 - exp(-poly(|x|)) above. The
// coefficients ERF_SMALL and ERF_LARGE are generated from elementwise.rs.
fn erf_approx(v: f32) -> f32 {
    let t = abs(v);
    let s = v * v;
    if t > 0.927734375 {
        var r = fma(ERF_LARGE[0], t, ERF_LARGE[1]);
        let u = fma(ERF_LARGE[2], t, ERF_LARGE[3]);
        r = fma(r, s, u);
        r = fma(r, t, ERF_LARGE[4]);
        r = fma(r, t, ERF_LARGE[5]);
        r = fma(r, t, ERF_LARGE[6]);
        r = fma(r, t, -t);
        // exp(r) underflows to 0 for large |v|, so this saturates at +-1.
        return sign(v) * (1.0 - exp(r));
    }
    var r = fma(ERF_SMALL[0], s, ERF_SMALL[1]);
    r = fma(r, s, ERF_SMALL[2]);
    r = fma(r, s, ERF_SMALL[3]);
    r = fma(r, s, ERF_SMALL[4]);
    r = fma(r, s, ERF_SMALL[5]);
    return fma(r, v, v);
}

// tanh with the argument clamped: some drivers overflow `exp` inside `tanh` and
// return NaN for large |x|; tanh(+-15) rounds to +-1 in f32 already.
fn tanh_safe(v: f32) -> f32 {
    return tanh(clamp(v, -15.0, 15.0));
}

// Logistic sigmoid that never overflows: exp only ever sees -|v|.
fn sigmoid_safe(v: f32) -> f32 {
    let e = exp(-abs(v));
    let s = 1.0 / (1.0 + e);
    return select(e * s, s, v >= 0.0);
}

// x^y with the IEEE / C `powf` semantics (as Rust's f32::powf) on the cases WGSL's
// `pow` leaves undefined: x^0 = 1 and 1^y = 1 for any y; 0^y = 0 for y > 0 and
// +inf for y < 0; a negative base with an integer exponent gives
// sign * |x|^y (negative for odd y); a negative base with a non-integer exponent
// gives NaN.
fn pow_f32(x: f32, y: f32) -> f32 {
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    let ax = abs(x);
    var r: f32;
    if ax == 0.0 {
        r = select(f32_from_bits(0x7f800000u), 0.0, y > 0.0);
    } else {
        r = pow(ax, y);
    }
    if x < 0.0 {
        if floor(y) != y {
            return f32_from_bits(0x7fc00000u);
        }
        // An odd integer y has y/2 = k + 0.5; every |y| >= 2^24 is even.
        if fract(y * 0.5) == 0.5 {
            r = -r;
        }
    }
    return r;
}
