//! The recorded ops and their backward rules. Every rule is written with the differentiable ops
//! of [`ops`](super::ops), so a tape that records during a backward pass gets the gradient's
//! own graph (higher derivatives). Rules return one gradient per input, shaped like the input
//! (broadcasting is undone here); the caller casts to the input's dtype.
use super::ops::{self, add, div, mul, reshape_to, scalar_like, sub, sum_to_shape};
use super::{Meta, Tracked};
use crate::error::{Error, Result};
use crate::kernels::broadcast::broadcast_shapes;
use crate::kernels::elementwise::{self as el, BinaryOp, UnaryOp};
use crate::kernels::shape::SplitSpec;
use crate::kernels::{dense, norm};
use crate::tensor::Tensor;

/// The reductions with a gradient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ReduceKind {
    Sum,
    Mean,
    Var,
    Std,
    Prod,
    Max,
    Min,
    LogSumExp,
}

impl ReduceKind {
    /// The op's Keras name.
    pub fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Mean => "mean",
            ReduceKind::Var => "var",
            ReduceKind::Std => "std",
            ReduceKind::Prod => "prod",
            ReduceKind::Max => "max",
            ReduceKind::Min => "min",
            ReduceKind::LogSumExp => "logsumexp",
        }
    }
}

/// A recorded op with what its backward rule needs (inputs or outputs it saved).
#[derive(Clone)]
pub(crate) enum Op {
    Unary {
        op: UnaryOp,
        x: Option<Tracked>,
        y: Option<Tracked>,
    },
    Binary {
        op: BinaryOp,
        a: Option<Tracked>,
        b: Option<Tracked>,
        y: Option<Tracked>,
    },
    Matmul {
        a: Tracked,
        b: Tracked,
    },
    Where {
        cond: Tensor,
    },
    /// Layer (per row) or batch (per column) normalization over the last axis, with the
    /// statistics the forward pass computed.
    Norm {
        batch: bool,
        x: Tracked,
        gamma: Option<Tracked>,
        beta: bool,
        mean: Tensor,
        rstd: Tensor,
        epsilon: f64,
    },
    /// `act(x @ w + b)`; `relu_out` is the output when the activation is relu (its mask).
    Dense {
        x: Tracked,
        w: Tracked,
        relu_out: Option<Tensor>,
        bias: bool,
    },
    Clip {
        x: Tracked,
        lo: Tensor,
        hi: Tensor,
    },
    Cast,
    Reshape,
    Transpose {
        perm: Vec<usize>,
    },
    BroadcastTo,
    Reduce {
        kind: ReduceKind,
        x: Option<Tracked>,
        y: Option<Tracked>,
        axes: Vec<usize>,
    },
    Softmax {
        y: Tracked,
        axes: Vec<i64>,
        log: bool,
    },
    Concat {
        axis: usize,
        sizes: Vec<usize>,
    },
    Split {
        axis: usize,
    },
    Gather {
        map: Tensor,
    },
    Scatter {
        map: Tensor,
    },
    Cumsum {
        axis: Option<usize>,
    },
    Cumprod {
        x: Tracked,
        y: Tracked,
        axis: Option<usize>,
    },
}

impl Op {
    /// A short name for error messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Unary { op, .. } => op.name(),
            Op::Binary { op, .. } => op.name(),
            Op::Matmul { .. } => "matmul",
            Op::Where { .. } => "where",
            Op::Dense { .. } => "dense",
            Op::Norm { batch: true, .. } => "batch_norm",
            Op::Norm { batch: false, .. } => "layer_norm",
            Op::Clip { .. } => "clip",
            Op::Cast => "cast",
            Op::Reshape => "reshape",
            Op::Transpose { .. } => "transpose",
            Op::BroadcastTo => "broadcast_to",
            Op::Reduce { kind, .. } => kind.name(),
            Op::Softmax { log: false, .. } => "softmax",
            Op::Softmax { log: true, .. } => "log_softmax",
            Op::Concat { .. } => "concatenate",
            Op::Split { .. } => "split",
            Op::Gather { .. } => "gather",
            Op::Scatter { .. } => "scatter_add",
            Op::Cumsum { .. } => "cumsum",
            Op::Cumprod { .. } => "cumprod",
        }
    }
}

fn saved<'a>(t: &'a Option<Tracked>, op: &Op) -> Result<&'a Tracked> {
    t.as_ref().ok_or_else(|| {
        Error::Internal(format!(
            "backward of {}: a saved tensor is missing",
            op.name()
        ))
    })
}

fn un(op: UnaryOp, x: &Tracked) -> Result<Tracked> {
    ops::unary(op, x)
}

fn neg(x: &Tracked) -> Result<Tracked> {
    ops::unary(UnaryOp::Negative, x)
}

fn c(v: f64, like: &Tensor) -> Tracked {
    scalar_like(v, like)
}

/// A non-differentiable 0/1 mask in `like`'s dtype.
fn mask(m: Tensor, like: &Tensor) -> Tracked {
    Tracked::new(m.cast(like.dtype()))
}

fn cmp(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    el::binary(op, a, b)
}

/// `g * f` where `f` is the local derivative.
fn chain(g: &Tracked, f: Result<Tracked>) -> Result<Option<Tracked>> {
    Ok(Some(mul(g, &f?)?))
}

fn unary_rule(
    op: UnaryOp,
    x: &Option<Tracked>,
    y: &Option<Tracked>,
    g: &Tracked,
    this: &Op,
) -> Result<Option<Tracked>> {
    use UnaryOp::*;
    let x = || saved(x, this);
    let y = || saved(y, this);
    let sqrt_of = |t: Result<Tracked>| -> Result<Tracked> { un(Sqrt, &t?) };
    match op {
        Negative => Ok(Some(neg(g)?)),
        Abs => chain(g, Ok(mask(el::unary(Sign, x()?)?, g))),
        Square => chain(g, mul(&c(2.0, g), x()?)),
        Relu => chain(
            g,
            Ok(mask(
                cmp(
                    BinaryOp::Greater,
                    x()?,
                    &Tensor::scalar(0.0).cast(g.dtype()),
                )?,
                g,
            )),
        ),
        Sqrt => Ok(Some(div(&mul(g, &c(0.5, g))?, y()?)?)),
        Rsqrt => chain(g, mul(&c(-0.5, g), &div(y()?, x()?)?)),
        Exp => chain(g, Ok(y()?.clone())),
        Expm1 => chain(g, add(y()?, &c(1.0, g))),
        Log => Ok(Some(div(g, x()?)?)),
        Log1p => Ok(Some(div(g, &add(x()?, &c(1.0, g))?)?)),
        Log2 => Ok(Some(div(g, &mul(x()?, &c(std::f64::consts::LN_2, g))?)?)),
        Log10 => Ok(Some(div(g, &mul(x()?, &c(std::f64::consts::LN_10, g))?)?)),
        Sin => chain(g, un(Cos, x()?)),
        Cos => chain(g, neg(&un(Sin, x()?)?)),
        Tan => chain(g, add(&c(1.0, g), &un(Square, y()?)?)),
        Tanh => chain(g, sub(&c(1.0, g), &un(Square, y()?)?)),
        Sigmoid => chain(g, mul(y()?, &sub(&c(1.0, g), y()?)?)),
        Softplus => chain(g, un(Sigmoid, x()?)),
        Erf => chain(
            g,
            mul(
                &c(std::f64::consts::FRAC_2_SQRT_PI, g),
                &un(Exp, &neg(&un(Square, x()?)?)?)?,
            ),
        ),
        Reciprocal => chain(g, neg(&un(Square, y()?)?)),
        Arcsin => Ok(Some(div(
            g,
            &sqrt_of(sub(&c(1.0, g), &un(Square, x()?)?))?,
        )?)),
        Arccos => Ok(Some(neg(&div(
            g,
            &sqrt_of(sub(&c(1.0, g), &un(Square, x()?)?))?,
        )?)?)),
        Arctan => Ok(Some(div(g, &add(&c(1.0, g), &un(Square, x()?)?)?)?)),
        Sinh => chain(g, un(Cosh, x()?)),
        Cosh => chain(g, un(Sinh, x()?)),
        Arcsinh => Ok(Some(div(
            g,
            &sqrt_of(add(&un(Square, x()?)?, &c(1.0, g)))?,
        )?)),
        Arccosh => Ok(Some(div(
            g,
            &sqrt_of(sub(&un(Square, x()?)?, &c(1.0, g)))?,
        )?)),
        Arctanh => Ok(Some(div(g, &sub(&c(1.0, g), &un(Square, x()?)?)?)?)),
        // Piecewise constant: no gradient (as TensorFlow); boolean outputs are never recorded.
        Floor | Ceil | Round | Trunc | Sign | LogicalNot | IsNan | IsFinite | IsInf => Ok(None),
    }
}

fn binary_rule(
    op: BinaryOp,
    a: &Option<Tracked>,
    b: &Option<Tracked>,
    y: &Option<Tracked>,
    g: &Tracked,
    needs: &[bool],
    this: &Op,
) -> Result<(Option<Tracked>, Option<Tracked>)> {
    use BinaryOp::*;
    let a = || saved(a, this);
    let b = || saved(b, this);
    let y = || saved(y, this);
    let (na, nb) = (needs[0], needs[1]);
    let when = |need: bool, f: &dyn Fn() -> Result<Tracked>| -> Result<Option<Tracked>> {
        if need {
            f().map(Some)
        } else {
            Ok(None)
        }
    };
    Ok(match op {
        Add => (Some(g.clone()), Some(g.clone())),
        Subtract => (Some(g.clone()), when(nb, &|| neg(g))?),
        Multiply => (when(na, &|| mul(g, b()?))?, when(nb, &|| mul(g, a()?))?),
        Divide => (
            when(na, &|| div(g, b()?))?,
            when(nb, &|| neg(&div(&mul(g, y()?)?, b()?)?))?,
        ),
        Power => (
            when(na, &|| {
                let b = b()?;
                mul(
                    g,
                    &mul(b, &ops::binary(Power, a()?, &sub(b, &c(1.0, b))?)?)?,
                )
            })?,
            when(nb, &|| {
                // d/db a^b = a^b log(a), taken as 0 where a <= 0.
                let a = a()?;
                let pos = cmp(Greater, a, &Tensor::scalar(0.0).cast(a.dtype()))?;
                let safe = ops::where_(&pos, a, &c(1.0, a))?;
                let log_a = ops::where_(&pos, &un(UnaryOp::Log, &safe)?, &c(0.0, a))?;
                mul(g, &mul(y()?, &log_a)?)
            })?,
        ),
        Maximum | Minimum => {
            // The gradient goes to the larger (smaller) operand; ties split it equally.
            let (a, b) = (a()?, b()?);
            let wins = cmp(if op == Maximum { Greater } else { Less }, a, b)?;
            let ties = cmp(Equal, a, b)?;
            let wa = add(&mask(wins, g), &mul(&mask(ties, g), &c(0.5, g))?)?;
            (
                when(na, &|| mul(g, &wa))?,
                when(nb, &|| mul(g, &sub(&c(1.0, g), &wa)?))?,
            )
        }
        Mod => (
            Some(g.clone()),
            when(nb, &|| {
                let q = el::unary(UnaryOp::Floor, &el::binary(Divide, a()?, b()?)?)?;
                neg(&mul(g, &Tracked::new(q))?)
            })?,
        ),
        // Piecewise constant in both operands; comparisons and logic give bool (never recorded).
        _ => (None, None),
    })
}

fn matmul_rule(
    a: &Tracked,
    b: &Tracked,
    g: &Tracked,
    needs: &[bool],
) -> Result<(Option<Tracked>, Option<Tracked>)> {
    // Promote 1-D operands as numpy does, work on the batched 2-D forms, then undo.
    let a2 = if a.ndim() == 1 {
        reshape_to(a, &[1, a.shape()[0]])?
    } else {
        a.clone()
    };
    let b2 = if b.ndim() == 1 {
        reshape_to(b, &[b.shape()[0], 1])?
    } else {
        b.clone()
    };
    let (ra, rb) = (a2.ndim(), b2.ndim());
    let mut gshape = broadcast_shapes("matmul", &a2.shape()[..ra - 2], &b2.shape()[..rb - 2])?;
    gshape.push(a2.shape()[ra - 2]);
    gshape.push(b2.shape()[rb - 1]);
    let g2 = reshape_to(g, &gshape)?;
    let ga = if needs[0] {
        let ga2 = ops::matmul(&g2, &ops::swap_last(&b2)?)?;
        Some(reshape_to(&sum_to_shape(&ga2, a2.shape())?, a.shape())?)
    } else {
        None
    };
    let gb = if needs[1] {
        let gb2 = ops::matmul(&ops::swap_last(&a2)?, &g2)?;
        Some(reshape_to(&sum_to_shape(&gb2, b2.shape())?, b.shape())?)
    } else {
        None
    };
    Ok((ga, gb))
}

fn norm_rule(
    batch: bool,
    x: &Tracked,
    gamma: Option<&Tracked>,
    mean: &Tensor,
    rstd: &Tensor,
    epsilon: f64,
    g: &Tracked,
) -> Result<(Tracked, Tracked, Tracked)> {
    let mut watched = vec![x, g];
    watched.extend(gamma);
    if !super::would_record(&watched) && g.dtype() == x.dtype() {
        // Nothing records this backward: the fused kernel.
        let gt = gamma.map(|w| &w.t);
        let (dx, dg, db) = if batch {
            norm::batch_norm_grad(g, x, gt, mean, rstd)?
        } else {
            norm::layer_norm_grad(g, x, gt, mean, rstd)?
        };
        return Ok((Tracked::new(dx), Tracked::new(dg), Tracked::new(db)));
    }
    // A tape records the backward (higher derivatives): the same formulas as differentiable ops,
    // with the statistics recomputed from x so that they are differentiated too.
    // x̂ = (x - mean) * rstd; d = g * gamma; dx = rstd * (d - mean(d) - x̂ * mean(d * x̂)).
    let n = x.shape()[x.ndim() - 1];
    let rows = x.size().checked_div(n).unwrap_or(0);
    let axis: [i64; 1] = if batch { [0] } else { [1] };
    let mean_over = |t: &Tracked| ops::reduce(ReduceKind::Mean, t, Some(&axis), true);
    let (x2, g2) = (reshape_to(x, &[rows, n])?, reshape_to(g, &[rows, n])?);
    let xc = sub(&x2, &mean_over(&x2)?)?;
    let var = mean_over(&mul(&xc, &xc)?)?;
    let r = ops::unary(UnaryOp::Rsqrt, &add(&var, &c(epsilon, &var))?)?;
    let xh = mul(&xc, &r)?;
    let d = match gamma {
        Some(w) => mul(&g2, w)?,
        None => g2.clone(),
    };
    let a = mean_over(&d)?;
    let b = mean_over(&mul(&d, &xh)?)?;
    let dx = mul(&r, &sub(&sub(&d, &a)?, &mul(&xh, &b)?)?)?;
    let dgamma = ops::sum(&mul(&g2, &xh)?, Some(&[0]), false)?;
    let dbeta = ops::sum(&g2, Some(&[0]), false)?;
    Ok((reshape_to(&dx, x.shape())?, dgamma, dbeta))
}

fn dense_rule(
    x: &Tracked,
    w: &Tracked,
    relu_out: Option<&Tensor>,
    bias: bool,
    g: &Tracked,
    needs: &[bool],
) -> Result<Vec<Option<Tracked>>> {
    // With z = x2 @ w + b over the rows x2 of x (rows x k) and y = act(z):
    // dz = g * act'(z) (relu: 1 where y > 0); dx2 = dz @ w^T; dw = x2^T @ dz; db = sum_rows(dz).
    if !super::would_record(&[x, w, g]) {
        // Nothing records this backward: one pass for the mask and the bias gradient, and the
        // two products, unless the dtypes are mixed.
        let need = [needs[0], needs[1], bias && needs[2]];
        if let Some((gx, gw, gb)) = dense::dense_grad(x, w, relu_out, g, need)? {
            let mut grads = vec![gx.map(Tracked::new), gw.map(Tracked::new)];
            if bias {
                grads.push(gb.map(Tracked::new));
            }
            return Ok(grads);
        }
    }
    let (k, n) = (w.shape()[0], w.shape()[1]);
    let rows: usize = x.shape()[..x.ndim() - 1].iter().product();
    let g = match relu_out {
        Some(y) => {
            let positive = cmp(BinaryOp::Greater, y, &c(0.0, y))?;
            ops::where_(&positive, g, &c(0.0, g))?
        }
        None => g.clone(),
    };
    let dz = reshape_to(&g, &[rows, n])?;
    let gx = if needs[0] {
        Some(reshape_to(
            &ops::matmul(&dz, &ops::swap_last(w)?)?,
            x.shape(),
        )?)
    } else {
        None
    };
    let gw = if needs[1] {
        Some(ops::matmul(
            &ops::swap_last(&reshape_to(x, &[rows, k])?)?,
            &dz,
        )?)
    } else {
        None
    };
    let mut grads = vec![gx, gw];
    if bias {
        grads.push(if needs[2] {
            Some(ops::sum(&dz, Some(&[0]), false)?)
        } else {
            None
        });
    }
    Ok(grads)
}

fn reduce_rule(
    kind: ReduceKind,
    x: &Option<Tracked>,
    y: &Option<Tracked>,
    axes: &[usize],
    in_shape: &[usize],
    g: &Tracked,
    this: &Op,
) -> Result<Tracked> {
    let mut kshape = in_shape.to_vec();
    for &a in axes {
        kshape[a] = 1;
    }
    let iaxes: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
    let n: f64 = axes.iter().map(|&a| in_shape[a] as f64).product();
    let gk = reshape_to(g, &kshape)?;
    let dims: Vec<i64> = in_shape.iter().map(|&d| d as i64).collect();
    let x = || saved(x, this);
    let yk = || reshape_to(saved(y, this)?, &kshape);
    let mean_k = || ops::reduce(ReduceKind::Mean, x()?, Some(&iaxes), true);
    match kind {
        ReduceKind::Sum => ops::broadcast_to(&gk, &dims),
        ReduceKind::Mean => ops::broadcast_to(&div(&gk, &c(n, g))?, &dims),
        ReduceKind::Var => mul(&gk, &mul(&c(2.0 / n, g), &sub(x()?, &mean_k()?)?)?),
        ReduceKind::Std => mul(&gk, &div(&sub(x()?, &mean_k()?)?, &mul(&yk()?, &c(n, g))?)?),
        ReduceKind::LogSumExp => mul(&gk, &un(UnaryOp::Exp, &sub(x()?, &yk()?)?)?),
        ReduceKind::Max | ReduceKind::Min => {
            // Ties share the gradient equally.
            let x = x()?;
            let hit = cmp(BinaryOp::Equal, x, &yk()?.t)?;
            let m = mask(hit, g);
            let count = Tracked::new(crate::kernels::reduce::sum(&m, Some(&iaxes), true)?);
            mul(&gk, &div(&m, &count)?)
        }
        ReduceKind::Prod => {
            // prod / x where x != 0; where x is the only zero of its slice, the product of the
            // others; 0 where the slice holds several zeros.
            let x = x()?;
            let zero = Tensor::scalar(0.0).cast(x.dtype());
            let is_zero = cmp(BinaryOp::Equal, x, &zero)?;
            let safe = ops::where_(&is_zero, &c(1.0, x), x)?;
            let nz_prod = ops::reduce(ReduceKind::Prod, &safe, Some(&iaxes), true)?;
            let zeros = crate::kernels::reduce::sum(&is_zero.cast(x.dtype()), Some(&iaxes), true)?;
            let one_zero = cmp(
                BinaryOp::Equal,
                &zeros,
                &Tensor::scalar(1.0).cast(x.dtype()),
            )?;
            let at_zero = ops::where_(&one_zero, &nz_prod, &c(0.0, x))?;
            let elsewhere = div(&yk()?, &safe)?;
            mul(
                &gk,
                &ops::where_(&is_zero, &ops::broadcast_to(&at_zero, &dims)?, &elsewhere)?,
            )
        }
    }
}

/// Reverse cumulative sum along `axis` of a tensor (`flip(cumsum(flip(g)))`).
fn reverse_cumsum(g: &Tracked, axis: usize) -> Result<Tracked> {
    let ax = [axis as i64];
    let f = ops::flip(g, Some(&ax))?;
    let s = ops::cumsum(&f, Some(axis as i64), None)?;
    ops::flip(&s, Some(&ax))
}

/// The gradients of one node's inputs given its outputs' gradients (`None` = zero).
pub(crate) fn backward(
    op: &Op,
    inputs: &[Meta],
    outputs: &[Meta],
    gouts: &[Option<Tracked>],
    needs: &[bool],
) -> Result<Vec<Option<Tracked>>> {
    // Single-output ops: the one gradient.
    let g0 = || {
        gouts[0].as_ref().ok_or_else(|| {
            Error::Internal(format!("backward of {}: no output gradient", op.name()))
        })
    };
    let in0 = || inputs[0].shape.as_slice();
    Ok(match op {
        Op::Unary { op: u, x, y } => vec![unary_rule(*u, x, y, g0()?, op)?],
        Op::Binary { op: bop, a, b, y } => {
            let (ga, gb) = binary_rule(*bop, a, b, y, g0()?, needs, op)?;
            let fit =
                |g: Option<Tracked>, m: &Meta| g.map(|g| sum_to_shape(&g, &m.shape)).transpose();
            vec![fit(ga, &inputs[0])?, fit(gb, &inputs[1])?]
        }
        Op::Matmul { a, b } => {
            let (ga, gb) = matmul_rule(a, b, g0()?, needs)?;
            vec![ga, gb]
        }
        Op::Norm {
            batch,
            x,
            gamma,
            beta,
            mean,
            rstd,
            epsilon,
        } => {
            let (dx, dgamma, dbeta) =
                norm_rule(*batch, x, gamma.as_ref(), mean, rstd, *epsilon, g0()?)?;
            let mut grads = vec![Some(dx)];
            if gamma.is_some() {
                grads.push(Some(dgamma));
            }
            if *beta {
                grads.push(Some(dbeta));
            }
            grads
        }
        Op::Dense {
            x,
            w,
            relu_out,
            bias,
        } => dense_rule(x, w, relu_out.as_ref(), *bias, g0()?, needs)?,
        Op::Where { cond } => {
            let g = g0()?;
            let z = c(0.0, g);
            let ga = ops::where_(cond, g, &z)?;
            let gb = ops::where_(cond, &z, g)?;
            vec![
                Some(sum_to_shape(&ga, &inputs[0].shape)?),
                Some(sum_to_shape(&gb, &inputs[1].shape)?),
            ]
        }
        Op::Clip { x, lo, hi } => {
            let lo_ok = cmp(BinaryOp::GreaterEqual, x, lo)?;
            let hi_ok = cmp(BinaryOp::LessEqual, x, hi)?;
            let inside = el::binary(BinaryOp::LogicalAnd, &lo_ok, &hi_ok)?;
            let g = g0()?;
            vec![Some(sum_to_shape(&mul(g, &mask(inside, g))?, in0())?)]
        }
        Op::Cast => vec![Some(g0()?.clone())],
        Op::Reshape => vec![Some(reshape_to(g0()?, in0())?)],
        Op::Transpose { perm } => {
            let mut inv = vec![0i64; perm.len()];
            for (i, &p) in perm.iter().enumerate() {
                inv[p] = i as i64;
            }
            vec![Some(ops::transpose(g0()?, Some(&inv))?)]
        }
        Op::BroadcastTo => vec![Some(sum_to_shape(g0()?, in0())?)],
        Op::Reduce { kind, x, y, axes } => {
            vec![Some(reduce_rule(*kind, x, y, axes, in0(), g0()?, op)?)]
        }
        Op::Softmax { y, axes, log } => {
            let g = g0()?;
            let gx = if *log {
                sub(
                    g,
                    &mul(&un(UnaryOp::Exp, y)?, &ops::sum(g, Some(axes), true)?)?,
                )?
            } else {
                mul(y, &sub(g, &ops::sum(&mul(g, y)?, Some(axes), true)?)?)?
            };
            vec![Some(gx)]
        }
        Op::Concat { axis, sizes } => {
            let g = g0()?;
            let mut cuts = Vec::with_capacity(sizes.len());
            let mut at = 0i64;
            for s in &sizes[..sizes.len().saturating_sub(1)] {
                at += *s as i64;
                cuts.push(at);
            }
            ops::split(g, &SplitSpec::Indices(cuts), *axis as i64)?
                .into_iter()
                .map(Some)
                .collect()
        }
        Op::Split { axis } => {
            let dtype = gouts
                .iter()
                .flatten()
                .next()
                .map(|g| g.dtype())
                .unwrap_or(outputs[0].dtype);
            let parts: Vec<Tracked> = gouts
                .iter()
                .zip(outputs)
                .map(|(g, m)| match g {
                    Some(g) => g.clone(),
                    None => Tracked::new(Tensor::zeros(&m.shape, dtype)),
                })
                .collect();
            vec![Some(ops::concatenate(&parts, Some(*axis as i64))?)]
        }
        Op::Gather { map } => vec![Some(ops::scatter_add_flat(g0()?, map, in0())?)],
        Op::Scatter { map } => vec![Some(ops::gather_flat(g0()?, map)?)],
        Op::Cumsum { axis } => {
            let g = g0()?;
            vec![Some(match axis {
                Some(a) => reverse_cumsum(g, *a)?,
                None => reshape_to(&reverse_cumsum(g, 0)?, in0())?,
            })]
        }
        Op::Cumprod { x, y, axis } => {
            // d/dx_i of prod_{j<=k} x_j summed with g_k: sum_{k>=i} g_k y_k / x_i.
            let g = g0()?;
            let gy = mul(g, y)?;
            let gx = match axis {
                Some(a) => div(&reverse_cumsum(&gy, *a)?, x)?,
                None => reshape_to(&div(&reverse_cumsum(&gy, 0)?, &ops::ravel(x)?)?, in0())?,
            };
            vec![Some(gx)]
        }
    })
}
