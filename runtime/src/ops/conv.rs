//! Convolution and transposed convolution (ONNX's Conv and ConvTranspose):
//! 1 to 3 spatial dims, strides, dilations, padding, channel groups, an
//! optional bias and an activation, all in one dispatch.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::launch::{launch, same_device, to_u32};
use super::window::{check_input, output_spatial, require_f32, window_params};
use crate::error::{Result, ShapeError};
use crate::host_ops;
use crate::tensor::Tensor;
use tessera_kernels::{
    elementwise_workgroups, ConvActivation, ConvGemmConfig, ConvGemmSpec, ConvSpec,
    ConvTransposeSpec, DType, KernelSpec, WindowGeometry, CONV_CHANNELS_PER_THREAD,
    CONV_GEMM_CONFIGS, CONV_POSITIONS_PER_THREAD,
};

/// The declaration of `conv` (see [`OpDeclaration`]).
pub(crate) const CONV: OpDeclaration = OpDeclaration {
    name: "conv",
    summary: "N-d convolution (1-3 spatial dims), groups, dilations, padding, bias and activation",
    api: "Tensor::conv",
    reference: "reference::conv",
    dtypes: &[DType::F32],
    tolerance: "matmul_f32(taps)",
    kernels: &[
        KernelCandidate {
            name: "implicit_gemm",
            spec: "ConvGemmSpec",
            needs: Needs::NOTHING,
            when: "at least 16 output channels per group and 16 products per output",
        },
        KernelCandidate {
            name: "direct",
            spec: "ConvSpec",
            needs: Needs::NOTHING,
            when: "any (depthwise and narrow groups)",
        },
    ],
    tuned: false,
    conformance: crate::conformance::conv,
};

/// The declaration of `conv_transpose` (see [`OpDeclaration`]).
pub(crate) const CONV_TRANSPOSE: OpDeclaration = OpDeclaration {
    name: "conv_transpose",
    summary: "N-d transposed convolution (1-3 spatial dims), groups, dilations, padding, bias",
    api: "Tensor::conv_transpose",
    reference: "reference::conv_transpose",
    dtypes: &[DType::F32],
    tolerance: "matmul_f32(taps)",
    kernels: &[KernelCandidate {
        name: "gather",
        spec: "ConvTransposeSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::conv_transpose,
};

/// A kernel of `conv`, to force one ([`Tensor::conv_with_kernel`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvKernel {
    /// The direct kernel ([`ConvSpec`]): a register block of 4 channels by 4
    /// positions per thread, no workgroup memory.
    Direct,
    /// The implicit GEMM ([`ConvGemmSpec`]) with this tile.
    ImplicitGemm(ConvGemmConfig),
}

/// Which of the two convolutions (a forward one with its forced kernel).
#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Forward(Option<ConvKernel>),
    Transposed,
}

impl Tensor {
    /// `activation(conv(self, weight) + bias)`: `self` is `[n, c_in, ...spatial]`
    /// (1 to 3 spatial dims), `weight` `[c_out, c_in / groups, ...kernel]`,
    /// `bias` `[c_out]`; the output is `[n, c_out, ...]` with each spatial dim
    /// [`WindowGeometry::output_len`] (rounded down). f32 only.
    pub fn conv(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        groups: usize,
        geom: &WindowGeometry,
        act: ConvActivation,
    ) -> Result<Tensor> {
        self.conv_with_kernel(weight, bias, groups, geom, act, None)
    }

    /// [`Tensor::conv`] with the kernel forced (`Some`) or chosen from the
    /// shape and adapter (`None`). Every kernel takes every shape, except an
    /// implicit GEMM whose grid would pass the dispatch limit
    /// ([`crate::Error::VariantUnavailable`]); the CPU backend runs its
    /// reference whatever is asked.
    pub fn conv_with_kernel(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        groups: usize,
        geom: &WindowGeometry,
        act: ConvActivation,
        kernel: Option<ConvKernel>,
    ) -> Result<Tensor> {
        let op = "conv";
        let out_spatial = output_spatial(op, self, geom, false)?;
        let c_out = weight.shape().first().copied().unwrap_or(0);
        check_operands(op, self, weight, bias, groups, geom, c_out)?;
        if weight.shape()[1].checked_mul(groups) != Some(self.shape()[1])
            || !c_out.is_multiple_of(groups)
        {
            return Err(ShapeError::new(
                op,
                format!(
                    "weight must be [c_out, c_in / {groups}, ...] with c_out divisible by groups"
                ),
                &[self.shape(), weight.shape()],
            )
            .into());
        }
        let ops = (self, weight, bias, groups, geom, act);
        run(op, Direction::Forward(kernel), ops, c_out, &out_spatial)
    }

    /// `activation(conv_transpose(self, weight) + bias)`: `self` is
    /// `[n, c_in, ...spatial]`, `weight` `[c_in, c_out / groups, ...kernel]`,
    /// `bias` `[c_out]`; spatial dim `i` of the output is
    /// `stride * (len - 1) + output_padding + dilation * (kernel - 1) + 1 -
    /// pads_begin - pads_end`. f32 only.
    pub fn conv_transpose(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        groups: usize,
        geom: &WindowGeometry,
        output_padding: &[usize],
    ) -> Result<Tensor> {
        let op = "conv_transpose";
        check_input(op, self, geom)?;
        let c_out = weight
            .shape()
            .get(1)
            .copied()
            .unwrap_or(0)
            .saturating_mul(groups);
        check_operands(op, self, weight, bias, groups, geom, c_out)?;
        if weight.shape()[0] != self.shape()[1] || !self.shape()[1].is_multiple_of(groups) {
            return Err(ShapeError::new(
                op,
                format!(
                    "weight must be [c_in, c_out / {groups}, ...] with c_in divisible by groups"
                ),
                &[self.shape(), weight.shape()],
            )
            .into());
        }
        let mut out_spatial = Vec::new();
        for (i, &len) in self.shape()[2..].iter().enumerate() {
            let pad = output_padding.get(i).copied().unwrap_or(0);
            let full = len
                .saturating_sub(1)
                .checked_mul(geom.strides[i])
                .and_then(|v| v.checked_add(pad))
                .and_then(|v| v.checked_add(geom.span(i)?));
            let out = full
                .and_then(|v| v.checked_sub(geom.pads_begin[i] + geom.pads_end[i]))
                .filter(|&v| v > 0 && output_padding.len() <= geom.rank());
            match out {
                Some(o) => out_spatial.push(o),
                None => {
                    return Err(ShapeError::new(
                        op,
                        format!("no output for spatial dim {i}: pads or output_padding too large"),
                        &[self.shape(), weight.shape(), output_padding],
                    )
                    .into())
                }
            }
        }
        let ops = (self, weight, bias, groups, geom, ConvActivation::None);
        run(op, Direction::Transposed, ops, c_out, &out_spatial)
    }
}

/// Checks shared by both directions: f32 operands on one device, the weight
/// of the window's rank and kernel, groups, and a `[c_out]` bias.
fn check_operands(
    op: &'static str,
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    groups: usize,
    geom: &WindowGeometry,
    c_out: usize,
) -> Result<()> {
    check_input(op, x, geom)?;
    same_device(op, &[x, weight])?;
    require_f32(op, weight)?;
    let shapes = [x.shape(), weight.shape()];
    if weight.rank() != x.rank() || weight.shape()[2..] != geom.kernel[..] {
        return Err(
            ShapeError::new(op, "weight's spatial dims must be the kernel's", &shapes).into(),
        );
    }
    if groups == 0 || c_out == 0 {
        return Err(
            ShapeError::new(op, "groups and output channels must be positive", &shapes).into(),
        );
    }
    if let Some(b) = bias {
        same_device(op, &[x, b])?;
        require_f32(op, b)?;
        if b.shape() != [c_out] {
            return Err(ShapeError::new(
                op,
                format!("bias must be [{c_out}]"),
                &[x.shape(), b.shape()],
            )
            .into());
        }
    }
    Ok(())
}

type Operands<'a> = (
    &'a Tensor,
    &'a Tensor,
    Option<&'a Tensor>,
    usize,
    &'a WindowGeometry,
    ConvActivation,
);

/// Allocates the output and runs either direction, on the host or the device.
fn run(
    op: &'static str,
    dir: Direction,
    (x, weight, bias, groups, geom, act): Operands,
    c_out: usize,
    out_spatial: &[usize],
) -> Result<Tensor> {
    let mut out_shape = vec![x.shape()[0], c_out];
    out_shape.extend_from_slice(out_spatial);
    let out = Tensor::uninit(x.device(), DType::F32, &out_shape, op)?;
    if out.numel() == 0 {
        return Ok(out);
    }
    let (x, weight) = (x.contiguous()?, weight.contiguous()?);
    let bias = bias.map(Tensor::contiguous).transpose()?;
    if host_ops::runs_on_host(x.device()) {
        let t = host_ops::ConvTensors {
            x: &x,
            weight: &weight,
            bias: bias.as_ref(),
            groups,
            out: &out,
        };
        return match dir {
            Direction::Forward(_) => host_ops::conv(t, geom, act),
            Direction::Transposed => host_ops::conv_transpose(t, geom),
        }
        .map(|()| out);
    }
    let mut params = window_params(op, x.shape(), out_spatial, geom)?;
    let (mode, alpha, beta) = act.code();
    let plane: usize = out_spatial.iter().product();
    (params.mode, params.alpha, params.beta) = (mode, alpha, beta);
    params.c_in = to_u32(op, x.shape()[1])?;
    params.c_out = to_u32(op, c_out)?;
    params.groups = to_u32(op, groups)?;
    params.x_off = to_u32(op, x.offset())?;
    params.w_off = to_u32(op, weight.offset())?;
    params.b_off = to_u32(op, bias.as_ref().map_or(0, Tensor::offset))?;
    params.has_bias = u32::from(bias.is_some());
    let b = bias.as_ref().unwrap_or(&weight);
    let buffers = [x.buffer(), weight.buffer(), b.buffer(), out.buffer()];
    if let Direction::Forward(kernel) = dir {
        if let Some((spec, grid)) = implicit_gemm(&x, &weight, groups, plane, kernel)? {
            launch(
                op,
                x.device(),
                &spec.rendered(),
                &buffers,
                &params,
                Some(grid),
            )?;
            return Ok(out);
        }
    }
    let threads = match dir {
        Direction::Forward(_) => {
            let blocks = (c_out / groups).div_ceil(CONV_CHANNELS_PER_THREAD);
            let width = *out_spatial.last().unwrap_or(&1);
            let rows = plane / width.max(1);
            x.shape()[0] * groups * blocks * rows * width.div_ceil(CONV_POSITIONS_PER_THREAD)
        }
        Direction::Transposed => out.numel(),
    };
    params.total = to_u32(op, threads)?;
    let source = match dir {
        Direction::Forward(_) => ConvSpec { dtype: DType::F32 }.rendered(),
        Direction::Transposed => ConvTransposeSpec { dtype: DType::F32 }.rendered(),
    };
    launch(
        op,
        x.device(),
        &source,
        &buffers,
        &params,
        elementwise_workgroups(threads as u64),
    )?;
    Ok(out)
}

/// The implicit-GEMM kernel and its grid, or `None` for the direct kernel.
/// Unforced, the implicit GEMM runs when the product is wide enough for its
/// tiles to pay ([`CONV`]'s `implicit_gemm` candidate: at least 16 output
/// channels per group and 16 products per output, `c_in / groups * taps`),
/// software adapters taking the fat-thread tile and GPUs 256 threads; on a
/// software WebGPU adapter (SwiftShader under Tint) the direct kernel, as the
/// unrolled tiles there cost minutes to compile and lost the device in the
/// browser suite.
fn implicit_gemm(
    x: &Tensor,
    weight: &Tensor,
    groups: usize,
    pixels: usize,
    kernel: Option<ConvKernel>,
) -> Result<Option<(ConvGemmSpec, [u32; 3])>> {
    let cout_g = weight.shape()[0] / groups;
    let products: usize = weight.shape()[1..].iter().product();
    let config = match kernel {
        Some(ConvKernel::Direct) => return Ok(None),
        Some(ConvKernel::ImplicitGemm(config)) => config,
        None if cout_g < 16 || products < 16 => return Ok(None),
        None if x.device().adapter().is_software_webgpu() => return Ok(None),
        None => CONV_GEMM_CONFIGS[usize::from(!x.device().adapter().features.host_memory)],
    };
    let spec = ConvGemmSpec {
        dtype: DType::F32,
        config,
    };
    match spec.workgroups(cout_g, pixels, x.shape()[0] * groups) {
        Some(grid) => Ok(Some((spec, grid))),
        None if kernel.is_none() => Ok(None),
        None => Err(crate::Error::VariantUnavailable {
            op: "conv",
            variant: "implicit_gemm",
            reason: "the tile grid passes the dispatch limit".into(),
        }),
    }
}
