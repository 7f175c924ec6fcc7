//! Reductions — sum, mean, max, min, prod, argmax, argmin, var, std, any, all, logsumexp — with
//! Keras 3 dtype rules, bitwise identical at any thread count.
//!
//! Every reduction is laid out as `[outer, red, inner]` over a row-major buffer (transposed inputs
//! are re-viewed in memory order without a copy; only reduced axes that are not adjacent, or a tiny
//! `inner`, force a permuting copy). The arithmetic order is fixed by the shape alone:
//! * `inner == 1` (contiguous lanes): each lane is cut into blocks of 4096 elements, each block
//!   is folded into 8 interleaved accumulators combined in a fixed tree, and block partials are
//!   combined in a fixed pairwise tree;
//! * `inner > 1` (e.g. column sums): blocks of 256 rows are accumulated row by row into a
//!   row of accumulators, and the block rows are combined in the same pairwise tree.
//!
//! Threads only decide *who* computes a block, never how blocks are cut or combined.
use super::arith::Arith;
use crate::dtype::{DType, Elem};
use crate::error::{fmt_shape, normalize_axes, Error, Result};
use crate::parallel::{install, map_array, should_parallelize, GRAIN};
use crate::tensor::{Arr, Tensor};
use half::{bf16, f16};
use ndarray::{ArrayD, IxDyn};
use rayon::prelude::*;

/// Elements per block of a contiguous lane.
pub(crate) const BLOCK: usize = 4096;
/// Rows per block when reducing into a row of accumulators (`inner > 1`).
const ROWS: usize = 256;
/// Columns per task when reducing into a row of accumulators.
const COLS: usize = 2048;
/// Below this `inner` extent the input is transposed so that lanes are contiguous.
const MIN_INNER: usize = 16;

// ---------------------------------------------------------------------------------------------
// Scalar helpers
// ---------------------------------------------------------------------------------------------

/// Converts between element types: f32 arithmetic among {f16, bf16, f32}, f64 when a float is
/// involved otherwise, i64 among ints and bool.
#[inline(always)]
pub(crate) fn conv<S: Elem, D: Elem>(v: S) -> D {
    let small = |d: DType| matches!(d, DType::F16 | DType::BF16 | DType::F32);
    if small(S::DTYPE) && small(D::DTYPE) {
        D::from_f32(v.to_f32())
    } else if S::DTYPE.is_float() || D::DTYPE.is_float() {
        D::from_f64(v.to_f64())
    } else {
        D::from_i64(v.to_i64())
    }
}

/// The float compute types (f32 for half and single precision, f64 otherwise).
pub(crate) trait Real:
    Elem
    + Arith
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
{
    /// e^x
    fn exp(self) -> Self;
    /// natural log
    fn ln(self) -> Self;
    /// square root
    fn sqrt(self) -> Self;
    /// `n` as this type.
    fn from_usize(n: usize) -> Self;
}
macro_rules! real {
    ($t:ty, $exp:path) => {
        impl Real for $t {
            #[inline(always)]
            fn exp(self) -> Self {
                $exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                <$t>::ln(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
        }
    };
}
// f32 uses the vectorisable exp (about 2 ulp); f64 the standard one.
real!(f32, super::fastmath::exp_f32);
real!(f64, f64::exp);

/// NaN-propagating maximum written so that it vectorises (`a != a` is false for non-floats).
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn nan_max<A: PartialOrd + Copy>(a: A, b: A) -> A {
    if a > b || a != a {
        a
    } else {
        b
    }
}

/// NaN-propagating minimum written so that it vectorises.
#[inline(always)]
#[allow(clippy::eq_op)]
pub(crate) fn nan_min<A: PartialOrd + Copy>(a: A, b: A) -> A {
    if a < b || a != a {
        a
    } else {
        b
    }
}

/// The smallest value of `A` (the identity of max).
fn lowest<A: Elem>() -> A {
    match A::DTYPE {
        DType::Bool | DType::U8 => A::zero(),
        DType::I32 => A::from_i64(i32::MIN as i64),
        DType::I64 => A::from_i64(i64::MIN),
        _ => A::from_f64(f64::NEG_INFINITY),
    }
}

/// The largest value of `A` (the identity of min).
fn highest<A: Elem>() -> A {
    match A::DTYPE {
        DType::Bool => A::one(),
        DType::U8 => A::from_i64(255),
        DType::I32 => A::from_i64(i32::MAX as i64),
        DType::I64 => A::from_i64(i64::MAX),
        _ => A::from_f64(f64::INFINITY),
    }
}

// ---------------------------------------------------------------------------------------------
// The deterministic engine
// ---------------------------------------------------------------------------------------------

/// Combines `get(lo..hi)` in a fixed pairwise tree (the shape of the tree depends only on `hi - lo`).
#[inline]
pub(crate) fn tree<A: Copy>(
    lo: usize,
    hi: usize,
    get: &impl Fn(usize) -> A,
    comb: &impl Fn(A, A) -> A,
) -> A {
    if hi - lo == 1 {
        get(lo)
    } else {
        let mid = lo + (hi - lo) / 2;
        comb(tree(lo, mid, get, comb), tree(mid, hi, get, comb))
    }
}

/// Folds one block into 8 interleaved accumulators, combined in a fixed tree.
/// `r0` is the position of `s[0]` along the reduced run; `k` the output index.
#[inline(always)]
fn block_fold<T: Copy, A: Copy>(
    s: &[T],
    r0: usize,
    k: usize,
    init: A,
    fold: &impl Fn(A, T, usize, usize) -> A,
    comb: &impl Fn(A, A) -> A,
) -> A {
    let mut acc = [init; 8];
    let mut it = s.chunks_exact(8);
    let mut r = r0;
    for c in &mut it {
        for j in 0..8 {
            acc[j] = fold(acc[j], c[j], k, r + j);
        }
        r += 8;
    }
    for (j, &x) in it.remainder().iter().enumerate() {
        acc[j] = fold(acc[j], x, k, r + j);
    }
    comb(
        comb(comb(acc[0], acc[1]), comb(acc[2], acc[3])),
        comb(comb(acc[4], acc[5]), comb(acc[6], acc[7])),
    )
}

/// Reduces a contiguous lane deterministically (blocks of [`BLOCK`], pairwise over blocks).
pub(crate) fn lane_reduce<T: Copy, A: Copy>(
    s: &[T],
    init: A,
    fold: &impl Fn(A, T, usize, usize) -> A,
    comb: &impl Fn(A, A) -> A,
) -> A {
    if s.is_empty() {
        return init;
    }
    let nb = s.len().div_ceil(BLOCK);
    let get = |b: usize| {
        let lo = b * BLOCK;
        block_fold(&s[lo..(lo + BLOCK).min(s.len())], lo, 0, init, fold, comb)
    };
    tree(0, nb, &get, comb)
}

/// Runs `n` independent tasks, on the pool when `par`; the results are in task order either way.
fn tasks<A: Send, F: Fn(usize) -> A + Sync + Send>(
    n: usize,
    cost: usize,
    par: bool,
    f: F,
) -> Vec<A> {
    if par && n > 1 {
        let min_len = (GRAIN / 4 / cost.max(1)).max(1);
        install(|| {
            (0..n)
                .into_par_iter()
                .with_min_len(min_len)
                .map(&f)
                .collect()
        })
    } else {
        (0..n).map(f).collect()
    }
}

/// A reduction laid out as `[outer, red, inner]` over a row-major buffer.
pub(crate) struct Layout<T> {
    data: Arr<T>,
    outer: usize,
    red: usize,
    inner: usize,
    /// Sizes of the kept non-unit axes, in the order of the output buffer.
    out_dims: Vec<usize>,
    /// The original axis of each of them.
    out_axes: Vec<usize>,
}

/// Lays out a non-empty array for reducing the axes flagged in `reduced`.
pub(crate) fn plan<T: Copy + Send + Sync>(a: &Arr<T>, reduced: &[bool]) -> Layout<T> {
    let nd = a.ndim();
    let ident: Vec<usize> = (0..nd).collect();
    // View the array in memory order when it is a permutation of a row-major buffer.
    let (src, order) = if a.is_standard_layout() {
        (a.clone(), ident)
    } else {
        let st = a.strides().to_vec();
        let mut order = ident.clone();
        order.sort_by_key(|&i| std::cmp::Reverse(st[i]));
        let p = a.clone().permuted_axes(order.clone());
        if p.is_standard_layout() {
            (p, order)
        } else {
            (map_array(&a.view(), |x: T| x), ident)
        }
    };
    let dims = src.shape().to_vec();
    let items: Vec<usize> = (0..nd).filter(|&j| dims[j] != 1).collect();
    let red_at: Vec<usize> = (0..items.len())
        .filter(|&i| reduced[order[items[i]]])
        .collect();
    let kept: Vec<usize> = items
        .iter()
        .copied()
        .filter(|&j| !reduced[order[j]])
        .collect();
    let prod = |r: &[usize]| r.iter().map(|&i| dims[items[i]]).product::<usize>();
    let out_dims: Vec<usize> = kept.iter().map(|&j| dims[j]).collect();
    let out_axes: Vec<usize> = kept.iter().map(|&j| order[j]).collect();
    let all: Vec<usize> = (0..items.len()).collect();
    if red_at.is_empty() {
        let n = prod(&all);
        return Layout {
            data: src,
            outer: n,
            red: 1,
            inner: 1,
            out_dims,
            out_axes,
        };
    }
    let (first, last) = (red_at[0], red_at[red_at.len() - 1]);
    if last - first + 1 == red_at.len() {
        let inner = prod(&all[last + 1..]);
        if inner == 1 || inner >= MIN_INNER {
            let (outer, red) = (prod(&all[..first]), prod(&red_at));
            return Layout {
                data: src,
                outer,
                red,
                inner,
                out_dims,
                out_axes,
            };
        }
    }
    // Permute: kept axes first, reduced axes last, unit axes at the very end.
    let red_pos: Vec<usize> = red_at.iter().map(|&i| items[i]).collect();
    let units = (0..nd).filter(|&j| dims[j] == 1);
    let perm: Vec<usize> = kept
        .iter()
        .copied()
        .chain(red_pos.iter().copied())
        .chain(units)
        .collect();
    let data = map_array(&src.view().permuted_axes(perm), |x: T| x);
    let red: usize = red_pos.iter().map(|&j| dims[j]).product();
    let outer: usize = out_dims.iter().product();
    Layout {
        data,
        outer,
        red,
        inner: 1,
        out_dims,
        out_axes,
    }
}

impl<T: Copy + Send + Sync> Layout<T> {
    /// Reduces every output; `fold(acc, x, k, r)` gets the output index `k` (in buffer order) and
    /// the position `r` along the reduced run. `comb` must be associative (up to rounding).
    pub(crate) fn run<A, F, C>(&self, init: A, fold: F, comb: C, par: bool) -> Vec<A>
    where
        A: Copy + Send + Sync,
        F: Fn(A, T, usize, usize) -> A + Sync + Send,
        C: Fn(A, A) -> A + Sync + Send,
    {
        let data = self.data.as_slice().expect("planned buffers are row-major");
        let (outer, red, inner) = (self.outer, self.red, self.inner);
        if inner == 1 {
            let nb = red.div_ceil(BLOCK);
            let task = |t: usize| {
                let (o, b) = (t / nb, t % nb);
                let lo = b * BLOCK;
                let hi = (lo + BLOCK).min(red);
                block_fold(&data[o * red + lo..o * red + hi], lo, o, init, &fold, &comb)
            };
            let parts = tasks(outer * nb, BLOCK.min(red), par, task);
            if nb == 1 {
                return parts;
            }
            return (0..outer)
                .map(|o| tree(o * nb, (o + 1) * nb, &|i| parts[i], &comb))
                .collect();
        }
        let nb = red.div_ceil(ROWS);
        let nc = inner.div_ceil(COLS);
        let task = |t: usize| {
            let (oc, b) = (t / nb, t % nb);
            let (o, c0) = (oc / nc, (oc % nc) * COLS);
            let w = COLS.min(inner - c0);
            let mut acc = vec![init; w];
            let k0 = o * inner + c0;
            for r in b * ROWS..((b + 1) * ROWS).min(red) {
                let row = &data[(o * red + r) * inner + c0..][..w];
                for (i, (a, &x)) in acc.iter_mut().zip(row).enumerate() {
                    *a = fold(*a, x, k0 + i, r);
                }
            }
            acc
        };
        let parts: Vec<Vec<A>> = tasks(outer * nc * nb, ROWS.min(red) * COLS.min(inner), par, task);
        let mut out = vec![init; outer * inner];
        for oc in 0..outer * nc {
            let (o, c0) = (oc / nc, (oc % nc) * COLS);
            let grp = &parts[oc * nb..(oc + 1) * nb];
            for (i, slot) in out[o * inner + c0..][..grp[0].len()].iter_mut().enumerate() {
                *slot = tree(0, nb, &|b| grp[b][i], &comb);
            }
        }
        out
    }

    /// Turns values in buffer order into the output array of `out_shape`.
    pub(crate) fn finish<D: Copy + Send + Sync>(
        &self,
        vals: Vec<D>,
        out_shape: &[usize],
    ) -> Arr<D> {
        let arr =
            ArrayD::from_shape_vec(IxDyn(&self.out_dims), vals).expect("one value per output");
        let mut perm: Vec<usize> = (0..self.out_axes.len()).collect();
        perm.sort_by_key(|&j| self.out_axes[j]);
        let arr = if perm.iter().enumerate().all(|(i, &p)| i == p) {
            arr.into_shared()
        } else {
            map_array(&arr.view().permuted_axes(perm), |x: D| x)
        };
        arr.into_shape_with_order(IxDyn(out_shape))
            .expect("same number of elements")
    }
}

// ---------------------------------------------------------------------------------------------
// Axis handling
// ---------------------------------------------------------------------------------------------

/// What a reduction does to a shape.
pub(crate) struct Spec {
    reduced: Vec<bool>,
    out_shape: Vec<usize>,
    /// Elements per output.
    count: usize,
    out_size: usize,
}

fn spec(op: &str, shape: &[usize], axis: Option<&[i64]>, keepdims: bool) -> Result<Spec> {
    let nd = shape.len();
    let mut reduced = vec![axis.is_none(); nd];
    if let Some(ax) = axis {
        for a in normalize_axes(op, ax, nd)? {
            reduced[a] = true;
        }
    }
    let mut out_shape = Vec::with_capacity(nd);
    let mut count = 1;
    for (i, &d) in shape.iter().enumerate() {
        if reduced[i] {
            count *= d;
            if keepdims {
                out_shape.push(1);
            }
        } else {
            out_shape.push(d);
        }
    }
    let out_size = out_shape.iter().product();
    Ok(Spec {
        reduced,
        out_shape,
        count,
        out_size,
    })
}

/// Handles empty inputs: no outputs, or outputs over nothing (filled with `empty()`).
fn early<D: Elem>(
    sp: &Spec,
    size: usize,
    empty: impl FnOnce() -> Result<D>,
) -> Result<Option<Arr<D>>> {
    if sp.count == 0 {
        let v = empty()?;
        return Ok(Some(
            ArrayD::from_elem(IxDyn(&sp.out_shape), v).into_shared(),
        ));
    }
    if size == 0 || sp.out_size == 0 {
        return Ok(Some(
            ArrayD::from_elem(IxDyn(&sp.out_shape), D::zero()).into_shared(),
        ));
    }
    Ok(None)
}

/// A one-pass reduction: fold with `comb(acc, conv(x))`, finish each output with `fin`.
#[allow(clippy::too_many_arguments)]
fn simple<T, A, D>(
    a: &Arr<T>,
    sp: &Spec,
    init: A,
    comb: impl Fn(A, A) -> A + Sync + Send + Copy,
    conv: impl Fn(T) -> A + Sync + Send + Copy,
    fin: impl Fn(A) -> D,
    empty: impl FnOnce() -> Result<D>,
) -> Result<Tensor>
where
    T: Elem,
    A: Copy + Send + Sync,
    D: Elem,
{
    if let Some(e) = early(sp, a.len(), empty)? {
        return Ok(D::wrap(e));
    }
    let lay = plan(a, &sp.reduced);
    let acc = lay.run(
        init,
        move |s, x, _, _| comb(s, conv(x)),
        comb,
        should_parallelize(a.len()),
    );
    Ok(D::wrap(
        lay.finish(acc.into_iter().map(fin).collect(), &sp.out_shape),
    ))
}

/// Runs `$body` with `$a` the typed array, `$A` the accumulator type and `$D` the output type of
/// one dtype family.
macro_rules! family {
    ($x:expr, $a:ident, $A:ident, $D:ident, { $($V:ident => ($AT:ty, $DT:ty)),* $(,)? }, $body:expr) => {
        match $x {
            $( Tensor::$V($a) => { type $A = $AT; type $D = $DT; $body } )*
        }
    };
}

/// sum/prod: bool and uint8 -> int32 (lamina has no uint32), other ints keep their dtype,
/// half floats accumulate in f32.
macro_rules! sum_family {
    ($x:expr, $a:ident, $A:ident, $D:ident, $body:expr) => {
        family!($x, $a, $A, $D, { Bool => (i32, i32), U8 => (i32, i32), I32 => (i32, i32), I64 => (i64, i64),
            F16 => (f32, f16), BF16 => (f32, bf16), F32 => (f32, f32), F64 => (f64, f64) }, $body)
    };
}
/// max/min: keep the dtype (half floats compare in f32).
macro_rules! keep_family {
    ($x:expr, $a:ident, $A:ident, $D:ident, $body:expr) => {
        family!($x, $a, $A, $D, { Bool => (bool, bool), U8 => (u8, u8), I32 => (i32, i32), I64 => (i64, i64),
            F16 => (f32, f16), BF16 => (f32, bf16), F32 => (f32, f32), F64 => (f64, f64) }, $body)
    };
}
/// mean/var/std/logsumexp: ints and bool -> float32 (computed in f64), half floats in f32.
macro_rules! float_family {
    ($x:expr, $a:ident, $A:ident, $D:ident, $body:expr) => {
        family!($x, $a, $A, $D, { Bool => (f64, f32), U8 => (f64, f32), I32 => (f64, f32), I64 => (f64, f32),
            F16 => (f32, f16), BF16 => (f32, bf16), F32 => (f32, f32), F64 => (f64, f64) }, $body)
    };
}

// ---------------------------------------------------------------------------------------------
// Public reductions
// ---------------------------------------------------------------------------------------------

/// Sum over `axis` (None: all axes). bool/uint8 -> int32; other dtypes are kept.
pub fn sum(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("sum", x.shape(), axis, keepdims)?;
    sum_family!(
        x,
        a,
        A,
        D,
        simple(
            a,
            &sp,
            A::zero(),
            <A as Arith>::add,
            conv::<_, A>,
            conv::<A, D>,
            || Ok(D::zero())
        )
    )
}

/// Product over `axis`. bool/uint8 -> int32; other dtypes are kept.
pub fn prod(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("prod", x.shape(), axis, keepdims)?;
    sum_family!(
        x,
        a,
        A,
        D,
        simple(
            a,
            &sp,
            A::one(),
            <A as Arith>::mul,
            conv::<_, A>,
            conv::<A, D>,
            || Ok(D::one())
        )
    )
}

/// Maximum over `axis`, propagating NaN; an empty reduction is a ValueError.
pub fn max(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    max_with_initial(x, axis, keepdims, None)
}

/// Minimum over `axis`, propagating NaN; an empty reduction is a ValueError.
pub fn min(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    min_with_initial(x, axis, keepdims, None)
}

fn no_identity(op: &str, shape: &[usize]) -> Error {
    let msg = format!(
        "zero-size array to reduction operation {op} which has no identity. Received: x.shape={}",
        fmt_shape(shape)
    );
    Error::value(op, msg)
}

/// `max` with Keras' `initial`: a value that takes part in every reduction (and makes empty
/// reductions valid).
pub fn max_with_initial(
    x: &Tensor,
    axis: Option<&[i64]>,
    keepdims: bool,
    initial: Option<f64>,
) -> Result<Tensor> {
    let sp = spec("max", x.shape(), axis, keepdims)?;
    keep_family!(x, a, A, D, {
        let init: A = initial.map(A::from_f64).unwrap_or_else(lowest::<A>);
        let empty = || {
            initial
                .map(D::from_f64)
                .ok_or_else(|| no_identity("max", x.shape()))
        };
        simple(
            a,
            &sp,
            init,
            nan_max::<A>,
            conv::<_, A>,
            conv::<A, D>,
            empty,
        )
    })
}

/// `min` with Keras' `initial`.
pub fn min_with_initial(
    x: &Tensor,
    axis: Option<&[i64]>,
    keepdims: bool,
    initial: Option<f64>,
) -> Result<Tensor> {
    let sp = spec("min", x.shape(), axis, keepdims)?;
    keep_family!(x, a, A, D, {
        let init: A = initial.map(A::from_f64).unwrap_or_else(highest::<A>);
        let empty = || {
            initial
                .map(D::from_f64)
                .ok_or_else(|| no_identity("min", x.shape()))
        };
        simple(
            a,
            &sp,
            init,
            nan_min::<A>,
            conv::<_, A>,
            conv::<A, D>,
            empty,
        )
    })
}

/// True where any element along `axis` is non-zero (NaN counts as true). Returns bool.
pub fn any(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("any", x.shape(), axis, keepdims)?;
    crate::dispatch!(x, a, T => simple(a, &sp, false, |p: bool, q: bool| p | q, |v: T| v != T::zero(), |b| b, || Ok(false)))
}

/// True where every element along `axis` is non-zero. Returns bool.
pub fn all(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("all", x.shape(), axis, keepdims)?;
    crate::dispatch!(x, a, T => simple(a, &sp, true, |p: bool, q: bool| p & q, |v: T| v != T::zero(), |b| b, || Ok(true)))
}

/// Arithmetic mean. ints/bool -> float32; half floats accumulate in f32; empty -> NaN.
pub fn mean(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("mean", x.shape(), axis, keepdims)?;
    float_family!(x, a, A, D, {
        let n = A::from_usize(sp.count);
        simple(
            a,
            &sp,
            A::zero(),
            |p: A, q: A| p + q,
            conv::<_, A>,
            move |s: A| conv::<A, D>(s / n),
            || Ok(D::from_f64(f64::NAN)),
        )
    })
}

/// Population variance (ddof 0), two-pass. ints/bool -> float32.
pub fn var(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("var", x.shape(), axis, keepdims)?;
    float_family!(x, a, A, D, Ok(D::wrap(var_t::<_, A, D>(a, &sp, false)?)))
}

/// Population standard deviation (ddof 0). ints/bool -> float32.
pub fn std(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("std", x.shape(), axis, keepdims)?;
    float_family!(x, a, A, D, Ok(D::wrap(var_t::<_, A, D>(a, &sp, true)?)))
}

fn var_t<T: Elem, C: Real, D: Elem>(a: &Arr<T>, sp: &Spec, sqrt: bool) -> Result<Arr<D>> {
    if let Some(e) = early(sp, a.len(), || Ok(D::from_f64(f64::NAN)))? {
        return Ok(e);
    }
    let lay = plan(a, &sp.reduced);
    let par = should_parallelize(a.len());
    let n = C::from_usize(sp.count);
    let add = |p: C, q: C| p + q;
    let sums = lay.run(C::zero(), move |s, x, _, _| s + conv::<T, C>(x), add, par);
    let means: Vec<C> = sums.into_iter().map(|s| s / n).collect();
    let m = &means;
    let sq = move |s: C, x: T, k: usize, _| (conv::<T, C>(x) - m[k]) * (conv::<T, C>(x) - m[k]) + s;
    let ss = lay.run(C::zero(), sq, add, par);
    let out = ss
        .into_iter()
        .map(|s| s / n)
        .map(|v| conv::<C, D>(if sqrt { v.sqrt() } else { v }))
        .collect();
    Ok(lay.finish(out, &sp.out_shape))
}

/// `log(sum(exp(x)))` over `axis`, computed stably (shifted by the maximum). ints/bool -> float32.
pub fn logsumexp(x: &Tensor, axis: Option<&[i64]>, keepdims: bool) -> Result<Tensor> {
    let sp = spec("logsumexp", x.shape(), axis, keepdims)?;
    float_family!(x, a, A, D, Ok(D::wrap(logsumexp_t::<_, A, D>(a, &sp)?)))
}

fn logsumexp_t<T: Elem, C: Real, D: Elem>(a: &Arr<T>, sp: &Spec) -> Result<Arr<D>> {
    if let Some(e) = early(sp, a.len(), || Ok(D::from_f64(f64::NEG_INFINITY)))? {
        return Ok(e);
    }
    let lay = plan(a, &sp.reduced);
    let par = should_parallelize(a.len());
    let maxes = lay.run(
        lowest::<C>(),
        move |s, x, _, _| nan_max(s, conv::<T, C>(x)),
        nan_max,
        par,
    );
    // An infinite or NaN maximum is not subtracted (all -inf stays -inf, +inf and NaN propagate).
    let shift: Vec<C> = maxes
        .into_iter()
        .map(|m| if m.is_finite() { m } else { C::zero() })
        .collect();
    let sh = &shift;
    let sums = lay.run(
        C::zero(),
        move |s, x, k, _| s + (conv::<T, C>(x) - sh[k]).exp(),
        |p, q| p + q,
        par,
    );
    let out = sums
        .into_iter()
        .zip(shift.iter())
        .map(|(s, &m)| conv::<C, D>(m + s.ln()))
        .collect();
    Ok(lay.finish(out, &sp.out_shape))
}

/// Index of the maximum along `axis` (None: of the flattened tensor), as int32. Ties and NaN go to
/// the first occurrence; `-0.0` counts as smaller than `0.0` (as Keras).
pub fn argmax(x: &Tensor, axis: Option<i64>, keepdims: bool) -> Result<Tensor> {
    arg_reduce::<true>("argmax", x, axis, keepdims)
}

/// Index of the minimum along `axis` (None: of the flattened tensor), as int32.
pub fn argmin(x: &Tensor, axis: Option<i64>, keepdims: bool) -> Result<Tensor> {
    arg_reduce::<false>("argmin", x, axis, keepdims)
}

fn arg_reduce<const MAX: bool>(
    op: &str,
    x: &Tensor,
    axis: Option<i64>,
    keepdims: bool,
) -> Result<Tensor> {
    let sp = match axis {
        None => spec(op, x.shape(), None, keepdims)?,
        Some(ax) => spec(op, x.shape(), Some(&[ax]), keepdims)?,
    };
    let empty = || {
        Err(Error::value(
            op,
            format!(
                "attempt to get {op} of an empty sequence. Received: x.shape={}",
                fmt_shape(x.shape())
            ),
        ))
    };
    if let Some(e) = early::<i32>(&sp, x.size(), empty)? {
        return Ok(Tensor::I32(e));
    }
    // Over all axes the index is into the row-major flattening: lay the tensor out that way.
    let x = if axis.is_none() {
        x.to_standard_layout()
    } else {
        x.clone()
    };
    Ok(Tensor::I32(
        crate::dispatch!(&x, a, T => arg_t::<T, MAX>(a, &sp)),
    ))
}

/// True when `p` is strictly preferable to `q` (NaN first, then larger/smaller, then +0 vs -0).
#[inline(always)]
fn beats<T: Elem + Arith, const MAX: bool>(p: T, q: T) -> bool {
    if q.is_nan() {
        return false;
    }
    if p.is_nan() {
        return true;
    }
    if p != q {
        return if MAX { p > q } else { p < q };
    }
    if T::DTYPE.is_float() && p == T::zero() {
        let (pn, qn) = (p.to_f64().is_sign_negative(), q.to_f64().is_sign_negative());
        return if MAX { qn && !pn } else { pn && !qn };
    }
    false
}

fn arg_t<T: Elem + Arith, const MAX: bool>(a: &Arr<T>, sp: &Spec) -> Arr<i32> {
    const NONE: usize = usize::MAX;
    let lay = plan(a, &sp.reduced);
    let comb = |u: (T, usize), v: (T, usize)| {
        if u.1 == NONE {
            v
        } else if v.1 == NONE || beats::<T, MAX>(u.0, v.0) {
            u
        } else if beats::<T, MAX>(v.0, u.0) || v.1 < u.1 {
            v
        } else {
            u
        }
    };
    // Within a run positions increase, so only a strictly better value replaces the accumulator.
    let fold = |acc: (T, usize), x: T, _, r| {
        if acc.1 == NONE || beats::<T, MAX>(x, acc.0) {
            (x, r)
        } else {
            acc
        }
    };
    let res = lay.run((T::zero(), NONE), fold, comb, should_parallelize(a.len()));
    lay.finish(
        res.into_iter().map(|(_, i)| i as i32).collect(),
        &sp.out_shape,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t32(shape: &[usize], v: Vec<f32>) -> Tensor {
        Tensor::from_vec(shape, v).unwrap()
    }
    fn iota(shape: &[usize]) -> Tensor {
        let n: usize = shape.iter().product();
        t32(shape, (0..n).map(|i| i as f32).collect())
    }
    fn transposed(t: &Tensor) -> Tensor {
        crate::map_same!(t, a, _T => a.clone().reversed_axes())
    }
    /// Reference sum over `axes` in f64 via a naive loop over the standard layout.
    fn naive_sum(t: &Tensor, axes: &[usize]) -> Vec<f64> {
        let a = crate::tensor::cast_array::<f64>(t);
        let shape = a.shape().to_vec();
        let out_shape: Vec<usize> = (0..shape.len())
            .filter(|i| !axes.contains(i))
            .map(|i| shape[i])
            .collect();
        let mut out = ArrayD::<f64>::zeros(IxDyn(&out_shape));
        for (idx, &v) in a.indexed_iter() {
            let o: Vec<usize> = (0..shape.len())
                .filter(|i| !axes.contains(i))
                .map(|i| idx[i])
                .collect();
            out[IxDyn(&o)] += v;
        }
        out.iter().copied().collect()
    }

    #[test]
    fn sums_over_every_axis_set_and_layout() {
        for shape in [vec![3usize, 5, 17], vec![2, 1, 40], vec![33, 20], vec![7]] {
            let base = iota(&shape);
            for t in [base.clone(), transposed(&base)] {
                let nd = t.ndim();
                for mask in 0..(1u32 << nd) {
                    let axes: Vec<usize> = (0..nd).filter(|i| mask & (1 << i) != 0).collect();
                    let ax: Vec<i64> = axes.iter().map(|&i| i as i64).collect();
                    let r = sum(&t, Some(&ax), false).unwrap();
                    let expect = naive_sum(&t, &axes);
                    assert_eq!(r.to_vec::<f64>(), expect, "shape {shape:?} axes {axes:?}");
                }
            }
        }
    }

    #[test]
    fn column_sums_use_the_strided_kernel() {
        let t = iota(&[1000, 40]);
        let lay = plan(t.array::<f32>().unwrap(), &[true, false]);
        assert_eq!((lay.outer, lay.red, lay.inner), (1, 1000, 40));
        let r = sum(&t, Some(&[0]), true).unwrap();
        assert_eq!(r.shape(), &[1, 40]);
        assert_eq!(r.to_vec::<f64>(), naive_sum(&t, &[0]));
    }

    #[test]
    fn keepdims_negative_axes_and_errors() {
        let t = iota(&[2, 3, 4]);
        let r = mean(&t, Some(&[-1, 0]), true).unwrap();
        assert_eq!(r.shape(), &[1, 3, 1]);
        assert_eq!(r.to_vec::<f32>(), vec![7.5, 11.5, 15.5]);
        assert!(matches!(
            sum(&t, Some(&[3]), false),
            Err(Error::Axis { .. })
        ));
        assert!(matches!(
            sum(&t, Some(&[1, -2]), false),
            Err(Error::Value { .. })
        ));
        let same = sum(&t, Some(&[]), false).unwrap();
        assert_eq!(same.shape(), &[2, 3, 4]);
        assert_eq!(same.to_vec::<f32>(), t.to_vec::<f32>());
        assert_eq!(
            sum(&Tensor::scalar(2.5f32), None, false)
                .unwrap()
                .to_vec::<f32>(),
            vec![2.5]
        );
    }

    #[test]
    fn dtypes_follow_keras() {
        let b = Tensor::from_vec(&[3], vec![true, false, true]).unwrap();
        assert_eq!(sum(&b, None, false).unwrap().dtype(), DType::I32);
        assert_eq!(sum(&b, None, false).unwrap().item_i64().unwrap(), 2);
        let u = Tensor::from_vec(&[3], vec![200u8, 100, 50]).unwrap();
        assert_eq!(sum(&u, None, false).unwrap().item_i64().unwrap(), 350);
        assert_eq!(max(&u, None, false).unwrap().dtype(), DType::U8);
        let i = Tensor::from_vec(&[4], vec![1i64, 2, 3, 4]).unwrap();
        assert_eq!(sum(&i, None, false).unwrap().dtype(), DType::I64);
        assert_eq!(mean(&i, None, false).unwrap().dtype(), DType::F32);
        assert_eq!(var(&i, None, false).unwrap().item_f64().unwrap(), 1.25);
        assert_eq!(std(&b, None, false).unwrap().dtype(), DType::F32);
        let h = Tensor::from_vec(
            &[3],
            vec![f16::from_f32(1.0), f16::from_f32(2.0), f16::from_f32(4.0)],
        )
        .unwrap();
        assert_eq!(mean(&h, None, false).unwrap().dtype(), DType::F16);
        assert_eq!(prod(&h, None, false).unwrap().item_f64().unwrap(), 8.0);
        assert_eq!(any(&h, None, false).unwrap().dtype(), DType::Bool);
    }

    #[test]
    fn empty_and_nan() {
        let e = Tensor::zeros(&[0, 3], DType::F32);
        assert_eq!(
            sum(&e, Some(&[0]), false).unwrap().to_vec::<f32>(),
            vec![0.0; 3]
        );
        assert_eq!(prod(&e, None, false).unwrap().to_vec::<f32>(), vec![1.0]);
        assert!(mean(&e, Some(&[0]), false).unwrap().to_vec::<f32>()[0].is_nan());
        assert_eq!(max(&e, Some(&[1]), false).unwrap().shape(), &[0]);
        let err = max(&e, Some(&[0]), false).unwrap_err();
        assert!(err.to_string().starts_with("max: zero-size array"), "{err}");
        assert_eq!(
            max_with_initial(&e, None, false, Some(5.0))
                .unwrap()
                .to_vec::<f32>(),
            vec![5.0]
        );
        assert!(argmax(&e, None, false).is_err());
        assert_eq!(argmax(&e, Some(1), false).unwrap().shape(), &[0]);
        assert!(all(&e, None, false).unwrap().to_vec::<bool>()[0]);
        let n = t32(&[4], vec![1.0, f32::NAN, 3.0, f32::NAN]);
        assert!(max(&n, None, false).unwrap().to_vec::<f32>()[0].is_nan());
        assert!(min(&n, None, false).unwrap().to_vec::<f32>()[0].is_nan());
        assert_eq!(argmax(&n, None, false).unwrap().item_i64().unwrap(), 1);
        assert_eq!(argmin(&n, None, false).unwrap().item_i64().unwrap(), 1);
        let inf = t32(&[2], vec![f32::NEG_INFINITY, f32::NEG_INFINITY]);
        assert_eq!(
            logsumexp(&inf, None, false).unwrap().to_vec::<f32>(),
            vec![f32::NEG_INFINITY]
        );
        let l = logsumexp(&t32(&[2], vec![1000.0, 1000.0]), None, false).unwrap();
        assert!((l.to_vec::<f32>()[0] - (1000.0 + 2f32.ln())).abs() < 1e-3);
    }

    #[test]
    fn argmax_axes_ties_and_layouts() {
        let t = t32(&[2, 3], vec![1.0, 5.0, 5.0, 7.0, 0.0, 7.0]);
        assert_eq!(
            argmax(&t, Some(1), false).unwrap().to_vec::<i32>(),
            vec![1, 0]
        );
        assert_eq!(
            argmax(&t, Some(0), false).unwrap().to_vec::<i32>(),
            vec![1, 0, 1]
        );
        assert_eq!(argmin(&t, Some(-1), true).unwrap().shape(), &[2, 1]);
        assert_eq!(argmax(&t, None, false).unwrap().item_i64().unwrap(), 3);
        let tt = transposed(&t); // [[1,7],[5,0],[5,7]]
        assert_eq!(argmax(&tt, None, false).unwrap().item_i64().unwrap(), 1);
        assert_eq!(
            argmin(&tt, Some(0), false).unwrap().to_vec::<i32>(),
            vec![0, 1]
        );
        let z = t32(&[2], vec![-0.0, 0.0]);
        assert_eq!(argmax(&z, None, false).unwrap().item_i64().unwrap(), 1);
        assert_eq!(argmin(&z, None, false).unwrap().item_i64().unwrap(), 0);
        let big: Vec<i64> = (0..100_000).map(|i| (i * 7919) % 100_003).collect();
        let bt = Tensor::from_vec(&[100_000], big.clone()).unwrap();
        let want = big
            .iter()
            .enumerate()
            .max_by_key(|(i, &v)| (v, std::cmp::Reverse(*i)))
            .unwrap()
            .0;
        assert_eq!(
            argmax(&bt, None, false).unwrap().item_i64().unwrap(),
            want as i64
        );
    }

    /// Pseudo-random f32 values with a wide dynamic range, so that summation order matters.
    fn noisy(n: usize) -> Vec<f32> {
        let mut s = 0x9E3779B97F4A7C15u64;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 1e3f32.powi((s % 4) as i32)
            })
            .collect()
    }

    #[test]
    fn serial_and_parallel_paths_are_bitwise_equal() {
        let v = noisy(3_000_000);
        let t = t32(&[3_000_000], v.clone());
        let a = t.array::<f32>().unwrap();
        for (shape, reduced) in [
            (vec![3_000_000usize], vec![true]),
            (vec![1500, 2000], vec![true, false]),
            (vec![3000, 1000], vec![false, true]),
        ] {
            let arr = a.clone().into_shape_with_order(IxDyn(&shape)).unwrap();
            let lay = plan(&arr, &reduced);
            let add = |p: f32, q: f32| p + q;
            let ser = lay.run(0f32, |s, x, _, _| s + x, add, false);
            let par = lay.run(0f32, |s, x, _, _| s + x, add, true);
            assert!(
                ser.iter()
                    .zip(&par)
                    .all(|(p, q)| p.to_bits() == q.to_bits()),
                "{shape:?}"
            );
        }
        // Public API: multi-threaded pool vs inside a 1-thread pool (where kernels stay serial).
        let ops: [fn(&Tensor) -> Tensor; 4] = [
            |t| sum(t, None, false).unwrap(),
            |t| mean(t, None, false).unwrap(),
            |t| var(t, None, false).unwrap(),
            |t| {
                sum(
                    &crate::tensor::Tensor::from_vec(&[1000, 3000], t.to_vec::<f32>()).unwrap(),
                    Some(&[0]),
                    false,
                )
                .unwrap()
            },
        ];
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        for op in ops {
            let multi = op(&t);
            let single = one.install(|| op(&t));
            assert!(multi.bit_eq(&single));
        }
        let exact: f64 = v.iter().map(|&x| x as f64).sum();
        let got = sum(&t, None, false).unwrap().item_f64().unwrap();
        assert!((got - exact).abs() <= 1e-5 * v.iter().map(|&x| (x as f64).abs()).sum::<f64>());
    }
}
