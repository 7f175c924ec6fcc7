//! Indexing: numpy's `x[key]` (basic indexing returns views, advanced indexing gathers), `take`,
//! `take_along_axis`, `one_hot` and Keras' `slice`.
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, normalize_axis, Error, Result};
use crate::kernels::broadcast::broadcast_shapes;
use crate::kernels::shape::{fmt_ints, ravel, reshape_arr, standard};
use crate::parallel::{install, should_parallelize};
use crate::tensor::{Arr, Tensor};
use crate::{map_same, with_dtype};
use ndarray::{ArrayD, Axis, IxDyn, SliceInfo, SliceInfoElem, Zip};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// One entry of an index key, as in `x[0, 1:5:2, None, ..., [0, 2], mask]`.
#[derive(Debug, Clone)]
pub enum IndexItem {
    /// An integer (negative counts from the end); removes the axis.
    Int(i64),
    /// A slice `start:stop:step` with Python semantics.
    Slice {
        /// First index (default: the start for a positive step, the end for a negative one).
        start: Option<i64>,
        /// One past the last index (default: past the end in the direction of the step).
        stop: Option<i64>,
        /// The step; must not be zero.
        step: i64,
    },
    /// `None`: inserts a unit axis.
    NewAxis,
    /// `...`: as many full slices as needed.
    Ellipsis,
    /// An integer array (advanced indexing; a bool array is treated as a mask).
    IntArray(Tensor),
    /// A boolean mask over as many axes as it has dims (advanced indexing).
    BoolMask(Tensor),
}

/// Copies the rows `idx` of one `[n, inner]` block into `dst` (`idx.len() * inner` slots).
fn fill_block<T: Copy>(dst: &mut [MaybeUninit<T>], block: &[T], idx: &[usize], inner: usize) {
    if inner == 1 {
        for (d, &i) in dst.iter_mut().zip(idx) {
            d.write(block[i]);
        }
    } else {
        for (d, &i) in dst.chunks_exact_mut(inner).zip(idx) {
            for (p, &v) in d.iter_mut().zip(&block[i * inner..(i + 1) * inner]) {
                p.write(v);
            }
        }
    }
}

/// Gathers rows: `src` is row-major `[outer, n, inner]`; the result is `[outer, idx.len(), inner]`.
fn gather_rows<T: Elem>(src: &[T], outer: usize, n: usize, inner: usize, idx: &[usize]) -> Vec<T> {
    let k = idx.len();
    let total = outer * k * inner;
    if total == 0 {
        return Vec::new();
    }
    let mut out: Vec<T> = Vec::with_capacity(total);
    let dst = &mut out.spare_capacity_mut()[..total];
    let (bsrc, bdst) = (n * inner, k * inner);
    if !should_parallelize(total) {
        for (o, d) in dst.chunks_exact_mut(bdst).enumerate() {
            fill_block(d, &src[o * bsrc..(o + 1) * bsrc], idx, inner);
        }
    } else if outer >= 16 {
        install(|| {
            dst.par_chunks_mut(bdst)
                .enumerate()
                .for_each(|(o, d)| fill_block(d, &src[o * bsrc..(o + 1) * bsrc], idx, inner))
        });
    } else {
        // Few outer blocks: split each block's index list across threads.
        let c = (crate::parallel::GRAIN / 4 / inner).max(1);
        for (o, d) in dst.chunks_exact_mut(bdst).enumerate() {
            let block = &src[o * bsrc..(o + 1) * bsrc];
            install(|| {
                d.par_chunks_mut(c * inner)
                    .zip(idx.par_chunks(c))
                    .for_each(|(dd, ii)| fill_block(dd, block, ii, inner))
            });
        }
    }
    // SAFETY: every one of the `total` slots was written above (each block holds k rows of inner).
    unsafe { out.set_len(total) };
    out
}

/// Gathers `idx` (in range) along `axis` of `a`; the result is row-major.
pub(crate) fn gather_axis<T: Elem>(a: &Arr<T>, axis: usize, idx: &[usize]) -> Arr<T> {
    let s = standard(a);
    let shape = s.shape().to_vec();
    let outer: usize = shape[..axis].iter().product();
    let inner: usize = shape[axis + 1..].iter().product();
    let v = gather_rows(
        s.as_slice().expect("row-major"),
        outer,
        shape[axis],
        inner,
        idx,
    );
    let mut out_shape = shape;
    out_shape[axis] = idx.len();
    ArrayD::from_shape_vec(IxDyn(&out_shape), v)
        .expect("gather: size")
        .into_shared()
}

/// Normalises indices against an axis of size `n` (negative wrap), or an index error.
fn wrap_indices(op: &str, idx: &[i64], n: usize, axis: usize) -> Result<Vec<usize>> {
    let ni = n as i64;
    idx.iter()
        .map(|&i| {
            let j = if i < 0 { i + ni } else { i };
            if j < 0 || j >= ni {
                Err(Error::index(
                    op,
                    format!("index {i} is out of bounds for axis {axis} with size {n}"),
                ))
            } else {
                Ok(j as usize)
            }
        })
        .collect()
}

/// Integer values of an index tensor; floats are an index error as in numpy.
fn int_values(op: &str, t: &Tensor) -> Result<Vec<i64>> {
    if t.dtype().is_float() {
        return Err(Error::index(
            op,
            format!(
                "arrays used as indices must be of integer (or boolean) type. Received: dtype={}",
                t.dtype()
            ),
        ));
    }
    Ok(t.to_vec::<i64>())
}

/// Python slice semantics: the first index and the length for an axis of size `n`.
fn slice_range(start: Option<i64>, stop: Option<i64>, step: i64, n: usize) -> (i64, usize) {
    let n = n as i64;
    let fix = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + n } else { v };
        v.clamp(lo, hi)
    };
    if step > 0 {
        let s = start.map_or(0, |v| fix(v, 0, n));
        let e = stop.map_or(n, |v| fix(v, 0, n));
        let len = if e > s { (e - s + step - 1) / step } else { 0 };
        (s, len as usize)
    } else {
        let s = start.map_or(n - 1, |v| fix(v, -1, n - 1));
        let e = stop.map_or(-1, |v| fix(v, -1, n - 1));
        let len = if s > e {
            (s - e + (-step) - 1) / (-step)
        } else {
            0
        };
        (s, len as usize)
    }
}

/// The ndarray slice selecting `len` elements from `first` by `step` (numpy order).
fn nd_slice(first: i64, len: usize, step: i64) -> SliceInfoElem {
    if len == 0 {
        return SliceInfoElem::Slice {
            start: 0,
            end: Some(0),
            step: 1,
        };
    }
    let last = first + (len as i64 - 1) * step;
    let (lo, hi) = if step > 0 {
        (first, last + 1)
    } else {
        (last, first + 1)
    };
    SliceInfoElem::Slice {
        start: lo as isize,
        end: Some(hi as isize),
        step: step as isize,
    }
}

const FULL: SliceInfoElem = SliceInfoElem::Slice {
    start: 0,
    end: None,
    step: 1,
};

/// An advanced index: indices of `shape`, applied to the `span` axes of the basic view starting
/// at `dim` (a boolean mask spans its dims and holds flat, in-range indices into them).
struct Adv {
    dim: usize,
    span: usize,
    axis: usize,
    idx: Vec<i64>,
    shape: Vec<usize>,
}

/// numpy's `x[key]`. Basic keys (ints, slices, None, ...) return a view sharing storage; keys
/// with integer arrays or boolean masks gather a copy, placing the broadcast index dims where
/// numpy does (in place when the advanced indices are adjacent, first otherwise).
pub fn getitem(x: &Tensor, items: &[IndexItem]) -> Result<Tensor> {
    const OP: &str = "getitem";
    let shape = x.shape();
    let nd = shape.len();
    let items: Vec<IndexItem> = items
        .iter()
        .map(|it| match it {
            IndexItem::IntArray(t) if t.dtype() == DType::Bool => IndexItem::BoolMask(t.clone()),
            other => other.clone(),
        })
        .collect();
    let mut consumed = 0;
    let mut ellipses = 0;
    let mut has_adv = false;
    for it in &items {
        match it {
            IndexItem::Int(_) | IndexItem::Slice { .. } => consumed += 1,
            IndexItem::IntArray(_) => {
                consumed += 1;
                has_adv = true
            }
            IndexItem::BoolMask(m) => {
                consumed += m.ndim();
                has_adv = true
            }
            IndexItem::Ellipsis => ellipses += 1,
            IndexItem::NewAxis => {}
        }
    }
    if ellipses > 1 {
        return Err(Error::index(
            OP,
            "an index can only have a single ellipsis ('...')",
        ));
    }
    if consumed > nd {
        return Err(Error::index(
            OP,
            format!("too many indices for tensor: tensor is {nd}-dimensional, but {consumed} were indexed"),
        ));
    }
    let mut elems: Vec<SliceInfoElem> = Vec::with_capacity(items.len() + nd);
    let mut advs: Vec<Adv> = Vec::new();
    let (mut ind, mut outd) = (0usize, 0usize);
    let full = |elems: &mut Vec<SliceInfoElem>, ind: &mut usize, outd: &mut usize| {
        elems.push(FULL);
        *ind += 1;
        *outd += 1;
    };
    for it in &items {
        match it {
            IndexItem::Int(i) => {
                let j = wrap_indices(OP, &[*i], shape[ind], ind)?[0];
                if has_adv {
                    advs.push(Adv {
                        dim: outd,
                        span: 1,
                        axis: ind,
                        idx: vec![j as i64],
                        shape: vec![],
                    });
                    full(&mut elems, &mut ind, &mut outd);
                } else {
                    elems.push(SliceInfoElem::Index(j as isize));
                    ind += 1;
                }
            }
            IndexItem::Slice { start, stop, step } => {
                if *step == 0 {
                    return Err(Error::value(OP, "slice step cannot be zero"));
                }
                let (first, len) = slice_range(*start, *stop, *step, shape[ind]);
                elems.push(nd_slice(first, len, *step));
                ind += 1;
                outd += 1;
            }
            IndexItem::NewAxis => {
                elems.push(SliceInfoElem::NewAxis);
                outd += 1;
            }
            IndexItem::Ellipsis => {
                for _ in 0..nd - consumed {
                    full(&mut elems, &mut ind, &mut outd);
                }
            }
            IndexItem::IntArray(t) => {
                let idx = int_values(OP, t)?;
                advs.push(Adv {
                    dim: outd,
                    span: 1,
                    axis: ind,
                    idx,
                    shape: t.shape().to_vec(),
                });
                full(&mut elems, &mut ind, &mut outd);
            }
            IndexItem::BoolMask(m) => {
                let ms = m.shape();
                if ms.is_empty() {
                    // x[True] / x[False]: a new unit axis, selected once or not at all.
                    let nnz = m.to_vec::<bool>()[0] as usize;
                    elems.push(SliceInfoElem::NewAxis);
                    advs.push(Adv {
                        dim: outd,
                        span: 1,
                        axis: ind,
                        idx: vec![0; nnz],
                        shape: vec![nnz],
                    });
                    outd += 1;
                    continue;
                }
                for (k, &d) in ms.iter().enumerate() {
                    if d != shape[ind + k] {
                        return Err(Error::index(
                            OP,
                            format!(
                                "boolean index did not match indexed tensor along axis {}; size of axis is {} \
                                 but size of corresponding boolean axis is {d}. Received: mask shape {}, \
                                 tensor shape {}",
                                ind + k,
                                shape[ind + k],
                                fmt_shape(ms),
                                fmt_shape(shape)
                            ),
                        ));
                    }
                }
                let mb = m.typed::<bool>(OP)?;
                let flat: Vec<i64> = match mb.as_slice() {
                    Some(v) => v
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b)
                        .map(|(i, _)| i as i64)
                        .collect(),
                    None => mb
                        .iter()
                        .enumerate()
                        .filter(|(_, &b)| b)
                        .map(|(i, _)| i as i64)
                        .collect(),
                };
                let nnz = flat.len();
                advs.push(Adv {
                    dim: outd,
                    span: ms.len(),
                    axis: ind,
                    idx: flat,
                    shape: vec![nnz],
                });
                for _ in 0..ms.len() {
                    full(&mut elems, &mut ind, &mut outd);
                }
            }
        }
    }
    while ind < nd {
        full(&mut elems, &mut ind, &mut outd);
    }
    let info = SliceInfo::<Vec<SliceInfoElem>, IxDyn, IxDyn>::try_from(elems)
        .map_err(|e| Error::Internal(format!("{OP}: {e}")))?;
    let view = map_same!(x, a, T => a.clone().slice_move(info.clone()));
    if advs.is_empty() {
        return Ok(view);
    }
    advanced(OP, &view, advs)
}

/// The advanced-indexing gather on the basic view `v`.
fn advanced(op: &str, v: &Tensor, advs: Vec<Adv>) -> Result<Tensor> {
    let vshape = v.shape().to_vec();
    let mut bshape: Vec<usize> = advs[0].shape.clone();
    for a in &advs[1..] {
        bshape = broadcast_shapes(op, &bshape, &a.shape).map_err(|_| {
            Error::index(
                op,
                format!(
                    "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                    advs.iter().map(|a| fmt_shape(&a.shape)).collect::<Vec<_>>().join(" ")
                ),
            )
        })?;
    }
    let dims: Vec<usize> = advs.iter().flat_map(|a| a.dim..a.dim + a.span).collect();
    let adjacent = dims.windows(2).all(|w| w[1] == w[0] + 1);
    let rest: Vec<usize> = (0..vshape.len()).filter(|d| !dims.contains(d)).collect();
    let split = if adjacent {
        rest.iter().take_while(|&&d| d < dims[0]).count()
    } else {
        0
    };
    let (before, after) = rest.split_at(split);
    let perm: Vec<usize> = before.iter().chain(&dims).chain(after).copied().collect();
    // Linear index into the (row-major) advanced dims for every broadcast position.
    let nb: usize = bshape.iter().product();
    let mut lin = vec![0usize; nb];
    let mut stride = 1usize;
    for a in advs.iter().rev() {
        let n: usize = vshape[a.dim..a.dim + a.span].iter().product();
        let idx = if a.span == 1 {
            wrap_indices(op, &a.idx, n, a.axis)?
        } else {
            a.idx.iter().map(|&i| i as usize).collect()
        };
        if a.shape == bshape {
            for (l, &i) in lin.iter_mut().zip(&idx) {
                *l += i * stride;
            }
        } else {
            let arr = ArrayD::from_shape_vec(IxDyn(&a.shape), idx)
                .map_err(|e| Error::Internal(e.to_string()))?;
            let b = arr
                .broadcast(IxDyn(&bshape))
                .expect("index shapes broadcast");
            for (l, &i) in lin.iter_mut().zip(b.iter()) {
                *l += i * stride;
            }
        }
        stride *= n;
    }
    let outer: usize = before.iter().map(|&d| vshape[d]).product();
    let inner: usize = after.iter().map(|&d| vshape[d]).product();
    let out_shape: Vec<usize> = before
        .iter()
        .map(|&d| vshape[d])
        .chain(bshape.iter().copied())
        .chain(after.iter().map(|&d| vshape[d]))
        .collect();
    Ok(map_same!(v, a, T => {
        let p = standard(&a.clone().permuted_axes(IxDyn(&perm)));
        let data = gather_rows(p.as_slice().expect("row-major"), outer, stride, inner, &lin);
        ArrayD::from_shape_vec(IxDyn(&out_shape), data).expect("getitem: size").into_shared()
    }))
}

/// `take(x, indices, axis=None)`: elements of `x` at `indices` along `axis` (of the flattened `x`
/// for `None`); the result has shape `x.shape[:axis] + indices.shape + x.shape[axis+1:]`.
pub fn take(x: &Tensor, indices: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "take";
    let (src, ax) = match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), normalize_axis(OP, a, x.ndim())?),
    };
    let s = src.shape().to_vec();
    let idx = wrap_indices(OP, &indices.to_vec::<i64>(), s[ax], ax)?;
    let out_shape: Vec<usize> = s[..ax]
        .iter()
        .chain(indices.shape())
        .chain(&s[ax + 1..])
        .copied()
        .collect();
    Ok(map_same!(&src, a, T => reshape_arr(&gather_axis(a, ax, &idx), &out_shape)))
}

/// `take_along_axis(x, indices, axis=None)`: picks `x` values at `indices` along `axis`; the other
/// axes of `x` and `indices` broadcast. `None` works on the flattened tensors.
pub fn take_along_axis(x: &Tensor, indices: &Tensor, axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "take_along_axis";
    let (x, indices, ax) = match axis {
        None => (ravel(x), ravel(indices), 0),
        Some(a) => {
            if x.ndim() != indices.ndim() {
                return Err(Error::shape(
                    OP,
                    format!(
                        "x and indices must have the same number of dimensions. Received: x.shape={}, \
                         indices.shape={}",
                        fmt_shape(x.shape()),
                        fmt_shape(indices.shape())
                    ),
                ));
            }
            (x.clone(), indices.clone(), normalize_axis(OP, a, x.ndim())?)
        }
    };
    let (xs, is) = (x.shape(), indices.shape());
    let mut out_shape = Vec::with_capacity(xs.len());
    for d in 0..xs.len() {
        out_shape.push(if d == ax {
            is[d]
        } else if xs[d] == is[d] || is[d] == 1 {
            xs[d]
        } else if xs[d] == 1 {
            is[d]
        } else {
            return Err(Error::shape(
                OP,
                format!(
                    "x and indices could not be broadcast together outside axis {ax}. Received: \
                     x.shape={}, indices.shape={}",
                    fmt_shape(xs),
                    fmt_shape(is)
                ),
            ));
        });
    }
    let n = xs[ax];
    let idx = wrap_indices(OP, &int_values(OP, &indices)?, n, ax)?;
    let idx = ArrayD::from_shape_vec(IxDyn(is), idx).map_err(|e| Error::Internal(e.to_string()))?;
    let ib = idx.broadcast(IxDyn(&out_shape)).expect("checked broadcast");
    let mut x_shape = out_shape.clone();
    x_shape[ax] = n;
    Ok(map_same!(&x, a, T => {
        let xb = a.broadcast(IxDyn(&x_shape)).expect("checked broadcast");
        let mut out = ArrayD::<T>::from_elem(IxDyn(&out_shape), T::default());
        Zip::from(out.lanes_mut(Axis(ax))).and(ib.lanes(Axis(ax))).and(xb.lanes(Axis(ax))).for_each(
            |mut o, i, xl| {
                for (p, &k) in o.iter_mut().zip(i.iter()) {
                    *p = xl[k];
                }
            },
        );
        out.into_shared()
    }))
}

/// `one_hot(indices, num_classes, axis=-1, dtype)`: a new axis of size `num_classes` at `axis`
/// holding 1 at each index; out-of-range and negative indices give an all-zeros row.
pub fn one_hot(indices: &Tensor, num_classes: i64, axis: i64, dtype: DType) -> Result<Tensor> {
    const OP: &str = "one_hot";
    if num_classes < 0 {
        return Err(Error::value(
            OP,
            format!("num_classes must be non-negative. Received: num_classes={num_classes}"),
        ));
    }
    let nc = num_classes as usize;
    let nd = indices.ndim();
    let ax = normalize_axis(OP, axis, nd + 1)?;
    let idx = indices.to_vec::<i64>();
    let mut shape = indices.shape().to_vec();
    shape.push(nc);
    let t = with_dtype!(dtype, T => {
        let mut out = vec![T::zero(); idx.len() * nc];
        for (p, &i) in idx.iter().enumerate() {
            if i >= 0 && (i as usize) < nc {
                out[p * nc + i as usize] = T::one();
            }
        }
        Tensor::from_vec(&shape, out)?
    });
    if ax == nd {
        return Ok(t);
    }
    let mut perm: Vec<usize> = (0..nd).collect();
    perm.insert(ax, nd);
    Ok(crate::kernels::shape::permute(&t, &perm).to_standard_layout())
}

/// `slice(inputs, start_indices, shape)`: the block of `shape` starting at `start_indices` (a view).
/// A `-1` in `shape` extends to the end of the axis.
pub fn slice(x: &Tensor, start_indices: &[i64], shape: &[i64]) -> Result<Tensor> {
    const OP: &str = "slice";
    let xs = x.shape();
    if start_indices.len() != xs.len() || shape.len() != xs.len() {
        return Err(Error::value(
            OP,
            format!(
                "start_indices and shape must have one entry per axis ({}). Received: start_indices={}, \
                 shape={}, inputs.shape={}",
                xs.len(),
                fmt_ints(start_indices),
                fmt_ints(shape),
                fmt_shape(xs)
            ),
        ));
    }
    let mut ranges = Vec::with_capacity(xs.len());
    for (d, (&s, &l)) in start_indices.iter().zip(shape).enumerate() {
        let n = xs[d] as i64;
        let l = if l == -1 { n - s } else { l };
        if s < 0 || l < 0 || s + l > n {
            return Err(Error::index(
                OP,
                format!(
                    "the slice starting at {} with shape {} does not fit in a tensor of shape {} \
                     (axis {d} has size {n})",
                    fmt_ints(start_indices),
                    fmt_ints(shape),
                    fmt_shape(xs)
                ),
            ));
        }
        ranges.push((s as usize, (s + l) as usize));
    }
    Ok(map_same!(x, a, T => {
        let mut v = a.clone();
        for (d, &(s, e)) in ranges.iter().enumerate() {
            v.slice_axis_inplace(Axis(d), ndarray::Slice::from(s..e));
        }
        v
    }))
}

#[cfg(test)]
mod tests {
    use super::IndexItem::*;
    use super::*;
    use crate::kernels::shape::{shares_storage, transpose};

    fn ar(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n).map(|i| i as i64).collect()).unwrap()
    }
    fn iv(v: &[i64]) -> Tensor {
        Tensor::from_vec(&[v.len()], v.to_vec()).unwrap()
    }
    fn sl(start: Option<i64>, stop: Option<i64>, step: i64) -> IndexItem {
        Slice { start, stop, step }
    }

    #[test]
    fn basic_indexing_is_a_view() {
        let x = ar(&[3, 4]);
        let r = getitem(&x, &[Int(-1)]).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![8, 9, 10, 11]);
        assert!(shares_storage(&x, &r));
        let r = getitem(&x, &[Ellipsis, sl(None, None, -2)]).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![3, 1, 7, 5, 11, 9]);
        let r = getitem(&x, &[sl(Some(-1), Some(-10), -1), NewAxis, Int(0)]).unwrap();
        assert_eq!(r.shape(), &[3, 1]);
        assert_eq!(r.to_vec::<i64>(), vec![8, 4, 0]);
        let r = getitem(&x, &[sl(Some(1), Some(100), 2)]).unwrap();
        assert_eq!(r.shape(), &[1, 4]);
        let r = getitem(&x, &[sl(Some(3), Some(1), 1)]).unwrap();
        assert_eq!(r.shape(), &[0, 4]);
        assert_eq!(
            getitem(&x, &[Int(1), Int(2)]).unwrap().shape(),
            &[] as &[usize]
        );
        let s = Tensor::scalar(5i64);
        assert_eq!(getitem(&s, &[NewAxis, Ellipsis]).unwrap().shape(), &[1]);
    }

    #[test]
    fn indexing_errors() {
        let x = ar(&[3, 4]);
        let e = getitem(&x, &[Int(3)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "getitem: index 3 is out of bounds for axis 0 with size 3"
        );
        assert!(matches!(
            getitem(&x, &[Int(0), Int(0), Int(0)]),
            Err(Error::Index { .. })
        ));
        assert!(matches!(
            getitem(&x, &[sl(None, None, 0)]),
            Err(Error::Value { .. })
        ));
        assert!(matches!(
            getitem(&x, &[Ellipsis, Ellipsis]),
            Err(Error::Index { .. })
        ));
        let mask = Tensor::from_vec(&[2], vec![true, false]).unwrap();
        assert!(matches!(
            getitem(&x, &[BoolMask(mask)]),
            Err(Error::Index { .. })
        ));
        assert!(matches!(
            getitem(&x, &[IntArray(iv(&[0, 5]))]),
            Err(Error::Index { .. })
        ));
        let bad = getitem(&x, &[IntArray(iv(&[0, 1])), IntArray(iv(&[0, 1, 2]))]).unwrap_err();
        assert!(matches!(bad, Error::Index { .. }));
        let f = Tensor::from_vec(&[1], vec![0.0f32]).unwrap();
        assert!(matches!(
            getitem(&x, &[IntArray(f)]),
            Err(Error::Index { .. })
        ));
    }

    #[test]
    fn advanced_placement_follows_numpy() {
        let x = ar(&[2, 3, 4]);
        // one array, in place
        let r = getitem(&x, &[sl(None, None, 1), IntArray(iv(&[2, 0]))]).unwrap();
        assert_eq!(r.shape(), &[2, 2, 4]);
        assert_eq!(r.to_vec::<i64>()[..8], [8, 9, 10, 11, 0, 1, 2, 3]);
        // two adjacent arrays broadcast
        let i2 = Tensor::from_vec(&[2, 1], vec![0i64, 1]).unwrap();
        let r = getitem(&x, &[i2, iv(&[0, 2, -1])].map(IntArray)).unwrap();
        assert_eq!(r.shape(), &[2, 3, 4]);
        assert_eq!(r.to_vec::<i64>()[12..16], [12, 13, 14, 15]);
        // separated by a slice: advanced dims first
        let r = getitem(&x, &[Int(0), sl(None, None, 1), IntArray(iv(&[1, 3]))]).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(r.to_vec::<i64>(), vec![1, 5, 9, 3, 7, 11]);
        // int + array adjacent after a slice
        let r = getitem(&x, &[sl(None, None, 1), Int(1), IntArray(iv(&[0, 3]))]).unwrap();
        assert_eq!(r.shape(), &[2, 2]);
        assert_eq!(r.to_vec::<i64>(), vec![4, 7, 16, 19]);
    }

    #[test]
    fn boolean_masks() {
        let x = ar(&[2, 3]);
        let m = Tensor::from_vec(&[2, 3], vec![true, false, true, false, false, true]).unwrap();
        assert_eq!(
            getitem(&x, &[BoolMask(m)]).unwrap().to_vec::<i64>(),
            vec![0, 2, 5]
        );
        let m1 = Tensor::from_vec(&[2], vec![false, true]).unwrap();
        let r = getitem(&x, &[BoolMask(m1.clone()), sl(Some(1), None, 1)]).unwrap();
        assert_eq!(r.shape(), &[1, 2]);
        assert_eq!(r.to_vec::<i64>(), vec![4, 5]);
        let r = getitem(&x, &[IntArray(m1)]).unwrap();
        assert_eq!(r.shape(), &[1, 3]);
        let r = getitem(&x, &[BoolMask(Tensor::scalar(true))]).unwrap();
        assert_eq!(r.shape(), &[1, 2, 3]);
        let r = getitem(&x, &[BoolMask(Tensor::scalar(false))]).unwrap();
        assert_eq!(r.shape(), &[0, 2, 3]);
        let none = Tensor::from_vec(&[2], vec![false, false]).unwrap();
        assert_eq!(getitem(&x, &[BoolMask(none)]).unwrap().shape(), &[0, 3]);
    }

    #[test]
    fn advanced_on_non_contiguous_and_empty() {
        let x = transpose(&ar(&[3, 2]), None).unwrap(); // [[0,2,4],[1,3,5]]
        let r = getitem(&x, &[sl(None, None, 1), IntArray(iv(&[2, 0]))]).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![4, 0, 5, 1]);
        let r = getitem(&x, &[IntArray(iv(&[]))]).unwrap();
        assert_eq!(r.shape(), &[0, 3]);
        let z = ar(&[0, 3]);
        assert_eq!(
            getitem(&z, &[sl(None, None, 1), IntArray(iv(&[1]))])
                .unwrap()
                .shape(),
            &[0, 1]
        );
    }

    #[test]
    fn take_and_take_along_axis() {
        let x = ar(&[2, 3]);
        let r = take(&x, &iv(&[-1, 0]), None).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![5, 0]);
        let i = Tensor::from_vec(&[2, 2], vec![2i64, 0, 1, 1]).unwrap();
        let r = take(&x, &i, Some(1)).unwrap();
        assert_eq!(r.shape(), &[2, 2, 2]);
        assert_eq!(r.to_vec::<i64>(), vec![2, 0, 1, 1, 5, 3, 4, 4]);
        let e = take(&x, &iv(&[3]), Some(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "take: index 3 is out of bounds for axis 1 with size 3"
        );
        assert_eq!(take(&x, &iv(&[]), Some(0)).unwrap().shape(), &[0, 3]);
        let r = take(&Tensor::scalar(7i64), &Tensor::scalar(0i64), None).unwrap();
        assert_eq!(r.shape(), &[] as &[usize]);
        let idx = Tensor::from_vec(&[2, 1], vec![2i64, -3]).unwrap();
        let r = take_along_axis(&x, &idx, Some(1)).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![2, 3]);
        let idx = Tensor::from_vec(&[1, 3], vec![1i64, 0, 1]).unwrap();
        let r = take_along_axis(&x, &idx, Some(0)).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![3, 1, 5]);
        assert!(take_along_axis(
            &x,
            &Tensor::from_vec(&[1, 2], vec![1i64, 0]).unwrap(),
            Some(0)
        )
        .is_err());
        assert!(take_along_axis(&x, &iv(&[0]), Some(0)).is_err());
        let r = take_along_axis(&x, &iv(&[5, 0]), None).unwrap();
        assert_eq!(r.to_vec::<i64>(), vec![5, 0]);
    }

    #[test]
    fn one_hot_rows() {
        let i = iv(&[0, 2, -1, 3]);
        let r = one_hot(&i, 3, -1, DType::F32).unwrap();
        assert_eq!(r.shape(), &[4, 3]);
        assert_eq!(
            r.to_vec::<f32>(),
            vec![1., 0., 0., 0., 0., 1., 0., 0., 0., 0., 0., 0.]
        );
        let r = one_hot(&i, 3, 0, DType::I32).unwrap();
        assert_eq!(r.shape(), &[3, 4]);
        assert_eq!(r.to_vec::<i32>(), vec![1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert!(one_hot(&i, 3, 2, DType::F32).is_err());
    }

    #[test]
    fn large_gathers_match_naive_in_both_parallel_shapes() {
        let n = 200_000usize;
        let x = ar(&[n]);
        let idx: Vec<i64> = (0..n as i64).map(|i| (i * 7919) % n as i64).collect();
        let r = getitem(&x, &[IntArray(iv(&idx))]).unwrap();
        assert_eq!(r.to_vec::<i64>(), idx);
        let m = ar(&[400, 300]);
        let cols: Vec<i64> = (0..300).rev().collect();
        let r = getitem(&m, &[sl(None, None, 1), IntArray(iv(&cols))]).unwrap();
        let want: Vec<i64> = (0..400)
            .flat_map(|i| (0..300).rev().map(move |j| i * 300 + j))
            .collect();
        assert_eq!(r.to_vec::<i64>(), want);
        let mask =
            Tensor::from_vec(&[400, 300], (0..120_000).map(|i| i % 3 == 0).collect()).unwrap();
        let r = getitem(&m, &[BoolMask(mask)]).unwrap();
        assert_eq!(
            r.to_vec::<i64>(),
            (0..120_000).step_by(3).collect::<Vec<i64>>()
        );
    }

    #[test]
    fn keras_slice() {
        let m = ar(&[2, 3]);
        let s = slice(&m, &[1, 1], &[1, 2]).unwrap();
        assert_eq!(s.to_vec::<i64>(), vec![4, 5]);
        assert!(shares_storage(&m, &s));
        assert_eq!(slice(&m, &[0, 1], &[-1, -1]).unwrap().shape(), &[2, 2]);
        assert!(matches!(
            slice(&m, &[1, 2], &[1, 2]),
            Err(Error::Index { .. })
        ));
        assert!(matches!(slice(&m, &[1], &[1]), Err(Error::Value { .. })));
    }
}

/// An index map: for each element of an op's output, the flat (row-major) position of the input
/// element it copies, or -1 where it copies nothing (padding). Built by running a gather-like op
/// on `arange(size).reshape(shape)`; [`gather_flat`] and [`scatter_add_flat`] are the two
/// directions of such an op, and each is the other's gradient.
pub fn index_map_source(shape: &[usize]) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_vec(shape, (0..n as i64).collect()).expect("size matches shape")
}

fn map_values(op: &str, map: &Tensor, limit: usize) -> Result<Vec<i64>> {
    let m = map.typed::<i64>(op)?;
    let v: Vec<i64> = m.iter().copied().collect();
    if let Some(bad) = v.iter().find(|&&i| i < -1 || i >= limit as i64) {
        return Err(Error::index(
            op,
            format!("index map entry {bad} is out of range for {limit} elements"),
        ));
    }
    Ok(v)
}

/// `out[i] = x.flat[map[i]]` (0 where `map[i] == -1`); the result has `map`'s shape.
pub fn gather_flat(x: &Tensor, map: &Tensor) -> Result<Tensor> {
    const OP: &str = "gather_flat";
    let idx = map_values(OP, map, x.size())?;
    let xs = x.to_standard_layout();
    Ok(map_same!(&xs, a, T => {
        let src = a.as_slice().expect("standard layout");
        let data: Vec<T> = idx
            .iter()
            .map(|&i| if i < 0 { T::zero() } else { src[i as usize] })
            .collect();
        ArrayD::from_shape_vec(IxDyn(map.shape()), data).expect("map shape").into_shared()
    }))
}

/// `out = zeros(shape)`, then `out.flat[map[i]] += g[i]` for every `map[i] >= 0`, in order (so
/// the sum is the same at any thread count). Float only; float16/bfloat16 accumulate in float32.
pub fn scatter_add_flat(g: &Tensor, map: &Tensor, shape: &[usize]) -> Result<Tensor> {
    const OP: &str = "scatter_add_flat";
    if g.shape() != map.shape() {
        return Err(Error::shape(
            OP,
            format!(
                "values and index map must have the same shape. Received: {} and {}",
                fmt_shape(g.shape()),
                fmt_shape(map.shape())
            ),
        ));
    }
    let n: usize = shape.iter().product();
    let idx = map_values(OP, map, n)?;
    fn scatter<T: Elem + std::ops::AddAssign>(
        g: &Tensor,
        idx: &[i64],
        shape: &[usize],
        n: usize,
    ) -> Tensor {
        let gs = g.to_standard_layout();
        let src = gs
            .array::<T>()
            .expect("dtype checked")
            .as_slice()
            .expect("standard layout");
        let mut out = vec![T::zero(); n];
        for (&i, &v) in idx.iter().zip(src) {
            if i >= 0 {
                out[i as usize] += v;
            }
        }
        Tensor::from_vec(shape, out).expect("size matches shape")
    }
    match g.dtype() {
        DType::F32 => Ok(scatter::<f32>(g, &idx, shape, n)),
        DType::F64 => Ok(scatter::<f64>(g, &idx, shape, n)),
        DType::F16 | DType::BF16 => {
            Ok(scatter::<f32>(&g.cast(DType::F32), &idx, shape, n).cast(g.dtype()))
        }
        other => Err(Error::dtype(
            OP,
            format!("expected a float tensor. Received: dtype={other}"),
        )),
    }
}
