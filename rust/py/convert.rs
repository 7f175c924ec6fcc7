//! Argument conversion: anything tensor-like (lamina Tensor, numpy array, Python scalar, nested
//! list, objects with `__lamina_tensor__` or `__array__`) into an engine Tensor; dtypes, axes, shapes.
use crate::errors::to_py;
use crate::tensor::PyTensor;
use crate::variable::PyVariable;
use lamina_core::autograd::Tracked;
use lamina_core::dtype::{default_weak_dtype, result_type_weak, DType, Weak};
use lamina_core::{Error, Tensor};
use numpy::{PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyString, PyTuple, PyType};

/// A converted operand: a tensor (with its identity, for the tape), or a Python scalar whose dtype
/// is decided by the other operand.
pub enum Arg {
    /// A tensor with a fixed ("strong") dtype.
    Strong(Tracked),
    /// A Python bool/int/float (as a 0-d tensor of the widest dtype of its kind).
    Weak(Tensor, Weak),
}

static NUMPY_ASARRAY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn np_asarray<'py>(py: Python<'py>) -> PyResult<&'py Bound<'py, PyAny>> {
    Ok(NUMPY_ASARRAY
        .get_or_try_init(py, || -> PyResult<_> {
            Ok(py.import("numpy")?.getattr("asarray")?.unbind())
        })?
        .bind(py))
}

fn from_numpy(arr: &Bound<'_, PyUntypedArray>, op: &str, from_list: bool) -> PyResult<Tensor> {
    macro_rules! grab {
        ($t:ty) => {
            if let Ok(a) = arr.cast::<PyArrayDyn<$t>>() {
                let ro = a
                    .try_readonly()
                    .map_err(|e| PyTypeError::new_err(format!("{op}: {e}")))?;
                return Ok(Tensor::copy_of(&ro.as_array()));
            }
        };
    }
    let dt = arr.dtype();
    let kind: String = dt.getattr("name")?.extract()?;
    if from_list {
        // Keras turns Python lists into int32 / float32 tensors, not numpy's 64-bit defaults.
        match kind.as_str() {
            "int64" => return Ok(from_numpy(arr, op, false)?.cast(DType::I32)),
            "float64" => return Ok(from_numpy(arr, op, false)?.cast(DType::F32)),
            _ => {}
        }
    }
    grab!(f32);
    grab!(f64);
    grab!(i64);
    grab!(i32);
    grab!(bool);
    grab!(u8);
    grab!(half::f16);
    if kind == "bfloat16" {
        // ml_dtypes' bfloat16 (what Keras and JAX hand out): the same 16 bits as half::bf16.
        let bits = arr.call_method1("view", ("uint16",))?;
        if let Ok(a) = bits.cast::<PyArrayDyn<u16>>() {
            let ro = a
                .try_readonly()
                .map_err(|e| PyTypeError::new_err(format!("{op}: {e}")))?;
            return Ok(Tensor::from_array(
                ro.as_array().mapv(half::bf16::from_bits),
            ));
        }
    }
    Err(to_py(Error::dtype(
        op,
        format!(
            "unsupported dtype '{kind}'. lamina supports: bool, uint8, int32, int64, float16, \
             bfloat16, float32, float64. Received: dtype={kind}"
        ),
    )))
}

/// Converts any tensor-like Python object to an [`Arg`], keeping Python scalars weak.
pub fn to_arg(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Arg> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(Arg::Strong(t.get().tracked()));
    }
    if let Ok(v) = obj.cast::<PyVariable>() {
        return Ok(Arg::Strong(v.get().read(obj)?));
    }
    if obj.is_exact_instance_of::<PyFloat>() {
        let v: f64 = obj.extract()?;
        // Keep the full f64 value so that a float64 partner sees no rounding.
        return Ok(Arg::Weak(Tensor::scalar(v), Weak::Float));
    }
    if obj.is_exact_instance_of::<PyBool>() {
        return Ok(Arg::Weak(
            Tensor::scalar(obj.extract::<bool>()?),
            Weak::Bool,
        ));
    }
    if obj.is_exact_instance_of::<PyInt>() {
        let v: i64 = obj.extract().map_err(|_| {
            pyo3::exceptions::PyOverflowError::new_err(format!(
                "{op}: Python int too large to convert. Received: {obj}"
            ))
        })?;
        return Ok(Arg::Weak(Tensor::scalar(v), Weak::Int));
    }
    Ok(Arg::Strong(Tracked::new(to_tensor_slow(obj, op)?)))
}

fn to_tensor_slow(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Tensor> {
    let py = obj.py();
    if let Ok(arr) = obj.cast::<PyUntypedArray>() {
        return from_numpy(arr, op, false);
    }
    if let Ok(f) = obj.getattr("__lamina_tensor__") {
        let t = f.call0()?;
        if let Ok(t) = t.cast::<PyTensor>() {
            return Ok(t.get().t.clone());
        }
        if let Ok(v) = t.cast::<PyVariable>() {
            return Ok(v.get().read(&t)?.t);
        }
    }
    if obj.is_instance_of::<PyString>() || obj.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{op}: expected a tensor-like value (Tensor, numpy array, number or nested list). Received: {} of type {}",
            obj.repr()?, obj.get_type().name()?
        )));
    }
    let from_list = obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>();
    if from_list && obj.len()? == 0 {
        return Ok(Tensor::zeros(&[0], DType::F32));
    }
    if from_list {
        // Lists may hold lamina tensors: convert those through numpy first.
        let seq: Vec<Bound<'_, PyAny>> = obj.try_iter()?.collect::<PyResult<_>>()?;
        if seq.iter().any(|x| x.cast::<PyTensor>().is_ok()) {
            let parts: Vec<Bound<'_, PyAny>> = seq
                .iter()
                .map(|x| -> PyResult<Bound<'_, PyAny>> {
                    if let Ok(t) = x.cast::<PyTensor>() {
                        Ok(crate::tensor::to_numpy(py, &t.get().t)?.into_any())
                    } else {
                        Ok(x.clone())
                    }
                })
                .collect::<PyResult<_>>()?;
            let arr = np_asarray(py)?.call1((PyList::new(py, parts)?,))?;
            return from_numpy(arr.cast::<PyUntypedArray>()?, op, true);
        }
    }
    let arr = np_asarray(py)?.call1((obj,)).map_err(|e| {
        PyTypeError::new_err(format!(
            "{op}: cannot convert a value of type {} to a tensor ({e}). Received: {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            obj.repr().map(|r| r.to_string()).unwrap_or_default()
        ))
    })?;
    let arr = arr.cast::<PyUntypedArray>()?;
    // numpy scalars (np.float32(1)) keep their dtype; lists become int32/float32 as in Keras.
    let is_np_scalar = !from_list && obj.hasattr("dtype")?;
    from_numpy(arr, op, !is_np_scalar)
}

/// Converts any tensor-like Python object to a tracked Tensor (Python scalars take their default
/// dtype: bool, int32, float32).
pub fn to_tensor(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Tracked> {
    match to_arg(obj, op)? {
        Arg::Strong(t) => Ok(t),
        Arg::Weak(t, w) => Ok(Tracked::new(t.cast(default_weak_dtype(w)))),
    }
}

/// Like [`to_tensor`], for a conversion to an explicit `dtype`: Python scalars and lists of
/// numbers are cast from their full-precision values (so `0.3` converted to float64 is exactly
/// 0.3, not 0.3 rounded through the float32 default). Tensors are returned as they are (the caller
/// casts them).
pub fn to_tensor_as(obj: &Bound<'_, PyAny>, dtype: Option<DType>, op: &str) -> PyResult<Tracked> {
    let Some(dt) = dtype else {
        return to_tensor(obj, op);
    };
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        if let Ok(arr) = np_asarray(obj.py())?.call1((obj,)) {
            if let Ok(a) = arr.cast::<PyUntypedArray>() {
                if let Ok(t) = from_numpy(a, op, false) {
                    return Ok(Tracked::new(t.cast(dt)));
                }
            }
        }
    }
    Ok(match to_arg(obj, op)? {
        Arg::Weak(t, _) => Tracked::new(t.cast(dt)),
        Arg::Strong(t) => t,
    })
}

/// Resolves two operands with Keras' weak-type rules (a Python scalar adopts the tensor's dtype
/// where it can: `float16_tensor + 1.5 -> float16`, `int32_tensor + 1.5 -> float32`).
pub fn resolve_pair(a: Arg, b: Arg) -> (Tracked, Tracked) {
    let t = Tracked::new;
    match (a, b) {
        (Arg::Strong(x), Arg::Strong(y)) => (x, y),
        (Arg::Strong(x), Arg::Weak(y, w)) => {
            let dt = result_type_weak(x.dtype(), w);
            (x, t(y.cast(dt)))
        }
        (Arg::Weak(x, w), Arg::Strong(y)) => {
            let dt = result_type_weak(y.dtype(), w);
            (t(x.cast(dt)), y)
        }
        (Arg::Weak(x, wx), Arg::Weak(y, wy)) => (
            t(x.cast(default_weak_dtype(wx))),
            t(y.cast(default_weak_dtype(wy))),
        ),
    }
}

/// Parses a dtype argument: None, a Keras dtype string, a Python type (float/int/bool), a numpy
/// dtype or scalar type, or anything with a `.name`/`.dtype` naming one.
pub fn dtype_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    let py = obj.py();
    let name: String = if let Ok(s) = obj.cast::<PyString>() {
        s.to_string()
    } else if let Ok(t) = obj.cast::<PyType>() {
        if t.is(&py.get_type::<PyFloat>()) {
            "float32".into()
        } else if t.is(&py.get_type::<PyBool>()) {
            "bool".into()
        } else if t.is(&py.get_type::<PyInt>()) {
            "int32".into()
        } else {
            py.import("numpy")?
                .getattr("dtype")?
                .call1((obj,))?
                .getattr("name")?
                .extract()?
        }
    } else if let Ok(n) = obj.getattr("name") {
        n.str()?.to_string()
    } else {
        obj.str()?.to_string()
    };
    DType::from_name(&name).map(Some).map_err(to_py)
}

/// Parses an axis argument: None, an int, or a tuple/list of ints.
pub fn axes_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Some(vec![i]));
    }
    let v: Vec<i64> = obj.extract().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected `axis` to be None, an int or a tuple of ints. Received: axis={obj}"
        ))
    })?;
    Ok(Some(v))
}

/// Parses a shape argument: an int or a tuple/list of ints (entries may be -1 where the op allows).
pub fn shape_arg(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Vec<i64>> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(vec![i]);
    }
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(t.get().t.to_vec::<i64>());
    }
    obj.extract::<Vec<i64>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{op}: expected a shape (a tuple of ints). Received: shape={obj}"
        ))
    })
}

/// Parses a shape of non-negative sizes.
pub fn dims_arg(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Vec<usize>> {
    let v = shape_arg(obj, op)?;
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "{op}: dimensions must be non-negative integers. Received: shape={obj}"
                ))
            })
        })
        .collect()
}
