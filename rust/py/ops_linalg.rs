//! Bindings of the linear-algebra ops (`keras.ops.linalg` names).
use crate::convert::to_tensor;
use crate::errors::{guard, run};
use crate::tensor::PyTensor;
use lamina_core::autograd::{ops as ad, Tracked};
use lamina_core::kernels::dense::DenseActivation;
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

/// `activation(x @ kernel + bias)` as one kernel with one recorded op (the Dense layer's call);
/// `activation` is "linear" or "relu"; `bias` may be None.
#[pyfunction]
#[pyo3(signature = (x, kernel, bias=None, activation="linear"))]
pub fn _dense(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    kernel: &Bound<'_, PyAny>,
    bias: Option<&Bound<'_, PyAny>>,
    activation: &str,
) -> PyResult<PyTensor> {
    let act = guard(|| DenseActivation::parse(activation))?;
    let (x, w) = (to_tensor(x, "dense")?, to_tensor(kernel, "dense")?);
    let b = bias.map(|b| to_tensor(b, "dense")).transpose()?;
    let work = x
        .size()
        .saturating_mul(w.shape().last().copied().unwrap_or(1));
    run(py, work, || ad::dense(&x, &w, b.as_ref(), act)).map(PyTensor::from)
}

/// Layer normalization over the last axis (`gamma`, `beta` of shape `(n,)` or None): one
/// kernel forward, one backward.
#[pyfunction]
#[pyo3(signature = (x, gamma=None, beta=None, epsilon=1e-3))]
pub fn _layer_norm(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    gamma: Option<&Bound<'_, PyAny>>,
    beta: Option<&Bound<'_, PyAny>>,
    epsilon: f64,
) -> PyResult<PyTensor> {
    let (x, g, b) = norm_args(x, gamma, beta, "layer_norm")?;
    run(py, x.size(), || {
        ad::layer_norm(&x, g.as_ref(), b.as_ref(), epsilon)
    })
    .map(PyTensor::from)
}

/// Batch normalization in training mode over every axis but the last: `(y, mean, variance)`,
/// the batch statistics per feature (not differentiable) for the moving averages.
#[pyfunction]
#[pyo3(signature = (x, gamma=None, beta=None, epsilon=1e-3))]
pub fn _batch_norm(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    gamma: Option<&Bound<'_, PyAny>>,
    beta: Option<&Bound<'_, PyAny>>,
    epsilon: f64,
) -> PyResult<(PyTensor, PyTensor, PyTensor)> {
    let (x, g, b) = norm_args(x, gamma, beta, "batch_norm")?;
    let (y, mean, var) = run(py, x.size(), || {
        ad::batch_norm(&x, g.as_ref(), b.as_ref(), epsilon)
    })?;
    Ok((PyTensor::from(y), PyTensor::from(mean), PyTensor::from(var)))
}

type NormArgs = (Tracked, Option<Tracked>, Option<Tracked>);

fn norm_args(
    x: &Bound<'_, PyAny>,
    gamma: Option<&Bound<'_, PyAny>>,
    beta: Option<&Bound<'_, PyAny>>,
    op: &str,
) -> PyResult<NormArgs> {
    Ok((
        to_tensor(x, op)?,
        gamma.map(|t| to_tensor(t, op)).transpose()?,
        beta.map(|t| to_tensor(t, op)).transpose()?,
    ))
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(qr, m)?)?;
    m.add_function(wrap_pyfunction!(_dense, m)?)?;
    m.add_function(wrap_pyfunction!(_layer_norm, m)?)?;
    m.add_function(wrap_pyfunction!(_batch_norm, m)?)?;
    Ok(())
}
