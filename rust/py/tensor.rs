//! `lamina.Tensor`: the Python face of an engine tensor. Immutable; operators dispatch straight to
//! the engine; numpy sees its memory without a copy (read-only) through `__array__`/`numpy()`.
use crate::convert::{resolve_pair, to_arg};
use crate::errors::{guard, run};
use lamina_core::autograd::{ops as ad, Tracked};
use lamina_core::kernels::elementwise::{BinaryOp, UnaryOp};
use lamina_core::kernels::index::IndexItem;
use lamina_core::{DType, Tensor};
use numpy::PyArray;
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyList, PyTuple};

/// An immutable n-dimensional array computed by lamina's engine.
#[pyclass(name = "Tensor", module = "lamina", frozen, weakref)]
pub struct PyTensor {
    /// The engine tensor.
    pub t: Tensor,
    /// Its identity for gradient tapes.
    pub id: u64,
    /// The Keras mask attached by a layer (`_keras_mask`), if any.
    mask: std::sync::Mutex<Option<Py<PyAny>>>,
}

impl PyTensor {
    /// The tensor with its identity.
    pub fn tracked(&self) -> Tracked {
        Tracked::with_id(self.t.clone(), self.id)
    }
}

impl From<Tensor> for PyTensor {
    fn from(t: Tensor) -> Self {
        PyTensor {
            t,
            id: lamina_core::autograd::fresh_id(),
            mask: std::sync::Mutex::new(None),
        }
    }
}

impl From<Tracked> for PyTensor {
    fn from(t: Tracked) -> Self {
        PyTensor {
            t: t.t,
            id: t.id,
            mask: std::sync::Mutex::new(None),
        }
    }
}

macro_rules! borrow_np {
    ($py:expr, $a:expr, $owner:expr) => {{
        // SAFETY: `$owner` (the Python Tensor) keeps the Arc'd storage alive for the array's
        // lifetime, and the array is flagged read-only so numpy never writes to shared storage.
        let arr = unsafe { PyArray::borrow_from_array($a, $owner.clone().into_any()) };
        let arr = arr.into_any();
        arr.call_method1("setflags", (false,))?;
        arr
    }};
}

/// A numpy array viewing the tensor's memory (read-only); bfloat16 is converted to float32.
pub fn numpy_view<'py>(slf: &Bound<'py, PyTensor>) -> PyResult<Bound<'py, PyAny>> {
    let py = slf.py();
    let t = &slf.get().t;
    Ok(match t {
        Tensor::Bool(a) => borrow_np!(py, a, slf),
        Tensor::U8(a) => borrow_np!(py, a, slf),
        Tensor::I32(a) => borrow_np!(py, a, slf),
        Tensor::I64(a) => borrow_np!(py, a, slf),
        Tensor::F16(a) => borrow_np!(py, a, slf),
        Tensor::F32(a) => borrow_np!(py, a, slf),
        Tensor::F64(a) => borrow_np!(py, a, slf),
        Tensor::BF16(_) => to_numpy(py, &t.cast(DType::F32))?,
    })
}

/// A numpy copy of a tensor (bfloat16 becomes float32).
pub fn to_numpy<'py>(py: Python<'py>, t: &Tensor) -> PyResult<Bound<'py, PyAny>> {
    Ok(match t {
        Tensor::Bool(a) => PyArray::from_array(py, a).into_any(),
        Tensor::U8(a) => PyArray::from_array(py, a).into_any(),
        Tensor::I32(a) => PyArray::from_array(py, a).into_any(),
        Tensor::I64(a) => PyArray::from_array(py, a).into_any(),
        Tensor::F16(a) => PyArray::from_array(py, a).into_any(),
        Tensor::F32(a) => PyArray::from_array(py, a).into_any(),
        Tensor::F64(a) => PyArray::from_array(py, a).into_any(),
        Tensor::BF16(_) => return to_numpy(py, &t.cast(DType::F32)),
    })
}

fn shape_tuple<'py>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, shape.iter().copied())
}

/// Applies a binary op to a tensor-like `slf` (Tensor or Variable) and any Python operand;
/// `NotImplemented` for foreign types.
pub fn binop(
    slf: &Bound<'_, PyAny>,
    other: &Bound<'_, PyAny>,
    op: BinaryOp,
    reflected: bool,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Ok(o) = to_arg(other, op.name()) else {
        return Ok(py.NotImplemented());
    };
    let s = to_arg(slf, op.name())?;
    let (a, b) = if reflected {
        resolve_pair(o, s)
    } else {
        resolve_pair(s, o)
    };
    let size = a.size().max(b.size());
    let r = run(py, size, || ad::binary(op, &a, &b))?;
    Ok(Bound::new(py, PyTensor::from(r))?.into_any().unbind())
}

/// `slf @ other` (or `other @ slf`); `NotImplemented` for foreign types.
pub fn matmul_op(
    slf: &Bound<'_, PyAny>,
    other: &Bound<'_, PyAny>,
    reflected: bool,
) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Ok(o) = to_arg(other, "matmul") else {
        return Ok(py.NotImplemented());
    };
    let s = to_arg(slf, "matmul")?;
    let (a, b) = if reflected {
        resolve_pair(o, s)
    } else {
        resolve_pair(s, o)
    };
    let work = a
        .size()
        .saturating_mul(b.shape().last().copied().unwrap_or(1));
    let r = run(py, work, || ad::matmul(&a, &b))?;
    Ok(Bound::new(py, PyTensor::from(r))?.into_any().unbind())
}

/// Applies a unary op to a tensor-like `slf`.
pub fn unop(slf: &Bound<'_, PyAny>, op: UnaryOp) -> PyResult<PyTensor> {
    let t = crate::convert::to_tensor(slf, op.name())?;
    run(slf.py(), t.size(), || ad::unary(op, &t)).map(PyTensor::from)
}

/// `arr.astype(dtype)` when a dtype is given (numpy's `__array__(dtype=...)` protocol).
pub fn astype<'py>(
    arr: Bound<'py, PyAny>,
    dtype: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match dtype {
        Some(d) if !d.is_none() => arr.call_method1("astype", (d,)),
        _ => Ok(arr),
    }
}

/// The Python operators of a tensor-like class (`lamina.Tensor` and `lamina.Variable`), all
/// dispatching straight to the engine's differentiable ops.
#[macro_export]
macro_rules! tensor_operators {
    ($ty:ty) => {
        #[pymethods]
        impl $ty {
            #[classattr]
            fn __array_priority__() -> i32 {
                1000
            }
            /// numpy defers binary operators to this class (so `ndarray + x` is a Tensor).
            #[classattr]
            fn __array_ufunc__() -> Option<i32> {
                None
            }
            fn __add__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Add, false)
            }
            fn __radd__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Add, true)
            }
            fn __sub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Subtract, false)
            }
            fn __rsub__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Subtract, true)
            }
            fn __mul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Multiply, false)
            }
            fn __rmul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Multiply, true)
            }
            fn __truediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Divide, false)
            }
            fn __rtruediv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Divide, true)
            }
            fn __floordiv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::FloorDivide, false)
            }
            fn __rfloordiv__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::FloorDivide, true)
            }
            fn __mod__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Mod, false)
            }
            fn __rmod__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Mod, true)
            }
            fn __pow__(
                slf: &Bound<'_, Self>,
                o: &Bound<'_, PyAny>,
                _m: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Power, false)
            }
            fn __rpow__(
                slf: &Bound<'_, Self>,
                o: &Bound<'_, PyAny>,
                _m: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::Power, true)
            }
            fn __and__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalAnd, false)
            }
            fn __rand__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalAnd, true)
            }
            fn __or__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalOr, false)
            }
            fn __ror__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalOr, true)
            }
            fn __xor__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalXor, false)
            }
            fn __rxor__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                binop(slf.as_any(), o, BinaryOp::LogicalXor, true)
            }
            fn __matmul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                matmul_op(slf.as_any(), o, false)
            }
            fn __rmatmul__(slf: &Bound<'_, Self>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                matmul_op(slf.as_any(), o, true)
            }
            fn __neg__(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
                unop(slf.as_any(), UnaryOp::Negative)
            }
            fn __pos__(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
                crate::convert::to_tensor(slf.as_any(), "positive").map(PyTensor::from)
            }
            fn __abs__(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
                unop(slf.as_any(), UnaryOp::Abs)
            }
            fn __invert__(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
                let t = crate::convert::to_tensor(slf.as_any(), "invert")?;
                if t.dtype() != DType::Bool {
                    return Err(PyTypeError::new_err(format!(
                        "~ (invert) is supported for bool tensors only. Received: dtype={}",
                        t.dtype()
                    )));
                }
                unop(slf.as_any(), UnaryOp::LogicalNot)
            }
            fn __richcmp__(
                slf: &Bound<'_, Self>,
                o: &Bound<'_, PyAny>,
                op: CompareOp,
            ) -> PyResult<Py<PyAny>> {
                let b = match op {
                    CompareOp::Lt => BinaryOp::Less,
                    CompareOp::Le => BinaryOp::LessEqual,
                    CompareOp::Eq => BinaryOp::Equal,
                    CompareOp::Ne => BinaryOp::NotEqual,
                    CompareOp::Gt => BinaryOp::Greater,
                    CompareOp::Ge => BinaryOp::GreaterEqual,
                };
                binop(slf.as_any(), o, b, false)
            }
        }
    };
}

tensor_operators!(PyTensor);

static ARRAY2STRING: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl PyTensor {
    #[new]
    #[pyo3(signature = (value, dtype=None))]
    fn py_new(value: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let t = crate::convert::to_tensor(value, "Tensor")?;
        Ok(match crate::convert::dtype_arg(dtype)? {
            Some(dt) => PyTensor::from(t.cast(dt)),
            None => PyTensor::from(t),
        })
    }

    /// The shape, as a tuple of ints.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        shape_tuple(py, self.t.shape())
    }

    /// The mask a layer attached to this tensor (Keras' `_keras_mask`), or None.
    #[getter(_keras_mask)]
    fn get_keras_mask(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.mask
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|m| m.clone_ref(py))
    }

    #[setter(_keras_mask)]
    fn set_keras_mask(&self, mask: Option<Py<PyAny>>) {
        *self.mask.lock().unwrap_or_else(|e| e.into_inner()) = mask;
    }

    /// The Keras dtype name, e.g. "float32".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.t.dtype().name()
    }

    /// The number of dimensions.
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }

    /// The number of elements.
    #[getter]
    fn size(&self) -> usize {
        self.t.size()
    }

    /// The values as a numpy array (read-only, sharing memory; bfloat16 is returned as float32).
    fn numpy<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        numpy_view(slf)
    }

    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let arr = if copy == Some(true) {
            to_numpy(py, &slf.get().t)?
        } else {
            numpy_view(slf)?
        };
        astype(arr, dtype)
    }

    fn __len__(&self) -> PyResult<usize> {
        self.t
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d tensor"))
    }

    fn __iter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let t = &slf.get().t;
        if t.ndim() == 0 {
            return Err(PyTypeError::new_err("iteration over a 0-d tensor"));
        }
        let n = t.shape()[0];
        let x = slf.get().tracked();
        let items: Vec<PyTensor> = (0..n)
            .map(|i| guard(|| ad::getitem(&x, &[IndexItem::Int(i as i64)])).map(PyTensor::from))
            .collect::<PyResult<_>>()?;
        PyList::new(py, items)?.try_iter().map(|it| it.into_any())
    }

    fn __getitem__(&self, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        crate::indexing::getitem(&self.tracked(), key).map(PyTensor::from)
    }

    fn __float__(&self) -> PyResult<f64> {
        guard(|| self.t.item_f64())
    }

    fn __int__(&self) -> PyResult<i64> {
        guard(|| self.t.item_i64())
    }

    fn __index__(&self) -> PyResult<i64> {
        if !(self.t.dtype().is_int() || self.t.dtype() == DType::Bool) {
            return Err(PyTypeError::new_err(format!(
                "only integer tensors can be used as an index. Received: dtype={}",
                self.t.dtype()
            )));
        }
        guard(|| self.t.item_i64())
    }

    fn __bool__(&self) -> PyResult<bool> {
        if self.t.size() != 1 {
            return Err(PyValueError::new_err(format!(
                "The truth value of a tensor with {} elements is ambiguous. Use lamina.ops.any() or lamina.ops.all().",
                self.t.size()
            )));
        }
        guard(|| self.t.item_f64()).map(|v| v != 0.0)
    }

    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let py = slf.py();
        let t = &slf.get().t;
        let a2s = ARRAY2STRING
            .get_or_try_init(py, || -> PyResult<_> {
                Ok(py.import("numpy")?.getattr("array2string")?.unbind())
            })?
            .bind(py);
        let kwargs = pyo3::types::PyDict::new(py);
        kwargs.set_item("separator", ", ")?;
        kwargs.set_item("prefix", "tensor(")?;
        let body: String = a2s.call((numpy_view(slf)?,), Some(&kwargs))?.extract()?;
        let shape = shape_tuple(py, t.shape())?.repr()?.to_string();
        Ok(format!(
            "tensor({body}, shape={shape}, dtype={})",
            t.dtype()
        ))
    }

    fn __str__(slf: &Bound<'_, Self>) -> PyResult<String> {
        Self::__repr__(slf)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyAny>, &'static str))> {
        let py = slf.py();
        let cls = py.import("lamina")?.getattr("Tensor")?;
        Ok((
            cls,
            (to_numpy(py, &slf.get().t)?, slf.get().t.dtype().name()),
        ))
    }
}
