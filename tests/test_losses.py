"""lamina.losses: every loss against a numpy reference written here (several shapes, with and
without sample weights, every reduction), label smoothing, ignore_class, masks, configs,
get/serialize/deserialize, errors, finite-difference gradients in float64, float16 handling."""

import itertools
import json
import math
import warnings

import numpy as np
import pytest

import lamina
from lamina import losses
from lamina import ops

EPS = 1e-7
REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
RNG = np.random.default_rng(0)


def _np(x):
    return np.asarray(x, dtype="float64")


# ----------------------------------------------------------------------------------------------
# numpy references
# ----------------------------------------------------------------------------------------------


def ref_match_rank(x1, x2):
    """Keras' rule: a trailing unit dimension is squeezed (or the rank-1 partner expanded)."""
    if x1.ndim == x2.ndim + 1 and x1.shape[-1] == 1:
        return (x1, x2[..., None]) if x2.ndim == 1 else (x1[..., 0], x2)
    if x2.ndim == x1.ndim + 1 and x2.shape[-1] == 1:
        return (x1[..., None], x2) if x1.ndim == 1 else (x1, x2[..., 0])
    return x1, x2


def ref_reduce(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Keras 3's weighting, masking and reduction of per-sample losses, in numpy."""
    values = _np(values)
    sw = None if sample_weight is None else _np(sample_weight)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if reduction in ("sum_over_batch_size", "mean"):
            valid = mask.sum()
            w = np.where(mask, mask.size / valid if valid else 0.0, 0.0)
        else:
            w = mask.astype("float64")
        if sw is None:
            sw = w
        else:
            w, sw = ref_match_rank(w, sw)
            sw = sw * w
    if sw is not None:
        values, sw = ref_match_rank(values, sw)
        values = values * sw
    if reduction in (None, "none") or values.shape in ((), (0,)):
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    divisor = sw.sum() if (reduction == "mean_with_sample_weight" and sw is not None) else values.size
    return total / divisor if divisor else 0.0


def ref_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def ref_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_mse(t, p):
    return np.mean((t - p) ** 2, axis=-1)


def ref_mae(t, p):
    return np.mean(np.abs(t - p), axis=-1)


def ref_mape(t, p):
    return 100.0 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def ref_msle(t, p):
    return np.mean((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2, axis=-1)


def ref_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.mean(np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2), axis=-1)


def ref_log_cosh(t, p):
    return np.mean(np.log(np.cosh(p - t)), axis=-1)


def ref_kld(t, p):
    t = np.clip(t, EPS, 1)
    p = np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def ref_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def ref_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def ref_hinge(t, p):
    return np.mean(np.maximum(1 - ref_hinge_labels(t) * p, 0), axis=-1)


def ref_squared_hinge(t, p):
    return np.mean(np.maximum(1 - ref_hinge_labels(t) * p, 0) ** 2, axis=-1)


def ref_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def ref_cosine(t, p, axis=-1):
    def unit(x):
        n = np.sqrt(np.sum(x**2, axis=axis, keepdims=True))
        return x / np.maximum(n, EPS)

    return -np.sum(unit(t) * unit(p), axis=axis)


def ref_bce_elementwise(t, p, from_logits):
    if from_logits:
        # log(1 + exp(x)) - x t, by logaddexp so the reference itself never overflows
        return np.logaddexp(0.0, p) - p * t
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    return np.mean(ref_bce_elementwise(t, p, from_logits), axis=axis)


def ref_binary_focal(t, p, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                     label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = ref_sigmoid(p)
    bce = ref_bce_elementwise(t, p, False)
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return np.mean(out, axis=axis)


def ref_log_probs(p, from_logits, axis=-1):
    if from_logits:
        return ref_log_softmax(p, axis)
    p = p / p.sum(axis=axis, keepdims=True)
    return np.log(np.clip(p, EPS, 1 - EPS))


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    return -np.sum(t * ref_log_probs(p, from_logits, axis), axis=axis)


def ref_categorical_focal(t, p, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        p = np.exp(ref_log_softmax(p, axis))
    p = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return np.sum(np.asarray(alpha) * (1 - p) ** gamma * -t * np.log(p), axis=axis)


def ref_scce(labels, p, from_logits=False, ignore_class=None):
    """Per-sample losses and the valid mask (classes on the last axis)."""
    labels = np.asarray(labels)
    if labels.ndim == p.ndim:
        labels = labels[..., 0]
    valid = np.ones(labels.shape, bool) if ignore_class is None else labels != ignore_class
    safe = np.where(valid, labels, 0).astype(int)
    logp = ref_log_probs(p, from_logits)
    picked = np.take_along_axis(logp, safe[..., None], axis=-1)[..., 0]
    return np.where(valid, -picked, 0.0), valid


def ref_dice(t, p, axis=None):
    inter = np.sum(t * p, axis=axis)
    return 1 - 2 * inter / (np.sum(t, axis=axis) + np.sum(p, axis=axis) + EPS)


def ref_tversky(t, p, alpha=0.5, beta=0.5, axis=None):
    tp = np.sum(t * p, axis=axis)
    fp = np.sum((1 - p) * t, axis=axis)
    fn = np.sum(p * (1 - t), axis=axis)
    return 1 - tp / (tp + alpha * fp + beta * fn + EPS)


def ref_gce(labels, p, q):
    pt = p[np.arange(len(labels)), labels]
    return (1 - pt**q) / q


def ref_circle(labels, emb, gamma=80.0, margin=0.4, remove_diagonal=True):
    d = np.maximum(1 - emb @ emb.T, 0)
    pos = labels[:, None] == labels[None, :]
    neg = ~pos
    if remove_diagonal:
        pos = pos & ~np.eye(len(labels), dtype=bool)
    wp = np.maximum((margin + d) * pos, 0)
    wn = np.maximum((1 + margin - d) * neg, 0)
    sp = -gamma * wp * (margin - d)
    sn = gamma * wn * (1 - margin - d)

    def lse(s, m):
        out = np.full(len(s), -np.inf)
        for i in range(len(s)):
            if m[i].any():
                v = s[i][m[i]]
                out[i] = v.max() + np.log(np.exp(v - v.max()).sum())
        return out

    z = lse(sp, pos) + lse(sn, neg)
    return np.logaddexp(0.0, z)


def ref_ctc(labels, logits):
    """Brute force: -log of the summed probability of every path that collapses to the
    label sequence (blank 0, labels padded with 0)."""
    out = []
    for lab, lg in zip(labels, logits):
        target = tuple(int(v) for v in lab if v != 0)
        probs = np.exp(ref_log_softmax(lg))
        total = 0.0
        for path in itertools.product(range(lg.shape[-1]), repeat=lg.shape[0]):
            collapsed = [c for i, c in enumerate(path) if i == 0 or c != path[i - 1]]
            if tuple(c for c in collapsed if c != 0) == target:
                total += np.prod(probs[np.arange(lg.shape[0]), path])
        out.append(-np.log(total))
    return np.array(out)


# ----------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------


def regression_data(shape):
    return RNG.random(shape).astype("float32") + 0.05, RNG.random(shape).astype("float32") + 0.05


def binary_data(shape):
    return (RNG.random(shape) > 0.5).astype("float32"), RNG.uniform(0.02, 0.98, shape).astype("float32")


def probs_data(shape):
    labels = RNG.integers(0, shape[-1], shape[:-1])
    onehot = np.eye(shape[-1], dtype="float32")[labels]
    p = RNG.random(shape).astype("float32") + 0.05
    return labels, onehot, (p / p.sum(-1, keepdims=True)).astype("float32")


# (class, function, reference, data kind, constructor kwargs)
SIMPLE = [
    (losses.MeanSquaredError, losses.mean_squared_error, ref_mse, "reg", {}),
    (losses.MeanAbsoluteError, losses.mean_absolute_error, ref_mae, "reg", {}),
    (losses.MeanAbsolutePercentageError, losses.mean_absolute_percentage_error, ref_mape, "reg", {}),
    (losses.MeanSquaredLogarithmicError, losses.mean_squared_logarithmic_error, ref_msle, "reg", {}),
    (losses.Huber, losses.huber, ref_huber, "reg", {}),
    (losses.LogCosh, losses.log_cosh, ref_log_cosh, "reg", {}),
    (losses.KLDivergence, losses.kl_divergence, ref_kld, "prob", {}),
    (losses.Poisson, losses.poisson, ref_poisson, "reg", {}),
    (losses.Hinge, losses.hinge, ref_hinge, "bin", {}),
    (losses.SquaredHinge, losses.squared_hinge, ref_squared_hinge, "bin", {}),
    (losses.CategoricalHinge, losses.categorical_hinge, ref_categorical_hinge, "onehot", {}),
    (losses.CosineSimilarity, losses.cosine_similarity, ref_cosine, "reg", {}),
    (losses.BinaryCrossentropy, losses.binary_crossentropy, ref_bce, "bin", {}),
    (losses.BinaryFocalCrossentropy, losses.binary_focal_crossentropy, ref_binary_focal, "bin", {}),
    (losses.CategoricalCrossentropy, losses.categorical_crossentropy, ref_cce, "onehot", {}),
    (losses.CategoricalFocalCrossentropy, losses.categorical_focal_crossentropy, ref_categorical_focal,
     "onehot", {}),
]


def make_pair(kind, shape):
    if kind == "reg":
        return regression_data(shape)
    if kind == "bin":
        return binary_data(shape)
    if kind == "prob":
        _, _, t = probs_data(shape)
        _, _, p = probs_data(shape)
        return t, p
    _, onehot, p = probs_data(shape)
    return onehot, p


# ----------------------------------------------------------------------------------------------
# Values: function forms and classes against the references
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,fn,ref,kind,kwargs", SIMPLE, ids=[c[0].__name__ for c in SIMPLE])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (1, 7)])
def test_function_forms_match_reference(cls, fn, ref, kind, kwargs, shape):
    t, p = make_pair(kind, shape)
    out = fn(t, p)
    assert out.shape == shape[:-1]
    assert out.dtype == "float32"
    np.testing.assert_allclose(_np(out), ref(_np(t), _np(p)), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("cls,fn,ref,kind,kwargs", SIMPLE, ids=[c[0].__name__ for c in SIMPLE])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape,sw_shape", [((4, 3), None), ((4, 3), (4,)), ((4, 3), (4, 1)),
                                            ((2, 3, 5), (2, 3)), ((2, 3, 5), (2, 1)), ((5, 2), ())])
def test_classes_match_reference(cls, fn, ref, kind, kwargs, reduction, shape, sw_shape):
    t, p = make_pair(kind, shape)
    sw = None if sw_shape is None else RNG.random(sw_shape).astype("float32") + 0.1
    out = cls(reduction=reduction, **kwargs)(t, p, sample_weight=sw)
    expected = ref_reduce(ref(_np(t), _np(p)), sw, reduction=reduction)
    assert out.dtype == "float32"
    assert tuple(out.shape) == np.shape(expected)
    np.testing.assert_allclose(_np(out), expected, rtol=2e-5, atol=2e-6)


def test_default_reduction_is_sum_over_batch_size():
    t, p = regression_data((6, 4))
    np.testing.assert_allclose(_np(losses.MeanSquaredError()(t, p)), ref_mse(_np(t), _np(p)).mean(), rtol=1e-6)
    assert losses.MeanSquaredError().reduction == "sum_over_batch_size"


def test_keras_documented_values():
    y_true = np.array([[0, 1, 0], [0, 0, 1]])
    y_pred = np.array([[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    np.testing.assert_allclose(_np(losses.CategoricalCrossentropy()(y_true, y_pred)), 1.177, atol=1e-3)
    np.testing.assert_allclose(
        _np(losses.CategoricalCrossentropy()(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))), 0.814, atol=1e-3
    )
    np.testing.assert_allclose(_np(losses.CategoricalCrossentropy(reduction="sum")(y_true, y_pred)), 2.354, atol=1e-3)
    np.testing.assert_allclose(_np(losses.CategoricalCrossentropy(reduction=None)(y_true, y_pred)),
                               [0.0513, 2.303], atol=1e-3)
    np.testing.assert_allclose(_np(losses.SparseCategoricalCrossentropy()(np.array([1, 2]), y_pred)), 1.177, atol=1e-3)
    np.testing.assert_allclose(_np(losses.CategoricalFocalCrossentropy()(y_true, y_pred)), 0.23315276, rtol=1e-5)
    np.testing.assert_allclose(_np(losses.MeanSquaredError()([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])), 0.02, rtol=1e-5)
    np.testing.assert_allclose(
        _np(losses.BinaryCrossentropy(from_logits=True)([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])), 0.8654, atol=1e-4
    )
    np.testing.assert_allclose(
        _np(losses.MeanAbsolutePercentageError()([100.0, 200.0, 300.0], [90.0, 210.0, 310.0])), 6.111111, rtol=1e-5
    )


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
def test_binary_crossentropies_options(from_logits, label_smoothing):
    t, p = binary_data((4, 5))
    if from_logits:
        p = (RNG.standard_normal((4, 5)) * 3).astype("float32")
    np.testing.assert_allclose(
        _np(losses.binary_crossentropy(t, p, from_logits=from_logits, label_smoothing=label_smoothing)),
        ref_bce(_np(t), _np(p), from_logits, label_smoothing), rtol=1e-5, atol=1e-6)
    for balancing, alpha, gamma in [(False, 0.25, 2.0), (True, 0.4, 1.5), (True, 0.25, 0.0)]:
        loss = losses.BinaryFocalCrossentropy(apply_class_balancing=balancing, alpha=alpha, gamma=gamma,
                                              from_logits=from_logits, label_smoothing=label_smoothing,
                                              reduction=None)
        expected = ref_binary_focal(_np(t), _np(p), balancing, alpha, gamma, from_logits, label_smoothing)
        np.testing.assert_allclose(_np(loss(t, p)), expected, rtol=1e-5, atol=1e-6)
    # axis: the mean runs over the given axis
    np.testing.assert_allclose(_np(losses.BinaryCrossentropy(axis=0, reduction=None, from_logits=from_logits)(t, p)),
                               ref_bce(_np(t), _np(p), from_logits, axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_categorical_crossentropies_options(from_logits, label_smoothing):
    _, t, p = probs_data((3, 4, 5))
    if from_logits:
        p = (RNG.standard_normal((3, 4, 5)) * 2).astype("float32")
    np.testing.assert_allclose(
        _np(losses.CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing,
                                           reduction=None)(t, p)),
        ref_cce(_np(t), _np(p), from_logits, label_smoothing), rtol=1e-5, atol=1e-6)
    for alpha, gamma in [(0.25, 2.0), ([0.1, 0.2, 0.3, 0.2, 0.2], 1.0), (1.0, 0.0)]:
        loss = losses.CategoricalFocalCrossentropy(alpha=alpha, gamma=gamma, from_logits=from_logits,
                                                   label_smoothing=label_smoothing, reduction=None)
        expected = ref_categorical_focal(_np(t), _np(p), alpha, gamma, from_logits, label_smoothing)
        np.testing.assert_allclose(_np(loss(t, p)), expected, rtol=1e-5, atol=1e-6)
    # the class axis can be elsewhere
    tm, pm = np.moveaxis(t, -1, 1), np.moveaxis(p, -1, 1)
    np.testing.assert_allclose(
        _np(losses.categorical_crossentropy(tm, pm, from_logits=from_logits, label_smoothing=label_smoothing, axis=1)),
        ref_cce(_np(tm), _np(pm), from_logits, label_smoothing, axis=1), rtol=1e-5, atol=1e-6)


def test_label_smoothing_values():
    # binary: 1 -> 1 - ls/2, 0 -> ls/2; categorical: 1 -> 1 - ls + ls/K, 0 -> ls/K
    t = np.array([[1.0, 0.0]], "float32")
    p = np.array([[0.7, 0.2]], "float32")
    ls = 0.2
    expected = -np.mean([0.9 * np.log(0.7) + 0.1 * np.log(0.3), 0.1 * np.log(0.2) + 0.9 * np.log(0.8)])
    np.testing.assert_allclose(_np(losses.BinaryCrossentropy(label_smoothing=ls)(t, p)), expected, rtol=1e-5)
    pc = np.array([[0.7, 0.3]], "float32")
    expected_c = -(0.9 * np.log(0.7) + 0.1 * np.log(0.3))
    np.testing.assert_allclose(_np(losses.CategoricalCrossentropy(label_smoothing=ls)(t, pc)), expected_c, rtol=1e-5)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("label_shape", ["flat", "column"])
def test_sparse_categorical_crossentropy(from_logits, label_shape):
    labels, _, p = probs_data((6, 4))
    if from_logits:
        p = (RNG.standard_normal((6, 4)) * 2).astype("float32")
    y = labels if label_shape == "flat" else labels[:, None]
    expected, _ = ref_scce(labels, _np(p), from_logits)
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy(y, p, from_logits=from_logits)), expected,
                               rtol=1e-5, atol=1e-6)
    for reduction in REDUCTIONS:
        sw = RNG.random(6).astype("float32")
        out = losses.SparseCategoricalCrossentropy(from_logits=from_logits, reduction=reduction)(y, p, sample_weight=sw)
        np.testing.assert_allclose(_np(out), ref_reduce(expected, sw, reduction=reduction), rtol=1e-5, atol=1e-6)
    # float labels (as Loss.__call__ casts them) and 3-D predictions
    labels3, _, p3 = probs_data((2, 3, 4))
    np.testing.assert_allclose(_np(losses.SparseCategoricalCrossentropy(reduction=None)(labels3.astype("float32"), p3)),
                               ref_scce(labels3, _np(p3))[0], rtol=1e-5, atol=1e-6)
    # class axis 1
    np.testing.assert_allclose(
        _np(losses.sparse_categorical_crossentropy(labels3, np.moveaxis(p3, -1, 1), axis=1)),
        ref_scce(labels3, _np(p3))[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("from_logits", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_sparse_ignore_class(from_logits, reduction):
    labels = np.array([[0, 2, 1], [1, 1, 3], [2, 0, 1]])
    p = RNG.random((3, 3, 4)).astype("float32") + 0.05
    if from_logits:
        p = (RNG.standard_normal((3, 3, 4)) * 2).astype("float32")
    values, valid = ref_scce(labels, _np(p), from_logits, ignore_class=1)
    fn_out = losses.sparse_categorical_crossentropy(labels, p, from_logits=from_logits, ignore_class=1)
    np.testing.assert_allclose(_np(fn_out), values, rtol=1e-5, atol=1e-6)
    assert np.array_equal(np.asarray(fn_out._keras_mask), valid)
    sw = RNG.random(3).astype("float32") + 0.1
    for weights in (None, sw):
        loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=1, reduction=reduction)
        out = loss(labels, p, sample_weight=weights)
        # (as in Keras, the (3,) weights broadcast against the (3, 3) mask along its last axis)
        expected = ref_reduce(values, weights, mask=valid, reduction=reduction)
        np.testing.assert_allclose(_np(out), expected, rtol=1e-5, atol=1e-6)
    if reduction == "sum_over_batch_size":
        # the mean runs over the valid entries only
        np.testing.assert_allclose(_np(loss(labels, p)), values[valid].mean(), rtol=1e-5)


def test_sparse_ignore_class_all_ignored_and_gradient():
    labels = np.array([-1, -1])
    p = ops.convert_to_tensor(np.array([[0.2, 0.8], [0.5, 0.5]]))
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1, dtype="float64")
    with lamina.GradientTape() as tape:
        tape.watch(p)
        value = loss(labels, p)
    assert float(value) == 0.0
    grad = np.asarray(tape.gradient(value, p))
    assert np.all(np.isfinite(grad)) and np.all(grad == 0)
    # ignored rows get no gradient; others are finite
    labels = np.array([0, -1, 1])
    q = ops.convert_to_tensor(np.array([[0.2, 0.8], [0.0, 0.0], [0.5, 0.5]]))
    with lamina.GradientTape() as tape:
        tape.watch(q)
        value = loss(labels, q)
    grad = np.asarray(tape.gradient(value, q))
    assert np.all(np.isfinite(grad)) and np.all(grad[1] == 0) and np.any(grad[0] != 0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mask_on_y_pred(reduction):
    t, p = regression_data((3, 4, 2))
    mask = np.array([[1, 1, 0, 0], [1, 0, 1, 1], [0, 0, 0, 1]], bool)
    values = ref_mse(_np(t), _np(p))
    for sw in (None, RNG.random((3, 4)).astype("float32") + 0.1, RNG.random((3, 1)).astype("float32") + 0.1):
        yp = ops.convert_to_tensor(p)
        yp._keras_mask = ops.convert_to_tensor(mask)
        out = losses.MeanSquaredError(reduction=reduction)(t, yp, sample_weight=sw)
        np.testing.assert_allclose(_np(out), ref_reduce(values, sw, mask=mask, reduction=reduction), rtol=1e-5)
    if reduction == "sum_over_batch_size":
        np.testing.assert_allclose(_np(out), (values * sw)[mask].sum() / mask.sum(), rtol=1e-5)


def test_mask_with_rank_one_sample_weight_raises_like_keras():
    # Keras merges a (3, 4) mask with a (3,) weight by broadcasting, which fails.
    t, p = regression_data((3, 4, 2))
    yp = ops.convert_to_tensor(p)
    yp._keras_mask = ops.ones((3, 4), dtype="bool")
    with pytest.raises(ValueError):
        losses.MeanSquaredError()(t, yp, sample_weight=np.ones(3))


def test_mask_combined_with_ignore_class_and_all_masked():
    labels = np.array([[0, 1, 2], [2, 1, 0]])
    p = RNG.random((2, 3, 3)).astype("float32") + 0.05
    mask = np.array([[1, 1, 0], [1, 1, 1]], bool)
    yp = ops.convert_to_tensor(p)
    yp._keras_mask = ops.convert_to_tensor(mask)
    values, valid = ref_scce(labels, _np(p), ignore_class=1)
    out = losses.SparseCategoricalCrossentropy(ignore_class=1)(labels, yp)
    np.testing.assert_allclose(_np(out), values[valid & mask].mean(), rtol=1e-5)
    yp._keras_mask = ops.zeros((2, 3), dtype="bool")
    assert float(losses.SparseCategoricalCrossentropy()(labels, yp)) == 0.0


def test_rank_matching_of_labels_and_weights():
    t = RNG.random(5).astype("float32")
    p = RNG.random((5, 1)).astype("float32")
    # (n,) labels with (n, 1) predictions: both become (n, 1)
    np.testing.assert_allclose(_np(losses.MeanSquaredError(reduction=None)(t, p)), (t - p[:, 0]) ** 2, rtol=1e-6)
    tb = (RNG.random(5) > 0.5).astype("float32")
    np.testing.assert_allclose(_np(losses.BinaryCrossentropy(reduction=None)(tb, p)),
                               ref_bce(_np(tb)[:, None], _np(p)), rtol=1e-5)
    # (n, 1) weights on (n,) losses are squeezed
    t2, p2 = regression_data((5, 3))
    sw = RNG.random((5, 1)).astype("float32")
    np.testing.assert_allclose(_np(losses.MeanSquaredError(reduction="sum")(t2, p2, sample_weight=sw)),
                               np.sum(ref_mse(_np(t2), _np(p2)) * sw[:, 0]), rtol=1e-5)
    # scalar weight
    np.testing.assert_allclose(_np(losses.MeanSquaredError()(t2, p2, sample_weight=2.0)),
                               2 * ref_mse(_np(t2), _np(p2)).mean(), rtol=1e-5)


def test_mean_with_sample_weight_zero_weights_gives_zero():
    t, p = regression_data((3, 2))
    out = losses.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, sample_weight=np.zeros(3))
    assert float(out) == 0.0
    out = losses.MeanSquaredError(reduction="mean_with_sample_weight")(t, p)
    np.testing.assert_allclose(_np(out), ref_mse(_np(t), _np(p)).mean(), rtol=1e-6)


def test_empty_batch():
    out = losses.MeanSquaredError()(np.zeros((0, 3), "float32"), np.zeros((0, 3), "float32"))
    assert out.shape == (0,)
    out = losses.MeanSquaredError()(np.zeros((0, 2, 3), "float32"), np.zeros((0, 2, 3), "float32"))
    assert float(out) == 0.0


def test_huber_delta_and_cosine_axis():
    t, p = regression_data((4, 6))
    p = p * 4
    for delta in (0.1, 1.0, 2.5):
        np.testing.assert_allclose(_np(losses.Huber(delta=delta, reduction=None)(t, p)),
                                   ref_huber(_np(t), _np(p), delta), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.CosineSimilarity(axis=0, reduction=None)(t, p)),
                               ref_cosine(_np(t), _np(p), axis=0), rtol=1e-5)
    # zero vector -> 0, no NaN
    assert float(losses.cosine_similarity([[0.0, 0.0]], [[1.0, 2.0]])[0]) == 0.0


def test_hinge_label_conversion():
    p = RNG.standard_normal((4, 3)).astype("float32")
    pm = RNG.choice([-1.0, 1.0], (4, 3)).astype("float32")
    binary = (pm > 0).astype("float32")
    # 0/1 labels give the same loss as the -1/1 labels they stand for
    np.testing.assert_allclose(_np(losses.hinge(binary, p)), _np(losses.hinge(pm, p)), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.hinge(pm, p)), ref_hinge(pm, _np(p)), rtol=1e-6)
    np.testing.assert_allclose(_np(losses.squared_hinge(binary, p)), ref_squared_hinge(pm, _np(p)), rtol=1e-6)


def test_log_cosh_large_errors_do_not_overflow():
    out = losses.log_cosh([[0.0, 0.0]], [[200.0, -300.0]])
    np.testing.assert_allclose(_np(out), [np.mean([200 - np.log(2), 300 - np.log(2)])], rtol=1e-6)


def test_dice_tversky_and_generalized_cross_entropy():
    t, p = binary_data((3, 4))
    np.testing.assert_allclose(_np(losses.Dice()(t, p)), ref_dice(_np(t), _np(p)), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.Dice(reduction=None, axis=1)(t, p)), ref_dice(_np(t), _np(p), axis=1),
                               rtol=1e-5)
    np.testing.assert_allclose(_np(losses.Dice(axis=1)(t, p, sample_weight=[1.0, 2.0, 0.0])),
                               ref_reduce(ref_dice(_np(t), _np(p), axis=1), [1.0, 2.0, 0.0]), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.Tversky(alpha=0.3, beta=0.7)(t, p)),
                               ref_tversky(_np(t), _np(p), 0.3, 0.7), rtol=1e-5)
    np.testing.assert_allclose(_np(losses.tversky(t, p, axis=1)), ref_tversky(_np(t), _np(p), axis=1), rtol=1e-5)
    labels, _, probs = probs_data((5, 3))
    for q in (0.2, 0.7):
        np.testing.assert_allclose(_np(losses.CategoricalGeneralizedCrossEntropy(q=q, reduction=None)(labels, probs)),
                                   ref_gce(labels, _np(probs), q), rtol=1e-5)


def test_circle_loss():
    emb = RNG.standard_normal((6, 4))
    emb = (emb / np.linalg.norm(emb, axis=1, keepdims=True)).astype("float32")
    labels = np.array([0, 0, 1, 1, 2, 3])
    for kwargs in ({}, {"gamma": 10.0, "margin": 0.25}, {"remove_diagonal": False, "gamma": 5.0}):
        values = ref_circle(labels, _np(emb), **kwargs)
        out = losses.circle(labels, emb, **kwargs)
        np.testing.assert_allclose(_np(out), values, rtol=1e-4, atol=1e-5)
        assert np.array_equal(np.asarray(out._keras_mask), values > 0)
        np.testing.assert_allclose(_np(losses.Circle(**kwargs)(labels, emb)), values[values > 0].mean(),
                                   rtol=1e-4)


def test_ctc_against_brute_force():
    labels = np.array([[1, 2, 0], [2, 2, 0], [1, 0, 0]])
    logits = RNG.standard_normal((3, 5, 3)).astype("float32")
    expected = ref_ctc(labels, _np(logits))
    np.testing.assert_allclose(_np(losses.ctc(labels, logits)), expected, rtol=1e-4)
    np.testing.assert_allclose(_np(losses.CTC()(labels, logits)), expected.mean(), rtol=1e-4)
    np.testing.assert_allclose(_np(losses.CTC(reduction="sum")(labels, logits, sample_weight=[1.0, 0.5, 2.0])),
                               np.sum(expected * [1.0, 0.5, 2.0]), rtol=1e-4)


def test_nested_structures():
    # A LossFunctionWrapper sees nested y_true/y_pred with each pair's ranks matched.
    def two_heads(y_true, y_pred):
        return ops.mean(ops.square(y_true["a"] - y_pred["a"]), axis=-1) + ops.mean(
            ops.abs(y_true["b"] - y_pred["b"]), axis=-1)

    ta, pa = regression_data((4, 1))
    tb, pb = regression_data((4, 2))
    loss = losses.LossFunctionWrapper(two_heads)
    out = loss({"a": ta[:, 0], "b": tb}, {"a": pa, "b": pb})
    np.testing.assert_allclose(_np(out), np.mean(ref_mse(_np(ta), _np(pa)) + ref_mae(_np(tb), _np(pb))), rtol=1e-5)
    with pytest.raises(ValueError):
        loss({"a": ta}, {"a": pa, "b": pb})


def test_custom_loss_subclass():
    class ScaledAbs(losses.Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return self.scale * ops.mean(ops.abs(y_true - y_pred), axis=-1)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale}

    t, p = regression_data((3, 4))
    loss = ScaledAbs(scale=2.0, reduction="sum")
    np.testing.assert_allclose(_np(loss(t, p)), 2 * ref_mae(_np(t), _np(p)).sum(), rtol=1e-5)
    assert loss.name.startswith("scaled_abs")
    clone = ScaledAbs.from_config(loss.get_config())
    assert clone.scale == 2.0 and clone.reduction == "sum" and clone.name == loss.name
    with pytest.raises(NotImplementedError, match="must implement `call"):
        losses.Loss()(t, p)


def test_auto_names_are_unique():
    a, b = losses.Loss(), losses.Loss()
    assert a.name.startswith("loss") and b.name.startswith("loss") and a.name != b.name
    assert losses.MeanSquaredError().name == losses.MeanSquaredError().name == "mean_squared_error"


# ----------------------------------------------------------------------------------------------
# dtypes
# ----------------------------------------------------------------------------------------------


def test_float16_inputs_are_cast_to_the_loss_dtype():
    t, p = regression_data((4, 3))
    t16, p16 = t.astype("float16"), p.astype("float16")
    expected = ref_mse(_np(t16), _np(p16)).mean()
    out = losses.MeanSquaredError()(t16, p16)
    assert out.dtype == "float32"
    np.testing.assert_allclose(_np(out), expected, rtol=1e-6)
    out16 = losses.MeanSquaredError(dtype="float16")(t, p)
    assert out16.dtype == "float16" and losses.MeanSquaredError(dtype="float16").dtype == "float16"
    np.testing.assert_allclose(_np(out16), ref_mse(_np(t), _np(p)).mean(), rtol=2e-3)
    mixed = losses.BinaryCrossentropy(dtype="mixed_float16")
    assert mixed.dtype == "float16"
    tb, pb = binary_data((4, 3))
    assert mixed(tb, pb).dtype == "float16"
    np.testing.assert_allclose(_np(mixed(tb, pb)), ref_bce(_np(tb), _np(pb)).mean(), rtol=5e-3)
    out64 = losses.CategoricalCrossentropy(dtype="float64")(*make_pair("onehot", (3, 4)))
    assert out64.dtype == "float64"
    # the function forms compute in y_pred's dtype
    assert losses.mean_squared_error(t16, p16).dtype == "float16"
    assert losses.binary_crossentropy(tb, pb.astype("float16")).dtype == "float16"
    p16 = np.array([[0.3, 0.7], [0.5, 0.5]], "float16")
    assert losses.sparse_categorical_crossentropy([0, 1], p16).dtype == "float16"
    assert losses.MeanSquaredError(dtype=lamina.DTypePolicy("float64")).dtype == "float64"
    # floatx is the default
    lamina.backend.set_floatx("float64")
    try:
        assert losses.MeanSquaredError()(t, p).dtype == "float64"
    finally:
        lamina.backend.set_floatx("float32")


def test_integer_inputs():
    assert losses.mean_squared_error([[1, 2]], [[1, 4]]).dtype == "float32"
    np.testing.assert_allclose(_np(losses.mean_squared_error([[1, 2]], [[1, 4]])), [2.0])
    np.testing.assert_allclose(_np(losses.MeanAbsoluteError()(np.array([[1, 2]]), np.array([[2, 2]]))), 0.5)


# ----------------------------------------------------------------------------------------------
# Numerical stability
# ----------------------------------------------------------------------------------------------


def test_logits_are_stable():
    t = np.array([[0.0, 1.0, 1.0, 0.0]], "float32")
    x = np.array([[1000.0, -1000.0, 1000.0, -1000.0]], "float32")
    # two entries are wrong by a logit of 1000, two are right
    np.testing.assert_allclose(_np(losses.binary_crossentropy(t, x, from_logits=True)), [500.0], rtol=1e-6)
    tc = np.array([[0.0, 1.0, 0.0]], "float32")
    xc = np.array([[1000.0, 0.0, -1000.0]], "float32")
    np.testing.assert_allclose(_np(losses.categorical_crossentropy(tc, xc, from_logits=True)), [1000.0], rtol=1e-6)
    np.testing.assert_allclose(_np(losses.sparse_categorical_crossentropy([1], xc, from_logits=True)), [1000.0],
                               rtol=1e-6)
    # probabilities are clipped to [eps, 1 - eps]
    pb = np.array([[0.0, 1.0]], "float32")
    out = _np(losses.binary_crossentropy(np.array([[1.0, 0.0]], "float32"), pb))
    assert np.all(np.isfinite(out)) and out[0] > 10
    out = _np(losses.categorical_crossentropy([[0.0, 1.0]], [[1.0, 0.0]]))
    np.testing.assert_allclose(out, [-np.log(np.float32(EPS))], rtol=1e-3)
    # gradients stay finite at extreme logits
    xv = ops.convert_to_tensor(np.array([[80.0, -80.0, 0.0]]))
    with lamina.GradientTape() as tape:
        tape.watch(xv)
        value = losses.BinaryCrossentropy(from_logits=True, dtype="float64")(np.array([[0.0, 1.0, 1.0]]), xv)
    np.testing.assert_allclose(np.asarray(tape.gradient(value, xv)), [[1 / 3, -1 / 3, -1 / 6]], rtol=1e-9)


# ----------------------------------------------------------------------------------------------
# Gradients: finite differences in float64
# ----------------------------------------------------------------------------------------------


def fd_check(loss_fn, y_pred, eps=1e-6, rtol=1e-5, atol=1e-7):
    y_pred = np.array(y_pred, dtype="float64")
    x = ops.convert_to_tensor(y_pred)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        value = loss_fn(x)
    got = np.asarray(tape.gradient(value, x), dtype="float64")
    num = np.zeros_like(y_pred)
    flat = y_pred.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = float(loss_fn(ops.convert_to_tensor(y_pred)))
        flat[i] = old - eps
        down = float(loss_fn(ops.convert_to_tensor(y_pred)))
        flat[i] = old
        num.reshape(-1)[i] = (up - down) / (2 * eps)
    np.testing.assert_allclose(got, num, rtol=rtol, atol=atol)


def _gen64(shape, kind):
    if kind == "logits":
        return RNG.standard_normal(shape) * 2
    p = RNG.random(shape) + 0.1
    return p / p.sum(-1, keepdims=True)


GRAD_CASES = [
    ("mse", lambda: losses.MeanSquaredError(dtype="float64"), "reg", "probs"),
    ("huber", lambda: losses.Huber(delta=0.3, dtype="float64"), "reg", "logits"),
    ("log_cosh", lambda: losses.LogCosh(dtype="float64"), "reg", "logits"),
    ("mape", lambda: losses.MeanAbsolutePercentageError(dtype="float64"), "reg", "probs"),
    ("msle", lambda: losses.MeanSquaredLogarithmicError(dtype="float64"), "reg", "probs"),
    ("poisson", lambda: losses.Poisson(dtype="float64"), "reg", "probs"),
    ("kld", lambda: losses.KLDivergence(dtype="float64"), "prob", "probs"),
    ("cosine", lambda: losses.CosineSimilarity(dtype="float64"), "reg", "logits"),
    ("bce_logits", lambda: losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64"), "bin",
     "logits"),
    ("bce_probs", lambda: losses.BinaryCrossentropy(dtype="float64"), "bin", "probs"),
    ("bfce_logits", lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True,
                                                          dtype="float64"), "bin", "logits"),
    ("cce_logits", lambda: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, dtype="float64"),
     "onehot", "logits"),
    ("cce_probs", lambda: losses.CategoricalCrossentropy(dtype="float64"), "onehot", "probs"),
    ("cfce_logits", lambda: losses.CategoricalFocalCrossentropy(from_logits=True, dtype="float64"), "onehot",
     "logits"),
    ("categorical_hinge", lambda: losses.CategoricalHinge(dtype="float64"), "onehot", "logits"),
    ("squared_hinge", lambda: losses.SquaredHinge(dtype="float64"), "bin", "logits"),
    ("tversky", lambda: losses.Tversky(alpha=0.3, beta=0.7, dtype="float64"), "bin", "probs"),
]


@pytest.mark.parametrize("name,make_loss,kind,pred_kind", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_finite_difference_gradients(name, make_loss, kind, pred_kind):
    shape = (3, 4)
    t, _ = make_pair(kind, shape)
    p = _gen64(shape, pred_kind)
    sw = RNG.random(3) + 0.5
    loss = make_loss()
    fd_check(lambda x: loss(_np(t), x, sample_weight=sw), p)


@pytest.mark.parametrize("from_logits", [False, True])
def test_finite_difference_sparse_with_ignore_class(from_logits):
    labels = np.array([[0, 2], [1, 3], [2, 2]])
    p = _gen64((3, 2, 4), "logits" if from_logits else "probs")
    loss = losses.SparseCategoricalCrossentropy(from_logits=from_logits, ignore_class=2, dtype="float64")
    fd_check(lambda x: loss(labels, x), p)


def test_finite_difference_ctc_and_circle():
    labels = np.array([[1, 2, 0], [2, 2, 1]])
    loss = losses.CTC(dtype="float64")
    fd_check(lambda x: loss(labels, x), RNG.standard_normal((2, 6, 3)), rtol=1e-4, atol=1e-6)
    emb = RNG.standard_normal((5, 3))
    emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
    circle = losses.Circle(gamma=4.0, dtype="float64")
    fd_check(lambda x: circle(np.array([0, 0, 1, 1, 2]), x), emb, rtol=1e-4, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Configs, get / serialize / deserialize
# ----------------------------------------------------------------------------------------------

CONFIG_CASES = [
    (losses.MeanSquaredError, {}, "mean_squared_error", []),
    (losses.MeanAbsoluteError, {}, "mean_absolute_error", []),
    (losses.MeanAbsolutePercentageError, {}, "mean_absolute_percentage_error", []),
    (losses.MeanSquaredLogarithmicError, {}, "mean_squared_logarithmic_error", []),
    (losses.CosineSimilarity, {}, "cosine_similarity", []),
    (losses.Huber, {}, "huber_loss", []),
    (losses.LogCosh, {}, "log_cosh", []),
    (losses.Hinge, {}, "hinge", []),
    (losses.SquaredHinge, {}, "squared_hinge", []),
    (losses.CategoricalHinge, {}, "categorical_hinge", []),
    (losses.KLDivergence, {}, "kl_divergence", []),
    (losses.Poisson, {}, "poisson", []),
    (losses.CTC, {}, "ctc", []),
    (losses.BinaryCrossentropy, {"from_logits": True, "label_smoothing": 0.1, "axis": 1}, "binary_crossentropy",
     ["from_logits", "label_smoothing", "axis"]),
    (losses.BinaryFocalCrossentropy,
     {"apply_class_balancing": True, "alpha": 0.4, "gamma": 3.0, "from_logits": True, "label_smoothing": 0.2},
     "binary_focal_crossentropy",
     ["from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma"]),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, "categorical_crossentropy",
     ["from_logits", "label_smoothing", "axis"]),
    (losses.CategoricalFocalCrossentropy, {"alpha": [0.2, 0.8], "gamma": 1.0, "from_logits": True},
     "categorical_focal_crossentropy", ["from_logits", "label_smoothing", "axis", "alpha", "gamma"]),
    (losses.SparseCategoricalCrossentropy, {"from_logits": True, "ignore_class": 3},
     "sparse_categorical_crossentropy", ["from_logits", "ignore_class"]),
    (losses.Dice, {"axis": (1, 2)}, "dice", ["axis"]),
    (losses.Tversky, {"alpha": 0.3, "beta": 0.7, "axis": 1}, "tversky", ["alpha", "beta", "axis"]),
    (losses.Circle, {"gamma": 10.0, "margin": 0.3, "remove_diagonal": False}, "circle",
     ["gamma", "margin", "remove_diagonal"]),
    (losses.CategoricalGeneralizedCrossEntropy, {"q": 0.3}, "categorical_generalized_cross_entropy", ["q"]),
]


@pytest.mark.parametrize("cls,kwargs,default_name,extra_keys", CONFIG_CASES, ids=[c[0].__name__ for c in CONFIG_CASES])
def test_config_round_trip(cls, kwargs, default_name, extra_keys):
    default = cls()
    assert default.name == default_name
    assert default.reduction == "sum_over_batch_size"
    assert list(default.get_config()) == ["name", "reduction"] + extra_keys
    loss = cls(reduction="sum", name="custom", **kwargs)
    config = loss.get_config()
    assert config["name"] == "custom" and config["reduction"] == "sum"
    for key, value in kwargs.items():
        assert config[key] == value
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.get_config() == config
    # through serialize/deserialize and JSON (tuples become lists)
    serialized = losses.serialize(loss)
    assert serialized["module"] == "keras.losses" and serialized["class_name"] == cls.__name__
    rebuilt = losses.deserialize(json.loads(json.dumps(serialized)))
    assert type(rebuilt) is cls
    assert json.dumps(rebuilt.get_config()) == json.dumps(config)
    assert type(losses.get(cls.__name__)) is cls


def test_keras_config_omissions_are_kept():
    # As in Keras 3, Huber's delta and CosineSimilarity's / SparseCategoricalCrossentropy's axis
    # are not part of their configs.
    assert "delta" not in losses.Huber(delta=2.0).get_config()
    assert "axis" not in losses.CosineSimilarity(axis=0).get_config()
    assert "axis" not in losses.SparseCategoricalCrossentropy(axis=1).get_config()
    assert "dtype" not in losses.MeanSquaredError(dtype="float64").get_config()


def test_loss_function_wrapper_config():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", reduction="sum", delta=0.5)
    config = wrapper.get_config()
    assert config == {"name": "h", "reduction": "sum",
                      "fn": {"module": "builtins", "class_name": "function", "config": "huber",
                             "registered_name": "function"},
                      "delta": 0.5}
    clone = losses.LossFunctionWrapper.from_config(json.loads(json.dumps(config)))
    assert clone.fn is losses.huber and clone._fn_kwargs == {"delta": 0.5} and clone.name == "h"
    t, p = regression_data((3, 2))
    np.testing.assert_allclose(_np(clone(t, p)), ref_huber(_np(t), _np(p), 0.5).sum(), rtol=1e-5)
    assert repr(clone).startswith("<LossFunctionWrapper(<function huber")


def test_registered_custom_function_round_trip():
    @lamina.saving.register_keras_serializable(package="test_losses")
    def doubled_mae(y_true, y_pred, factor=2.0):
        return factor * ops.mean(ops.abs(y_true - y_pred), axis=-1)

    wrapper = losses.LossFunctionWrapper(doubled_mae, factor=3.0)
    rebuilt = losses.deserialize(json.loads(json.dumps(losses.serialize(wrapper))))
    assert rebuilt.fn is doubled_mae and rebuilt._fn_kwargs == {"factor": 3.0}
    assert losses.deserialize(losses.serialize(doubled_mae)) is doubled_mae
    assert losses.get(doubled_mae) is doubled_mae


def test_get_identifiers():
    assert losses.get(None) is None
    assert losses.get("categorical_crossentropy") is losses.categorical_crossentropy
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    for alias, fn in [("mse", losses.mean_squared_error), ("MSE", losses.mean_squared_error),
                      ("mae", losses.mean_absolute_error), ("MAE", losses.mean_absolute_error),
                      ("mape", losses.mean_absolute_percentage_error), ("MAPE", losses.mean_absolute_percentage_error),
                      ("msle", losses.mean_squared_logarithmic_error), ("MSLE", losses.mean_squared_logarithmic_error),
                      ("kld", losses.kl_divergence), ("KLD", losses.kl_divergence),
                      ("kullback_leibler_divergence", losses.kl_divergence), ("logcosh", losses.log_cosh),
                      ("log_cosh", losses.log_cosh), ("bce", losses.binary_crossentropy),
                      ("BCE", losses.binary_crossentropy), ("huber", losses.huber), ("hinge", losses.hinge)]:
        assert losses.get(alias) is fn, alias
        assert losses.deserialize(alias) is fn, alias
    assert losses.mse is losses.MSE is losses.mean_squared_error
    assert losses.logcosh is losses.log_cosh and losses.kld is losses.kl_divergence
    # aliases serialize under the function's own name
    assert losses.serialize(losses.mse)["config"] == "mean_squared_error"
    config = {"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}
    obj = losses.get(config)
    assert isinstance(obj, losses.CategoricalCrossentropy) and obj.from_logits
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Poisson()
    assert losses.get(instance) is instance

    def custom(y_true, y_pred):
        return ops.sum(y_pred - y_true, axis=-1)

    assert losses.get(custom) is custom
    assert losses.deserialize(losses.serialize(losses.binary_crossentropy)) is losses.binary_crossentropy
    # unknown names are returned as they are by deserialize (Keras 3)
    assert losses.deserialize("not_a_loss") == "not_a_loss"
    with lamina.saving.custom_object_scope({"custom_loss_fn": custom}):
        assert losses.deserialize("custom_loss_fn") is custom


def test_get_errors_suggest_close_names():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: mean_sqared_error.*"
                                         "Did you mean: 'mean_squared_error'"):
        losses.get("mean_sqared_error")
    with pytest.raises(ValueError, match="'CategoricalCrossentropy'"):
        losses.get({"class_name": "CategoricalCrosentropy", "config": {}})
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 42"):
        losses.get(42)
    with pytest.raises(ValueError, match="Could not interpret loss identifier: zzzzqqqq\\.$"):
        losses.get("zzzzqqqq")


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------


def test_invalid_reduction():
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`.*sum_over_batch_size.*"
                                         "Received: reduction=average"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="mean_with_sample_weight"):
        losses.Loss(reduction="auto")
    with pytest.raises(ValueError, match="Received: reduction=\\['sum'\\]"):
        losses.Loss(reduction=["sum"])


def test_shape_errors_name_the_loss_and_shapes():
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*target.shape=\(2, 3\), output.shape=\(2, 4\)"):
        losses.CategoricalCrossentropy()(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"categorical_focal_crossentropy.*\(2, 3\).*\(2, 4\)"):
        losses.categorical_focal_crossentropy(np.zeros((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"binary_crossentropy.*target.shape=\(2, 3\), output.shape=\(2, 4\)"):
        losses.binary_crossentropy(np.zeros((2, 3)), np.ones((2, 4)) * 0.5)
    with pytest.raises(ValueError, match=r"binary_focal_crossentropy.*\(3,\).*\(4,\)"):
        losses.BinaryFocalCrossentropy()(np.zeros(3), np.ones(4) * 0.5)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*target.shape=\(3,\), "
                                         r"output.shape=\(2, 4\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*at least rank 1"):
        losses.sparse_categorical_crossentropy(np.zeros(()), np.ones(()))
    with pytest.raises(ValueError, match=r"`axis` is out of range.*axis=3"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 3)), axis=3)
    with pytest.raises(ValueError, match=r"`axis` must be of type `int`. Received: axis=True"):
        losses.categorical_crossentropy(np.zeros((2, 3)), np.ones((2, 3)), axis=True)
    with pytest.raises(ValueError, match=r"`axis` must be of type `int`"):
        losses.sparse_categorical_crossentropy(np.zeros(2), np.ones((2, 3)), axis=False)
    with pytest.raises(ValueError, match=r"Targets `y_true`.*y_true.shape=\(3,\)"):
        losses.ctc(np.ones(3), np.ones((1, 2, 3)))
    with pytest.raises(ValueError, match=r"Logits `y_pred`.*y_pred.shape=\(2, 3\)"):
        losses.ctc(np.ones((2, 1)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"q must be in the interval \(0, 1\). Received: q=1.5"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.5)


def test_single_class_categorical_warns():
    with pytest.warns(SyntaxWarning, match="Consider using 'binary_crossentropy'"):
        losses.categorical_crossentropy(np.ones((2, 1)), np.ones((2, 1)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        losses.categorical_crossentropy(np.eye(2), np.eye(2) * 0.5 + 0.25)


def test_reduction_helpers_are_exposed():
    from lamina.losses import loss as loss_module

    values = ops.convert_to_tensor(np.array([1.0, 2.0, 3.0]))
    assert float(loss_module.reduce_weighted_values(values, reduction="sum")) == 6.0
    np.testing.assert_allclose(
        _np(loss_module.reduce_weighted_values(values, sample_weight=[1.0, 0.0, 1.0],
                                               reduction="mean_with_sample_weight")), 2.0)
    assert loss_module.standardize_reduction(None) is None
    a, b = loss_module.squeeze_or_expand_to_same_rank(ops.ones((3, 1)), ops.ones((3,)))
    assert a.shape == (3, 1) and b.shape == (3, 1)
    a, b = loss_module.squeeze_or_expand_to_same_rank(ops.ones((2, 3, 1)), ops.ones((2, 3)))
    assert a.shape == (2, 3) and b.shape == (2, 3)
    assert math.isclose(float(loss_module.unscale_loss_for_distribution(ops.convert_to_tensor(1.5))), 1.5)
