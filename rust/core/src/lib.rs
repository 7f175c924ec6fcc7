//! lamina-core: the engine of lamina — tensors, kernels, deterministic parallelism, random numbers.
//!
//! This crate has no Python dependency; `rust/py` binds it. Every public function checks its
//! inputs and returns [`Result`]; nothing here is expected to panic on user input.
#![warn(missing_docs)]

pub mod autograd;
pub mod dtype;
pub mod error;
pub mod kernels;
pub mod parallel;
pub mod pool;
pub mod random;
pub mod tensor;

pub use dtype::{DType, Elem, Weak};
pub use error::{Error, Result};
pub use tensor::Tensor;
