//! The fused elementwise kernel: a short straight-line program of unary,
//! binary and select steps over up to [`FUSED_MAX_INPUTS`] broadcast inputs,
//! rendered into WGSL once per distinct program (the program is part of the
//! spec, so the render cache keys on it).

use crate::assemble::{linear_kernel, Binding, DEFAULT_WG};
use crate::elementwise::{binary_expr, unary_expr};
use crate::float_math::float_math;
use crate::grid::MAX_RANK;
use crate::params::uniform_params;
use crate::{dtype_header, BinaryOp, DType, KernelSource, UnaryOp};
use std::fmt::Write;

const FUSED_MAP: &str = include_str!("wgsl/fused_map.wgsl");

/// Most inputs a fused program reads: with the output, 8 storage bindings,
/// WebGPU's default `maxStorageBuffersPerShaderStage`.
pub const FUSED_MAX_INPUTS: usize = 7;

/// Most steps in a fused program.
pub const FUSED_MAX_STEPS: usize = 32;

/// The binding names of the inputs, in order.
const INPUT_NAMES: [&str; FUSED_MAX_INPUTS] = ["x0", "x1", "x2", "x3", "x4", "x5", "x6"];

/// One step of a fused program; operands name earlier steps by index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FusedStep {
    /// Input `k` at this output element (broadcast).
    Input(u8),
    /// A constant, as its f32 bits.
    Const(u32),
    /// `op(a)`.
    Unary(UnaryOp, u8),
    /// `op(a, b)`.
    Binary(BinaryOp, u8, u8),
    /// `cond != 0 ? a : b` (`Select(cond, a, b)`).
    Select(u8, u8, u8),
}

impl FusedStep {
    /// The steps this one reads.
    pub fn operands(&self) -> Vec<u8> {
        match *self {
            FusedStep::Input(_) | FusedStep::Const(_) => Vec::new(),
            FusedStep::Unary(_, a) => vec![a],
            FusedStep::Binary(_, a, b) => vec![a, b],
            FusedStep::Select(c, a, b) => vec![c, a, b],
        }
    }
}

/// A checked fused program: at most [`FUSED_MAX_STEPS`] steps, each reading
/// only earlier steps, at least one input and inputs below
/// [`FUSED_MAX_INPUTS`]. The last step is the result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FusedProgram {
    steps: [FusedStep; FUSED_MAX_STEPS],
    len: u8,
}

impl FusedProgram {
    /// Checks `steps` into a program, or says what is wrong with them.
    pub fn new(steps: &[FusedStep]) -> Result<FusedProgram, String> {
        if steps.is_empty() || steps.len() > FUSED_MAX_STEPS {
            return Err(format!(
                "{} steps (1 to {FUSED_MAX_STEPS} allowed)",
                steps.len()
            ));
        }
        for (i, s) in steps.iter().enumerate() {
            if let Some(&bad) = s.operands().iter().find(|&&o| o as usize >= i) {
                return Err(format!("step {i} reads step {bad}, not an earlier one"));
            }
            if let FusedStep::Input(k) = s {
                if *k as usize >= FUSED_MAX_INPUTS {
                    return Err(format!("input {k} (at most {FUSED_MAX_INPUTS} inputs)"));
                }
            }
        }
        if !steps.iter().any(|s| matches!(s, FusedStep::Input(_))) {
            return Err("no step reads an input".into());
        }
        let mut all = [FusedStep::Const(0); FUSED_MAX_STEPS];
        all[..steps.len()].copy_from_slice(steps);
        Ok(FusedProgram {
            steps: all,
            len: steps.len() as u8,
        })
    }

    /// The steps, in order.
    pub fn steps(&self) -> &[FusedStep] {
        &self.steps[..self.len as usize]
    }

    /// How many inputs it binds: one more than the largest input index.
    pub fn inputs(&self) -> usize {
        self.steps()
            .iter()
            .filter_map(|s| match s {
                FusedStep::Input(k) => Some(*k as usize + 1),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// A short text naming the program, for kernel keys and logs.
    pub fn key(&self) -> String {
        let mut k = String::new();
        for s in self.steps() {
            let _ = match *s {
                FusedStep::Input(i) => write!(k, "i{i},"),
                FusedStep::Const(bits) => write!(k, "c{bits:x},"),
                FusedStep::Unary(op, a) => write!(k, "{}({a}),", op.name()),
                FusedStep::Binary(op, a, b) => write!(k, "{}({a},{b}),", op.name()),
                FusedStep::Select(c, a, b) => write!(k, "sel({c},{a},{b}),"),
            };
        }
        k.pop();
        k
    }
}

/// Parameters of the fused kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct FusedMapParams {
    /// Output elements.
    pub n: u32,
    /// Rank of the output (<= 8).
    pub rank: u32,
    /// Offset of out.
    pub out_off: u32,
    /// Padding.
    pub pad0: u32,
    /// Output shape.
    pub shape: [u32; MAX_RANK],
    /// Each input's element offset.
    pub offsets: [u32; 8],
    /// Input k's stride along dim d at `k * 8 + d` (0 where broadcast).
    pub strides: [u32; 64],
}

impl Default for FusedMapParams {
    fn default() -> FusedMapParams {
        bytemuck::Zeroable::zeroed()
    }
}

uniform_params!(FusedMapParams = include_str!("wgsl/fused_map_params.wgsl");
    n, rank, out_off, pad0, shape, offsets, strides);

/// `out = program(inputs)` elementwise, every input broadcast to the output's
/// shape. Bindings: x0..x{k-1} (read), out (write). Each step computes in f32.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FusedMapSpec {
    /// The program.
    pub program: FusedProgram,
    /// Storage type of the inputs and the output (f32 or f16).
    pub dtype: DType,
}

/// A WGSL f32 expression of the constant `bits`: a literal for finite values
/// well inside f32's range, else a call of `f32_from_bits` (a non-finite
/// literal is an error for naga and Tint).
fn constant(bits: u32) -> String {
    let v = f32::from_bits(bits);
    if v.is_finite() && v.abs() < 1e38 {
        format!("{v:?}")
    } else {
        format!("f32_from_bits({bits:#x}u)")
    }
}

impl FusedMapSpec {
    /// Render the kernel.
    pub fn render(&self) -> KernelSource {
        let steps = self.program.steps();
        let mut fns = String::new();
        let mut unary: Vec<UnaryOp> = Vec::new();
        let mut binary: Vec<BinaryOp> = Vec::new();
        let mut body = String::new();
        for (i, s) in steps.iter().enumerate() {
            let expr = match *s {
                FusedStep::Input(k) => format!("f32({}[o[{k}]])", INPUT_NAMES[k as usize]),
                FusedStep::Const(bits) => constant(bits),
                FusedStep::Unary(op, a) => {
                    if !unary.contains(&op) {
                        unary.push(op);
                        let _ = writeln!(
                            fns,
                            "fn un_{}(v: f32) -> f32 {{ return {}; }}",
                            op.name(),
                            unary_expr(op)
                        );
                    }
                    format!("un_{}(r{a})", op.name())
                }
                FusedStep::Binary(op, a, b) => {
                    if !binary.contains(&op) {
                        binary.push(op);
                        let _ = writeln!(
                            fns,
                            "fn bin_{}(x: f32, y: f32) -> f32 {{ return {}; }}",
                            op.name(),
                            binary_expr(op)
                        );
                    }
                    format!("bin_{}(r{a}, r{b})", op.name())
                }
                FusedStep::Select(c, a, b) => format!("select(r{b}, r{a}, r{c} != 0.0)"),
            };
            let _ = writeln!(body, "    let r{i}: f32 = {expr};");
        }
        let inputs = self.program.inputs();
        let header = format!(
            "{}const MAX_RANK: u32 = {MAX_RANK}u;\nconst INPUTS: u32 = {inputs}u;\n{}{fns}\
             fn eval(o: array<u32, 8>) -> f32 {{\n{body}    return r{};\n}}\n",
            dtype_header(self.dtype),
            float_math(),
            steps.len() - 1
        );
        let mut bindings: Vec<Binding> = INPUT_NAMES[..inputs]
            .iter()
            .map(|&name| Binding::read(name, "T"))
            .collect();
        bindings.push(Binding::read_write("out", "T"));
        linear_kernel::<FusedMapParams>(
            format!(
                "fused_map/{}/{}/wg{DEFAULT_WG}",
                self.dtype,
                self.program.key()
            ),
            &header,
            &bindings,
            FUSED_MAP,
            self.dtype == DType::F16,
        )
    }

    /// Programs that cover every step kind, every unary and binary op, the
    /// non-finite constants and 1 to [`FUSED_MAX_INPUTS`] inputs; in f32 and f16.
    pub fn all() -> Vec<FusedMapSpec> {
        let mut programs = Vec::new();
        let mut every_unary = vec![FusedStep::Input(0)];
        for (i, op) in UnaryOp::ALL.into_iter().enumerate() {
            every_unary.push(FusedStep::Unary(op, i as u8));
        }
        programs.push(every_unary);
        let mut every_binary = vec![FusedStep::Input(0), FusedStep::Input(1)];
        for (i, op) in BinaryOp::ALL.into_iter().enumerate() {
            every_binary.push(FusedStep::Binary(op, i as u8 + 1, 1));
        }
        programs.push(every_binary);
        for inputs in 1..=FUSED_MAX_INPUTS {
            let mut p: Vec<FusedStep> = (0..inputs).map(|k| FusedStep::Input(k as u8)).collect();
            for k in 1..inputs {
                let last = p.len() as u8 - 1;
                p.push(FusedStep::Binary(BinaryOp::Add, last, k as u8));
            }
            let last = p.len() as u8 - 1;
            for bits in [f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MIN, 1e-5] {
                p.push(FusedStep::Const(bits.to_bits()));
            }
            p.push(FusedStep::Select(0, last, last + 3));
            let sel = p.len() as u8 - 1;
            p.push(FusedStep::Binary(BinaryOp::Max, sel, last + 4));
            programs.push(p);
        }
        DType::FLOATS
            .into_iter()
            .flat_map(|dtype| {
                programs.iter().map(move |p| FusedMapSpec {
                    program: FusedProgram::new(p).expect("a valid program"),
                    dtype,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_reading_later_steps_or_no_input_are_refused() {
        let refused = [
            vec![],
            vec![FusedStep::Const(0)],
            vec![FusedStep::Input(0), FusedStep::Unary(UnaryOp::Neg, 1)],
            vec![FusedStep::Input(7)],
            vec![FusedStep::Input(0); FUSED_MAX_STEPS + 1],
        ];
        for steps in refused {
            assert!(FusedProgram::new(&steps).is_err(), "{steps:?}");
        }
        let ok = FusedProgram::new(&[FusedStep::Input(2), FusedStep::Unary(UnaryOp::Exp, 0)]);
        assert_eq!(ok.map(|p| p.inputs()), Ok(3));
    }

    #[test]
    fn non_finite_and_huge_constants_are_not_literals() {
        for v in [f32::INFINITY, f32::NAN, f32::MIN, f32::MAX] {
            assert!(constant(v.to_bits()).starts_with("f32_from_bits("));
        }
        assert_eq!(constant(0.5f32.to_bits()), "0.5");
        assert_eq!(constant((-1e-5f32).to_bits()), "-1e-5");
    }
}
