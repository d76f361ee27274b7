//! Unary, affine, binary (numpy broadcasting) and where/select.

use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::elementwise_vec4::launch_binary_vec4;
use super::launch::{launch, pad8, same_device, to_u32};
use super::row_blocks::{all_fit, shape_fits, stacked};
use super::variant::{choose_unary_variant, plan_binary, BinaryPlan};
use crate::error::{Error, Result};
use crate::host_ops;
use crate::tensor::shape::broadcast_shapes;
use crate::tensor::Tensor;
use tessera_kernels::KernelSpec;
use tessera_kernels::{
    elementwise_vec4_workgroups, elementwise_workgroups, AffineSpec, AffineVec4Spec, BinaryOp,
    BinaryParams, BinarySpec, DType, ElementwiseVariant, UnaryOp, UnaryParams, UnarySpec,
    UnaryVec4Spec, WhereParams, WhereSpec,
};

/// The declaration of `unary` (see [`OpDeclaration`]).
pub(crate) const UNARY: OpDeclaration = OpDeclaration {
    name: "unary",
    summary: "neg, abs, exp, log, sqrt, rsqrt, tanh, relu, gelu (erf, tanh), silu, sigmoid, erf",
    api: "Tensor::unary",
    reference: "reference::unary",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_EXACTISH or F32_TRANSCENDENTAL by op",
    kernels: &[
        KernelCandidate {
            name: "vec4",
            spec: "UnaryVec4Spec",
            needs: Needs::NOTHING,
            when: "count and offset multiples of 4",
        },
        KernelCandidate {
            name: "general",
            spec: "UnarySpec",
            needs: Needs::NOTHING,
            when: "any",
        },
    ],
    tuned: false,
    conformance: crate::conformance::unary,
};

/// The declaration of `affine` (see [`OpDeclaration`]).
pub(crate) const AFFINE: OpDeclaration = OpDeclaration {
    name: "affine",
    summary: "x * scale + bias",
    api: "Tensor::affine",
    reference: "reference::affine",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_EXACTISH",
    kernels: &[
        KernelCandidate {
            name: "vec4",
            spec: "AffineVec4Spec",
            needs: Needs::NOTHING,
            when: "count and offset multiples of 4",
        },
        KernelCandidate {
            name: "general",
            spec: "AffineSpec",
            needs: Needs::NOTHING,
            when: "any",
        },
    ],
    tuned: false,
    conformance: crate::conformance::affine,
};

/// The declaration of `binary` (see [`OpDeclaration`]).
pub(crate) const BINARY: OpDeclaration = OpDeclaration {
    name: "binary",
    summary: "add, sub, mul, div, maximum, minimum, pow, silu_mul, and the comparisons less, greater, less_equal, greater_equal, equal (1.0 or 0.0) with numpy broadcasting",
    api: "Tensor::binary",
    reference: "reference::binary",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_EXACTISH (pow, silu_mul: F32_TRANSCENDENTAL)",
    kernels: &[
        KernelCandidate {
            name: "vec4",
            spec: "BinaryVec4Spec",
            needs: Needs::NOTHING,
            when: "same shapes, contiguous, multiples of 4",
        },
        KernelCandidate {
            name: "vec4_row_broadcast",
            spec: "BinaryVec4Spec",
            needs: Needs::NOTHING,
            when: "one operand a repeated contiguous block",
        },
        KernelCandidate {
            name: "general",
            spec: "BinarySpec",
            needs: Needs::NOTHING,
            when: "any broadcast",
        },
    ],
    tuned: false,
    conformance: crate::conformance::binary,
};

/// The declaration of `where` (see [`OpDeclaration`]).
pub(crate) const WHERE: OpDeclaration = OpDeclaration {
    name: "where",
    summary: "cond != 0 ? a : b, all three broadcast",
    api: "where_select",
    reference: "reference::where_select",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "EXACT",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "WhereSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::where_select,
};

pub(crate) fn require_float(op: &'static str, t: &Tensor) -> Result<()> {
    if t.dtype().is_float() {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            expected: "f32 or f16".into(),
            found: t.dtype(),
        })
    }
}

fn require_same_dtype(op: &'static str, a: &Tensor, b: &Tensor) -> Result<()> {
    if a.dtype() == b.dtype() {
        Ok(())
    } else {
        Err(Error::DType {
            op,
            expected: a.dtype().to_string(),
            found: b.dtype(),
        })
    }
}

impl Tensor {
    /// Apply an elementwise function.
    pub fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        self.unary_with_variant(op, None)
    }

    /// [`Tensor::unary`] with the kernel variant forced (`Some`: `General` or
    /// `Vec4`) or chosen from the element count and offset (`None`). A forced
    /// variant that does not fit is [`Error::VariantUnavailable`].
    pub fn unary_with_variant(
        &self,
        op: UnaryOp,
        variant: Option<ElementwiseVariant>,
    ) -> Result<Tensor> {
        self.unary_like(op.name(), Some(op), 1.0, 0.0, variant)
    }

    /// `x * scale + bias` elementwise.
    pub fn affine(&self, scale: f32, bias: f32) -> Result<Tensor> {
        self.affine_with_variant(scale, bias, None)
    }

    /// [`Tensor::affine`] with the kernel variant forced or chosen automatically,
    /// as in [`Tensor::unary_with_variant`].
    pub fn affine_with_variant(
        &self,
        scale: f32,
        bias: f32,
        variant: Option<ElementwiseVariant>,
    ) -> Result<Tensor> {
        self.unary_like("affine", None, scale, bias, variant)
    }

    /// A unary op (`Some`) or affine (`None`) over a contiguous copy of `self`.
    fn unary_like(
        &self,
        op: &'static str,
        unary: Option<UnaryOp>,
        scale: f32,
        bias: f32,
        variant: Option<ElementwiseVariant>,
    ) -> Result<Tensor> {
        require_float(op, self)?;
        let x = self.contiguous()?;
        if !x.fits_binding() && !host_ops::runs_on_host(x.device()) {
            // Blocks of the flattened elements.
            let flat = x.reshape(&[x.numel()])?;
            let y = stacked(op, false, &[&flat], flat.shape(), x.dtype(), |p| {
                p[0].unary_like(op, unary, scale, bias, variant)
            })?;
            return y.reshape(x.shape());
        }
        let variant = choose_unary_variant(op, &x, variant)?;
        let dtype = x.dtype();
        let vec4 = variant != ElementwiseVariant::General;
        let source = match (vec4, unary) {
            (false, Some(op)) => UnarySpec { op, dtype }.rendered(),
            (false, None) => AffineSpec { dtype }.rendered(),
            (true, Some(op)) => UnaryVec4Spec { op, dtype }.rendered(),
            (true, None) => AffineVec4Spec { dtype }.rendered(),
        };
        let out = Tensor::uninit(x.device(), dtype, x.shape(), op)?;
        if host_ops::runs_on_host(x.device()) {
            host_ops::unary(unary, &x, scale, bias, &out)?;
            return Ok(out);
        }
        let params = UnaryParams {
            n: to_u32(op, x.numel())?,
            x_off: to_u32(op, x.offset())?,
            y_off: 0,
            scale,
            bias,
            ..Default::default()
        };
        if x.numel() > 0 {
            let n = x.numel() as u64;
            let grid = if vec4 {
                elementwise_vec4_workgroups(n)
            } else {
                elementwise_workgroups(n)
            };
            launch(
                op,
                x.device(),
                &source,
                &[x.buffer(), out.buffer()],
                &params,
                grid,
            )?;
        }
        Ok(out)
    }

    /// `-x`.
    pub fn neg(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Neg)
    }
    /// `|x|`.
    pub fn abs(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Abs)
    }
    /// `e^x`.
    pub fn exp(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Exp)
    }
    /// Natural logarithm.
    pub fn log(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Log)
    }
    /// Square root.
    pub fn sqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sqrt)
    }
    /// `1 / sqrt(x)`.
    pub fn rsqrt(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Rsqrt)
    }
    /// Hyperbolic tangent.
    pub fn tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Tanh)
    }
    /// `max(x, 0)`.
    pub fn relu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Relu)
    }
    /// GELU, exact (erf) form.
    pub fn gelu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::GeluErf)
    }
    /// GELU, tanh approximation.
    pub fn gelu_tanh(&self) -> Result<Tensor> {
        self.unary(UnaryOp::GeluTanh)
    }
    /// SiLU (swish).
    pub fn silu(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Silu)
    }
    /// Logistic sigmoid.
    pub fn sigmoid(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Sigmoid)
    }
    /// The error function.
    pub fn erf(&self) -> Result<Tensor> {
        self.unary(UnaryOp::Erf)
    }

    /// `op(self, other)` with numpy broadcasting.
    pub fn binary(&self, op: BinaryOp, other: &Tensor) -> Result<Tensor> {
        self.binary_with_variant(op, other, None)
    }

    /// [`Tensor::binary`] with the kernel variant forced (`Some`) or chosen from
    /// the shapes, layouts and offsets (`None`): `Vec4` for contiguous operands
    /// of the same shape, `Vec4RowBroadcast` for a contiguous operand and a
    /// repeated contiguous block (`[rows, n] op [n]`), else `General`. A forced
    /// variant that does not fit is [`Error::VariantUnavailable`].
    pub fn binary_with_variant(
        &self,
        op: BinaryOp,
        other: &Tensor,
        variant: Option<ElementwiseVariant>,
    ) -> Result<Tensor> {
        let name = op.name();
        same_device(name, &[self, other])?;
        require_float(name, self)?;
        require_same_dtype(name, self, other)?;
        let shape = broadcast_shapes(name, self.shape(), other.shape())?;
        let fits = all_fit(&[self, other]) && shape_fits(self.device(), &shape, self.dtype());
        if !fits && !host_ops::runs_on_host(self.device()) {
            let (a, b) = (self.broadcast_to(&shape)?, other.broadcast_to(&shape)?);
            return stacked(name, false, &[&a, &b], &shape, self.dtype(), |p| {
                p[0].binary_with_variant(op, &p[1], variant)
            });
        }
        let plan = plan_binary(name, &shape, self, other, variant)?;
        let out = Tensor::uninit(self.device(), self.dtype(), &shape, name)?;
        if host_ops::runs_on_host(self.device()) {
            host_ops::binary(op, self, other, &out)?;
            return Ok(out);
        }
        if let BinaryPlan::Vec4 { layout, period } = plan {
            if out.numel() > 0 {
                launch_binary_vec4(name, op, layout, period, self, other, &out)?;
            }
            return Ok(out);
        }
        let a = self.broadcast_to(&shape)?;
        let b = other.broadcast_to(&shape)?;
        let params = BinaryParams {
            n: to_u32(name, out.numel())?,
            rank: shape.len() as u32,
            a_off: to_u32(name, a.offset())?,
            b_off: to_u32(name, b.offset())?,
            out_off: 0,
            pad: [0; 3],
            shape: pad8(name, &shape)?,
            a_strides: pad8(name, a.strides())?,
            b_strides: pad8(name, b.strides())?,
        };
        if out.numel() > 0 {
            let source = BinarySpec {
                op,
                dtype: self.dtype(),
            }
            .rendered();
            launch(
                name,
                self.device(),
                &source,
                &[a.buffer(), b.buffer(), out.buffer()],
                &params,
                elementwise_workgroups(out.numel() as u64),
            )?;
        }
        Ok(out)
    }

    /// `self + other` (broadcasting).
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Add, other)
    }
    /// `self - other` (broadcasting).
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Sub, other)
    }
    /// `self * other` (broadcasting).
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Mul, other)
    }
    /// `self / other` (broadcasting).
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Div, other)
    }
    /// Elementwise maximum (broadcasting).
    pub fn maximum(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Max, other)
    }
    /// Elementwise minimum (broadcasting).
    pub fn minimum(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Min, other)
    }
    /// `self ^ other` (broadcasting), with C `powf` semantics for zero and negative bases.
    pub fn pow(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::Pow, other)
    }
    /// `silu(self) * other` (broadcasting): the gate of a SiLU-gated MLP in one op.
    pub fn silu_mul(&self, other: &Tensor) -> Result<Tensor> {
        self.binary(BinaryOp::SiluMul, other)
    }
}

/// `cond != 0 ? a : b` elementwise, all three broadcast together. `cond` is u32.
pub fn where_select(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let op = "where";
    same_device(op, &[cond, a, b])?;
    if cond.dtype() != DType::U32 {
        return Err(Error::DType {
            op,
            expected: "u32 condition".into(),
            found: cond.dtype(),
        });
    }
    require_float(op, a)?;
    require_same_dtype(op, a, b)?;
    let shape = broadcast_shapes(
        op,
        &broadcast_shapes(op, cond.shape(), a.shape())?,
        b.shape(),
    )?;
    let (c, av, bv) = (
        cond.broadcast_to(&shape)?,
        a.broadcast_to(&shape)?,
        b.broadcast_to(&shape)?,
    );
    let fits = all_fit(&[cond, a, b]) && shape_fits(a.device(), &shape, a.dtype());
    if !fits && !host_ops::runs_on_host(a.device()) {
        return stacked(op, false, &[&c, &av, &bv], &shape, a.dtype(), |p| {
            where_select(&p[0], &p[1], &p[2])
        });
    }
    let out = Tensor::uninit(a.device(), a.dtype(), &shape, op)?;
    if host_ops::runs_on_host(a.device()) {
        host_ops::where_select(&c, &av, &bv, &out)?;
        return Ok(out);
    }
    let params = WhereParams {
        n: to_u32(op, out.numel())?,
        rank: shape.len() as u32,
        c_off: to_u32(op, c.offset())?,
        a_off: to_u32(op, av.offset())?,
        b_off: to_u32(op, bv.offset())?,
        out_off: 0,
        pad: [0; 2],
        shape: pad8(op, &shape)?,
        c_strides: pad8(op, c.strides())?,
        a_strides: pad8(op, av.strides())?,
        b_strides: pad8(op, bv.strides())?,
    };
    if out.numel() > 0 {
        let source = WhereSpec { dtype: a.dtype() }.rendered();
        launch(
            op,
            a.device(),
            &source,
            &[c.buffer(), av.buffer(), bv.buffer(), out.buffer()],
            &params,
            elementwise_workgroups(out.numel() as u64),
        )?;
    }
    Ok(out)
}
