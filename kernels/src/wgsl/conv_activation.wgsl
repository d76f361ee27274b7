// The activation a convolution applies to its biased result (ConvActivation):
// p.mode selects it, p.alpha and p.beta are its arguments.
fn activate(v: f32) -> f32 {
    switch p.mode {
        case 1u: { return max(v, 0.0); }
        case 2u: { return select(p.alpha * v, v, v >= 0.0); }
        case 3u: { return min(max(v, p.alpha), p.beta); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        case 5u: { return clamp(p.alpha * v + p.beta, 0.0, 1.0); }
        case 6u: { return v * clamp(p.alpha * v + p.beta, 0.0, 1.0); }
        default: { return v; }
    }
}
