//! Neural-network layers built from tensor ops.

mod embedding;
mod layer_norm;
mod linear;

pub use embedding::Embedding;
pub use layer_norm::LayerNorm;
pub use linear::Linear;
