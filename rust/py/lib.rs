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

#[pymodule]
fn _lamina(m: &Bound<'_, PyModule>) -> PyResult<()> {
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
