//! Shape ops: reshape, transpose, expand_dims, squeeze, concatenate, stack, split, tile, repeat,
//! broadcast_to, pad, flip, moveaxis, swapaxes, ravel. Results share storage whenever the layout
//! allows (reshape of contiguous input, transpose, expand_dims, squeeze, split, flip).
use crate::dtype::{result_type, Elem};
use crate::error::{fmt_shape, normalize_axes, normalize_axis, Error, Result};
use crate::kernels::index::gather_axis;
use crate::parallel::map_array;
use crate::tensor::{Arr, Tensor};
use crate::{dispatch, map_same, with_dtype};
use ndarray::{ArrayD, Axis, IxDyn, Slice};

/// Formats a list of signed ints as a Python tuple: `(2, -1)`, `(3,)`.
pub(crate) fn fmt_ints(v: &[i64]) -> String {
    match v.len() {
        0 => "()".to_string(),
        1 => format!("({},)", v[0]),
        _ => format!(
            "({})",
            v.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn fmt_shapes(xs: &[Tensor]) -> String {
    format!(
        "[{}]",
        xs.iter()
            .map(|t| fmt_shape(t.shape()))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// A row-major copy of `a` (a cheap clone when `a` already is row-major).
pub(crate) fn standard<T: Elem>(a: &Arr<T>) -> Arr<T> {
    if a.is_standard_layout() {
        a.clone()
    } else {
        map_array(&a.view(), |x: T| x)
    }
}

/// Checks a list of dims for negatives and converts them.
fn dims_arg(op: &str, what: &str, v: &[i64]) -> Result<Vec<usize>> {
    v.iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| {
                Error::value(
                    op,
                    format!(
                        "{what} must be non-negative. Received: {what}={}",
                        fmt_ints(v)
                    ),
                )
            })
        })
        .collect()
}

/// Resolves a new shape with at most one `-1` against `old`.
fn resolve_shape(op: &str, old: &[usize], new: &[i64]) -> Result<Vec<usize>> {
    let size: usize = old.iter().product();
    let mut unknown = None;
    let mut known: usize = 1;
    let mismatch = || {
        Error::shape(
            op,
            format!(
                "cannot reshape a tensor of shape {} (size {size}) into shape {}",
                fmt_shape(old),
                fmt_ints(new)
            ),
        )
    };
    for (i, &d) in new.iter().enumerate() {
        if d == -1 {
            if unknown.is_some() {
                return Err(Error::value(
                    op,
                    format!(
                        "can only specify one unknown dimension (-1). Received: newshape={}",
                        fmt_ints(new)
                    ),
                ));
            }
            unknown = Some(i);
        } else if d < 0 {
            return Err(Error::value(
                op,
                format!(
                    "dimensions must be non-negative or -1. Received: newshape={}",
                    fmt_ints(new)
                ),
            ));
        } else {
            known = known.checked_mul(d as usize).ok_or_else(mismatch)?;
        }
    }
    let mut out: Vec<usize> = new.iter().map(|&d| d.max(0) as usize).collect();
    match unknown {
        Some(i) => {
            if known == 0 || !size.is_multiple_of(known) {
                return Err(mismatch());
            }
            out[i] = size / known;
        }
        None if known != size => return Err(mismatch()),
        None => {}
    }
    Ok(out)
}

/// Reshapes an array to `shape` (same size), sharing storage when it is row-major or when only
/// unit axes change; copies otherwise.
pub(crate) fn reshape_arr<T: Elem>(a: &Arr<T>, shape: &[usize]) -> Arr<T> {
    if a.shape() == shape {
        return a.clone();
    }
    if a.is_standard_layout() {
        return a
            .clone()
            .into_shape_with_order(IxDyn(shape))
            .expect("reshape: size checked");
    }
    let old: Vec<usize> = a.shape().iter().copied().filter(|&d| d != 1).collect();
    let new: Vec<usize> = shape.iter().copied().filter(|&d| d != 1).collect();
    if old == new {
        let mut v = a.clone();
        for ax in (0..v.ndim()).rev() {
            if v.shape()[ax] == 1 {
                v = v.index_axis_move(Axis(ax), 0);
            }
        }
        for (i, &d) in shape.iter().enumerate() {
            if d == 1 {
                v = v.insert_axis(Axis(i));
            }
        }
        return v;
    }
    standard(a)
        .into_shape_with_order(IxDyn(shape))
        .expect("reshape: size checked")
}

/// `reshape(x, newshape)`: row-major reshape; one entry may be -1.
pub fn reshape(x: &Tensor, newshape: &[i64]) -> Result<Tensor> {
    let shape = resolve_shape("reshape", x.shape(), newshape)?;
    Ok(map_same!(x, a, T => reshape_arr(a, &shape)))
}

/// `ravel(x)`: the elements as a 1-D tensor in row-major order.
pub fn ravel(x: &Tensor) -> Tensor {
    let n = x.size();
    map_same!(x, a, T => reshape_arr(a, &[n]))
}

/// Permutes the axes (a view); `perm` must be a valid permutation.
pub(crate) fn permute(x: &Tensor, perm: &[usize]) -> Tensor {
    map_same!(x, a, T => a.clone().permuted_axes(IxDyn(perm)))
}

fn check_perm(op: &str, axes: &[i64], ndim: usize) -> Result<Vec<usize>> {
    if axes.len() != ndim {
        return Err(Error::value(
            op,
            format!(
                "axes don't match a tensor of rank {ndim}. Received: axes={}",
                fmt_ints(axes)
            ),
        ));
    }
    let mut perm = Vec::with_capacity(ndim);
    for &a in axes {
        let ax = normalize_axis(op, a, ndim)?;
        if perm.contains(&ax) {
            return Err(Error::value(
                op,
                format!("repeated axis in axes. Received: axes={}", fmt_ints(axes)),
            ));
        }
        perm.push(ax);
    }
    Ok(perm)
}

/// `transpose(x, axes=None)`: reverses the axes, or permutes them by `axes` (a view).
pub fn transpose(x: &Tensor, axes: Option<&[i64]>) -> Result<Tensor> {
    let n = x.ndim();
    let perm = match axes {
        None => (0..n).rev().collect(),
        Some(ax) => check_perm("transpose", ax, n)?,
    };
    Ok(permute(x, &perm))
}

/// `expand_dims(x, axis)`: inserts unit axes at `axes` (positions in the result), as a view.
pub fn expand_dims(x: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let out_nd = x.ndim() + axes.len();
    let ax = normalize_axes("expand_dims", axes, out_nd)?;
    Ok(map_same!(x, a, T => {
        let mut v = a.clone();
        for &i in &ax {
            v = v.insert_axis(Axis(i));
        }
        v
    }))
}

/// `squeeze(x, axis=None)`: removes the given unit axes (all unit axes for `None`), as a view.
pub fn squeeze(x: &Tensor, axes: Option<&[i64]>) -> Result<Tensor> {
    let shape = x.shape();
    let nd = shape.len();
    let ax: Vec<usize> = match axes {
        None => (0..nd).filter(|&i| shape[i] == 1).collect(),
        Some(a) => {
            let v = normalize_axes("squeeze", a, nd)?;
            if let Some(&bad) = v.iter().find(|&&i| shape[i] != 1) {
                return Err(Error::value(
                    "squeeze",
                    format!(
                        "cannot squeeze axis {bad} of size {} (only axes of size 1 can be squeezed). \
                         Received: axis={}, shape={}",
                        shape[bad],
                        fmt_ints(a),
                        fmt_shape(shape)
                    ),
                ));
            }
            v
        }
    };
    Ok(map_same!(x, a, T => {
        let mut v = a.clone();
        for &i in ax.iter().rev() {
            v = v.index_axis_move(Axis(i), 0);
        }
        v
    }))
}

/// `concatenate(xs, axis=0)`: joins tensors along an existing axis (`None` flattens them first),
/// promoting dtypes with `result_type`.
pub fn concatenate(xs: &[Tensor], axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "concatenate";
    if xs.is_empty() {
        return Err(Error::value(
            OP,
            "need at least one tensor to concatenate. Received: an empty list",
        ));
    }
    let Some(axis) = axis else {
        let flat: Vec<Tensor> = xs.iter().map(ravel).collect();
        return concatenate(&flat, Some(0));
    };
    let first = xs[0].shape();
    let nd = first.len();
    if nd == 0 {
        return Err(Error::value(
            OP,
            "zero-dimensional tensors cannot be concatenated. Received: shapes=[()...]",
        ));
    }
    if let Some((i, t)) = xs.iter().enumerate().find(|(_, t)| t.ndim() != nd) {
        return Err(Error::shape(
            OP,
            format!(
                "all input tensors must have the same rank, but the tensor at index 0 has rank {nd} and \
                 the tensor at index {i} has rank {}. Received: shapes={}, axis={axis}",
                t.ndim(),
                fmt_shapes(xs)
            ),
        ));
    }
    let ax = normalize_axis(OP, axis, nd)?;
    for (i, t) in xs.iter().enumerate() {
        let s = t.shape();
        if (0..nd).any(|d| d != ax && s[d] != first[d]) {
            return Err(Error::shape(
                OP,
                format!(
                    "all input shapes must match except along the concatenation axis {axis}, but the \
                     tensor at index 0 has shape {} and the tensor at index {i} has shape {}. \
                     Received: shapes={}, axis={axis}",
                    fmt_shape(first),
                    fmt_shape(s),
                    fmt_shapes(xs)
                ),
            ));
        }
    }
    let dt = xs
        .iter()
        .skip(1)
        .fold(xs[0].dtype(), |d, t| result_type(d, t.dtype()));
    let cast: Vec<Tensor> = xs.iter().map(|t| t.cast(dt)).collect();
    if cast.len() == 1 {
        return Ok(cast.into_iter().next().expect("one tensor"));
    }
    Ok(with_dtype!(dt, T => {
        let parts: Vec<Arr<T>> = cast.iter().map(|t| standard(t.array::<T>().expect("cast"))).collect();
        T::wrap(concat_rows(&parts, ax))
    }))
}

/// Joins row-major arrays (equal shapes except along `ax`) as `[outer, n_i * inner]` blocks.
fn concat_rows<T: Elem>(parts: &[Arr<T>], ax: usize) -> Arr<T> {
    let mut shape = parts[0].shape().to_vec();
    let outer: usize = shape[..ax].iter().product();
    let inner: usize = shape[ax + 1..].iter().product();
    shape[ax] = parts.iter().map(|a| a.shape()[ax]).sum();
    let mut out = Vec::with_capacity(outer * shape[ax] * inner);
    for o in 0..outer {
        for a in parts {
            let w = a.shape()[ax] * inner;
            out.extend_from_slice(&a.as_slice().expect("row-major")[o * w..(o + 1) * w]);
        }
    }
    ArrayD::from_shape_vec(IxDyn(&shape), out)
        .expect("concatenate: size")
        .into_shared()
}

/// `stack(xs, axis=0)`: joins tensors of equal shape along a new axis.
pub fn stack(xs: &[Tensor], axis: i64) -> Result<Tensor> {
    const OP: &str = "stack";
    if xs.is_empty() {
        return Err(Error::value(
            OP,
            "need at least one tensor to stack. Received: an empty list",
        ));
    }
    let first = xs[0].shape();
    if let Some((i, t)) = xs.iter().enumerate().find(|(_, t)| t.shape() != first) {
        return Err(Error::shape(
            OP,
            format!(
                "all input tensors must have the same shape, but the tensor at index 0 has shape {} and \
                 the tensor at index {i} has shape {}. Received: shapes={}",
                fmt_shape(first),
                fmt_shape(t.shape()),
                fmt_shapes(xs)
            ),
        ));
    }
    let ax = normalize_axis(OP, axis, first.len() + 1)?;
    let expanded: Vec<Tensor> = xs
        .iter()
        .map(|t| expand_dims(t, &[ax as i64]))
        .collect::<Result<_>>()?;
    concatenate(&expanded, Some(ax as i64))
}

/// How `split` divides an axis.
#[derive(Debug, Clone, PartialEq)]
pub enum SplitSpec {
    /// Into this many equal sections (the axis size must be divisible by it).
    Sections(i64),
    /// At these indices (Python slice semantics: negative counts from the end, out of range clamps).
    Indices(Vec<i64>),
}

/// `split(x, indices_or_sections, axis=0)`: a list of views of `x` along `axis`.
pub fn split(x: &Tensor, spec: &SplitSpec, axis: i64) -> Result<Vec<Tensor>> {
    const OP: &str = "split";
    let ax = normalize_axis(OP, axis, x.ndim())?;
    let n = x.shape()[ax];
    let bounds: Vec<(usize, usize)> = match spec {
        SplitSpec::Sections(k) => {
            if *k <= 0 {
                return Err(Error::value(OP, format!("number of sections must be larger than 0. Received: indices_or_sections={k}")));
            }
            let k = *k as usize;
            if !n.is_multiple_of(k) {
                return Err(Error::value(
                    OP,
                    format!(
                        "the tensor does not split into equal sections: axis {axis} has size {n}, which is \
                         not divisible by {k}. Received: indices_or_sections={k}, shape={}",
                        fmt_shape(x.shape())
                    ),
                ));
            }
            let w = n / k;
            (0..k).map(|i| (i * w, (i + 1) * w)).collect()
        }
        SplitSpec::Indices(idx) => {
            let clamp = |i: i64| -> usize {
                let i = if i < 0 { i + n as i64 } else { i };
                i.clamp(0, n as i64) as usize
            };
            let mut pts = vec![0usize];
            pts.extend(idx.iter().map(|&i| clamp(i)));
            pts.push(n);
            pts.windows(2).map(|w| (w[0], w[1].max(w[0]))).collect()
        }
    };
    Ok(bounds
        .into_iter()
        .map(|(s, e)| map_same!(x, a, T => a.clone().slice_axis_move(Axis(ax), Slice::from(s..e))))
        .collect())
}

/// Views `a` as `[1, s0, 1, s1, ...]`, broadcasts to `[r0, s0, r1, s1, ...]`, copies row-major.
fn tile_arr<T: Elem>(a: &Arr<T>, xshape: &[usize], reps: &[usize]) -> Arr<T> {
    let v = reshape_arr(a, xshape);
    let mut view = v.view();
    for k in 0..xshape.len() {
        view = view.insert_axis(Axis(2 * k));
    }
    let big: Vec<usize> = reps
        .iter()
        .zip(xshape)
        .flat_map(|(&r, &s)| [r, s])
        .collect();
    let b = view
        .broadcast(IxDyn(&big))
        .expect("tile: unit axes broadcast");
    let out = map_array(&b, |x: T| x);
    let fin: Vec<usize> = reps.iter().zip(xshape).map(|(r, s)| r * s).collect();
    out.into_shape_with_order(IxDyn(&fin)).expect("tile: size")
}

/// `tile(x, repeats)`: repeats the whole tensor along each axis (numpy rules when the lengths differ).
pub fn tile(x: &Tensor, repeats: &[i64]) -> Result<Tensor> {
    let reps = dims_arg("tile", "repeats", repeats)?;
    let nd = x.ndim();
    let d = nd.max(reps.len());
    let mut xshape = vec![1usize; d - nd];
    xshape.extend_from_slice(x.shape());
    let mut r = vec![1usize; d - reps.len()];
    r.extend_from_slice(&reps);
    Ok(map_same!(x, a, T => tile_arr(a, &xshape, &r)))
}

/// `repeat(x, repeats, axis=None)`: repeats each element `repeats` times (one count, or one per
/// element along the axis); `axis=None` flattens first.
pub fn repeat(x: &Tensor, repeats: &[i64], axis: Option<i64>) -> Result<Tensor> {
    const OP: &str = "repeat";
    let (src, ax) = match axis {
        None => (ravel(x), 0),
        Some(a) => (x.clone(), normalize_axis(OP, a, x.ndim())?),
    };
    let reps = dims_arg(OP, "repeats", repeats)?;
    let n = src.shape()[ax];
    if reps.len() == 1 {
        let r = reps[0];
        let shape = src.shape().to_vec();
        let mut big = shape.clone();
        big.insert(ax + 1, r);
        let mut fin = shape;
        fin[ax] *= r;
        return Ok(map_same!(&src, a, T => {
            let v = a.view().insert_axis(Axis(ax + 1));
            let b = v.broadcast(IxDyn(&big)).expect("repeat: unit axis broadcasts");
            map_array(&b, |x: T| x).into_shape_with_order(IxDyn(&fin)).expect("repeat: size")
        }));
    }
    if reps.len() != n {
        return Err(Error::shape(
            OP,
            format!(
                "repeats has {} entries but axis {ax} has size {n}; expected one count or {n}. \
                 Received: repeats shape ({},), tensor shape {}",
                reps.len(),
                reps.len(),
                fmt_shape(src.shape())
            ),
        ));
    }
    let idx: Vec<usize> = reps
        .iter()
        .enumerate()
        .flat_map(|(i, &r)| std::iter::repeat_n(i, r))
        .collect();
    Ok(map_same!(&src, a, T => gather_axis(a, ax, &idx)))
}

/// `broadcast_to(x, shape)`: a row-major copy of `x` broadcast to `shape`.
pub fn broadcast_to(x: &Tensor, shape: &[i64]) -> Result<Tensor> {
    const OP: &str = "broadcast_to";
    let s = dims_arg(OP, "shape", shape)?;
    let xs = x.shape();
    let ok = s.len() >= xs.len()
        && xs
            .iter()
            .zip(&s[s.len() - xs.len()..])
            .all(|(&a, &b)| a == b || a == 1);
    if !ok {
        return Err(Error::shape(
            OP,
            format!(
                "cannot broadcast a tensor of shape {} to shape {}",
                fmt_shape(xs),
                fmt_shape(&s)
            ),
        ));
    }
    if xs == s.as_slice() {
        return Ok(x.clone());
    }
    Ok(map_same!(x, a, T => map_array(&a.broadcast(IxDyn(&s)).expect("checked"), |v: T| v)))
}

/// Padding modes of [`pad`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadMode {
    /// Pads with a constant value.
    Constant,
    /// Mirrors without repeating the edge: `[1, 2, 3] -> [3, 2, 1, 2, 3, 2, 1]`.
    Reflect,
    /// Mirrors repeating the edge: `[1, 2, 3] -> [2, 1, 1, 2, 3, 3, 2]`.
    Symmetric,
}

impl PadMode {
    /// Parses "constant", "reflect" or "symmetric".
    pub fn from_name(name: &str) -> Result<PadMode> {
        match name {
            "constant" => Ok(PadMode::Constant),
            "reflect" => Ok(PadMode::Reflect),
            "symmetric" => Ok(PadMode::Symmetric),
            other => Err(Error::value(
                "pad",
                format!("mode must be one of 'constant', 'reflect', 'symmetric'. Received: mode={other}"),
            )),
        }
    }
}

/// The source index for output position `j` (relative to the first element) along an axis of `n`.
fn mirror(j: i64, n: i64, mode: PadMode) -> usize {
    match mode {
        PadMode::Reflect => {
            if n == 1 {
                return 0;
            }
            let p = 2 * (n - 1);
            let r = j.rem_euclid(p);
            (if r >= n { p - r } else { r }) as usize
        }
        _ => {
            let p = 2 * n;
            let r = j.rem_euclid(p);
            (if r >= n { p - 1 - r } else { r }) as usize
        }
    }
}

/// `pad(x, pad_width, mode="constant", constant_values=None)`. `pad_width` holds one
/// `(before, after)` pair for every axis, or a single pair used for all axes.
pub fn pad(
    x: &Tensor,
    pad_width: &[(i64, i64)],
    mode: PadMode,
    constant: Option<f64>,
) -> Result<Tensor> {
    const OP: &str = "pad";
    let nd = x.ndim();
    let show = || {
        format!(
            "({})",
            pad_width
                .iter()
                .map(|(a, b)| format!("({a}, {b})"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let widths: Vec<(i64, i64)> = if pad_width.len() == nd {
        pad_width.to_vec()
    } else if pad_width.len() == 1 {
        vec![pad_width[0]; nd]
    } else {
        return Err(Error::value(
            OP,
            format!(
                "pad_width must have one (before, after) pair per axis ({nd}) or a single pair. \
                 Received: pad_width={}, shape={}",
                show(),
                fmt_shape(x.shape())
            ),
        ));
    };
    if widths.iter().any(|&(a, b)| a < 0 || b < 0) {
        return Err(Error::value(
            OP,
            format!(
                "pad widths must be non-negative. Received: pad_width={}",
                show()
            ),
        ));
    }
    if constant.is_some() && mode != PadMode::Constant {
        return Err(Error::value(
            OP,
            format!(
                "constant_values can only be used with mode='constant'. Received: mode={mode:?}"
            ),
        ));
    }
    let shape = x.shape();
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(&widths)
        .map(|(&s, &(a, b))| s + a as usize + b as usize)
        .collect();
    if mode == PadMode::Constant {
        let c = constant.unwrap_or(0.0);
        return Ok(map_same!(x, a, T => {
            let mut out = ArrayD::from_elem(IxDyn(&out_shape), T::from_f64(c));
            out.slice_each_axis_mut(|d| {
                let b = widths[d.axis.index()].0 as usize;
                Slice::from(b..b + shape[d.axis.index()])
            })
            .assign(a);
            out.into_shared()
        }));
    }
    let mut cur = x.clone();
    for (ax, &(b, e)) in widths.iter().enumerate() {
        if b == 0 && e == 0 {
            continue;
        }
        let n = shape[ax] as i64;
        if n == 0 {
            return Err(Error::value(
                OP,
                format!(
                    "cannot pad the empty axis {ax} with mode={mode:?}; only mode='constant' extends \
                     empty axes. Received: shape={}",
                    fmt_shape(shape)
                ),
            ));
        }
        let idx: Vec<usize> = (-b..n + e).map(|j| mirror(j, n, mode)).collect();
        cur = map_same!(&cur, a, T => gather_axis(a, ax, &idx));
    }
    Ok(cur)
}

/// `flip(x, axis=None)`: reverses the order of elements along the axes (a view with negative strides).
pub fn flip(x: &Tensor, axes: Option<&[i64]>) -> Result<Tensor> {
    let ax: Vec<usize> = match axes {
        None => (0..x.ndim()).collect(),
        Some(a) => normalize_axes("flip", a, x.ndim())?,
    };
    Ok(map_same!(x, a, T => {
        let mut v = a.clone();
        for &i in &ax {
            v.invert_axis(Axis(i));
        }
        v
    }))
}

/// `moveaxis(x, source, destination)`: moves axes to new positions, keeping the others in order.
pub fn moveaxis(x: &Tensor, source: &[i64], destination: &[i64]) -> Result<Tensor> {
    const OP: &str = "moveaxis";
    let nd = x.ndim();
    if source.len() != destination.len() {
        return Err(Error::value(
            OP,
            format!(
                "source and destination must have the same number of axes. Received: source={}, destination={}",
                fmt_ints(source),
                fmt_ints(destination)
            ),
        ));
    }
    let norm = |v: &[i64]| -> Result<Vec<usize>> {
        let mut out = Vec::with_capacity(v.len());
        for &a in v {
            let ax = normalize_axis(OP, a, nd)?;
            if out.contains(&ax) {
                return Err(Error::value(
                    OP,
                    format!("repeated axis. Received: {}", fmt_ints(v)),
                ));
            }
            out.push(ax);
        }
        Ok(out)
    };
    let src = norm(source)?;
    let dst = norm(destination)?;
    let mut order: Vec<usize> = (0..nd).filter(|a| !src.contains(a)).collect();
    let mut pairs: Vec<(usize, usize)> = dst.into_iter().zip(src).collect();
    pairs.sort_unstable();
    for (d, s) in pairs {
        order.insert(d, s);
    }
    Ok(permute(x, &order))
}

/// `swapaxes(x, axis1, axis2)`: exchanges two axes (a view).
pub fn swapaxes(x: &Tensor, axis1: i64, axis2: i64) -> Result<Tensor> {
    let nd = x.ndim();
    let a = normalize_axis("swapaxes", axis1, nd)?;
    let b = normalize_axis("swapaxes", axis2, nd)?;
    let mut perm: Vec<usize> = (0..nd).collect();
    perm.swap(a, b);
    Ok(permute(x, &perm))
}

/// True when the two tensors view the same storage (for tests and diagnostics).
pub fn shares_storage(a: &Tensor, b: &Tensor) -> bool {
    dispatch!(a, x, T => match b.array::<T>() {
        Some(y) => {
            // Compare the storage ranges the views address.
            let span = |v: &Arr<T>| -> (usize, usize) {
                let p = v.as_ptr() as usize;
                let sz = std::mem::size_of::<T>().max(1);
                let (mut lo, mut hi) = (p, p);
                for (&d, &s) in v.shape().iter().zip(v.strides()) {
                    if d == 0 {
                        return (p, p);
                    }
                    let ext = (d as isize - 1) * s * sz as isize;
                    if ext < 0 { lo = lo.wrapping_add_signed(ext) } else { hi = hi.wrapping_add_signed(ext) }
                }
                (lo, hi + sz)
            };
            let (a0, a1) = span(x);
            let (b0, b1) = span(y);
            !x.is_empty() && !y.is_empty() && a0 < b1 && b0 < a1
        }
        None => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DType;

    fn ar(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        Tensor::from_vec(shape, (0..n).map(|i| i as f32).collect()).unwrap()
    }
    fn v(t: &Tensor) -> Vec<f32> {
        t.to_vec::<f32>()
    }

    #[test]
    fn reshape_shares_storage_and_infers() {
        let x = ar(&[2, 3]);
        let y = reshape(&x, &[3, -1]).unwrap();
        assert_eq!(y.shape(), &[3, 2]);
        assert!(shares_storage(&x, &y));
        assert_eq!(v(&y), v(&x));
        let e = reshape(&x, &[4, -1]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "reshape: cannot reshape a tensor of shape (2, 3) (size 6) into shape (4, -1)"
        );
        assert!(matches!(reshape(&x, &[-1, -1]), Err(Error::Value { .. })));
        assert!(matches!(reshape(&x, &[5]), Err(Error::Shape { .. })));
        // 0-size and scalars
        let z = ar(&[0, 3]);
        assert_eq!(reshape(&z, &[3, 0, 2]).unwrap().shape(), &[3, 0, 2]);
        assert!(reshape(&z, &[0, -1]).is_err());
        let s = ar(&[]);
        assert_eq!(reshape(&s, &[1, 1]).unwrap().shape(), &[1, 1]);
        assert_eq!(reshape(&ar(&[1, 1]), &[]).unwrap().shape(), &[] as &[usize]);
    }

    #[test]
    fn reshape_of_transposed_copies_in_row_major_order() {
        let x = transpose(&ar(&[2, 3]), None).unwrap();
        assert!(!x.is_standard_layout());
        let y = reshape(&x, &[6]).unwrap();
        assert_eq!(v(&y), vec![0., 3., 1., 4., 2., 5.]);
        // Only unit axes change: still a view.
        let z = reshape(&x, &[1, 3, 1, 2]).unwrap();
        assert!(shares_storage(&x, &z));
        assert_eq!(v(&z), vec![0., 3., 1., 4., 2., 5.]);
    }

    #[test]
    fn transpose_expand_squeeze() {
        let x = ar(&[2, 3, 4]);
        let t = transpose(&x, Some(&[1, -1, 0])).unwrap();
        assert_eq!(t.shape(), &[3, 4, 2]);
        assert!(shares_storage(&x, &t));
        assert!(transpose(&x, Some(&[0, 0, 1])).is_err());
        assert!(transpose(&x, Some(&[0, 1])).is_err());
        assert!(matches!(
            transpose(&x, Some(&[0, 1, 3])),
            Err(Error::Axis { .. })
        ));
        let e = expand_dims(&x, &[0, -1]).unwrap();
        assert_eq!(e.shape(), &[1, 2, 3, 4, 1]);
        let s = squeeze(&e, None).unwrap();
        assert_eq!(s.shape(), &[2, 3, 4]);
        assert_eq!(squeeze(&e, Some(&[-1])).unwrap().shape(), &[1, 2, 3, 4]);
        let err = squeeze(&e, Some(&[1])).unwrap_err();
        assert!(matches!(err, Error::Value { .. }));
        assert!(err.to_string().contains("(1, 2, 3, 4, 1)"));
        assert_eq!(expand_dims(&ar(&[]), &[0]).unwrap().shape(), &[1]);
    }

    #[test]
    fn concatenate_promotes_and_checks() {
        let a = ar(&[2, 2]);
        let b = Tensor::from_vec(&[1, 2], vec![7i32, 8]).unwrap();
        let c = concatenate(&[a.clone(), b.clone()], Some(0)).unwrap();
        assert_eq!(c.dtype(), DType::F32);
        assert_eq!(v(&c), vec![0., 1., 2., 3., 7., 8.]);
        let c = concatenate(&[a.clone(), a.clone()], Some(-1)).unwrap();
        assert_eq!(c.shape(), &[2, 4]);
        assert_eq!(v(&c), vec![0., 1., 0., 1., 2., 3., 2., 3.]);
        let e = concatenate(&[a.clone(), b.clone()], Some(1)).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.starts_with("concatenate:")
                && msg.contains("(2, 2)")
                && msg.contains("(1, 2)")
                && msg.contains("axis 1"),
            "{msg}"
        );
        assert!(concatenate(&[], Some(0)).is_err());
        assert!(matches!(
            concatenate(&[a.clone(), ar(&[4])], Some(0)),
            Err(Error::Shape { .. })
        ));
        assert_eq!(concatenate(&[a.clone(), b], None).unwrap().shape(), &[6]);
        let z = concatenate(&[ar(&[0, 2]), a.clone()], Some(0)).unwrap();
        assert_eq!(v(&z), v(&a));
        // non-contiguous inputs
        let t = transpose(&a, None).unwrap();
        assert_eq!(
            v(&concatenate(&[t.clone(), t], Some(1)).unwrap()),
            vec![0., 2., 0., 2., 1., 3., 1., 3.]
        );
    }

    #[test]
    fn stack_and_split() {
        let a = ar(&[3]);
        let s = stack(&[a.clone(), a.clone()], -1).unwrap();
        assert_eq!(s.shape(), &[3, 2]);
        assert_eq!(v(&s), vec![0., 0., 1., 1., 2., 2.]);
        assert!(stack(&[a.clone(), ar(&[2])], 0)
            .unwrap_err()
            .to_string()
            .contains("(2,)"));
        let x = ar(&[6, 2]);
        let p = split(&x, &SplitSpec::Sections(3), 0).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(v(&p[1]), vec![4., 5., 6., 7.]);
        assert!(shares_storage(&x, &p[2]));
        assert!(matches!(
            split(&x, &SplitSpec::Sections(4), 0),
            Err(Error::Value { .. })
        ));
        let p = split(&x, &SplitSpec::Indices(vec![1, -2, 10]), 0).unwrap();
        let shapes: Vec<_> = p.iter().map(|t| t.shape()[0]).collect();
        assert_eq!(shapes, vec![1, 3, 2, 0]);
        let p = split(&x, &SplitSpec::Sections(2), -1).unwrap();
        assert_eq!(v(&p[1]), vec![1., 3., 5., 7., 9., 11.]);
    }

    #[test]
    fn tile_repeat_broadcast() {
        let a = ar(&[2]);
        assert_eq!(v(&tile(&a, &[2]).unwrap()), vec![0., 1., 0., 1.]);
        let t = tile(&a, &[2, 2]).unwrap();
        assert_eq!(t.shape(), &[2, 4]);
        let m = ar(&[2, 2]);
        assert_eq!(tile(&m, &[2]).unwrap().shape(), &[2, 4]);
        assert_eq!(tile(&m, &[0, 1]).unwrap().shape(), &[0, 2]);
        assert!(tile(&m, &[-1]).is_err());
        assert_eq!(
            v(&repeat(&m, &[2], None).unwrap()),
            vec![0., 0., 1., 1., 2., 2., 3., 3.]
        );
        assert_eq!(
            v(&repeat(&m, &[1, 2], Some(0)).unwrap()),
            vec![0., 1., 2., 3., 2., 3.]
        );
        assert_eq!(
            v(&repeat(&m, &[2], Some(-1)).unwrap()),
            vec![0., 0., 1., 1., 2., 2., 3., 3.]
        );
        assert!(matches!(
            repeat(&m, &[1, 2, 3], Some(0)),
            Err(Error::Shape { .. })
        ));
        let tm = transpose(&m, None).unwrap();
        assert_eq!(
            v(&repeat(&tm, &[2], Some(0)).unwrap()),
            vec![0., 2., 0., 2., 1., 3., 1., 3.]
        );
        let b = broadcast_to(&a, &[3, 2]).unwrap();
        assert_eq!(v(&b), vec![0., 1., 0., 1., 0., 1.]);
        let e = broadcast_to(&a, &[3]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "broadcast_to: cannot broadcast a tensor of shape (2,) to shape (3,)"
        );
    }

    #[test]
    fn pad_modes() {
        let a = Tensor::from_vec(&[3], vec![1i32, 2, 3]).unwrap();
        let c = pad(&a, &[(2, 1)], PadMode::Constant, Some(9.0)).unwrap();
        assert_eq!(c.to_vec::<i32>(), vec![9, 9, 1, 2, 3, 9]);
        let r = pad(&a, &[(5, 5)], PadMode::Reflect, None).unwrap();
        assert_eq!(
            r.to_vec::<i32>(),
            vec![2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2]
        );
        let s = pad(&a, &[(2, 2)], PadMode::Symmetric, None).unwrap();
        assert_eq!(s.to_vec::<i32>(), vec![2, 1, 1, 2, 3, 3, 2]);
        let m = ar(&[2, 2]);
        let p = pad(&m, &[(1, 0), (0, 1)], PadMode::Constant, None).unwrap();
        assert_eq!(v(&p), vec![0., 0., 0., 0., 1., 0., 2., 3., 0.]);
        assert!(pad(&m, &[(1, 0), (0, 1), (1, 1)], PadMode::Constant, None).is_err());
        assert!(pad(&m, &[(-1, 0)], PadMode::Constant, None).is_err());
        assert!(pad(&ar(&[0]), &[(1, 1)], PadMode::Reflect, None).is_err());
        assert!(pad(&m, &[(1, 1)], PadMode::Reflect, Some(1.0)).is_err());
        assert!(PadMode::from_name("wrap").is_err());
    }

    #[test]
    fn flip_moveaxis_swapaxes() {
        let m = ar(&[2, 3]);
        let f = flip(&m, None).unwrap();
        assert!(shares_storage(&m, &f));
        assert_eq!(v(&f), vec![5., 4., 3., 2., 1., 0.]);
        assert_eq!(
            v(&flip(&m, Some(&[-1])).unwrap()),
            vec![2., 1., 0., 5., 4., 3.]
        );
        let x = ar(&[2, 3, 4]);
        assert_eq!(moveaxis(&x, &[0], &[-1]).unwrap().shape(), &[3, 4, 2]);
        assert_eq!(
            moveaxis(&x, &[0, 1], &[-1, -2]).unwrap().shape(),
            &[4, 3, 2]
        );
        assert!(moveaxis(&x, &[0, 0], &[1, 2]).is_err());
        assert_eq!(swapaxes(&x, 0, -1).unwrap().shape(), &[4, 3, 2]);
        assert_eq!(
            ravel(&transpose(&m, None).unwrap()).to_vec::<f32>(),
            vec![0., 3., 1., 4., 2., 5.]
        );
    }
}
