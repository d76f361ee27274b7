//! Conformance cases of `fused_map`: the programs the ONNX fusion makes
//! (decomposed GELU, a LayerNorm tail, an attention mask with f32::MIN, a
//! Where with -inf), the functions with a restricted domain, seven inputs,
//! a transposed input, and random programs over odd broadcast shapes.

use super::{Cases, Tolerance};
use crate::error::Result;
use crate::ops::fused_map;
use crate::reference;
use crate::tensor::Tensor;
use rand::Rng;
use tessera_kernels::{BinaryOp, FusedProgram, FusedStep, UnaryOp, FUSED_MAX_INPUTS};

use FusedStep::{Binary, Const, Input, Select, Unary};

fn c(v: f32) -> FusedStep {
    Const(v.to_bits())
}

/// A named program and its inputs' shapes.
type NamedProgram = (&'static str, Vec<FusedStep>, Vec<&'static [usize]>);

/// Named programs with their input shapes; `mask` is the attention mask's
/// large negative (f32::MIN in f32; in f16 storage f32::MIN times anything
/// but 0 overflows to -inf, so -1e4 there).
fn fixed(mask: f32) -> Vec<NamedProgram> {
    vec![
        (
            "gelu as div/erf/add/mul/mul",
            vec![
                Input(0),
                c(std::f32::consts::SQRT_2),
                Binary(BinaryOp::Div, 0, 1),
                Unary(UnaryOp::Erf, 2),
                c(1.0),
                Binary(BinaryOp::Add, 3, 4),
                Binary(BinaryOp::Mul, 0, 5),
                c(0.5),
                Binary(BinaryOp::Mul, 6, 7),
            ],
            vec![&[3, 5, 37]],
        ),
        (
            "layer norm tail",
            vec![
                Input(0),
                Input(1),
                Binary(BinaryOp::Sub, 0, 1),
                Input(2),
                Unary(UnaryOp::Abs, 3),
                c(1e-5),
                Binary(BinaryOp::Add, 4, 5),
                Unary(UnaryOp::Sqrt, 6),
                Binary(BinaryOp::Div, 2, 7),
                Input(3),
                Binary(BinaryOp::Mul, 8, 9),
                Input(4),
                Binary(BinaryOp::Add, 10, 11),
            ],
            vec![&[2, 5, 9], &[2, 5, 1], &[2, 5, 1], &[9], &[9]],
        ),
        (
            "attention mask (1 - m) * mask + s",
            vec![
                c(1.0),
                Input(0),
                Binary(BinaryOp::Sub, 0, 1),
                c(mask),
                Binary(BinaryOp::Mul, 2, 3),
                Input(1),
                Binary(BinaryOp::Add, 5, 4),
            ],
            vec![&[2, 1, 1, 7], &[2, 3, 7, 7]],
        ),
        (
            "where (a > b) with -inf, then max",
            vec![
                Input(0),
                Input(1),
                Binary(BinaryOp::Greater, 0, 1),
                c(f32::NEG_INFINITY),
                Input(2),
                Select(2, 4, 3),
                c(-1.0),
                Binary(BinaryOp::Max, 5, 6),
            ],
            vec![&[4, 1], &[1, 6], &[4, 6]],
        ),
        (
            "restricted domains: log, sqrt, rsqrt, exp, div, pow",
            vec![
                Input(0),
                Unary(UnaryOp::Abs, 0),
                c(0.5),
                Binary(BinaryOp::Add, 1, 2),
                Unary(UnaryOp::Log, 3),
                Unary(UnaryOp::Sqrt, 3),
                Unary(UnaryOp::Rsqrt, 3),
                Input(1),
                Unary(UnaryOp::Tanh, 7),
                Unary(UnaryOp::Exp, 8),
                Binary(BinaryOp::Div, 4, 9),
                Binary(BinaryOp::Pow, 3, 8),
                Binary(BinaryOp::Add, 10, 11),
                Binary(BinaryOp::Mul, 12, 5),
                Binary(BinaryOp::SiluMul, 13, 6),
            ],
            vec![&[129], &[3, 1]],
        ),
        (
            "seven inputs",
            (0..FUSED_MAX_INPUTS as u8)
                .map(Input)
                .chain((1..FUSED_MAX_INPUTS as u8).map(|k| {
                    let prev = if k == 1 {
                        0
                    } else {
                        FUSED_MAX_INPUTS as u8 + k - 2
                    };
                    Binary(
                        if k % 2 == 0 {
                            BinaryOp::Mul
                        } else {
                            BinaryOp::Add
                        },
                        prev,
                        k,
                    )
                }))
                .collect(),
            vec![
                &[2, 3, 5],
                &[5],
                &[3, 1],
                &[2, 1, 1],
                &[1],
                &[2, 3, 5],
                &[1, 3, 5],
            ],
        ),
    ]
}

/// Unary ops bounded by their input's bound (or by 1).
const BOUNDED_UNARY: [UnaryOp; 9] = [
    UnaryOp::Neg,
    UnaryOp::Abs,
    UnaryOp::Tanh,
    UnaryOp::Relu,
    UnaryOp::GeluErf,
    UnaryOp::GeluTanh,
    UnaryOp::Silu,
    UnaryOp::Sigmoid,
    UnaryOp::Erf,
];

/// A random program over `inputs` inputs (values in [-2, 2]): every value
/// stays within 4 in magnitude, so no step cancels away more than f32's
/// precision of 4; comparisons read inputs only (exact in both).
fn random_program(c: &mut Cases, inputs: usize) -> Vec<FusedStep> {
    let mut steps: Vec<FusedStep> = (0..inputs as u8).map(Input).collect();
    let mut bound: Vec<f32> = vec![2.0; inputs];
    let extra = c.rng().random_range(3..=12);
    for _ in 0..extra {
        let n = steps.len() as u8;
        let a = c.rng().random_range(0..n);
        let b = c.rng().random_range(0..n);
        let kind = c.rng().random_range(0..10);
        let (step, bnd) = match kind {
            0..=3 => {
                let op = BOUNDED_UNARY[c.rng().random_range(0..BOUNDED_UNARY.len())];
                let squash = matches!(op, UnaryOp::Tanh | UnaryOp::Sigmoid | UnaryOp::Erf);
                let bnd = if squash { 1.0 } else { bound[a as usize] * 1.1 };
                (Unary(op, a), bnd)
            }
            4 if inputs >= 2 => {
                let (x, y) = (
                    c.rng().random_range(0..inputs as u8),
                    c.rng().random_range(0..inputs as u8),
                );
                let cmp = Binary(BinaryOp::Less, x, y);
                steps.push(cmp);
                bound.push(1.0);
                (Select(n, a, b), bound[a as usize].max(bound[b as usize]))
            }
            _ => {
                let ops = [
                    BinaryOp::Add,
                    BinaryOp::Sub,
                    BinaryOp::Mul,
                    BinaryOp::Max,
                    BinaryOp::Min,
                ];
                let op = ops[c.rng().random_range(0..ops.len())];
                let (ba, bb) = (bound[a as usize], bound[b as usize]);
                let bnd = match op {
                    BinaryOp::Add | BinaryOp::Sub => ba + bb,
                    BinaryOp::Mul => ba * bb,
                    _ => ba.max(bb),
                };
                if bnd > 4.0 {
                    (Unary(UnaryOp::Tanh, a), 1.0)
                } else {
                    (Binary(op, a, b), bnd)
                }
            }
        };
        if steps.len() + 1 > tessera_kernels::FUSED_MAX_STEPS {
            break;
        }
        steps.push(step);
        bound.push(bnd);
    }
    steps
}

/// Random broadcast shapes: a base of rank 1 to 4 with odd dims, each input
/// keeping a random suffix of it with random dims set to 1.
fn random_shapes(c: &mut Cases, inputs: usize) -> Vec<Vec<usize>> {
    let rank = c.rng().random_range(1..=4);
    let dims = [1usize, 2, 3, 5, 7, 13, 33];
    let base: Vec<usize> = (0..rank)
        .map(|_| dims[c.rng().random_range(0..dims.len())])
        .collect();
    (0..inputs)
        .map(|k| {
            let keep = if k == 0 {
                rank
            } else {
                c.rng().random_range(0..=rank)
            };
            base[rank - keep..]
                .iter()
                .map(|&d| {
                    if c.rng().random_range(0..3) == 0 {
                        1
                    } else {
                        d
                    }
                })
                .collect()
        })
        .collect()
}

fn run_case(
    c: &mut Cases,
    what: &str,
    steps: &[FusedStep],
    shapes: &[Vec<usize>],
    range: f32,
) -> Result<()> {
    let program = match FusedProgram::new(steps) {
        Ok(p) => p,
        Err(e) => {
            c.check_values(
                &format!("{what}: invalid program: {e}"),
                &[f32::NAN],
                &[0.0],
                Tolerance::EXACT,
            );
            return Ok(());
        }
    };
    let mut tensors = Vec::new();
    let mut values = Vec::new();
    for s in shapes {
        let (t, v) = c.input(s, -range, range)?;
        tensors.push(t);
        values.push(v);
    }
    let pairs: Vec<(&[f32], &[usize])> = values
        .iter()
        .zip(shapes)
        .map(|(v, s)| (v.as_slice(), s.as_slice()))
        .collect();
    let (want, _) = reference::fused_map(&program, &pairs);
    let refs: Vec<&Tensor> = tensors.iter().collect();
    let got = fused_map(&refs, &program)?;
    c.check(
        &format!("{what} {shapes:?}"),
        &got,
        &want,
        Tolerance::F32_TRANSCENDENTAL,
    )
}

/// The fixed programs, a transposed input, and 24 random programs.
pub(crate) fn fused_map_cases(c: &mut Cases) -> Result<()> {
    let mask = if c.dtype() == tessera_kernels::DType::F16 {
        -1e4
    } else {
        f32::MIN
    };
    for (what, steps, shapes) in fixed(mask) {
        let shapes: Vec<Vec<usize>> = shapes.iter().map(|s| s.to_vec()).collect();
        run_case(c, what, &steps, &shapes, 2.0)?;
    }
    // A transposed (strided) input beside a contiguous one.
    let steps = [
        Input(0),
        Input(1),
        Binary(BinaryOp::Mul, 0, 1),
        Unary(UnaryOp::Tanh, 2),
    ];
    let program = FusedProgram::new(&steps).map_err(|message| crate::Error::InvalidArgument {
        op: "fused_map",
        message,
    })?;
    let (x, xv) = c.input(&[5, 9], -2.0, 2.0)?;
    let (y, yv) = c.input(&[9, 5], -2.0, 2.0)?;
    let xt = x.transpose(0, 1)?;
    let xtv = reference::permute(&xv, &[5, 9], &[1, 0]);
    let (want, _) = reference::fused_map(&program, &[(&xtv, &[9, 5]), (&yv, &[9, 5])]);
    c.check(
        "tanh(x^T * y) [9, 5]",
        &fused_map(&[&xt, &y], &program)?,
        &want,
        Tolerance::F32_TRANSCENDENTAL,
    )?;
    for k in 0..24 {
        let inputs = 1 + k % 4;
        let steps = random_program(c, inputs);
        let shapes = random_shapes(c, inputs);
        run_case(c, &format!("random #{k}"), &steps, &shapes, 2.0)?;
    }
    Ok(())
}
