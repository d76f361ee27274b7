//! Tensor runtime (in progress).
