//! numpy broadcasting: result shapes and the typed binary/ternary loops over broadcast views.
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{install, should_parallelize, to_standard, zip_slices};
use crate::tensor::Arr;
use ndarray::{ArrayD, IxDyn, Zip};

/// The broadcast shape of `a` and `b`, or a shape error naming `op` and both shapes.
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::shape(
                op,
                format!(
                    "operands could not be broadcast together with shapes {} and {}",
                    fmt_shape(a),
                    fmt_shape(b)
                ),
            ));
        };
    }
    Ok(out)
}

/// Applies `f` elementwise to `a` and `b` with broadcasting; the result is row-major.
pub fn zip_with<A, B, O, F>(op: &str, a: &Arr<A>, b: &Arr<B>, f: F) -> Result<Arr<O>>
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    O: Copy + Send + Sync,
    F: Fn(A, B) -> O + Sync + Send,
{
    // Fast paths: same shape and contiguous; or one side a single element.
    if a.shape() == b.shape() {
        if let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) {
            let v = zip_slices(x, y, &f);
            return Ok(ArrayD::from_shape_vec(a.raw_dim(), v)
                .expect("shape")
                .into_shared());
        }
    }
    if b.len() == 1 && b.ndim() <= a.ndim() {
        if let Some(x) = a.as_slice() {
            let s = *b.iter().next().expect("one element");
            let v = crate::parallel::map_slice(x, &|p: A| f(p, s));
            return Ok(ArrayD::from_shape_vec(a.raw_dim(), v)
                .expect("shape")
                .into_shared());
        }
    }
    if a.len() == 1 && a.ndim() <= b.ndim() {
        if let Some(y) = b.as_slice() {
            let s = *a.iter().next().expect("one element");
            let v = crate::parallel::map_slice(y, &|q: B| f(s, q));
            return Ok(ArrayD::from_shape_vec(b.raw_dim(), v)
                .expect("shape")
                .into_shared());
        }
    }
    let shape = broadcast_shapes(op, a.shape(), b.shape())?;
    let av = a.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let bv = b.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let n: usize = shape.iter().product();
    let out = if should_parallelize(n) {
        install(|| Zip::from(&av).and(&bv).par_map_collect(|&x, &y| f(x, y)))
    } else {
        Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y))
    };
    Ok(to_standard(out))
}

/// Applies `f` elementwise to three broadcast operands (used by `where`).
pub fn zip3_with<A, B, C, O, F>(
    op: &str,
    a: &Arr<A>,
    b: &Arr<B>,
    c: &Arr<C>,
    f: F,
) -> Result<Arr<O>>
where
    A: Copy + Send + Sync,
    B: Copy + Send + Sync,
    C: Copy + Send + Sync,
    O: Copy + Send + Sync,
    F: Fn(A, B, C) -> O + Sync + Send,
{
    let s1 = broadcast_shapes(op, a.shape(), b.shape())?;
    let shape = broadcast_shapes(op, &s1, c.shape())?;
    let av = a.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let bv = b.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let cv = c.broadcast(IxDyn(&shape)).expect("checked broadcast");
    let n: usize = shape.iter().product();
    let out = if should_parallelize(n) {
        install(|| {
            Zip::from(&av)
                .and(&bv)
                .and(&cv)
                .par_map_collect(|&x, &y, &z| f(x, y, z))
        })
    } else {
        Zip::from(&av)
            .and(&bv)
            .and(&cv)
            .map_collect(|&x, &y, &z| f(x, y, z))
    };
    Ok(to_standard(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(
            broadcast_shapes("t", &[2, 1, 3], &[4, 1]).unwrap(),
            vec![2, 4, 3]
        );
        assert_eq!(broadcast_shapes("t", &[], &[3]).unwrap(), vec![3]);
        assert_eq!(broadcast_shapes("t", &[0, 1], &[1, 5]).unwrap(), vec![0, 5]);
        let e = broadcast_shapes("add", &[2, 3], &[4]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "add: operands could not be broadcast together with shapes (2, 3) and (4,)"
        );
    }
}
