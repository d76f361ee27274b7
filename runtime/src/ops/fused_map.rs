//! `fused_map`: a chain or tree of elementwise steps over several broadcast
//! inputs in one dispatch (the ONNX runner fuses elementwise subgraphs into it).

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise::require_float;
use super::launch::{launch, pad8, same_device, to_u32};
use super::row_blocks::{all_fit, shape_fits, stacked};
use crate::error::{Error, Result};
use crate::host_ops;
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::{
    elementwise_workgroups, DType, FusedMapParams, FusedMapSpec, FusedProgram, KernelSpec,
    FUSED_MAX_INPUTS,
};

/// The declaration of `fused_map` (see [`OpDeclaration`]).
pub(crate) const FUSED_MAP: OpDeclaration = OpDeclaration {
    name: "fused_map",
    summary: "a program of unary, binary, select and constant steps over up to 7 broadcast inputs, one dispatch",
    api: "fused_map",
    reference: "reference::fused_map",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "FusedMapSpec",
        needs: Needs::NOTHING,
        when: "any (one kernel per distinct program)",
    }],
    tuned: false,
    conformance: crate::conformance::fused_map,
};

/// `program(inputs)` elementwise: every input broadcast (numpy rules) to the
/// common shape, each step computed in f32, the result in the inputs' dtype.
/// The program reads input `k` as `inputs[k]`; it must read exactly
/// `inputs.len()` inputs (at most [`FUSED_MAX_INPUTS`]), all of one float dtype
/// on one device.
pub fn fused_map(inputs: &[&Tensor], program: &FusedProgram) -> Result<Tensor> {
    let op = "fused_map";
    if inputs.is_empty() || inputs.len() > FUSED_MAX_INPUTS || program.inputs() != inputs.len() {
        return Err(Error::InvalidArgument {
            op,
            message: format!(
                "{} inputs given, the program reads {} (1 to {FUSED_MAX_INPUTS})",
                inputs.len(),
                program.inputs()
            ),
        });
    }
    same_device(op, inputs)?;
    let first = inputs[0];
    for t in inputs {
        require_float(op, t)?;
        if t.dtype() != first.dtype() {
            return Err(Error::DType {
                op,
                expected: first.dtype().to_string(),
                found: t.dtype(),
            });
        }
    }
    let mut shape = Vec::new();
    for t in inputs {
        shape = broadcast_shapes(op, &shape, t.shape())?;
    }
    let device = first.device();
    let fits = all_fit(inputs) && shape_fits(device, &shape, first.dtype());
    if !fits && !host_ops::runs_on_host(device) {
        let full = inputs
            .iter()
            .map(|t| t.broadcast_to(&shape))
            .collect::<Result<Vec<_>>>()?;
        let refs: Vec<&Tensor> = full.iter().collect();
        return stacked(op, false, &refs, &shape, first.dtype(), |p| {
            fused_map(&p.iter().collect::<Vec<_>>(), program)
        });
    }
    let out = Tensor::uninit(device, first.dtype(), &shape, op)?;
    if host_ops::runs_on_host(device) {
        host_ops::fused_map(program, inputs, &out)?;
        return Ok(out);
    }
    if out.numel() == 0 {
        return Ok(out);
    }
    let views = inputs
        .iter()
        .map(|t| t.broadcast_to(&shape))
        .collect::<Result<Vec<_>>>()?;
    let strides: Vec<&[usize]> = views.iter().map(|v| v.strides()).collect();
    let (dims, strides) = coalesce(&shape, &strides);
    let mut params = FusedMapParams {
        n: to_u32(op, out.numel())?,
        rank: dims.len() as u32,
        shape: pad8(op, &dims)?,
        ..Default::default()
    };
    for (k, v) in views.iter().enumerate() {
        params.offsets[k] = to_u32(op, v.offset())?;
        params.strides[k * 8..k * 8 + 8].copy_from_slice(&pad8(op, &strides[k])?);
    }
    let source = FusedMapSpec {
        program: *program,
        dtype: first.dtype(),
    }
    .rendered();
    let mut buffers: Vec<_> = views.iter().map(|v| v.buffer()).collect();
    buffers.push(out.buffer());
    launch(
        op,
        device,
        &source,
        &buffers,
        &params,
        elementwise_workgroups(out.numel() as u64),
    )?;
    Ok(out)
}

/// The output's dims with size-1 dims dropped and neighbours merged where
/// every input steps through both as through one (the output is contiguous,
/// so its linear index splits the same way), and each input's strides over
/// them: contiguous same-shape inputs become one dim, a row broadcast two.
fn coalesce(shape: &[usize], strides: &[&[usize]]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut dims: Vec<usize> = Vec::new();
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for d in (0..shape.len()).rev() {
        if shape[d] == 1 {
            continue;
        }
        let merges = dims.last().is_some_and(|&inner| {
            strides
                .iter()
                .zip(&out)
                .all(|(s, o)| o.last().is_some_and(|&os| s[d] == os * inner))
        });
        if merges {
            if let Some(inner) = dims.last_mut() {
                *inner *= shape[d];
            }
            continue;
        }
        dims.push(shape[d]);
        for (o, s) in out.iter_mut().zip(strides) {
            o.push(s[d]);
        }
    }
    dims.reverse();
    out.iter_mut().for_each(|o| o.reverse());
    (dims, out)
}

#[cfg(test)]
mod tests {
    use super::coalesce;

    #[test]
    fn contiguous_inputs_collapse_and_broadcasts_keep_their_dims() {
        // Two contiguous [2, 3, 4] inputs: one dim of 24.
        let c: &[usize] = &[12, 4, 1];
        assert_eq!(
            coalesce(&[2, 3, 4], &[c, c]),
            (vec![24], vec![vec![1], vec![1]])
        );
        // A [4] row broadcast over [2, 3, 4]: [6, 4].
        let row: &[usize] = &[0, 0, 1];
        assert_eq!(
            coalesce(&[2, 3, 4], &[c, row]),
            (vec![6, 4], vec![vec![4, 1], vec![0, 1]])
        );
        // A [2, 1, 4] input over [2, 3, 4]: nothing merges; size-1 dims drop.
        let mid: &[usize] = &[4, 0, 1];
        assert_eq!(coalesce(&[2, 3, 4], &[c, mid]).0, vec![2, 3, 4]);
        assert_eq!(
            coalesce(&[1, 5, 1], &[&[5, 1, 1]]),
            (vec![5], vec![vec![1]])
        );
        assert_eq!(coalesce(&[1, 1], &[&[1, 1]]), (vec![], vec![vec![]]));
    }
}
