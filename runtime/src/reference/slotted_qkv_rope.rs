//! The attention inputs of a batch of sequences over a slotted key/value
//! pool, the oracle of `Tensor::slotted_qkv_rope`: each row is one
//! sequence's new token, split and rotated by [`qkv_rope`] at its own
//! position into its own slot.

use super::rope::{qkv_rope, QkvRopeDims};
use super::slotted_attention::SlottedDims;

/// `x` is the fused projection `[rows, (heads + 2 kv_heads) * head_dim]` (q
/// heads, k heads, v heads), plus `bias` per column; row `r` is the token at
/// position `table[r].1` of slot `table[r].0`. Returns the rotated, scaled
/// queries `[rows, heads, head_dim]` and writes each row's rotated keys and
/// values at its position of its slot of the pool `keys` and `values`
/// (`[slots, kv_heads, capacity, head_dim]`); every other element is left
/// as it was.
///
/// # Panics
/// If a slice is shorter than its dims say or a table entry is out of range.
pub fn slotted_qkv_rope(
    dims: SlottedDims,
    x: &[f32],
    bias: Option<&[f32]>,
    tables: (&[f32], &[f32]),
    table: &[(usize, usize)],
    q_scale: f32,
    (keys, values): (&mut [f32], &mut [f32]),
) -> Vec<f32> {
    let (heads, d, slot_len) = (dims.heads, dims.head_dim, dims.slot_len());
    let width = (heads + 2 * dims.kv_heads) * d;
    let mut q = Vec::with_capacity(table.len() * heads * d);
    for (r, &(slot, position)) in table.iter().enumerate() {
        assert!(slot < dims.slots && position < dims.capacity, "row {r}");
        let at = slot * slot_len..(slot + 1) * slot_len;
        let row_dims = QkvRopeDims {
            rows: 1,
            heads,
            kv_heads: dims.kv_heads,
            head_dim: d,
            pos0: position,
            capacity: dims.capacity,
            q_scale,
        };
        // One row's [kv_heads, group, head_dim] queries are its heads in order.
        q.extend(qkv_rope(
            row_dims,
            &x[r * width..(r + 1) * width],
            bias,
            tables,
            &mut keys[at.clone()],
            &mut values[at],
        ));
    }
    q
}
