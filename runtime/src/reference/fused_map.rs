//! The fused elementwise program, evaluated step by step in `f64`.

use tessera_kernels::{FusedProgram, FusedStep};

use super::broadcast::{broadcast_index, broadcast_shapes, for_each_index};
use super::check_len;
use super::elementwise::{binary_scalar, unary_scalar};

/// One program's value at one output element, every input already read.
pub fn fused_map_scalar(program: &FusedProgram, inputs: &[f64]) -> f64 {
    let mut r: Vec<f64> = Vec::with_capacity(program.steps().len());
    for s in program.steps() {
        let v = match *s {
            FusedStep::Input(k) => inputs[k as usize],
            FusedStep::Const(bits) => f32::from_bits(bits) as f64,
            FusedStep::Unary(op, a) => unary_scalar(op, r[a as usize]),
            FusedStep::Binary(op, a, b) => binary_scalar(op, r[a as usize], r[b as usize]),
            FusedStep::Select(c, a, b) => {
                if r[c as usize] != 0.0 {
                    r[a as usize]
                } else {
                    r[b as usize]
                }
            }
        };
        r.push(v);
    }
    r.last().copied().unwrap_or(f64::NAN)
}

/// `program` over `inputs` (values and shape each), all broadcast together;
/// returns the values (rounded to f32 once) and the output shape.
///
/// # Panics
/// If a slice's length does not match its shape, the shapes do not
/// broadcast, or the program reads more inputs than given.
pub fn fused_map(program: &FusedProgram, inputs: &[(&[f32], &[usize])]) -> (Vec<f32>, Vec<usize>) {
    assert!(
        program.inputs() <= inputs.len(),
        "reference: the program reads {} inputs, {} given",
        program.inputs(),
        inputs.len()
    );
    for (v, s) in inputs {
        check_len("fused_map input", v.len(), s);
    }
    let shapes: Vec<&[usize]> = inputs.iter().map(|(_, s)| *s).collect();
    let out_shape = broadcast_shapes(&shapes)
        .unwrap_or_else(|| panic!("reference: shapes {shapes:?} do not broadcast"));
    let mut out = Vec::with_capacity(super::numel(&out_shape));
    let mut at = vec![0.0f64; inputs.len()];
    for_each_index(&out_shape, |i| {
        for (a, (v, s)) in at.iter_mut().zip(inputs) {
            *a = v[broadcast_index(i, s)] as f64;
        }
        out.push(fused_map_scalar(program, &at) as f32);
    });
    (out, out_shape)
}
