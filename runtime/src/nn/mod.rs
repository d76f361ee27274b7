//! Neural-network layers built from tensor ops.

mod embedding;
mod layer_norm;
mod linear;

/// The weight of a [`Linear`] layer, in any storage.
pub use crate::ops::Weight;
pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
