//! Bindings of the elementwise ops, matmul, where and clip (Keras `keras.ops` names).
use crate::convert::{resolve_pair, to_arg, to_tensor};
use crate::errors::run;
use crate::tensor::PyTensor;
use lamina_core::autograd::{ops as ad, Tracked};
use lamina_core::kernels::elementwise::{self, BinaryOp, UnaryOp};
use pyo3::prelude::*;

fn bin(
    py: Python<'_>,
    op: BinaryOp,
    x1: &Bound<'_, PyAny>,
    x2: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let (a, b) = resolve_pair(to_arg(x1, op.name())?, to_arg(x2, op.name())?);
    let size = a.size().max(b.size());
    run(py, size, || ad::binary(op, &a, &b)).map(PyTensor::from)
}

fn un(py: Python<'_>, op: UnaryOp, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let t = to_tensor(x, op.name())?;
    run(py, t.size(), || ad::unary(op, &t)).map(PyTensor::from)
}

macro_rules! binary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[pyfunction]
            #[doc = concat!("Elementwise `", stringify!($name), "` with broadcasting and Keras dtype promotion.")]
            pub fn $name(py: Python<'_>, x1: &Bound<'_, PyAny>, x2: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
                bin(py, BinaryOp::$op, x1, x2)
            }
        )*
        fn register_binary(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_function(wrap_pyfunction!($name, m)?)?; )*
            Ok(())
        }
    };
}

macro_rules! unary_fns {
    ($($name:ident => $op:ident),* $(,)?) => {
        $(
            #[pyfunction]
            #[doc = concat!("Elementwise `", stringify!($name), "`.")]
            pub fn $name(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
                un(py, UnaryOp::$op, x)
            }
        )*
        fn register_unary(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $( m.add_function(wrap_pyfunction!($name, m)?)?; )*
            Ok(())
        }
    };
}

binary_fns! {
    add => Add, subtract => Subtract, multiply => Multiply, divide => Divide, true_divide => Divide,
    floor_divide => FloorDivide, r#mod => Mod, power => Power, maximum => Maximum, minimum => Minimum,
    equal => Equal, not_equal => NotEqual, less => Less, less_equal => LessEqual, greater => Greater,
    greater_equal => GreaterEqual, logical_and => LogicalAnd, logical_or => LogicalOr, logical_xor => LogicalXor,
}

unary_fns! {
    negative => Negative, absolute => Abs, abs => Abs, sign => Sign, square => Square, relu => Relu,
    sqrt => Sqrt, rsqrt => Rsqrt, exp => Exp, expm1 => Expm1, log => Log, log1p => Log1p, log2 => Log2,
    log10 => Log10, sin => Sin, cos => Cos, tan => Tan, tanh => Tanh, sigmoid => Sigmoid,
    softplus => Softplus, erf => Erf, floor => Floor, ceil => Ceil, trunc => Trunc, reciprocal => Reciprocal,
    arcsin => Arcsin, arccos => Arccos, arctan => Arctan, sinh => Sinh, cosh => Cosh, arcsinh => Arcsinh,
    arccosh => Arccosh, arctanh => Arctanh, logical_not => LogicalNot, isnan => IsNan, isfinite => IsFinite,
    isinf => IsInf,
}

/// Rounds half to even; `decimals` rounds to that many decimal places (ints are returned as is
/// for decimals >= 0).
#[pyfunction]
#[pyo3(signature = (x, decimals=0))]
pub fn round(py: Python<'_>, x: &Bound<'_, PyAny>, decimals: i32) -> PyResult<PyTensor> {
    let t = to_tensor(x, "round")?;
    run(py, t.size(), || {
        if decimals == 0 || !t.dtype().is_float() {
            return ad::unary(UnaryOp::Round, &t);
        }
        // round(x * 10^d) / 10^d, computed in the tensor's dtype.
        let scale = Tracked::new(lamina_core::Tensor::scalar(10f64.powi(decimals)).cast(t.dtype()));
        let y = ad::mul(&t, &scale)?;
        let y = ad::unary(UnaryOp::Round, &y)?;
        ad::div(&y, &scale)
    })
    .map(PyTensor::from)
}

/// Matrix product (numpy `matmul` semantics: 1-D, 2-D and batched with broadcast batch dims).
#[pyfunction]
pub fn matmul(py: Python<'_>, x1: &Bound<'_, PyAny>, x2: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let (a, b) = resolve_pair(to_arg(x1, "matmul")?, to_arg(x2, "matmul")?);
    let work = a
        .size()
        .saturating_mul(b.shape().last().copied().unwrap_or(1));
    run(py, work, || ad::matmul(&a, &b)).map(PyTensor::from)
}

/// `where(condition, x1, x2)`; with only `condition`, the indices of its non-zero elements.
#[pyfunction]
#[pyo3(name = "where", signature = (condition, x1=None, x2=None))]
pub fn where_(
    py: Python<'_>,
    condition: &Bound<'_, PyAny>,
    x1: Option<&Bound<'_, PyAny>>,
    x2: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let c = to_tensor(condition, "where")?;
    match (x1, x2) {
        (Some(a), Some(b)) => {
            let (a, b) = resolve_pair(to_arg(a, "where")?, to_arg(b, "where")?);
            let r = run(py, c.size().max(a.size()).max(b.size()), || ad::where_(&c, &a, &b))?;
            Ok(Bound::new(py, PyTensor::from(r))?.into_any().unbind())
        }
        (None, None) => {
            let parts = run(py, c.size(), || elementwise::nonzero(&c))?;
            let items: Vec<PyTensor> = parts.into_iter().map(PyTensor::from).collect();
            Ok(pyo3::types::PyTuple::new(py, items)?.into_any().unbind())
        }
        _ => Err(pyo3::exceptions::PyValueError::new_err(
            "where: `x1` and `x2` must be given together (or neither, to get the indices of the non-zero elements)",
        )),
    }
}

/// Indices of the non-zero elements, one int32 tensor per dimension.
#[pyfunction]
pub fn nonzero(py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let c = to_tensor(x, "nonzero")?;
    let parts = run(py, c.size(), || elementwise::nonzero(&c))?;
    let items: Vec<PyTensor> = parts.into_iter().map(PyTensor::from).collect();
    Ok(pyo3::types::PyTuple::new(py, items)?.into_any().unbind())
}

/// Clips values to `[x_min, x_max]`; keeps `x`'s dtype (bool becomes int32).
#[pyfunction]
pub fn clip(
    py: Python<'_>,
    x: &Bound<'_, PyAny>,
    x_min: &Bound<'_, PyAny>,
    x_max: &Bound<'_, PyAny>,
) -> PyResult<PyTensor> {
    let t = to_tensor(x, "clip")?;
    let lo = to_tensor(x_min, "clip")?;
    let hi = to_tensor(x_max, "clip")?;
    run(py, t.size(), || ad::clip(&t, &lo, &hi)).map(PyTensor::from)
}

/// Identity whose result gradient tapes do not differentiate through.
#[pyfunction]
pub fn stop_gradient(variable: &Bound<'_, PyAny>) -> PyResult<PyTensor> {
    let t = to_tensor(variable, "stop_gradient")?;
    Ok(PyTensor::from(ad::stop_gradient(&t)))
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    register_binary(m)?;
    register_unary(m)?;
    m.add_function(wrap_pyfunction!(round, m)?)?;
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(where_, m)?)?;
    m.add_function(wrap_pyfunction!(nonzero, m)?)?;
    m.add_function(wrap_pyfunction!(clip, m)?)?;
    m.add_function(wrap_pyfunction!(stop_gradient, m)?)?;
    Ok(())
}
