"""lamina.optimizers: every optimizer over several steps against a numpy reference written from
Keras 3's update rules (weight decay, clipping, amsgrad, nesterov, centered, EMA, gradient
accumulation, schedules, constraints), LossScaleOptimizer, configs, get/serialize, errors."""

import json
import warnings

import numpy as np
import pytest

import lamina
from lamina import constraints
from lamina import ops
from lamina import optimizers
from lamina.optimizers import schedules

SHAPES = [(3, 4), (5,), ()]


def rand(shape, seed, scale=1.0, dtype="float32"):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype(dtype)


# ----------------------------------------------------------------------------------------------
# The numpy reference: Keras 3's optimizer semantics, in float64
# ----------------------------------------------------------------------------------------------


class RefOptimizer:
    """Keras 3's BaseOptimizer.apply and each optimizer's update_step, on numpy arrays."""

    def __init__(self, kind, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99, ema_overwrite_frequency=None,
                 loss_scale_factor=None, gradient_accumulation_steps=None, excluded=(), **hp):
        self.kind, self.lr, self.hp = kind, learning_rate, hp
        self.weight_decay, self.excluded = weight_decay, set(excluded)
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.use_ema, self.ema_momentum, self.ema_freq = use_ema, ema_momentum, ema_overwrite_frequency
        self.loss_scale_factor, self.accum = loss_scale_factor, gradient_accumulation_steps
        self.iterations = 0

    def build(self, weights):
        self.w = [np.array(w, dtype="float64") for w in weights]
        z = [np.zeros_like(w) for w in self.w]
        hp, k = self.hp, self.kind
        init_acc = hp.get("initial_accumulator_value", 0.1)
        slots = {
            "sgd": lambda: {"m": np.zeros_like} if hp.get("momentum", 0.0) else {},
            "adam": lambda: {"m": np.zeros_like, "v": np.zeros_like, "vh": np.zeros_like},
            "adamax": lambda: {"m": np.zeros_like, "u": np.zeros_like},
            "nadam": lambda: {"m": np.zeros_like, "v": np.zeros_like},
            "rmsprop": lambda: {"vel": np.zeros_like, "mom": np.zeros_like, "avg": np.zeros_like},
            "adagrad": lambda: {"acc": lambda w: np.full_like(w, init_acc)},
            "adadelta": lambda: {"ag": np.zeros_like, "ad": np.zeros_like},
            "lion": lambda: {"m": np.zeros_like},
            "ftrl": lambda: {"acc": lambda w: np.full_like(w, init_acc), "lin": np.zeros_like},
        }[k]()
        self.s = [{name: f(w) for name, f in slots.items()} for w in self.w]
        self.avg = [w.copy() for w in self.w] if self.use_ema else None
        self.acc = z if self.accum else None
        self.u_product = 1.0

    def current_lr(self):
        # A float learning rate lives in a float32 variable.
        return self.lr(self.iterations) if callable(self.lr) else float(np.float32(self.lr))

    def opt_iterations(self):
        return self.iterations // self.accum if self.accum else self.iterations

    def apply(self, grads, constraint_fns=None):
        grads = [None if g is None else np.asarray(g, dtype="float64") for g in grads]
        idx = [i for i, g in enumerate(grads) if g is not None]
        grads = [grads[i] for i in idx]
        if self.loss_scale_factor is not None:
            grads = [g / self.loss_scale_factor for g in grads]
        if self.accum:
            if (self.iterations + 1) % self.accum == 0:
                grads = [(g + self.acc[i]) / self.accum for g, i in zip(grads, idx)]
                self._update(grads, idx)
                self.acc = [np.zeros_like(a) for a in self.acc]
            else:
                for g, i in zip(grads, idx):
                    self.acc[i] = self.acc[i] + g
        else:
            self._update(grads, idx)
        if self.use_ema:
            m = self.ema_momentum if self.opt_iterations() != 0 else 0.0
            self.avg = [m * a + (1 - m) * w for a, w in zip(self.avg, self.w)]
            if self.ema_freq and (self.opt_iterations() + 1) % self.ema_freq == 0:
                self.w = [a.copy() for a in self.avg]
        if constraint_fns:
            for i in idx:
                if constraint_fns[i] is not None:
                    self.w[i] = constraint_fns[i](self.w[i])
        self.iterations += 1

    def _update(self, grads, idx):
        if self.clipnorm:
            grads = [g * self.clipnorm / max(np.sqrt(np.sum(g * g)), self.clipnorm) for g in grads]
        elif self.global_clipnorm:
            norm = np.sqrt(sum(np.sum(g * g) for g in grads))
            grads = [g * self.global_clipnorm / max(norm, self.global_clipnorm) for g in grads]
        elif self.clipvalue:
            grads = [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        lr = self.current_lr()
        if self.weight_decay is not None:
            for i in idx:
                if i not in self.excluded:
                    self.w[i] = self.w[i] - self.w[i] * self.weight_decay * lr
        if self.kind == "nadam":
            t = self.opt_iterations() + 1
            self.u_product *= self.hp.get("beta_1", 0.9) * (1 - 0.5 * 0.96**t)
        for g, i in zip(grads, idx):
            self.w[i] = self._update_step(g, self.w[i], self.s[i], lr)

    def _update_step(self, g, w, s, lr):
        hp, t = self.hp, self.opt_iterations() + 1
        if self.kind == "sgd":
            mom = hp.get("momentum", 0.0)
            if not mom:
                return w - lr * g
            s["m"] = mom * s["m"] - lr * g
            return w + (mom * s["m"] - lr * g if hp.get("nesterov") else s["m"])
        if self.kind == "adam":
            b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
            alpha = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
            s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
            v = s["v"]
            if hp.get("amsgrad"):
                s["vh"] = np.maximum(s["vh"], s["v"])
                v = s["vh"]
            return w - alpha * s["m"] / (np.sqrt(v) + eps)
        if self.kind == "adamax":
            b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
            s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
            s["u"] = np.maximum(b2 * s["u"], np.abs(g))
            return w - lr * s["m"] / ((1 - b1**t) * (s["u"] + eps))
        if self.kind == "nadam":
            b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
            u_t = b1 * (1 - 0.5 * 0.96**t)
            u_t_1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product_t_1 = self.u_product * u_t_1
            s["m"] = s["m"] + (g - s["m"]) * (1 - b1)
            s["v"] = s["v"] + (g * g - s["v"]) * (1 - b2)
            m_hat = u_t_1 * s["m"] / (1 - u_product_t_1) + (1 - u_t) * g / (1 - self.u_product)
            v_hat = s["v"] / (1 - b2**t)
            return w - m_hat * lr / (np.sqrt(v_hat) + eps)
        if self.kind == "rmsprop":
            rho, mom, eps = hp.get("rho", 0.9), hp.get("momentum", 0.0), hp.get("epsilon", 1e-7)
            s["vel"] = rho * s["vel"] + (1 - rho) * g * g
            if hp.get("centered"):
                s["avg"] = rho * s["avg"] + (1 - rho) * g
                denominator = s["vel"] - s["avg"] ** 2 + eps
            else:
                denominator = s["vel"] + eps
            increment = lr * g / np.sqrt(denominator)
            if mom > 0:
                s["mom"] = mom * s["mom"] + increment
                return w - s["mom"]
            return w - increment
        if self.kind == "adagrad":
            s["acc"] = s["acc"] + g * g
            return w - lr * g / np.sqrt(s["acc"] + hp.get("epsilon", 1e-7))
        if self.kind == "adadelta":
            rho, eps = hp.get("rho", 0.95), hp.get("epsilon", 1e-7)
            s["ag"] = rho * s["ag"] + (1 - rho) * g * g
            delta = -np.sqrt(s["ad"] + eps) * g / np.sqrt(s["ag"] + eps)
            s["ad"] = rho * s["ad"] + (1 - rho) * delta * delta
            return w + lr * delta
        if self.kind == "lion":
            b1, b2 = hp.get("beta_1", 0.9), hp.get("beta_2", 0.99)
            new_w = w - lr * np.sign(s["m"] * b1 + g * (1 - b1))
            s["m"] = s["m"] * b2 + g * (1 - b2)
            return new_w
        if self.kind == "ftrl":
            p = -hp.get("learning_rate_power", -0.5)
            l1 = hp.get("l1_regularization_strength", 0.0)
            l2 = hp.get("l2_regularization_strength", 0.0) + hp.get("beta", 0.0) / (2 * lr)
            shrink = hp.get("l2_shrinkage_regularization_strength", 0.0)
            grad_to_use = g + 2 * shrink * w
            new_acc = s["acc"] + g * g
            s["lin"] = s["lin"] + grad_to_use - (new_acc**p - s["acc"] ** p) / lr * w
            quadratic = new_acc**p / lr + 2 * l2
            s["acc"] = new_acc
            return (np.clip(s["lin"], -l1, l1) - s["lin"]) / quadratic
        raise AssertionError(self.kind)


KIND = {
    optimizers.SGD: "sgd", optimizers.Adam: "adam", optimizers.AdamW: "adam", optimizers.Adamax: "adamax",
    optimizers.Nadam: "nadam", optimizers.RMSprop: "rmsprop", optimizers.Adagrad: "adagrad",
    optimizers.Adadelta: "adadelta", optimizers.Lion: "lion", optimizers.Ftrl: "ftrl",
}

# (class, kwargs): the lamina optimizer and the reference get the same arguments.
CASES = [
    (optimizers.SGD, {"learning_rate": 0.1}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    (optimizers.SGD, {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
    (optimizers.Adam, {"learning_rate": 0.01}),
    (optimizers.Adam, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-3, "amsgrad": True}),
    (optimizers.AdamW, {"learning_rate": 0.01, "weight_decay": 0.1}),
    (optimizers.AdamW, {"learning_rate": 0.01, "weight_decay": 0.05, "amsgrad": True}),
    (optimizers.Adamax, {"learning_rate": 0.01}),
    (optimizers.Adamax, {"learning_rate": 0.02, "beta_1": 0.7, "beta_2": 0.9, "epsilon": 1e-4}),
    (optimizers.Nadam, {"learning_rate": 0.01}),
    (optimizers.Nadam, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-5}),
    (optimizers.RMSprop, {"learning_rate": 0.01}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.9}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "centered": True, "rho": 0.8}),
    (optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "epsilon": 1e-3}),
    (optimizers.Adagrad, {"learning_rate": 0.1}),
    (optimizers.Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3}),
    (optimizers.Adadelta, {"learning_rate": 1.0}),
    (optimizers.Adadelta, {"learning_rate": 0.5, "rho": 0.8, "epsilon": 1e-4}),
    (optimizers.Lion, {"learning_rate": 0.01}),
    (optimizers.Lion, {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9}),
    (optimizers.Ftrl, {"learning_rate": 0.1}),
    (optimizers.Ftrl, {"learning_rate": 0.1, "learning_rate_power": -0.3, "initial_accumulator_value": 0.25,
                       "l1_regularization_strength": 0.01, "l2_regularization_strength": 0.02,
                       "l2_shrinkage_regularization_strength": 0.03, "beta": 0.1}),
    (optimizers.Ftrl, {"learning_rate": 0.05, "learning_rate_power": 0.0, "l1_regularization_strength": 0.5}),
]
BASE_ARGS = ("learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
             "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps")


def make_ref(cls, kwargs, **extra):
    kw = {**kwargs, **extra}
    if cls is optimizers.AdamW:
        kw.setdefault("weight_decay", 0.004)
    return RefOptimizer(KIND[cls], **kw)


def run_both(cls, kwargs, steps=5, dtype="float32", seed=0, shapes=SHAPES, grad_fn=None, ref_extra=None,
             before_first_step=None, **opt_extra):
    """Runs `steps` steps of the lamina optimizer and the reference on the same gradients; returns
    (optimizer, variables, reference)."""
    init = [rand(s, seed + i, dtype=dtype) for i, s in enumerate(shapes)]
    variables = [lamina.Variable(w, dtype=dtype, name=f"w{i}") for i, w in enumerate(init)]
    opt = cls(**kwargs, **opt_extra)
    ref = make_ref(cls, kwargs, **opt_extra, **(ref_extra or {}))
    ref.build(init)
    if before_first_step is not None:
        before_first_step(opt, variables, ref)
    for step in range(steps):
        grads = [rand(s, 100 * step + i + seed, dtype=dtype) for i, s in enumerate(shapes)]
        if grad_fn is not None:
            grads = grad_fn(step, grads)
        opt.apply([None if g is None else ops.convert_to_tensor(g) for g in grads], variables)
        ref.apply(grads)
    return opt, variables, ref


def apply_both(opt, variables, ref, steps, seed, grad_scale=1.0):
    """Applies `steps` steps of the same random gradients (of `SHAPES`; ``seed + step + i`` for
    variable `i`) with `opt` (gradients multiplied by `grad_scale`) and with the reference."""
    for step in range(steps):
        grads = [rand(s, seed + step + i) for i, s in enumerate(SHAPES)]
        opt.apply([ops.convert_to_tensor(g * grad_scale) for g in grads], variables)
        ref.apply(grads)


def assert_close(variables, ref, rtol=2e-5, atol=2e-6):
    for v, w in zip(variables, ref.w):
        np.testing.assert_allclose(np.asarray(v.numpy(), dtype="float64"), w, rtol=rtol, atol=atol)


# ----------------------------------------------------------------------------------------------
# Update rules against the reference
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,kwargs", CASES, ids=lambda x: getattr(x, "__name__", None) or str(sorted(x)))
def test_update_rule_matches_reference(cls, kwargs):
    opt, variables, ref = run_both(cls, kwargs, steps=6)
    assert_close(variables, ref)
    assert int(opt.iterations) == 6 and opt.iterations.dtype == "int64"


@pytest.mark.parametrize("cls,kwargs", CASES[::2], ids=lambda x: getattr(x, "__name__", None) or str(sorted(x)))
def test_update_rule_float64_variables(cls, kwargs):
    opt, variables, ref = run_both(cls, kwargs, steps=4, dtype="float64", seed=3)
    assert_close(variables, ref, rtol=1e-10, atol=1e-12)
    assert all(v.dtype == "float64" for v in variables)
    assert all(s.dtype == "float64" for slots in opt._slot_lists for s in slots)


def test_slot_variables_match_reference():
    opt, variables, ref = run_both(optimizers.Adam, {"learning_rate": 0.01, "amsgrad": True}, steps=3)
    for i in range(len(variables)):
        m, v, vh = opt._slot_lists[i]
        np.testing.assert_allclose(m.numpy(), ref.s[i]["m"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(v.numpy(), ref.s[i]["v"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(vh.numpy(), ref.s[i]["vh"], rtol=1e-5, atol=1e-7)
    opt, variables, ref = run_both(optimizers.RMSprop, {"learning_rate": 0.01, "momentum": 0.5, "centered": True},
                                   steps=3)
    for i in range(len(variables)):
        vel, mom, avg = opt._slot_lists[i]
        np.testing.assert_allclose(vel.numpy(), ref.s[i]["vel"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(mom.numpy(), ref.s[i]["mom"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(avg.numpy(), ref.s[i]["avg"], rtol=1e-5, atol=1e-7)
    opt, variables, ref = run_both(optimizers.Ftrl, CASES[22][1], steps=3)
    for i in range(len(variables)):
        acc, lin = opt._slot_lists[i]
        np.testing.assert_allclose(acc.numpy(), ref.s[i]["acc"], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(lin.numpy(), ref.s[i]["lin"], rtol=1e-5, atol=1e-6)


def test_first_steps_by_hand():
    # SGD: w - lr * g; momentum: m = 0.9 * m - lr * g, w += m.
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    for _ in range(2):
        opt.apply([ops.convert_to_tensor([1.0, -1.0])], [var])
    np.testing.assert_allclose(var.numpy(), [1.0 - 0.1 - 0.19, 2.0 + 0.1 + 0.19], rtol=1e-6)
    # Adam's first step moves each weight by ~lr * sign(g).
    var = lamina.Variable([1.0, 2.0])
    optimizers.Adam(learning_rate=0.1).apply([ops.convert_to_tensor([0.5, -0.5])], [var])
    np.testing.assert_allclose(var.numpy(), [0.9, 2.1], rtol=1e-5)
    # RMSprop on d(w^2/2)/dw = w (Keras' documented example).
    var = lamina.Variable(10.0)
    optimizers.RMSprop(learning_rate=0.1).apply([ops.convert_to_tensor(10.0)], [var])
    np.testing.assert_allclose(float(var), 9.683772, rtol=1e-6)


# ----------------------------------------------------------------------------------------------
# Weight decay, clipping, loss scale factor
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,kwargs", [CASES[0], CASES[1], CASES[3], CASES[9], CASES[12], CASES[21]],
                         ids=["sgd", "sgd_momentum", "adam", "nadam", "rmsprop_momentum", "ftrl"])
def test_weight_decay(cls, kwargs):
    opt, variables, ref = run_both(cls, kwargs, steps=4, weight_decay=0.3)
    assert_close(variables, ref)


def test_weight_decay_exclusions():
    def exclude(opt, variables, ref):
        opt.exclude_from_weight_decay(var_list=[variables[0]], var_names=["w2"])
        ref.excluded = {0, 2}

    opt, variables, ref = run_both(optimizers.AdamW, {"learning_rate": 0.05, "weight_decay": 0.5}, steps=4,
                                   before_first_step=exclude)
    assert_close(variables, ref)
    assert not opt._use_weight_decay(variables[0]) and opt._use_weight_decay(variables[1])
    assert not opt._use_weight_decay(variables[2])


def test_weight_decay_is_decoupled_from_the_gradient():
    # Zero gradient: SGD moves the weights only by the decay, w * (1 - wd * lr) per step.
    var = lamina.Variable([2.0, -4.0])
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.apply([ops.zeros((2,))], [var])
    np.testing.assert_allclose(var.numpy(), np.array([2.0, -4.0]) * 0.95**3, rtol=1e-6)


@pytest.mark.parametrize("clip", [{"clipnorm": 0.5}, {"clipvalue": 0.3}, {"global_clipnorm": 0.7}],
                         ids=["clipnorm", "clipvalue", "global_clipnorm"])
@pytest.mark.parametrize("cls,kwargs", [CASES[0], CASES[3]], ids=["sgd", "adam"])
def test_gradient_clipping(cls, kwargs, clip):
    opt, variables, ref = run_both(cls, kwargs, steps=4, **clip)
    assert_close(variables, ref)


def test_clipping_values():
    opt = optimizers.SGD(clipnorm=1.0)
    g = ops.convert_to_tensor([3.0, 4.0])
    np.testing.assert_allclose(np.asarray(opt._clip_gradients([g])[0]), [0.6, 0.8], rtol=1e-6)
    small = ops.convert_to_tensor([0.3, 0.4])
    np.testing.assert_allclose(np.asarray(opt._clip_gradients([small])[0]), [0.3, 0.4], rtol=1e-6)
    zero = ops.zeros((3,))
    np.testing.assert_array_equal(np.asarray(opt._clip_gradients([zero])[0]), np.zeros(3))
    opt = optimizers.SGD(global_clipnorm=5.0)
    out = opt._clip_gradients([ops.convert_to_tensor([6.0, 0.0]), None, ops.convert_to_tensor([8.0])])
    np.testing.assert_allclose(np.asarray(out[0]), [3.0, 0.0], rtol=1e-6)
    assert out[1] is None
    np.testing.assert_allclose(np.asarray(out[2]), [4.0], rtol=1e-6)
    # A non-finite global norm makes every gradient NaN.
    out = opt._clip_gradients([ops.convert_to_tensor([np.inf, 1.0])])
    assert np.all(np.isnan(np.asarray(out[0])))
    opt = optimizers.SGD(clipvalue=0.5)
    np.testing.assert_allclose(np.asarray(opt._clip_gradients([ops.convert_to_tensor([-2.0, 0.1, 3.0])])[0]),
                               [-0.5, 0.1, 0.5])


def test_loss_scale_factor():
    opt, variables, ref = run_both(optimizers.Adam, {"learning_rate": 0.01}, steps=3, loss_scale_factor=128.0,
                                   grad_fn=lambda step, grads: [g * 128.0 for g in grads])
    assert_close(variables, ref)
    loss = ops.convert_to_tensor(2.0)
    assert float(opt.scale_loss(loss)) == 256.0
    assert optimizers.SGD().scale_loss(loss) is loss


# ----------------------------------------------------------------------------------------------
# EMA, gradient accumulation, None gradients, constraints, schedules
# ----------------------------------------------------------------------------------------------


def test_ema_without_overwrite_then_finalize():
    opt, variables, ref = run_both(optimizers.SGD, {"learning_rate": 0.1}, steps=5, use_ema=True, ema_momentum=0.6)
    assert_close(variables, ref)
    averages = opt._model_variables_moving_average
    for a, r in zip(averages, ref.avg):
        np.testing.assert_allclose(a.numpy(), r, rtol=1e-5, atol=1e-6)
    opt.finalize_variable_values(variables)
    for v, r in zip(variables, ref.avg):
        np.testing.assert_allclose(v.numpy(), r, rtol=1e-5, atol=1e-6)


def test_ema_overwrite_frequency():
    opt, variables, ref = run_both(optimizers.Adam, {"learning_rate": 0.05}, steps=7, use_ema=True,
                                   ema_momentum=0.5, ema_overwrite_frequency=3)
    assert_close(variables, ref)


def test_ema_first_step_copies_the_weights():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=1.0, use_ema=True)
    opt.apply([ops.convert_to_tensor([1.0, 1.0])], [var])
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), [0.0, 1.0])


@pytest.mark.parametrize("cls,kwargs", [CASES[1], CASES[3], CASES[9]], ids=["sgd_momentum", "adam", "nadam"])
def test_gradient_accumulation(cls, kwargs):
    opt, variables, ref = run_both(cls, kwargs, steps=7, gradient_accumulation_steps=3)
    assert_close(variables, ref)
    assert int(opt._iterations) == 7 and int(opt.iterations) == 2
    for acc, r in zip(opt._accumulated_gradients, ref.acc):
        np.testing.assert_allclose(acc.numpy(), r, rtol=1e-5, atol=1e-6)


def test_gradient_accumulation_with_ema_and_clipping():
    opt, variables, ref = run_both(optimizers.Adam, {"learning_rate": 0.02}, steps=8, gradient_accumulation_steps=2,
                                   use_ema=True, ema_momentum=0.7, ema_overwrite_frequency=2, clipnorm=0.8)
    assert_close(variables, ref)


def test_none_gradients_are_skipped_with_a_warning():
    def drop_middle(step, grads):
        return [grads[0], None, grads[2]] if step % 2 == 0 else grads

    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt, variables, ref = run_both(optimizers.Adam, {"learning_rate": 0.01}, steps=4, grad_fn=drop_middle)
    assert_close(variables, ref)
    opt, variables, ref = run_both(optimizers.SGD, {"learning_rate": 0.1, "momentum": 0.9}, steps=1)
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None, None, None], variables)


def test_constraints_are_applied_after_the_update():
    init = [rand((4,), 0), rand((2, 3), 1)]
    variables = [lamina.Variable(w) for w in init]
    variables[0].constraint = constraints.NonNeg()
    variables[1].constraint = constraints.MaxNorm(max_value=0.5, axis=0)
    opt = optimizers.Adam(learning_rate=0.1)
    ref = RefOptimizer("adam", learning_rate=0.1)
    ref.build(init)

    def max_norm(w):
        norms = np.sqrt(np.sum(w * w, axis=0, keepdims=True))
        return w * np.clip(norms, 0, 0.5) / (1e-7 + norms)

    fns = [lambda w: w * (w >= 0), max_norm]
    for step in range(3):
        grads = [rand((4,), 10 + step), rand((2, 3), 20 + step)]
        opt.apply([ops.convert_to_tensor(g) for g in grads], variables)
        ref.apply(grads, constraint_fns=fns)
    assert_close(variables, ref)
    assert np.all(variables[0].numpy() >= 0)


@pytest.mark.parametrize("schedule", [
    schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5),
    schedules.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.01]),
    schedules.CosineDecay(0.0, decay_steps=4, warmup_target=0.1, warmup_steps=2),
], ids=["exponential", "piecewise", "cosine_warmup"])
def test_learning_rate_schedule_follows_iterations(schedule):
    lrs = [float(schedule(step)) for step in range(6)]
    opt, variables, ref = run_both(optimizers.SGD, {"learning_rate": schedule}, steps=6,
                                   ref_extra={"learning_rate": lambda it: lrs[it]})
    assert_close(variables, ref)
    assert isinstance(opt.learning_rate, lamina.Tensor)
    np.testing.assert_allclose(float(opt.learning_rate), float(schedule(6)), rtol=1e-6)


def test_schedule_with_weight_decay_and_adam():
    schedule = schedules.InverseTimeDecay(0.05, decay_steps=1, decay_rate=0.5)
    lrs = [float(schedule(step)) for step in range(5)]
    opt, variables, ref = run_both(optimizers.AdamW, {"learning_rate": schedule, "weight_decay": 0.2}, steps=5,
                                   ref_extra={"learning_rate": lambda it: lrs[it]})
    assert_close(variables, ref)


def test_callable_learning_rate():
    rate = {"value": 0.1}
    opt = optimizers.SGD(learning_rate=lambda: rate["value"])
    var = lamina.Variable([1.0])
    opt.apply([ops.ones((1,))], [var])
    rate["value"] = 0.2
    opt.apply([ops.ones((1,))], [var])
    np.testing.assert_allclose(var.numpy(), [0.7], rtol=1e-6)
    assert opt.learning_rate == 0.2
    assert [v.name for v in opt.variables] == ["iteration"]


# ----------------------------------------------------------------------------------------------
# Learning rate property, iterations, variables, building
# ----------------------------------------------------------------------------------------------


def test_learning_rate_property_and_setter():
    opt = optimizers.Adam(learning_rate=0.01)
    lr = opt.learning_rate
    assert isinstance(lr, lamina.Variable) and lr.dtype == "float32" and not lr.trainable
    np.testing.assert_allclose(float(ops.convert_to_numpy(opt.learning_rate)), 0.01, rtol=1e-6)
    opt.learning_rate = 0.5
    assert opt.learning_rate is lr and float(lr) == 0.5
    opt.learning_rate = ops.convert_to_tensor(0.25)
    assert float(opt.learning_rate) == 0.25
    var = lamina.Variable([1.0])
    sgd = optimizers.SGD(learning_rate=0.5)
    sgd.apply([ops.ones((1,))], [var])
    sgd.learning_rate = 0.25
    sgd.apply([ops.ones((1,))], [var])
    np.testing.assert_allclose(var.numpy(), [0.25])
    # A schedule replaces the variable (which is no longer tracked).
    schedule = schedules.ExponentialDecay(0.1, 10, 0.5)
    opt.learning_rate = schedule
    assert opt._learning_rate is schedule
    assert all(v is not lr for v in opt.variables)
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    # A callable can be replaced by a float again.
    opt = optimizers.SGD(learning_rate=lambda: 0.3)
    opt.learning_rate = 0.4
    assert isinstance(opt.learning_rate, lamina.Variable) and abs(float(opt.learning_rate) - 0.4) < 1e-7


def test_optimizer_variables_names_and_order():
    w = lamina.Variable(np.ones((2, 3), "float32"), name="kernel")
    b = lamina.Variable(np.zeros((3,), "float32"), name="bias")
    opt = optimizers.Adam(name="adam_t", use_ema=True)
    opt.build([w, b])
    assert [v.path for v in opt.variables] == [
        "adam_t/iteration", "adam_t/learning_rate", "adam_t/kernel_average", "adam_t/bias_average",
        "adam_t/kernel_momentum", "adam_t/kernel_velocity", "adam_t/bias_momentum", "adam_t/bias_velocity",
    ]
    assert all(not v.trainable for v in opt.variables)
    assert opt.variables[0].dtype == "int64" and opt.variables[0].shape == ()
    assert opt.variables[4].shape == (2, 3) and opt.variables[7].shape == (3,)
    opt = optimizers.RMSprop(name="rms_t", momentum=0.5, centered=True)
    opt.build([w, b])
    assert [v.name for v in opt.variables[2:]] == [
        "kernel_velocity", "bias_velocity", "kernel_momentum", "bias_momentum",
        "kernel_average_gradient", "bias_average_gradient",
    ]
    opt = optimizers.SGD(name="sgd_t")
    opt.build([w, b])
    assert len(opt.variables) == 2 and opt.built
    opt = optimizers.Ftrl(name="ftrl_t", initial_accumulator_value=0.3)
    opt.build([w])
    np.testing.assert_allclose(opt.variables[2].numpy(), np.full((2, 3), 0.3))
    opt = optimizers.Nadam(name="nadam_t")
    opt.build([w])
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "kernel_momentum", "kernel_velocity",
                                              "u_product"]
    opt = optimizers.Adam(name="acc_t", gradient_accumulation_steps=2, amsgrad=True)
    opt.build([b])
    assert [v.name for v in opt.variables[2:]] == ["bias_gradient_accumulator", "bias_momentum", "bias_velocity",
                                                  "bias_velocity_hat"]


def test_build_is_idempotent_and_apply_builds():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.Adam()
    assert not opt.built
    opt.apply([ops.ones((2,))], [var])
    assert opt.built and len(opt.variables) == 4
    opt.build([var])
    assert len(opt.variables) == 4
    # Once built, gradients alone are enough.
    opt.apply([ops.ones((2,))])
    assert int(opt.iterations) == 2


def test_apply_gradients_returns_iterations():
    var = lamina.Variable([1.0])
    opt = optimizers.SGD(learning_rate=0.5)
    out = opt.apply_gradients([(ops.ones((1,)), var)])
    assert out is opt.iterations and int(out) == 1
    np.testing.assert_allclose(var.numpy(), [0.5])
    assert opt.apply_gradients([]) is opt.iterations and int(opt.iterations) == 1
    opt.apply([])
    assert int(opt.iterations) == 1


def test_gradients_as_numpy_lists_and_other_dtypes():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=0.5)
    opt.apply([np.array([1.0, 1.0], dtype="float64")], [var])
    opt.apply([[1.0, 1.0]], [var])
    np.testing.assert_allclose(var.numpy(), [0.0, 1.0])
    assert var.dtype == "float32"


def test_gradient_tape_training_loop_converges():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], "float32") + 0.3
    w = lamina.Variable(np.zeros((3, 1), "float32"))
    b = lamina.Variable(np.zeros((1,), "float32"))
    opt = optimizers.Adam(learning_rate=0.1)
    for _ in range(200):
        with lamina.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.matmul(x, w) + b - y))
        opt.apply(tape.gradient(loss, [w, b]), [w, b])
    np.testing.assert_allclose(w.numpy().ravel(), [1.0, -2.0, 0.5], atol=0.02)
    np.testing.assert_allclose(b.numpy(), [0.3], atol=0.02)


def test_values_read_before_a_step_keep_their_value():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.1)
    opt.build([var])
    before = var.value
    slot_before = opt._slot_lists[0][0].value
    opt.apply([ops.ones((2,))], [var])
    np.testing.assert_array_equal(np.asarray(before), [1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(slot_before), [0.0, 0.0])
    assert not np.array_equal(var.numpy(), [1.0, 2.0])


def test_float16_variables():
    init = rand((4,), 0, dtype="float16")
    var16 = lamina.Variable(init, dtype="float16")
    var32 = lamina.Variable(init.astype("float32"))
    opt16 = optimizers.Adam(learning_rate=0.01, weight_decay=0.1)
    opt32 = optimizers.Adam(learning_rate=0.01, weight_decay=0.1)
    ref = RefOptimizer("adam", learning_rate=0.01, weight_decay=0.1)
    ref.build([init])
    for step in range(3):
        g = rand((4,), step + 5, dtype="float16")
        opt16.apply([ops.convert_to_tensor(g)], [var16])
        opt32.apply([ops.convert_to_tensor(g)], [var32])  # a float16 gradient for a float32 variable
        ref.apply([g])
    assert var16.dtype == "float16" and opt16._slot_lists[0][0].dtype == "float16"
    assert var32.dtype == "float32"
    np.testing.assert_allclose(var16.numpy().astype("float64"), ref.w[0], rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(var32.numpy(), ref.w[0], rtol=2e-5, atol=2e-6)


def test_overwrite_with_gradient_variables():
    w = lamina.Variable([1.0, 2.0])
    special = lamina.Variable([5.0, 5.0])
    special.overwrite_with_gradient = True
    opt = optimizers.Adam(learning_rate=0.1)
    opt.apply([ops.ones((2,)), ops.convert_to_tensor([7.0, 8.0])], [w, special])
    np.testing.assert_array_equal(special.numpy(), [7.0, 8.0])
    assert opt._slot_lists[1] is None and len(opt.variables) == 4
    np.testing.assert_allclose(w.numpy(), [0.9, 1.9], rtol=1e-5)
    # With accumulation the variable takes the maximum of the accumulated gradients.
    special = lamina.Variable([0.0, 0.0])
    special.overwrite_with_gradient = True
    opt = optimizers.SGD(gradient_accumulation_steps=2)
    opt.apply([ops.convert_to_tensor([3.0, 1.0])], [special])
    np.testing.assert_array_equal(special.numpy(), [0.0, 0.0])
    opt.apply([ops.convert_to_tensor([2.0, 4.0])], [special])
    np.testing.assert_array_equal(special.numpy(), [3.0, 4.0])


def test_stateless_apply():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.SGD(learning_rate=0.5, momentum=0.5)
    opt.build([var])
    opt_values = [v.value for v in opt.variables]
    new_vars, new_opt = opt.stateless_apply(opt_values, [ops.ones((2,))], [ops.convert_to_tensor([3.0, 4.0])])
    np.testing.assert_allclose(np.asarray(new_vars[0]), [2.5, 3.5])
    np.testing.assert_allclose(np.asarray(new_opt[2]), [-0.5, -0.5])
    assert int(new_opt[0]) == 1
    # Nothing changed in place.
    np.testing.assert_array_equal(var.numpy(), [1.0, 2.0])
    assert int(opt.iterations) == 0 and np.all(opt.variables[2].numpy() == 0)
    with pytest.raises(ValueError, match="corresponding 1:1"):
        opt.stateless_apply(opt_values[:1], [ops.ones((2,))], [var.value])
    with pytest.raises(ValueError, match="must be built"):
        optimizers.SGD().stateless_apply([], [], [])


def test_set_weights_and_own_variables_round_trip():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.Adam(learning_rate=0.1)
    for _ in range(2):
        opt.apply([ops.convert_to_tensor([0.5, -1.0])], [var])
    store = {}
    opt.save_own_variables(store)
    assert sorted(store, key=int) == ["0", "1", "2", "3"] and int(store["0"]) == 2
    fresh = optimizers.Adam(learning_rate=0.1)
    fresh.build([var])
    fresh.load_own_variables(store)
    for a, b in zip(fresh.variables, opt.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    other = optimizers.Adam()
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        other.load_own_variables(store)
    with pytest.raises(ValueError, match="has not yet been built"):
        optimizers.Adam().set_weights([np.zeros(())])
    fresh.set_weights([np.array(5, "int64")])
    assert int(fresh.iterations) == 5
    with pytest.raises(ValueError, match="not compatible"):
        fresh.set_weights([np.zeros((2,))])


@pytest.mark.parametrize("copier", ["deepcopy", "pickle"])
def test_copied_optimizer_continues_identically(copier):
    import copy
    import pickle

    variables = [lamina.Variable(rand((3,), 0), name="kernel"), lamina.Variable(rand((2,), 1), name="bias")]
    opt = optimizers.AdamW(learning_rate=0.05, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[variables[0]])
    grads = [ops.convert_to_tensor(rand((3,), 2)), ops.convert_to_tensor(rand((2,), 3))]
    opt.apply(grads, variables)
    if copier == "deepcopy":
        opt2, vars2 = copy.deepcopy((opt, variables))
    else:
        opt2, vars2 = pickle.loads(pickle.dumps((opt, variables)))
    assert all(a is not b for a, b in zip(opt.variables, opt2.variables))
    assert opt2._trainable_variables[0] is vars2[0] and opt2._slot_lists[0][0] is opt2.variables[2]
    for _ in range(2):
        opt.apply(grads, variables)
        opt2.apply(grads, vars2)
    for a, b in zip(variables + opt.variables, vars2 + opt2.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not opt2._use_weight_decay(vars2[0]) and opt2._use_weight_decay(vars2[1])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt2.apply(grads, variables)


# ----------------------------------------------------------------------------------------------
# Custom optimizers
# ----------------------------------------------------------------------------------------------


class MomentumSGD(optimizers.Optimizer):
    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(m, ops.subtract(ops.multiply(m, self.momentum), ops.multiply(gradient, learning_rate)))
        self.assign_add(variable, m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


def test_custom_optimizer_with_update_step():
    kwargs = {"learning_rate": 0.05, "momentum": 0.8}
    init = [rand(s, i) for i, s in enumerate(SHAPES)]
    variables = [lamina.Variable(w) for w in init]
    opt = MomentumSGD(**kwargs, weight_decay=0.1, clipnorm=1.0)
    ref = RefOptimizer("sgd", **kwargs, weight_decay=0.1, clipnorm=1.0)
    ref.build(init)
    apply_both(opt, variables, ref, steps=4, seed=50)
    assert_close(variables, ref)
    assert not opt._uses_kernel()
    config = opt.get_config()
    assert config["momentum"] == 0.8 and MomentumSGD.from_config(config).momentum == 0.8


def test_subclass_overriding_update_step_of_a_builtin():
    calls = []

    class LoggedAdam(optimizers.Adam):
        def update_step(self, gradient, variable, learning_rate):
            calls.append(variable.name)
            super().update_step(gradient, variable, learning_rate)

    kwargs = {"learning_rate": 0.01}
    init = [rand(s, i) for i, s in enumerate(SHAPES)]
    variables = [lamina.Variable(w, name=f"v{i}") for i, w in enumerate(init)]
    opt = LoggedAdam(**kwargs, weight_decay=0.2)
    ref = RefOptimizer("adam", **kwargs, weight_decay=0.2)
    ref.build(init)
    apply_both(opt, variables, ref, steps=3, seed=70)
    assert_close(variables, ref)
    assert calls == ["v0", "v1", "v2"] * 3

    class LoggedNadam(optimizers.Nadam):
        def update_step(self, gradient, variable, learning_rate):
            super().update_step(gradient, variable, learning_rate)

    variables = [lamina.Variable(w) for w in init]
    opt = LoggedNadam(learning_rate=0.01)
    ref = RefOptimizer("nadam", learning_rate=0.01)
    ref.build(init)
    apply_both(opt, variables, ref, steps=3, seed=90)
    assert_close(variables, ref)


def test_base_optimizer_requires_update_step_and_super_init():
    var = lamina.Variable([1.0])

    class NoUpdate(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="must override `update_step"):
        NoUpdate(learning_rate=0.1).apply([ops.ones((1,))], [var])

    class NoSuper(optimizers.Optimizer):
        def __init__(self):
            self.momentum = 0.5

    with pytest.raises(RuntimeError, match="forgot to call `super\\(\\).__init__\\(\\)`"):
        NoSuper()


def test_tracking_variables_assigned_as_attributes():
    class WithState(optimizers.SGD):
        def build(self, variables):
            super().build(variables)
            self.extra = lamina.Variable(0.0, trainable=False, name="extra")
            self.more = [lamina.Variable(1.0, trainable=False, name="more")]

    var = lamina.Variable([1.0])
    opt = WithState()
    opt.build([var])
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "extra", "more"]
    assert all(v is not var for v in opt.variables)


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------


def test_constructor_errors():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="Only one of"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=1.0)
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.Adam(foo=1)
    with pytest.raises(ValueError, match="should be float.*Received instead: learning_rate=1"):
        optimizers.Adam(learning_rate=1)
    with pytest.raises(ValueError, match="`momentum` must be a float between \\[0, 1\\]"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="`momentum` must be a float"):
        optimizers.SGD(momentum=1)
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)
    with pytest.raises(ValueError, match="`ema_momentum` must be in the range \\[0, 1\\]"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer >= 1"):
        optimizers.SGD(use_ema=True, ema_overwrite_frequency=0.5)
    with pytest.raises(ValueError, match="Argument `beta_1` must be in the \\[0, 1\\] range"):
        optimizers.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="Argument `weight_decay` must be a float. Received: weight_decay=None"):
        optimizers.AdamW(weight_decay=None)
    for arg, value in [("initial_accumulator_value", -1.0), ("learning_rate_power", 0.5),
                       ("l1_regularization_strength", -1.0), ("l2_regularization_strength", -1.0),
                       ("l2_shrinkage_regularization_strength", -1.0)]:
        with pytest.raises(ValueError, match=f"`{arg}` needs to be .*Received: {arg}={value}"):
            optimizers.Ftrl(**{arg: value})
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        optimizers.SGD(decay=0.1)


def test_apply_errors():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([ops.ones((2,))])
    opt.apply([ops.ones((2,))], [var])
    with pytest.raises(ValueError, match="Unknown variable"):
        opt.apply([ops.ones((2,))], [lamina.Variable([1.0, 2.0])])
    with pytest.raises(ValueError, match="Received a list of 2 gradients"):
        opt.apply([ops.ones((2,)), ops.ones((2,))])
    with pytest.raises(ValueError, match="number of gradients must match the number of variables"):
        opt.apply([ops.ones((2,)), ops.ones((2,))], [var])
    with pytest.raises(ValueError, match="has shape \\(3,\\), which does not match the variable's shape \\(2,\\)"):
        opt.apply([ops.ones((3,))], [var])
    ints = lamina.Variable([1, 2], dtype="int32")
    with pytest.raises(TypeError, match="floating-point variables.*dtype=int32"):
        optimizers.SGD().apply([ops.ones((2,), dtype="int32")], [ints])
    with pytest.raises(ValueError, match="length of model variables"):
        ema = optimizers.SGD(use_ema=True)
        ema.build([var])
        ema.finalize_variable_values([var, var])


# ----------------------------------------------------------------------------------------------
# LossScaleOptimizer
# ----------------------------------------------------------------------------------------------


def test_loss_scale_optimizer_unscales_and_grows():
    var = lamina.Variable([1.0, 2.0])
    opt = optimizers.LossScaleOptimizer(optimizers.SGD(learning_rate=0.1), initial_scale=8.0, dynamic_growth_steps=2)
    assert float(opt.scale_loss(ops.convert_to_tensor(1.0))) == 8.0
    opt.apply([ops.convert_to_tensor([8.0, 16.0])], [var])
    np.testing.assert_allclose(var.numpy(), [0.9, 1.8], rtol=1e-6)
    assert int(opt.step_counter) == 1 and float(opt.dynamic_scale) == 8.0
    opt.apply([ops.convert_to_tensor([8.0, 8.0])], [var])
    assert int(opt.step_counter) == 0 and float(opt.dynamic_scale) == 16.0
    np.testing.assert_allclose(var.numpy(), [0.8, 1.7], rtol=1e-6)
    assert float(opt.scale_loss(ops.convert_to_tensor(0.5))) == 8.0
    assert int(opt.iterations) == 2


def test_loss_scale_optimizer_skips_non_finite_steps():
    var = lamina.Variable([1.0, 2.0])
    inner = optimizers.Adam(learning_rate=0.1)
    opt = optimizers.LossScaleOptimizer(inner, initial_scale=4.0, dynamic_growth_steps=3)
    opt.apply([ops.convert_to_tensor([4.0, 4.0])], [var])
    after_first = var.numpy()
    slots = [s.numpy() for s in inner._slot_lists[0]]
    for bad in ([np.inf, 1.0], [np.nan, 1.0]):
        opt.apply([ops.convert_to_tensor(bad)], [var])
        np.testing.assert_array_equal(var.numpy(), after_first)
        for s, before in zip(inner._slot_lists[0], slots):
            np.testing.assert_array_equal(s.numpy(), before)
    assert float(opt.dynamic_scale) == 1.0 and int(opt.step_counter) == 0
    assert int(opt.iterations) == 1
    # Growth restarts from zero: 3 finite steps in a row double the scale.
    for _ in range(3):
        opt.apply([ops.ones((2,))], [var])
    assert float(opt.dynamic_scale) == 2.0 and int(opt.iterations) == 4


def test_loss_scale_optimizer_matches_inner_reference():
    init = [rand(s, i) for i, s in enumerate(SHAPES)]
    variables = [lamina.Variable(w) for w in init]
    opt = optimizers.LossScaleOptimizer(optimizers.RMSprop(learning_rate=0.01, momentum=0.5), initial_scale=64.0,
                                        dynamic_growth_steps=100)
    ref = RefOptimizer("rmsprop", learning_rate=0.01, momentum=0.5)
    ref.build(init)
    apply_both(opt, variables, ref, steps=3, seed=30, grad_scale=64.0)
    assert_close(variables, ref)


def test_loss_scale_optimizer_properties_and_config():
    inner = optimizers.Adam(learning_rate=0.01, loss_scale_factor=4.0)
    opt = optimizers.LossScaleOptimizer(inner, name="lso")
    assert inner.loss_scale_factor is None
    assert opt.learning_rate is inner.learning_rate
    opt.learning_rate = 0.5
    assert float(inner.learning_rate) == 0.5
    assert float(opt.scale_loss(ops.convert_to_tensor(1.0))) == 2.0**15
    var = lamina.Variable([1.0])
    opt.build([var])
    names = [v.name for v in opt.variables]
    assert names[:6] == ["iteration", "learning_rate", "step_counter", "dynamic_scale", "iteration", "learning_rate"]
    assert len(names) == 8 and opt.variables[4] is inner.iterations
    assert opt.variables[2].dtype == "int64" and opt.variables[3].dtype == "float32"
    config = opt.get_config()
    assert set(config) == {"name", "inner_optimizer", "initial_scale", "dynamic_growth_steps"}
    json.dumps(config)
    restored = optimizers.deserialize(optimizers.serialize(opt))
    assert isinstance(restored, optimizers.LossScaleOptimizer)
    assert isinstance(restored.inner_optimizer, optimizers.Adam)
    assert restored.initial_scale == 2.0**15 and restored.dynamic_growth_steps == 2000
    np.testing.assert_allclose(float(restored.learning_rate), 0.5)
    # EMA finalization goes to the inner optimizer.
    ema_inner = optimizers.SGD(learning_rate=1.0, use_ema=True)
    lso = optimizers.LossScaleOptimizer(ema_inner, initial_scale=1.0)
    w = lamina.Variable([1.0])
    lso.apply([ops.ones((1,))], [w])
    lso.apply([ops.ones((1,))], [w])
    lso.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [0.99 * 0.0 + 0.01 * -1.0], atol=1e-6)


def test_loss_scale_optimizer_errors():
    with pytest.raises(ValueError, match="no longer supports `dynamic=False`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), dynamic=False)
    with pytest.raises(ValueError, match="does not support `clipnorm`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="does not support arguments: `foo`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), foo=1)
    with pytest.raises(ValueError, match="`inner_optimizer` must be an optimizer instance"):
        optimizers.LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="must already be built"):
        optimizers.LossScaleOptimizer(optimizers.SGD()).apply([ops.ones((1,))])
    # Defaults of the old base arguments are accepted (older configs carry them).
    optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=None, use_ema=False, ema_momentum=0.99)


# ----------------------------------------------------------------------------------------------
# Configs, get / serialize / deserialize
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,kwargs", CASES + [(optimizers.Adam, {"learning_rate": 0.01, "use_ema": True,
                                                                   "ema_overwrite_frequency": 5,
                                                                   "global_clipnorm": 1.0,
                                                                   "gradient_accumulation_steps": 4,
                                                                   "loss_scale_factor": 2.0})],
                         ids=lambda x: getattr(x, "__name__", None) or str(sorted(x)))
def test_config_round_trip(cls, kwargs):
    opt = cls(**kwargs, name="opt_under_test")
    config = opt.get_config()
    json.dumps(config)
    assert config["name"] == "opt_under_test"
    for key, value in kwargs.items():
        if key == "learning_rate":
            np.testing.assert_allclose(config[key], value, rtol=1e-6)
        else:
            assert config[key] == value
    restored = cls.from_config(config)
    assert type(restored) is cls and restored.get_config() == config
    serialized = optimizers.serialize(opt)
    assert serialized["module"] == "keras.optimizers" and serialized["class_name"] == cls.__name__
    again = optimizers.deserialize(json.loads(json.dumps(serialized)))
    assert type(again) is cls and again.get_config() == config


def test_config_keys_match_keras():
    base = ["name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue", "use_ema",
            "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps"]
    assert list(optimizers.Adam().get_config()) == base + ["beta_1", "beta_2", "epsilon", "amsgrad"]
    assert list(optimizers.SGD().get_config()) == base + ["momentum", "nesterov"]
    assert list(optimizers.Ftrl().get_config()) == base + [
        "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
        "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta"]
    assert optimizers.Adam().get_config()["learning_rate"] == float(np.float32(0.001))
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004
    assert optimizers.Lion().get_config()["beta_2"] == 0.99
    assert optimizers.Adadelta().get_config()["rho"] == 0.95


def test_config_with_schedule():
    schedule = schedules.CosineDecay(0.1, decay_steps=100, alpha=0.1, warmup_target=0.2, warmup_steps=5)
    opt = optimizers.SGD(learning_rate=schedule, momentum=0.9)
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    assert config["learning_rate"]["module"] == "keras.optimizers.schedules"
    restored = optimizers.SGD.from_config(json.loads(json.dumps(config)))
    assert isinstance(restored._learning_rate, schedules.CosineDecay)
    assert restored._learning_rate.get_config() == schedule.get_config()
    assert restored.get_config() == config


def test_get():
    for name, cls in [("adam", optimizers.Adam), ("Adam", optimizers.Adam), ("sgd", optimizers.SGD),
                      ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop),
                      ("adamw", optimizers.AdamW), ("nadam", optimizers.Nadam), ("adamax", optimizers.Adamax),
                      ("adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
                      ("ftrl", optimizers.Ftrl), ("lion", optimizers.Lion)]:
        assert type(optimizers.get(name)) is cls
    opt = optimizers.SGD()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    got = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.5, "momentum": 0.5}})
    assert type(got) is optimizers.SGD and got.momentum == 0.5
    assert abs(float(got.learning_rate) - 0.5) < 1e-7
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: adamm.*'adam'"):
        optimizers.get("adamm")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: rmsprob.*'rmsprop'"):
        optimizers.get("rmsprob")
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: 42"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(optimizers.SGD)


def test_custom_optimizer_serialization():
    registered = lamina.saving.register_keras_serializable(package="opt_tests")(MomentumSGD)
    opt = registered(learning_rate=0.1, momentum=0.7)
    serialized = optimizers.serialize(opt)
    assert serialized["registered_name"] == "opt_tests>MomentumSGD"
    restored = optimizers.deserialize(serialized)
    assert isinstance(restored, MomentumSGD) and restored.momentum == 0.7


def test_public_names():
    for name in ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "LossScaleOptimizer", "Nadam",
                 "Optimizer", "RMSprop", "SGD", "deserialize", "get", "serialize", "schedules"]:
        assert hasattr(optimizers, name)
    for cls in KIND:
        assert issubclass(cls, optimizers.Optimizer)
        assert "{{" not in cls.__doc__ and "weight_decay" in cls.__doc__
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizers.Adam()
