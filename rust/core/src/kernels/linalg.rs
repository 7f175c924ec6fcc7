//! Linear algebra: QR decomposition (Householder), on the last two axes of a batch.
use crate::dtype::DType;
use crate::error::{fmt_shape, Error, Result};
use crate::tensor::Tensor;

/// Which QR factors to return: `Reduced` gives Q (m, k) and R (k, n) with k = min(m, n);
/// `Complete` gives Q (m, m) and R (m, n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrMode {
    /// Economy factors.
    Reduced,
    /// Full square Q.
    Complete,
}

impl QrMode {
    /// Parses "reduced" or "complete".
    pub fn from_name(name: &str) -> Result<QrMode> {
        match name {
            "reduced" => Ok(QrMode::Reduced),
            "complete" => Ok(QrMode::Complete),
            other => Err(Error::value(
                "qr",
                format!("Expected one of {{'reduced', 'complete'}}. Received: mode={other}"),
            )),
        }
    }
}

/// Householder QR of one row-major m x n matrix (in f64): returns (Q m x m, R m x n).
fn householder(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut r = a.to_vec();
    let mut q = vec![0.0; m * m];
    for i in 0..m {
        q[i * m + i] = 1.0;
    }
    let mut v = vec![0.0; m];
    for j in 0..m.min(n) {
        let norm = (j..m)
            .map(|i| r[i * n + j] * r[i * n + j])
            .sum::<f64>()
            .sqrt();
        if norm == 0.0 {
            continue;
        }
        let x0 = r[j * n + j];
        let alpha = if x0 > 0.0 { -norm } else { norm };
        for i in j..m {
            v[i] = r[i * n + j];
        }
        v[j] -= alpha;
        let vnorm = (j..m).map(|i| v[i] * v[i]).sum::<f64>().sqrt();
        if vnorm == 0.0 {
            continue;
        }
        for x in &mut v[j..m] {
            *x /= vnorm;
        }
        // R[j:, :] -= 2 v (v^T R[j:, :])
        for c in 0..n {
            let d: f64 = (j..m).map(|i| v[i] * r[i * n + c]).sum();
            for i in j..m {
                r[i * n + c] -= 2.0 * v[i] * d;
            }
        }
        // Q[:, j:] -= 2 (Q[:, j:] v) v^T
        for row in 0..m {
            let d: f64 = (j..m).map(|i| q[row * m + i] * v[i]).sum();
            for i in j..m {
                q[row * m + i] -= 2.0 * d * v[i];
            }
        }
        // Exact zeros below the diagonal.
        r[j * n + j] = alpha;
        for i in j + 1..m {
            r[i * n + j] = 0.0;
        }
    }
    (q, r)
}

/// `qr(x, mode)`: Q and R with `x = Q @ R` over the last two axes (float dtypes are kept; other
/// dtypes give float32). Computed in float64.
pub fn qr(x: &Tensor, mode: QrMode) -> Result<(Tensor, Tensor)> {
    let s = x.shape();
    if s.len() < 2 {
        return Err(Error::value(
            "qr",
            format!(
                "Input should have rank >= 2. Received: input.shape = {}",
                fmt_shape(s)
            ),
        ));
    }
    let (m, n) = (s[s.len() - 2], s[s.len() - 1]);
    let batch: Vec<usize> = s[..s.len() - 2].to_vec();
    let nb: usize = batch.iter().product();
    let k = m.min(n);
    let (qc, rr) = match mode {
        QrMode::Reduced => (k, k),
        QrMode::Complete => (m, m),
    };
    let data = x.to_vec::<f64>();
    let mut qs = Vec::with_capacity(nb * m * qc);
    let mut rs = Vec::with_capacity(nb * rr * n);
    for b in 0..nb {
        let (q, r) = householder(&data[b * m * n..(b + 1) * m * n], m, n);
        for row in 0..m {
            qs.extend_from_slice(&q[row * m..row * m + qc]);
        }
        rs.extend_from_slice(&r[..rr * n]);
    }
    let out = if x.dtype().is_float() {
        x.dtype()
    } else {
        DType::F32
    };
    let mut qshape = batch.clone();
    qshape.extend([m, qc]);
    let mut rshape = batch;
    rshape.extend([rr, n]);
    Ok((
        Tensor::from_vec(&qshape, qs)?.cast(out),
        Tensor::from_vec(&rshape, rs)?.cast(out),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matmul(a: &[f64], b: &[f64], m: usize, k: usize, n: usize) -> Vec<f64> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for p in 0..k {
                for j in 0..n {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    #[test]
    fn qr_reconstructs_and_is_orthonormal() {
        for (m, n) in [(4, 3), (3, 5), (5, 5), (1, 1)] {
            let a: Vec<f64> = (0..m * n)
                .map(|i| ((i * 7 + 3) % 11) as f64 - 5.0)
                .collect();
            let x = Tensor::from_vec(&[m, n], a.clone()).unwrap();
            let (q, r) = qr(&x, QrMode::Reduced).unwrap();
            let k = m.min(n);
            assert_eq!(q.shape(), &[m, k]);
            assert_eq!(r.shape(), &[k, n]);
            let (qv, rv) = (q.to_vec::<f64>(), r.to_vec::<f64>());
            let back = matmul(&qv, &rv, m, k, n);
            for (p, q) in back.iter().zip(&a) {
                assert!((p - q).abs() < 1e-9);
            }
            for i in 0..k {
                for j in 0..i.min(n) {
                    assert_eq!(rv[i * n + j], 0.0);
                }
            }
            let mut qt = vec![0.0; k * m];
            for i in 0..m {
                for j in 0..k {
                    qt[j * m + i] = qv[i * k + j];
                }
            }
            let eye = matmul(&qt, &qv, k, m, k);
            for i in 0..k {
                for j in 0..k {
                    let want = if i == j { 1.0 } else { 0.0 };
                    assert!((eye[i * k + j] - want).abs() < 1e-9);
                }
            }
        }
    }
}
