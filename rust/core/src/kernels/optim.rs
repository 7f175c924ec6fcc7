//! Fused optimizer updates: one pass over a variable, its gradient and its slot variables, in place.
//!
//! Each [`Rule`] is Keras 3's `update_step` of one optimizer, written as a per-element loop so
//! that a step reads every buffer once (Keras runs 5-10 separate ops per variable). The scalars
//! that depend only on the step (bias corrections, Nadam's momentum cache) are computed by the
//! caller once per step and passed in. Decoupled weight decay (`var -= var * wd * lr`) runs in the
//! same pass, before the rule, as Keras' `_apply_weight_decay` does.
//!
//! Results do not depend on the thread count: every element is updated on its own.
use crate::error::{fmt_shape, Error, Result};
use crate::parallel::{install, should_parallelize};
use crate::tensor::{Arr, Tensor};
use crate::DType;
use rayon::prelude::*;
use std::ops::Range;

/// One optimizer's update rule with its per-step scalars. `lr` is the learning rate of the step.
#[derive(Clone, Copy, Debug, PartialEq)]
#[allow(missing_docs)]
pub enum Rule {
    /// m = momentum*m - lr*g; nesterov: var += momentum*m - lr*g; else var += m (no slot and
    /// var -= lr*g when momentum == 0).
    Sgd {
        lr: f64,
        momentum: f64,
        nesterov: bool,
    },
    /// alpha = lr*sqrt(1-b2^t)/(1-b1^t); m += (g-m)(1-b1); v += (g²-v)(1-b2);
    /// amsgrad: v̂ = max(v̂, v); var -= alpha*m/(sqrt(v or v̂)+eps).
    Adam {
        lr: f64,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
        beta_1_power: f64,
        beta_2_power: f64,
        amsgrad: bool,
    },
    /// m += (g-m)(1-b1); u = max(b2*u, |g|); var -= lr*m/((1-b1^t)(u+eps)).
    Adamax {
        lr: f64,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
        beta_1_power: f64,
    },
    /// m, v as Adam; m̂ = u_{t+1} m/(1-Πu_{t+1}) + (1-u_t) g/(1-Πu_t); v̂ = v/(1-b2^t);
    /// var -= lr*m̂/(sqrt(v̂)+eps).
    Nadam {
        lr: f64,
        beta_1: f64,
        beta_2: f64,
        epsilon: f64,
        u_t: f64,
        u_t_1: f64,
        u_product_t: f64,
        u_product_t_1: f64,
        beta_2_power: f64,
    },
    /// vel = rho*vel + (1-rho)g²; centered: ḡ = rho*ḡ + (1-rho)g, denom = vel - ḡ² + eps, else
    /// vel + eps; inc = lr*g/sqrt(denom); momentum: mom = momentum*mom + inc, var -= mom; else
    /// var -= inc.
    RmsProp {
        lr: f64,
        rho: f64,
        momentum: f64,
        epsilon: f64,
        centered: bool,
    },
    /// acc += g²; var -= lr*g/sqrt(acc+eps).
    Adagrad { lr: f64, epsilon: f64 },
    /// ag = rho*ag + (1-rho)g²; d = -sqrt(ad+eps)/sqrt(ag+eps)*g; ad = rho*ad + (1-rho)d²;
    /// var += lr*d.
    Adadelta { lr: f64, rho: f64, epsilon: f64 },
    /// var -= lr*sign(b1*m + (1-b1)g); m = b2*m + (1-b2)g.
    Lion { lr: f64, beta_1: f64, beta_2: f64 },
    /// Keras' FTRL-proximal step; `l2` already includes `beta / (2 lr)`.
    Ftrl {
        lr: f64,
        lr_power: f64,
        l1: f64,
        l2: f64,
        l2_shrinkage: f64,
    },
}

impl Rule {
    /// The rule named `kind` ("sgd", "adam", ...) with its scalars `hyper` (lr first) and, for the
    /// kinds whose slots are optional, the number of slots each variable has.
    pub fn parse(kind: &str, hyper: &[f64], num_slots: usize) -> Result<Rule> {
        const OP: &str = "optimizer_update";
        let want = match kind {
            "sgd" => 3,
            "adam" => 6,
            "adamax" => 5,
            "nadam" => 9,
            "rmsprop" => 5,
            "adagrad" => 2,
            "adadelta" => 3,
            "lion" => 3,
            "ftrl" => 5,
            _ => {
                return Err(Error::value(
                    OP,
                    format!(
                        "unknown optimizer kind '{kind}'; expected one of sgd, adam, adamax, \
                         nadam, rmsprop, adagrad, adadelta, lion, ftrl"
                    ),
                ))
            }
        };
        if hyper.len() != want {
            return Err(Error::value(
                OP,
                format!(
                    "kind '{kind}' takes {want} scalars (learning rate first), received {}: {hyper:?}",
                    hyper.len()
                ),
            ));
        }
        let h = hyper;
        let flag = |x: f64| x != 0.0;
        let rule = match kind {
            "sgd" => Rule::Sgd {
                lr: h[0],
                momentum: h[1],
                nesterov: flag(h[2]),
            },
            "adam" => Rule::Adam {
                lr: h[0],
                beta_1: h[1],
                beta_2: h[2],
                epsilon: h[3],
                beta_1_power: h[4],
                beta_2_power: h[5],
                amsgrad: num_slots == 3,
            },
            "adamax" => Rule::Adamax {
                lr: h[0],
                beta_1: h[1],
                beta_2: h[2],
                epsilon: h[3],
                beta_1_power: h[4],
            },
            "nadam" => Rule::Nadam {
                lr: h[0],
                beta_1: h[1],
                beta_2: h[2],
                epsilon: h[3],
                u_t: h[4],
                u_t_1: h[5],
                u_product_t: h[6],
                u_product_t_1: h[7],
                beta_2_power: h[8],
            },
            "rmsprop" => Rule::RmsProp {
                lr: h[0],
                rho: h[1],
                momentum: h[2],
                epsilon: h[3],
                centered: flag(h[4]),
            },
            "adagrad" => Rule::Adagrad {
                lr: h[0],
                epsilon: h[1],
            },
            "adadelta" => Rule::Adadelta {
                lr: h[0],
                rho: h[1],
                epsilon: h[2],
            },
            "lion" => Rule::Lion {
                lr: h[0],
                beta_1: h[1],
                beta_2: h[2],
            },
            _ => Rule::Ftrl {
                lr: h[0],
                lr_power: h[1],
                l1: h[2],
                l2: h[3],
                l2_shrinkage: h[4],
            },
        };
        let expected = rule.num_slots();
        if num_slots != expected {
            return Err(Error::value(
                OP,
                format!(
                    "kind '{kind}' with scalars {hyper:?} needs {expected} slot variable(s) per \
                     variable, received {num_slots}"
                ),
            ));
        }
        Ok(rule)
    }

    /// The learning rate of the step.
    pub fn lr(&self) -> f64 {
        match *self {
            Rule::Sgd { lr, .. }
            | Rule::Adam { lr, .. }
            | Rule::Adamax { lr, .. }
            | Rule::Nadam { lr, .. }
            | Rule::RmsProp { lr, .. }
            | Rule::Adagrad { lr, .. }
            | Rule::Adadelta { lr, .. }
            | Rule::Lion { lr, .. }
            | Rule::Ftrl { lr, .. } => lr,
        }
    }

    /// How many slot variables each variable has under this rule.
    pub fn num_slots(&self) -> usize {
        match *self {
            Rule::Sgd { momentum, .. } => usize::from(momentum != 0.0),
            Rule::Adam { amsgrad, .. } => 2 + usize::from(amsgrad),
            Rule::Adamax { .. }
            | Rule::Nadam { .. }
            | Rule::Adadelta { .. }
            | Rule::Ftrl { .. } => 2,
            Rule::RmsProp {
                momentum, centered, ..
            } => 1 + usize::from(momentum > 0.0) + usize::from(centered),
            Rule::Adagrad { .. } | Rule::Lion { .. } => 1,
        }
    }
}

/// The float types the rules run in.
trait Float:
    Copy
    + Send
    + Sync
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Neg<Output = Self>
{
    fn c(x: f64) -> Self;
    fn sqrt(self) -> Self;
    fn abs(self) -> Self;
    fn powf(self, p: Self) -> Self;
    /// -1, 0 or 1 (0 for ±0; NaN stays NaN), as `ops.sign`.
    fn sign(self) -> Self;
}
macro_rules! float {
    ($t:ty) => {
        impl Float for $t {
            #[inline(always)]
            fn c(x: f64) -> Self {
                x as $t
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                <$t>::sqrt(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn powf(self, p: Self) -> Self {
                <$t>::powf(self, p)
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self
                }
            }
        }
    };
}
float!(f32);
float!(f64);

/// `max` that keeps NaN from either side (as `ops.maximum`).
#[inline(always)]
#[allow(clippy::eq_op)]
fn nan_max<T: Float>(a: T, b: T) -> T {
    if a > b || a != a {
        a
    } else {
        b
    }
}

/// A raw pointer that may cross threads: each chunk touches a disjoint range.
#[derive(Clone, Copy)]
struct Ptr<T>(*mut T);
unsafe impl<T: Send> Send for Ptr<T> {}
unsafe impl<T: Send> Sync for Ptr<T> {}
impl<T> Ptr<T> {
    /// The pointer (a method, so closures capture the whole `Ptr`, which is Send).
    fn at(self, offset: usize) -> *mut T {
        // SAFETY: callers pass offsets inside the buffer.
        unsafe { self.0.add(offset) }
    }
}

const CHUNK: usize = 16 * 1024;

/// Runs `f` on element ranges covering `0..n`: one range serially, or CHUNK-sized ranges in the
/// pool above the grain size.
fn for_ranges(n: usize, f: impl Fn(Range<usize>) + Sync + Send) {
    if should_parallelize(n) {
        install(|| {
            (0..n.div_ceil(CHUNK))
                .into_par_iter()
                .for_each(|c| f(c * CHUNK..n.min((c + 1) * CHUNK)))
        });
    } else {
        f(0..n);
    }
}

/// The row-major, uniquely owned buffer of `a` (copied first when shared or strided, so tensors
/// read earlier keep their values).
fn unique_slice<T: Copy>(a: &mut Arr<T>) -> &mut [T] {
    if !a.is_standard_layout() {
        *a = a.as_standard_layout().into_owned().into_shared();
    }
    a.as_slice_mut()
        .expect("row-major after as_standard_layout")
}

/// Applies `rule` to one float32/float64 variable value `var` with gradient `grad` (same shape and
/// dtype) and its slot values `slots` (same shape and dtype, in the rule's order), in place.
/// `weight_decay` is the variable's decoupled weight-decay coefficient (0 for none).
pub fn apply(
    rule: &Rule,
    var: &mut Tensor,
    grad: &Tensor,
    slots: &mut [Tensor],
    weight_decay: f64,
) -> Result<()> {
    check(rule, var, grad, slots)?;
    match var.dtype() {
        DType::F32 => run_typed::<f32>(rule, var, grad, slots, weight_decay, |t| match t {
            Tensor::F32(a) => Some(a),
            _ => None,
        }),
        _ => run_typed::<f64>(rule, var, grad, slots, weight_decay, |t| match t {
            Tensor::F64(a) => Some(a),
            _ => None,
        }),
    }
    Ok(())
}

/// The checks [`apply`] makes: float32/float64 variable, gradient and slots of its shape and dtype,
/// as many slots as the rule has.
pub fn check(rule: &Rule, var: &Tensor, grad: &Tensor, slots: &[Tensor]) -> Result<()> {
    const OP: &str = "optimizer_update";
    if slots.len() != rule.num_slots() {
        return Err(Error::value(
            OP,
            format!(
                "the rule needs {} slot variable(s), received {}",
                rule.num_slots(),
                slots.len()
            ),
        ));
    }
    let (shape, dtype) = (var.shape().to_vec(), var.dtype());
    if !matches!(dtype, DType::F32 | DType::F64) {
        return Err(Error::dtype(
            OP,
            format!("variables must be float32 or float64, received {dtype}"),
        ));
    }
    for (what, t) in std::iter::once(("gradient", grad)).chain(slots.iter().map(|s| ("slot", s))) {
        if t.shape() != shape.as_slice() || t.dtype() != dtype {
            return Err(Error::shape(
                OP,
                format!(
                    "a {what} of shape {} and dtype {} does not match its variable of shape {} \
                     and dtype {dtype}",
                    fmt_shape(t.shape()),
                    t.dtype(),
                    fmt_shape(&shape)
                ),
            ));
        }
    }
    Ok(())
}

fn run_typed<T: Float + 'static>(
    rule: &Rule,
    var: &mut Tensor,
    grad: &Tensor,
    slots: &mut [Tensor],
    weight_decay: f64,
    arr: impl Fn(&mut Tensor) -> Option<&mut Arr<T>>,
) {
    // The gradient is only read: borrowed when row-major (no copy), copied otherwise.
    let mut grad = grad.clone();
    let g_arr = arr(&mut grad).expect("dtype checked");
    let g_std = g_arr.as_standard_layout();
    let g = Ptr(g_std.as_ptr() as *mut T);
    let v_slice = unique_slice(arr(var).expect("dtype checked"));
    let n = v_slice.len();
    let v = Ptr(v_slice.as_mut_ptr());
    let mut s: [Ptr<T>; 3] = [Ptr(std::ptr::null_mut()); 3];
    for (i, slot) in slots.iter_mut().enumerate() {
        s[i] = Ptr(unique_slice(arr(slot).expect("dtype checked")).as_mut_ptr());
    }
    let used = slots.len();
    let decay = T::c(weight_decay * rule.lr());
    let rule = *rule;
    for_ranges(n, move |r| {
        // SAFETY: every pointer addresses a buffer of n elements owned by this call (made unique
        // above); ranges handed to different threads are disjoint.
        let part = |p: Ptr<T>| unsafe { std::slice::from_raw_parts_mut(p.at(r.start), r.len()) };
        // Slots the rule does not have are empty (their pointers are null and never offset).
        let slot = |i: usize| if i < used { part(s[i]) } else { &mut [] };
        // The gradient is only read (a shared slice of the borrowed buffer).
        let g = unsafe { std::slice::from_raw_parts(g.at(r.start) as *const T, r.len()) };
        let v = part(v);
        if weight_decay != 0.0 {
            for x in v.iter_mut() {
                *x = *x - *x * decay;
            }
        }
        step(&rule, v, g, slot(0), slot(1), slot(2));
    });
}

/// One rule over one range; slot slices the rule does not have are empty and never indexed.
#[inline(always)]
fn step<T: Float>(rule: &Rule, v: &mut [T], g: &[T], s0: &mut [T], s1: &mut [T], s2: &mut [T]) {
    let c = T::c;
    let one = c(1.0);
    match *rule {
        Rule::Sgd {
            lr,
            momentum,
            nesterov,
        } => {
            let lr = c(lr);
            if momentum == 0.0 {
                for (x, &g) in v.iter_mut().zip(g) {
                    *x = *x - lr * g;
                }
            } else {
                let mu = c(momentum);
                for ((x, &g), m) in v.iter_mut().zip(g).zip(s0.iter_mut()) {
                    *m = mu * *m - lr * g;
                    *x = if nesterov {
                        *x + (mu * *m - lr * g)
                    } else {
                        *x + *m
                    };
                }
            }
        }
        Rule::Adam {
            lr,
            beta_1,
            beta_2,
            epsilon,
            beta_1_power,
            beta_2_power,
            amsgrad,
        } => {
            let alpha = c(lr * (1.0 - beta_2_power).sqrt() / (1.0 - beta_1_power));
            let (b1, b2, eps) = (c(1.0 - beta_1), c(1.0 - beta_2), c(epsilon));
            let moments = v.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1.iter_mut());
            if amsgrad {
                for ((((x, &g), m), vel), vh) in moments.zip(s2.iter_mut()) {
                    *m = *m + (g - *m) * b1;
                    *vel = *vel + (g * g - *vel) * b2;
                    *vh = nan_max(*vh, *vel);
                    *x = *x - *m * alpha / (vh.sqrt() + eps);
                }
            } else {
                for (((x, &g), m), vel) in moments {
                    *m = *m + (g - *m) * b1;
                    *vel = *vel + (g * g - *vel) * b2;
                    *x = *x - *m * alpha / (vel.sqrt() + eps);
                }
            }
        }
        Rule::Adamax {
            lr,
            beta_1,
            beta_2,
            epsilon,
            beta_1_power,
        } => {
            let (b1, b2, eps) = (c(1.0 - beta_1), c(beta_2), c(epsilon));
            let (lr, corr) = (c(lr), c(1.0 - beta_1_power));
            for (((x, &g), m), u) in v.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1.iter_mut()) {
                *m = *m + (g - *m) * b1;
                *u = nan_max(b2 * *u, g.abs());
                *x = *x - lr * *m / (corr * (*u + eps));
            }
        }
        Rule::Nadam {
            lr,
            beta_1,
            beta_2,
            epsilon,
            u_t,
            u_t_1,
            u_product_t,
            u_product_t_1,
            beta_2_power,
        } => {
            let (b1, b2, eps, lr) = (c(1.0 - beta_1), c(1.0 - beta_2), c(epsilon), c(lr));
            let (u_t, u_t_1) = (c(u_t), c(u_t_1));
            let (d1, d0, dv) = (
                c(1.0 - u_product_t_1),
                c(1.0 - u_product_t),
                c(1.0 - beta_2_power),
            );
            for (((x, &g), m), vel) in v.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1.iter_mut()) {
                *m = *m + (g - *m) * b1;
                *vel = *vel + (g * g - *vel) * b2;
                let m_hat = u_t_1 * *m / d1 + (one - u_t) * g / d0;
                let v_hat = *vel / dv;
                *x = *x - m_hat * lr / (v_hat.sqrt() + eps);
            }
        }
        Rule::RmsProp {
            lr,
            rho,
            momentum,
            epsilon,
            centered,
        } => {
            let (rho_, one_rho, eps, lr, mu) =
                (c(rho), c(1.0 - rho), c(epsilon), c(lr), c(momentum));
            // Slots: velocity, then momentum if momentum > 0, then the average gradient if centered.
            let (mom, avg): (&mut [T], &mut [T]) = match (momentum > 0.0, centered) {
                (true, true) => (s1, s2),
                (true, false) => (s1, &mut []),
                (false, true) => (&mut [], s1),
                (false, false) => (&mut [], &mut []),
            };
            // vel = rho*vel + (1-rho)g²; the increment lr*g/sqrt(vel - shift + eps).
            let inc = |vel: &mut T, g: T, shift: T| {
                *vel = rho_ * *vel + one_rho * (g * g);
                lr * g / (*vel - shift + eps).sqrt()
            };
            let zero = c(0.0);
            match (mom.is_empty(), avg.is_empty()) {
                (true, true) => {
                    for ((x, &g), vel) in v.iter_mut().zip(g).zip(s0.iter_mut()) {
                        *x = *x - inc(vel, g, zero);
                    }
                }
                (false, true) => {
                    let it = v.iter_mut().zip(g).zip(s0.iter_mut()).zip(mom.iter_mut());
                    for (((x, &g), vel), m) in it {
                        *m = mu * *m + inc(vel, g, zero);
                        *x = *x - *m;
                    }
                }
                (true, false) => {
                    let it = v.iter_mut().zip(g).zip(s0.iter_mut()).zip(avg.iter_mut());
                    for (((x, &g), vel), a) in it {
                        *a = rho_ * *a + one_rho * g;
                        *x = *x - inc(vel, g, *a * *a);
                    }
                }
                (false, false) => {
                    let it = v.iter_mut().zip(g).zip(s0.iter_mut()).zip(mom.iter_mut());
                    for ((((x, &g), vel), m), a) in it.zip(avg.iter_mut()) {
                        *a = rho_ * *a + one_rho * g;
                        *m = mu * *m + inc(vel, g, *a * *a);
                        *x = *x - *m;
                    }
                }
            }
        }
        Rule::Adagrad { lr, epsilon } => {
            let (lr, eps) = (c(lr), c(epsilon));
            for ((x, &g), acc) in v.iter_mut().zip(g).zip(s0.iter_mut()) {
                *acc = *acc + g * g;
                *x = *x - lr * g / (*acc + eps).sqrt();
            }
        }
        Rule::Adadelta { lr, rho, epsilon } => {
            let (rho_, one_rho, eps, lr) = (c(rho), c(1.0 - rho), c(epsilon), c(lr));
            for (((x, &g), ag), ad) in v.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1.iter_mut()) {
                *ag = rho_ * *ag + one_rho * (g * g);
                let d = -((*ad + eps).sqrt() * g / (*ag + eps).sqrt());
                *ad = rho_ * *ad + one_rho * (d * d);
                *x = *x + lr * d;
            }
        }
        Rule::Lion { lr, beta_1, beta_2 } => {
            let (lr, b1, b2) = (c(lr), c(beta_1), c(beta_2));
            for ((x, &g), m) in v.iter_mut().zip(g).zip(s0.iter_mut()) {
                *x = *x - lr * (*m * b1 + g * (one - b1)).sign();
                *m = *m * b2 + g * (one - b2);
            }
        }
        Rule::Ftrl {
            lr,
            lr_power,
            l1,
            l2,
            l2_shrinkage,
        } => {
            let (lr, p, l1, two_l2, two_shr) = (
                c(lr),
                c(-lr_power),
                c(l1),
                c(2.0 * l2),
                c(2.0 * l2_shrinkage),
            );
            for (((x, &g), acc), lin) in v.iter_mut().zip(g).zip(s0.iter_mut()).zip(s1.iter_mut()) {
                let g_use = g + two_shr * *x;
                let new_acc = *acc + g * g;
                let new_pow = new_acc.powf(p);
                *lin = *lin + (g_use - (new_pow - acc.powf(p)) / lr * *x);
                let quadratic = new_pow / lr + two_l2;
                let clipped = if *lin > l1 {
                    l1
                } else if *lin < -l1 {
                    -l1
                } else {
                    *lin
                };
                *x = (clipped - *lin) / quadratic;
                *acc = new_acc;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32]) -> Tensor {
        Tensor::from_vec(&[v.len()], v.to_vec()).unwrap()
    }

    #[test]
    fn sgd_and_adam_match_the_formulas() {
        let mut var = t(&[1.0, -2.0]);
        let g = t(&[0.5, 0.25]);
        apply(
            &Rule::parse("sgd", &[0.1, 0.0, 0.0], 0).unwrap(),
            &mut var,
            &g,
            &mut [],
            0.0,
        )
        .unwrap();
        assert_eq!(var.to_vec::<f32>(), vec![1.0 - 0.05, -2.0 - 0.025]);

        let mut var = t(&[1.0]);
        let mut slots = [t(&[0.0]), t(&[0.0])];
        let h = [0.01, 0.9, 0.999, 1e-7, 0.9, 0.999];
        apply(
            &Rule::parse("adam", &h, 2).unwrap(),
            &mut var,
            &t(&[2.0]),
            &mut slots,
            0.0,
        )
        .unwrap();
        // First Adam step moves by lr * sign(g) (up to eps).
        assert!((var.to_vec::<f32>()[0] - 0.99).abs() < 1e-6);
        assert!((slots[0].to_vec::<f32>()[0] - 0.2).abs() < 1e-7);
        assert!((slots[1].to_vec::<f32>()[0] - 0.004).abs() < 1e-7);
    }

    #[test]
    fn shared_buffers_are_copied_not_mutated() {
        let var0 = t(&[1.0, 2.0]);
        let mut var = var0.clone();
        apply(
            &Rule::parse("sgd", &[1.0, 0.0, 0.0], 0).unwrap(),
            &mut var,
            &t(&[1.0, 1.0]),
            &mut [],
            0.5,
        )
        .unwrap();
        assert_eq!(var0.to_vec::<f32>(), vec![1.0, 2.0]);
        // weight decay first: x - x*0.5*1, then - 1.
        assert_eq!(var.to_vec::<f32>(), vec![-0.5, 0.0]);
    }

    #[test]
    fn parallel_equals_serial() {
        let n = 100_003;
        let vals: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        let grads: Vec<f32> = (0..n)
            .map(|i| ((i * 104729) % 997) as f32 / 400.0 - 1.2)
            .collect();
        let rule = Rule::parse("rmsprop", &[0.01, 0.9, 0.5, 1e-7, 1.0], 3).unwrap();
        let mut var = t(&vals);
        let mut slots = [t(&vec![0.1; n]), t(&vec![0.0; n]), t(&vec![0.0; n])];
        apply(&rule, &mut var, &t(&grads), &mut slots, 0.0).unwrap();
        let (out, s0) = (var.to_vec::<f32>(), slots[0].to_vec::<f32>());
        for i in [0, 50_000, n - 1] {
            let (mut x, mut vel, mut mom, mut avg) = (vals[i], 0.1f32, 0.0f32, 0.0f32);
            let (xs, vs) = (std::slice::from_mut(&mut x), std::slice::from_mut(&mut vel));
            step(
                &rule,
                xs,
                &[grads[i]],
                vs,
                std::slice::from_mut(&mut mom),
                std::slice::from_mut(&mut avg),
            );
            assert_eq!(out[i].to_bits(), x.to_bits());
            assert_eq!(s0[i].to_bits(), vel.to_bits());
        }
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(Rule::parse("adamw", &[0.1], 0).is_err());
        assert!(Rule::parse("adam", &[0.1, 0.9], 2).is_err());
        assert!(Rule::parse("adam", &[0.1, 0.9, 0.999, 1e-7, 0.9, 0.999], 1).is_err());
        let mut var = t(&[1.0, 2.0]);
        let r = Rule::parse("sgd", &[0.1, 0.0, 0.0], 0).unwrap();
        assert!(apply(&r, &mut var, &t(&[1.0]), &mut [], 0.0).is_err());
        let mut ints = Tensor::from_vec(&[1], vec![1i64]).unwrap();
        assert!(apply(&r, &mut ints, &t(&[1.0]), &mut [], 0.0).is_err());
    }
}
