//! Element types, Keras 3 type promotion (`keras.backend.result_type`) and the [`Elem`] trait.
use crate::error::{Error, Result};
use half::{bf16, f16};
use ndarray::{ArcArray, IxDyn};
use std::fmt;

/// The element types lamina supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    /// `bool`
    Bool,
    /// `uint8`
    U8,
    /// `int32`
    I32,
    /// `int64`
    I64,
    /// `float16`
    F16,
    /// `bfloat16`
    BF16,
    /// `float32`
    F32,
    /// `float64`
    F64,
}

/// All dtypes, in a stable order.
pub const ALL_DTYPES: [DType; 8] = [
    DType::Bool,
    DType::U8,
    DType::I32,
    DType::I64,
    DType::F16,
    DType::BF16,
    DType::F32,
    DType::F64,
];

/// The weak type of a Python scalar taking part in an op (Keras' weak `int`/`float`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weak {
    /// A Python `bool`.
    Bool,
    /// A Python `int`.
    Int,
    /// A Python `float`.
    Float,
}

impl DType {
    /// The Keras name: "float32", "int64", ...
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }

    /// Parses a Keras/numpy dtype name; unknown or unsupported names are a dtype error.
    pub fn from_name(name: &str) -> Result<DType> {
        Ok(match name {
            "bool" => DType::Bool,
            "uint8" => DType::U8,
            "int32" => DType::I32,
            "int64" => DType::I64,
            "float16" | "half" => DType::F16,
            "bfloat16" => DType::BF16,
            "float32" | "float" => DType::F32,
            "float64" | "double" => DType::F64,
            other => {
                return Err(Error::dtype(
                    "dtype",
                    format!(
                        "unsupported dtype '{other}'. lamina supports: bool, uint8, int32, int64, \
                         float16, bfloat16, float32, float64. Received: dtype={other}"
                    ),
                ))
            }
        })
    }

    /// True for float16, bfloat16, float32, float64.
    pub fn is_float(self) -> bool {
        matches!(self, DType::F16 | DType::BF16 | DType::F32 | DType::F64)
    }
    /// True for uint8, int32, int64.
    pub fn is_int(self) -> bool {
        matches!(self, DType::U8 | DType::I32 | DType::I64)
    }
    /// Size of one element in bytes.
    pub fn itemsize(self) -> usize {
        match self {
            DType::Bool | DType::U8 => 1,
            DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// Position on the promotion lattice's chains: bool < uint8 < int32 < int64 < {f16, bf16} < f32 < f64.
    fn rank(self) -> u8 {
        match self {
            DType::Bool => 0,
            DType::U8 => 1,
            DType::I32 => 2,
            DType::I64 => 3,
            DType::F16 | DType::BF16 => 4,
            DType::F32 => 5,
            DType::F64 => 6,
        }
    }
}

impl fmt::Display for DType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Keras 3 promotion of two strong dtypes (the least upper bound on JAX's lattice, restricted to
/// lamina's dtypes): `uint8 + int32 -> int32`, `int64 + float16 -> float16`,
/// `float16 + bfloat16 -> float32`, `int32 + float32 -> float32`.
pub fn result_type(a: DType, b: DType) -> DType {
    if a == b {
        return a;
    }
    if matches!(
        (a, b),
        (DType::F16, DType::BF16) | (DType::BF16, DType::F16)
    ) {
        return DType::F32;
    }
    if a.rank() >= b.rank() {
        a
    } else {
        b
    }
}

/// Promotion of a strong dtype with a weak Python scalar, as Keras does:
/// a Python int keeps any int or float dtype (bool becomes int32); a Python float keeps any float
/// dtype and turns bool/int dtypes into float32 (floatx); a Python bool keeps everything.
pub fn result_type_weak(strong: DType, weak: Weak) -> DType {
    match weak {
        Weak::Bool => strong,
        Weak::Int => {
            if strong == DType::Bool {
                DType::I32
            } else {
                strong
            }
        }
        Weak::Float => {
            if strong.is_float() {
                strong
            } else {
                DType::F32
            }
        }
    }
}

/// The dtype a lone Python scalar becomes: bool, int32, float32.
pub fn default_weak_dtype(w: Weak) -> DType {
    match w {
        Weak::Bool => DType::Bool,
        Weak::Int => DType::I32,
        Weak::Float => DType::F32,
    }
}

/// An element type of a tensor. Conversions go through `f64` (floats) or `i64` (ints and bool).
pub trait Elem:
    Copy + Send + Sync + 'static + PartialOrd + PartialEq + Default + fmt::Debug
{
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Wraps an array of this type into a [`crate::Tensor`].
    fn wrap(a: ArcArray<Self, IxDyn>) -> crate::Tensor;
    /// Borrows the array if the tensor holds this type.
    fn unwrap(t: &crate::Tensor) -> Option<&ArcArray<Self, IxDyn>>;
    /// Converts to f64 (exact for all but the largest int64s).
    fn to_f64(self) -> f64;
    /// Converts from f64, saturating to the type's range for ints (NaN -> 0), C-style truncation.
    fn from_f64(v: f64) -> Self;
    /// Converts to i64 (floats truncate toward zero, saturating).
    fn to_i64(self) -> i64;
    /// Converts from i64, wrapping for narrower ints; bool is `v != 0`.
    fn from_i64(v: i64) -> Self;
    /// Additive identity.
    fn zero() -> Self;
    /// Multiplicative identity.
    fn one() -> Self;
    /// Converts to f32 (the compute type of half floats).
    #[inline]
    fn to_f32(self) -> f32 {
        self.to_f64() as f32
    }
    /// Converts from f32.
    #[inline]
    fn from_f32(v: f32) -> Self {
        Self::from_f64(v as f64)
    }
}

macro_rules! impl_elem_int {
    ($t:ty, $dt:ident) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$dt;
            #[inline]
            fn wrap(a: ArcArray<Self, IxDyn>) -> crate::Tensor {
                crate::Tensor::$dt(a)
            }
            #[inline]
            fn unwrap(t: &crate::Tensor) -> Option<&ArcArray<Self, IxDyn>> {
                if let crate::Tensor::$dt(a) = t {
                    Some(a)
                } else {
                    None
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn zero() -> Self {
                0
            }
            #[inline]
            fn one() -> Self {
                1
            }
        }
    };
}
impl_elem_int!(u8, U8);
impl_elem_int!(i32, I32);
impl_elem_int!(i64, I64);

impl Elem for bool {
    const DTYPE: DType = DType::Bool;
    #[inline]
    fn wrap(a: ArcArray<Self, IxDyn>) -> crate::Tensor {
        crate::Tensor::Bool(a)
    }
    #[inline]
    fn unwrap(t: &crate::Tensor) -> Option<&ArcArray<Self, IxDyn>> {
        if let crate::Tensor::Bool(a) = t {
            Some(a)
        } else {
            None
        }
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn zero() -> Self {
        false
    }
    #[inline]
    fn one() -> Self {
        true
    }
}

macro_rules! impl_elem_float {
    ($t:ty, $dt:ident, $to:expr, $from:expr, $to32:expr, $from32:expr) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$dt;
            #[inline]
            fn wrap(a: ArcArray<Self, IxDyn>) -> crate::Tensor {
                crate::Tensor::$dt(a)
            }
            #[inline]
            fn unwrap(t: &crate::Tensor) -> Option<&ArcArray<Self, IxDyn>> {
                if let crate::Tensor::$dt(a) = t {
                    Some(a)
                } else {
                    None
                }
            }
            #[inline]
            fn to_f64(self) -> f64 {
                ($to)(self)
            }
            #[inline]
            fn from_f64(v: f64) -> Self {
                ($from)(v)
            }
            #[inline]
            fn to_i64(self) -> i64 {
                ($to)(self) as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                ($from)(v as f64)
            }
            #[inline]
            fn zero() -> Self {
                ($from)(0.0)
            }
            #[inline]
            fn one() -> Self {
                ($from)(1.0)
            }
            #[inline]
            fn to_f32(self) -> f32 {
                ($to32)(self)
            }
            #[inline]
            fn from_f32(v: f32) -> Self {
                ($from32)(v)
            }
        }
    };
}
impl_elem_float!(
    f32,
    F32,
    |x: f32| x as f64,
    |v: f64| v as f32,
    |x: f32| x,
    |v: f32| v
);
impl_elem_float!(
    f64,
    F64,
    |x: f64| x,
    |v: f64| v,
    |x: f64| x as f32,
    |v: f32| v as f64
);
impl_elem_float!(
    f16,
    F16,
    |x: f16| x.to_f64(),
    f16::from_f64,
    |x: f16| x.to_f32(),
    f16::from_f32
);
impl_elem_float!(
    bf16,
    BF16,
    |x: bf16| x.to_f64(),
    bf16::from_f64,
    |x: bf16| x.to_f32(),
    bf16::from_f32
);

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promotion_follows_keras_lattice() {
        assert_eq!(result_type(U8, I32), I32);
        assert_eq!(result_type(I32, I64), I64);
        assert_eq!(result_type(I64, F16), F16);
        assert_eq!(result_type(I32, BF16), BF16);
        assert_eq!(result_type(F16, BF16), F32);
        assert_eq!(result_type(F32, F64), F64);
        assert_eq!(result_type(Bool, U8), U8);
        assert_eq!(result_type(Bool, F16), F16);
    }

    #[test]
    fn weak_scalars_keep_the_tensor_dtype() {
        assert_eq!(result_type_weak(F16, Weak::Float), F16);
        assert_eq!(result_type_weak(I64, Weak::Float), F32);
        assert_eq!(result_type_weak(U8, Weak::Int), U8);
        assert_eq!(result_type_weak(Bool, Weak::Int), I32);
        assert_eq!(result_type_weak(Bool, Weak::Bool), Bool);
    }

    #[test]
    fn names_round_trip() {
        for d in ALL_DTYPES {
            assert_eq!(DType::from_name(d.name()).unwrap(), d);
        }
        assert!(matches!(DType::from_name("int8"), Err(Error::DType { .. })));
    }
}
