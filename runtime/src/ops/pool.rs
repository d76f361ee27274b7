//! Max and average pooling (ONNX's MaxPool and AveragePool): 1 to 3 spatial
//! dims, strides, dilations, padding, floor or ceiling output sizes.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::launch::{launch, to_u32};
use super::window::{check_input, output_spatial, window_params};
use crate::error::Result;
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::{
    elementwise_workgroups, DType, KernelSpec, PoolMode, PoolSpec, WindowGeometry,
};

/// The declaration of `pool` (see [`OpDeclaration`]).
pub(crate) const POOL: OpDeclaration = OpDeclaration {
    name: "pool",
    summary: "max and average pooling (1-3 spatial dims), padding counted or not, ceil mode",
    api: "Tensor::pool",
    reference: "reference::pool",
    dtypes: &[DType::F32],
    tolerance: "F32_EXACTISH",
    kernels: &[KernelCandidate {
        name: "direct",
        spec: "PoolSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::pool,
};

impl Tensor {
    /// `mode` pooling of `self` `[n, c, ...spatial]` (1 to 3 spatial dims)
    /// over windows of `geom`; each output spatial dim is
    /// [`WindowGeometry::output_len`], rounded up when `ceil`. f32 only.
    pub fn pool(&self, mode: PoolMode, geom: &WindowGeometry, ceil: bool) -> Result<Tensor> {
        let op = "pool";
        check_input(op, self, geom)?;
        let out_spatial = output_spatial(op, self, geom, ceil)?;
        let mut out_shape = self.shape()[..2].to_vec();
        out_shape.extend_from_slice(&out_spatial);
        let out = Tensor::uninit(self.device(), DType::F32, &out_shape, op)?;
        if out.numel() == 0 {
            return Ok(out);
        }
        let x = self.contiguous()?;
        if host_ops::runs_on_host(x.device()) {
            host_ops::pool(&x, mode, geom, &out)?;
            return Ok(out);
        }
        let mut params = window_params(op, x.shape(), &out_spatial, geom)?;
        params.total = to_u32(op, out.numel())?;
        params.n = to_u32(op, x.shape()[0] * x.shape()[1])?;
        params.c_in = 1;
        params.c_out = 1;
        params.groups = 1;
        params.x_off = to_u32(op, x.offset())?;
        params.mode = mode.code();
        launch(
            op,
            x.device(),
            &PoolSpec { dtype: DType::F32 }.rendered(),
            &[x.buffer(), out.buffer()],
            &params,
            elementwise_workgroups(out.numel() as u64),
        )?;
        Ok(out)
    }
}
