//! Model families built from `nn` layers.

pub mod bert;
pub mod llama;
