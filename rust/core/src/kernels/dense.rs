//! Dense: `activation(x @ w + b)` as one kernel — for each block of the output, the task that
//! computes it writes the bias into it, gemm accumulates `x @ w` onto it (gemm's read-dst,
//! alpha = 1), and the activation is applied in place while the block is still in cache; the
//! layer makes one output buffer instead of three.
//!
//! float32/float64 with matching dtypes take the fused path; any other combination is computed
//! by the separate kernels (matmul, add, relu) with the same dtype promotion, so the op accepts
//! whatever `matmul(x, w) + b` accepts.
use super::elementwise::{self as el, BinaryOp, UnaryOp};
use super::gemm::{self, gemm_ty::GemmTy, Block, Hooks};
use super::norm::by_column_blocks;
use super::reduce::Real;
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::zip_slices;
use crate::tensor::{Arr, Tensor};
use ndarray::{ArrayD, Ix2, IxDyn};

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
    // The bias and the relu run on each block of the output inside the task that computes it,
    // while the block is in that core's cache: no serial fill and no second pass over memory.
    let bias: Option<Vec<T>> = b.map(|b| b.iter().copied().collect());
    let init = |mut blk: Block<T>| {
        let bias = bias.as_deref().expect("init runs only with a bias");
        let cols = blk.cols.clone();
        for i in blk.rows.clone() {
            blk.write_row(i, &bias[cols.clone()]);
        }
    };
    let zero = T::zero();
    let relu = |mut blk: Block<T>| {
        for i in blk.rows.clone() {
            // A select (not a branch), so the loop vectorises; NaN fails `<=` and stays.
            for v in blk.row(i) {
                *v = if *v <= zero { zero } else { *v };
            }
        }
    };
    let hooks = Hooks {
        init: bias
            .is_some()
            .then_some(&init as &(dyn Fn(Block<T>) + Sync)),
        finish: (act == DenseActivation::Relu).then_some(&relu as &(dyn Fn(Block<T>) + Sync)),
    };
    let out = gemm::gemm_2d_new_with(x2, w2, &hooks);
    ArrayD::from_shape_vec(IxDyn(&out_shape), out)
        .expect("shape")
        .into_shared()
}

/// The gradients of `act(x @ w + b)` with respect to `x`, `w` and `b`, given the output gradient
/// `g` and, for relu, the forward output `y` (the mask is `y > 0`, so NaN outputs pass no
/// gradient). `need` says which of `(dx, dw, db)` to compute. Returns None when the dtypes are not
/// one float type (float32 or float64) shared by all operands; the caller then composes the rule
/// from separate ops.
///
/// The relu mask makes one new buffer `dz` (none without relu); the bias gradient sums `dz` over
/// the rows in row order (the same bits at any thread count); two products give `dw = x2ᵀ·dz` and
/// `dx = dz·wᵀ`, written into uninitialised buffers.
#[allow(clippy::type_complexity)]
pub fn dense_grad(
    x: &Tensor,
    w: &Tensor,
    relu_out: Option<&Tensor>,
    g: &Tensor,
    need: [bool; 3],
) -> Result<Option<(Option<Tensor>, Option<Tensor>, Option<Tensor>)>> {
    check(x, w, None)?;
    let dt = x.dtype();
    let mut out_shape = x.shape().to_vec();
    *out_shape.last_mut().expect("rank >= 1") = w.shape()[1];
    if g.shape() != out_shape.as_slice() || relu_out.is_some_and(|y| y.shape() != g.shape()) {
        return Err(Error::shape(
            "dense",
            format!(
                "the output gradient must have the output's shape {}; received {}",
                fmt_shape(&out_shape),
                fmt_shape(g.shape())
            ),
        ));
    }
    let same = [Some(w), Some(g), relu_out]
        .into_iter()
        .flatten()
        .all(|t| t.dtype() == dt);
    if !same {
        return Ok(None);
    }
    Ok(match dt {
        DType::F32 => Some(typed_grad::<f32>(x, w, relu_out, g, need)),
        DType::F64 => Some(typed_grad::<f64>(x, w, relu_out, g, need)),
        _ => None,
    })
}

#[allow(clippy::type_complexity)]
fn typed_grad<T: Elem + GemmTy + Real + PartialOrd>(
    x: &Tensor,
    w: &Tensor,
    relu_out: Option<&Tensor>,
    g: &Tensor,
    need: [bool; 3],
) -> (Option<Tensor>, Option<Tensor>, Option<Tensor>) {
    let arr = |t: &Tensor| t.array::<T>().expect("dtype checked").clone();
    let (xa, wa, ga) = (arr(x), arr(w), arr(g));
    let (k, n) = (wa.shape()[0], wa.shape()[1]);
    let rows: usize = xa.shape()[..xa.ndim() - 1].iter().product();
    let gs = ga.as_standard_layout();
    let gflat = gs.as_slice().expect("standard layout");
    let zero = T::zero();
    let mask = move |gv: T, yv: T| if yv > zero { gv } else { zero };
    // With relu and a bias, the mask and the bias gradient are one pass over the data.
    let (masked, fused_db): (Option<Vec<T>>, Option<Vec<T>>) = match relu_out {
        Some(y) => {
            let ya = arr(y);
            let ys = ya.as_standard_layout();
            let yflat = ys.as_slice().expect("standard layout");
            if need[2] {
                let (dz, sums) = masked_with_col_sums(gflat, yflat, rows, n, mask);
                (Some(dz), Some(sums))
            } else {
                (Some(zip_slices(gflat, yflat, &mask)), None)
            }
        }
        None => (None, None),
    };
    let dz: &[T] = masked.as_deref().unwrap_or(gflat);
    let dz2 = ndarray::ArrayView2::from_shape((rows, n), dz).expect("(rows, n)");
    let w2 = wa.view().into_dimensionality::<Ix2>().expect("2-D kernel");
    let tensor = |shape: &[usize], v: Vec<T>| {
        T::wrap(
            ArrayD::from_shape_vec(IxDyn(shape), v)
                .expect("shape")
                .into_shared(),
        )
    };
    let dx = need[0].then(|| tensor(xa.shape(), gemm::gemm_2d_new(dz2, w2.t())));
    let dw = need[1].then(|| {
        let xs = xa.as_standard_layout();
        let x2 = xs
            .view()
            .into_shape_with_order(Ix2(rows, k))
            .expect("(rows, k)");
        tensor(&[k, n], gemm::gemm_2d_new(x2.t(), dz2))
    });
    let db = need[2].then(|| {
        let sums = fused_db.unwrap_or_else(|| plain_col_sums(dz, rows, n));
        tensor(&[n], sums)
    });
    (dx, dw, db)
}

/// `dz = mask(g, y)` elementwise over row-major `(rows, n)` data, and the column sums of `dz`, in
/// one pass. Each task takes a block of columns ([`by_column_blocks`]) and walks down the rows,
/// masking a row's run of the block and adding it to the block's sums in one vectorised loop;
/// each column is summed over the rows in row order, so the sums are the same bits at any thread
/// count.
fn masked_with_col_sums<T: Real>(
    g: &[T],
    y: &[T],
    rows: usize,
    n: usize,
    mask: impl Fn(T, T) -> T + Sync,
) -> (Vec<T>, Vec<T>) {
    let len = rows * n;
    assert!(
        g.len() == len && y.len() == len,
        "masked_with_col_sums: lengths"
    );
    let mut dz: Vec<T> = Vec::with_capacity(len);
    let mut sums: Vec<T> = vec![T::zero(); n];
    let base = Shared(dz.spare_capacity_mut().as_mut_ptr());
    let block = |c0: usize, s: &mut [T]| {
        let w = s.len();
        for i in 0..rows {
            let at = i * n + c0;
            let (gr, yr) = (&g[at..at + w], &y[at..at + w]);
            // SAFETY: row i's columns c0..c0 + w lie inside the len-element allocation, and only
            // this task writes them.
            let out = unsafe { std::slice::from_raw_parts_mut(base.get().add(at), w) };
            for (((o, acc), &gv), &yv) in out.iter_mut().zip(s.iter_mut()).zip(gr).zip(yr) {
                let v = mask(gv, yv);
                o.write(v);
                *acc = *acc + v;
            }
        }
    };
    by_column_blocks(&mut sums, len, block);
    // SAFETY: the column blocks cover every column of every row.
    unsafe { dz.set_len(len) };
    (dz, sums)
}

/// The column sums of row-major `(rows, n)` data (the bias gradient without an activation),
/// each summed over the rows in row order, like [`masked_with_col_sums`].
fn plain_col_sums<T: Real>(g: &[T], rows: usize, n: usize) -> Vec<T> {
    assert_eq!(g.len(), rows * n, "plain_col_sums: length");
    let mut sums: Vec<T> = vec![T::zero(); n];
    by_column_blocks(&mut sums, rows * n, |c0, s| {
        let w = s.len();
        for i in 0..rows {
            let at = i * n + c0;
            for (acc, &v) in s.iter_mut().zip(&g[at..at + w]) {
                *acc = *acc + v;
            }
        }
    });
    sums
}

/// A pointer handed to the tasks of one kernel, which write disjoint parts of its target.
#[derive(Clone, Copy)]
struct Shared<T>(*mut std::mem::MaybeUninit<T>);
// SAFETY: the tasks write disjoint elements, and the owner waits for all of them.
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    fn get(self) -> *mut std::mem::MaybeUninit<T> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    #[test]
    fn matches_matmul_add_relu() {
        // Serial, then products large enough to be cut into pieces by rows and by columns.
        for (m, k, n) in [(37, 65, 130), (300, 200, 130), (64, 300, 520)] {
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
                let fused = dense(&x, &w, Some(&b), act).unwrap();
                // Inside the pool, kernels run serially: the bits must not change.
                let serial = crate::parallel::install(|| dense(&x, &w, Some(&b), act).unwrap());
                assert!(
                    fused.bit_eq(&serial),
                    "{m}x{k}x{n} {act:?}: parallel != serial"
                );
                let mut r = el::binary(BinaryOp::Add, &gemm::matmul(&x, &w).unwrap(), &b).unwrap();
                if act == DenseActivation::Relu {
                    r = el::unary(UnaryOp::Relu, &r).unwrap();
                }
                let r = r.to_vec::<f32>();
                for (a, e) in fused.to_vec::<f32>().iter().zip(&r) {
                    assert!((a - e).abs() <= 1e-4 * (1.0 + e.abs()), "{a} vs {e}");
                }
            }
            let nob = dense(&x, &w, None, DenseActivation::Linear).unwrap();
            assert_eq!(nob.shape(), &[m, n]);
            assert!(nob.bit_eq(&gemm::matmul(&x, &w).unwrap()));
        }
    }

    #[test]
    fn grad_matches_naive_sums() {
        // x: (2, 3, k) so the rows are flattened; relu mask from y, including a NaN output.
        let (k, n) = (5, 7);
        let xv: Vec<f64> = (0..6 * k)
            .map(|i| ((i * 29) % 17) as f64 / 8.0 - 1.0)
            .collect();
        let wv: Vec<f64> = (0..k * n)
            .map(|i| ((i * 13) % 11) as f64 / 5.0 - 1.0)
            .collect();
        let gv: Vec<f64> = (0..6 * n)
            .map(|i| ((i * 7) % 9) as f64 / 4.0 - 1.0)
            .collect();
        let mut yv: Vec<f64> = (0..6 * n).map(|i| ((i * 5) % 3) as f64 - 1.0).collect();
        yv[3] = f64::NAN;
        let x = Tensor::from_vec(&[2, 3, k], xv.clone()).unwrap();
        let w = Tensor::from_vec(&[k, n], wv.clone()).unwrap();
        let g = Tensor::from_vec(&[2, 3, n], gv.clone()).unwrap();
        let y = Tensor::from_vec(&[2, 3, n], yv.clone()).unwrap();
        for relu in [false, true] {
            let dz: Vec<f64> = (0..6 * n)
                .map(|i| if !relu || yv[i] > 0.0 { gv[i] } else { 0.0 })
                .collect();
            let (dx, dw, db) = dense_grad(&x, &w, relu.then_some(&y), &g, [true; 3])
                .unwrap()
                .expect("fused");
            let (dx, dw, db) = (dx.unwrap(), dw.unwrap(), db.unwrap());
            assert_eq!(
                (dx.shape(), dw.shape(), db.shape()),
                (&[2, 3, k][..], &[k, n][..], &[n][..])
            );
            let (dx, dw, db) = (dx.to_vec::<f64>(), dw.to_vec::<f64>(), db.to_vec::<f64>());
            for r in 0..6 {
                for p in 0..k {
                    let e: f64 = (0..n).map(|j| dz[r * n + j] * wv[p * n + j]).sum();
                    assert!((dx[r * k + p] - e).abs() < 1e-12);
                }
            }
            for p in 0..k {
                for j in 0..n {
                    let e: f64 = (0..6).map(|r| xv[r * k + p] * dz[r * n + j]).sum();
                    assert!((dw[p * n + j] - e).abs() < 1e-12);
                }
            }
            for j in 0..n {
                let e: f64 = (0..6).map(|r| dz[r * n + j]).sum();
                assert_eq!(db[j], e);
            }
        }
        // Only what is asked for; mixed dtypes fall back; a wrong gradient shape is an error.
        let (dx, dw, db) = dense_grad(&x, &w, None, &g, [false, true, false])
            .unwrap()
            .unwrap();
        assert!(dx.is_none() && dw.is_some() && db.is_none());
        let g32 = g.cast(DType::F32);
        assert!(dense_grad(&x, &w, None, &g32, [true; 3]).unwrap().is_none());
        let bad = Tensor::from_vec(&[6, n], gv).unwrap();
        assert!(dense_grad(&x, &w, None, &bad, [true; 3]).is_err());
        // No rows: dx is empty, dw and db are zeros.
        let x0 = Tensor::zeros(&[0, k], DType::F64);
        let g0 = Tensor::zeros(&[0, n], DType::F64);
        let (dx, dw, db) = dense_grad(&x0, &w, Some(&g0), &g0, [true; 3])
            .unwrap()
            .unwrap();
        assert_eq!(dx.unwrap().shape(), &[0, k]);
        assert_eq!(dw.unwrap().to_vec::<f64>(), vec![0.0; k * n]);
        assert_eq!(db.unwrap().to_vec::<f64>(), vec![0.0; n]);
    }

    #[test]
    fn large_grads_are_thread_count_independent_and_exact_in_the_bias() {
        // Large enough for the parallel paths (fused mask + bias sums over column blocks, split
        // products); a NaN and zeros in y exercise the mask.
        let (rows, k, n) = (700, 90, 200);
        let val = |i: usize, a: usize, b: usize| ((i * a) % b) as f32 / (b as f32 / 2.0) - 1.0;
        let x = t(&[rows, k], (0..rows * k).map(|i| val(i, 29, 17)).collect());
        let w = t(&[k, n], (0..k * n).map(|i| val(i, 13, 11)).collect());
        let gv: Vec<f32> = (0..rows * n).map(|i| val(i, 7, 9)).collect();
        let mut yv: Vec<f32> = (0..rows * n).map(|i| val(i, 5, 3)).collect();
        yv[1234] = f32::NAN;
        let (g, y) = (t(&[rows, n], gv.clone()), t(&[rows, n], yv.clone()));
        let par = dense_grad(&x, &w, Some(&y), &g, [true; 3])
            .unwrap()
            .unwrap();
        let ser = crate::parallel::install(|| dense_grad(&x, &w, Some(&y), &g, [true; 3]))
            .unwrap()
            .unwrap();
        for (a, b) in [(&par.0, &ser.0), (&par.1, &ser.1), (&par.2, &ser.2)] {
            assert!(a.as_ref().unwrap().bit_eq(b.as_ref().unwrap()));
        }
        let db = par.2.unwrap().to_vec::<f32>();
        for (j, got) in db.iter().enumerate() {
            let mut e = 0.0f32;
            for r in 0..rows {
                if yv[r * n + j] > 0.0 {
                    e += gv[r * n + j];
                }
            }
            assert_eq!(got.to_bits(), e.to_bits(), "column {j}");
        }
        // The bias gradient alone is the same as with the others.
        let only_db = dense_grad(&x, &w, Some(&y), &g, [false, false, true])
            .unwrap()
            .unwrap();
        assert!(only_db.2.unwrap().to_vec::<f32>() == db);
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
