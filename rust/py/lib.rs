//! lamina._lamina: PyO3 bindings of lamina-core. Argument conversion, GIL release and error
//! mapping only; all logic lives in the engine.
use pyo3::prelude::*;

pub mod convert;
pub mod errors;
pub mod indexing;
pub mod ops_create;
pub mod ops_elementwise;
pub mod ops_linalg;
pub mod ops_reduce;
pub mod ops_shape;
pub mod optim;
pub mod tape;
pub mod tensor;
pub mod variable;

/// Large tensor buffers are cached and reused instead of being mapped, faulted in and unmapped
/// on every step (see `lamina_core::pool`); `LAMINA_BUFFER_POOL_MB` sets the cache's limit.
#[global_allocator]
static ALLOC: lamina_core::pool::BufferPool = lamina_core::pool::BufferPool;

/// Reads `LAMINA_BUFFER_POOL_MB` (megabytes the buffer cache may hold; 0 turns it off).
fn configure_pool() -> PyResult<()> {
    if let Ok(v) = std::env::var("LAMINA_BUFFER_POOL_MB") {
        let mb: usize = v.trim().parse().map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "LAMINA_BUFFER_POOL_MB must be a non-negative integer number of megabytes. \
                 Received: LAMINA_BUFFER_POOL_MB={v:?}"
            ))
        })?;
        lamina_core::pool::set_limit(mb.saturating_mul(1 << 20));
    }
    Ok(())
}

#[pymodule]
fn _lamina(m: &Bound<'_, PyModule>) -> PyResult<()> {
    configure_pool()?;
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<variable::PyVariable>()?;
    m.add_function(wrap_pyfunction!(variable::_set_autocast, m)?)?;
    m.add_class::<tape::PyTape>()?;
    m.add_function(wrap_pyfunction!(optim::_optimizer_update, m)?)?;
    errors::register(m)?;
    ops_create::register(m)?;
    ops_elementwise::register(m)?;
    ops_linalg::register(m)?;
    ops_reduce::register(m)?;
    ops_shape::register(m)?;
    Ok(())
}
