"""lamina.metrics, second part: the probabilistic, hinge, correlation and IoU metrics against
numpy references over several weighted updates, reset_state, config round trips and errors;
`_direction` of every metric as Keras 3 sets it; the loss functions re-exported by
``lamina.metrics``; and `get`/`serialize`/`deserialize` knowing all of them."""

import json
import operator
import warnings

import numpy as np
import pytest

import lamina
from lamina import metrics
from lamina import ops
from lamina.metrics import metrics_utils

EPS = 1e-7


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def _as_json(obj):
    return json.loads(json.dumps(lamina.saving.serialize_keras_object(obj)))


def _weighted_mean(values, weights):
    values = np.asarray(values, "float64")
    if weights is None:
        return values.mean() if values.size else 0.0
    weights = np.broadcast_to(np.asarray(weights, "float64"), values.shape)
    return (values * weights).sum() / weights.sum() if weights.sum() else 0.0


def _make_batches(make, weighted=True, seed=0):
    """Three batches (sizes 6, 4, 5) from `make(rng, n)`; the last batch's weights are all 0
    but one, so zero weights are exercised."""
    rng = np.random.default_rng(seed)
    out = []
    for i, n in enumerate((6, 4, 5)):
        y_true, y_pred = make(rng, n)
        sw = None
        if weighted:
            sw = rng.uniform(0.1, 2.0, n).astype("float32")
            if i == 2:
                sw[1:] = 0.0
                sw[0] = 1.5
        out.append((y_true, y_pred, sw))
    return out


def check_mean_metric(cls, kwargs, batches, per_sample, rtol=1e-5, atol=1e-6):
    """`cls(**kwargs)` updated batch by batch equals the weighted mean of
    `per_sample(y_true, y_pred)` over everything seen; then reset, a JSON config round trip,
    and `serialize`/`deserialize`."""
    metric = cls(**kwargs)
    assert len(metric.variables) == 2
    assert all(isinstance(v, lamina.Variable) and not v.trainable for v in metric.variables)
    values, weights = [], []
    for y_true, y_pred, sw in batches:
        if sw is None:
            metric.update_state(y_true, y_pred)
        else:
            metric.update_state(y_true, y_pred, sample_weight=sw)
        v = np.asarray(per_sample(y_true, y_pred), "float64")
        values.append(v)
        weights.append(np.ones(v.shape[:1]) if sw is None else np.asarray(sw, "float64"))
        got = metric.result()
        assert isinstance(got, lamina.Tensor) and got.dtype == "float32" and got.shape == ()
        expected = _weighted_mean(np.concatenate(values), np.concatenate(weights))
        np.testing.assert_allclose(_np(got), expected, rtol=rtol, atol=atol)

    metric.reset_state()
    for v in metric.variables:
        np.testing.assert_array_equal(_np(v), np.zeros(v.shape))
    assert float(_np(metric.result())) == 0.0
    y_true, y_pred, sw = batches[0]
    metric.update_state(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(
        _np(metric.result()), _weighted_mean(per_sample(y_true, y_pred), sw), rtol=rtol, atol=atol
    )

    config = metric.get_config()
    clone = cls.from_config(_as_json(config))
    assert _as_json(clone.get_config()) == _as_json(config)
    clone.update_state(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(_np(clone.result()), _np(metric.result()), rtol=1e-6)
    again = metrics.deserialize(_as_json(metrics.serialize(metric)))
    assert type(again) is cls and _as_json(again.get_config()) == _as_json(config)
    return metric


# ---------------------------------------------------------------------------------------------
# numpy references
# ---------------------------------------------------------------------------------------------


def _logsumexp(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_bce(t, p, from_logits=False, label_smoothing=0.0):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        v = np.maximum(p, 0) - p * t + np.log1p(np.exp(-np.abs(p)))
    else:
        p = np.clip(p, EPS, 1 - EPS)
        v = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    return v.mean(axis=-1)


def ref_cce(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    if label_smoothing:
        t = t * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    if from_logits:
        log_p = p - _logsumexp(p, axis)
    else:
        log_p = np.log(np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS))
    return -(t * log_p).sum(axis=axis)


def ref_scce(t, p, from_logits=False, ignore_class=None):
    t = np.asarray(t).astype("int64")
    p = np.asarray(p, "float64")
    valid = np.ones(t.shape, bool) if ignore_class is None else t != ignore_class
    one_hot = np.eye(p.shape[-1])[np.where(valid, t, 0)]
    return np.where(valid, ref_cce(one_hot, p, from_logits), 0.0)


def ref_kld(t, p):
    t = np.clip(np.asarray(t, "float64"), EPS, 1)
    p = np.clip(np.asarray(p, "float64"), EPS, 1)
    return (t * np.log(t / p)).sum(axis=-1)


def ref_poisson(t, p):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    return (p - t * np.log(p + EPS)).mean(axis=-1)


def _hinge_labels(t):
    t = np.asarray(t, "float64")
    return 2 * t - 1 if np.isin(t, (0.0, 1.0)).all() else t


def ref_hinge(t, p):
    return np.maximum(1 - _hinge_labels(t) * np.asarray(p, "float64"), 0).mean(axis=-1)


def ref_squared_hinge(t, p):
    return (np.maximum(1 - _hinge_labels(t) * np.asarray(p, "float64"), 0) ** 2).mean(axis=-1)


def ref_categorical_hinge(t, p):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    pos = (t * p).sum(axis=-1)
    neg = ((1 - t) * p).max(axis=-1)
    return np.maximum(neg - pos + 1, 0)


def ref_pearson(t, p, axis=-1):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    t = t - t.mean(axis=axis, keepdims=True)
    p = p - p.mean(axis=axis, keepdims=True)
    t = t / t.std(axis=axis, keepdims=True)
    p = p / p.std(axis=axis, keepdims=True)
    return (t * p).mean(axis=axis)


def ref_concordance(t, p, axis=-1):
    t, p = np.asarray(t, "float64"), np.asarray(p, "float64")
    mt, mp = t.mean(axis=axis), p.mean(axis=axis)
    cov = ((t - t.mean(axis=axis, keepdims=True)) * (p - p.mean(axis=axis, keepdims=True))).mean(
        axis=axis)
    return 2 * cov / (t.var(axis=axis) + p.var(axis=axis) + (mt - mp) ** 2 + EPS)


def _probs(rng, shape):
    p = rng.uniform(0.02, 1.0, shape).astype("float32")
    return p / p.sum(axis=-1, keepdims=True)


# ---------------------------------------------------------------------------------------------
# Probabilistic metrics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs", [
    {},
    {"label_smoothing": 0.2},
    {"from_logits": True},
    {"from_logits": True, "label_smoothing": 0.1},
])
def test_binary_crossentropy(kwargs):
    logits = kwargs.get("from_logits", False)

    def make(rng, n):
        y_true = rng.integers(0, 2, (n, 3)).astype("float32")
        y_pred = (rng.normal(0, 2, (n, 3)) if logits else rng.uniform(0, 1, (n, 3)))
        return y_true, y_pred.astype("float32")

    m = check_mean_metric(metrics.BinaryCrossentropy, kwargs, _make_batches(make),
                          lambda t, p: ref_bce(t, p, **kwargs))
    assert m.name == "binary_crossentropy" and m._direction == "down"
    assert m.from_logits is logits and m.label_smoothing == kwargs.get("label_smoothing", 0)


def test_binary_crossentropy_keras_example():
    m = metrics.BinaryCrossentropy()
    m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(_np(m.result()), 0.81492424, rtol=1e-5)
    m.reset_state()
    m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    np.testing.assert_allclose(_np(m.result()), 0.9162905, rtol=1e-5)
    assert m.get_config() == {"name": "binary_crossentropy", "dtype": "float32",
                              "from_logits": False, "label_smoothing": 0}


@pytest.mark.parametrize("kwargs", [
    {},
    {"label_smoothing": 0.1},
    {"from_logits": True},
    {"from_logits": True, "label_smoothing": 0.3},
])
def test_categorical_crossentropy(kwargs):
    logits = kwargs.get("from_logits", False)

    def make(rng, n):
        y_true = np.eye(4, dtype="float32")[rng.integers(0, 4, n)]
        y_pred = rng.normal(0, 2, (n, 4)).astype("float32") if logits else _probs(rng, (n, 4))
        return y_true, y_pred

    m = check_mean_metric(metrics.CategoricalCrossentropy, kwargs, _make_batches(make),
                          lambda t, p: ref_cce(t, p, **kwargs))
    assert m.name == "categorical_crossentropy" and m._direction == "down" and m.axis == -1


def test_categorical_crossentropy_axis():
    # Classes along axis 1 of (batch, classes, steps): one value per (sample, step).
    def make(rng, n):
        y_true = np.moveaxis(np.eye(3, dtype="float32")[rng.integers(0, 3, (n, 2))], -1, 1)
        return y_true, np.moveaxis(_probs(rng, (n, 2, 3)), -1, 1)

    check_mean_metric(metrics.CategoricalCrossentropy, {"axis": 1}, _make_batches(make),
                      lambda t, p: ref_cce(t, p, axis=1).mean(axis=-1))


def test_categorical_crossentropy_keras_example():
    m = metrics.CategoricalCrossentropy()
    y_true, y_pred = [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(m.result()), 1.1769392, rtol=1e-5)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=np.array([0.3, 0.7]))
    np.testing.assert_allclose(_np(m.result()), 1.6271976, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [{}, {"from_logits": True}, {"ignore_class": 1}])
def test_sparse_categorical_crossentropy(kwargs):
    logits = kwargs.get("from_logits", False)

    def make(rng, n):
        y_true = rng.integers(0, 4, n)
        y_pred = rng.normal(0, 2, (n, 4)).astype("float32") if logits else _probs(rng, (n, 4))
        return y_true, y_pred

    batches = _make_batches(make)
    if "ignore_class" in kwargs:
        # With weights, ignored entries get weight 0 (the loss' mask joins the weights).
        metric = metrics.SparseCategoricalCrossentropy(**kwargs)
        values, weights = [], []
        for y_true, y_pred, sw in batches:
            metric.update_state(y_true, y_pred, sample_weight=sw)
            values.append(ref_scce(y_true, y_pred, ignore_class=1))
            weights.append(sw * (y_true != 1))
            np.testing.assert_allclose(
                _np(metric.result()),
                _weighted_mean(np.concatenate(values), np.concatenate(weights)), rtol=1e-5)
        assert metric.ignore_class == 1
        return
    m = check_mean_metric(metrics.SparseCategoricalCrossentropy, kwargs, batches,
                          lambda t, p: ref_scce(t, p, **kwargs))
    assert m.name == "sparse_categorical_crossentropy" and m._direction == "down"


def test_sparse_categorical_crossentropy_ignore_class_unweighted():
    # Without weights, ignored entries count as 0 in the mean (as in Keras).
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]], "float32")
    y_true = np.array([1, 2, 0])
    m = metrics.SparseCategoricalCrossentropy(ignore_class=1)
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(m.result()), ref_scce(y_true, y_pred, ignore_class=1).mean(),
                               rtol=1e-5)
    np.testing.assert_allclose(_np(m.result()), 1.1688527, rtol=1e-5)  # Keras' value
    # Labels of shape (n, 1) are accepted.
    m2 = metrics.SparseCategoricalCrossentropy(ignore_class=1)
    m2.update_state(y_true[:, None], y_pred)
    np.testing.assert_allclose(_np(m2.result()), _np(m.result()), rtol=1e-6)


def test_kl_divergence_and_poisson():
    def make_kld(rng, n):
        return _probs(rng, (n, 3)), _probs(rng, (n, 3))

    m = check_mean_metric(metrics.KLDivergence, {}, _make_batches(make_kld), ref_kld)
    assert m.name == "kl_divergence" and m._direction == "down"

    def make_poisson(rng, n):
        return (rng.integers(0, 5, (n, 3)).astype("float32"),
                rng.uniform(0.1, 4.0, (n, 3)).astype("float32"))

    m = check_mean_metric(metrics.Poisson, {}, _make_batches(make_poisson), ref_poisson)
    assert m.name == "poisson" and m._direction == "down"

    # Keras' documented values.
    m = metrics.KLDivergence()
    m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    np.testing.assert_allclose(_np(m.result()), 0.45814306, rtol=1e-5)
    m = metrics.Poisson()
    m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    np.testing.assert_allclose(_np(m.result()), 0.99999994, rtol=1e-5)


def test_probabilistic_errors():
    with pytest.raises(ValueError, match="same shape"):
        metrics.BinaryCrossentropy().update_state(np.ones((4, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.CategoricalCrossentropy().update_state(np.ones((4, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="`axis` must be of type `int`. Received: axis=a"):
        metrics.CategoricalCrossentropy(axis="a").update_state(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        metrics.SparseCategoricalCrossentropy().update_state(np.ones((4, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.KLDivergence().update_state(_probs(np.random.default_rng(0), (4, 3)),
                                            _probs(np.random.default_rng(1), (4, 3)),
                                            sample_weight=np.ones(3))


def test_probabilistic_dtype_and_mask():
    m = metrics.BinaryCrossentropy(dtype="float64")
    m.update_state([[0.0, 1.0]], [[0.3, 0.8]])
    assert m.result().dtype == "float64" and all(v.dtype == "float64" for v in m.variables)
    np.testing.assert_allclose(_np(m.result()), ref_bce([[0, 1]], [[0.3, 0.8]]), rtol=1e-6)
    # A mask on y_pred (from a layer) weights the samples.
    y_pred = ops.convert_to_tensor(np.array([[0.3, 0.7], [0.9, 0.1], [0.5, 0.5]], "float32"))
    y_pred._keras_mask = ops.convert_to_tensor(np.array([True, False, True]))
    y_true = np.array([[0.0, 1.0], [0.0, 1.0], [1.0, 0.0]], "float32")
    m = metrics.CategoricalCrossentropy()
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(m.result()), ref_cce(y_true, _np(y_pred))[[0, 2]].mean(),
                               rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# Hinge metrics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls, ref, labels", [
    (metrics.Hinge, ref_hinge, "binary"),
    (metrics.Hinge, ref_hinge, "signed"),
    (metrics.SquaredHinge, ref_squared_hinge, "binary"),
    (metrics.SquaredHinge, ref_squared_hinge, "signed"),
    (metrics.CategoricalHinge, ref_categorical_hinge, "one_hot"),
])
def test_hinge_metrics(cls, ref, labels):
    def make(rng, n):
        if labels == "binary":
            y_true = rng.integers(0, 2, (n, 3)).astype("float32")
        elif labels == "signed":
            y_true = rng.choice([-1.0, 1.0], (n, 3)).astype("float32")
        else:
            y_true = np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
        return y_true, rng.normal(0, 1.5, (n, 3)).astype("float32")

    # Each batch is converted on its own (0/1 labels become -1/1), as the reference does.
    m = check_mean_metric(cls, {}, _make_batches(make), ref)
    assert m._direction == "down"
    assert m.get_config() == {"name": m.name, "dtype": "float32"}


def test_hinge_keras_examples():
    y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    for cls, plain, weighted in [(metrics.Hinge, 1.3, 1.1), (metrics.SquaredHinge, 1.86, 1.46),
                                 (metrics.CategoricalHinge, 1.4, 1.2)]:
        m = cls()
        m.update_state(y_true, y_pred)
        np.testing.assert_allclose(_np(m.result()), plain, rtol=1e-5)
        m.reset_state()
        m.update_state(y_true, y_pred, sample_weight=[1, 0])
        np.testing.assert_allclose(_np(m.result()), weighted, rtol=1e-5)
    assert [cls().name for cls in (metrics.Hinge, metrics.SquaredHinge,
                                   metrics.CategoricalHinge)] == \
        ["hinge", "squared_hinge", "categorical_hinge"]


# ---------------------------------------------------------------------------------------------
# Correlation metrics
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls, ref", [
    (metrics.PearsonCorrelation, ref_pearson),
    (metrics.ConcordanceCorrelation, ref_concordance),
])
def test_correlation_metrics(cls, ref):
    def make(rng, n):
        y_true = rng.normal(0, 1, (n, 5)).astype("float32")
        return y_true, (0.7 * y_true + rng.normal(0.3, 0.6, (n, 5))).astype("float32")

    m = check_mean_metric(cls, {}, _make_batches(make), ref, rtol=1e-4, atol=1e-5)
    assert m._direction == "up" and m.axis == -1

    def make_3d(rng, n):
        return (rng.normal(0, 1, (n, 3, 2)).astype("float32"),
                rng.normal(0, 1, (n, 3, 2)).astype("float32"))

    # A tuple of axes: one coefficient per sample; the config's tuple comes back from JSON as a
    # list, which works the same.
    m = check_mean_metric(cls, {"axis": (1, 2)}, _make_batches(make_3d),
                          lambda t, p: ref(t, p, axis=(1, 2)), rtol=1e-4, atol=1e-5)
    assert m.get_config() == {"name": m.name, "dtype": "float32", "axis": (1, 2)}


def test_correlation_functions_and_keras_examples():
    y_true = [[0, 1, 0.5], [1, 1, 0.2]]
    y_pred = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
    np.testing.assert_allclose(_np(metrics.pearson_correlation(y_true, y_pred)),
                               [1.0, 0.99339927], rtol=1e-5)
    np.testing.assert_allclose(_np(metrics.concordance_correlation(y_true, y_pred)),
                               [0.97560976, 0.98765432], rtol=1e-5)
    pcc = metrics.PearsonCorrelation()
    pcc.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(pcc.result()), 0.9966996338993913, rtol=1e-5)
    ccc = metrics.ConcordanceCorrelation()
    ccc.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(ccc.result()), 0.9816320385426076, rtol=1e-5)
    # Perfect agreement, an affine map, and a constant target.
    x = np.array([[1.0, 2.0, 4.0, 8.0]], "float32")
    np.testing.assert_allclose(_np(metrics.concordance_correlation(x, x)), [1.0], rtol=1e-5)
    np.testing.assert_allclose(_np(metrics.pearson_correlation(x, 3 * x + 1)), [1.0], rtol=1e-5)
    assert _np(metrics.concordance_correlation(x, 3 * x + 1))[0] < 0.5
    with np.errstate(all="ignore"):
        assert np.isnan(_np(metrics.pearson_correlation(np.ones((1, 4)), x))[0])
    # Integer inputs are computed in floatx.
    out = metrics.pearson_correlation(np.array([[1, 2, 3]]), np.array([[3, 2, 1]]))
    assert out.dtype == "float32"
    np.testing.assert_allclose(_np(out), [-1.0], rtol=1e-5)


def test_correlation_errors():
    with pytest.raises(ValueError, match=r"pearson_correlation.*y_true.shape=\(4, 3\)"):
        metrics.PearsonCorrelation().update_state(np.ones((4, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"concordance_correlation.*y_pred.shape=\(2, 5\)"):
        metrics.concordance_correlation(np.ones((2, 3)), np.ones((2, 5)))


# ---------------------------------------------------------------------------------------------
# IoU metrics
# ---------------------------------------------------------------------------------------------


def ref_confusion(y_true, y_pred, num_classes, weights=None, ignore_class=None):
    t = np.asarray(y_true).reshape(-1).astype("int64")
    p = np.asarray(y_pred).reshape(-1).astype("int64")
    w = np.ones(t.shape) if weights is None else np.broadcast_to(
        np.asarray(weights, "float64").reshape(-1), t.shape)
    valid = (t >= 0) & (t < num_classes) & (p >= 0) & (p < num_classes)
    if ignore_class is not None:
        valid &= t != ignore_class
    cm = np.zeros((num_classes, num_classes))
    np.add.at(cm, (t[valid], p[valid]), w[valid])
    return cm


def ref_iou(cm, target_class_ids):
    tp = np.diag(cm)
    denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
    tp, denominator = tp[target_class_ids], denominator[target_class_ids]
    valid = denominator > 1e-9
    iou = np.where(valid, tp / (denominator + EPS), 0.0)
    return iou.sum() / (valid.sum() + EPS)


def _iou_batches(num_classes, shape=(6, 4), low=0, high=None, seed=0):
    rng = np.random.default_rng(seed)
    high = num_classes if high is None else high
    out = []
    for n in (shape[0], shape[0] - 2, shape[0] + 1):
        s = (n,) + tuple(shape[1:])
        out.append((rng.integers(low, high, s), rng.integers(low, high, s),
                    rng.uniform(0.0, 2.0, s).astype("float32")))
    return out


def check_iou(metric, batches, target_class_ids, to_ids=lambda t, p: (t, p), int_weights=False,
              ignore_class=None):
    num_classes = metric.num_classes
    cm = np.zeros((num_classes, num_classes))
    for y_true, y_pred, sw in batches:
        metric.update_state(y_true, y_pred, sample_weight=sw)
        t, p = to_ids(y_true, y_pred)
        w = None if sw is None else (np.trunc(sw) if int_weights else sw)
        cm += ref_confusion(t, p, num_classes, w, ignore_class)
        np.testing.assert_allclose(_np(metric.total_cm), cm, rtol=1e-6, atol=1e-6)
        got = metric.result()
        assert got.dtype == "float32" and got.shape == ()
        np.testing.assert_allclose(_np(got), ref_iou(cm, target_class_ids), rtol=1e-5,
                                   atol=1e-6)
    metric.reset_state()
    np.testing.assert_array_equal(_np(metric.total_cm), np.zeros((num_classes, num_classes)))
    assert float(_np(metric.result())) == 0.0


def test_iou_weighted_float():
    m = metrics.IoU(num_classes=4, target_class_ids=[0, 2, 3], dtype="float32")
    assert m.name.startswith("io_u") and m._direction == "up" and m.dtype == "float32"
    assert [v.name for v in m.variables] == ["total_confusion_matrix"]
    assert m.variables[0].shape == (4, 4) and m.variables[0].dtype == "float32"
    check_iou(m, _iou_batches(4), [0, 2, 3])


def test_iou_integer_dtype_default():
    # Keras' default dtype is "int": counts are exact, and float weights are truncated (with a
    # warning).
    m = metrics.IoU(num_classes=3, target_class_ids=[1])
    assert m.dtype == "int32" and m.total_cm.dtype == "int32"
    batches = [(t, p, None) for t, p, _ in _iou_batches(3)]
    check_iou(m, batches, [1])
    m = metrics.IoU(num_classes=3, target_class_ids=[0, 1, 2])
    with pytest.warns(UserWarning, match="passing weight as `float`, but dtype is `int`"):
        check_iou(m, _iou_batches(3), [0, 1, 2], int_weights=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.update_state([0, 1], [0, 1], sample_weight=[2, 3])  # integer weights: no warning
    np.testing.assert_array_equal(_np(m.total_cm), [[2, 0, 0], [0, 3, 0], [0, 0, 0]])


def test_iou_ignore_class_and_out_of_range_ids():
    # Labels and predictions outside [0, num_classes) and the ignored class never reach the
    # matrix.
    m = metrics.IoU(num_classes=4, target_class_ids=[1, 2], ignore_class=0, dtype="float32")
    check_iou(m, _iou_batches(4, low=-1, high=6, seed=3), [1, 2], ignore_class=0)
    m = metrics.IoU(num_classes=3, target_class_ids=[0, 2], ignore_class=1, dtype="float32")
    m.update_state([[0, 1], [2, 5]], [[0, 2], [1, 2]], sample_weight=[[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(_np(m.total_cm), [[1, 0, 0], [0, 0, 0], [0, 3, 0]])
    np.testing.assert_allclose(_np(m.result()), 0.5, rtol=1e-5)  # Keras' value


def test_iou_keras_examples():
    m = metrics.IoU(num_classes=2, target_class_ids=[0])
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    np.testing.assert_allclose(_np(m.result()), 1 / 3, rtol=1e-5)
    m = metrics.MeanIoU(num_classes=2, dtype="float32")
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    np.testing.assert_allclose(_np(m.result()), 0.23809525, rtol=1e-5)
    m = metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    np.testing.assert_allclose(_np(m.result()), 0.17361112, rtol=1e-5)
    y_true = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]])
    y_pred = np.array([[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]])
    m = metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(_np(m.result()), (0.1 / 0.7) / 2, rtol=1e-5)
    m = metrics.OneHotMeanIoU(num_classes=3, dtype="float32")
    m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(_np(m.result()), (0.1 / 0.7) / 3, rtol=1e-5)


def test_binary_iou():
    rng = np.random.default_rng(5)
    m = metrics.BinaryIoU(target_class_ids=[1], threshold=0.4, dtype="float32")
    assert m.num_classes == 2 and m.name.startswith("binary_io_u") and m._direction == "up"
    batches = [(rng.integers(0, 2, (n, 3)), rng.uniform(0, 1, (n, 3)),
                rng.uniform(0, 2, (n, 3)).astype("float32")) for n in (5, 3)]
    # Predictions at the threshold are class 1.
    batches.append((np.array([1, 0, 1]), np.array([0.4, 0.4, 0.39]), None))
    check_iou(m, batches, [1], to_ids=lambda t, p: (t, np.asarray(p, "float32") >= np.float32(0.4)))
    m = metrics.BinaryIoU()
    assert m.target_class_ids == [0, 1] and m.threshold == 0.5 and m.dtype == "int32"
    # threshold=0 behaves as IoU on 0/1 predictions.
    a = metrics.BinaryIoU(threshold=0.0 + 1e-9, dtype="float32")
    b = metrics.IoU(num_classes=2, target_class_ids=[0, 1], dtype="float32")
    a.update_state([0, 1, 1, 0, 1], [0, 1, 0, 1, 1])
    b.update_state([0, 1, 1, 0, 1], [0, 1, 0, 1, 1])
    np.testing.assert_allclose(_np(a.result()), _np(b.result()), rtol=1e-6)


def test_mean_iou_and_dense_inputs():
    rng = np.random.default_rng(7)
    m = metrics.MeanIoU(num_classes=3, dtype="float32", sparse_y_pred=False)
    assert m.target_class_ids == [0, 1, 2] and m.name.startswith("mean_io_u")
    batches = [(rng.integers(0, 3, n), _probs(rng, (n, 3)), rng.uniform(0, 2, n))
               for n in (6, 4)]
    check_iou(m, batches, [0, 1, 2], to_ids=lambda t, p: (t, np.argmax(p, -1)))
    # A class that never occurs is left out of the mean.
    m = metrics.MeanIoU(num_classes=5)
    m.update_state([0, 0, 1], [0, 1, 1])
    np.testing.assert_allclose(_np(m.result()), (0.5 + 0.5) / 2, rtol=1e-5)


def test_one_hot_iou_channels_first():
    # axis=1: the class axis of (batch, classes, pixels) one-hot labels and scores.
    rng = np.random.default_rng(11)
    n, c, px = 3, 4, 5
    labels = rng.integers(0, c, (n, px))
    y_true = np.moveaxis(np.eye(c)[labels], -1, 1)
    y_pred = np.moveaxis(_probs(rng, (n, px, c)), -1, 1)
    sw = rng.uniform(0, 2, (n, px))
    m = metrics.OneHotIoU(num_classes=c, target_class_ids=[0, 3], axis=1, dtype="float32")
    check_iou(m, [(y_true, y_pred, sw)], [0, 3],
              to_ids=lambda t, p: (np.argmax(t, 1), np.argmax(p, 1)))
    m = metrics.OneHotMeanIoU(num_classes=c, axis=1, dtype="float64")
    check_iou(m, [(y_true, y_pred, sw)], list(range(c)),
              to_ids=lambda t, p: (np.argmax(t, 1), np.argmax(p, 1)))
    # sparse_y_pred: predictions are already class ids.
    pred_ids = rng.integers(0, c, (n, px))
    m = metrics.OneHotMeanIoU(num_classes=c, sparse_y_pred=True, axis=1)
    check_iou(m, [(y_true, pred_ids, None)], list(range(c)),
              to_ids=lambda t, p: (np.argmax(t, 1), p))


@pytest.mark.parametrize("cls, kwargs", [
    (metrics.IoU, {"num_classes": 3, "target_class_ids": [0, 2], "ignore_class": 1,
                   "sparse_y_pred": False, "axis": -1}),
    (metrics.IoU, {"num_classes": 2, "target_class_ids": (1,), "dtype": "float32"}),
    (metrics.BinaryIoU, {"target_class_ids": [1], "threshold": 0.2, "name": "biou"}),
    (metrics.MeanIoU, {"num_classes": 4, "ignore_class": 255, "sparse_y_true": False}),
    (metrics.OneHotIoU, {"num_classes": 3, "target_class_ids": [1], "dtype": "float64"}),
    (metrics.OneHotMeanIoU, {"num_classes": 3, "sparse_y_pred": True, "axis": 1}),
])
def test_iou_config_round_trip(cls, kwargs):
    m = cls(**kwargs)
    config = m.get_config()
    expected_keys = {
        metrics.IoU: {"name", "dtype", "num_classes", "target_class_ids", "ignore_class",
                      "sparse_y_true", "sparse_y_pred", "axis"},
        metrics.BinaryIoU: {"target_class_ids", "threshold", "name", "dtype"},
        metrics.MeanIoU: {"num_classes", "name", "dtype", "ignore_class", "sparse_y_true",
                          "sparse_y_pred", "axis"},
        metrics.OneHotIoU: {"num_classes", "target_class_ids", "name", "dtype", "ignore_class",
                            "sparse_y_pred", "axis"},
        metrics.OneHotMeanIoU: {"num_classes", "name", "dtype", "ignore_class",
                                "sparse_y_pred", "axis"},
    }[cls]
    assert set(config) == expected_keys
    for key, value in kwargs.items():
        if key in config:
            assert config[key] == (list(value) if isinstance(value, tuple) else value)
    clone = cls.from_config(_as_json(config))
    assert _as_json(clone.get_config()) == _as_json(config)
    again = metrics.deserialize(_as_json(metrics.serialize(m)))
    assert type(again) is cls and _as_json(again.get_config()) == _as_json(config)
    assert again.total_cm.shape == m.total_cm.shape and again.dtype == m.dtype


def test_iou_errors():
    with pytest.raises(ValueError, match=r"Target class id 2 is out of range, which is \[0, 2\)"):
        metrics.IoU(num_classes=2, target_class_ids=[0, 2])
    with pytest.raises(ValueError, match=r"Target class id 2 is out of range"):
        metrics.BinaryIoU(target_class_ids=[2])
    with pytest.raises(ValueError, match=r"Target class id -1 is out of range"):
        metrics.IoU(num_classes=3, target_class_ids=[-1])
    with pytest.raises(ValueError, match="at least one class id"):
        metrics.IoU(num_classes=3, target_class_ids=[])
    with pytest.raises(TypeError, match="list or tuple of class ids. Received: target_class_ids=1"):
        metrics.IoU(num_classes=3, target_class_ids=1)
    with pytest.raises(TypeError, match="must contain integers"):
        metrics.IoU(num_classes=3, target_class_ids=[0.5])
    for bad in (0, -2, 2.5, None):
        with pytest.raises(ValueError, match=f"`num_classes`.*Received: num_classes={bad}"):
            metrics.MeanIoU(num_classes=bad)
    with pytest.raises(ValueError, match="`ignore_class` must be an integer or None. "
                                         "Received: ignore_class='void'"):
        metrics.MeanIoU(num_classes=3, ignore_class="void")
    m = metrics.MeanIoU(num_classes=3)
    with pytest.raises(ValueError, match="same number of elements. Received: 4 labels and 3"):
        m.update_state([0, 1, 2, 0], [0, 1, 2])
    with pytest.raises(ValueError, match=r"sample_weight.*Received: sample_weight.shape=\(3,\)"):
        m.update_state([0, 1, 2, 0], [0, 1, 2, 1], sample_weight=[1, 2, 3])
    np.testing.assert_array_equal(_np(m.total_cm), np.zeros((3, 3)))  # nothing was counted


def test_confusion_matrix_util():
    cm = metrics_utils.confusion_matrix([1, 2, 4], [2, 2, 4], num_classes=5)
    assert cm.dtype == "int32" and cm.shape == (5, 5)
    expected = np.zeros((5, 5))
    expected[1, 2] = expected[2, 2] = expected[4, 4] = 1
    np.testing.assert_array_equal(_np(cm), expected)
    rng = np.random.default_rng(2)
    t, p = rng.integers(-1, 7, 300), rng.integers(0, 6, 300)
    w = rng.uniform(0, 3, 300)
    cm = metrics_utils.confusion_matrix(t, p, 6, weights=w, dtype="float64")
    np.testing.assert_allclose(_np(cm), ref_confusion(t, p, 6, w), rtol=1e-12)
    # Integer matrices truncate the weights first.
    cm = metrics_utils.confusion_matrix(t, p, 6, weights=w, dtype="int32")
    np.testing.assert_array_equal(_np(cm), ref_confusion(t, p, 6, np.trunc(w)))
    with pytest.raises(ValueError, match="same number of elements"):
        metrics_utils.confusion_matrix([0, 1], [0], 2)
    with pytest.raises(ValueError, match="one value per label"):
        metrics_utils.confusion_matrix([0, 1], [0, 1], 2, weights=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="num_classes"):
        metrics_utils.confusion_matrix([0, 1], [0, 1], 0)


def test_confusion_matrix_in_slices(monkeypatch):
    # Large inputs are processed in slices; the result does not depend on the slicing.
    rng = np.random.default_rng(4)
    t, p = rng.integers(0, 5, (40, 7)), rng.integers(0, 5, (40, 7))
    w = rng.uniform(0, 1, (40, 7))
    whole = _np(metrics_utils.confusion_matrix(t, p, 5, weights=w, dtype="float64"))
    monkeypatch.setattr(metrics_utils, "_MAX_COMPARISONS", 17)
    sliced = _np(metrics_utils.confusion_matrix(t, p, 5, weights=w, dtype="float64"))
    np.testing.assert_allclose(sliced, whole, rtol=1e-12)
    np.testing.assert_allclose(sliced, ref_confusion(t, p, 5, w), rtol=1e-12)
    m = metrics.MeanIoU(num_classes=5, dtype="float32")
    m.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(_np(m.result()), ref_iou(ref_confusion(t, p, 5, w), range(5)),
                               rtol=1e-5)


# ---------------------------------------------------------------------------------------------
# `_direction`
# ---------------------------------------------------------------------------------------------

_UP, _DOWN, _NONE = "up", "down", None

DIRECTIONS = [
    (metrics.Accuracy, {}, _UP), (metrics.BinaryAccuracy, {}, _UP),
    (metrics.CategoricalAccuracy, {}, _UP), (metrics.SparseCategoricalAccuracy, {}, _UP),
    (metrics.TopKCategoricalAccuracy, {}, _UP), (metrics.SparseTopKCategoricalAccuracy, {}, _UP),
    (metrics.AUC, {}, _UP), (metrics.Precision, {}, _UP), (metrics.Recall, {}, _UP),
    (metrics.PrecisionAtRecall, {"recall": 0.5}, _UP),
    (metrics.RecallAtPrecision, {"precision": 0.5}, _UP),
    (metrics.SensitivityAtSpecificity, {"specificity": 0.5}, _UP),
    (metrics.SpecificityAtSensitivity, {"sensitivity": 0.5}, _UP),
    (metrics.F1Score, {}, _UP), (metrics.FBetaScore, {}, _UP), (metrics.R2Score, {}, _UP),
    (metrics.CosineSimilarity, {}, _UP), (metrics.PearsonCorrelation, {}, _UP),
    (metrics.ConcordanceCorrelation, {}, _UP),
    (metrics.IoU, {"num_classes": 2, "target_class_ids": [0]}, _UP),
    (metrics.BinaryIoU, {}, _UP), (metrics.MeanIoU, {"num_classes": 2}, _UP),
    (metrics.OneHotIoU, {"num_classes": 2, "target_class_ids": [0]}, _UP),
    (metrics.OneHotMeanIoU, {"num_classes": 2}, _UP),
    (metrics.MeanSquaredError, {}, _DOWN), (metrics.RootMeanSquaredError, {}, _DOWN),
    (metrics.MeanAbsoluteError, {}, _DOWN), (metrics.MeanAbsolutePercentageError, {}, _DOWN),
    (metrics.MeanSquaredLogarithmicError, {}, _DOWN), (metrics.LogCoshError, {}, _DOWN),
    (metrics.BinaryCrossentropy, {}, _DOWN), (metrics.CategoricalCrossentropy, {}, _DOWN),
    (metrics.SparseCategoricalCrossentropy, {}, _DOWN), (metrics.KLDivergence, {}, _DOWN),
    (metrics.Poisson, {}, _DOWN), (metrics.Hinge, {}, _DOWN), (metrics.SquaredHinge, {}, _DOWN),
    (metrics.CategoricalHinge, {}, _DOWN),
    # Keras sets no direction on these.
    (metrics.Mean, {}, _NONE), (metrics.Sum, {}, _NONE), (metrics.TruePositives, {}, _NONE),
    (metrics.TrueNegatives, {}, _NONE), (metrics.FalsePositives, {}, _NONE),
    (metrics.FalseNegatives, {}, _NONE),
]


def test_direction_table_covers_every_metric():
    listed = {cls for cls, _, _ in DIRECTIONS}
    assert listed | {metrics.Metric, metrics.MeanMetricWrapper} == set(metrics.ALL_OBJECTS)


@pytest.mark.parametrize("cls, kwargs, direction", DIRECTIONS,
                         ids=[c.__name__ for c, _, _ in DIRECTIONS])
def test_direction(cls, kwargs, direction):
    m = cls(**kwargs)
    assert getattr(m, "_direction", None) == direction
    # The direction survives a config round trip (it is set by the constructor).
    assert getattr(cls.from_config(_as_json(m.get_config())), "_direction", None) == direction


def test_mean_metric_wrapper_direction():
    # Wrapping a loss function or a loss instance: "down"; any other function: none.
    for fn in (lamina.losses.huber, metrics.binary_focal_crossentropy, lamina.losses.Huber()):
        assert metrics.MeanMetricWrapper(fn=fn)._direction == "down"

    def custom(y_true, y_pred):
        return ops.abs(ops.subtract(y_true, y_pred))

    assert not hasattr(metrics.MeanMetricWrapper(fn=custom), "_direction")
    assert not hasattr(metrics.MeanMetricWrapper(fn=metrics.binary_accuracy), "_direction")


# ---------------------------------------------------------------------------------------------
# Re-exported functions, get / serialize / deserialize
# ---------------------------------------------------------------------------------------------

REEXPORTED = [
    "binary_crossentropy", "binary_focal_crossentropy", "categorical_crossentropy",
    "categorical_focal_crossentropy", "categorical_hinge", "hinge", "huber", "kl_divergence",
    "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "sparse_categorical_crossentropy",
    "squared_hinge",
]


def test_loss_functions_reexported():
    for name in REEXPORTED:
        assert getattr(metrics, name) is getattr(lamina.losses, name), name
        assert name in metrics.__all__
    rng = np.random.default_rng(9)
    t, p = rng.integers(0, 2, (4, 3)).astype("float32"), rng.uniform(0.05, 0.95, (4, 3))
    np.testing.assert_allclose(_np(metrics.binary_crossentropy(t, p)), ref_bce(t, p), rtol=1e-5)
    np.testing.assert_allclose(_np(metrics.hinge(t, p)), ref_hinge(t, p), rtol=1e-5)
    np.testing.assert_allclose(_np(metrics.poisson(t, p)), ref_poisson(t, p), rtol=1e-5)
    np.testing.assert_allclose(_np(metrics.mean_squared_error(t, p)),
                               ((t - p) ** 2).mean(-1), rtol=1e-5)
    # The regression metric classes average those very functions.
    for cls, fn in [(metrics.MeanSquaredError, metrics.mean_squared_error),
                    (metrics.MeanAbsoluteError, metrics.mean_absolute_error),
                    (metrics.MeanAbsolutePercentageError, metrics.mean_absolute_percentage_error),
                    (metrics.MeanSquaredLogarithmicError, metrics.mean_squared_logarithmic_error),
                    (metrics.LogCoshError, metrics.log_cosh)]:
        m = cls()
        m.update_state(t, p)
        np.testing.assert_allclose(_np(m.result()), _np(fn(t, p)).mean(), rtol=1e-5)


@pytest.mark.parametrize("identifier, cls", [
    ("binary_crossentropy", metrics.BinaryCrossentropy),
    ("BinaryCrossentropy", metrics.BinaryCrossentropy),
    ("bce", metrics.BinaryCrossentropy), ("BCE", metrics.BinaryCrossentropy),
    ("categorical_crossentropy", metrics.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalCrossentropy),
    ("kl_divergence", metrics.KLDivergence), ("KLDivergence", metrics.KLDivergence),
    ("poisson", metrics.Poisson), ("hinge", metrics.Hinge),
    ("squared_hinge", metrics.SquaredHinge), ("categorical_hinge", metrics.CategoricalHinge),
    ("pearson_correlation", metrics.PearsonCorrelation),
    ("concordance_correlation", metrics.ConcordanceCorrelation),
    ("binary_io_u", metrics.BinaryIoU), ("BinaryIoU", metrics.BinaryIoU),
    ("mean_squared_error", metrics.MeanSquaredError), ("mse", metrics.MeanSquaredError),
    ("log_cosh_error", metrics.LogCoshError),
])
def test_get_names(identifier, cls):
    m = metrics.get(identifier)
    assert type(m) is cls
    assert type(metrics.deserialize(identifier)) is cls


def test_get_functions_configs_and_errors():
    # Names no class takes are the functions.
    for name in ("huber", "log_cosh", "binary_focal_crossentropy",
                 "categorical_focal_crossentropy"):
        assert metrics.get(name) is getattr(lamina.losses, name)
    assert metrics.get(metrics.hinge) is metrics.hinge
    # Classes that need arguments come from configs.
    m = metrics.get({"class_name": "MeanIoU", "config": {"num_classes": 3}})
    assert type(m) is metrics.MeanIoU and m.num_classes == 3
    m = metrics.get({"class_name": "CategoricalCrossentropy",
                     "config": {"from_logits": True, "label_smoothing": 0.1}})
    assert m.from_logits is True and m.label_smoothing == 0.1
    m = metrics.get(metrics.Hinge)
    assert type(m) is metrics.Hinge
    with pytest.raises(TypeError):
        metrics.get("mean_io_u")  # MeanIoU needs `num_classes`
    with pytest.raises(ValueError, match="Could not interpret metric identifier: huberr"):
        metrics.get("huberr")
    with pytest.raises(ValueError, match="Could not interpret metric identifier"):
        metrics.get(42)


def test_serialize_functions_and_wrapped_functions():
    for name in REEXPORTED + ["pearson_correlation", "concordance_correlation"]:
        fn = getattr(metrics, name)
        config = _as_json(metrics.serialize(fn))
        assert config["class_name"] == "function" and config["config"] == name
        assert metrics.deserialize(config) is fn
    # A MeanMetricWrapper of a function with arguments round-trips through JSON.
    m = metrics.MeanMetricWrapper(fn=metrics.huber, name="huber_half", delta=0.5)
    rng = np.random.default_rng(1)
    t, p = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 3)).astype("float32")
    m.update_state(t, p)
    err = np.abs(p - t)
    ref = np.where(err <= 0.5, 0.5 * err ** 2, 0.5 * err - 0.125).mean(-1).mean()
    np.testing.assert_allclose(_np(m.result()), ref, rtol=1e-5)
    clone = metrics.deserialize(_as_json(metrics.serialize(m)))
    assert type(clone) is metrics.MeanMetricWrapper and clone.name == "huber_half"
    assert clone._fn is metrics.huber and clone._fn_kwargs == {"delta": 0.5}
    assert clone._direction == "down"
    clone.update_state(t, p)
    np.testing.assert_allclose(_np(clone.result()), ref, rtol=1e-5)
    m = metrics.MeanMetricWrapper(fn=metrics.pearson_correlation, axis=0)
    clone = metrics.deserialize(_as_json(metrics.serialize(m)))
    assert clone._fn is metrics.pearson_correlation and clone._fn_kwargs == {"axis": 0}


def test_all_objects_dict_contents():
    d = metrics.ALL_OBJECTS_DICT
    for cls in metrics.ALL_OBJECTS:
        assert d[cls.__name__] is cls
    for name in ("io_u", "mean_io_u", "one_hot_io_u", "one_hot_mean_io_u", "kl_divergence"):
        assert d[name] in metrics.ALL_OBJECTS
    assert d["bce"] is d["BCE"] is metrics.BinaryCrossentropy
    assert d["huber"] is metrics.huber and d["log_cosh"] is metrics.log_cosh


def test_monitor_direction_reads_metric():
    # What EarlyStopping(mode="auto") relies on: each model metric's `_direction` by name.
    from lamina.callbacks import monitor_callback

    class _Model:
        metrics = [metrics.MeanIoU(num_classes=2, name="miou"), metrics.Hinge(),
                   metrics.BinaryCrossentropy(name="bce_metric")]

    cb = monitor_callback.MonitorCallback(monitor="val_miou")
    cb.set_model(_Model())
    cb._set_monitor_op()
    assert cb.monitor_op is operator.gt
    for name in ("hinge", "val_bce_metric"):
        cb = monitor_callback.MonitorCallback(monitor=name)
        cb.set_model(_Model())
        cb._set_monitor_op()
        assert cb.monitor_op is operator.lt
