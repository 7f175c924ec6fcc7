//! Bindings of the shape and indexing ops (`keras.ops` names, signatures and defaults).
use crate::convert::{axes_arg, dtype_arg, shape_arg, to_tensor};
use crate::errors::{guard, run};
use crate::tensor::PyTensor;
use lamina_core::autograd::{ops as ad, Tracked};
use lamina_core::kernels::{index, shape};
use lamina_core::DType;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

fn tensors(xs: &Bound<'_, PyAny>, op: &str) -> PyResult<Vec<Tracked>> {
    let items: Vec<Bound<'_, PyAny>> = xs
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!("{op}: expected a list of tensors. Received: {xs}"))
        })?
        .collect::<PyResult<_>>()?;
    items.iter().map(|x| to_tensor(x, op)).collect()
}

fn one_axis(obj: Option<&Bound<'_, PyAny>>, name: &str, op: &str) -> PyResult<Option<i64>> {
    match axes_arg(obj)? {
        None => Ok(None),
        Some(v) if v.len() == 1 => Ok(Some(v[0])),
        Some(v) => Err(PyTypeError::new_err(format!(
            "{op}: `{name}` must be None or an int. Received: {name}={v:?}"
        ))),
    }
}

/// `reshape(x, newshape)`: row-major reshape (one entry may be -1); a view when `x` is contiguous.
#[pyfunction]
pub fn reshape(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    newshape: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "reshape")?;
    let s = shape_arg(newshape, "reshape")?;
    run(py, t.size(), || ad::reshape(&t, &s)).map(PyTensor::from)
}

/// `transpose(x, axes=None)`: reverses or permutes the axes (a view).
#[pyfunction]
#[pyo3(signature = (x, axes=None))]
pub fn transpose(x: &Bound<'_, PyAny>, axes: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "transpose")?;
    let a = axes_arg(axes)?;
    guard(|| ad::transpose(&t, a.as_deref())).map(PyTensor::from)
}

/// `expand_dims(x, axis)`: inserts unit axes (an int or a tuple of positions).
#[pyfunction]
pub fn expand_dims(x: &Bound<'_, PyAny>, axis: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "expand_dims")?;
    let a = axes_arg(Some(axis))?
        .ok_or_else(|| PyValueError::new_err("expand_dims: `axis` must not be None"))?;
    guard(|| ad::expand_dims(&t, &a)).map(PyTensor::from)
}

/// `squeeze(x, axis=None)`: removes unit axes.
#[pyfunction]
#[pyo3(signature = (x, axis=None))]
pub fn squeeze(x: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "squeeze")?;
    let a = axes_arg(axis)?;
    guard(|| ad::squeeze(&t, a.as_deref())).map(PyTensor::from)
}

/// `concatenate(xs, axis=0)`: joins tensors along an existing axis.
#[pyfunction]
#[pyo3(signature = (xs, axis=Some(0)))]
pub fn concatenate(py: Python<'_>, xs: &Bound<'_, PyAny>, axis: Option<i64>) -> PyResult<PyTensor> {
    let ts = tensors(xs, "concatenate")?;
    let n = ts.iter().map(|t| t.size()).sum();
    run(py, n, || ad::concatenate(&ts, axis)).map(PyTensor::from)
}

/// `stack(x, axis=0)`: joins tensors of equal shape along a new axis.
#[pyfunction]
#[pyo3(signature = (x, axis=0))]
pub fn stack(py: Python<'_>, x: &Bound<'_, PyAny>, axis: i64) -> PyResult<PyTensor> {
    let ts = tensors(x, "stack")?;
    let n = ts.iter().map(|t| t.size()).sum();
    run(py, n, || ad::stack(&ts, axis)).map(PyTensor::from)
}

/// `split(x, indices_or_sections, axis=0)`: a list of views.
#[pyfunction]
#[pyo3(signature = (x, indices_or_sections, axis=0))]
pub fn split(
    x: &Bound<'_, PyAny>,
    indices_or_sections: &Bound<'_, PyAny>,
    axis: i64,
) -> PyResult<Vec<PyTensor>> {
    let t = to_tensor(x, "split")?;
    let spec = match indices_or_sections.extract::<i64>() {
        Ok(k) => shape::SplitSpec::Sections(k),
        Err(_) => shape::SplitSpec::Indices(shape_arg(indices_or_sections, "split")?),
    };
    Ok(guard(|| ad::split(&t, &spec, axis))?
        .into_iter()
        .map(PyTensor::from)
        .collect())
}

/// `tile(x, repeats)`: repeats the whole tensor along each axis.
#[pyfunction]
pub fn tile(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    repeats: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "tile")?;
    let r = shape_arg(repeats, "tile")?;
    let n = t
        .size()
        .saturating_mul(r.iter().map(|&v| v.max(0) as usize).product());
    run(py, n, || ad::tile(&t, &r)).map(PyTensor::from)
}

/// `repeat(x, repeats, axis=None)`: repeats elements (one count, or one per element).
#[pyfunction]
#[pyo3(signature = (x, repeats, axis=None))]
pub fn repeat(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    repeats: &Bound<'_, PyAny>,
    axis: Option<i64>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "repeat")?;
    let r = shape_arg(repeats, "repeat")?;
    run(py, t.size(), || ad::repeat(&t, &r, axis)).map(PyTensor::from)
}

/// `broadcast_to(x, shape)`: `x` broadcast to `shape`.
#[pyfunction]
pub fn broadcast_to(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    shape: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "broadcast_to")?;
    let s = shape_arg(shape, "broadcast_to")?;
    let n = s.iter().map(|&v| v.max(0) as usize).product();
    run(py, n, || ad::broadcast_to(&t, &s)).map(PyTensor::from)
}

/// Reads numpy-style `pad_width`: an int, `(pad,)`, `(before, after)`, or one pair per axis.
fn pad_width_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<(i64, i64)>> {
    let w = to_tensor(obj, "pad")?;
    let bad = || {
        PyValueError::new_err(format!(
            "pad: pad_width must be an int, (pad,), (before, after) or ((before_1, after_1), ...). Received: pad_width={obj}"
        ))
    };
    if w.dtype().is_float() && w.size() > 0 {
        return Err(PyTypeError::new_err(format!(
            "pad: pad_width must hold integers. Received: pad_width={obj}"
        )));
    }
    let v = w.to_vec::<i64>();
    Ok(match w.shape() {
        [] | [1] => vec![(v[0], v[0])],
        [2] => vec![(v[0], v[1])],
        [_, 1] => v.iter().map(|&p| (p, p)).collect(),
        [_, 2] => v.chunks(2).map(|c| (c[0], c[1])).collect(),
        _ => return Err(bad()),
    })
}

/// `pad(x, pad_width, mode="constant", constant_values=None)`.
#[pyfunction]
#[pyo3(signature = (x, pad_width, mode="constant", constant_values=None))]
pub fn pad(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    pad_width: &Bound<'_, PyAny>,
    mode: &str,
    constant_values: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "pad")?;
    let w = pad_width_arg(pad_width)?;
    let m = guard(|| shape::PadMode::from_name(mode))?;
    let c = match constant_values {
        Some(v) if !v.is_none() => {
            let c = to_tensor(v, "pad")?;
            if c.size() != 1 {
                return Err(PyValueError::new_err(format!(
                    "pad: constant_values must be a scalar. Received: constant_values={v}"
                )));
            }
            Some(guard(|| c.item_f64())?)
        }
        _ => None,
    };
    run(py, t.size(), || ad::pad(&t, &w, m, c)).map(PyTensor::from)
}

/// `flip(x, axis=None)`: reverses the order of elements (a view).
#[pyfunction]
#[pyo3(signature = (x, axis=None))]
pub fn flip(x: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "flip")?;
    let a = axes_arg(axis)?;
    guard(|| ad::flip(&t, a.as_deref())).map(PyTensor::from)
}

/// `moveaxis(x, source, destination)`: moves axes to new positions (a view).
#[pyfunction]
pub fn moveaxis(
    x: &Bound<'_, PyAny>,
    source: &Bound<'_, PyAny>,
    destination: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "moveaxis")?;
    let s = axes_arg(Some(source))?.unwrap_or_default();
    let d = axes_arg(Some(destination))?.unwrap_or_default();
    guard(|| ad::moveaxis(&t, &s, &d)).map(PyTensor::from)
}

/// `swapaxes(x, axis1, axis2)`: exchanges two axes (a view).
#[pyfunction]
pub fn swapaxes(x: &Bound<'_, PyAny>, axis1: i64, axis2: i64) -> PyResult<PyTensor> {
    let t = to_tensor(x, "swapaxes")?;
    guard(|| ad::swapaxes(&t, axis1, axis2)).map(PyTensor::from)
}

/// `ravel(x)`: a 1-D tensor of the elements in row-major order.
#[pyfunction]
pub fn ravel(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "ravel")?;
    run(py, t.size(), || ad::ravel(&t)).map(PyTensor::from)
}

/// `slice(inputs, start_indices, shape)`: the block of `shape` at `start_indices` (a view).
#[pyfunction]
pub fn slice(
    inputs: &Bound<'_, PyAny>,
    start_indices: &Bound<'_, PyAny>,
    shape: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(inputs, "slice")?;
    let s = shape_arg(start_indices, "slice")?;
    let l = shape_arg(shape, "slice")?;
    guard(|| ad::slice(&t, &s, &l)).map(PyTensor::from)
}

/// `take(x, indices, axis=None)`: elements at `indices` along `axis` (of the flattened `x` for None).
#[pyfunction]
#[pyo3(signature = (x, indices, axis=None))]
pub fn take(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    indices: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "take")?;
    let i = to_tensor(indices, "take")?;
    let a = one_axis(axis, "axis", "take")?;
    run(py, t.size().max(i.size()), || ad::take(&t, &i, a)).map(PyTensor::from)
}

/// `take_along_axis(x, indices, axis=None)`: values of `x` at `indices` along `axis`.
#[pyfunction]
#[pyo3(signature = (x, indices, axis=None))]
pub fn take_along_axis(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    indices: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "take_along_axis")?;
    let i = to_tensor(indices, "take_along_axis")?;
    let a = one_axis(axis, "axis", "take_along_axis")?;
    run(py, t.size().max(i.size()), || {
        ad::take_along_axis(&t, &i, a)
    })
    .map(PyTensor::from)
}

/// `one_hot(x, num_classes, axis=-1, dtype=None, sparse=False)`: dtype defaults to float32.
#[pyfunction]
#[pyo3(signature = (x, num_classes, axis=-1, dtype=None, sparse=false))]
pub fn one_hot(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    num_classes: i64,
    axis: i64,
    dtype: Option<&Bound<'_, PyAny>>,
    sparse: bool,
) -> PyResult<PyTensor> {
    if sparse {
        return Err(PyValueError::new_err(
            "one_hot: lamina has no sparse tensors. Received: sparse=True",
        ));
    }
    let t = to_tensor(x, "one_hot")?;
    let dt = dtype_arg(dtype)?.unwrap_or(DType::F32);
    let n = t.size().saturating_mul(num_classes.max(0) as usize);
    run(py, n, || index::one_hot(&t, num_classes, axis, dt)).map(PyTensor::from)
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(reshape, m)?)?;
    m.add_function(wrap_pyfunction!(transpose, m)?)?;
    m.add_function(wrap_pyfunction!(expand_dims, m)?)?;
    m.add_function(wrap_pyfunction!(squeeze, m)?)?;
    m.add_function(wrap_pyfunction!(concatenate, m)?)?;
    m.add_function(wrap_pyfunction!(stack, m)?)?;
    m.add_function(wrap_pyfunction!(split, m)?)?;
    m.add_function(wrap_pyfunction!(tile, m)?)?;
    m.add_function(wrap_pyfunction!(repeat, m)?)?;
    m.add_function(wrap_pyfunction!(broadcast_to, m)?)?;
    m.add_function(wrap_pyfunction!(pad, m)?)?;
    m.add_function(wrap_pyfunction!(flip, m)?)?;
    m.add_function(wrap_pyfunction!(moveaxis, m)?)?;
    m.add_function(wrap_pyfunction!(swapaxes, m)?)?;
    m.add_function(wrap_pyfunction!(ravel, m)?)?;
    m.add_function(wrap_pyfunction!(slice, m)?)?;
    m.add_function(wrap_pyfunction!(take, m)?)?;
    m.add_function(wrap_pyfunction!(take_along_axis, m)?)?;
    m.add_function(wrap_pyfunction!(one_hot, m)?)?;
    Ok(())
}
