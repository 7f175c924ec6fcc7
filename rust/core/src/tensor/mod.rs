//! The [`Tensor`]: an `Arc`-shared, possibly strided n-d array of one of lamina's dtypes.
//!
//! Cloning is cheap (an `Arc` bump). Views made by reshape/transpose/slicing share storage
//! where the layout allows. Ops never mutate a tensor's storage in place: a tensor is a value.
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, Error, Result};
use half::{bf16, f16};
use ndarray::{ArcArray, ArrayD, IxDyn};

mod cast;
mod create;
pub use cast::cast_array;

/// An `Arc`-shared dynamic-rank array of element type `T`.
pub type Arr<T> = ArcArray<T, IxDyn>;

/// A tensor: one variant per dtype, each an `Arc`-shared ndarray.
#[derive(Clone, Debug)]
#[allow(missing_docs)]
pub enum Tensor {
    Bool(Arr<bool>),
    U8(Arr<u8>),
    I32(Arr<i32>),
    I64(Arr<i64>),
    F16(Arr<f16>),
    BF16(Arr<bf16>),
    F32(Arr<f32>),
    F64(Arr<f64>),
}

/// Runs `$body` with `$a` bound to the typed array and `$T` to its element type, for every dtype.
#[macro_export]
macro_rules! dispatch {
    ($t:expr, $a:ident, $T:ident => $body:expr) => {
        match $t {
            $crate::Tensor::Bool($a) => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::Tensor::U8($a) => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::Tensor::I32($a) => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::Tensor::I64($a) => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::Tensor::F16($a) => {
                #[allow(dead_code)]
                type $T = half::f16;
                $body
            }
            $crate::Tensor::BF16($a) => {
                #[allow(dead_code)]
                type $T = half::bf16;
                $body
            }
            $crate::Tensor::F32($a) => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::Tensor::F64($a) => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
        }
    };
}

/// Like [`dispatch!`] but builds a tensor of the same dtype from an expression giving an `Arr<$T>`.
#[macro_export]
macro_rules! map_same {
    ($t:expr, $a:ident, $T:ident => $body:expr) => {
        $crate::dispatch!($t, $a, $T => <$T as $crate::Elem>::wrap($body))
    };
}

/// Runs `$body` for a dtype given as a [`DType`] value, with `$T` bound to its element type.
#[macro_export]
macro_rules! with_dtype {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::DType::Bool => {
                #[allow(dead_code)]
                type $T = bool;
                $body
            }
            $crate::DType::U8 => {
                #[allow(dead_code)]
                type $T = u8;
                $body
            }
            $crate::DType::I32 => {
                #[allow(dead_code)]
                type $T = i32;
                $body
            }
            $crate::DType::I64 => {
                #[allow(dead_code)]
                type $T = i64;
                $body
            }
            $crate::DType::F16 => {
                #[allow(dead_code)]
                type $T = half::f16;
                $body
            }
            $crate::DType::BF16 => {
                #[allow(dead_code)]
                type $T = half::bf16;
                $body
            }
            $crate::DType::F32 => {
                #[allow(dead_code)]
                type $T = f32;
                $body
            }
            $crate::DType::F64 => {
                #[allow(dead_code)]
                type $T = f64;
                $body
            }
        }
    };
}

impl Tensor {
    /// The element type.
    pub fn dtype(&self) -> DType {
        match self {
            Tensor::Bool(_) => DType::Bool,
            Tensor::U8(_) => DType::U8,
            Tensor::I32(_) => DType::I32,
            Tensor::I64(_) => DType::I64,
            Tensor::F16(_) => DType::F16,
            Tensor::BF16(_) => DType::BF16,
            Tensor::F32(_) => DType::F32,
            Tensor::F64(_) => DType::F64,
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        dispatch!(self, a, _T => a.shape())
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[isize] {
        dispatch!(self, a, _T => a.strides())
    }

    /// Number of dimensions.
    pub fn ndim(&self) -> usize {
        self.shape().len()
    }

    /// Number of elements.
    pub fn size(&self) -> usize {
        self.shape().iter().product()
    }

    /// True when the elements are laid out contiguously in row-major (C) order.
    pub fn is_standard_layout(&self) -> bool {
        dispatch!(self, a, _T => a.is_standard_layout())
    }

    /// Borrows the typed array, if the tensor has element type `T`.
    pub fn array<T: Elem>(&self) -> Option<&Arr<T>> {
        T::unwrap(self)
    }

    /// Borrows the typed array or returns a dtype error naming `op`.
    pub fn typed<T: Elem>(&self, op: &str) -> Result<&Arr<T>> {
        T::unwrap(self).ok_or_else(|| {
            Error::dtype(
                op,
                format!("expected a {} tensor, received {}", T::DTYPE, self.dtype()),
            )
        })
    }

    /// Builds a tensor from a row-major `Vec` and a shape.
    pub fn from_vec<T: Elem>(shape: &[usize], data: Vec<T>) -> Result<Tensor> {
        let n: usize = shape.iter().product();
        if n != data.len() {
            return Err(Error::shape(
                "from_vec",
                format!(
                    "{} values cannot fill shape {}",
                    data.len(),
                    fmt_shape(shape)
                ),
            ));
        }
        let a = ArrayD::from_shape_vec(IxDyn(shape), data)
            .map_err(|e| Error::Internal(format!("from_vec: {e}")))?;
        Ok(T::wrap(a.into_shared()))
    }

    /// A 0-d tensor holding `v`.
    pub fn scalar<T: Elem>(v: T) -> Tensor {
        T::wrap(ArcArray::from_elem(IxDyn(&[]), v))
    }

    /// Wraps an owned array.
    pub fn from_array<T: Elem>(a: ArrayD<T>) -> Tensor {
        T::wrap(a.into_shared())
    }

    /// A row-major copy of a borrowed array of any strides (a numpy array's memory, for one);
    /// large copies run on the thread pool.
    pub fn copy_of<T: Elem>(a: &ndarray::ArrayViewD<'_, T>) -> Tensor {
        T::wrap(crate::parallel::map_array(a, |x: T| x))
    }

    /// A row-major contiguous tensor with the same values (shares storage if already contiguous).
    pub fn to_standard_layout(&self) -> Tensor {
        if self.is_standard_layout() {
            return self.clone();
        }
        map_same!(self, a, T => crate::parallel::map_array(&a.view(), |x: T| x))
    }

    /// The elements in row-major order as a `Vec<T>` (converting from the tensor's dtype).
    pub fn to_vec<T: Elem>(&self) -> Vec<T> {
        let c = cast_array::<T>(self);
        c.iter().copied().collect()
    }

    /// The single element of a one-element tensor, as f64.
    pub fn item_f64(&self) -> Result<f64> {
        if self.size() != 1 {
            return Err(Error::value(
                "item",
                format!(
                    "only one-element tensors can be converted to Python scalars. Received: shape={}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        Ok(dispatch!(self, a, _T => a.iter().next().map(|x| x.to_f64()).unwrap_or(0.0)))
    }

    /// The single element of a one-element tensor, as i64.
    pub fn item_i64(&self) -> Result<i64> {
        if self.size() != 1 {
            return Err(Error::value(
                "item",
                format!(
                    "only one-element tensors can be converted to Python scalars. Received: shape={}",
                    fmt_shape(self.shape())
                ),
            ));
        }
        Ok(dispatch!(self, a, _T => a.iter().next().map(|x| x.to_i64()).unwrap_or(0)))
    }

    /// Converts to another dtype (a cheap clone when it already has it).
    pub fn cast(&self, dtype: DType) -> Tensor {
        if self.dtype() == dtype {
            return self.clone();
        }
        with_dtype!(dtype, D => D::wrap(cast_array::<D>(self)))
    }

    /// Bitwise equality of shape, dtype and values (NaN equals NaN with the same bits).
    pub fn bit_eq(&self, other: &Tensor) -> bool {
        if self.dtype() != other.dtype() || self.shape() != other.shape() {
            return false;
        }
        let a = self.to_standard_layout();
        let b = other.to_standard_layout();
        dispatch!(&a, x, T => {
            let y = b.array::<T>().expect("same dtype");
            x.iter().zip(y.iter()).all(|(p, q)| {
                // Compare bit patterns through f64 for floats so that NaN == NaN.
                let (pf, qf) = (p.to_f64(), q.to_f64());
                pf.to_bits() == qf.to_bits() || p == q
            })
        })
    }
}
