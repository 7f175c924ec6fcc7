//! The one bridge from engine errors (and caught panics) to Python exceptions.
//!
//! Each lamina exception also subclasses the built-in a Keras user expects, so `except ValueError`
//! works: ShapeError(ValueError), DTypeError(TypeError), AxisError(ValueError, IndexError),
//! LaminaIndexError(IndexError), InternalError(RuntimeError).
use lamina_core::Error;
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyTuple;
use std::panic::{catch_unwind, AssertUnwindSafe};

static CLASSES: PyOnceLock<[Py<PyAny>; 5]> = PyOnceLock::new();

fn classes(py: Python<'_>) -> &[Py<PyAny>; 5] {
    CLASSES.get_or_init(py, || {
        let make = |name: &str, bases: Vec<Bound<'_, PyAny>>| -> Py<PyAny> {
            let builtins = py.import("builtins").expect("builtins");
            let ty = builtins.getattr("type").expect("type");
            let ns = pyo3::types::PyDict::new(py);
            ns.set_item("__module__", "lamina.errors").expect("dict");
            ty.call1((name, PyTuple::new(py, bases).expect("tuple"), ns))
                .expect("class")
                .unbind()
        };
        let ve = py.get_type::<PyValueError>().into_any();
        let te = py.get_type::<PyTypeError>().into_any();
        let ie = py.get_type::<PyIndexError>().into_any();
        let re = py.get_type::<PyRuntimeError>().into_any();
        [
            make("ShapeError", vec![ve.clone()]),
            make("DTypeError", vec![te]),
            make("AxisError", vec![ve, ie.clone()]),
            make("LaminaIndexError", vec![ie]),
            make("InternalError", vec![re]),
        ]
    })
}

/// Converts an engine error into the matching Python exception.
pub fn to_py(e: Error) -> PyErr {
    Python::attach(|py| {
        let idx = match &e {
            Error::Shape { .. } | Error::Value { .. } => 0,
            Error::DType { .. } => 1,
            Error::Axis { .. } => 2,
            Error::Index { .. } => 3,
            _ => 4,
        };
        if let Error::Runtime(msg) = &e {
            return PyRuntimeError::new_err(msg.clone());
        }
        // Value errors are plain ValueErrors (ShapeError only for shapes).
        if let Error::Value { .. } = &e {
            return PyValueError::new_err(e.to_string());
        }
        let cls = classes(py)[idx].bind(py);
        match cls.call1((e.to_string(),)) {
            Ok(inst) => PyErr::from_value(inst),
            Err(err) => err,
        }
    })
}

/// Registers the exception classes on the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let names = [
        "ShapeError",
        "DTypeError",
        "AxisError",
        "LaminaIndexError",
        "InternalError",
    ];
    for (n, c) in names.iter().zip(classes(py).iter()) {
        m.add(*n, c.bind(py))?;
    }
    Ok(())
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs an engine call, turning its error or any panic into a Python exception (never a
/// PanicException: no panic crosses into Python).
pub fn guard<T>(f: impl FnOnce() -> lamina_core::Result<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(to_py(e)),
        Err(p) => Err(to_py(Error::Internal(panic_message(p)))),
    }
}

/// Like [`guard`], releasing the GIL when the work (`size` elements) is above the grain size.
pub fn run<T: Send>(
    py: Python<'_>,
    size: usize,
    f: impl FnOnce() -> lamina_core::Result<T> + Send,
) -> PyResult<T> {
    if size >= lamina_core::parallel::GRAIN {
        py.detach(|| guard(f))
    } else {
        guard(f)
    }
}
