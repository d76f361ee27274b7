//! Elementwise fusion at load: maximal trees of elementwise nodes (unary and
//! binary arithmetic with numpy broadcasting, activations, Clip, Where) whose
//! inner values have exactly one reader and are not graph outputs become one
//! [`FusedGroup`], run as one `fused_map` dispatch. Rank-0 float constants
//! become literals of the program; every other operand is an input of it.
//!
//! Whether the operands are floats is known only at run time (integer
//! arithmetic on shapes uses the same operators), so the runner checks each
//! group's inputs per run and runs the group's nodes one by one when a value
//! operand is an integer or boolean ([`LeafRole`]).

use super::graph::{Graph, Node};
use super::value::OnnxValue;
use std::collections::{HashMap, HashSet};
use tessera_kernels::{
    BinaryOp, FusedProgram, FusedStep, UnaryOp, FUSED_MAX_INPUTS, FUSED_MAX_STEPS,
};

/// What a group input is to the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LeafRole {
    /// An arithmetic operand: must be a float for the group to run fused.
    Value,
    /// A Where condition (booleans, read as 1.0 / 0.0) or a Pow exponent
    /// (any numeric type): converted to f32.
    Any,
}

/// Nodes that run as one `fused_map`.
#[derive(Clone, Debug)]
pub(crate) struct FusedGroup {
    /// The member nodes (indices into the graph's nodes), ascending; the last
    /// is the root, which makes `output`.
    pub(crate) nodes: Vec<usize>,
    /// The program's inputs, in order, with their roles.
    pub(crate) leaves: Vec<(String, LeafRole)>,
    /// The program.
    pub(crate) program: FusedProgram,
    /// The value the group makes.
    pub(crate) output: String,
}

/// Out of room in one program (inputs or steps).
struct Full;

/// Builds one group's program, depth first from its root.
struct Builder<'a> {
    graph: &'a Graph,
    constants: &'a HashMap<String, OnnxValue>,
    absorbable: &'a [bool],
    producer: &'a HashMap<&'a str, usize>,
    opset: i64,
    steps: Vec<FusedStep>,
    leaves: Vec<(String, LeafRole)>,
    members: Vec<usize>,
}

impl Builder<'_> {
    fn push(&mut self, step: FusedStep) -> Result<u8, Full> {
        if self.steps.len() >= FUSED_MAX_STEPS {
            return Err(Full);
        }
        self.steps.push(step);
        Ok(self.steps.len() as u8 - 1)
    }

    fn constant(&mut self, v: f32) -> Result<u8, Full> {
        self.push(FusedStep::Const(v.to_bits()))
    }

    /// The step giving value `name`: the absorbed node that makes it, a
    /// literal for a rank-0 float constant (or any rank-0 constant where
    /// `role` is `Any`), else an input.
    fn value(&mut self, name: &str, role: LeafRole) -> Result<u8, Full> {
        if let Some(OnnxValue::Host(h)) = self.constants.get(name) {
            if h.shape.is_empty() && (h.is_float() || role == LeafRole::Any) {
                return self.constant(h.to_f32()[0]);
            }
        }
        if let Some(&p) = self.producer.get(name) {
            if self.absorbable[p] {
                let (steps, leaves, members) =
                    (self.steps.len(), self.leaves.len(), self.members.len());
                match self.node(p) {
                    Ok(s) => return Ok(s),
                    Err(Full) => {
                        // Too big: `name` stays a value of its own (its
                        // node becomes the root of another group).
                        self.steps.truncate(steps);
                        self.leaves.truncate(leaves);
                        self.members.truncate(members);
                    }
                }
            }
        }
        let k = match self.leaves.iter().position(|(n, _)| n == name) {
            Some(k) => {
                if role == LeafRole::Value {
                    self.leaves[k].1 = LeafRole::Value;
                }
                k
            }
            None if self.leaves.len() < FUSED_MAX_INPUTS => {
                self.leaves.push((name.to_string(), role));
                self.leaves.len() - 1
            }
            None => return Err(Full),
        };
        self.push(FusedStep::Input(k as u8))
    }

    /// Emits node `i`'s steps; returns the step of its output.
    fn node(&mut self, i: usize) -> Result<u8, Full> {
        let graph = self.graph;
        let node = &graph.nodes[i];
        let s = lower(self, node)?;
        self.members.push(i);
        Ok(s)
    }
}

fn unary_of(op: &str) -> Option<UnaryOp> {
    Some(match op {
        "Neg" => UnaryOp::Neg,
        "Abs" => UnaryOp::Abs,
        "Exp" => UnaryOp::Exp,
        "Log" => UnaryOp::Log,
        "Sqrt" => UnaryOp::Sqrt,
        "Tanh" => UnaryOp::Tanh,
        "Relu" => UnaryOp::Relu,
        "Sigmoid" => UnaryOp::Sigmoid,
        "Erf" => UnaryOp::Erf,
        _ => return None,
    })
}

fn binary_of(op: &str) -> Option<BinaryOp> {
    Some(match op {
        "Add" => BinaryOp::Add,
        "Sub" => BinaryOp::Sub,
        "Mul" => BinaryOp::Mul,
        "Div" => BinaryOp::Div,
        "Pow" => BinaryOp::Pow,
        "Max" => BinaryOp::Max,
        "Min" => BinaryOp::Min,
        _ => return None,
    })
}

/// Whether `node` is an elementwise node the fused program expresses.
fn fusible(node: &Node, opset: i64) -> bool {
    if !node.domain.is_empty() || node.outputs.len() != 1 {
        return false;
    }
    let present = node.inputs.iter().filter(|i| !i.is_empty()).count();
    let op = node.op.as_str();
    if unary_of(op).is_some() {
        return node.inputs.len() == 1;
    }
    if binary_of(op).is_some() {
        return node.inputs.len() == 2 && present == 2;
    }
    match op {
        "Reciprocal" | "LeakyRelu" | "HardSigmoid" | "HardSwish" => node.inputs.len() == 1,
        "Gelu" => {
            node.inputs.len() == 1
                && matches!(
                    node.attrs.string("approximate").unwrap_or("none"),
                    "none" | "tanh"
                )
        }
        "Clip" => opset >= 11 || node.inputs.len() == 1,
        "Where" => node.inputs.len() == 3 && present == 3,
        _ => false,
    }
}

/// The steps of one fusible node, after its operands'.
fn lower(b: &mut Builder<'_>, node: &Node) -> Result<u8, Full> {
    use FusedStep::{Binary, Select, Unary};
    let op = node.op.as_str();
    let a = &node.attrs;
    let input = |k: usize| node.inputs[k].as_str();
    if let Some(u) = unary_of(op) {
        let x = b.value(input(0), LeafRole::Value)?;
        return b.push(Unary(u, x));
    }
    if let Some(f) = binary_of(op) {
        let x = b.value(input(0), LeafRole::Value)?;
        let role = if op == "Pow" {
            LeafRole::Any
        } else {
            LeafRole::Value
        };
        let y = b.value(input(1), role)?;
        return b.push(Binary(f, x, y));
    }
    if op == "Where" {
        // cond ? input 1 : input 2; the condition is booleans.
        let c = b.value(input(0), LeafRole::Any)?;
        let t = b.value(input(1), LeafRole::Value)?;
        let f = b.value(input(2), LeafRole::Value)?;
        return b.push(Select(c, t, f));
    }
    let x = b.value(input(0), LeafRole::Value)?;
    match op {
        "Reciprocal" => {
            let one = b.constant(1.0)?;
            b.push(Binary(BinaryOp::Div, one, x))
        }
        "Gelu" => match a.string("approximate").unwrap_or("none") {
            "tanh" => b.push(Unary(UnaryOp::GeluTanh, x)),
            _ => b.push(Unary(UnaryOp::GeluErf, x)),
        },
        "LeakyRelu" => {
            // max(x, 0) + alpha * min(x, 0): exact for every alpha.
            let zero = b.constant(0.0)?;
            let pos = b.push(Binary(BinaryOp::Max, x, zero))?;
            let neg = b.push(Binary(BinaryOp::Min, x, zero))?;
            let alpha = b.constant(a.float("alpha", 0.01))?;
            let scaled = b.push(Binary(BinaryOp::Mul, neg, alpha))?;
            b.push(Binary(BinaryOp::Add, pos, scaled))
        }
        "HardSigmoid" => hard_sigmoid(b, x, a.float("alpha", 0.2), a.float("beta", 0.5)),
        "HardSwish" => {
            let h = hard_sigmoid(b, x, 1.0 / 6.0, 0.5)?;
            b.push(Binary(BinaryOp::Mul, x, h))
        }
        "Clip" => {
            let mut y = x;
            let bounds = [(1, "min", BinaryOp::Max), (2, "max", BinaryOp::Min)];
            for (k, attr, f) in bounds {
                let bound = if b.opset < 11 {
                    match a.has(attr) {
                        true => Some(b.constant(a.float(attr, 0.0))?),
                        false => None,
                    }
                } else {
                    match node.inputs.get(k).filter(|n| !n.is_empty()) {
                        Some(name) => Some(b.value(name, LeafRole::Value)?),
                        None => None,
                    }
                };
                if let Some(v) = bound {
                    y = b.push(Binary(f, y, v))?;
                }
            }
            Ok(y)
        }
        _ => Err(Full),
    }
}

/// `min(max(alpha * x + beta, 0), 1)`.
fn hard_sigmoid(b: &mut Builder<'_>, x: u8, alpha: f32, beta: f32) -> Result<u8, Full> {
    use FusedStep::Binary;
    let ka = b.constant(alpha)?;
    let kb = b.constant(beta)?;
    let (zero, one) = (b.constant(0.0)?, b.constant(1.0)?);
    let ax = b.push(Binary(BinaryOp::Mul, ka, x))?;
    let y = b.push(Binary(BinaryOp::Add, ax, kb))?;
    let y = b.push(Binary(BinaryOp::Max, y, zero))?;
    b.push(Binary(BinaryOp::Min, y, one))
}

/// The groups of `graph` (nodes already folded and conv chains fused):
/// every tree of at least two fusible nodes, its inner values read once
/// and not graph outputs. `constants` are still host values.
pub(crate) fn elementwise_groups(
    graph: &Graph,
    constants: &HashMap<String, OnnxValue>,
    opset: i64,
) -> Vec<FusedGroup> {
    let mut readers: HashMap<&str, usize> = HashMap::new();
    let mut reader_of: HashMap<&str, usize> = HashMap::new();
    for (i, n) in graph.nodes.iter().enumerate() {
        for name in n.inputs.iter().filter(|i| !i.is_empty()) {
            *readers.entry(name).or_default() += 1;
            reader_of.insert(name, i);
        }
    }
    let outputs: HashSet<&str> = graph.outputs.iter().map(|o| o.name.as_str()).collect();
    let producer: HashMap<&str, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.outputs.iter().map(move |o| (o.as_str(), i)))
        .collect();
    let can_fuse: Vec<bool> = graph.nodes.iter().map(|n| fusible(n, opset)).collect();
    // A fusible node whose one output is read once, by a fusible node, and is
    // not a graph output, may join its reader's group.
    let absorbable: Vec<bool> = graph
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let out = n.outputs[0].as_str();
            can_fuse[i]
                && readers.get(out) == Some(&1)
                && !outputs.contains(out)
                && reader_of.get(out).is_some_and(|&r| can_fuse[r] && r > i)
        })
        .collect();
    let mut member = vec![false; graph.nodes.len()];
    let mut groups = Vec::new();
    for root in (0..graph.nodes.len()).rev() {
        if !can_fuse[root] || member[root] {
            continue;
        }
        let mut b = Builder {
            graph,
            constants,
            absorbable: &absorbable,
            producer: &producer,
            opset,
            steps: Vec::new(),
            leaves: Vec::new(),
            members: Vec::new(),
        };
        if b.node(root).is_err() || b.members.len() < 2 {
            continue;
        }
        let steps = if is_decomposed_gelu(&b.steps) {
            vec![FusedStep::Input(0), FusedStep::Unary(UnaryOp::GeluErf, 0)]
        } else {
            b.steps
        };
        let Ok(program) = FusedProgram::new(&steps) else {
            continue;
        };
        let mut nodes = b.members;
        nodes.sort_unstable();
        for &m in &nodes {
            member[m] = true;
        }
        groups.push(FusedGroup {
            nodes,
            leaves: b.leaves,
            program,
            output: graph.nodes[root].outputs[0].clone(),
        });
    }
    groups.reverse();
    groups
}

/// Whether `steps` read one input `x` and compute GELU as torch exports it,
/// `(x * (erf(x / sqrt 2) + 1)) * 0.5` (either operand order of each
/// commutative step; `x * (1 / sqrt 2)` too): such a group runs as the
/// `unary` op's GELU kernel (within 2.4e-7 of the steps on lavapipe) instead
/// of a `fused_map` program.
fn is_decomposed_gelu(steps: &[FusedStep]) -> bool {
    use FusedStep::{Binary, Const, Input, Unary};
    let at = |i: u8| steps.get(i as usize).copied();
    let is_x = |i: u8| at(i) == Some(Input(0));
    let is_const = |i: u8, v: f32| match at(i) {
        Some(Const(bits)) => (f32::from_bits(bits) - v).abs() <= 1e-6,
        _ => false,
    };
    // The operand of a commutative `op` step that is not `known`.
    let other = |i: u8, op: BinaryOp, known: &dyn Fn(u8) -> bool| match at(i) {
        Some(Binary(o, a, b)) if o == op && known(a) => Some(b),
        Some(Binary(o, a, b)) if o == op && known(b) => Some(a),
        _ => None,
    };
    let scaled_x = |i: u8| match at(i) {
        Some(Binary(BinaryOp::Div, a, b)) => is_x(a) && is_const(b, std::f32::consts::SQRT_2),
        Some(Binary(BinaryOp::Mul, a, b)) => {
            let half_sqrt2 = std::f32::consts::FRAC_1_SQRT_2;
            (is_x(a) && is_const(b, half_sqrt2)) || (is_x(b) && is_const(a, half_sqrt2))
        }
        _ => false,
    };
    let inputs = steps.iter().filter_map(|s| match s {
        Input(k) => Some(*k),
        _ => None,
    });
    if inputs.clone().any(|k| k != 0) || steps.is_empty() {
        return false;
    }
    let last = steps.len() as u8 - 1;
    let Some(product) = other(last, BinaryOp::Mul, &|i| is_const(i, 0.5)) else {
        return false;
    };
    let Some(sum) = other(product, BinaryOp::Mul, &is_x) else {
        return false;
    };
    let Some(erf) = other(sum, BinaryOp::Add, &|i| is_const(i, 1.0)) else {
        return false;
    };
    matches!(at(erf), Some(Unary(UnaryOp::Erf, arg)) if scaled_x(arg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use FusedStep::{Binary, Const, Input, Unary};

    fn c(v: f32) -> FusedStep {
        Const(v.to_bits())
    }

    #[test]
    fn torch_gelu_is_recognized_and_near_misses_are_not() {
        let torch = [
            Input(0),
            Input(0),
            c(std::f32::consts::SQRT_2),
            Binary(BinaryOp::Div, 1, 2),
            Unary(UnaryOp::Erf, 3),
            c(1.0),
            Binary(BinaryOp::Add, 4, 5),
            Binary(BinaryOp::Mul, 0, 6),
            c(0.5),
            Binary(BinaryOp::Mul, 7, 8),
        ];
        assert!(is_decomposed_gelu(&torch));
        let mut swapped = torch;
        swapped[6] = Binary(BinaryOp::Add, 5, 4);
        swapped[9] = Binary(BinaryOp::Mul, 8, 7);
        assert!(is_decomposed_gelu(&swapped));
        for (i, step) in [
            (8, c(0.25)),
            (5, c(2.0)),
            (2, c(1.5)),
            (4, Unary(UnaryOp::Tanh, 3)),
        ] {
            let mut wrong = torch;
            wrong[i] = step;
            assert!(!is_decomposed_gelu(&wrong), "{wrong:?}");
        }
        let mut two_inputs = torch;
        two_inputs[1] = Input(1);
        assert!(!is_decomposed_gelu(&two_inputs));
    }
}
