//! [`OnnxModel`]: a checked graph on a device. At load every operator is
//! checked to be supported, constants are folded and float constants
//! uploaded once. At run, the values that depend only on the input shapes
//! (shape arithmetic) are computed once per set of input shapes and cached
//! with that set's plan.

use super::error::{OnnxError, OnnxResult};
use super::exec::{is_supported, run_node, unsupported_use, Ctx, IndexMaps};
use super::fuse::fuse_conv_chains;
use super::fuse_elementwise::{elementwise_groups, FusedGroup};
use super::graph::{build_graph, decode_model, read_model_bytes, Graph, ValueInfo};
use super::value::OnnxValue;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use tessera_hal::Device;

/// Dropped intermediates wait for a submit before the pool can reuse them;
/// the runner submits once they pass the live set and this many bytes.
const FLUSH_FLOOR_BYTES: u64 = 8 << 20;

/// How a model is prepared at load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoadOptions {
    /// Fuse each Conv with the BatchNormalization, per-channel Mul/Add and
    /// activation after it into one dispatch, and each tree of elementwise
    /// nodes into one `fused_map` dispatch (on by default).
    pub fuse: bool,
}

impl Default for LoadOptions {
    fn default() -> LoadOptions {
        LoadOptions { fuse: true }
    }
}

/// The values computed once for one set of input shapes.
#[derive(Default)]
struct Plan {
    /// Host values of shape-only nodes, by value name.
    shape_values: HashMap<String, OnnxValue>,
    /// Every value's shape, as inferred on the first run with these shapes.
    shapes: HashMap<String, Vec<usize>>,
    /// The device index maps and small tables of layout nodes, uploaded on
    /// the first run with these shapes and reused after.
    index_maps: Arc<IndexMaps>,
}

/// What a plan depends on: each input's shape, and the elements of integer
/// inputs (which may feed shapes).
type PlanKey = Vec<(Vec<usize>, Option<Vec<i64>>)>;

/// An ONNX model loaded onto a device.
pub struct OnnxModel {
    device: Arc<dyn Device>,
    graph: Graph,
    constants: HashMap<String, OnnxValue>,
    /// Values that depend on the input shapes only, not on their elements.
    shape_only: HashSet<String>,
    /// For each node (by index), the values it is the last reader of (or
    /// produces unread), a group's members counted at its root: dropped
    /// right after it, so the pool reuses their buffers. Graph outputs are
    /// never dropped.
    dead_after: Vec<Vec<String>>,
    plans: Mutex<HashMap<PlanKey, Arc<Plan>>>,
    /// The elementwise groups, each run as one `fused_map` at its root.
    groups: Vec<FusedGroup>,
    /// For each node: `Some(g)` at the root of group g, `None` elsewhere.
    group_at: Vec<Option<usize>>,
    /// For each node: whether it is a group member other than its root
    /// (it runs with the root).
    inside_group: Vec<bool>,
    /// The memory of the last run.
    last_memory: Mutex<Option<RunMemory>>,
    /// The dispatches and table uploads the last run recorded.
    last_counts: Mutex<Option<(u64, u64)>>,
}

/// Device memory of one run (bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMemory {
    /// The uploaded constants (weights).
    pub weights: u64,
    /// The most bytes of device values (inputs and intermediates) alive at
    /// once during the run, after each node's dead values were dropped.
    pub largest_live: u64,
    /// The device's peak of bytes held (in use and pooled) since it was
    /// opened, read after the run.
    pub device_peak: u64,
}

impl OnnxModel {
    /// Loads, checks and prepares the model at `path` (external data beside it).
    pub fn load(path: impl AsRef<Path>, device: &Arc<dyn Device>) -> OnnxResult<OnnxModel> {
        let path = path.as_ref();
        let bytes = read_model_bytes(path)?;
        OnnxModel::from_bytes(&bytes, path.parent(), device)
    }

    /// Loads a model from its bytes; `dir` is where external data lives.
    pub fn from_bytes(
        bytes: &[u8],
        dir: Option<&Path>,
        device: &Arc<dyn Device>,
    ) -> OnnxResult<OnnxModel> {
        OnnxModel::from_bytes_with(bytes, dir, device, LoadOptions::default())
    }

    /// Loads a model from its bytes with `options`.
    pub fn from_bytes_with(
        bytes: &[u8],
        dir: Option<&Path>,
        device: &Arc<dyn Device>,
        options: LoadOptions,
    ) -> OnnxResult<OnnxModel> {
        let graph = build_graph(&decode_model(bytes)?, dir)?;
        for node in &graph.nodes {
            if !is_supported(&node.domain, &node.op) {
                return Err(OnnxError::UnsupportedOp {
                    op: node.op.clone(),
                    domain: if node.domain.is_empty() {
                        String::new()
                    } else {
                        format!("{}.", node.domain)
                    },
                    opset: graph.opset,
                    node: node.name.clone(),
                });
            }
            if let Some(what) = unsupported_use(node) {
                return Err(OnnxError::UnsupportedAttr {
                    node: node.name.clone(),
                    op: node.op.clone(),
                    what,
                });
            }
        }
        let mut model = OnnxModel {
            device: device.clone(),
            constants: HashMap::new(),
            shape_only: HashSet::new(),
            dead_after: Vec::new(),
            plans: Mutex::new(HashMap::new()),
            groups: Vec::new(),
            group_at: Vec::new(),
            inside_group: Vec::new(),
            last_memory: Mutex::new(None),
            last_counts: Mutex::new(None),
            graph,
        };
        model.fold_constants(options)?;
        model.shape_only = model.shape_only_values();
        let n = model.graph.nodes.len();
        model.group_at = vec![None; n];
        model.inside_group = vec![false; n];
        // Where each node runs: a group's members at its root.
        let mut at: Vec<usize> = (0..n).collect();
        for (g, group) in model.groups.iter().enumerate() {
            if let Some((&root, rest)) = group.nodes.split_last() {
                model.group_at[root] = Some(g);
                for &m in rest {
                    model.inside_group[m] = true;
                    at[m] = root;
                }
            }
        }
        model.dead_after = super::liveness::dead_after_at(&model.graph, &at);
        Ok(model)
    }

    /// The graph inputs the caller gives, in order.
    pub fn inputs(&self) -> &[ValueInfo] {
        &self.graph.inputs
    }

    /// The graph outputs, in order.
    pub fn outputs(&self) -> &[ValueInfo] {
        &self.graph.outputs
    }

    /// How many nodes run (after constant folding and conv fusion).
    pub fn node_count(&self) -> usize {
        self.graph.nodes.len()
    }

    /// The elementwise groups fused at load and the nodes in them: each
    /// group runs as one dispatch when its operands are floats.
    pub fn fused_groups(&self) -> (usize, usize) {
        let nodes = self.groups.iter().map(|g| g.nodes.len()).sum();
        (self.groups.len(), nodes)
    }

    /// The dispatches the last run recorded (`None` before any run; 0 on
    /// the CPU backend, which runs ops without dispatches). Read from the
    /// device's counter: work of other threads on the device counts too.
    pub fn last_run_dispatches(&self) -> Option<u64> {
        self.last_counts.lock().ok().and_then(|d| *d).map(|c| c.0)
    }

    /// The index maps and other tables of layout nodes (Pad, Tile, Resize,
    /// GatherElements, ...) the last run uploaded: a run with the shapes of
    /// an earlier one reuses that plan's and uploads none that are unchanged.
    pub fn last_run_index_uploads(&self) -> Option<u64> {
        self.last_counts.lock().ok().and_then(|d| *d).map(|c| c.1)
    }

    /// The multiply-adds x 2 of the graph's Conv, ConvTranspose, Gemm and
    /// MatMul nodes for `inputs`' shapes (`None` before a run with them): the
    /// FLOP count benchmarks divide by.
    pub fn matmul_flops(&self, inputs: &[OnnxValue]) -> Option<u64> {
        let plans = self.plans.lock().ok()?;
        let plan = plans.get(&plan_key(inputs))?;
        let shape = |name: &str| -> Option<Vec<usize>> {
            plan.shapes
                .get(name)
                .cloned()
                .or_else(|| self.constants.get(name).map(|c| c.shape().to_vec()))
                .or_else(|| {
                    let i = self.graph.inputs.iter().position(|v| v.name == name)?;
                    Some(inputs.get(i)?.shape().to_vec())
                })
        };
        let mut flops = 0u64;
        for node in &self.graph.nodes {
            let numel =
                |name: &str| -> Option<u64> { Some(shape(name)?.iter().product::<usize>() as u64) };
            let macs = match node.op.as_str() {
                // Each output takes (c_in / groups) * kernel products.
                "Conv" | "FusedConv" => {
                    let per: usize = shape(&node.inputs[1])?[1..].iter().product();
                    numel(node.outputs.first()?)? * per as u64
                }
                // Each input feeds (c_out / groups) * kernel products.
                "ConvTranspose" => {
                    let per: usize = shape(&node.inputs[1])?[1..].iter().product();
                    numel(&node.inputs[0])? * per as u64
                }
                "Gemm" | "MatMul" => {
                    let a = shape(&node.inputs[0])?;
                    let trans_a = node.op == "Gemm" && node.attrs.int("transA", 0) != 0;
                    let k = if trans_a { a[0] } else { *a.last()? };
                    numel(node.outputs.first()?)? * k as u64
                }
                _ => 0,
            };
            flops += 2 * macs;
        }
        Some(flops)
    }

    /// How many sets of input shapes have a cached plan.
    pub fn plan_count(&self) -> usize {
        self.plans.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// The shape of value `name` as the plan for `inputs`' shapes inferred it
    /// (`None` before a run with those shapes).
    pub fn planned_shape(&self, inputs: &[OnnxValue], name: &str) -> Option<Vec<usize>> {
        let plans = self.plans.lock().ok()?;
        plans.get(&plan_key(inputs))?.shapes.get(name).cloned()
    }

    /// Runs every node whose inputs are all constants once, keeps its outputs
    /// as constants and drops it; fuses conv chains (`options.fuse`), drops
    /// the constants no node reads any more; then uploads every float constant.
    fn fold_constants(&mut self, options: LoadOptions) -> OnnxResult<()> {
        let mut constants: HashMap<String, OnnxValue> =
            std::mem::take(&mut self.graph.initializers)
                .into_iter()
                .map(|(k, v)| (k, OnnxValue::Host(v)))
                .collect();
        let mut kept = Vec::new();
        for node in std::mem::take(&mut self.graph.nodes) {
            let foldable = node
                .inputs
                .iter()
                .all(|i| i.is_empty() || constants.contains_key(i));
            if !foldable {
                kept.push(node);
                continue;
            }
            let inputs = node
                .inputs
                .iter()
                .map(|i| constants.get(i).cloned())
                .collect();
            let ctx = Ctx {
                device: &self.device,
                node: &node,
                opset: self.graph.opset,
                inputs,
                maps: None,
                tables_used: Default::default(),
            };
            for (name, value) in node.outputs.iter().zip(run_node(ctx)?) {
                constants.insert(name.clone(), value);
            }
        }
        self.graph.nodes = kept;
        if options.fuse {
            let opset = self.graph.opset;
            fuse_conv_chains(&mut self.graph, &mut constants, opset);
            self.groups = elementwise_groups(&self.graph, &constants, opset);
            let read: HashSet<&String> = self
                .graph
                .nodes
                .iter()
                .flat_map(|n| n.inputs.iter())
                .chain(self.graph.outputs.iter().map(|o| &o.name))
                .collect();
            constants.retain(|name, _| read.contains(name));
        }
        for value in constants.values_mut() {
            if let OnnxValue::Host(h) = value {
                if h.is_float() {
                    *value = OnnxValue::Tensor(value.to_device(&self.device)?);
                }
            }
        }
        self.constants = constants;
        Ok(())
    }

    /// Values computed from shapes and constants only.
    fn shape_only_values(&self) -> HashSet<String> {
        let mut set: HashSet<String> = HashSet::new();
        for node in &self.graph.nodes {
            let from_shape = matches!(node.op.as_str(), "Shape" | "Size");
            let all_static = node
                .inputs
                .iter()
                .all(|i| i.is_empty() || set.contains(i) || self.constants.contains_key(i));
            if from_shape || all_static {
                set.extend(node.outputs.iter().cloned());
            }
        }
        set
    }
}

fn plan_key(inputs: &[OnnxValue]) -> PlanKey {
    inputs
        .iter()
        .map(|v| match v {
            OnnxValue::Host(h) if !h.is_float() => (h.shape.clone(), Some(h.to_i64())),
            _ => (v.shape().to_vec(), None),
        })
        .collect()
}

/// Bytes of the device tensors among `values`.
fn device_bytes_of<'a>(values: impl Iterator<Item = &'a OnnxValue>) -> u64 {
    values
        .map(|v| match v {
            OnnxValue::Tensor(t) => (t.numel() * t.dtype().size_in_bytes()) as u64,
            OnnxValue::Host(_) => 0,
        })
        .sum()
}

#[path = "model_run.rs"]
mod run;
