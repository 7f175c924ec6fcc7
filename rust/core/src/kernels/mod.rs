//! Kernels: pure functions from tensors to tensors. They know nothing of autodiff.
pub mod arith;
pub mod broadcast;
pub mod dense;
pub mod elementwise;
pub mod fastmath;
pub mod gemm;
pub mod gemv;
pub mod index;
pub mod linalg;
pub mod nn;
pub mod norm;
pub mod optim;
mod pack;
pub mod reduce;
pub mod shape;
pub mod sort;
