//! Dense: `activation(x @ w + b)` as one kernel — the bias is written into the output buffer
//! first, gemm accumulates `x @ w` onto it (gemm's read-dst, alpha = 1), and the activation is
//! applied in place, so the layer makes one output buffer instead of three.
//!
//! float32/float64 with matching dtypes take the fused path; any other combination is computed
//! by the separate kernels (matmul, add, relu) with the same dtype promotion, so the op accepts
//! whatever `matmul(x, w) + b` accepts.
use super::elementwise::{self as el, BinaryOp, UnaryOp};
use super::gemm::{self, gemm_ty::GemmTy};
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{install, should_parallelize, GRAIN};
use crate::tensor::{Arr, Tensor};
use ndarray::{ArrayD, Ix2, IxDyn};
use rayon::prelude::*;

/// The activations fused into the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenseActivation {
    /// No activation.
    Linear,
    /// `max(x, 0)`; NaN stays NaN, as the relu kernel (and Keras) keep it.
    Relu,
}

impl DenseActivation {
    /// "linear" or "relu".
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "linear" => Ok(DenseActivation::Linear),
            "relu" => Ok(DenseActivation::Relu),
            _ => Err(Error::value(
                "dense",
                format!("the fused activation must be 'linear' or 'relu', received '{name}'"),
            )),
        }
    }
}

/// `activation(x @ w + b)` for `x` of shape `(..., k)`, `w` of shape `(k, n)` and `b` of shape
/// `(n,)`; the result has shape `(..., n)`.
pub fn dense(x: &Tensor, w: &Tensor, b: Option<&Tensor>, act: DenseActivation) -> Result<Tensor> {
    check(x, w, b)?;
    let dt = x.dtype();
    let fused = matches!(dt, DType::F32 | DType::F64)
        && w.dtype() == dt
        && b.is_none_or(|b| b.dtype() == dt);
    if !fused {
        let mut y = gemm::matmul(x, w)?;
        if let Some(b) = b {
            y = el::binary(BinaryOp::Add, &y, b)?;
        }
        if act == DenseActivation::Relu {
            y = el::unary(UnaryOp::Relu, &y)?;
        }
        return Ok(y);
    }
    Ok(match (x, w) {
        (Tensor::F32(xa), Tensor::F32(wa)) => Tensor::F32(typed(
            xa,
            wa,
            b.map(|b| b.array::<f32>().expect("f32")),
            act,
        )),
        (Tensor::F64(xa), Tensor::F64(wa)) => Tensor::F64(typed(
            xa,
            wa,
            b.map(|b| b.array::<f64>().expect("f64")),
            act,
        )),
        _ => unreachable!("dtypes checked above"),
    })
}

fn check(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<()> {
    let (sx, sw) = (x.shape(), w.shape());
    if sx.is_empty() || sw.len() != 2 || sx[sx.len() - 1] != sw[0] {
        return Err(Error::shape(
            "dense",
            format!(
                "expected inputs of shape (..., k) and a kernel of shape (k, units); received \
                 inputs of shape {} and a kernel of shape {}",
                fmt_shape(sx),
                fmt_shape(sw)
            ),
        ));
    }
    if let Some(b) = b {
        if b.shape() != [sw[1]] {
            return Err(Error::shape(
                "dense",
                format!(
                    "expected a bias of shape ({},) for a kernel of shape {}; received a bias of \
                     shape {}",
                    sw[1],
                    fmt_shape(sw),
                    fmt_shape(b.shape())
                ),
            ));
        }
    }
    Ok(())
}

fn typed<T: Elem + GemmTy + PartialOrd>(
    x: &Arr<T>,
    w: &Arr<T>,
    b: Option<&Arr<T>>,
    act: DenseActivation,
) -> Arr<T> {
    let (k, n) = (w.shape()[0], w.shape()[1]);
    let rows = x
        .len()
        .checked_div(k)
        .unwrap_or_else(|| x.shape()[..x.ndim() - 1].iter().product());
    let mut out_shape = x.shape().to_vec();
    *out_shape.last_mut().expect("rank >= 1") = n;
    let xs = x.as_standard_layout();
    let x2 = xs
        .view()
        .into_shape_with_order(Ix2(rows, k))
        .expect("row-major (rows, k)");
    let w2 = w.view().into_dimensionality::<Ix2>().expect("2-D kernel");
    let mut out: Vec<T> = match b {
        Some(b) => {
            let bias: Vec<T> = b.iter().copied().collect();
            let mut v = Vec::with_capacity(rows * n);
            for _ in 0..rows {
                v.extend_from_slice(&bias);
            }
            v
        }
        None => vec![T::zero(); rows * n],
    };
    gemm::gemm_2d(x2, w2, &mut out, b.is_some());
    if act == DenseActivation::Relu {
        let zero = T::zero();
        // A select (not a branch), so the loop vectorises; NaN fails `<=` and stays.
        let relu = |s: &mut [T]| {
            for v in s {
                *v = if *v <= zero { zero } else { *v };
            }
        };
        if should_parallelize(out.len()) {
            install(|| out.par_chunks_mut(GRAIN / 4).for_each(relu));
        } else {
            relu(&mut out);
        }
    }
    ArrayD::from_shape_vec(IxDyn(&out_shape), out)
        .expect("shape")
        .into_shared()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    #[test]
    fn matches_matmul_add_relu() {
        let (m, k, n) = (37, 65, 130);
        let x = t(
            &[m, k],
            (0..m * k)
                .map(|i| ((i * 37) % 101) as f32 / 50.0 - 1.0)
                .collect(),
        );
        let w = t(
            &[k, n],
            (0..k * n)
                .map(|i| ((i * 53) % 89) as f32 / 44.0 - 1.0)
                .collect(),
        );
        let b = t(&[n], (0..n).map(|i| i as f32 / 100.0 - 0.6).collect());
        for act in [DenseActivation::Linear, DenseActivation::Relu] {
            let fused = dense(&x, &w, Some(&b), act).unwrap().to_vec::<f32>();
            let mut r = el::binary(BinaryOp::Add, &gemm::matmul(&x, &w).unwrap(), &b).unwrap();
            if act == DenseActivation::Relu {
                r = el::unary(UnaryOp::Relu, &r).unwrap();
            }
            let r = r.to_vec::<f32>();
            for (a, e) in fused.iter().zip(&r) {
                assert!((a - e).abs() <= 1e-4 * (1.0 + e.abs()), "{a} vs {e}");
            }
        }
        let nob = dense(&x, &w, None, DenseActivation::Linear).unwrap();
        assert_eq!(nob.shape(), &[m, n]);
    }

    #[test]
    fn nd_inputs_mixed_dtypes_and_errors() {
        let x = t(&[2, 3, 4], (0..24).map(|i| i as f32).collect());
        let w = t(&[4, 5], vec![0.5; 20]);
        let y = dense(&x, &w, None, DenseActivation::Relu).unwrap();
        assert_eq!(y.shape(), &[2, 3, 5]);
        // float64 bias: the unfused path promotes like matmul + add.
        let b64 = Tensor::from_vec(&[5], vec![1.0f64; 5]).unwrap();
        assert_eq!(
            dense(&x, &w, Some(&b64), DenseActivation::Linear)
                .unwrap()
                .dtype(),
            DType::F64
        );
        assert!(dense(
            &x,
            &t(&[3, 5], vec![0.0; 15]),
            None,
            DenseActivation::Linear
        )
        .is_err());
        assert!(dense(
            &x,
            &w,
            Some(&t(&[4], vec![0.0; 4])),
            DenseActivation::Linear
        )
        .is_err());
        assert!(DenseActivation::parse("gelu").is_err());
        // empty batch
        let e = dense(&t(&[0, 4], vec![]), &w, None, DenseActivation::Linear).unwrap();
        assert_eq!(e.shape(), &[0, 5]);
    }
}
