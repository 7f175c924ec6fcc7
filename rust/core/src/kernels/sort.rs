//! Ordering and scans: `sort`, `argsort` (stable, NaN last as numpy), `top_k`, `cumsum`, `cumprod`.
//!
//! Every lane is handled by one task in a fixed order, so results never depend on the thread count.
use super::arith::Arith;
use super::nn::{for_lanes, to_lanes};
use super::reduce::conv;
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, normalize_axis, Error, Result};
use crate::parallel::{install, should_parallelize, GRAIN};
use crate::tensor::{Arr, Tensor};
use crate::{dispatch, map_same};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;
use std::cmp::Reverse;

/// An order-preserving unsigned key per element type: ascending keys give numpy's sort order
/// (NaN after everything).
pub(crate) trait SortKey: Copy + Send + Sync {
    /// The key type.
    type K: Ord + Copy + Send + Sync;
    /// A key that round-trips through [`SortKey::from_key`] (NaNs lose their sign).
    fn key(self) -> Self::K;
    /// The value of a [`SortKey::key`].
    fn from_key(k: Self::K) -> Self;
    /// A key under which -0.0 equals 0.0 and all NaNs are equal (for stable index sorts).
    fn eq_key(self) -> Self::K;
}

macro_rules! float_key {
    ($t:ty, $k:ty, $to:expr, $from:expr) => {
        impl SortKey for $t {
            type K = $k;
            #[inline(always)]
            fn key(self) -> $k {
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                let b: $k = ($to)(self);
                let b = if self.is_nan() { b & !SIGN } else { b };
                if b & SIGN != 0 {
                    !b
                } else {
                    b | SIGN
                }
            }
            #[inline(always)]
            fn from_key(k: $k) -> Self {
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                ($from)(if k & SIGN != 0 { k & !SIGN } else { !k })
            }
            #[inline(always)]
            fn eq_key(self) -> $k {
                const SIGN: $k = 1 << (<$k>::BITS - 1);
                if self.is_nan() {
                    return <$k>::MAX;
                }
                let b: $k = ($to)(self);
                if b == SIGN {
                    SIGN
                } else {
                    self.key()
                }
            }
        }
    };
}
float_key!(f32, u32, f32::to_bits, f32::from_bits);
float_key!(f64, u64, f64::to_bits, f64::from_bits);
float_key!(f16, u16, f16::to_bits, f16::from_bits);
float_key!(bf16, u16, bf16::to_bits, bf16::from_bits);

macro_rules! int_key {
    ($t:ty, $k:ty, $flip:expr) => {
        impl SortKey for $t {
            type K = $k;
            #[inline(always)]
            fn key(self) -> $k {
                (self as $k) ^ $flip
            }
            #[inline(always)]
            fn from_key(k: $k) -> Self {
                (k ^ $flip) as $t
            }
            #[inline(always)]
            fn eq_key(self) -> $k {
                self.key()
            }
        }
    };
}
int_key!(u8, u8, 0);
int_key!(i32, u32, 1 << 31);
int_key!(i64, u64, 1 << 63);

impl SortKey for bool {
    type K = u8;
    #[inline(always)]
    fn key(self) -> u8 {
        self as u8
    }
    #[inline(always)]
    fn from_key(k: u8) -> Self {
        k != 0
    }
    #[inline(always)]
    fn eq_key(self) -> u8 {
        self as u8
    }
}

/// Flattens (axis None) or normalises the axis; returns the tensor to work on and the axis.
fn prepare(op: &str, x: &Tensor, axis: Option<i64>) -> Result<(Tensor, usize)> {
    match axis {
        None => {
            let n = x.size();
            let s = x.to_standard_layout();
            Ok((
                map_same!(&s, a, _T => a.clone().into_shape_with_order(IxDyn(&[n])).expect("row-major")),
                0,
            ))
        }
        Some(ax) => Ok((x.clone(), normalize_axis(op, ax, x.ndim())?)),
    }
}

/// Sorts along `axis` (None: the flattened tensor), ascending, NaN last.
pub fn sort(x: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    let (x, ax) = prepare("sort", x, axis)?;
    Ok(map_same!(&x, a, T => {
        let l = to_lanes(a, &[ax]);
        let mut out = vec![T::zero(); a.len()];
        for_lanes(l.slice(), l.len, &mut out, l.len, |buf: &mut Vec<<T as SortKey>::K>, s: &[T], o: &mut [T]| {
            buf.clear();
            buf.extend(s.iter().map(|&v| v.key()));
            buf.sort_unstable();
            o.iter_mut().zip(buf.iter()).for_each(|(y, &k)| *y = T::from_key(k));
        });
        l.back(out)
    }))
}

/// Indices (int32) that sort along `axis` (None: the flattened tensor); stable, NaN last.
pub fn argsort(x: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    let (x, ax) = prepare("argsort", x, axis)?;
    check_i32("argsort", x.shape().get(ax).copied().unwrap_or(1))?;
    Ok(Tensor::I32(dispatch!(&x, a, T => {
        let l = to_lanes(a, &[ax]);
        let mut out = vec![0i32; a.len()];
        // (key, index) pairs are distinct, so an unstable sort gives the stable order.
        for_lanes(l.slice(), l.len, &mut out, l.len, |buf: &mut Vec<(<T as SortKey>::K, u32)>, s: &[T], o: &mut [i32]| {
            buf.clear();
            buf.extend(s.iter().enumerate().map(|(i, &v)| (v.eq_key(), i as u32)));
            buf.sort_unstable();
            o.iter_mut().zip(buf.iter()).for_each(|(y, &(_, i))| *y = i as i32);
        });
        l.back(out)
    })))
}

fn check_i32(op: &str, n: usize) -> Result<()> {
    if n > i32::MAX as usize {
        return Err(Error::value(
            op,
            format!("axis of length {n} is too long for int32 indices"),
        ));
    }
    Ok(())
}

/// The `k` largest entries along the last axis and their int32 indices, largest first (NaN counts
/// as largest; ties go to the lower index). `sorted=false` is accepted and gives the same order.
pub fn top_k(x: &Tensor, k: i64, sorted: bool) -> Result<(Tensor, Tensor)> {
    let _ = sorted;
    let shape = x.shape().to_vec();
    let Some(&n) = shape.last() else {
        return Err(Error::value(
            "top_k",
            "the input must have at least one dimension. Received: x.shape=()",
        ));
    };
    if k < 0 || k as u64 > n as u64 {
        return Err(Error::value(
            "top_k",
            format!(
                "`k` must be between 0 and the size of the last axis ({n}). Received: k={k}, x.shape={}",
                fmt_shape(&shape)
            ),
        ));
    }
    check_i32("top_k", n)?;
    let k = k as usize;
    let mut out_shape = shape.clone();
    *out_shape.last_mut().expect("rank >= 1") = k;
    let lanes = x.size().checked_div(n).unwrap_or(0);
    let mut idx = vec![0i32; lanes * k];
    let vals = map_same!(x, a, T => {
        let l = to_lanes(a, &[shape.len() - 1]);
        let s = l.slice();
        // Largest key first, ties to the lower index: ascending (Reverse(key), index).
        for_lanes(s, n, &mut idx, k, |buf: &mut Vec<(Reverse<<T as SortKey>::K>, u32)>, s: &[T], o: &mut [i32]| {
            buf.clear();
            buf.extend(s.iter().enumerate().map(|(i, &v)| (Reverse(v.eq_key()), i as u32)));
            if k < s.len() {
                buf.select_nth_unstable(k - 1);
                buf.truncate(k);
            }
            buf.sort_unstable();
            o.iter_mut().zip(buf.iter()).for_each(|(y, &(_, i))| *y = i as i32);
        });
        let v: Vec<T> = if n == 0 { Vec::new() } else {
            idx.chunks(k.max(1)).zip(s.chunks(n)).flat_map(|(ix, lane)| ix.iter().map(move |&i| lane[i as usize])).collect()
        };
        ArrayD::from_shape_vec(IxDyn(&out_shape), v).expect("k values per lane").into_shared()
    });
    let idx = ArrayD::from_shape_vec(IxDyn(&out_shape), idx)
        .expect("k indices per lane")
        .into_shared();
    Ok((vals, Tensor::I32(idx)))
}

/// Cumulative sum along `axis` (None: of the flattened tensor). The result has `dtype` if given,
/// else the input's, with bool becoming int32; half floats accumulate in f32.
pub fn cumsum(x: &Tensor, axis: Option<i64>, dtype: Option<DType>) -> Result<Tensor> {
    scan::<false>("cumsum", x, axis, dtype)
}

/// Cumulative product along `axis` (None: of the flattened tensor); dtypes as [`cumsum`].
pub fn cumprod(x: &Tensor, axis: Option<i64>, dtype: Option<DType>) -> Result<Tensor> {
    scan::<true>("cumprod", x, axis, dtype)
}

fn scan<const PROD: bool>(
    op: &str,
    x: &Tensor,
    axis: Option<i64>,
    dtype: Option<DType>,
) -> Result<Tensor> {
    let (x, ax) = prepare(op, x, axis)?;
    let mut dt = dtype.unwrap_or(x.dtype());
    if dt == DType::Bool {
        dt = DType::I32;
    }
    let x = x.cast(dt).to_standard_layout();
    let shape = x.shape().to_vec();
    let n = shape.get(ax).copied().unwrap_or(1);
    let inner: usize = shape[ax + 1..].iter().product();
    macro_rules! go {
        ($a:expr, $A:ty) => {
            scan_t::<_, $A, PROD>($a, n, inner)
        };
    }
    Ok(match &x {
        Tensor::Bool(_) => unreachable!("bool was promoted to int32"),
        Tensor::U8(a) => Tensor::U8(go!(a, u8)),
        Tensor::I32(a) => Tensor::I32(go!(a, i32)),
        Tensor::I64(a) => Tensor::I64(go!(a, i64)),
        Tensor::F16(a) => Tensor::F16(go!(a, f32)),
        Tensor::BF16(a) => Tensor::BF16(go!(a, f32)),
        Tensor::F32(a) => Tensor::F32(go!(a, f32)),
        Tensor::F64(a) => Tensor::F64(go!(a, f64)),
    })
}

/// Scans a row-major `[outer, n, inner]` array along the middle axis, accumulating in `A`.
fn scan_t<T: Elem, A: Elem + Arith, const PROD: bool>(
    a: &Arr<T>,
    n: usize,
    inner: usize,
) -> Arr<T> {
    let src = a.as_slice().expect("row-major");
    let mut out = vec![T::zero(); src.len()];
    let step = n * inner;
    if step > 0 {
        let run = |s: &[T], o: &mut [T]| {
            let init = if PROD { A::one() } else { A::zero() };
            let mut acc = vec![init; inner];
            for (srow, orow) in s.chunks(inner).zip(o.chunks_mut(inner)) {
                for ((c, &v), y) in acc.iter_mut().zip(srow).zip(orow.iter_mut()) {
                    *c = if PROD {
                        A::mul(*c, conv::<T, A>(v))
                    } else {
                        A::add(*c, conv::<T, A>(v))
                    };
                    *y = conv::<A, T>(*c);
                }
            }
        };
        if should_parallelize(src.len()) && src.len() > step {
            let min_len = (GRAIN / 4 / step).max(1);
            install(|| {
                out.par_chunks_mut(step)
                    .zip(src.par_chunks(step))
                    .with_min_len(min_len)
                    .for_each(|(o, s)| run(s, o))
            });
        } else {
            out.chunks_mut(step)
                .zip(src.chunks(step))
                .for_each(|(o, s)| run(s, o));
        }
    }
    ArrayD::from_shape_vec(a.raw_dim(), out)
        .expect("same shape")
        .into_shared()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t32(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    #[test]
    fn sort_and_argsort_with_nan_and_ties() {
        let t = t32(&[5], vec![3.0, f32::NAN, 1.0, 3.0, -2.0]);
        let s = sort(&t, Some(0)).unwrap().to_vec::<f32>();
        assert_eq!(&s[..4], &[-2.0, 1.0, 3.0, 3.0]);
        assert!(s[4].is_nan());
        assert_eq!(
            argsort(&t, Some(-1)).unwrap().to_vec::<i32>(),
            vec![4, 2, 0, 3, 1]
        );
        let m = t32(&[2, 3], vec![3.0, 1.0, 2.0, 0.0, 5.0, -1.0]);
        assert_eq!(
            sort(&m, Some(0)).unwrap().to_vec::<f32>(),
            vec![0.0, 1.0, -1.0, 3.0, 5.0, 2.0]
        );
        assert_eq!(
            argsort(&m, Some(1)).unwrap().to_vec::<i32>(),
            vec![1, 2, 0, 2, 0, 1]
        );
        let flat = sort(&m, None).unwrap();
        assert_eq!(flat.shape(), &[6]);
        assert_eq!(flat.to_vec::<f32>(), vec![-1.0, 0.0, 1.0, 2.0, 3.0, 5.0]);
        let tr = crate::map_same!(&m, a, _T => a.clone().reversed_axes());
        assert_eq!(
            sort(&tr, Some(1)).unwrap().to_vec::<f32>(),
            vec![0.0, 3.0, 1.0, 5.0, -1.0, 2.0]
        );
        let b = Tensor::from_vec(&[3], vec![true, false, true]).unwrap();
        assert_eq!(
            sort(&b, None).unwrap().to_vec::<bool>(),
            vec![false, true, true]
        );
        assert!(sort(&m, Some(2)).is_err());
        assert_eq!(
            sort(&Tensor::zeros(&[0, 2], DType::F32), Some(0))
                .unwrap()
                .shape(),
            &[0, 2]
        );
    }

    #[test]
    fn keys_order_and_round_trip() {
        let v = [
            f32::NAN,
            1.5,
            -0.0,
            0.0,
            f32::NEG_INFINITY,
            -f32::NAN,
            -2.0,
            f32::INFINITY,
            f32::MIN_POSITIVE,
        ];
        let mut keys: Vec<u32> = v.iter().map(|x| x.key()).collect();
        keys.sort_unstable();
        let back: Vec<f32> = keys.iter().map(|&k| f32::from_key(k)).collect();
        assert_eq!(
            &back[..7],
            &[
                f32::NEG_INFINITY,
                -2.0,
                -0.0,
                0.0,
                f32::MIN_POSITIVE,
                1.5,
                f32::INFINITY
            ]
        );
        assert!(back[2].is_sign_negative() && back[7].is_nan() && back[8].is_nan());
        assert_eq!((-0.0f32).eq_key(), 0.0f32.eq_key());
        assert_eq!(f64::NAN.eq_key(), (-f64::NAN).eq_key());
        for x in [-5i32, -1, 0, 3, i32::MIN, i32::MAX] {
            assert_eq!(i32::from_key(x.key()), x);
        }
        assert!((-1i64).key() < 0i64.key() && f16::from_f32(-1.0).key() < f16::from_f32(0.5).key());
        let t = t32(&[4], vec![0.0, -0.0, 0.0, -1.0]);
        assert_eq!(argsort(&t, None).unwrap().to_vec::<i32>(), vec![3, 0, 1, 2]);
    }

    #[test]
    fn top_k_values_indices_and_errors() {
        let t = t32(&[2, 4], vec![1.0, 4.0, 4.0, 2.0, f32::NAN, 0.0, 5.0, 5.0]);
        let (v, i) = top_k(&t, 2, true).unwrap();
        assert_eq!(v.shape(), &[2, 2]);
        assert_eq!(i.to_vec::<i32>(), vec![1, 2, 0, 2]);
        let v = v.to_vec::<f32>();
        assert_eq!(&v[..2], &[4.0, 4.0]);
        assert!(v[2].is_nan() && v[3] == 5.0);
        let (v, i) = top_k(&t, 4, false).unwrap();
        assert_eq!(i.to_vec::<i32>()[..4], [1, 2, 3, 0]);
        assert_eq!(v.shape(), &[2, 4]);
        assert_eq!(top_k(&t, 0, true).unwrap().0.shape(), &[2, 0]);
        assert!(matches!(top_k(&t, 5, true), Err(Error::Value { .. })));
        assert!(top_k(&Tensor::scalar(1.0f32), 1, true).is_err());
        let ints = Tensor::from_vec(&[3], vec![7i64, 9, 8]).unwrap();
        assert_eq!(top_k(&ints, 1, true).unwrap().0.to_vec::<i64>(), vec![9]);
    }

    #[test]
    fn cumsum_and_cumprod() {
        let m = t32(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        assert_eq!(
            cumsum(&m, Some(1), None).unwrap().to_vec::<f32>(),
            vec![1.0, 3.0, 6.0, 4.0, 9.0, 15.0]
        );
        assert_eq!(
            cumsum(&m, Some(0), None).unwrap().to_vec::<f32>(),
            vec![1.0, 2.0, 3.0, 5.0, 7.0, 9.0]
        );
        let flat = cumprod(&m, None, None).unwrap();
        assert_eq!(flat.shape(), &[6]);
        assert_eq!(
            flat.to_vec::<f32>(),
            vec![1.0, 2.0, 6.0, 24.0, 120.0, 720.0]
        );
        let tr = crate::map_same!(&m, a, _T => a.clone().reversed_axes());
        assert_eq!(
            cumsum(&tr, None, None).unwrap().to_vec::<f32>(),
            vec![1.0, 5.0, 7.0, 12.0, 15.0, 21.0]
        );
        let b = Tensor::from_vec(&[3], vec![true, true, false]).unwrap();
        let c = cumsum(&b, None, None).unwrap();
        assert_eq!(c.dtype(), DType::I32);
        assert_eq!(c.to_vec::<i32>(), vec![1, 2, 2]);
        assert_eq!(
            cumsum(&m, Some(-1), Some(DType::I64)).unwrap().dtype(),
            DType::I64
        );
        assert_eq!(
            cumsum(&Tensor::scalar(2.0f32), None, None).unwrap().shape(),
            &[1]
        );
        assert!(cumsum(&Tensor::scalar(2.0f32), Some(0), None).is_err());
        assert_eq!(
            cumsum(&Tensor::zeros(&[0, 3], DType::F32), Some(1), None)
                .unwrap()
                .shape(),
            &[0, 3]
        );
    }
}
