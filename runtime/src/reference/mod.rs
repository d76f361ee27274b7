//! CPU reference implementations of every op: the test oracle.
//!
//! Rules of this module:
//!
//! - Plain, obviously-correct Rust. No tiling, no SIMD, no cleverness: the code
//!   should read like the op's definition.
//! - Inputs are `f32` slices (callers convert `f16` inputs to `f32` first, see
//!   [`round_to_f16`]); all arithmetic is done in `f64` and rounded to `f32` once
//!   at the end. Outputs are `Vec<f32>` (or `Vec<u32>` for [`argmax`]).
//! - Tensors are row-major and contiguous; a shape is a `&[usize]` and a
//!   zero-length shape is a scalar with one element.
//! - Misuse by the caller (a slice whose length is not the shape's element count,
//!   incompatible shapes, an axis out of range) panics with a message saying
//!   what was wrong: this is test code, and the runtime validates user input
//!   before it ever reaches a kernel. The one input that is data rather than a
//!   shape, token ids in [`gather`], is answered with `None` when out of range.
//! - NaN propagates through `max`/`min`/`relu` (as in PyTorch), so a NaN
//!   produced by a buggy kernel is never hidden by the oracle agreeing with it.

mod attention;
mod broadcast;
mod conv;
mod elementwise;
mod fused_map;
mod layout;
mod matmul;
mod norm;
mod pool;
mod reduce;
mod rope;
mod slotted_attention;
mod slotted_qkv_rope;
mod softmax;
mod window;

pub use attention::{cached_attention, AttentionDims};
pub use broadcast::{
    broadcast_index, broadcast_shape, broadcast_shapes, contiguous_strides, for_each_index, numel,
};
pub use conv::{conv, conv_transpose, ConvOperands};
pub use elementwise::{
    affine, binary, binary_scalar, erf, erfc, unary, unary_scalar, where_select,
};
pub use fused_map::{fused_map, fused_map_scalar};
pub use layout::{concat, gather, permute, slice};
pub use matmul::matmul;
pub use norm::{layernorm, norm, rmsnorm};
pub use pool::pool;
pub use reduce::{argmax, reduce};
pub use rope::{qkv_rope, rope, QkvRopeDims};
pub use slotted_attention::{slotted_attention, SlottedDims};
pub use slotted_qkv_rope::slotted_qkv_rope;
pub use softmax::softmax;
/// The op enums the reference functions take, so a caller of the oracle needs no
/// other crate.
pub use tessera_kernels::{BinaryOp, ConvActivation, PoolMode, ReduceOp, UnaryOp, WindowGeometry};
pub use window::activate;

/// Rounds every value to the nearest `f16` and back to `f32`.
///
/// Use it to prepare inputs for `f16` kernels: upload the rounded values as
/// `f16` and feed the same rounded `f32` values to the reference, so the
/// comparison measures only the kernel's own error.
pub fn round_to_f16(x: &[f32]) -> Vec<f32> {
    x.iter().map(|&v| half::f16::from_f32(v).to_f32()).collect()
}

/// Panics unless `x` holds exactly as many elements as `shape` describes.
fn check_len(what: &str, x_len: usize, shape: &[usize]) {
    let n = numel(shape);
    assert_eq!(
        x_len, n,
        "reference: {what} has {x_len} elements but shape {shape:?} needs {n}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_to_f16_rounds_to_nearest() {
        // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even gives 1.
        let x = [
            1.0,
            1.0 + 2f32.powi(-11),
            1.0 + 3.0 * 2f32.powi(-11),
            65504.0,
            0.1,
        ];
        let r = round_to_f16(&x);
        assert_eq!(r[0], 1.0);
        assert_eq!(r[1], 1.0);
        assert_eq!(r[2], 1.0 + 2.0 * 2f32.powi(-10));
        assert_eq!(r[3], 65504.0);
        assert!((r[4] - 0.1).abs() < 1e-4 && r[4] != 0.1);
    }
}
