//! Neural-network kernels over lanes of a tensor: `softmax` and `log_softmax` (numerically stable,
//! one lane per task so results do not depend on the thread count), and the lane layout helper
//! shared with the sort kernels.
use super::reduce::{conv, lane_reduce, nan_max, Real};
use crate::dtype::Elem;
use crate::error::{normalize_axes, Result};
use crate::parallel::{install, map_array, should_parallelize, GRAIN};
use crate::tensor::{Arr, Tensor};
use half::{bf16, f16};
use ndarray::ArrayD;
use rayon::prelude::*;

/// A tensor laid out row-major with some axes moved last, so that each lane over them is a
/// contiguous run of `len` elements.
pub(crate) struct Lanes<T> {
    data: Arr<T>,
    /// Elements per lane.
    pub(crate) len: usize,
    perm: Vec<usize>,
}

/// Lays `a` out with `axes` (sorted, distinct) last; shares storage when no copy is needed.
pub(crate) fn to_lanes<T: Copy + Send + Sync>(a: &Arr<T>, axes: &[usize]) -> Lanes<T> {
    let nd = a.ndim();
    let perm: Vec<usize> = (0..nd)
        .filter(|i| !axes.contains(i))
        .chain(axes.iter().copied())
        .collect();
    let len = axes.iter().map(|&i| a.shape()[i]).product();
    let p = a.clone().permuted_axes(perm.clone());
    let data = if p.is_standard_layout() {
        p
    } else {
        map_array(&p.view(), |x: T| x)
    };
    Lanes { data, len, perm }
}

impl<T: Copy + Send + Sync> Lanes<T> {
    /// The elements, lane after lane.
    pub(crate) fn slice(&self) -> &[T] {
        self.data.as_slice().expect("lanes are row-major")
    }

    /// Puts values laid out like `self` (lane after lane) back into the original axis order.
    pub(crate) fn back<D: Copy + Send + Sync>(&self, vals: Vec<D>) -> Arr<D> {
        let arr = ArrayD::from_shape_vec(self.data.raw_dim(), vals).expect("one value per element");
        let mut inv = vec![0; self.perm.len()];
        for (j, &p) in self.perm.iter().enumerate() {
            inv[p] = j;
        }
        let v = arr.permuted_axes(inv);
        if v.is_standard_layout() {
            v.into_shared()
        } else {
            map_array(&v.view(), |x: D| x)
        }
    }
}

/// Applies `f(src_lane, out_lane)` to every lane (`ilen` input and `olen` output elements per
/// lane), in parallel over lanes above the grain size. `S` is per-task scratch.
pub(crate) fn for_lanes<T, D, S, F>(src: &[T], ilen: usize, out: &mut [D], olen: usize, f: F)
where
    T: Sync,
    D: Send,
    S: Default,
    F: Fn(&mut S, &[T], &mut [D]) + Sync + Send,
{
    if ilen == 0 || olen == 0 {
        return;
    }
    if should_parallelize(src.len()) {
        let min_len = (GRAIN / 4 / ilen).max(1);
        install(|| {
            out.par_chunks_mut(olen)
                .zip(src.par_chunks(ilen))
                .with_min_len(min_len)
                .for_each_init(S::default, |s, (o, i)| f(s, i, o))
        });
    } else {
        let mut s = S::default();
        for (o, i) in out.chunks_mut(olen).zip(src.chunks(ilen)) {
            f(&mut s, i, o);
        }
    }
}

/// Runs `$body` with `$C` the compute type and `$D` the output type (ints/bool -> f32).
macro_rules! float_lanes {
    ($x:expr, $a:ident, $C:ident, $D:ident, $body:expr) => {
        match $x {
            Tensor::Bool($a) => {
                type $C = f32;
                type $D = f32;
                $body
            }
            Tensor::U8($a) => {
                type $C = f32;
                type $D = f32;
                $body
            }
            Tensor::I32($a) => {
                type $C = f32;
                type $D = f32;
                $body
            }
            Tensor::I64($a) => {
                type $C = f32;
                type $D = f32;
                $body
            }
            Tensor::F16($a) => {
                type $C = f32;
                type $D = f16;
                $body
            }
            Tensor::BF16($a) => {
                type $C = f32;
                type $D = bf16;
                $body
            }
            Tensor::F32($a) => {
                type $C = f32;
                type $D = f32;
                $body
            }
            Tensor::F64($a) => {
                type $C = f64;
                type $D = f64;
                $body
            }
        }
    };
}

/// Softmax along one axis: `exp(x - max) / sum(exp(x - max))`. ints/bool -> float32, half floats
/// compute in f32 and keep their dtype.
pub fn softmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    softmax_axes(x, &[axis])
}

/// Log-softmax along one axis: `x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(x: &Tensor, axis: i64) -> Result<Tensor> {
    log_softmax_axes(x, &[axis])
}

/// Softmax over several axes at once (Keras accepts a tuple `axis`).
pub fn softmax_axes(x: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let ax = normalize_axes("softmax", axes, x.ndim())?;
    Ok(float_lanes!(
        x,
        a,
        C,
        D,
        D::wrap(lane_softmax::<_, C, D, false>(a, &ax))
    ))
}

/// Log-softmax over several axes at once.
pub fn log_softmax_axes(x: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let ax = normalize_axes("log_softmax", axes, x.ndim())?;
    Ok(float_lanes!(
        x,
        a,
        C,
        D,
        D::wrap(lane_softmax::<_, C, D, true>(a, &ax))
    ))
}

fn lane_softmax<T: Elem, C: Real, D: Elem, const LOG: bool>(a: &Arr<T>, axes: &[usize]) -> Arr<D> {
    let l = to_lanes(a, axes);
    let mut out = vec![D::zero(); a.len()];
    let add = |p: C, q: C| p + q;
    for_lanes(
        l.slice(),
        l.len,
        &mut out,
        l.len,
        |buf: &mut Vec<C>, s: &[T], o: &mut [D]| {
            let low = C::from_f64(f64::NEG_INFINITY);
            let m = lane_reduce(
                s,
                low,
                &|acc, x, _, _| nan_max(acc, conv::<T, C>(x)),
                &nan_max,
            );
            buf.clear();
            buf.extend(s.iter().map(|&x| (conv::<T, C>(x) - m).exp()));
            let sum = lane_reduce(buf, C::zero(), &|p, q, _, _| p + q, &add);
            if LOG {
                let ls = sum.ln();
                for (y, &x) in o.iter_mut().zip(s) {
                    *y = conv::<C, D>((conv::<T, C>(x) - m) - ls);
                }
            } else {
                for (y, &e) in o.iter_mut().zip(buf.iter()) {
                    *y = conv::<C, D>(e / sum);
                }
            }
        },
    );
    l.back(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn t32(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    #[test]
    fn softmax_rows_and_columns() {
        let t = t32(&[2, 3], vec![1.0, 2.0, 3.0, 1.0, 1.0, 1.0]);
        let r = softmax(&t, -1).unwrap().to_vec::<f32>();
        let e: Vec<f32> = [1f32, 2.0, 3.0].iter().map(|x| x.exp()).collect();
        let s: f32 = e.iter().sum();
        for j in 0..3 {
            assert!((r[j] - e[j] / s).abs() < 1e-6);
            assert!((r[3 + j] - 1.0 / 3.0).abs() < 1e-6);
        }
        let c = softmax(&t, 0).unwrap().to_vec::<f32>();
        assert!((c[0] - 0.5).abs() < 1e-6 && (c[2] + c[5] - 1.0).abs() < 1e-6);
        let all = softmax_axes(&t, &[0, 1]).unwrap().to_vec::<f32>();
        assert!((all.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        let ls = log_softmax(&t, 1).unwrap().to_vec::<f32>();
        assert!((ls[0] - (e[0] / s).ln()).abs() < 1e-6);
    }

    #[test]
    fn stable_dtypes_and_layouts() {
        let t = t32(&[3], vec![1000.0, 1000.0, -1000.0]);
        assert_eq!(softmax(&t, 0).unwrap().to_vec::<f32>(), vec![0.5, 0.5, 0.0]);
        let i = Tensor::from_vec(&[2], vec![0i32, 0]).unwrap();
        assert_eq!(softmax(&i, 0).unwrap().dtype(), DType::F32);
        let h = Tensor::from_vec(&[2], vec![f16::ZERO, f16::ZERO]).unwrap();
        assert_eq!(log_softmax(&h, 0).unwrap().dtype(), DType::F16);
        let base = t32(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 9.0]);
        let tr = crate::map_same!(&base, a, _T => a.clone().reversed_axes());
        let want = softmax(&base, 0).unwrap().to_vec::<f32>();
        let got = softmax(&tr, 1).unwrap();
        assert_eq!(got.shape(), &[3, 2]);
        let got = got.to_vec::<f32>();
        for r in 0..3 {
            for c in 0..2 {
                assert_eq!(got[r * 2 + c], want[c * 3 + r]);
            }
        }
        assert!(softmax(&base, 2).is_err());
        assert_eq!(
            softmax(&Tensor::zeros(&[0, 4], DType::F32), -1)
                .unwrap()
                .shape(),
            &[0, 4]
        );
        assert_eq!(
            softmax(&Tensor::zeros(&[3, 0], DType::F32), -1)
                .unwrap()
                .shape(),
            &[3, 0]
        );
    }

    #[test]
    fn serial_and_parallel_softmax_agree() {
        let v: Vec<f32> = (0..200_000)
            .map(|i| ((i * 37) % 101) as f32 * 0.1)
            .collect();
        let t = t32(&[50, 4000], v);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for axis in [0, 1] {
            let multi = softmax(&t, axis).unwrap();
            let single = one.install(|| softmax(&t, axis).unwrap());
            assert!(multi.bit_eq(&single));
        }
    }
}
