//! Layer and batch normalization over the last axis, forward and backward, each as one kernel.
//!
//! Both view the input as a row-major `(rows, n)` matrix:
//! * layer norm normalizes each row (statistics per row, one row per task);
//! * batch norm normalizes each column (statistics per column over all rows; columns are split
//!   into blocks, each summed over the rows in order).
//!
//! Every sum runs in a fixed order that does not depend on the thread count, so results are
//! bitwise identical at any thread count. float32 and float64 only (the layers cast half
//! precision to float32 first, as Keras does).
use super::reduce::Real;
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{install, should_parallelize};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// Columns per task of the column sums (batch norm, the Dense bias gradient).
const COL_BLOCK: usize = 64;

/// The row-major data of `t` as `T` (copied only when strided).
fn data<T: Real>(t: &Tensor) -> std::borrow::Cow<'_, [T]> {
    let a = t.array::<T>().expect("dtype checked");
    match a.as_slice() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(a.iter().copied().collect()),
    }
}

fn make<T: Real>(shape: &[usize], v: Vec<T>) -> Tensor {
    Tensor::from_array(ArrayD::from_shape_vec(IxDyn(shape), v).expect("shape"))
}

/// Checks `x` (rank >= 1, float32/float64) and the optional per-feature vectors (shape `(n,)`,
/// same dtype), returning `(rows, n)`.
fn check(op: &str, x: &Tensor, vecs: &[Option<&Tensor>]) -> Result<(usize, usize)> {
    let dt = x.dtype();
    if !matches!(dt, DType::F32 | DType::F64) || x.ndim() == 0 {
        return Err(Error::dtype(
            op,
            format!(
                "expects a float32 or float64 input of rank >= 1; received {dt} of shape {}",
                fmt_shape(x.shape())
            ),
        ));
    }
    let n = x.shape()[x.ndim() - 1];
    for v in vecs.iter().flatten() {
        if v.shape() != [n] || v.dtype() != dt {
            return Err(Error::shape(
                op,
                format!(
                    "expects per-feature vectors of shape ({n},) and dtype {dt}; received {} of shape {}",
                    v.dtype(),
                    fmt_shape(v.shape())
                ),
            ));
        }
    }
    let rows = x.shape()[..x.ndim() - 1].iter().product();
    Ok((rows, n))
}

/// Runs `f(first_row, chunk)` over chunks of whole rows of `out` (`n` elements per row).
fn for_rows<T: Send>(out: &mut [T], n: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    if n == 0 || out.is_empty() {
        return;
    }
    let rows_per = (4096 / n).max(1);
    if should_parallelize(out.len()) {
        install(|| {
            out.par_chunks_mut(rows_per * n)
                .enumerate()
                .for_each(|(c, ch)| f(c * rows_per, ch))
        });
    } else {
        out.chunks_mut(rows_per * n)
            .enumerate()
            .for_each(|(c, ch)| f(c * rows_per, ch));
    }
}

/// For each column j of the `(rows, n)` data, `(Σ_i a(i, j), Σ_i b(i, j))`, summed over the rows
/// in order; column blocks run as separate tasks. `f` is called exactly once for each `(i, j)`.
pub(crate) fn col_sums<T: Real>(
    rows: usize,
    n: usize,
    f: impl Fn(usize, usize) -> (T, T) + Sync,
) -> (Vec<T>, Vec<T>) {
    let mut sums = vec![(T::zero(), T::zero()); n];
    by_column_blocks(&mut sums, rows * n, |c0, s| {
        for i in 0..rows {
            for (j, acc) in s.iter_mut().enumerate() {
                let (a, b) = f(i, c0 + j);
                *acc = (acc.0 + a, acc.1 + b);
            }
        }
    });
    sums.into_iter().unzip()
}

/// Runs `block(first_column, sums)` on each run of [`COL_BLOCK`] columns of `sums` (one entry
/// per column), as parallel tasks when the data (`len` elements) is large enough. A block that
/// adds its rows in order gives the same bits at any thread count.
pub(crate) fn by_column_blocks<S: Send>(
    sums: &mut [S],
    len: usize,
    block: impl Fn(usize, &mut [S]) + Sync,
) {
    if should_parallelize(len) {
        install(|| {
            sums.par_chunks_mut(COL_BLOCK)
                .enumerate()
                .for_each(|(b, s)| block(b * COL_BLOCK, s))
        });
    } else {
        sums.chunks_mut(COL_BLOCK)
            .enumerate()
            .for_each(|(b, s)| block(b * COL_BLOCK, s));
    }
}

/// Layer normalization over the last axis: `y = (x - mean) * rstd * gamma + beta` per row, with
/// `rstd = 1 / sqrt(var + epsilon)`. Returns `(y, mean, rstd)`; `mean` and `rstd` have the shape
/// of `x` without its last axis.
pub fn layer_norm(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    epsilon: f64,
) -> Result<(Tensor, Tensor, Tensor)> {
    let (rows, n) = check("layer_norm", x, &[gamma, beta])?;
    Ok(match x.dtype() {
        DType::F32 => layer_norm_t::<f32>(x, gamma, beta, epsilon, rows, n),
        _ => layer_norm_t::<f64>(x, gamma, beta, epsilon, rows, n),
    })
}

fn layer_norm_t<T: Real>(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    rows: usize,
    n: usize,
) -> (Tensor, Tensor, Tensor) {
    let xs = data::<T>(x);
    let (gs, bs) = (gamma.map(data::<T>), beta.map(data::<T>));
    let mut y = vec![T::zero(); rows * n];
    let mut stats = vec![(T::zero(), T::zero()); rows];
    let (inv_n, eps) = (T::from_f64(1.0 / n.max(1) as f64), T::from_f64(eps));
    // Statistics first (one pass per row, two sums), then the output rows.
    let row_stats = |i: usize| {
        let r = &xs[i * n..(i + 1) * n];
        let mean = r.iter().fold(T::zero(), |s, &v| s + v) * inv_n;
        let var = r
            .iter()
            .fold(T::zero(), |s, &v| s + (v - mean) * (v - mean))
            * inv_n;
        (mean, T::one() / (var + eps).sqrt())
    };
    if should_parallelize(rows * n) {
        install(|| {
            stats
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, s)| *s = row_stats(i))
        });
    } else {
        stats
            .iter_mut()
            .enumerate()
            .for_each(|(i, s)| *s = row_stats(i));
    }
    for_rows(&mut y, n, |r0, chunk| {
        for (k, out) in chunk.chunks_mut(n).enumerate() {
            let i = r0 + k;
            let (mean, rstd) = stats[i];
            let r = &xs[i * n..(i + 1) * n];
            for j in 0..n {
                let mut v = (r[j] - mean) * rstd;
                if let Some(g) = &gs {
                    v = v * g[j];
                }
                if let Some(b) = &bs {
                    v = v + b[j];
                }
                out[j] = v;
            }
        }
    });
    let stat_shape = &x.shape()[..x.ndim() - 1];
    let (mean, rstd): (Vec<T>, Vec<T>) = stats.into_iter().unzip();
    (
        make(x.shape(), y),
        make(stat_shape, mean),
        make(stat_shape, rstd),
    )
}

/// Gradients of [`layer_norm`] given the output gradient `g`: with x̂ = (x - mean) * rstd and
/// d = g * gamma, `dx = rstd * (d - mean(d) - x̂ * mean(d * x̂))` per row, `dgamma = Σ_rows g x̂`,
/// `dbeta = Σ_rows g`.
pub fn layer_norm_grad(
    g: &Tensor,
    x: &Tensor,
    gamma: Option<&Tensor>,
    mean: &Tensor,
    rstd: &Tensor,
) -> Result<(Tensor, Tensor, Tensor)> {
    let args = GradIn::check("layer_norm_grad", g, x, gamma, mean, rstd, false)?;
    Ok(match x.dtype() {
        DType::F32 => layer_norm_grad_t::<f32>(&args),
        _ => layer_norm_grad_t::<f64>(&args),
    })
}

/// The checked arguments of a normalization backward.
#[derive(Clone, Copy)]
struct GradIn<'a> {
    g: &'a Tensor,
    x: &'a Tensor,
    gamma: Option<&'a Tensor>,
    mean: &'a Tensor,
    rstd: &'a Tensor,
    rows: usize,
    n: usize,
}

impl<'a> GradIn<'a> {
    /// Checks that `g` matches `x` and that the statistics have one value per row (layer norm)
    /// or per feature (batch norm), all in `x`'s dtype.
    fn check(
        op: &str,
        g: &'a Tensor,
        x: &'a Tensor,
        gamma: Option<&'a Tensor>,
        mean: &'a Tensor,
        rstd: &'a Tensor,
        per_feature: bool,
    ) -> Result<Self> {
        let (rows, n) = check(op, x, &[gamma])?;
        let stats = if per_feature { n } else { rows };
        let fits = |t: &Tensor| t.size() == stats && t.dtype() == x.dtype();
        if g.shape() != x.shape() || g.dtype() != x.dtype() || !fits(mean) || !fits(rstd) {
            return Err(Error::shape(
                op,
                format!(
                    "expects a gradient like the input ({} {}) and {stats} statistics per tensor; \
                     received a {} gradient of shape {} and statistics of sizes {} and {}",
                    x.dtype(),
                    fmt_shape(x.shape()),
                    g.dtype(),
                    fmt_shape(g.shape()),
                    mean.size(),
                    rstd.size()
                ),
            ));
        }
        Ok(GradIn {
            g,
            x,
            gamma,
            mean,
            rstd,
            rows,
            n,
        })
    }
}

fn layer_norm_grad_t<T: Real>(args: &GradIn<'_>) -> (Tensor, Tensor, Tensor) {
    let GradIn {
        g,
        x,
        gamma,
        mean,
        rstd,
        rows,
        n,
    } = *args;
    let (gs, xs, ms, rs) = (data::<T>(g), data::<T>(x), data::<T>(mean), data::<T>(rstd));
    let gam = gamma.map(data::<T>);
    let inv_n = T::from_f64(1.0 / n.max(1) as f64);
    let mut dx = vec![T::zero(); rows * n];
    for_rows(&mut dx, n, |r0, chunk| {
        for (k, out) in chunk.chunks_mut(n).enumerate() {
            let i = r0 + k;
            let (mu, rs_i) = (ms[i], rs[i]);
            let (gr, xr) = (&gs[i * n..(i + 1) * n], &xs[i * n..(i + 1) * n]);
            let d = |j: usize| match &gam {
                Some(w) => gr[j] * w[j],
                None => gr[j],
            };
            let (mut sd, mut sdx) = (T::zero(), T::zero());
            for j in 0..n {
                let xh = (xr[j] - mu) * rs_i;
                sd = sd + d(j);
                sdx = sdx + d(j) * xh;
            }
            let (a, b) = (sd * inv_n, sdx * inv_n);
            for j in 0..n {
                let xh = (xr[j] - mu) * rs_i;
                out[j] = rs_i * (d(j) - a - xh * b);
            }
        }
    });
    let (dgamma, dbeta) = col_sums(rows, n, |i, j| {
        let gij = gs[i * n + j];
        (gij * ((xs[i * n + j] - ms[i]) * rs[i]), gij)
    });
    (make(x.shape(), dx), make(&[n], dgamma), make(&[n], dbeta))
}

/// Batch normalization over every axis but the last (training mode): per feature j,
/// `y = (x - mean_j) * rstd_j * gamma_j + beta_j` with the batch statistics. Returns
/// `(y, mean, variance, rstd)`, the statistics of shape `(n,)` (variance is the biased one, as
/// Keras uses for the moving average).
pub fn batch_norm(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    epsilon: f64,
) -> Result<(Tensor, Tensor, Tensor, Tensor)> {
    let (rows, n) = check("batch_norm", x, &[gamma, beta])?;
    Ok(match x.dtype() {
        DType::F32 => batch_norm_t::<f32>(x, gamma, beta, epsilon, rows, n),
        _ => batch_norm_t::<f64>(x, gamma, beta, epsilon, rows, n),
    })
}

fn batch_norm_t<T: Real>(
    x: &Tensor,
    gamma: Option<&Tensor>,
    beta: Option<&Tensor>,
    eps: f64,
    rows: usize,
    n: usize,
) -> (Tensor, Tensor, Tensor, Tensor) {
    let xs = data::<T>(x);
    let inv_rows = T::from_f64(1.0 / rows.max(1) as f64);
    let (sum, _) = col_sums(rows, n, |i, j| (xs[i * n + j], T::zero()));
    let mean: Vec<T> = sum.iter().map(|&s| s * inv_rows).collect();
    let (sq, _) = col_sums(rows, n, |i, j| {
        let d = xs[i * n + j] - mean[j];
        (d * d, T::zero())
    });
    let var: Vec<T> = sq.iter().map(|&s| s * inv_rows).collect();
    let eps = T::from_f64(eps);
    let rstd: Vec<T> = var.iter().map(|&v| T::one() / (v + eps).sqrt()).collect();
    // y = x * scale + shift with per-feature scale = rstd*gamma, shift = beta - mean*scale.
    let (gs, bs) = (gamma.map(data::<T>), beta.map(data::<T>));
    let scale: Vec<T> = (0..n)
        .map(|j| gs.as_ref().map_or(rstd[j], |g| rstd[j] * g[j]))
        .collect();
    let shift: Vec<T> = (0..n)
        .map(|j| bs.as_ref().map_or(T::zero(), |b| b[j]) - mean[j] * scale[j])
        .collect();
    let mut y = vec![T::zero(); rows * n];
    for_rows(&mut y, n, |r0, chunk| {
        for (k, out) in chunk.chunks_mut(n).enumerate() {
            let xr = &xs[(r0 + k) * n..(r0 + k + 1) * n];
            for j in 0..n {
                out[j] = xr[j] * scale[j] + shift[j];
            }
        }
    });
    (
        make(x.shape(), y),
        make(&[n], mean),
        make(&[n], var),
        make(&[n], rstd),
    )
}

/// Gradients of [`batch_norm`] given `g`: with x̂ = (x - mean) * rstd and d = g * gamma, per
/// feature `dx = rstd * (d - mean_rows(d) - x̂ * mean_rows(d * x̂))`, `dgamma = Σ_rows g x̂`,
/// `dbeta = Σ_rows g`.
pub fn batch_norm_grad(
    g: &Tensor,
    x: &Tensor,
    gamma: Option<&Tensor>,
    mean: &Tensor,
    rstd: &Tensor,
) -> Result<(Tensor, Tensor, Tensor)> {
    let args = GradIn::check("batch_norm_grad", g, x, gamma, mean, rstd, true)?;
    Ok(match x.dtype() {
        DType::F32 => batch_norm_grad_t::<f32>(&args),
        _ => batch_norm_grad_t::<f64>(&args),
    })
}

fn batch_norm_grad_t<T: Real>(args: &GradIn<'_>) -> (Tensor, Tensor, Tensor) {
    let GradIn {
        g,
        x,
        gamma,
        mean,
        rstd,
        rows,
        n,
    } = *args;
    let (gs, xs, ms, rs) = (data::<T>(g), data::<T>(x), data::<T>(mean), data::<T>(rstd));
    let gam: Vec<T> = match gamma {
        Some(w) => data::<T>(w).into_owned(),
        None => vec![T::one(); n],
    };
    // Σ g and Σ g x̂ per feature give dbeta, dgamma and (times gamma) the two means of dx.
    let (sg, sgx) = col_sums(rows, n, |i, j| {
        let gij = gs[i * n + j];
        (gij, gij * ((xs[i * n + j] - ms[j]) * rs[j]))
    });
    let inv_rows = T::from_f64(1.0 / rows.max(1) as f64);
    let a: Vec<T> = (0..n).map(|j| sg[j] * gam[j] * inv_rows).collect();
    let b: Vec<T> = (0..n).map(|j| sgx[j] * gam[j] * inv_rows).collect();
    let mut dx = vec![T::zero(); rows * n];
    for_rows(&mut dx, n, |r0, chunk| {
        for (k, out) in chunk.chunks_mut(n).enumerate() {
            let i = r0 + k;
            let (gr, xr) = (&gs[i * n..(i + 1) * n], &xs[i * n..(i + 1) * n]);
            for j in 0..n {
                let xh = (xr[j] - ms[j]) * rs[j];
                out[j] = rs[j] * (gr[j] * gam[j] - a[j] - xh * b[j]);
            }
        }
    });
    (make(x.shape(), dx), make(&[n], sgx), make(&[n], sg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(shape: &[usize], v: Vec<f64>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }

    fn sample(len: usize, seed: usize) -> Vec<f64> {
        (0..len)
            .map(|i| (((i + seed) * 7919) % 1013) as f64 / 300.0 - 1.5)
            .collect()
    }

    /// Central finite differences of Σ y*w (a fixed random weighting) against the kernel grads.
    fn fd_check(batch: bool) {
        let (rows, n) = (5, 7);
        let x = sample(rows * n, 1);
        let gamma = sample(n, 2);
        let beta = sample(n, 3);
        let w = sample(rows * n, 4);
        let fwd = |x: &[f64], gm: &[f64], bt: &[f64]| -> f64 {
            let (xt, gt, bt) = (
                t(&[rows, n], x.to_vec()),
                t(&[n], gm.to_vec()),
                t(&[n], bt.to_vec()),
            );
            let y = if batch {
                batch_norm(&xt, Some(&gt), Some(&bt), 1e-3).unwrap().0
            } else {
                layer_norm(&xt, Some(&gt), Some(&bt), 1e-3).unwrap().0
            };
            y.to_vec::<f64>().iter().zip(&w).map(|(a, b)| a * b).sum()
        };
        let (xt, gt, bt) = (
            t(&[rows, n], x.clone()),
            t(&[n], gamma.clone()),
            t(&[n], beta.clone()),
        );
        let gw = t(&[rows, n], w.clone());
        let (dx, dg, db) = if batch {
            let (_, m, _, r) = batch_norm(&xt, Some(&gt), Some(&bt), 1e-3).unwrap();
            batch_norm_grad(&gw, &xt, Some(&gt), &m, &r).unwrap()
        } else {
            let (_, m, r) = layer_norm(&xt, Some(&gt), Some(&bt), 1e-3).unwrap();
            layer_norm_grad(&gw, &xt, Some(&gt), &m, &r).unwrap()
        };
        let h = 1e-6;
        let num = |v: &[f64], i: usize, which: usize| {
            let (mut p, mut m) = (v.to_vec(), v.to_vec());
            p[i] += h;
            m[i] -= h;
            let f = |z: &[f64]| match which {
                0 => fwd(z, &gamma, &beta),
                1 => fwd(&x, z, &beta),
                _ => fwd(&x, &gamma, z),
            };
            (f(&p) - f(&m)) / (2.0 * h)
        };
        for (which, (v, an)) in [(&x, dx), (&gamma, dg), (&beta, db)]
            .into_iter()
            .enumerate()
        {
            let an = an.to_vec::<f64>();
            for i in 0..v.len() {
                let e = num(v, i, which);
                assert!(
                    (an[i] - e).abs() < 1e-5 * (1.0 + e.abs()),
                    "batch={batch} which={which} i={i}: {} vs {e}",
                    an[i]
                );
            }
        }
    }

    #[test]
    fn layer_norm_gradients_match_finite_differences() {
        fd_check(false);
    }

    #[test]
    fn batch_norm_gradients_match_finite_differences() {
        fd_check(true);
    }

    #[test]
    fn statistics_and_errors() {
        let x = t(&[2, 2], vec![1.0, 3.0, 5.0, 11.0]);
        let (y, mean, rstd) = layer_norm(&x, None, None, 0.0).unwrap();
        assert_eq!(mean.to_vec::<f64>(), vec![2.0, 8.0]);
        assert_eq!(rstd.to_vec::<f64>(), vec![1.0, 1.0 / 3.0]);
        assert_eq!(y.to_vec::<f64>(), vec![-1.0, 1.0, -1.0, 1.0]);
        let (_, bm, bv, _) = batch_norm(&x, None, None, 0.0).unwrap();
        assert_eq!(bm.to_vec::<f64>(), vec![3.0, 7.0]);
        assert_eq!(bv.to_vec::<f64>(), vec![4.0, 16.0]);
        assert!(layer_norm(&x, Some(&t(&[3], vec![1.0; 3])), None, 1e-3).is_err());
        let ints = Tensor::from_vec(&[2], vec![1i32, 2]).unwrap();
        assert!(batch_norm(&ints, None, None, 1e-3).is_err());
    }

    #[test]
    fn many_columns_in_parallel_equal_serial() {
        let (rows, n) = (300, 250);
        let x = t(&[rows, n], sample(rows * n, 9));
        let (_, m, v, _) = batch_norm(&x, None, None, 1e-3).unwrap();
        let xs = x.to_vec::<f64>();
        for j in [0, 63, 64, 249] {
            let mut s = 0.0;
            for i in 0..rows {
                s += xs[i * n + j];
            }
            assert_eq!(
                m.to_vec::<f64>()[j].to_bits(),
                (s * (1.0 / rows as f64)).to_bits()
            );
            assert!(v.to_vec::<f64>()[j] > 0.0);
        }
    }
}
