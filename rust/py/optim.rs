//! `_optimizer_update`: one call applies an optimizer step to a group of variables in place.
use crate::convert::to_tensor;
use crate::errors::{guard, to_py};
use crate::variable::PyVariable;
use lamina_core::kernels::optim::{self, Rule};
use lamina_core::Tensor;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::collections::HashSet;

/// Applies one optimizer step (``kind``: "sgd", "adam", "adamax", "nadam", "rmsprop", "adagrad",
/// "adadelta", "lion", "ftrl") to ``variables`` and their ``slots`` in place, with ``gradients``
/// cast to each variable's dtype. ``hyper`` holds the rule's scalars, learning rate first;
/// ``weight_decays[i]`` (if given) is variable i's decoupled weight-decay coefficient.
#[pyfunction]
#[pyo3(signature = (kind, variables, gradients, slots, hyper, weight_decays=None))]
pub fn _optimizer_update(
    py: Python<'_>,
    kind: &str,
    variables: Vec<Bound<'_, PyVariable>>,
    gradients: Vec<Bound<'_, PyAny>>,
    slots: Vec<Vec<Bound<'_, PyVariable>>>,
    hyper: Vec<f64>,
    weight_decays: Option<Vec<f64>>,
) -> PyResult<()> {
    let n = variables.len();
    let wds = weight_decays.unwrap_or_else(|| vec![0.0; n]);
    if gradients.len() != n || slots.len() != n || wds.len() != n {
        return Err(PyValueError::new_err(format!(
            "optimizer_update: expected one gradient, one slot list and one weight decay per \
             variable; received {n} variables, {} gradients, {} slot lists and {} weight decays",
            gradients.len(),
            slots.len(),
            wds.len()
        )));
    }
    // Every buffer is taken out of its variable for the update, so none may appear twice.
    let mut seen = HashSet::new();
    for v in variables.iter().chain(slots.iter().flatten()) {
        if !seen.insert(v.get().id()) {
            return Err(PyValueError::new_err(format!(
                "optimizer_update: the variable {} appears more than once among the variables \
                 and slots",
                v.as_any().repr()?
            )));
        }
    }
    let mut rules = Vec::with_capacity(n);
    let mut grads = Vec::with_capacity(n);
    for i in 0..n {
        let rule = Rule::parse(kind, &hyper, slots[i].len()).map_err(to_py)?;
        let var = variables[i].get().current(variables[i].as_any())?;
        let grad = to_tensor(&gradients[i], "optimizer_update")?.t;
        let grad = if grad.dtype() == var.dtype() {
            grad
        } else {
            grad.cast(var.dtype())
        };
        let mut slot_vals = Vec::with_capacity(slots[i].len());
        for s in &slots[i] {
            slot_vals.push(s.get().current(s.as_any())?);
        }
        // Everything is checked before any variable is emptied.
        optim::check(&rule, &var, &grad, &slot_vals).map_err(to_py)?;
        rules.push(rule);
        grads.push(grad);
    }
    // Take the values out (so the buffers are uniquely owned and updated in place), run, put back.
    let mut taken: Vec<(Tensor, Tensor, Vec<Tensor>)> = Vec::with_capacity(n);
    for (i, grad) in grads.into_iter().enumerate() {
        let var = variables[i].get().take();
        let sl: Vec<Option<Tensor>> = slots[i].iter().map(|s| s.get().take()).collect();
        match (var, sl.iter().all(Option::is_some)) {
            (Some(var), true) => taken.push((var, grad, sl.into_iter().flatten().collect())),
            // Another thread is updating one of these variables right now (it emptied the slot
            // while its kernel runs): put every value back and refuse, rather than race it.
            (var, _) => {
                if let Some(v) = var {
                    variables[i].get().store(v);
                }
                for (s, v) in slots[i].iter().zip(sl) {
                    if let Some(v) = v {
                        s.get().store(v);
                    }
                }
                put_back(&variables, &slots, taken);
                return Err(PyRuntimeError::new_err(format!(
                    "optimizer_update: the variable {} (or one of its slots) is being updated \
                     by another thread; apply the optimizer from one thread at a time",
                    variables[i].as_any().repr()?
                )));
            }
        }
    }
    let size: usize = taken.iter().map(|(v, _, _)| v.size()).sum();
    let step = |taken: &mut Vec<(Tensor, Tensor, Vec<Tensor>)>| {
        guard(|| {
            for (i, (var, grad, sl)) in taken.iter_mut().enumerate() {
                optim::apply(&rules[i], var, grad, sl, wds[i])?;
            }
            Ok(())
        })
    };
    let result = if size >= lamina_core::parallel::GRAIN {
        py.detach(|| step(&mut taken))
    } else {
        step(&mut taken)
    };
    put_back(&variables, &slots, taken);
    result
}

/// Stores the taken values back into the first `taken.len()` variables and their slots.
fn put_back(
    variables: &[Bound<'_, PyVariable>],
    slots: &[Vec<Bound<'_, PyVariable>>],
    taken: Vec<(Tensor, Tensor, Vec<Tensor>)>,
) {
    for (i, (var, _, sl)) in taken.into_iter().enumerate() {
        variables[i].get().store(var);
        for (s, val) in slots[i].iter().zip(sl) {
            s.get().store(val);
        }
    }
}
