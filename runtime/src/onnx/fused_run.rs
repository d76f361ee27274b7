//! Running one [`FusedGroup`]: its inputs checked and brought to the device,
//! then one `fused_map` dispatch.

use super::error::{OnnxError, OnnxResult};
use super::fuse_elementwise::{FusedGroup, LeafRole};
use super::graph::Node;
use super::value::OnnxValue;
use crate::tensor::Tensor;
use std::sync::Arc;
use tessera_hal::Device;
use tessera_kernels::FusedStep;

/// The group's output, or `None` when its inputs are not all floats where
/// the program computes on them (integer shape arithmetic, or mixed float
/// dtypes): the caller then runs the member nodes one by one.
pub(crate) fn run_group<'a>(
    device: &Arc<dyn Device>,
    group: &FusedGroup,
    root: &Node,
    lookup: impl Fn(&str) -> Option<&'a OnnxValue>,
) -> OnnxResult<Option<OnnxValue>> {
    let mut tensors: Vec<Tensor> = Vec::with_capacity(group.leaves.len());
    for (name, role) in &group.leaves {
        let value = lookup(name).ok_or_else(|| OnnxError::DanglingInput {
            node: root.name.clone(),
            op: root.op.clone(),
            input: name.clone(),
        })?;
        if *role == LeafRole::Value && !value.is_float() {
            return Ok(None);
        }
        tensors.push(value.to_device(device)?);
    }
    if tensors.windows(2).any(|w| w[0].dtype() != w[1].dtype()) {
        return Ok(None);
    }
    let refs: Vec<&Tensor> = tensors.iter().collect();
    // One unary step (GELU recognized at load): the unary op's kernels.
    let out = match group.program.steps() {
        [FusedStep::Input(0), FusedStep::Unary(op, 0)] => refs[0].unary(*op),
        _ => crate::ops::fused_map(&refs, &group.program),
    };
    let out = out.map_err(|e| OnnxError::Op {
        node: root.name.clone(),
        op: format!("{} (fused with {} more)", root.op, group.nodes.len() - 1),
        source: Box::new(e),
    })?;
    Ok(Some(OnnxValue::Tensor(out)))
}
