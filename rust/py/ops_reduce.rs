//! Bindings of the reductions, softmax, sorting and scans (Keras `keras.ops` names and defaults).
use crate::convert::{axes_arg, dtype_arg, to_tensor};
use crate::errors::run;
use crate::tensor::PyTensor;
use lamina_core::autograd::{ops as ad, ReduceKind, Tracked};
use lamina_core::kernels::elementwise::BinaryOp;
use lamina_core::kernels::{reduce, sort as sort_k};
use lamina_core::{Result, Tensor};
use pyo3::prelude::*;

type Reduction = fn(&Tracked, Option<&[i64]>, bool) -> Result<Tracked>;

fn reduction(
    py: Python<'_>,
    op: &str,
    f: Reduction,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, op)?;
    let axes = axes_arg(axis)?;
    run(py, t.size(), || f(&t, axes.as_deref(), keepdims)).map(PyTensor::from)
}

macro_rules! reductions {
    ($($name:ident => $f:path, $doc:literal;)*) => {
        $(
            #[pyfunction]
            #[pyo3(signature = (x, axis=None, keepdims=false))]
            #[doc = $doc]
            pub fn $name(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>, keepdims: bool) -> PyResult<PyTensor> {
                reduction(py, stringify!($name), $f, x, axis, keepdims)
            }
        )*
    };
}

fn sum_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    ad::reduce(ReduceKind::Sum, x, a, k)
}
fn mean_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    ad::reduce(ReduceKind::Mean, x, a, k)
}
fn var_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    ad::reduce(ReduceKind::Var, x, a, k)
}
fn std_k(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    ad::reduce(ReduceKind::Std, x, a, k)
}
fn logsumexp_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    ad::reduce(ReduceKind::LogSumExp, x, a, k)
}
fn any_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    reduce::any(x, a, k).map(Tracked::new)
}
fn all_(x: &Tracked, a: Option<&[i64]>, k: bool) -> Result<Tracked> {
    reduce::all(x, a, k).map(Tracked::new)
}

reductions! {
    sum => sum_, "Sum over `axis` (None: all axes); bool and uint8 give int32.";
    mean => mean_, "Mean over `axis`; ints and bool give float32.";
    var => var_, "Population variance over `axis`; ints and bool give float32.";
    any => any_, "Whether any element along `axis` is true.";
    all => all_, "Whether all elements along `axis` are true.";
    logsumexp => logsumexp_, "`log(sum(exp(x)))` over `axis`, computed stably.";
}

/// Population standard deviation over `axis`; ints and bool give float32.
#[pyfunction]
#[pyo3(name = "std", signature = (x, axis=None, keepdims=false))]
pub fn std_(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
) -> PyResult<PyTensor> {
    reduction(py, "std", std_k, x, axis, keepdims)
}

/// Product over `axis`; bool and uint8 give int32 unless `dtype` is given.
#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false, dtype=None))]
pub fn prod(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "prod")?;
    let axes = axes_arg(axis)?;
    let dt = dtype_arg(dtype)?;
    run(py, t.size(), || {
        let t = match dt {
            Some(d) => ad::cast(&t, d)?,
            None => t,
        };
        let r = ad::reduce(ReduceKind::Prod, &t, axes.as_deref(), keepdims)?;
        match dt {
            Some(d) => ad::cast(&r, d),
            None => Ok(r),
        }
    })
    .map(PyTensor::from)
}

/// max/min over `axis`, with an optional `initial` taking part in every reduction. With
/// elements to reduce, `initial` is combined by a differentiable maximum/minimum (the gradient
/// flows to `x` where it wins); over empty axes only `initial` remains.
fn extreme(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    initial: Option<f64>,
    kind: ReduceKind,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, kind.name())?;
    let axes = axes_arg(axis)?;
    type WithInitial = fn(&Tensor, Option<&[i64]>, bool, Option<f64>) -> Result<Tensor>;
    let (with_initial, combine): (WithInitial, BinaryOp) = if kind == ReduceKind::Max {
        (reduce::max_with_initial, BinaryOp::Maximum)
    } else {
        (reduce::min_with_initial, BinaryOp::Minimum)
    };
    run(py, t.size(), || match initial {
        Some(v) if t.size() > 0 => {
            let r = ad::reduce(kind, &t, axes.as_deref(), keepdims)?;
            let init = Tracked::new(Tensor::scalar(v).cast(r.dtype()));
            ad::binary(combine, &r, &init)
        }
        Some(_) => with_initial(&t, axes.as_deref(), keepdims, initial).map(Tracked::new),
        None => ad::reduce(kind, &t, axes.as_deref(), keepdims),
    })
    .map(PyTensor::from)
}

/// Maximum over `axis`; `initial` takes part in every reduction.
#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false, initial=None))]
pub fn max(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    initial: Option<f64>,
) -> PyResult<PyTensor> {
    extreme(py, x, axis, keepdims, initial, ReduceKind::Max)
}

/// Minimum over `axis`; `initial` takes part in every reduction.
#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false, initial=None))]
pub fn min(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    initial: Option<f64>,
) -> PyResult<PyTensor> {
    extreme(py, x, axis, keepdims, initial, ReduceKind::Min)
}

/// Index (int32) of the maximum along `axis` (None: of the flattened tensor).
#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false))]
pub fn argmax(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<i64>,
    keepdims: bool,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "argmax")?;
    run(py, t.size(), || reduce::argmax(&t, axis, keepdims)).map(PyTensor::from)
}

/// Index (int32) of the minimum along `axis` (None: of the flattened tensor).
#[pyfunction]
#[pyo3(signature = (x, axis=None, keepdims=false))]
pub fn argmin(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<i64>,
    keepdims: bool,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "argmin")?;
    run(py, t.size(), || reduce::argmin(&t, axis, keepdims)).map(PyTensor::from)
}

/// A softmax `axis`: an int or a tuple/list of ints.
#[derive(FromPyObject)]
pub enum AxisSpec {
    /// One axis.
    One(i64),
    /// Several axes.
    Many(Vec<i64>),
}

/// The axes of a softmax (None: all axes).
fn softmax_axes(t: &Tensor, axis: Option<AxisSpec>) -> Vec<i64> {
    match axis {
        Some(AxisSpec::One(a)) => vec![a],
        Some(AxisSpec::Many(v)) => v,
        None => (0..t.ndim() as i64).collect(),
    }
}

/// Softmax along `axis` (an int or a tuple of ints); ints give float32.
#[pyfunction]
#[pyo3(signature = (x, axis=Some(AxisSpec::One(-1))), text_signature = "(x, axis=-1)")]
pub fn softmax(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<AxisSpec>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "softmax")?;
    let axes = softmax_axes(&t, axis);
    run(py, t.size(), || ad::softmax(&t, &axes)).map(PyTensor::from)
}

/// Log-softmax along `axis` (an int or a tuple of ints); ints give float32.
#[pyfunction]
#[pyo3(signature = (x, axis=Some(AxisSpec::One(-1))), text_signature = "(x, axis=-1)")]
pub fn log_softmax(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<AxisSpec>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "log_softmax")?;
    let axes = softmax_axes(&t, axis);
    run(py, t.size(), || ad::log_softmax(&t, &axes)).map(PyTensor::from)
}

/// Sorts along `axis` (None: the flattened tensor), NaN last.
#[pyfunction]
#[pyo3(signature = (x, axis=Some(-1)), text_signature = "(x, axis=-1)")]
pub fn sort(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<i64>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "sort")?;
    run(py, t.size(), || ad::sort(&t, axis)).map(PyTensor::from)
}

/// Indices (int32) that sort along `axis` (None: the flattened tensor); stable.
#[pyfunction]
#[pyo3(signature = (x, axis=Some(-1)), text_signature = "(x, axis=-1)")]
pub fn argsort(py: Python<'_>, x: &Bound<'_, PyAny>, axis: Option<i64>) -> PyResult<PyTensor> {
    let t = to_tensor(x, "argsort")?;
    run(py, t.size(), || sort_k::argsort(&t, axis)).map(PyTensor::from)
}

/// The `k` largest entries along the last axis and their int32 indices: `(values, indices)`.
#[pyfunction]
#[pyo3(signature = (x, k, sorted=true))]
pub fn top_k(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    k: i64,
    sorted: bool,
) -> PyResult<(PyTensor, PyTensor)> {
    let t = to_tensor(x, "top_k")?;
    let (v, i) = run(py, t.size(), || ad::top_k(&t, k, sorted))?;
    Ok((PyTensor::from(v), PyTensor::from(i)))
}

/// Cumulative sum along `axis` (None: of the flattened tensor); bool gives int32.
#[pyfunction]
#[pyo3(signature = (x, axis=None, dtype=None))]
pub fn cumsum(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<i64>,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "cumsum")?;
    let dt = dtype_arg(dtype)?;
    run(py, t.size(), || ad::cumsum(&t, axis, dt)).map(PyTensor::from)
}

/// Cumulative product along `axis` (None: of the flattened tensor); bool gives int32.
#[pyfunction]
#[pyo3(signature = (x, axis=None, dtype=None))]
pub fn cumprod(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    axis: Option<i64>,
    dtype: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "cumprod")?;
    let dt = dtype_arg(dtype)?;
    run(py, t.size(), || ad::cumprod(&t, axis, dt)).map(PyTensor::from)
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum, m)?)?;
    m.add_function(wrap_pyfunction!(mean, m)?)?;
    m.add_function(wrap_pyfunction!(var, m)?)?;
    m.add_function(wrap_pyfunction!(std_, m)?)?;
    m.add_function(wrap_pyfunction!(any, m)?)?;
    m.add_function(wrap_pyfunction!(all, m)?)?;
    m.add_function(wrap_pyfunction!(logsumexp, m)?)?;
    m.add_function(wrap_pyfunction!(prod, m)?)?;
    m.add_function(wrap_pyfunction!(max, m)?)?;
    m.add_function(wrap_pyfunction!(min, m)?)?;
    m.add_function(wrap_pyfunction!(argmax, m)?)?;
    m.add_function(wrap_pyfunction!(argmin, m)?)?;
    m.add_function(wrap_pyfunction!(softmax, m)?)?;
    m.add_function(wrap_pyfunction!(log_softmax, m)?)?;
    m.add_function(wrap_pyfunction!(sort, m)?)?;
    m.add_function(wrap_pyfunction!(argsort, m)?)?;
    m.add_function(wrap_pyfunction!(top_k, m)?)?;
    m.add_function(wrap_pyfunction!(cumsum, m)?)?;
    m.add_function(wrap_pyfunction!(cumprod, m)?)?;
    Ok(())
}
