//! Running an [`OnnxModel`]: nodes in order (each elementwise group as one
//! dispatch at its root), values dropped after their last reader, the plan
//! of a new set of input shapes recorded on its first run.

use super::{
    device_bytes_of as device_bytes, plan_key, OnnxModel, Plan, RunMemory, FLUSH_FLOOR_BYTES,
};
use crate::onnx::error::{OnnxError, OnnxResult};
use crate::onnx::exec::{run_node, Ctx, IndexMaps};
use crate::onnx::fused_run::run_group;
use crate::onnx::graph::Node;
use crate::onnx::inputs::check_inputs;
use crate::onnx::value::{HostData, OnnxValue};
use crate::tensor::Tensor;
use std::collections::HashMap;
use std::sync::Arc;
use tessera_hal::Device;

impl OnnxModel {
    /// Runs the graph on device tensors, in the order of [`OnnxModel::inputs`].
    /// Integer inputs are i32 or u32 tensors; integer outputs come back as i32
    /// tensors, booleans as u32 (0 or 1), floats as f32.
    pub fn run(&self, inputs: &[Tensor]) -> OnnxResult<Vec<Tensor>> {
        let values = inputs
            .iter()
            .map(|t| {
                if t.dtype().is_float() {
                    Ok(OnnxValue::Tensor(t.clone()))
                } else {
                    Ok(OnnxValue::Host(OnnxValue::Tensor(t.clone()).to_host()?))
                }
            })
            .collect::<OnnxResult<Vec<_>>>()?;
        let outputs = self.run_values(values)?;
        outputs.iter().map(|v| to_tensor(v, &self.device)).collect()
    }

    /// Runs the graph on values (host or device), in input order. Each
    /// value is dropped right after its last reader, so the device's buffer
    /// pool reuses its memory for later nodes.
    pub fn run_values(&self, inputs: Vec<OnnxValue>) -> OnnxResult<Vec<OnnxValue>> {
        check_inputs(&self.graph.inputs, &inputs)?;
        let key = plan_key(&inputs);
        let cached = self.plans.lock().ok().and_then(|p| p.get(&key).cloned());
        let mut env: HashMap<&str, OnnxValue> = HashMap::new();
        for (info, v) in self.graph.inputs.iter().zip(inputs) {
            env.insert(&info.name, v);
        }
        let mut plan = Plan::default();
        let mut largest_live = device_bytes(env.values());
        let mut unsubmitted = 0u64;
        let dispatches_before = self.device.stats().dispatches;
        let maps = match &cached {
            Some(p) => p.index_maps.clone(),
            None => plan.index_maps.clone(),
        };
        let uploads_before = maps.uploads();
        for (i, node) in self.graph.nodes.iter().enumerate() {
            // A group's members run with its root, which drops their dead values.
            if self.inside_group[i] {
                continue;
            }
            match self.group_at[i] {
                Some(g) => {
                    let group = &self.groups[g];
                    let lookup = |name: &str| env.get(name).or_else(|| self.constants.get(name));
                    match run_group(&self.device, group, node, lookup)? {
                        Some(value) => {
                            if cached.is_none() {
                                plan.shapes
                                    .insert(group.output.clone(), value.shape().to_vec());
                            }
                            env.insert(&node.outputs[0], value);
                        }
                        None => {
                            for &m in &group.nodes {
                                self.step(
                                    &self.graph.nodes[m],
                                    &mut env,
                                    cached.as_deref(),
                                    &mut plan,
                                    &maps,
                                )?;
                            }
                        }
                    }
                }
                None => self.step(node, &mut env, cached.as_deref(), &mut plan, &maps)?,
            }
            let live = device_bytes(env.values());
            largest_live = largest_live.max(live);
            for dead in &self.dead_after[i] {
                if let Some(v) = env.remove(dead.as_str()) {
                    unsubmitted += device_bytes(std::iter::once(&v));
                }
            }
            // Recorded work holds the buffers it binds until it is submitted:
            // submit once the dropped bytes outgrow the live set (and a floor,
            // so small graphs stay one batch), and the pool reuses them.
            if unsubmitted >= device_bytes(env.values()).max(FLUSH_FLOOR_BYTES) {
                self.device.flush().map_err(crate::Error::from)?;
                unsubmitted = 0;
            }
        }
        if let Ok(mut d) = self.last_counts.lock() {
            let dispatches = self.device.stats().dispatches - dispatches_before;
            *d = Some((dispatches, maps.uploads() - uploads_before));
        }
        if cached.is_none() {
            if let Ok(mut plans) = self.plans.lock() {
                plans.insert(key, Arc::new(plan));
            }
        }
        if let Ok(mut m) = self.last_memory.lock() {
            *m = Some(RunMemory {
                weights: device_bytes(self.constants.values()),
                largest_live,
                device_peak: self.device.stats().peak_device_bytes,
            });
        }
        self.graph
            .outputs
            .iter()
            .map(|o| {
                env.get(o.name.as_str())
                    .or_else(|| self.constants.get(&o.name))
                    .cloned()
                    .ok_or_else(|| OnnxError::DanglingInput {
                        node: "graph output".into(),
                        op: "-".into(),
                        input: o.name.clone(),
                    })
            })
            .collect()
    }

    /// The memory of the last run (`None` before any run).
    pub fn last_run_memory(&self) -> Option<RunMemory> {
        self.last_memory.lock().ok().and_then(|m| *m)
    }

    /// Runs one node (or takes its outputs from the plan's shape values) and
    /// puts its outputs in `env`; on a first run, records them in `plan`.
    fn step<'g>(
        &'g self,
        node: &'g Node,
        env: &mut HashMap<&'g str, OnnxValue>,
        cached: Option<&Plan>,
        plan: &mut Plan,
        maps: &IndexMaps,
    ) -> OnnxResult<()> {
        let known: Option<Vec<OnnxValue>> = cached.and_then(|p| {
            node.outputs
                .iter()
                .map(|o| p.shape_values.get(o).cloned())
                .collect()
        });
        let outputs = match known {
            Some(values) => values,
            None => self.run_one(node, env, maps)?,
        };
        for (name, value) in node.outputs.iter().zip(outputs) {
            if cached.is_none() {
                plan.shapes.insert(name.clone(), value.shape().to_vec());
                if self.shape_only.contains(name) && matches!(value, OnnxValue::Host(_)) {
                    plan.shape_values.insert(name.clone(), value.clone());
                }
            }
            env.insert(name, value);
        }
        Ok(())
    }

    /// Runs one node on its inputs from `env` or the constants.
    fn run_one(
        &self,
        node: &Node,
        env: &HashMap<&str, OnnxValue>,
        maps: &IndexMaps,
    ) -> OnnxResult<Vec<OnnxValue>> {
        let inputs = node
            .inputs
            .iter()
            .map(|name| {
                if name.is_empty() {
                    return Ok(None);
                }
                env.get(name.as_str())
                    .or_else(|| self.constants.get(name))
                    .cloned()
                    .map(Some)
                    .ok_or_else(|| OnnxError::DanglingInput {
                        node: node.name.clone(),
                        op: node.op.clone(),
                        input: name.clone(),
                    })
            })
            .collect::<OnnxResult<Vec<_>>>()?;
        run_node(Ctx {
            device: &self.device,
            node,
            opset: self.graph.opset,
            inputs,
            maps: Some(maps),
            tables_used: Default::default(),
        })
    }
}

/// A value as a device tensor: floats as f32, integers as i32, booleans as u32.
fn to_tensor(v: &OnnxValue, device: &Arc<dyn Device>) -> OnnxResult<Tensor> {
    let h = match v {
        OnnxValue::Tensor(t) => return Ok(t.clone()),
        OnnxValue::Host(h) => h,
    };
    Ok(match &h.data {
        HostData::F32(x) => Tensor::from_slice(device, x, &h.shape)?,
        HostData::Bool(x) => {
            let x: Vec<u32> = x.iter().map(|&b| u32::from(b)).collect();
            Tensor::from_slice(device, &x, &h.shape)?
        }
        HostData::I64(x) => {
            let x = x
                .iter()
                .map(|&i| i32::try_from(i))
                .collect::<Result<Vec<i32>, _>>()
                .map_err(|_| OnnxError::BadInput {
                    name: "(output)".into(),
                    message: "an integer output exceeds i32; use run_values".into(),
                })?;
            Tensor::from_slice(device, &x, &h.shape)?
        }
    })
}
