//! `lamina._lamina._VariableBase`: the engine half of `lamina.Variable` — a mutable slot holding a
//! tensor, with a stable id so that every read is the same source for gradient tapes. The Keras
//! semantics (initializers, names, paths, constraints) live in the Python subclass.
use crate::convert::{resolve_pair, to_arg, to_tensor, Arg};
use crate::errors::{guard, run};
use crate::tensor::{binop, matmul_op, unop, PyTensor};
use lamina_core::autograd::{self, Tracked};
use lamina_core::error::fmt_shape;
use lamina_core::kernels::elementwise::{self, BinaryOp, UnaryOp};
use lamina_core::{DType, Tensor};
use pyo3::basic::CompareOp;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

/// A mutable slot holding a tensor; assignments are seen by every holder.
#[pyclass(
    name = "_VariableBase",
    module = "lamina._lamina",
    subclass,
    frozen,
    weakref
)]
pub struct PyVariable {
    id: u64,
    value: RwLock<Option<Tensor>>,
    trainable: AtomicBool,
    autocast: AtomicBool,
}

impl PyVariable {
    pub(crate) fn current(&self, obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
        self.value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| {
                pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "The variable {} has not been initialized yet",
                    obj.repr().map(|r| r.to_string()).unwrap_or_default()
                ))
            })
    }

    /// The value under the variable's id; tapes watching accessed variables start tracking it.
    /// Inside an autocast scope a float variable with `autocast` is read as the scope's dtype
    /// (a recorded cast, so its gradient comes back in the variable's own dtype).
    pub fn read(&self, obj: &Bound<'_, PyAny>) -> PyResult<Tracked> {
        let t = self.current(obj)?;
        autograd::variable_read(self.id, self.trainable.load(Ordering::Relaxed));
        let t = Tracked::with_id(t, self.id);
        match autograd::autocast() {
            Some(dt)
                if t.dtype().is_float()
                    && t.dtype() != dt
                    && self.autocast.load(Ordering::Relaxed) =>
            {
                guard(|| autograd::ops::cast(&t, dt))
            }
            _ => Ok(t),
        }
    }

    /// The value under the variable's id, without notifying tapes.
    pub fn peek(&self, obj: &Bound<'_, PyAny>) -> PyResult<Tracked> {
        Ok(Tracked::with_id(self.current(obj)?, self.id))
    }

    /// The variable's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub(crate) fn store(&self, t: Tensor) {
        *self.value.write().unwrap_or_else(|e| e.into_inner()) = Some(t);
    }

    pub(crate) fn take(&self) -> Option<Tensor> {
        self.value.write().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Checks and stores a new value (cast to the variable's dtype).
    fn assign_checked(&self, obj: &Bound<'_, PyAny>, value: Tensor, method: &str) -> PyResult<()> {
        let cur = self.current(obj)?;
        if value.shape() != cur.shape() {
            return Err(PyValueError::new_err(format!(
                "The shape of the target variable and the shape of the target value in \
                 `variable.{method}(value)` must match. variable.shape={}, Received: value.shape={}. \
                 Target variable: {}",
                fmt_shape(cur.shape()),
                fmt_shape(value.shape()),
                obj.repr()?
            )));
        }
        self.store(value.cast(cur.dtype()));
        Ok(())
    }

    fn update(
        slf: &Bound<'_, Self>,
        delta: &Bound<'_, PyAny>,
        op: BinaryOp,
        method: &str,
    ) -> PyResult<()> {
        let v = slf.get();
        let obj = slf.as_any();
        let cur = v.current(obj)?;
        let (_, d) = resolve_pair(
            Arg::Strong(Tracked::new(cur.clone())),
            to_arg(delta, method)?,
        );
        if d.shape() == cur.shape() && d.dtype() == cur.dtype() && op == BinaryOp::Add {
            // In place when nothing else holds the buffer (tensors read earlier keep their values:
            // a shared buffer is copied first).
            drop(cur);
            let Some(old) = v.take() else {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "variable emptied concurrently",
                ));
            };
            let new = run(slf.py(), d.size(), || {
                match elementwise::add_into(old, &d) {
                    Ok(t) => Ok(t),
                    // Not a float32/float64 buffer: an out-of-place add.
                    Err(old) => elementwise::binary(BinaryOp::Add, &old, &d),
                }
            });
            return match new {
                Ok(t) => {
                    v.store(t);
                    Ok(())
                }
                Err(e) => Err(e),
            };
        }
        let new = run(slf.py(), cur.size(), || elementwise::binary(op, &cur, &d))?;
        v.assign_checked(obj, new, method)
    }
}

#[pymethods]
impl PyVariable {
    #[new]
    #[pyo3(signature = (*_args, **_kwargs))]
    fn py_new(_args: &Bound<'_, PyTuple>, _kwargs: Option<&Bound<'_, PyDict>>) -> Self {
        PyVariable {
            id: autograd::fresh_id(),
            value: RwLock::new(None),
            trainable: AtomicBool::new(true),
            autocast: AtomicBool::new(true),
        }
    }

    /// Whether the variable is read as the autocast scope's dtype (set once by the constructor).
    #[setter(_autocast_enabled)]
    fn set_autocast_enabled(&self, on: bool) {
        self.autocast.store(on, Ordering::Relaxed);
    }

    #[getter(_autocast_enabled)]
    fn get_autocast_enabled(&self) -> bool {
        self.autocast.load(Ordering::Relaxed)
    }

    /// Sets the value without checks (used once, by the constructor).
    fn _initialize(&self, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = to_tensor(value, "Variable")?;
        self.store(t.t);
        Ok(())
    }

    /// Whether the variable holds a value.
    #[getter]
    fn _initialized(&self) -> bool {
        self.value
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// The variable's identity (shared by all its reads).
    #[getter]
    fn _id(&self) -> u64 {
        self.id
    }

    /// The current value, as a Tensor.
    #[getter]
    fn value(slf: &Bound<'_, Self>) -> PyResult<PyTensor> {
        slf.get().read(slf.as_any()).map(PyTensor::from)
    }

    /// Whether gradient tapes watch this variable automatically and optimizers train it.
    #[getter]
    fn get_trainable(&self) -> bool {
        self.trainable.load(Ordering::Relaxed)
    }

    #[setter]
    fn set_trainable(&self, value: bool) {
        self.trainable.store(value, Ordering::Relaxed);
    }

    /// The shape, as a tuple of ints.
    #[getter]
    fn shape<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(
            slf.py(),
            slf.get().current(slf.as_any())?.shape().iter().copied(),
        )
    }

    /// The dtype name, e.g. "float32".
    #[getter]
    fn dtype(slf: &Bound<'_, Self>) -> PyResult<&'static str> {
        Ok(slf.get().current(slf.as_any())?.dtype().name())
    }

    /// The number of dimensions.
    #[getter]
    fn ndim(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(slf.get().current(slf.as_any())?.ndim())
    }

    /// The number of elements.
    #[getter]
    fn size(slf: &Bound<'_, Self>) -> PyResult<usize> {
        Ok(slf.get().current(slf.as_any())?.size())
    }

    /// Replaces the value in place (cast to the variable's dtype; the shape must match).
    fn assign<'py>(
        slf: &Bound<'py, Self>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let v = slf.get();
        let dt = v.current(slf.as_any())?.dtype();
        let t = match to_arg(value, "assign")? {
            Arg::Strong(t) => t.t,
            Arg::Weak(t, _) => t,
        };
        v.assign_checked(slf.as_any(), t.cast(dt), "assign")?;
        Ok(slf.clone())
    }

    /// `variable += delta`, in place.
    fn assign_add<'py>(
        slf: &Bound<'py, Self>,
        delta: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        Self::update(slf, delta, BinaryOp::Add, "assign_add")?;
        Ok(slf.clone())
    }

    /// `variable -= delta`, in place.
    fn assign_sub<'py>(
        slf: &Bound<'py, Self>,
        delta: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        Self::update(slf, delta, BinaryOp::Subtract, "assign_sub")?;
        Ok(slf.clone())
    }

    /// The value as a numpy array (a copy: the variable may change).
    fn numpy<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        crate::tensor::to_numpy(slf.py(), &slf.get().current(slf.as_any())?)
    }

    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = copy; // always a copy: the variable may change
        crate::tensor::astype(Self::numpy(slf)?, dtype)
    }

    fn __len__(slf: &Bound<'_, Self>) -> PyResult<usize> {
        slf.get()
            .current(slf.as_any())?
            .shape()
            .first()
            .copied()
            .ok_or_else(|| PyTypeError::new_err("len() of a 0-d variable"))
    }

    fn __getitem__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
        let t = slf.get().read(slf.as_any())?;
        crate::indexing::getitem(&t, key).map(PyTensor::from)
    }

    fn __float__(slf: &Bound<'_, Self>) -> PyResult<f64> {
        let t = slf.get().current(slf.as_any())?;
        guard(|| t.item_f64())
    }

    fn __int__(slf: &Bound<'_, Self>) -> PyResult<i64> {
        let t = slf.get().current(slf.as_any())?;
        guard(|| t.item_i64())
    }

    fn __bool__(&self) -> PyResult<bool> {
        Err(PyTypeError::new_err(
            "A lamina Variable cannot be used as a boolean.",
        ))
    }

    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }
}

crate::tensor_operators!(PyVariable);

/// Sets the dtype float variables (with autocast) are read as on this thread; `None` turns
/// autocasting off. Returns the previous dtype name (or None).
#[pyfunction]
pub fn _set_autocast(dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Option<&'static str>> {
    let dt = crate::convert::dtype_arg(dtype)?;
    Ok(autograd::set_autocast(dt).map(|d| d.name()))
}
