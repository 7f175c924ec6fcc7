//! `Tensor.__getitem__`: parses a Python key (int, slice, None, Ellipsis, tuples of those, lists,
//! numpy arrays and lamina Tensors of ints or bools) into engine index items.
use crate::convert::to_tensor;
use crate::errors::run;
use crate::tensor::PyTensor;
use lamina_core::kernels::index::IndexItem;
use lamina_core::{DType, Tensor};
use pyo3::exceptions::PyIndexError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PyFloat, PyInt, PyList, PySlice, PyString, PyTuple};

fn invalid(obj: &Bound<'_, PyAny>) -> PyErr {
    let ty = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    PyIndexError::new_err(format!(
        "getitem: only integers, slices (`:`), ellipsis (`...`), None and integer or boolean arrays are \
         valid indices. Received: {} of type {ty}",
        obj.repr().map(|r| r.to_string()).unwrap_or_default()
    ))
}

fn int_of(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    obj.extract::<i64>().map_err(|_| {
        PyIndexError::new_err(format!(
            "getitem: index {obj} does not fit in a 64-bit integer"
        ))
    })
}

fn slice_bound(v: Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if v.is_none() {
        return Ok(None);
    }
    v.extract::<i64>().map(Some).map_err(|_| {
        pyo3::exceptions::PyTypeError::new_err(format!(
            "getitem: slice indices must be integers or None. Received: {}",
            v.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })
}

/// An index tensor: 0-d ints act as plain ints, bools as masks, other arrays as integer arrays.
fn tensor_item(t: Tensor) -> IndexItem {
    match (t.dtype(), t.ndim()) {
        (DType::Bool, _) => IndexItem::BoolMask(t),
        (dt, 0) if !dt.is_float() => IndexItem::Int(t.item_i64().unwrap_or(0)),
        _ => IndexItem::IntArray(t),
    }
}

fn item(obj: &Bound<'_, PyAny>) -> PyResult<IndexItem> {
    if obj.is_none() {
        return Ok(IndexItem::NewAxis);
    }
    if obj.is_instance_of::<PyBool>() {
        return Ok(IndexItem::BoolMask(Tensor::scalar(obj.extract::<bool>()?)));
    }
    if obj.is_instance_of::<PyInt>() {
        return Ok(IndexItem::Int(int_of(obj)?));
    }
    if let Ok(s) = obj.cast::<PySlice>() {
        let step = slice_bound(s.getattr("step")?)?.unwrap_or(1);
        return Ok(IndexItem::Slice {
            start: slice_bound(s.getattr("start")?)?,
            stop: slice_bound(s.getattr("stop")?)?,
            step,
        });
    }
    if obj.is_instance_of::<PyEllipsis>() {
        return Ok(IndexItem::Ellipsis);
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(tensor_item(t.get().t.clone()));
    }
    if obj.is_instance_of::<PyFloat>()
        || obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyTuple>()
    {
        return Err(invalid(obj));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        // Fast path: a flat list of Python ints (no bools) needs no numpy round trip.
        if l.iter()
            .all(|v| v.is_instance_of::<PyInt>() && !v.is_instance_of::<PyBool>())
        {
            let v: Vec<i64> = l.extract().map_err(|_| invalid(obj))?;
            let n = v.len();
            return Tensor::from_vec(&[n], v)
                .map(IndexItem::IntArray)
                .map_err(crate::errors::to_py);
        }
    }
    if obj.is_instance_of::<PyList>()
        || obj.hasattr("__array_interface__")?
        || obj.hasattr("dtype")?
    {
        let t = to_tensor(obj, "getitem").map_err(|_| invalid(obj))?;
        return Ok(tensor_item(t.t));
    }
    // Any other object implementing __index__ (numpy integer scalars are handled above).
    if obj.hasattr("__index__")? {
        return Ok(IndexItem::Int(int_of(obj)?));
    }
    Err(invalid(obj))
}

/// Indexes `t` with a Python key, following numpy's rules (basic keys give views).
pub fn getitem(
    t: &lamina_core::autograd::Tracked,
    key: &Bound<'_, PyAny>,
) -> PyResult<lamina_core::autograd::Tracked> {
    let items: Vec<IndexItem> = if let Ok(tup) = key.cast::<PyTuple>() {
        tup.iter().map(|k| item(&k)).collect::<PyResult<_>>()?
    } else {
        vec![item(key)?]
    };
    let advanced = items
        .iter()
        .any(|i| matches!(i, IndexItem::IntArray(_) | IndexItem::BoolMask(_)));
    let work = if advanced { t.size() } else { 0 };
    run(key.py(), work, || {
        lamina_core::autograd::ops::getitem(t, &items)
    })
}
