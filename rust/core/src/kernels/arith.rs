//! Per-type scalar arithmetic with numpy semantics: integer ops wrap and never panic
//! (division by zero gives 0), floor division and modulo follow the divisor's sign,
//! half floats compute in f32, maximum/minimum propagate NaN.
use crate::dtype::Elem;
use half::{bf16, f16};

/// Scalar arithmetic used by the binary kernels.
pub trait Arith: Elem {
    /// a + b
    fn add(a: Self, b: Self) -> Self;
    /// a - b
    fn sub(a: Self, b: Self) -> Self;
    /// a * b
    fn mul(a: Self, b: Self) -> Self;
    /// a / b (floats only in practice; ints truncate)
    fn div(a: Self, b: Self) -> Self;
    /// floor(a / b)
    fn floordiv(a: Self, b: Self) -> Self;
    /// a mod b with the sign of b
    fn rem(a: Self, b: Self) -> Self;
    /// a ** b
    fn pow(a: Self, b: Self) -> Self;
    /// NaN-propagating maximum
    fn max(a: Self, b: Self) -> Self;
    /// NaN-propagating minimum
    fn min(a: Self, b: Self) -> Self;
    /// true when NaN
    fn is_nan(self) -> bool;
    /// true when neither NaN nor infinite
    fn is_finite(self) -> bool;
}

macro_rules! int_arith {
    ($t:ty, $signed:expr) => {
        impl Arith for $t {
            #[inline]
            fn add(a: Self, b: Self) -> Self {
                a.wrapping_add(b)
            }
            #[inline]
            fn sub(a: Self, b: Self) -> Self {
                a.wrapping_sub(b)
            }
            #[inline]
            fn mul(a: Self, b: Self) -> Self {
                a.wrapping_mul(b)
            }
            #[inline]
            fn div(a: Self, b: Self) -> Self {
                if b == 0 {
                    0
                } else {
                    a.wrapping_div(b)
                }
            }
            #[inline]
            fn floordiv(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let q = a.wrapping_div(b);
                #[allow(unused_comparisons)]
                if $signed && a.wrapping_rem(b) != 0 && ((a < 0) != (b < 0)) {
                    q.wrapping_sub(1)
                } else {
                    q
                }
            }
            #[inline]
            fn rem(a: Self, b: Self) -> Self {
                if b == 0 {
                    return 0;
                }
                let r = a.wrapping_rem(b);
                #[allow(unused_comparisons)]
                if $signed && r != 0 && ((r < 0) != (b < 0)) {
                    r.wrapping_add(b)
                } else {
                    r
                }
            }
            #[inline]
            fn pow(a: Self, b: Self) -> Self {
                #[allow(unused_comparisons)]
                if b < 0 {
                    // Integer power with a negative exponent: only |a| == 1 gives a non-zero result.
                    return match a as i64 {
                        1 => 1 as $t,
                        -1 => {
                            if (b as i64) % 2 == 0 {
                                1 as $t
                            } else {
                                a
                            }
                        }
                        _ => 0,
                    };
                }
                let e = (b as u64).min(u32::MAX as u64) as u32;
                a.wrapping_pow(e)
            }
            #[inline]
            fn max(a: Self, b: Self) -> Self {
                if a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn min(a: Self, b: Self) -> Self {
                if a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn is_nan(self) -> bool {
                false
            }
            #[inline]
            fn is_finite(self) -> bool {
                true
            }
        }
    };
}
int_arith!(u8, false);
int_arith!(i32, true);
int_arith!(i64, true);

impl Arith for bool {
    #[inline]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn floordiv(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn rem(_a: Self, _b: Self) -> Self {
        false
    }
    #[inline]
    fn pow(a: Self, b: Self) -> Self {
        a | !b
    }
    #[inline]
    fn max(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline]
    fn min(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline]
    fn is_nan(self) -> bool {
        false
    }
    #[inline]
    fn is_finite(self) -> bool {
        true
    }
}

macro_rules! float_arith {
    ($t:ty) => {
        impl Arith for $t {
            #[inline]
            fn add(a: Self, b: Self) -> Self {
                a + b
            }
            #[inline]
            fn sub(a: Self, b: Self) -> Self {
                a - b
            }
            #[inline]
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
            #[inline]
            fn div(a: Self, b: Self) -> Self {
                a / b
            }
            #[inline]
            fn floordiv(a: Self, b: Self) -> Self {
                Self::rem_floor(a, b).0
            }
            #[inline]
            fn rem(a: Self, b: Self) -> Self {
                Self::rem_floor(a, b).1
            }
            #[inline]
            fn pow(a: Self, b: Self) -> Self {
                a.powf(b)
            }
            #[inline]
            fn max(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a >= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn min(a: Self, b: Self) -> Self {
                if a.is_nan() || b.is_nan() {
                    <$t>::NAN
                } else if a <= b {
                    a
                } else {
                    b
                }
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}

/// Python-style division with remainder for floats: `(floor(a/b), a - floor(a/b)*b)` via fmod.
trait RemFloor: Sized {
    fn rem_floor(a: Self, b: Self) -> (Self, Self);
}
macro_rules! rem_floor {
    ($t:ty) => {
        impl RemFloor for $t {
            #[inline]
            fn rem_floor(a: $t, b: $t) -> ($t, $t) {
                if b == 0.0 {
                    return (a / b, <$t>::NAN);
                }
                let m = a % b;
                let mut div = (a - m) / b;
                let mut r = m;
                if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
                    r += b;
                    div -= 1.0;
                }
                if r == 0.0 {
                    r = (0.0 as $t).copysign(b);
                }
                let floordiv = if div != 0.0 {
                    let f = div.floor();
                    if div - f > 0.5 {
                        f + 1.0
                    } else {
                        f
                    }
                } else {
                    (0.0 as $t).copysign(a / b)
                };
                (floordiv, r)
            }
        }
    };
}
rem_floor!(f32);
rem_floor!(f64);
float_arith!(f32);
float_arith!(f64);

macro_rules! half_arith {
    ($t:ty) => {
        impl Arith for $t {
            #[inline]
            fn add(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() + b.to_f32())
            }
            #[inline]
            fn sub(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() - b.to_f32())
            }
            #[inline]
            fn mul(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() * b.to_f32())
            }
            #[inline]
            fn div(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32() / b.to_f32())
            }
            #[inline]
            fn floordiv(a: Self, b: Self) -> Self {
                <$t>::from_f32(f32::rem_floor(a.to_f32(), b.to_f32()).0)
            }
            #[inline]
            fn rem(a: Self, b: Self) -> Self {
                <$t>::from_f32(f32::rem_floor(a.to_f32(), b.to_f32()).1)
            }
            #[inline]
            fn pow(a: Self, b: Self) -> Self {
                <$t>::from_f32(a.to_f32().powf(b.to_f32()))
            }
            #[inline]
            fn max(a: Self, b: Self) -> Self {
                <$t>::from_f32(<f32 as Arith>::max(a.to_f32(), b.to_f32()))
            }
            #[inline]
            fn min(a: Self, b: Self) -> Self {
                <$t>::from_f32(<f32 as Arith>::min(a.to_f32(), b.to_f32()))
            }
            #[inline]
            fn is_nan(self) -> bool {
                <$t>::is_nan(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                <$t>::is_finite(self)
            }
        }
    };
}
half_arith!(f16);
half_arith!(bf16);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_style_floor_division_and_modulo() {
        assert_eq!(<i32 as Arith>::floordiv(-7, 2), -4);
        assert_eq!(<i32 as Arith>::rem(-7, 2), 1);
        assert_eq!(<i32 as Arith>::rem(7, -2), -1);
        assert_eq!(<i32 as Arith>::div(7, 0), 0);
        assert_eq!(<i32 as Arith>::floordiv(i32::MIN, -1), i32::MIN);
        assert_eq!(<f64 as Arith>::floordiv(-7.0, 2.0), -4.0);
        assert_eq!(<f64 as Arith>::rem(-7.0, 2.0), 1.0);
        assert_eq!(<f64 as Arith>::rem(7.5, -2.0), -0.5);
        assert!(<f32 as Arith>::max(1.0, f32::NAN).is_nan());
        assert_eq!(<i64 as Arith>::pow(2, 10), 1024);
        assert_eq!(<i64 as Arith>::pow(2, -1), 0);
    }
}
