//! Tensor creation: zeros, ones, full, arange, linspace, eye.
use super::Tensor;
use crate::dtype::{DType, Elem};
use crate::error::{Error, Result};
use crate::with_dtype;
use ndarray::{ArcArray, IxDyn};

impl Tensor {
    /// A tensor of `shape` filled with `value` (converted to `dtype`).
    pub fn full(shape: &[usize], value: f64, dtype: DType) -> Tensor {
        with_dtype!(dtype, T => T::wrap(ArcArray::from_elem(IxDyn(shape), T::from_f64(value))))
    }

    /// A tensor of `shape` filled with zeros.
    pub fn zeros(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 0.0, dtype)
    }

    /// A tensor of `shape` filled with ones.
    pub fn ones(shape: &[usize], dtype: DType) -> Tensor {
        Tensor::full(shape, 1.0, dtype)
    }

    /// Values `start, start+step, ...` below `stop` (above it for a negative step), as numpy.
    pub fn arange(start: f64, stop: f64, step: f64, dtype: DType) -> Result<Tensor> {
        if step == 0.0 || !step.is_finite() || !start.is_finite() || !stop.is_finite() {
            return Err(Error::value(
                "arange",
                format!("expected finite start/stop and a non-zero step. Received: start={start}, stop={stop}, step={step}"),
            ));
        }
        let n = ((stop - start) / step).ceil().max(0.0) as usize;
        Ok(with_dtype!(dtype, T => {
            let v: Vec<T> = (0..n).map(|i| T::from_f64(start + i as f64 * step)).collect();
            Tensor::from_vec(&[n], v)?
        }))
    }

    /// `num` evenly spaced values from `start` to `stop` (inclusive when `endpoint`).
    pub fn linspace(
        start: f64,
        stop: f64,
        num: usize,
        endpoint: bool,
        dtype: DType,
    ) -> Result<Tensor> {
        let div = if endpoint { num.saturating_sub(1) } else { num };
        let step = if div > 0 {
            (stop - start) / div as f64
        } else {
            0.0
        };
        Ok(with_dtype!(dtype, T => {
            let v: Vec<T> = (0..num)
                .map(|i| {
                    if endpoint && num > 1 && i == num - 1 {
                        T::from_f64(stop)
                    } else {
                        T::from_f64(start + i as f64 * step)
                    }
                })
                .collect();
            Tensor::from_vec(&[num], v)?
        }))
    }

    /// An `n x m` matrix with ones on diagonal `k` (above the main one for `k > 0`).
    pub fn eye(n: usize, m: usize, k: i64, dtype: DType) -> Tensor {
        with_dtype!(dtype, T => {
            let mut a = ndarray::ArrayD::<T>::from_elem(IxDyn(&[n, m]), T::zero());
            for i in 0..n {
                let j = i as i64 + k;
                if j >= 0 && (j as usize) < m {
                    a[[i, j as usize]] = T::one();
                }
            }
            T::wrap(a.into_shared())
        })
    }
}
