//! dtype conversion: ints and bools go through i64, anything involving a float through f64
//! (f32 for half floats), matching numpy's `astype` (float -> int truncates toward zero, saturating).
use super::{Arr, Tensor};
use crate::dispatch;
use crate::dtype::Elem;
use crate::parallel::map_array;

/// Converts the tensor's values to element type `D` (shares storage when the dtype already is `D`).
pub fn cast_array<D: Elem>(t: &Tensor) -> Arr<D> {
    if let Some(a) = D::unwrap(t) {
        return a.clone();
    }
    dispatch!(t, a, S => convert::<S, D>(a))
}

fn convert<S: Elem, D: Elem>(a: &Arr<S>) -> Arr<D> {
    let s_float = S::DTYPE.is_float();
    let d_float = D::DTYPE.is_float();
    let half = |dt: crate::DType| {
        matches!(
            dt,
            crate::DType::F16 | crate::DType::BF16 | crate::DType::F32
        )
    };
    if !s_float && !d_float {
        map_array(&a.view(), |x: S| D::from_i64(x.to_i64()))
    } else if half(S::DTYPE) && half(D::DTYPE) {
        map_array(&a.view(), |x: S| D::from_f32(x.to_f32()))
    } else if s_float && D::DTYPE == crate::DType::Bool {
        map_array(&a.view(), |x: S| D::from_i64((x.to_f64() != 0.0) as i64))
    } else {
        map_array(&a.view(), |x: S| D::from_f64(x.to_f64()))
    }
}
