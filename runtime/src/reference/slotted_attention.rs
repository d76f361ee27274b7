//! Decode attention of a batch of sequences over a slotted key/value pool,
//! the oracle of `Tensor::slotted_attention`: each row is one sequence's new
//! token, attending over its own slot with [`cached_attention`].

use super::attention::{cached_attention, AttentionDims};

/// The sizes of a slotted key/value pool and of the heads reading it.
#[derive(Clone, Copy, Debug)]
pub struct SlottedDims {
    /// Query heads (a multiple of `kv_heads`).
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Values per head.
    pub head_dim: usize,
    /// Sequences the pool holds.
    pub slots: usize,
    /// Positions per slot.
    pub capacity: usize,
}

impl SlottedDims {
    /// Elements of one slot, `kv_heads * capacity * head_dim`.
    pub fn slot_len(&self) -> usize {
        self.kv_heads * self.capacity * self.head_dim
    }
}

/// `q` is `[rows, heads, head_dim]` (already scaled); `keys` and `values` are
/// the pool `[slots, kv_heads, capacity, head_dim]`; row `r` is the token at
/// position `table[r].1` of slot `table[r].0` and sees that slot's keys `0
/// ..= position`. Returns `[rows, heads, head_dim]`, in f64 per row.
///
/// # Panics
/// If a slice is shorter than its dims say or a table entry is out of range.
pub fn slotted_attention(
    q: &[f32],
    keys: &[f32],
    values: &[f32],
    table: &[(usize, usize)],
    dims: SlottedDims,
) -> Vec<f32> {
    let (heads, d, slot_len) = (dims.heads, dims.head_dim, dims.slot_len());
    let group = heads / dims.kv_heads;
    let mut out = Vec::with_capacity(table.len() * heads * d);
    for (r, &(slot, position)) in table.iter().enumerate() {
        assert!(slot < dims.slots && position < dims.capacity, "row {r}");
        let at = slot * slot_len..(slot + 1) * slot_len;
        // One row's heads in order are its [kv_heads, group, head_dim] queries.
        let row_dims = AttentionDims {
            kv_heads: dims.kv_heads,
            rows: group,
            head_dim: d,
            capacity: dims.capacity,
            past: position,
            s: 1,
        };
        let q_row = &q[r * heads * d..(r + 1) * heads * d];
        out.extend(cached_attention(
            q_row,
            &keys[at.clone()],
            &values[at],
            row_dims,
        ));
    }
    out
}
