//! The attention inputs of a decoder layer from its fused q/k/v projection in
//! one dispatch: bias, rotary embedding, query scale, grouped-query layout and
//! the key/value cache writes.

use super::attention_blocks::qkv_rope_blocks;
use super::declaration::{KernelCandidate, Needs, OpDeclaration};
use super::kv_cache_checks::cache_capacity;
use super::launch::{launch, same_device, to_u32};
use super::row_blocks::all_fit;
use crate::error::{Error, Result, ShapeError};
use crate::host_ops;
use crate::tensor::{binding_limit, Tensor};
use tessera_kernels::KernelSpec;
use tessera_kernels::{elementwise_workgroups, DType, QkvRopeParams, QkvRopeSpec};

/// The declaration of `qkv_rope` (see [`OpDeclaration`]).
pub(crate) const QKV_ROPE: OpDeclaration = OpDeclaration {
    name: "qkv_rope",
    summary: "split a fused q/k/v projection: bias, rope, query scale, cache writes",
    api: "Tensor::qkv_rope",
    reference: "reference::qkv_rope",
    dtypes: &[DType::F32, DType::F16],
    tolerance: "F32_TRANSCENDENTAL",
    kernels: &[KernelCandidate {
        name: "general",
        spec: "QkvRopeSpec",
        needs: Needs::NOTHING,
        when: "any",
    }],
    tuned: false,
    conformance: crate::conformance::qkv_rope,
};

const OP: &str = "qkv_rope";

/// What [`Tensor::qkv_rope`] needs besides the projection and the caches.
#[derive(Clone, Copy, Debug)]
pub struct QkvRope<'a> {
    /// Query heads (a multiple of `kv_heads`).
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Values per head (even).
    pub head_dim: usize,
    /// Bias of the fused projection, `[(heads + 2 kv_heads) * head_dim]`.
    pub bias: Option<&'a Tensor>,
    /// Cosines, f32 `[positions, head_dim / 2]`.
    pub cos: &'a Tensor,
    /// Sines, f32 `[positions, head_dim / 2]`.
    pub sin: &'a Tensor,
    /// Position of the first token.
    pub pos0: usize,
    /// Factor applied to the rotated queries (e.g. 1/sqrt(head_dim)).
    pub q_scale: f32,
}

impl QkvRope<'_> {
    /// The checks [`Tensor::qkv_rope`] and [`Tensor::slotted_qkv_rope`]
    /// share, for the fused projection `x` and the key cache or pool `keys`
    /// (`others` on the same device too): a float `x`, a bias of its dtype
    /// and of shape `[(heads + 2 kv_heads) * head_dim]`, f32 cos/sin tables
    /// of shape `[positions, head_dim / 2]`, `kv_heads` dividing `heads`, and
    /// an even `head_dim`. Returns the tables' positions and the projection's
    /// width, `(heads + 2 kv_heads) * head_dim`.
    pub(crate) fn check_shared(
        &self,
        op: &'static str,
        x: &Tensor,
        keys: &Tensor,
        others: &[&Tensor],
    ) -> Result<(usize, usize)> {
        let QkvRope {
            heads,
            kv_heads,
            head_dim,
            bias,
            cos,
            sin,
            ..
        } = *self;
        let mut all = vec![x, cos, sin, keys];
        all.extend(others);
        all.extend(bias);
        same_device(op, &all)?;
        super::elementwise::require_float(op, x)?;
        if let Some(b) = bias.filter(|b| b.dtype() != x.dtype()) {
            return Err(Error::DType {
                op,
                expected: x.dtype().to_string(),
                found: b.dtype(),
            });
        }
        for table in [cos, sin] {
            if table.dtype() != DType::F32 {
                return Err(Error::DType {
                    op,
                    expected: "f32 cos/sin tables".into(),
                    found: table.dtype(),
                });
            }
        }
        let shapes = [x.shape(), keys.shape(), cos.shape()];
        let bad = |msg: String| -> Error { ShapeError::new(op, msg, &shapes).into() };
        if kv_heads == 0 || !heads.is_multiple_of(kv_heads) || head_dim == 0 || head_dim % 2 != 0 {
            return Err(bad(format!(
                "{heads} query heads, {kv_heads} key/value heads of {head_dim}: need \
                 kv_heads dividing heads and an even head_dim"
            )));
        }
        let width = (heads + 2 * kv_heads) * head_dim;
        if let Some(b) = bias {
            if b.shape() != [width] {
                return Err(bad(format!("bias must be [{width}], not {:?}", b.shape())));
            }
        }
        if cos.rank() != 2 || cos.shape()[1] != head_dim / 2 || cos.shape() != sin.shape() {
            return Err(bad(
                "cos and sin must both be [positions, head_dim / 2]".into()
            ));
        }
        Ok((cos.shape()[0], width))
    }
}

impl Tensor {
    /// Split `self`, the output of a fused q/k/v projection `[rows, (heads + 2
    /// kv_heads) * head_dim]` (q heads, then k heads, then v heads) for tokens
    /// at positions `pos0 ..`, into what attention reads, in one dispatch:
    /// - returns the queries plus bias, rotated (Hugging Face's half-split
    ///   rope) and scaled, as `[kv_heads, group * rows, head_dim]`: row
    ///   `g * rows + r` of block `kv` is head `kv * group + g` of token `r`;
    /// - writes the keys plus bias, rotated, and the values plus bias into
    ///   rows `pos0 .. pos0 + rows` of `keys` and `values`, contiguous
    ///   `[kv_heads, capacity, head_dim]` caches at offset 0.
    ///
    /// Errors: shapes, dtypes or devices that do not fit, positions past the
    /// tables or the caches, sizes beyond 32-bit indexing.
    pub fn qkv_rope(&self, spec: &QkvRope<'_>, keys: &Tensor, values: &Tensor) -> Result<Tensor> {
        let QkvRope {
            heads,
            kv_heads,
            head_dim,
            bias,
            cos,
            sin,
            pos0,
            q_scale,
        } = *spec;
        let (positions, width) = spec.check_shared(OP, self, keys, &[values])?;
        let shapes = [self.shape(), keys.shape(), cos.shape()];
        let bad = |msg: String| -> Error { ShapeError::new(OP, msg, &shapes).into() };
        let rows = match self.shape() {
            &[rows, w] if w == width && rows > 0 => rows,
            _ => return Err(bad(format!("x must be [rows > 0, {width}]"))),
        };
        let half = head_dim / 2;
        let capacity = cache_capacity(OP, keys, values, kv_heads, head_dim, self.dtype())?;
        let end = pos0.checked_add(rows);
        if end.is_none_or(|end| end > positions.min(capacity)) {
            return Err(bad(format!(
                "positions {pos0}..{pos0}+{rows} exceed the {positions}-position tables or \
                 the {capacity}-position caches"
            )));
        }
        let x = self.contiguous()?;
        let q_bytes = (heads * rows * head_dim * self.dtype().size_in_bytes()) as u64;
        let fits = all_fit(&[&x, keys, values]) && q_bytes <= binding_limit(x.device());
        if !fits && !host_ops::runs_on_host(x.device()) {
            return qkv_rope_blocks(&x, spec, (keys, values));
        }
        // The kernel indexes the small tables from element 0.
        let (cos, sin) = (cos.at_offset_zero()?, sin.at_offset_zero()?);
        let bias = bias.map(Tensor::at_offset_zero).transpose()?;
        let group = heads / kv_heads;
        let q = Tensor::uninit(
            self.device(),
            self.dtype(),
            &[kv_heads, group * rows, head_dim],
            OP,
        )?;
        if host_ops::runs_on_host(x.device()) {
            let dims = crate::reference::QkvRopeDims {
                rows,
                heads,
                kv_heads,
                head_dim,
                pos0,
                capacity,
                q_scale,
            };
            let tensors = host_ops::QkvRopeTensors {
                x: &x,
                bias: bias.as_ref(),
                tables: (&cos, &sin),
                caches: (keys, values),
                q: &q,
            };
            host_ops::qkv_rope(dims, tensors)?;
            return Ok(q);
        }
        to_u32(OP, keys.numel())?;
        to_u32(OP, x.offset() + x.numel())?;
        let n = rows * (heads + 2 * kv_heads) * half;
        let params = QkvRopeParams {
            n: to_u32(OP, n)?,
            heads: to_u32(OP, heads)?,
            kv_heads: to_u32(OP, kv_heads)?,
            half: to_u32(OP, half)?,
            rows: to_u32(OP, rows)?,
            pos0: to_u32(OP, pos0)?,
            positions: to_u32(OP, positions)?,
            capacity: to_u32(OP, capacity)?,
            x_off: to_u32(OP, x.offset())?,
            has_bias: bias.is_some() as u32,
            q_scale,
            pad: 0,
        };
        let bias_buffer = bias.as_ref().unwrap_or(&x).buffer();
        launch(
            OP,
            x.device(),
            &QkvRopeSpec { dtype: x.dtype() }.rendered(),
            &[
                x.buffer(),
                bias_buffer,
                cos.buffer(),
                sin.buffer(),
                q.buffer(),
                keys.buffer(),
                values.buffer(),
            ],
            &params,
            elementwise_workgroups(n as u64),
        )?;
        Ok(q)
    }
}
