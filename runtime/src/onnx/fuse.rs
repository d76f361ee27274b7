//! Graph rewrites at load: a Conv with constant weights absorbs the chain of
//! nodes after it that only rescale or shift its channels or activate it —
//! BatchNormalization (inference), Mul and Add by per-channel constants — and
//! one activation (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish).
//! The result is one `FusedConv` node (domain `tessera`): its weight and bias
//! are folded on the host in f64, its activation runs in the conv kernel, so
//! the chain is one dispatch. A node is absorbed only when it is the sole
//! consumer of the value before it and that value is not a graph output.

use super::attrs::{Attr, Attrs};
use super::graph::{Graph, Node};
use super::value::{HostData, HostTensor, OnnxValue};
use std::collections::HashMap;
use tessera_kernels::ConvActivation;

/// The domain of the nodes the rewrites make.
pub(crate) const FUSED_DOMAIN: &str = "tessera";

/// The activation a fused conv node carries (none on an ONNX Conv).
pub(crate) fn fused_activation(attrs: &Attrs) -> ConvActivation {
    let (a, b) = (
        attrs.float("activation_alpha", 0.0),
        attrs.float("activation_beta", 0.0),
    );
    match attrs.string("activation") {
        Some("Relu") => ConvActivation::Relu,
        Some("LeakyRelu") => ConvActivation::LeakyRelu { alpha: a },
        Some("Clip") => ConvActivation::Clip { min: a, max: b },
        Some("Sigmoid") => ConvActivation::Sigmoid,
        Some("HardSigmoid") => ConvActivation::HardSigmoid { alpha: a, beta: b },
        Some("HardSwish") => ConvActivation::HardSwish,
        _ => ConvActivation::None,
    }
}

/// A conv's folded weight and bias in f64, per output channel.
struct Folded {
    weight: Vec<f64>,
    bias: Vec<f64>,
    c_out: usize,
}

impl Folded {
    /// `y * s[c]` for every channel c.
    fn scale(&mut self, s: &[f64]) {
        let per = self.weight.len() / self.c_out;
        for (c, &k) in s.iter().enumerate() {
            self.weight[c * per..(c + 1) * per]
                .iter_mut()
                .for_each(|w| *w *= k);
            self.bias[c] *= k;
        }
    }

    /// `y + t[c]` for every channel c.
    fn shift(&mut self, t: &[f64]) {
        self.bias.iter_mut().zip(t).for_each(|(b, v)| *b += v);
    }
}

/// Fuses every chain it can; returns how many nodes were absorbed.
pub(crate) fn fuse_conv_chains(
    graph: &mut Graph,
    constants: &mut HashMap<String, OnnxValue>,
    opset: i64,
) -> usize {
    let mut consumers: HashMap<String, usize> = HashMap::new();
    for n in &graph.nodes {
        for i in n.inputs.iter().filter(|i| !i.is_empty()) {
            *consumers.entry(i.clone()).or_default() += 1;
        }
    }
    for o in &graph.outputs {
        *consumers.entry(o.name.clone()).or_default() += 2;
    }
    let consumer_of: HashMap<String, usize> = graph
        .nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.inputs.iter().map(move |name| (name.clone(), i)))
        .collect();
    let mut absorbed = vec![false; graph.nodes.len()];
    let mut count = 0;
    for ci in 0..graph.nodes.len() {
        let conv = &graph.nodes[ci];
        if conv.op != "Conv" || !conv.domain.is_empty() || absorbed[ci] || conv.outputs.len() != 1 {
            continue;
        }
        let Some(mut folded) = folded_conv(conv, constants) else {
            continue;
        };
        let mut act = None;
        let mut cur = conv.outputs[0].clone();
        let mut last = ci;
        while act.is_none() && consumers.get(&cur) == Some(&1) {
            let Some(&ni) = consumer_of.get(&cur) else {
                break;
            };
            let next = &graph.nodes[ni];
            if ni <= last
                || !next.domain.is_empty()
                || next.outputs.len() != 1 && next.op != "BatchNormalization"
            {
                break;
            }
            let ok = match next.op.as_str() {
                "BatchNormalization" => fold_batch_norm(next, &cur, constants, &mut folded),
                "Mul" | "Add" => fold_channel_op(
                    next,
                    &cur,
                    constants,
                    &mut folded,
                    conv_rank(constants, conv),
                ),
                _ => match activation_of(next, constants, opset) {
                    Some(a) if next.inputs.first() == Some(&cur) => {
                        act = Some(a);
                        true
                    }
                    _ => false,
                },
            };
            if !ok {
                break;
            }
            absorbed[ni] = true;
            count += 1;
            cur = next.outputs[0].clone();
            last = ni;
        }
        if last == ci {
            continue;
        }
        let node = rewrite(&graph.nodes[ci], folded, act, cur, constants);
        graph.nodes[ci] = node;
    }
    let mut i = 0;
    graph.nodes.retain(|_| {
        i += 1;
        !absorbed[i - 1]
    });
    count
}

/// The rank of the conv's weight (= its output's rank).
fn conv_rank(constants: &HashMap<String, OnnxValue>, conv: &Node) -> usize {
    constants
        .get(&conv.inputs[1])
        .map_or(0, |w| w.shape().len())
}

fn host_f32<'a>(
    constants: &'a HashMap<String, OnnxValue>,
    name: &str,
) -> Option<(&'a [f32], &'a [usize])> {
    match constants.get(name)? {
        OnnxValue::Host(HostTensor {
            shape,
            data: HostData::F32(v),
        }) => Some((v, shape)),
        _ => None,
    }
}

/// The conv's constant weight and bias, if both are constants (or no bias).
fn folded_conv(conv: &Node, constants: &HashMap<String, OnnxValue>) -> Option<Folded> {
    let (w, ws) = host_f32(constants, conv.inputs.get(1)?)?;
    let c_out = *ws.first()?;
    if ws.len() < 3 || c_out == 0 || !w.len().is_multiple_of(c_out) {
        return None;
    }
    let bias = match conv.inputs.get(2).filter(|b| !b.is_empty()) {
        Some(b) => {
            let (b, bs) = host_f32(constants, b)?;
            if bs != [c_out] {
                return None;
            }
            b.iter().map(|&v| v as f64).collect()
        }
        None => vec![0.0; c_out],
    };
    Some(Folded {
        weight: w.iter().map(|&v| v as f64).collect(),
        bias,
        c_out,
    })
}

/// A `[c_out]` constant input of `node`.
fn channel_vector(
    constants: &HashMap<String, OnnxValue>,
    name: Option<&String>,
    c: usize,
) -> Option<Vec<f64>> {
    let (v, s) = host_f32(constants, name?)?;
    (s == [c]).then(|| v.iter().map(|&x| x as f64).collect())
}

fn fold_batch_norm(
    bn: &Node,
    cur: &str,
    constants: &HashMap<String, OnnxValue>,
    f: &mut Folded,
) -> bool {
    if bn.inputs.first().map(String::as_str) != Some(cur)
        || bn.attrs.int("training_mode", 0) != 0
        || bn.outputs.iter().skip(1).any(|o| !o.is_empty())
    {
        return false;
    }
    let c = f.c_out;
    let get = |i: usize| channel_vector(constants, bn.inputs.get(i), c);
    let (Some(scale), Some(shift), Some(mean), Some(var)) = (get(1), get(2), get(3), get(4)) else {
        return false;
    };
    let eps = bn.attrs.float("epsilon", 1e-5) as f64;
    let k: Vec<f64> = scale
        .iter()
        .zip(&var)
        .map(|(s, v)| s / (v + eps).sqrt())
        .collect();
    let t: Vec<f64> = (0..c).map(|i| shift[i] - mean[i] * k[i]).collect();
    f.scale(&k);
    f.shift(&t);
    true
}

/// Mul or Add of the conv's output by a constant that is a scalar or holds
/// one value per channel along axis 1 (right-aligned to the output's rank).
fn fold_channel_op(
    node: &Node,
    cur: &str,
    constants: &HashMap<String, OnnxValue>,
    f: &mut Folded,
    rank: usize,
) -> bool {
    let other = match node.inputs.as_slice() {
        [a, b] if a == cur && b != cur => b,
        [a, b] if b == cur && a != cur => a,
        _ => return false,
    };
    let Some((v, s)) = host_f32(constants, other) else {
        return false;
    };
    let c = f.c_out;
    let values: Vec<f64> = if v.len() == 1 && s.len() <= rank {
        vec![v[0] as f64; c]
    } else {
        // Right-aligned against the output's axes, s must be c at axis 1 and
        // 1 elsewhere, and reach axis 1.
        let k = s.len();
        let per_channel = k <= rank
            && k + 1 >= rank
            && v.len() == c
            && s.iter()
                .enumerate()
                .all(|(j, &d)| d == if rank - k + j == 1 { c } else { 1 });
        if !per_channel {
            return false;
        }
        v.iter().map(|&x| x as f64).collect()
    };
    if node.op == "Mul" {
        f.scale(&values);
    } else {
        f.shift(&values);
    }
    true
}

/// The activation `node` computes, if the conv kernel runs it.
fn activation_of(
    node: &Node,
    constants: &HashMap<String, OnnxValue>,
    opset: i64,
) -> Option<ConvActivation> {
    let a = &node.attrs;
    Some(match node.op.as_str() {
        "Relu" => ConvActivation::Relu,
        "LeakyRelu" => ConvActivation::LeakyRelu {
            alpha: a.float("alpha", 0.01),
        },
        "Sigmoid" => ConvActivation::Sigmoid,
        "HardSigmoid" => ConvActivation::HardSigmoid {
            alpha: a.float("alpha", 0.2),
            beta: a.float("beta", 0.5),
        },
        "HardSwish" => ConvActivation::HardSwish,
        "Clip" => {
            let bound = |i: usize, attr: &str, default: f32| -> Option<f32> {
                if opset < 11 {
                    return Some(a.float(attr, default));
                }
                match node.inputs.get(i).filter(|n| !n.is_empty()) {
                    None => Some(default),
                    Some(name) => match host_f32(constants, name)? {
                        (v, _) if v.len() == 1 => Some(v[0]),
                        _ => None,
                    },
                }
            };
            ConvActivation::Clip {
                min: bound(1, "min", f32::NEG_INFINITY)?,
                max: bound(2, "max", f32::INFINITY)?,
            }
        }
        _ => return None,
    })
}

/// The fused node: the conv's input, new weight and bias constants, the
/// chain's last output, the conv's window attributes and the activation.
fn rewrite(
    conv: &Node,
    f: Folded,
    act: Option<ConvActivation>,
    output: String,
    constants: &mut HashMap<String, OnnxValue>,
) -> Node {
    let fresh = |base: String, constants: &HashMap<String, OnnxValue>| {
        let mut name = base.clone();
        let mut k = 0;
        while constants.contains_key(&name) {
            k += 1;
            name = format!("{base}#{k}");
        }
        name
    };
    let w_shape = constants[&conv.inputs[1]].shape().to_vec();
    let w_name = fresh(format!("{}/fused_weight", conv.name), constants);
    let weight = HostTensor {
        shape: w_shape,
        data: HostData::F32(f.weight.iter().map(|&v| v as f32).collect()),
    };
    constants.insert(w_name.clone(), OnnxValue::Host(weight));
    let b_name = fresh(format!("{}/fused_bias", conv.name), constants);
    let bias = HostTensor {
        shape: vec![f.c_out],
        data: HostData::F32(f.bias.iter().map(|&v| v as f32).collect()),
    };
    constants.insert(b_name.clone(), OnnxValue::Host(bias));
    let mut attrs = conv.attrs.clone();
    let (name, alpha, beta) = match act.unwrap_or_default() {
        ConvActivation::None => ("None", 0.0, 0.0),
        ConvActivation::Relu => ("Relu", 0.0, 0.0),
        ConvActivation::LeakyRelu { alpha } => ("LeakyRelu", alpha, 0.0),
        ConvActivation::Clip { min, max } => ("Clip", min, max),
        ConvActivation::Sigmoid => ("Sigmoid", 0.0, 0.0),
        ConvActivation::HardSigmoid { alpha, beta } => ("HardSigmoid", alpha, beta),
        ConvActivation::HardSwish => ("HardSwish", 0.0, 0.0),
    };
    attrs.set("activation", Attr::Str(name.into()));
    attrs.set("activation_alpha", Attr::Float(alpha));
    attrs.set("activation_beta", Attr::Float(beta));
    Node {
        name: conv.name.clone(),
        op: "FusedConv".into(),
        domain: FUSED_DOMAIN.into(),
        inputs: vec![conv.inputs[0].clone(), w_name, b_name],
        outputs: vec![output],
        attrs,
    }
}
