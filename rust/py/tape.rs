//! `lamina._lamina._Tape`: the engine half of `lamina.GradientTape` (structure handling is in
//! Python).
use crate::convert::to_tensor;
use crate::errors::{guard, run};
use crate::tensor::PyTensor;
use crate::variable::PyVariable;
use lamina_core::autograd::{Tape, Tracked};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::Arc;

/// A gradient tape.
#[pyclass(name = "_Tape", module = "lamina._lamina", frozen)]
pub struct PyTape {
    tape: Arc<Tape>,
}

/// A source or watched object: a Tensor or a Variable (never another value).
fn source(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<(Tracked, bool)> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok((t.get().tracked(), false));
    }
    if let Ok(v) = obj.cast::<PyVariable>() {
        return Ok((v.get().peek(obj)?, true));
    }
    Err(PyValueError::new_err(format!(
        "GradientTape.{what}: expected a lamina Tensor or Variable. Received: {} of type {}",
        obj.repr()?,
        obj.get_type().name()?
    )))
}

#[pymethods]
impl PyTape {
    #[new]
    #[pyo3(signature = (persistent=false, watch_accessed_variables=true))]
    fn py_new(persistent: bool, watch_accessed_variables: bool) -> Self {
        PyTape {
            tape: Tape::new(persistent, watch_accessed_variables),
        }
    }

    /// Activates the tape on this thread.
    fn _push(&self) -> PyResult<()> {
        guard(|| self.tape.push())
    }

    /// Deactivates the tape.
    fn _pop(&self) -> PyResult<()> {
        guard(|| self.tape.pop())
    }

    /// Pauses or resumes recording.
    fn _set_recording(&self, on: bool) {
        self.tape.set_recording(on);
    }

    /// Whether ops are being recorded.
    #[getter]
    fn _recording(&self) -> bool {
        self.tape.is_recording()
    }

    /// Number of recorded ops.
    #[getter]
    fn _num_nodes(&self) -> usize {
        self.tape.num_nodes()
    }

    /// Starts tracking one Tensor or Variable.
    fn _watch(&self, x: &Bound<'_, PyAny>) -> PyResult<()> {
        let (t, is_var) = source(x, "watch")?;
        if is_var {
            self.tape.watch_variable(t.id);
        } else {
            self.tape.watch(t.id);
        }
        Ok(())
    }

    /// Ids of the watched variables, in watch order.
    fn _watched_variable_ids(&self) -> Vec<u64> {
        self.tape.watched_variables()
    }

    /// Forgets everything recorded.
    fn _reset(&self) {
        self.tape.reset();
    }

    /// Gradients of the targets' sum w.r.t. each source (`None` where unconnected).
    fn _gradient(
        &self,
        py: Python<'_>,
        targets: Vec<Bound<'_, PyAny>>,
        sources: Vec<Bound<'_, PyAny>>,
        output_gradients: Option<Vec<Option<Bound<'_, PyAny>>>>,
    ) -> PyResult<Vec<Option<PyTensor>>> {
        let ts = targets
            .iter()
            .map(|t| to_tensor(t, "GradientTape.gradient"))
            .collect::<PyResult<Vec<_>>>()?;
        let ss = sources
            .iter()
            .map(|s| source(s, "gradient").map(|(t, _)| t))
            .collect::<PyResult<Vec<_>>>()?;
        let gs = match output_gradients {
            None => Vec::new(),
            Some(v) => v
                .iter()
                .map(|g| match g {
                    Some(g) if !g.is_none() => to_tensor(g, "GradientTape.gradient").map(Some),
                    _ => Ok(None),
                })
                .collect::<PyResult<Vec<_>>>()?,
        };
        let tape = &self.tape;
        let grads = run(py, usize::MAX, || tape.gradient(&ts, &ss, &gs))?;
        Ok(grads.into_iter().map(|g| g.map(PyTensor::from)).collect())
    }
}
