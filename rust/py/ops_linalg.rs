//! Bindings of the linear-algebra ops (`keras.ops.linalg` names).
use crate::convert::to_tensor;
use crate::errors::{guard, run};
use crate::tensor::PyTensor;
use lamina_core::kernels::linalg::{self, QrMode};
use pyo3::prelude::*;

/// QR decomposition over the last two axes: `(q, r)` with `x = q @ r` (`mode`: "reduced" or
/// "complete"). Not differentiable.
#[pyfunction]
#[pyo3(signature = (x, mode="reduced"))]
pub fn qr(py: Python<'_>, x: &Bound<'_, PyAny>, mode: &str) -> PyResult<(PyTensor, PyTensor)> {
    let t = to_tensor(x, "qr")?;
    let m = guard(|| QrMode::from_name(mode))?;
    let (q, r) = run(
        py,
        t.size()
            .saturating_mul(t.shape().last().copied().unwrap_or(1)),
        || linalg::qr(&t, m),
    )?;
    Ok((PyTensor::from(q), PyTensor::from(r)))
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(qr, m)?)?;
    Ok(())
}
