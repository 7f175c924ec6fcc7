//! The differentiable ops: each runs its kernel, then records itself on the tapes that track an
//! input (see [`record`](super::record)). The Python bindings call these, and so do the backward
//! rules, which is what makes gradients differentiable again (nested tapes).
use super::{record, would_record, Op, ReduceKind, Tracked};
use crate::dtype::DType;
use crate::error::{normalize_axes, normalize_axis, Error, Result};
use crate::kernels::dense::{self, DenseActivation};
use crate::kernels::elementwise::{self as el, BinaryOp, UnaryOp};
use crate::kernels::index::{self, IndexItem};
use crate::kernels::shape::{self as sh, PadMode, SplitSpec};
use crate::kernels::{gemm, nn, norm, reduce, sort};
use crate::tensor::Tensor;

/// An elementwise unary op.
pub fn unary(op: UnaryOp, x: &Tracked) -> Result<Tracked> {
    let y = Tracked::new(el::unary(op, x)?);
    record(&[x], &[&y], || {
        let (sx, sy) = backward_saves_unary(op);
        Ok(Op::Unary {
            op,
            x: sx.then(|| x.clone()),
            y: sy.then(|| y.clone()),
        })
    })?;
    Ok(y)
}

/// Which of (input, output) a unary op's backward reads.
fn backward_saves_unary(op: UnaryOp) -> (bool, bool) {
    use UnaryOp::*;
    match op {
        Exp | Expm1 | Tanh | Sigmoid | Tan | Reciprocal | Sqrt => (false, true),
        Rsqrt => (true, true),
        Negative | Floor | Ceil | Round | Trunc | Sign => (false, false),
        _ => (true, false),
    }
}

/// An elementwise binary op with broadcasting (both operands already resolved to tensors).
pub fn binary(op: BinaryOp, a: &Tracked, b: &Tracked) -> Result<Tracked> {
    let y = Tracked::new(el::binary(op, a, b)?);
    record(&[a, b], &[&y], || {
        use BinaryOp::*;
        let (sa, sb, sy) = match op {
            Add | Subtract | FloorDivide => (false, false, false),
            Divide => (false, true, true),
            Power => (true, true, true),
            _ => (true, true, false),
        };
        Ok(Op::Binary {
            op,
            a: sa.then(|| a.clone()),
            b: sb.then(|| b.clone()),
            y: sy.then(|| y.clone()),
        })
    })?;
    Ok(y)
}

/// `a + b`.
pub fn add(a: &Tracked, b: &Tracked) -> Result<Tracked> {
    binary(BinaryOp::Add, a, b)
}

/// `a - b`.
pub fn sub(a: &Tracked, b: &Tracked) -> Result<Tracked> {
    binary(BinaryOp::Subtract, a, b)
}

/// `a * b`.
pub fn mul(a: &Tracked, b: &Tracked) -> Result<Tracked> {
    binary(BinaryOp::Multiply, a, b)
}

/// `a / b`.
pub fn div(a: &Tracked, b: &Tracked) -> Result<Tracked> {
    binary(BinaryOp::Divide, a, b)
}

/// Adds two gradients of the same tensor. When no tape records the sum, it is computed in place
/// in `acc`'s buffer if nothing else holds it.
pub(crate) fn add_grads(acc: Tracked, g: &Tracked) -> Result<Tracked> {
    if acc.shape() == g.shape() && acc.dtype() == g.dtype() && !would_record(&[&acc, g]) {
        let Tracked { t, id } = acc;
        return match el::add_into(t, g) {
            Ok(sum) => Ok(Tracked::with_id(sum, id)),
            Err(t) => add(&Tracked::with_id(t, id), g),
        };
    }
    add(&acc, g)
}

/// Matrix product (numpy `matmul` rules).
pub fn matmul(a: &Tracked, b: &Tracked) -> Result<Tracked> {
    let y = Tracked::new(gemm::matmul(a, b)?);
    record(&[a, b], &[&y], || {
        Ok(Op::Matmul {
            a: a.clone(),
            b: b.clone(),
        })
    })?;
    Ok(y)
}

/// `act(x @ w + b)` as one kernel (the Dense layer); relu's backward mask is read from the output.
pub fn dense(
    x: &Tracked,
    w: &Tracked,
    b: Option<&Tracked>,
    act: DenseActivation,
) -> Result<Tracked> {
    let y = Tracked::new(dense::dense(x, w, b.map(|b| &b.t), act)?);
    let inputs: Vec<&Tracked> = [x, w].into_iter().chain(b).collect();
    record(&inputs, &[&y], || {
        Ok(Op::Dense {
            x: x.clone(),
            w: w.clone(),
            relu_out: (act == DenseActivation::Relu).then(|| y.t.clone()),
            bias: b.is_some(),
        })
    })?;
    Ok(y)
}

/// Layer normalization over the last axis (`gamma`/`beta` of shape `(n,)` optional), one kernel
/// forward and one backward.
pub fn layer_norm(
    x: &Tracked,
    gamma: Option<&Tracked>,
    beta: Option<&Tracked>,
    epsilon: f64,
) -> Result<Tracked> {
    let (y, mean, rstd) = norm::layer_norm(x, gamma.map(|t| &t.t), beta.map(|t| &t.t), epsilon)?;
    let y = Tracked::new(y);
    record_norm(false, x, gamma, beta, &y, mean, rstd, epsilon)?;
    Ok(y)
}

/// Batch normalization (training mode) over every axis but the last: returns the output and the
/// batch mean and (biased) variance of each feature, which are not differentiable.
pub fn batch_norm(
    x: &Tracked,
    gamma: Option<&Tracked>,
    beta: Option<&Tracked>,
    epsilon: f64,
) -> Result<(Tracked, Tensor, Tensor)> {
    let (y, mean, var, rstd) =
        norm::batch_norm(x, gamma.map(|t| &t.t), beta.map(|t| &t.t), epsilon)?;
    let y = Tracked::new(y);
    record_norm(true, x, gamma, beta, &y, mean.clone(), rstd, epsilon)?;
    Ok((y, mean, var))
}

#[allow(clippy::too_many_arguments)]
fn record_norm(
    batch: bool,
    x: &Tracked,
    gamma: Option<&Tracked>,
    beta: Option<&Tracked>,
    y: &Tracked,
    mean: Tensor,
    rstd: Tensor,
    epsilon: f64,
) -> Result<()> {
    let inputs: Vec<&Tracked> = [x].into_iter().chain(gamma).chain(beta).collect();
    record(&inputs, &[y], || {
        Ok(Op::Norm {
            batch,
            x: x.clone(),
            gamma: gamma.cloned(),
            beta: beta.is_some(),
            mean,
            rstd,
            epsilon,
        })
    })
}

/// `where(cond, a, b)`; the condition is not differentiable.
pub fn where_(cond: &Tensor, a: &Tracked, b: &Tracked) -> Result<Tracked> {
    let y = Tracked::new(el::where_(cond, a, b)?);
    record(&[a, b], &[&y], || Ok(Op::Where { cond: cond.clone() }))?;
    Ok(y)
}

/// Clips `x` to `[lo, hi]`; the gradient flows where `x` is inside the bounds.
pub fn clip(x: &Tracked, lo: &Tensor, hi: &Tensor) -> Result<Tracked> {
    let y = Tracked::new(el::clip(x, lo, hi)?);
    record(&[x], &[&y], || {
        Ok(Op::Clip {
            x: x.clone(),
            lo: lo.clone(),
            hi: hi.clone(),
        })
    })?;
    Ok(y)
}

/// Casts to `dtype` (the same tensor, same id, when it already has it). Only float-to-float
/// casts carry a gradient.
pub fn cast(x: &Tracked, dtype: DType) -> Result<Tracked> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    let y = Tracked::new(x.cast(dtype));
    record(&[x], &[&y], || Ok(Op::Cast))?;
    Ok(y)
}

/// Identity whose result the tape never differentiates through.
pub fn stop_gradient(x: &Tracked) -> Tracked {
    Tracked::new(x.t.clone())
}

/// The reductions with a gradient (sum, mean, var, std, prod, max, min, logsumexp).
pub fn reduce(
    kind: ReduceKind,
    x: &Tracked,
    axis: Option<&[i64]>,
    keepdims: bool,
) -> Result<Tracked> {
    let f = match kind {
        ReduceKind::Sum => reduce::sum,
        ReduceKind::Mean => reduce::mean,
        ReduceKind::Var => reduce::var,
        ReduceKind::Std => reduce::std,
        ReduceKind::Prod => reduce::prod,
        ReduceKind::Max => reduce::max,
        ReduceKind::Min => reduce::min,
        ReduceKind::LogSumExp => reduce::logsumexp,
    };
    let y = Tracked::new(f(x, axis, keepdims)?);
    record(&[x], &[&y], || {
        let axes = match axis {
            None => (0..x.ndim()).collect(),
            Some(a) => normalize_axes(kind.name(), a, x.ndim())?,
        };
        let (sx, sy) = match kind {
            ReduceKind::Sum | ReduceKind::Mean => (false, false),
            ReduceKind::Var => (true, false),
            _ => (true, true),
        };
        Ok(Op::Reduce {
            kind,
            x: sx.then(|| x.clone()),
            y: sy.then(|| y.clone()),
            axes,
        })
    })?;
    Ok(y)
}

/// `sum(x, axis, keepdims)`.
pub fn sum(x: &Tracked, axis: Option<&[i64]>, keepdims: bool) -> Result<Tracked> {
    reduce(ReduceKind::Sum, x, axis, keepdims)
}

/// Softmax over `axes`.
pub fn softmax(x: &Tracked, axes: &[i64]) -> Result<Tracked> {
    let y = Tracked::new(nn::softmax_axes(x, axes)?);
    record(&[x], &[&y], || {
        Ok(Op::Softmax {
            y: y.clone(),
            axes: axes.to_vec(),
            log: false,
        })
    })?;
    Ok(y)
}

/// Log-softmax over `axes`.
pub fn log_softmax(x: &Tracked, axes: &[i64]) -> Result<Tracked> {
    let y = Tracked::new(nn::log_softmax_axes(x, axes)?);
    record(&[x], &[&y], || {
        Ok(Op::Softmax {
            y: y.clone(),
            axes: axes.to_vec(),
            log: true,
        })
    })?;
    Ok(y)
}

fn reshaped(x: &Tracked, y: Tensor) -> Result<Tracked> {
    let y = Tracked::new(y);
    record(&[x], &[&y], || Ok(Op::Reshape))?;
    Ok(y)
}

/// Row-major reshape (one entry may be -1).
pub fn reshape(x: &Tracked, newshape: &[i64]) -> Result<Tracked> {
    reshaped(x, sh::reshape(x, newshape)?)
}

/// Reshape to a known shape.
pub(crate) fn reshape_to(x: &Tracked, shape: &[usize]) -> Result<Tracked> {
    if x.shape() == shape {
        return Ok(x.clone());
    }
    let s: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
    reshape(x, &s)
}

/// Flattens to 1-D.
pub fn ravel(x: &Tracked) -> Result<Tracked> {
    reshaped(x, sh::ravel(x))
}

/// Inserts unit axes.
pub fn expand_dims(x: &Tracked, axes: &[i64]) -> Result<Tracked> {
    reshaped(x, sh::expand_dims(x, axes)?)
}

/// Removes unit axes.
pub fn squeeze(x: &Tracked, axes: Option<&[i64]>) -> Result<Tracked> {
    reshaped(x, sh::squeeze(x, axes)?)
}

/// Permutes the axes (reverses them for `None`).
pub fn transpose(x: &Tracked, axes: Option<&[i64]>) -> Result<Tracked> {
    let y = Tracked::new(sh::transpose(x, axes)?);
    record(&[x], &[&y], || {
        let perm = match axes {
            None => (0..x.ndim()).rev().collect(),
            Some(a) => in_order("transpose", a, x.ndim())?,
        };
        Ok(Op::Transpose { perm })
    })?;
    Ok(y)
}

/// Normalises axes keeping their order (`normalize_axes` sorts them).
fn in_order(op: &str, axes: &[i64], nd: usize) -> Result<Vec<usize>> {
    axes.iter().map(|&a| normalize_axis(op, a, nd)).collect()
}

/// Swaps the last two axes (for matmul gradients).
pub(crate) fn swap_last(x: &Tracked) -> Result<Tracked> {
    let n = x.ndim() as i64;
    let mut perm: Vec<i64> = (0..n).collect();
    perm.swap(n as usize - 1, n as usize - 2);
    transpose(x, Some(&perm))
}

/// Moves axes `source` to positions `destination`.
pub fn moveaxis(x: &Tracked, source: &[i64], destination: &[i64]) -> Result<Tracked> {
    let y = sh::moveaxis(x, source, destination)?;
    let nd = x.ndim();
    if !would_record(&[x]) {
        return Ok(Tracked::new(y));
    }
    let src = in_order("moveaxis", source, nd)?;
    let dst = in_order("moveaxis", destination, nd)?;
    let mut order: Vec<usize> = (0..nd).filter(|a| !src.contains(a)).collect();
    let mut pairs: Vec<(usize, usize)> = dst.into_iter().zip(src).collect();
    pairs.sort();
    for (d, s) in pairs {
        order.insert(d, s);
    }
    let perm: Vec<i64> = order.iter().map(|&a| a as i64).collect();
    transpose(x, Some(&perm))
}

/// Swaps two axes.
pub fn swapaxes(x: &Tracked, axis1: i64, axis2: i64) -> Result<Tracked> {
    let nd = x.ndim();
    let a = normalize_axis("swapaxes", axis1, nd)?;
    let b = normalize_axis("swapaxes", axis2, nd)?;
    let mut perm: Vec<i64> = (0..nd as i64).collect();
    perm.swap(a, b);
    transpose(x, Some(&perm))
}

/// Broadcasts to `shape`.
pub fn broadcast_to(x: &Tracked, shape: &[i64]) -> Result<Tracked> {
    let y = Tracked::new(sh::broadcast_to(x, shape)?);
    record(&[x], &[&y], || Ok(Op::BroadcastTo))?;
    Ok(y)
}

/// Sums `g` down to `shape` (the inverse of broadcasting `shape` to `g.shape`).
pub fn sum_to_shape(g: &Tracked, shape: &[usize]) -> Result<Tracked> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let gs = g.shape();
    if gs.len() < shape.len() {
        return Err(Error::Internal(format!(
            "sum_to_shape: cannot reduce {:?} to {:?}",
            gs, shape
        )));
    }
    let lead = gs.len() - shape.len();
    let mut axes: Vec<i64> = (0..lead as i64).collect();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && gs[lead + i] != 1 {
            axes.push((lead + i) as i64);
        }
    }
    let s = sum(g, Some(&axes), false)?;
    reshape_to(&s, shape)
}

/// Concatenates along `axis` (`None`: the flattened tensors).
pub fn concatenate(xs: &[Tracked], axis: Option<i64>) -> Result<Tracked> {
    let Some(axis) = axis else {
        let flat = xs.iter().map(ravel).collect::<Result<Vec<_>>>()?;
        return concatenate(&flat, Some(0));
    };
    let ts: Vec<Tensor> = xs.iter().map(|x| x.t.clone()).collect();
    let y = Tracked::new(sh::concatenate(&ts, Some(axis))?);
    let refs: Vec<&Tracked> = xs.iter().collect();
    record(&refs, &[&y], || {
        let ax = normalize_axis("concatenate", axis, y.ndim())?;
        Ok(Op::Concat {
            axis: ax,
            sizes: xs.iter().map(|x| x.shape()[ax]).collect(),
        })
    })?;
    Ok(y)
}

/// Stacks along a new axis.
pub fn stack(xs: &[Tracked], axis: i64) -> Result<Tracked> {
    let refs: Vec<&Tracked> = xs.iter().collect();
    if would_record(&refs) && !xs.is_empty() {
        // Check shapes with the kernel's own error, then stack as expand_dims + concatenate.
        let ts: Vec<Tensor> = xs.iter().map(|x| x.t.clone()).collect();
        sh::stack(&ts, axis)?;
        let nd = xs[0].ndim() as i64 + 1;
        let ax = if axis < 0 { axis + nd } else { axis };
        let parts = xs
            .iter()
            .map(|x| expand_dims(x, &[ax]))
            .collect::<Result<Vec<_>>>()?;
        return concatenate(&parts, Some(ax));
    }
    let ts: Vec<Tensor> = xs.iter().map(|x| x.t.clone()).collect();
    Ok(Tracked::new(sh::stack(&ts, axis)?))
}

/// Splits along `axis`.
pub fn split(x: &Tracked, spec: &SplitSpec, axis: i64) -> Result<Vec<Tracked>> {
    let parts: Vec<Tracked> = sh::split(x, spec, axis)?
        .into_iter()
        .map(Tracked::new)
        .collect();
    let outs: Vec<&Tracked> = parts.iter().collect();
    record(&[x], &outs, || {
        Ok(Op::Split {
            axis: normalize_axis("split", axis, x.ndim())?,
        })
    })?;
    Ok(parts)
}

/// An op whose output copies input elements (or zeros): its gradient scatters back through the
/// index map that `map_fn` builds from `arange(x.size).reshape(x.shape)`.
fn gathered(
    x: &Tracked,
    y: Tensor,
    map_fn: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<Tracked> {
    let y = Tracked::new(y);
    record(&[x], &[&y], || {
        let map = map_fn(&index::index_map_source(x.shape()))?;
        Ok(Op::Gather { map })
    })?;
    Ok(y)
}

/// `out.flat[i] = x.flat[map[i]]` (0 where `map[i] == -1`).
pub fn gather_flat(x: &Tracked, map: &Tensor) -> Result<Tracked> {
    gathered(x, index::gather_flat(x, map)?, |_| Ok(map.clone()))
}

/// `zeros(shape)` with `g[i]` added at `map[i]`.
pub fn scatter_add_flat(g: &Tracked, map: &Tensor, shape: &[usize]) -> Result<Tracked> {
    let y = Tracked::new(index::scatter_add_flat(g, map, shape)?);
    record(&[g], &[&y], || Ok(Op::Scatter { map: map.clone() }))?;
    Ok(y)
}

/// Tiles `x`.
pub fn tile(x: &Tracked, repeats: &[i64]) -> Result<Tracked> {
    gathered(x, sh::tile(x, repeats)?, |m| sh::tile(m, repeats))
}

/// Repeats elements along `axis`.
pub fn repeat(x: &Tracked, repeats: &[i64], axis: Option<i64>) -> Result<Tracked> {
    gathered(x, sh::repeat(x, repeats, axis)?, |m| {
        sh::repeat(m, repeats, axis)
    })
}

/// Pads `x`; padding elements carry no gradient.
pub fn pad(
    x: &Tracked,
    pad_width: &[(i64, i64)],
    mode: PadMode,
    constant: Option<f64>,
) -> Result<Tracked> {
    gathered(x, sh::pad(x, pad_width, mode, constant)?, |m| {
        let c = matches!(mode, PadMode::Constant).then_some(-1.0);
        sh::pad(m, pad_width, mode, c)
    })
}

/// Reverses the order of elements along `axes`.
pub fn flip(x: &Tracked, axes: Option<&[i64]>) -> Result<Tracked> {
    gathered(x, sh::flip(x, axes)?, |m| sh::flip(m, axes))
}

/// A static slice.
pub fn slice(x: &Tracked, start: &[i64], shape: &[i64]) -> Result<Tracked> {
    gathered(x, index::slice(x, start, shape)?, |m| {
        index::slice(m, start, shape)
    })
}

/// numpy-style indexing.
pub fn getitem(x: &Tracked, items: &[IndexItem]) -> Result<Tracked> {
    gathered(x, index::getitem(x, items)?, |m| index::getitem(m, items))
}

/// `take(x, indices, axis)`.
pub fn take(x: &Tracked, indices: &Tensor, axis: Option<i64>) -> Result<Tracked> {
    gathered(x, index::take(x, indices, axis)?, |m| {
        index::take(m, indices, axis)
    })
}

/// `take_along_axis(x, indices, axis)`.
pub fn take_along_axis(x: &Tracked, indices: &Tensor, axis: Option<i64>) -> Result<Tracked> {
    gathered(x, index::take_along_axis(x, indices, axis)?, |m| {
        index::take_along_axis(m, indices, axis)
    })
}

/// Sorts along `axis` (`None`: the flattened tensor).
pub fn sort(x: &Tracked, axis: Option<i64>) -> Result<Tracked> {
    gathered(x, sort::sort(x, axis)?, |m| {
        let order = sort::argsort(x, axis)?;
        index::take_along_axis(m, &order, axis)
    })
}

/// The `k` largest entries along the last axis and their indices.
pub fn top_k(x: &Tracked, k: i64, sorted: bool) -> Result<(Tracked, Tracked)> {
    let (v, i) = sort::top_k(x, k, sorted)?;
    let idx = i.clone();
    let v = gathered(x, v, |m| index::take_along_axis(m, &idx, Some(-1)))?;
    Ok((v, Tracked::new(i)))
}

/// Cumulative sum along `axis` (`None`: of the flattened tensor).
pub fn cumsum(x: &Tracked, axis: Option<i64>, dtype: Option<DType>) -> Result<Tracked> {
    let y = Tracked::new(sort::cumsum(x, axis, dtype)?);
    record(&[x], &[&y], || {
        Ok(Op::Cumsum {
            axis: axis
                .map(|a| normalize_axis("cumsum", a, x.ndim()))
                .transpose()?,
        })
    })?;
    Ok(y)
}

/// Cumulative product along `axis` (`None`: of the flattened tensor).
pub fn cumprod(x: &Tracked, axis: Option<i64>, dtype: Option<DType>) -> Result<Tracked> {
    let y = Tracked::new(sort::cumprod(x, axis, dtype)?);
    record(&[x], &[&y], || {
        Ok(Op::Cumprod {
            x: x.clone(),
            y: y.clone(),
            axis: axis
                .map(|a| normalize_axis("cumprod", a, x.ndim()))
                .transpose()?,
        })
    })?;
    Ok(y)
}

/// A 0-d constant of `like`'s dtype.
pub(crate) fn scalar_like(v: f64, like: &Tensor) -> Tracked {
    Tracked::new(Tensor::scalar(v).cast(like.dtype()))
}
