//! Elementwise unary and binary ops with numpy broadcasting and Keras 3 dtype rules.
use super::arith::Arith;
use super::broadcast::{zip3_with, zip_with};
use crate::dtype::{result_type, DType, Elem};
use crate::error::{Error, Result};
use crate::parallel::map_array;
use crate::tensor::{cast_array, Arr, Tensor};
use crate::{dispatch, map_same};
use half::{bf16, f16};

/// Unary elementwise ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum UnaryOp {
    Negative,
    Abs,
    Sign,
    Square,
    Relu,
    Round,
    Sqrt,
    Rsqrt,
    Exp,
    Expm1,
    Log,
    Log1p,
    Log2,
    Log10,
    Sin,
    Cos,
    Tan,
    Tanh,
    Sigmoid,
    Softplus,
    Erf,
    Floor,
    Ceil,
    Reciprocal,
    Arcsin,
    Arccos,
    Arctan,
    Sinh,
    Cosh,
    Arcsinh,
    Arccosh,
    Arctanh,
    Trunc,
    LogicalNot,
    IsNan,
    IsFinite,
    IsInf,
}

impl UnaryOp {
    /// The op's Keras name.
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Negative => "negative",
            Abs => "absolute",
            Sign => "sign",
            Square => "square",
            Relu => "relu",
            Round => "round",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Exp => "exp",
            Expm1 => "expm1",
            Log => "log",
            Log1p => "log1p",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            Tanh => "tanh",
            Sigmoid => "sigmoid",
            Softplus => "softplus",
            Erf => "erf",
            Floor => "floor",
            Ceil => "ceil",
            Reciprocal => "reciprocal",
            Arcsin => "arcsin",
            Arccos => "arccos",
            Arctan => "arctan",
            Sinh => "sinh",
            Cosh => "cosh",
            Arcsinh => "arcsinh",
            Arccosh => "arccosh",
            Arctanh => "arctanh",
            Trunc => "trunc",
            LogicalNot => "logical_not",
            IsNan => "isnan",
            IsFinite => "isfinite",
            IsInf => "isinf",
        }
    }
}

fn sigmoid64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}
fn softplus64(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}
fn softplus32(x: f32) -> f32 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// The f32 and f64 versions of a float-valued unary op.
fn float_fns(op: UnaryOp) -> (fn(f32) -> f32, fn(f64) -> f64) {
    use UnaryOp::*;
    match op {
        Sqrt => (f32::sqrt, f64::sqrt),
        Rsqrt => (|x| 1.0 / x.sqrt(), |x| 1.0 / x.sqrt()),
        Exp => (super::fastmath::exp_f32, f64::exp),
        Expm1 => (f32::exp_m1, f64::exp_m1),
        Log => (f32::ln, f64::ln),
        Log1p => (f32::ln_1p, f64::ln_1p),
        Log2 => (f32::log2, f64::log2),
        Log10 => (f32::log10, f64::log10),
        Sin => (f32::sin, f64::sin),
        Cos => (f32::cos, f64::cos),
        Tan => (f32::tan, f64::tan),
        Tanh => (f32::tanh, f64::tanh),
        Sigmoid => (super::fastmath::sigmoid_f32, sigmoid64),
        Softplus => (softplus32, softplus64),
        Erf => (libm::erff, libm::erf),
        Floor => (f32::floor, f64::floor),
        Ceil => (f32::ceil, f64::ceil),
        Trunc => (f32::trunc, f64::trunc),
        Reciprocal => (|x| 1.0 / x, |x| 1.0 / x),
        Arcsin => (f32::asin, f64::asin),
        Arccos => (f32::acos, f64::acos),
        Arctan => (f32::atan, f64::atan),
        Sinh => (f32::sinh, f64::sinh),
        Cosh => (f32::cosh, f64::cosh),
        Arcsinh => (f32::asinh, f64::asinh),
        Arccosh => (f32::acosh, f64::acosh),
        Arctanh => (f32::atanh, f64::atanh),
        Negative => (|x| -x, |x| -x),
        Abs => (f32::abs, f64::abs),
        Sign => (
            |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x
                }
            },
            |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x
                }
            },
        ),
        Square => (|x| x * x, |x| x * x),
        Relu => (
            |x| {
                if x > 0.0 {
                    x
                } else if x.is_nan() {
                    x
                } else {
                    0.0
                }
            },
            |x| {
                if x > 0.0 {
                    x
                } else if x.is_nan() {
                    x
                } else {
                    0.0
                }
            },
        ),
        Round => (f32::round_ties_even, f64::round_ties_even),
        LogicalNot | IsNan | IsFinite | IsInf => unreachable!("predicates are handled separately"),
    }
}

fn apply_float(t: &Tensor, f32f: fn(f32) -> f32, f64f: fn(f64) -> f64) -> Tensor {
    match t {
        Tensor::F32(a) => Tensor::F32(map_array(&a.view(), f32f)),
        Tensor::F64(a) => Tensor::F64(map_array(&a.view(), f64f)),
        Tensor::F16(a) => Tensor::F16(map_array(&a.view(), move |x: f16| {
            f16::from_f32(f32f(x.to_f32()))
        })),
        Tensor::BF16(a) => Tensor::BF16(map_array(&a.view(), move |x: bf16| {
            bf16::from_f32(f32f(x.to_f32()))
        })),
        other => apply_float(&other.cast(DType::F32), f32f, f64f),
    }
}

fn int_map<T: Elem + Arith>(a: &Arr<T>, op: UnaryOp) -> Arr<T> {
    let zero = T::zero();
    match op {
        UnaryOp::Negative => map_array(&a.view(), move |x: T| T::sub(zero, x)),
        UnaryOp::Abs => map_array(
            &a.view(),
            move |x: T| if x < zero { T::sub(zero, x) } else { x },
        ),
        UnaryOp::Sign => map_array(&a.view(), move |x: T| {
            if x > zero {
                T::one()
            } else if x < zero {
                T::sub(zero, T::one())
            } else {
                zero
            }
        }),
        UnaryOp::Square => map_array(&a.view(), |x: T| T::mul(x, x)),
        UnaryOp::Relu => map_array(&a.view(), move |x: T| if x > zero { x } else { zero }),
        UnaryOp::Round => a.clone(),
        _ => unreachable!(),
    }
}

/// Applies a unary op. Float-valued ops (exp, sqrt, sigmoid, floor, ...) turn int and bool inputs
/// into float32, as Keras does; sign/abs/square/negative/relu/round keep integer dtypes;
/// predicates (isnan, isfinite, isinf, logical_not) return bool.
pub fn unary(op: UnaryOp, x: &Tensor) -> Result<Tensor> {
    use UnaryOp::*;
    match op {
        LogicalNot => {
            let b = cast_array::<bool>(x);
            return Ok(Tensor::Bool(map_array(&b.view(), |v: bool| !v)));
        }
        IsNan | IsFinite | IsInf => {
            return Ok(dispatch!(x, a, T => {
                let f = move |v: T| match op {
                    IsNan => <T as Arith>::is_nan(v),
                    IsFinite => <T as Arith>::is_finite(v),
                    _ => !<T as Arith>::is_finite(v) && !<T as Arith>::is_nan(v),
                };
                Tensor::Bool(map_array(&a.view(), f))
            }));
        }
        _ => {}
    }
    let keeps_int = matches!(op, Negative | Abs | Sign | Square | Relu | Round);
    if x.dtype() == DType::Bool && keeps_int {
        return match op {
            Negative => Err(Error::dtype(
                op.name(),
                "the numpy-style negative of a bool tensor is not supported; use logical_not. Received: dtype=bool",
            )),
            Square => unary(op, &x.cast(DType::I32)),
            _ => Ok(x.clone()),
        };
    }
    if keeps_int && x.dtype().is_int() {
        return Ok(match x {
            Tensor::U8(a) => Tensor::U8(int_map(a, op)),
            Tensor::I32(a) => Tensor::I32(int_map(a, op)),
            Tensor::I64(a) => Tensor::I64(int_map(a, op)),
            _ => unreachable!(),
        });
    }
    // Hot float32 activations: monomorphised closures so the loop inlines and vectorises.
    if let Tensor::F32(a) = x {
        match op {
            Exp => return Ok(Tensor::F32(map_array(&a.view(), super::fastmath::exp_f32))),
            Sigmoid => {
                return Ok(Tensor::F32(map_array(
                    &a.view(),
                    super::fastmath::sigmoid_f32,
                )))
            }
            _ => {}
        }
    }
    let (f32f, f64f) = float_fns(op);
    Ok(apply_float(x, f32f, f64f))
}

/// Binary elementwise ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    FloorDivide,
    Mod,
    Power,
    Maximum,
    Minimum,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

impl BinaryOp {
    /// The op's Keras name.
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Subtract => "subtract",
            Multiply => "multiply",
            Divide => "divide",
            FloorDivide => "floor_divide",
            Mod => "mod",
            Power => "power",
            Maximum => "maximum",
            Minimum => "minimum",
            Equal => "equal",
            NotEqual => "not_equal",
            Less => "less",
            LessEqual => "less_equal",
            Greater => "greater",
            GreaterEqual => "greater_equal",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
        }
    }

    /// True for comparisons and logical ops (which return bool).
    pub fn returns_bool(self) -> bool {
        use BinaryOp::*;
        matches!(
            self,
            Equal
                | NotEqual
                | Less
                | LessEqual
                | Greater
                | GreaterEqual
                | LogicalAnd
                | LogicalOr
                | LogicalXor
        )
    }

    /// The dtype both operands are converted to before the op runs.
    pub fn compute_dtype(self, a: DType, b: DType) -> Result<DType> {
        use BinaryOp::*;
        let dt = result_type(a, b);
        Ok(match self {
            LogicalAnd | LogicalOr | LogicalXor => DType::Bool,
            Divide if !dt.is_float() => DType::F32,
            Subtract if dt == DType::Bool => {
                return Err(Error::dtype(
                    self.name(),
                    "subtracting bool tensors is not supported; use logical_xor. Received: dtypes (bool, bool)",
                ))
            }
            FloorDivide | Mod | Power if dt == DType::Bool => DType::I32,
            _ => dt,
        })
    }
}

fn arith_kernel<T: Arith>(op: BinaryOp, a: &Arr<T>, b: &Arr<T>) -> Result<Tensor> {
    use BinaryOp::*;
    let name = op.name();
    Ok(match op {
        Add => T::wrap(zip_with(name, a, b, T::add)?),
        Subtract => T::wrap(zip_with(name, a, b, T::sub)?),
        Multiply => T::wrap(zip_with(name, a, b, T::mul)?),
        Divide => T::wrap(zip_with(name, a, b, T::div)?),
        FloorDivide => T::wrap(zip_with(name, a, b, T::floordiv)?),
        Mod => T::wrap(zip_with(name, a, b, T::rem)?),
        Power => T::wrap(zip_with(name, a, b, T::pow)?),
        Maximum => T::wrap(zip_with(name, a, b, T::max)?),
        Minimum => T::wrap(zip_with(name, a, b, T::min)?),
        Equal => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x == y)?),
        NotEqual => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x != y)?),
        Less => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x < y)?),
        LessEqual => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x <= y)?),
        Greater => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x > y)?),
        GreaterEqual => Tensor::Bool(zip_with(name, a, b, |x: T, y: T| x >= y)?),
        LogicalAnd | LogicalOr | LogicalXor => {
            let (x, y) = (
                cast_array::<bool>(&T::wrap(a.clone())),
                cast_array::<bool>(&T::wrap(b.clone())),
            );
            Tensor::Bool(match op {
                LogicalAnd => zip_with(name, &x, &y, |p, q| p & q)?,
                LogicalOr => zip_with(name, &x, &y, |p, q| p | q)?,
                _ => zip_with(name, &x, &y, |p, q| p ^ q)?,
            })
        }
    })
}

/// Applies a binary op with broadcasting after promoting both operands (Keras `result_type`).
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let dt = op.compute_dtype(a.dtype(), b.dtype())?;
    let (a, b) = (a.cast(dt), b.cast(dt));
    dispatch!(&a, x, T => arith_kernel::<T>(op, x, b.array::<T>().expect("same dtype")))
}

/// `where(condition, x1, x2)`: elements of `x1` where `condition` is true, else of `x2`, broadcast.
pub fn where_(cond: &Tensor, x1: &Tensor, x2: &Tensor) -> Result<Tensor> {
    let c = cast_array::<bool>(cond);
    let dt = result_type(x1.dtype(), x2.dtype());
    let (x1, x2) = (x1.cast(dt), x2.cast(dt));
    Ok(map_same!(&x1, a, T => {
        let b = x2.array::<T>().expect("same dtype");
        zip3_with("where", &c, a, b, |k: bool, p: T, q: T| if k { p } else { q })?
    }))
}

/// `clip(x, x_min, x_max)`: bounds broadcast against `x`; the result keeps `x`'s dtype
/// (bool becomes int32, as in Keras).
pub fn clip(x: &Tensor, lo: &Tensor, hi: &Tensor) -> Result<Tensor> {
    let dt = if x.dtype() == DType::Bool {
        DType::I32
    } else {
        x.dtype()
    };
    let x = x.cast(dt);
    let lo = lo.cast(dt);
    let hi = hi.cast(dt);
    let y = binary(BinaryOp::Maximum, &x, &lo).map_err(|e| rename(e, "clip"))?;
    binary(BinaryOp::Minimum, &y, &hi).map_err(|e| rename(e, "clip"))
}

fn rename(e: Error, op: &str) -> Error {
    match e {
        Error::Shape { msg, .. } => Error::shape(op, msg),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t32(shape: &[usize], v: &[f32]) -> Tensor {
        Tensor::from_vec(shape, v.to_vec()).unwrap()
    }

    #[test]
    fn broadcast_add_and_promotion() {
        let a = t32(&[2, 1], &[1.0, 2.0]);
        let b = Tensor::from_vec(&[3], vec![10i32, 20, 30]).unwrap();
        let c = binary(BinaryOp::Add, &a, &b).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(c.to_vec::<f32>(), vec![11.0, 21.0, 31.0, 12.0, 22.0, 32.0]);
    }

    #[test]
    fn int_divide_gives_float32() {
        let a = Tensor::from_vec(&[2], vec![1i64, 3]).unwrap();
        let b = Tensor::from_vec(&[2], vec![2i64, 2]).unwrap();
        let c = binary(BinaryOp::Divide, &a, &b).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(c.to_vec::<f32>(), vec![0.5, 1.5]);
    }

    #[test]
    fn strided_inputs() {
        let a = t32(&[2, 3], &[0., 1., 2., 3., 4., 5.]);
        let at = match &a {
            Tensor::F32(x) => Tensor::F32(x.clone().reversed_axes()),
            _ => unreachable!(),
        };
        let r = unary(UnaryOp::Square, &at).unwrap();
        assert_eq!(r.shape(), &[3, 2]);
        assert_eq!(r.to_vec::<f32>(), vec![0., 9., 1., 16., 4., 25.]);
    }

    #[test]
    fn exp_of_int_is_float32() {
        let a = Tensor::from_vec(&[1], vec![0i32]).unwrap();
        let r = unary(UnaryOp::Exp, &a).unwrap();
        assert_eq!(r.dtype(), DType::F32);
        assert_eq!(r.to_vec::<f32>(), vec![1.0]);
    }

    #[test]
    fn where_and_clip() {
        let c = Tensor::from_vec(&[3], vec![true, false, true]).unwrap();
        let x = t32(&[3], &[1., 2., 3.]);
        let y = Tensor::scalar(0.0f32);
        assert_eq!(
            where_(&c, &x, &y).unwrap().to_vec::<f32>(),
            vec![1., 0., 3.]
        );
        let lo = Tensor::scalar(1.5f32);
        let hi = Tensor::scalar(2.5f32);
        assert_eq!(
            clip(&x, &lo, &hi).unwrap().to_vec::<f32>(),
            vec![1.5, 2., 2.5]
        );
    }
}

/// The indices of the non-zero (true) elements: one int32 vector per dimension, row-major order.
pub fn nonzero(x: &Tensor) -> Result<Vec<Tensor>> {
    let b = cast_array::<bool>(x);
    let nd = b.ndim();
    let mut cols: Vec<Vec<i32>> = vec![Vec::new(); nd];
    for (idx, &v) in b.indexed_iter() {
        if v {
            for (d, col) in cols.iter_mut().enumerate() {
                col.push(idx[d] as i32);
            }
        }
    }
    if nd == 0 {
        let n = usize::from(*b.iter().next().unwrap_or(&false));
        return Ok(vec![Tensor::from_vec(&[n], vec![0i32; n])?]);
    }
    cols.into_iter()
        .map(|c| {
            let n = c.len();
            Tensor::from_vec(&[n], c)
        })
        .collect()
}

fn add_assign_arr<T: Copy + std::ops::AddAssign + Send + Sync>(
    a: &mut crate::tensor::Arr<T>,
    b: &crate::tensor::Arr<T>,
) {
    let n = a.len();
    // `view_mut` on a shared ArcArray copies first (copy on write), so other holders never see
    // the update.
    let mut v = a.view_mut();
    if crate::parallel::should_parallelize(n) {
        crate::parallel::install(|| {
            ndarray::Zip::from(&mut v)
                .and(b)
                .par_for_each(|x, &y| *x += y)
        });
    } else {
        ndarray::Zip::from(&mut v).and(b).for_each(|x, &y| *x += y);
    }
}

/// `acc += g` in `acc`'s own buffer (copied first if shared) for float32/float64 tensors of the
/// same shape; hands `acc` back untouched otherwise. Used to accumulate gradients.
pub fn add_into(acc: Tensor, g: &Tensor) -> std::result::Result<Tensor, Tensor> {
    if acc.shape() != g.shape() {
        return Err(acc);
    }
    match (acc, g) {
        (Tensor::F32(mut a), Tensor::F32(b)) => {
            add_assign_arr(&mut a, b);
            Ok(Tensor::F32(a))
        }
        (Tensor::F64(mut a), Tensor::F64(b)) => {
            add_assign_arr(&mut a, b);
            Ok(Tensor::F64(a))
        }
        (acc, _) => Err(acc),
    }
}
