//! Bindings of conversion, creation and random ops, and engine settings.
use crate::convert::{dims_arg, dtype_arg, to_tensor, to_tensor_as};
use crate::errors::{guard, run};
use crate::tensor::{to_numpy, PyTensor};
use lamina_core::{random, DType, Tensor};
use pyo3::prelude::*;

/// Converts a tensor-like value (numpy array, list, scalar, Tensor) to a Tensor, optionally cast.
#[pyfunction]
#[pyo3(signature = (x, dtype=None, sparse=None, ragged=None))]
pub fn convert_to_tensor(
    x: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    sparse: Option<bool>,
    ragged: Option<bool>,
) -> PyResult<PyTensor> {
    if sparse == Some(true) || ragged == Some(true) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "convert_to_tensor: lamina has no sparse or ragged tensors. Received: sparse={sparse:?}, ragged={ragged:?}"
        )));
    }
    let dt = dtype_arg(dtype)?;
    let t = to_tensor_as(x, dt, "convert_to_tensor")?;
    Ok(PyTensor::from(match dt {
        Some(dt) => guard(|| lamina_core::autograd::ops::cast(&t, dt))?,
        None => t,
    }))
}

/// Converts a tensor-like value to a numpy array (a copy).
#[pyfunction]
pub fn convert_to_numpy<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = to_tensor(x, "convert_to_numpy")?;
    to_numpy(py, &t)
}

/// Casts to `dtype`.
#[pyfunction]
pub fn cast(py: Python<'_>, x: &Bound<'_, PyAny>, dtype: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "cast")?;
    let dt = dtype_arg(Some(dtype))?
        .ok_or_else(|| pyo3::exceptions::PyValueError::new_err("cast: `dtype` must not be None"))?;
    run(py, t.size(), || lamina_core::autograd::ops::cast(&t, dt)).map(PyTensor::from)
}

/// True if `x` is a lamina Tensor.
#[pyfunction]
pub fn is_tensor(x: &Bound<'_, PyAny>) -> bool {
    x.cast::<PyTensor>().is_ok()
}

fn dt_or(dtype: Option<&Bound<'_, PyAny>>, default: DType) -> PyResult<DType> {
    Ok(dtype_arg(dtype)?.unwrap_or(default))
}

/// A tensor of zeros (dtype defaults to float32).
#[pyfunction]
#[pyo3(signature = (shape, dtype=None))]
pub fn zeros(shape: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    Ok(Tensor::zeros(&dims_arg(shape, "zeros")?, dt_or(dtype, DType::F32)?).into())
}

/// A tensor of ones (dtype defaults to float32).
#[pyfunction]
#[pyo3(signature = (shape, dtype=None))]
pub fn ones(shape: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    Ok(Tensor::ones(&dims_arg(shape, "ones")?, dt_or(dtype, DType::F32)?).into())
}

/// A tensor filled with `fill_value` (dtype defaults to float32).
#[pyfunction]
#[pyo3(signature = (shape, fill_value, dtype=None))]
pub fn full(
    shape: &Bound<'_, PyAny>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let dims = dims_arg(shape, "full")?;
    let dt = dt_or(dtype, DType::F32)?;
    let v = to_tensor_as(fill_value, Some(dt), "full")?;
    if v.size() == 1 {
        return Ok(Tensor::full(&dims, guard(|| v.item_f64())?, dt).into());
    }
    let z = Tensor::zeros(&dims, dt);
    guard(|| {
        lamina_core::kernels::elementwise::binary(
            lamina_core::kernels::elementwise::BinaryOp::Add,
            &z,
            &v.cast(dt),
        )
    })
    .map(PyTensor::from)
}

/// Zeros with the shape (and, by default, the dtype) of `x`.
#[pyfunction]
#[pyo3(signature = (x, dtype=None))]
pub fn zeros_like(x: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "zeros_like")?;
    Ok(Tensor::zeros(t.shape(), dt_or(dtype, t.dtype())?).into())
}

/// Ones with the shape (and, by default, the dtype) of `x`.
#[pyfunction]
#[pyo3(signature = (x, dtype=None))]
pub fn ones_like(x: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "ones_like")?;
    Ok(Tensor::ones(t.shape(), dt_or(dtype, t.dtype())?).into())
}

/// `fill_value` with the shape (and, by default, the dtype) of `x`.
#[pyfunction]
#[pyo3(signature = (x, fill_value, dtype=None))]
pub fn full_like(
    x: &Bound<'_, PyAny>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "full_like")?;
    let dt = dt_or(dtype, t.dtype())?;
    let v = to_tensor_as(fill_value, Some(dt), "full_like")?;
    Ok(Tensor::full(t.shape(), guard(|| v.item_f64())?, dt).into())
}

fn is_float_value(x: &Bound<'_, PyAny>) -> bool {
    x.is_instance_of::<pyo3::types::PyFloat>()
        || x.cast::<PyTensor>()
            .map(|t| t.get().t.dtype().is_float())
            .unwrap_or(false)
}

/// Evenly spaced values in `[start, stop)`; int32 unless an argument is a float (then float32).
#[pyfunction]
#[pyo3(signature = (start, stop=None, step=None, dtype=None))]
pub fn arange(
    start: &Bound<'_, PyAny>,
    stop: Option<&Bound<'_, PyAny>>,
    step: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let any_float = is_float_value(start)
        || stop.map(is_float_value).unwrap_or(false)
        || step.map(is_float_value).unwrap_or(false);
    let num = |o: &Bound<'_, PyAny>| -> PyResult<f64> {
        let t = to_tensor(o, "arange")?;
        guard(|| t.item_f64())
    };
    let (s, e) = match stop {
        Some(st) if !st.is_none() => (num(start)?, num(st)?),
        _ => (0.0, num(start)?),
    };
    let st = match step {
        Some(x) if !x.is_none() => num(x)?,
        _ => 1.0,
    };
    let dt = dt_or(dtype, if any_float { DType::F32 } else { DType::I32 })?;
    guard(|| Tensor::arange(s, e, st, dt)).map(PyTensor::from)
}

/// `num` evenly spaced values from `start` to `stop` (float32 by default).
#[pyfunction]
#[pyo3(signature = (start, stop, num=50, endpoint=true, retstep=false, dtype=None, axis=0))]
pub fn linspace(
    py: Python<'_>,
    start: f64,
    stop: f64,
    num: i64,
    endpoint: bool,
    retstep: bool,
    dtype: Option<&Bound<'_, PyAny>>,
    axis: i64,
) -> PyResult<Py<PyAny>> {
    if num < 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "linspace: `num` must be non-negative. Received: num={num}"
        )));
    }
    if axis != 0 && axis != -1 {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "linspace: scalar start/stop give a 1-D result, so `axis` must be 0 or -1. Received: axis={axis}"
        )));
    }
    let t = guard(|| {
        Tensor::linspace(
            start,
            stop,
            num as usize,
            endpoint,
            dt_or(dtype, DType::F32)
                .map_err(|_| lamina_core::Error::dtype("linspace", "bad dtype"))?,
        )
    })?;
    let div = if endpoint {
        (num - 1).max(1)
    } else {
        num.max(1)
    };
    let out = Bound::new(py, PyTensor::from(t))?.into_any();
    if retstep {
        let step = (stop - start) / div as f64;
        return Ok((out, step).into_pyobject(py)?.into_any().unbind());
    }
    Ok(out.unbind())
}

/// An `N x M` matrix with ones on diagonal `k`.
#[pyfunction]
#[pyo3(signature = (N, M=None, k=0, dtype=None))]
#[allow(non_snake_case)]
pub fn eye(
    N: usize,
    M: Option<usize>,
    k: i64,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    Ok(Tensor::eye(N, M.unwrap_or(N), k, dt_or(dtype, DType::F32)?).into())
}

/// The `n x n` identity matrix.
#[pyfunction]
#[pyo3(signature = (n, dtype=None))]
pub fn identity(n: usize, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    Ok(Tensor::eye(n, n, 0, dt_or(dtype, DType::F32)?).into())
}

/// Shared body of the `_random_*` bindings: parses the shape and dtype, then draws.
fn draw(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    dtype: &Bound<'_, PyAny>,
    default: DType,
    op: &str,
    f: impl FnOnce(&[usize], DType) -> lamina_core::Result<Tensor> + Send,
) -> PyResult<PyTensor> {
    let dims = dims_arg(shape, op)?;
    let dt = dt_or(Some(dtype), default)?;
    run(py, dims.iter().product(), || f(&dims, dt)).map(PyTensor::from)
}

/// Engine RNG: uniform values in `[minval, maxval)` for `(seed, offset)`.
#[pyfunction]
#[pyo3(signature = (shape, minval, maxval, dtype, seed, offset=0))]
pub fn _random_uniform(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    minval: f64,
    maxval: f64,
    dtype: &Bound<'_, PyAny>,
    seed: u64,
    offset: u64,
) -> PyResult<PyTensor> {
    draw(py, shape, dtype, DType::F32, "uniform", |d, dt| {
        random::uniform(d, minval, maxval, dt, seed, offset)
    })
}

/// Engine RNG: normal values.
#[pyfunction]
#[pyo3(signature = (shape, mean, stddev, dtype, seed, offset=0))]
pub fn _random_normal(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    mean: f64,
    stddev: f64,
    dtype: &Bound<'_, PyAny>,
    seed: u64,
    offset: u64,
) -> PyResult<PyTensor> {
    draw(py, shape, dtype, DType::F32, "normal", |d, dt| {
        random::normal(d, mean, stddev, dt, seed, offset)
    })
}

/// Engine RNG: normal values redrawn beyond two standard deviations.
#[pyfunction]
#[pyo3(signature = (shape, mean, stddev, dtype, seed, offset=0))]
pub fn _random_truncated_normal(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    mean: f64,
    stddev: f64,
    dtype: &Bound<'_, PyAny>,
    seed: u64,
    offset: u64,
) -> PyResult<PyTensor> {
    draw(py, shape, dtype, DType::F32, "truncated_normal", |d, dt| {
        random::truncated_normal(d, mean, stddev, dt, seed, offset)
    })
}

/// Engine RNG: Bernoulli(p) values.
#[pyfunction]
#[pyo3(signature = (shape, p, dtype, seed, offset=0))]
pub fn _random_bernoulli(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    p: f64,
    dtype: &Bound<'_, PyAny>,
    seed: u64,
    offset: u64,
) -> PyResult<PyTensor> {
    draw(py, shape, dtype, DType::Bool, "bernoulli", |d, dt| {
        random::bernoulli(d, p, dt, seed, offset)
    })
}

/// Engine RNG: integers in `[minval, maxval)`.
#[pyfunction]
#[pyo3(signature = (shape, minval, maxval, dtype, seed, offset=0))]
pub fn _random_randint(
    py: Python<'_>,
    shape: &Bound<'_, PyAny>,
    minval: i64,
    maxval: i64,
    dtype: &Bound<'_, PyAny>,
    seed: u64,
    offset: u64,
) -> PyResult<PyTensor> {
    draw(py, shape, dtype, DType::I32, "randint", |d, dt| {
        random::randint(d, minval, maxval, dt, seed, offset)
    })
}

/// The number of threads lamina's kernels use.
#[pyfunction]
pub fn get_num_threads() -> usize {
    lamina_core::parallel::num_threads()
}

/// Sets the number of threads lamina's kernels use (>= 1). The new pool runs on threads of its
/// own: the main thread takes part only in the pool it first used. The team of helper
/// threads for matrix products is rebuilt with the same count.
#[pyfunction]
pub fn set_num_threads(n: usize) -> PyResult<()> {
    if n == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "set_num_threads: expected a positive integer. Received: n=0",
        ));
    }
    lamina_core::parallel::set_num_threads(n);
    Ok(())
}

/// Test hook: panics inside the engine boundary, to check that no panic reaches Python.
#[pyfunction]
pub fn _testing_panic() -> PyResult<()> {
    guard(|| -> lamina_core::Result<()> {
        let v: Vec<i32> = Vec::new();
        let i = v.len() + 3;
        Ok(std::hint::black_box(v)[i]).map(|_| ())
    })
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(convert_to_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(convert_to_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(cast, m)?)?;
    m.add_function(wrap_pyfunction!(is_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(full_like, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    m.add_function(wrap_pyfunction!(identity, m)?)?;
    m.add_function(wrap_pyfunction!(_random_uniform, m)?)?;
    m.add_function(wrap_pyfunction!(_random_normal, m)?)?;
    m.add_function(wrap_pyfunction!(_random_truncated_normal, m)?)?;
    m.add_function(wrap_pyfunction!(_random_bernoulli, m)?)?;
    m.add_function(wrap_pyfunction!(_random_randint, m)?)?;
    m.add_function(wrap_pyfunction!(get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(_testing_panic, m)?)?;
    Ok(())
}
