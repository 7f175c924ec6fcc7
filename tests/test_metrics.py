"""lamina.metrics: every metric against a numpy reference over several updates (state
accumulates), with sample weights and masks, reset_state, config round trips,
get/serialize/deserialize, and the errors Keras raises."""

import json

import numpy as np
import pytest

import lamina
from lamina import metrics
from lamina import ops
from lamina.metrics import metrics_utils

EPS = 1e-7
RNG = np.random.default_rng(0)


def _np(x):
    return np.asarray(ops.convert_to_numpy(x), dtype="float64")


def _batches(make, n=3, weighted=True):
    """`n` batches from `make(rng, batch_size)`; with `weighted`, each gets per-sample
    weights (the last one all zeros but one, so weights of 0 are exercised)."""
    out = []
    for i, size in enumerate([6, 4, 5][:n]):
        y_true, y_pred = make(RNG, size)
        sw = None
        if weighted:
            sw = RNG.uniform(0.1, 2.0, size).astype("float32")
            if i == n - 1:
                sw[1:] = 0.0
                sw[0] = 1.5
        out.append((y_true, y_pred, sw))
    return out


def _weighted_mean(values, weights):
    values = np.asarray(values, "float64")
    if weights is None:
        return values.mean() if values.size else 0.0
    weights = np.asarray(weights, "float64")
    return (values * weights).sum() / weights.sum() if weights.sum() else 0.0


def check_metric(cls, kwargs, batches, reference, rtol=1e-5, atol=1e-6):
    """Updates `cls(**kwargs)` batch by batch and compares `result()` with `reference(seen)`
    after each update; then reset_state, a config round trip, and the same data again."""
    metric = cls(**kwargs)
    assert all(isinstance(v, lamina.Variable) and not v.trainable for v in metric.variables)
    seen = []
    for y_true, y_pred, sw in batches:
        seen.append((y_true, y_pred, sw))
        if sw is None:
            metric.update_state(y_true, y_pred)
        else:
            metric.update_state(y_true, y_pred, sample_weight=sw)
        got = metric.result()
        assert isinstance(got, lamina.Tensor) and got.dtype == "float32"
        np.testing.assert_allclose(_np(got), reference(seen), rtol=rtol, atol=atol)
    metric.reset_state()
    for v in metric.variables:
        np.testing.assert_array_equal(_np(v), np.zeros(v.shape))
    # After a reset, only the new data counts.
    y_true, y_pred, sw = batches[0]
    metric.update_state(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(_np(metric.result()), reference(batches[:1]), rtol=rtol, atol=atol)

    config = metric.get_config()
    clone = cls.from_config(json.loads(json.dumps(lamina.saving.serialize_keras_object(config))))
    assert _as_json(clone.get_config()) == _as_json(config)
    clone.update_state(y_true, y_pred, sample_weight=sw)
    np.testing.assert_allclose(_np(clone.result()), _np(metric.result()), rtol=1e-6)
    # And through the family functions.
    again = metrics.deserialize(json.loads(json.dumps(metrics.serialize(metric))))
    assert type(again) is cls and _as_json(again.get_config()) == _as_json(config)
    return metric


def _as_json(config):
    return json.loads(json.dumps(lamina.saving.serialize_keras_object(config)))


# ----------------------------------------------------------------------------------------------
# numpy references
# ----------------------------------------------------------------------------------------------


def _per_sample_mean(fn):
    """A reference for a MeanMetricWrapper: fn(y_true, y_pred) per entry, averaged per sample,
    then weighted over the samples."""

    def reference(seen):
        values, weights = [], []
        for y_true, y_pred, sw in seen:
            v = np.asarray(fn(np.asarray(y_true, "float64"), np.asarray(y_pred, "float64")))
            v = v.reshape(v.shape[0], -1).mean(axis=1) if v.ndim > 1 else v
            values.append(v)
            weights.append(np.ones(len(v)) if sw is None else np.asarray(sw, "float64"))
        return _weighted_mean(np.concatenate(values), np.concatenate(weights))

    return reference


def np_confusion(y_true, y_pred, thresholds, weights=None):
    """tp, fp, tn, fn at each threshold; prediction positive when > threshold."""
    y_pred = np.asarray(y_pred, "float64")
    w = (np.ones(y_pred.size) if weights is None
         else np.broadcast_to(weights, y_pred.shape).reshape(-1))
    y_true = np.asarray(y_true, "float64").reshape(-1) != 0
    y_pred = y_pred.reshape(-1)
    out = np.zeros((4, len(thresholds)))
    for i, t in enumerate(thresholds):  # the reference may loop; lamina compares all at once
        pos = y_pred > t
        out[:, i] = [w[pos & y_true].sum(), w[pos & ~y_true].sum(),
                     w[~pos & ~y_true].sum(), w[~pos & y_true].sum()]
    return out


def _full_weights(sw, shape):
    if sw is None:
        return np.ones(shape)
    sw = np.asarray(sw, "float64")
    if sw.ndim == 1 and len(shape) > 1:
        sw = sw.reshape((-1,) + (1,) * (len(shape) - 1))
    return np.broadcast_to(sw, shape)


def np_top_k_filter(y_pred, k):
    order = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    keep = np.zeros_like(y_pred, dtype=bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, y_pred, -1e10)


def _confusion_reference(thresholds, top_k=None, class_id=None):
    def counts(seen):
        total = np.zeros((4, len(thresholds)))
        for y_true, y_pred, sw in seen:
            y_true = np.asarray(y_true, "float64")
            y_pred = np.asarray(y_pred, "float64")
            w = _full_weights(sw, y_pred.shape)
            if top_k is not None:
                y_pred = np_top_k_filter(y_pred, top_k)
            if class_id is not None:
                y_true, y_pred, w = y_true[..., class_id], y_pred[..., class_id], w[..., class_id]
            total += np_confusion(y_true, y_pred, thresholds, w)
        return total

    return counts


def _safe_div(a, b):
    a, b = np.broadcast_arrays(np.asarray(a, "float64"), np.asarray(b, "float64"))
    out = np.zeros_like(a)
    np.divide(a, b, out=out, where=b != 0)
    return out


def np_auc_from_counts(tp, fp, tn, fn, curve="ROC", summation="interpolation"):
    """Keras' AUC from per-threshold counts (thresholds increasing), in numpy."""
    if curve == "PR" and summation == "interpolation":
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _safe_div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _safe_div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return _safe_div(slope * (dtp + intercept * np.log(ratio)),
                         np.maximum(tp[1:] + fn[1:], 0)).sum(axis=0)
    recall = _safe_div(tp, tp + fn)
    if curve == "ROC":
        x, y = _safe_div(fp, fp + tn), recall
    elif curve == "PR":
        x, y = recall, _safe_div(tp, tp + fp)
    else:  # PRGAIN
        scale = _safe_div(tp + fn, tn + fp)
        x = np.where(tp == 0, 0.0, 1 - scale * _safe_div(fn, tp))
        x = np.maximum(x, 0)
        y = np.where(tp == 0, 1.0, 1 - scale * _safe_div(fp, tp))
    if summation == "interpolation":
        heights = (y[:-1] + y[1:]) / 2
    elif summation == "minoring":
        heights = np.minimum(y[:-1], y[1:])
    else:
        heights = np.maximum(y[:-1], y[1:])
    return ((x[:-1] - x[1:]) * heights).sum(axis=0)


def _auc_thresholds(num_thresholds):
    inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
    return np.array([-EPS] + inner + [1 + EPS], dtype="float32").astype("float64")


def np_rank_auc(y_true, scores, weights=None):
    """The exact (weighted) ROC-AUC: P(score of a positive > score of a negative)."""
    y_true = np.asarray(y_true).reshape(-1) != 0
    scores = np.asarray(scores, "float64").reshape(-1)
    w = np.ones_like(scores) if weights is None else np.asarray(weights, "float64").reshape(-1)
    pos, neg = scores[y_true], scores[~y_true]
    wp, wn = w[y_true], w[~y_true]
    wins = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return (wp[:, None] * wn[None, :] * wins).sum() / (wp.sum() * wn.sum())


def _binary(shape):
    def make(rng, n):
        full = (n,) + shape
        return ((rng.random(full) > 0.5).astype("float32"),
                rng.random(full).astype("float32"))
    return make


def _categorical(num_classes, sparse=False):
    def make(rng, n):
        labels = rng.integers(0, num_classes, n)
        y_pred = rng.random((n, num_classes)).astype("float32")
        y_true = labels if sparse else np.eye(num_classes, dtype="float32")[labels]
        return y_true, y_pred
    return make


def _regression(shape=(3,)):
    def make(rng, n):
        return (rng.uniform(0.1, 2.0, (n,) + shape).astype("float32"),
                rng.uniform(0.1, 2.0, (n,) + shape).astype("float32"))
    return make


# ----------------------------------------------------------------------------------------------
# Metric base, Mean, Sum, MeanMetricWrapper
# ----------------------------------------------------------------------------------------------


class BinaryTruePositives(metrics.Metric):
    def __init__(self, name="binary_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), initializer="zeros",
                                                name="true_positives")
        self.inner = metrics.Sum(name="inner_sum")

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = ops.cast(ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool")),
                          self.dtype)
        if sample_weight is not None:
            values = values * ops.cast(sample_weight, self.dtype)
        self.true_positives.assign_add(ops.sum(values))
        self.inner.update_state(values)

    def result(self):
        return ops.convert_to_tensor(self.true_positives)


def test_custom_metric_tracks_variables_and_submetrics():
    m = BinaryTruePositives()
    assert [v.name for v in m.variables] == ["true_positives", "total"]
    assert m.variables[0].path == "binary_true_positives/true_positives"
    assert float(m([1, 0, 1, 1], [1, 1, 0, 1])) == 2.0
    assert float(m([1, 1], [1, 1], sample_weight=[0.5, 2.0])) == 4.5
    assert float(m.inner.result()) == 4.5
    m.reset_state()
    assert float(m.result()) == 0.0 and float(m.inner.result()) == 0.0
    assert m.get_config() == {"name": "binary_true_positives", "dtype": "float32"}
    assert repr(m) == "<BinaryTruePositives name=binary_true_positives>"


def test_metric_without_super_init_raises():
    class Broken(metrics.Metric):
        def __init__(self):
            self.x = 1

    with pytest.raises(RuntimeError, match="forgot to call `super\\(\\).__init__\\(\\)`"):
        Broken().add_variable(shape=(), initializer="zeros")


def test_metric_dtype_and_default_names():
    assert metrics.Mean(dtype="float64").variables[0].dtype == "float64"
    assert metrics.Mean(dtype="mixed_float16").dtype == "float16"
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy)
    assert m.name.startswith("mean_metric_wrapper")
    # Keras: variables without an explicit dtype are floatx, whatever the metric's dtype.
    p = metrics.Precision(dtype="float64")
    assert p.dtype == "float64" and p.variables[0].dtype == "float32"
    r = metrics.Accuracy(dtype="float64")
    r.update_state([1, 2], [1, 3])
    assert r.result().dtype == "float64" and float(r.result()) == 0.5


def test_mean_and_sum_against_numpy_with_weight_broadcasting():
    cases = [((5, 3), None), ((5, 3), (5,)), ((5, 3), (5, 3)), ((5, 3, 2), (5,)),
             ((5, 3, 2), (5, 3)), ((5, 3), ()), ((5, 1), (5,)), ((5,), (5, 1)), ((), None)]
    for shape, wshape in cases:
        mean, total = metrics.Mean(), metrics.Sum()
        vals, ws = [], []
        for _ in range(3):
            v = RNG.random(shape).astype("float32")
            w = None if wshape is None else RNG.random(wshape).astype("float32")
            mean.update_state(v, sample_weight=w)
            total.update_state(v, sample_weight=w)
            vals.append(v)
            ws.append(np.ones(v.shape) if w is None
                      else np.broadcast_to(w.reshape(w.shape + (1,) * (v.ndim - w.ndim))
                                           if w.ndim < v.ndim else w.reshape(v.shape), v.shape))
            all_v = np.concatenate([x.reshape(-1) for x in vals])
            all_w = np.concatenate([x.reshape(-1) for x in ws])
            np.testing.assert_allclose(_np(mean.result()), (all_v * all_w).sum() / all_w.sum(),
                                       rtol=1e-5)
            np.testing.assert_allclose(_np(total.result()), (all_v * all_w).sum(), rtol=1e-5)
    # Keras' count: samples (not entries), or the summed per-sample weights.
    m = metrics.Mean()
    m.update_state(np.ones((4, 3)))
    assert float(m.count) == 4.0 and float(m.total) == 4.0
    m.update_state(np.ones((2, 3)), sample_weight=[2.0, 0.5])
    assert float(m.count) == 6.5
    assert float(metrics.Mean().result()) == 0.0


def test_mean_metric_wrapper_and_masks():
    def abs_err(y_true, y_pred, scale=1.0):
        return ops.abs(ops.subtract(y_true, y_pred)) * scale

    m = metrics.MeanMetricWrapper(abs_err, name="abs_err", scale=2.0)
    y_true = RNG.random((4, 3)).astype("float32")
    y_pred = RNG.random((4, 3)).astype("float32")
    m.update_state(y_true, y_pred)
    np.testing.assert_allclose(_np(m.result()), 2 * np.abs(y_true - y_pred).mean(), rtol=1e-5)

    # A mask on y_pred (as a Masking layer leaves it) zeroes the weight of masked entries.
    mask = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 0, 0]], dtype=bool)
    masked = ops.convert_to_tensor(y_pred)
    masked._keras_mask = ops.convert_to_tensor(mask)
    sw = np.array([1.0, 2.0, 0.5, 1.0], "float32")
    m = metrics.MeanMetricWrapper(abs_err)
    m.update_state(y_true, masked, sample_weight=sw)
    err = np.abs(y_true - y_pred)
    w = mask * sw[:, None]
    # Per-sample means of the weighted entries, over the per-sample mean weights.
    expected = (err * w).mean(axis=1).sum() / w.mean(axis=1).sum()
    np.testing.assert_allclose(_np(m.result()), expected, rtol=1e-5)
    m2 = metrics.MeanMetricWrapper(abs_err)
    m2.update_state(y_true, masked)
    np.testing.assert_allclose(_np(m2.result()), (err * mask).sum() / mask.sum(), rtol=1e-5)

    # Mean honours a mask on its values when weights are given.
    values = ops.convert_to_tensor(err)
    values._keras_mask = ops.convert_to_tensor(mask)
    mean = metrics.Mean()
    mean.update_state(values, sample_weight=np.ones((4, 3), "float32"))
    np.testing.assert_allclose(_np(mean.result()), (err * mask).sum() / mask.sum(), rtol=1e-5)

    # Accuracy metrics are MeanMetricWrappers, so they honour masks too.
    acc = metrics.BinaryAccuracy()
    y = ops.convert_to_tensor(np.array([[0.9], [0.2], [0.8]], "float32"))
    y._keras_mask = ops.convert_to_tensor(np.array([True, True, False]))
    acc.update_state(np.array([[1.0], [1.0], [1.0]]), y)
    assert float(acc.result()) == pytest.approx(0.5)


def test_mean_metric_wrapper_config_with_registered_function():
    @lamina.saving.register_keras_serializable(package="metrics_test")
    def half_error(y_true, y_pred, power=1.0):
        return ops.power(ops.abs(ops.subtract(y_true, y_pred)), power) * 0.5

    m = metrics.MeanMetricWrapper(half_error, name="half", power=2.0)
    config = metrics.serialize(m)
    assert config["class_name"] == "MeanMetricWrapper" and config["module"] == "keras.metrics"
    assert config["config"]["fn"]["config"] == "metrics_test>half_error"
    assert config["config"]["power"] == 2.0
    clone = metrics.deserialize(json.loads(json.dumps(config)))
    assert clone._fn is half_error and clone._fn_kwargs == {"power": 2.0} and clone.name == "half"
    clone.update_state([[1.0, 3.0]], [[0.0, 0.0]])
    assert float(clone.result()) == pytest.approx((0.5 + 4.5) / 2)
    # A built-in metric function is saved by name.
    w = metrics.deserialize(metrics.serialize(
        metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.3)))
    assert w._fn is metrics.binary_accuracy and w._fn_kwargs == {"threshold": 0.3}


def test_stateless_methods():
    m = metrics.MeanSquaredError()
    zeros = [ops.zeros(()), ops.zeros(())]
    values = m.stateless_update_state(zeros, [[1.0, 2.0]], [[0.0, 0.0]])
    assert [float(v) for v in values] == [2.5, 1.0]
    assert float(m.result()) == 0.0  # own state untouched
    assert float(m.stateless_result(values)) == 2.5
    m.update_state([[2.0]], [[0.0]])
    assert [float(v) for v in m.stateless_reset_state()] == [0.0, 0.0]
    assert float(m.result()) == 4.0
    with pytest.raises(ValueError, match="corresponding 1:1"):
        m.stateless_update_state([ops.zeros(())], [[1.0]], [[0.0]])


def test_add_metric_with_a_catalogue_metric():
    class Scored(lamina.layers.Layer):
        def __init__(self):
            super().__init__()
            self.acc = metrics.BinaryAccuracy(name="layer_acc")

        def call(self, inputs):
            self.add_metric(self.acc(ops.ones_like(inputs), inputs))
            return inputs

    layer = Scored()
    layer(np.array([[0.9], [0.1]], "float32"))
    layer(np.array([[0.7], [0.8]], "float32"))
    assert [m.name for m in layer.metrics] == ["layer_acc"]
    assert float(layer.metrics[0].result()) == pytest.approx(0.75)
    assert len(layer.metrics_variables) == 2


# ----------------------------------------------------------------------------------------------
# Accuracy metrics
# ----------------------------------------------------------------------------------------------


def test_accuracy():
    def make(rng, n):
        return rng.integers(0, 3, (n, 1)), rng.integers(0, 3, (n, 1)).astype("float32")

    check_metric(metrics.Accuracy, {}, _batches(make),
                 _per_sample_mean(lambda t, p: (t == p).astype(float)))
    assert _np(metrics.accuracy_metrics.accuracy([[1], [2]], [1, 3])).tolist() == [[1.0], [0.0]]


@pytest.mark.parametrize("threshold", [0.5, 0.3])
def test_binary_accuracy(threshold):
    check_metric(metrics.BinaryAccuracy, {"threshold": threshold}, _batches(_binary((3,))),
                 _per_sample_mean(lambda t, p: (t == (p > threshold)).astype(float)))
    got = metrics.binary_accuracy(np.array([[1], [0], [1]]), np.array([0.6, 0.4, 0.2]))
    # Labels (3, 1) against predictions (3,): the predictions get the trailing axis.
    assert got.dtype == "float32" and _np(got).tolist() == [[1.0], [1.0], [0.0]]


def test_categorical_accuracy():
    ref = _per_sample_mean(lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float))
    check_metric(metrics.CategoricalAccuracy, {}, _batches(_categorical(4)), ref)
    y_true = np.eye(3)[[0, 2, 1, 1]].reshape(2, 2, 3)
    y_pred = RNG.random((2, 2, 3))
    np.testing.assert_array_equal(_np(metrics.categorical_accuracy(y_true, y_pred)),
                                  (y_true.argmax(-1) == y_pred.argmax(-1)).astype(float))


def test_sparse_categorical_accuracy():
    ref = _per_sample_mean(lambda t, p: (t.reshape(-1) == p.argmax(-1)).astype(float))
    check_metric(metrics.SparseCategoricalAccuracy, {}, _batches(_categorical(4, sparse=True)),
                 ref)

    def column_labels(rng, n):
        labels, preds = _categorical(4, sparse=True)(rng, n)
        return labels.reshape(n, 1), preds

    check_metric(metrics.SparseCategoricalAccuracy, {}, _batches(column_labels), ref)
    got = metrics.sparse_categorical_accuracy([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    assert _np(got).tolist() == [0.0, 1.0]


def _np_in_top_k(labels, scores, k):
    target = np.take_along_axis(scores, labels.reshape(-1, 1), axis=-1)
    return ((scores > target).sum(-1) < k).astype(float)


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_categorical_accuracy(k):
    check_metric(metrics.TopKCategoricalAccuracy, {"k": k}, _batches(_categorical(5)),
                 _per_sample_mean(lambda t, p: _np_in_top_k(t.argmax(-1), p, k)))
    check_metric(metrics.SparseTopKCategoricalAccuracy, {"k": k},
                 _batches(_categorical(5, sparse=True)),
                 _per_sample_mean(lambda t, p: _np_in_top_k(t.astype(int), p, k)))


def test_top_k_ties_and_higher_rank_inputs():
    # A class tied with the k-th score counts as in the top k.
    scores = np.array([[0.1, 0.5, 0.5, 0.2]], "float32")
    assert _np(metrics.sparse_top_k_categorical_accuracy([2], scores, k=1)).tolist() == [1.0]
    assert _np(metrics.sparse_top_k_categorical_accuracy([3], scores, k=2)).tolist() == [0.0]
    # Class ids outside the classes are never in the top k (k >= classes: all others are).
    got = metrics.sparse_top_k_categorical_accuracy([7, -1, 0], np.ones((3, 4)), k=9)
    assert _np(got).tolist() == [0.0, 0.0, 1.0]
    y_pred = RNG.random((2, 3, 6)).astype("float32")
    labels = RNG.integers(0, 6, (2, 3))
    got = metrics.sparse_top_k_categorical_accuracy(labels, y_pred, k=3)
    assert got.shape == (2, 3)
    expected = _np_in_top_k(labels.reshape(-1), y_pred.reshape(-1, 6), 3).reshape(2, 3)
    np.testing.assert_array_equal(_np(got), expected)
    got = metrics.top_k_categorical_accuracy(np.eye(6)[labels], y_pred, k=3)
    np.testing.assert_array_equal(_np(got), expected)


def test_sparse_top_k_from_sorted_ids():
    def make(rng, n):
        ids = np.stack([rng.permutation(50)[:4] for _ in range(n)]).astype("int32")
        hit = rng.random(n) > 0.5
        labels = np.where(hit, ids[:, rng.integers(0, 4)], 60 + rng.integers(0, 5, n))
        return labels, ids

    ref = _per_sample_mean(lambda t, p: (p[:, :2] == t.reshape(-1, 1)).any(-1).astype(float))
    m = check_metric(metrics.SparseTopKCategoricalAccuracy, {"k": 2, "from_sorted_ids": True},
                     _batches(make), ref)
    assert m.get_config()["from_sorted_ids"] is True
    assert "from_sorted_ids" not in metrics.SparseTopKCategoricalAccuracy().get_config()


def test_top_k_invalid_k():
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="invalid value for `k`.*Received: k="):
            metrics.TopKCategoricalAccuracy(k=bad)
        with pytest.raises(ValueError, match="invalid value for `k`"):
            metrics.SparseTopKCategoricalAccuracy(k=bad)
    with pytest.raises(ValueError, match="Received: k=0"):
        metrics.top_k_categorical_accuracy(np.eye(3), np.eye(3), k=0)
    with pytest.raises(ValueError, match="Received: k=0"):
        metrics.sparse_top_k_categorical_accuracy([0, 1, 2], np.eye(3), k=0)


# ----------------------------------------------------------------------------------------------
# Regression metrics
# ----------------------------------------------------------------------------------------------


def test_mean_squared_and_absolute_errors():
    check_metric(metrics.MeanSquaredError, {}, _batches(_regression()),
                 _per_sample_mean(lambda t, p: (t - p) ** 2))
    check_metric(metrics.MeanAbsoluteError, {}, _batches(_regression()),
                 _per_sample_mean(lambda t, p: np.abs(t - p)))
    check_metric(metrics.MeanAbsolutePercentageError, {}, _batches(_regression()),
                 _per_sample_mean(lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS))),
                 rtol=1e-4)
    check_metric(metrics.MeanSquaredLogarithmicError, {}, _batches(_regression()),
                 _per_sample_mean(lambda t, p: (np.log(p + 1) - np.log(t + 1)) ** 2))
    check_metric(metrics.LogCoshError, {}, _batches(_regression()),
                 _per_sample_mean(lambda t, p: np.log(np.cosh(p - t))))
    # Rank-1 inputs are one sample (the error is a mean over the last axis, as in Keras), so
    # per-sample weights do not apply to them.
    m = metrics.MeanSquaredError()
    m.update_state([1.0, 2.0], [0.0, 0.0])
    m.update_state([[3.0]], [[0.0]])
    assert float(m.result()) == pytest.approx((2.5 + 9.0) / 2) and float(m.count) == 2.0
    with pytest.raises(ValueError, match="`sample_weight` cannot be broadcast to the values"):
        m.update_state([1.0, 2.0], [0.0, 0.0], sample_weight=[1.0, 2.0])


def test_root_mean_squared_error():
    def reference(seen):
        errs, ws = [], []
        for t, p, sw in seen:
            errs.append(((t - p) ** 2).mean(axis=1))
            ws.append(np.ones(len(t)) if sw is None else sw)
        return np.sqrt(_weighted_mean(np.concatenate(errs), np.concatenate(ws)))

    check_metric(metrics.RootMeanSquaredError, {}, _batches(_regression()), reference)
    check_metric(metrics.RootMeanSquaredError, {}, _batches(_regression(), weighted=False),
                 reference)


def test_cosine_similarity():
    def cos(t, p):
        return (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1)

    def signed(rng, n):
        return (rng.normal(size=(n, 4)).astype("float32"),
                rng.normal(size=(n, 4)).astype("float32"))

    check_metric(metrics.CosineSimilarity, {}, _batches(signed), _per_sample_mean(cos))
    m = check_metric(metrics.CosineSimilarity, {"axis": 1}, _batches(signed),
                     _per_sample_mean(cos))
    assert m.get_config()["axis"] == 1


@pytest.mark.parametrize("aggregation", ["uniform_average", "variance_weighted_average", None])
def test_r2_score(aggregation):
    def reference(seen):
        t = np.concatenate([b[0] for b in seen]).astype("float64")
        p = np.concatenate([b[1] for b in seen]).astype("float64")
        w = np.concatenate([np.ones(len(b[0])) if b[2] is None else b[2] for b in seen])[:, None]
        mean = (w * t).sum(0) / w.sum(0)
        ss_tot = (w * (t - mean) ** 2).sum(0)
        scores = 1 - (w * (t - p) ** 2).sum(0) / ss_tot
        if aggregation == "uniform_average":
            return scores.mean()
        if aggregation == "variance_weighted_average":
            return (scores * ss_tot).sum() / ss_tot.sum()
        return scores

    check_metric(metrics.R2Score, {"class_aggregation": aggregation},
                 _batches(_regression((3,))), reference, rtol=1e-4, atol=1e-5)


def test_r2_score_adjusted_and_errors():
    t = RNG.random((8, 1)).astype("float32")
    p = t + RNG.normal(0, 0.1, (8, 1)).astype("float32")
    r2 = 1 - ((t - p) ** 2).sum() / ((t - t.mean()) ** 2).sum()
    m = metrics.R2Score(num_regressors=2)
    m.update_state(t, p)
    np.testing.assert_allclose(_np(m.result()), 1 - (1 - r2) * 7 / 5, rtol=1e-4)
    m = metrics.R2Score(num_regressors=8)
    m.update_state(t, p)
    with pytest.warns(UserWarning, match="More independent predictors"):
        np.testing.assert_allclose(_np(m.result()), r2, rtol=1e-4)
    with pytest.raises(ValueError, match="class_aggregation"):
        metrics.R2Score(class_aggregation="median")
    with pytest.raises(ValueError, match="num_regressors"):
        metrics.R2Score(num_regressors=-1)
    with pytest.raises(ValueError, match="R2Score expects 2D inputs"):
        metrics.R2Score().update_state(np.ones((2, 3, 4)), np.ones((2, 3, 4)))


# ----------------------------------------------------------------------------------------------
# Confusion-matrix metrics
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls,row", [(metrics.TruePositives, 0), (metrics.FalsePositives, 1),
                                     (metrics.TrueNegatives, 2), (metrics.FalseNegatives, 3)])
def test_confusion_counts(cls, row):
    for thresholds in (None, 0.3, [0.1, 0.5, 0.9]):
        ts = [0.5] if thresholds is None else np.atleast_1d(thresholds).tolist()
        counts = _confusion_reference(ts)

        def reference(seen, counts=counts, single=np.ndim(thresholds) == 0):
            value = counts(seen)[row]
            return value[0] if single else value

        check_metric(cls, {"thresholds": thresholds}, _batches(_binary((3,))), reference)


PR_CASES = [
    {},
    {"thresholds": [0.2, 0.5, 0.7]},
    {"thresholds": (0.0, 1.0)},
    {"top_k": 2},
    {"class_id": 1},
    {"top_k": 2, "class_id": 3, "thresholds": 0.3},
]


@pytest.mark.parametrize("kwargs", PR_CASES)
def test_precision_and_recall(kwargs):
    thresholds = kwargs.get("thresholds")
    if thresholds is None:
        ts = [-1e10] if "top_k" in kwargs else [0.5]
    else:
        ts = list(np.atleast_1d(thresholds))
    counts = _confusion_reference(ts, kwargs.get("top_k"), kwargs.get("class_id"))
    single = thresholds is None or np.ndim(thresholds) == 0

    def precision(seen):
        tp, fp, _, _ = counts(seen)
        value = _safe_div(tp, tp + fp)
        return value[0] if single else value

    def recall(seen):
        tp, _, _, fn = counts(seen)
        value = _safe_div(tp, tp + fn)
        return value[0] if single else value

    p = check_metric(metrics.Precision, kwargs, _batches(_binary((4,))), precision)
    r = check_metric(metrics.Recall, kwargs, _batches(_binary((4,))), recall)
    assert [v.name for v in p.variables] == ["true_positives", "false_positives"]
    assert [v.name for v in r.variables] == ["true_positives", "false_negatives"]
    assert set(p.get_config()) == {"name", "dtype", "thresholds", "top_k", "class_id"}


def test_precision_recall_weight_shapes():
    y_true = (RNG.random((6, 3)) > 0.5).astype("float32")
    y_pred = RNG.random((6, 3)).astype("float32")
    for sw in (np.float32(2.0), RNG.random(6), RNG.random((6, 1)), RNG.random((6, 3))):
        w = _full_weights(sw, y_pred.shape) if np.ndim(sw) else np.full(y_pred.shape, 2.0)
        tp, fp, tn, fn = np_confusion(y_true, y_pred, [0.5], w)
        p, r = metrics.Precision(), metrics.Recall()
        p.update_state(y_true, y_pred, sample_weight=sw)
        r.update_state(y_true, y_pred, sample_weight=sw)
        np.testing.assert_allclose(_np(p.result()), (tp / (tp + fp))[0], rtol=1e-5)
        np.testing.assert_allclose(_np(r.result()), (tp / (tp + fn))[0], rtol=1e-5)
    # Per-entry weights follow their class with `class_id`.
    sw = RNG.random((6, 3)).astype("float32")
    p = metrics.Precision(class_id=2)
    p.update_state(y_true, y_pred, sample_weight=sw)
    tp, fp, _, _ = np_confusion(y_true[:, 2], y_pred[:, 2], [0.5], sw[:, 2])
    np.testing.assert_allclose(_np(p.result()), (tp / (tp + fp))[0], rtol=1e-5)
    # Labels with a trailing 1 match rank-1 predictions; nothing predicted gives 0.
    p = metrics.Precision()
    p.update_state([[1], [0]], [0.2, 0.1])
    assert float(p.result()) == 0.0


def test_confusion_metric_errors():
    for bad in (1.5, [0.2, -0.1], [None]):
        with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
            metrics.Precision(thresholds=bad)
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Recall(thresholds=2.0)
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.TruePositives(thresholds=[1.2])
    with pytest.raises(ValueError, match="invalid value for `top_k`.*Received: top_k=0"):
        metrics.Precision(top_k=0)
    with pytest.raises(ValueError, match="invalid value for `class_id`"):
        metrics.Recall(class_id=-1)
    with pytest.raises(ValueError, match="When class_id is provided, y_pred must be a 2D array"):
        metrics.Precision(class_id=0).update_state([1, 0], [0.3, 0.9])
    with pytest.raises(ValueError, match=r"`class_id` must be in \[0, 3\)"):
        metrics.Precision(class_id=3).update_state(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="must have the same shape"):
        metrics.Precision().update_state(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="sample_weight"):
        metrics.Precision().update_state(np.ones((4, 3)), np.ones((4, 3)), sample_weight=[1, 2])
    with pytest.raises(ValueError, match="valid confusion matrix variable"):
        metrics_utils.update_confusion_matrix_variables({"tp": None}, [1], [1], [0.5])


@pytest.mark.parametrize("cls,arg", [
    (metrics.SensitivityAtSpecificity, "specificity"),
    (metrics.SpecificityAtSensitivity, "sensitivity"),
    (metrics.PrecisionAtRecall, "recall"),
    (metrics.RecallAtPrecision, "precision"),
])
def test_rate_at_rate_metrics(cls, arg):
    for value, num_thresholds, class_id, shape in ((0.6, 50, None, ()), (0.4, 200, 1, (3,)),
                                                    (0.5, 1, None, ())):
        if num_thresholds == 1:
            ts = [0.5]
        else:
            ts = [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0]
        counts = _confusion_reference(np.array(ts, "float32").astype("float64"),
                                      class_id=class_id)

        def reference(seen, counts=counts, value=value):
            tp, fp, tn, fn = counts(seen)
            rates = {"sensitivity": _safe_div(tp, tp + fn), "specificity": _safe_div(tn, tn + fp),
                     "precision": _safe_div(tp, tp + fp)}
            rates["recall"] = rates["sensitivity"]
            constrained = rates[arg]
            dependent = rates[{"specificity": "sensitivity", "sensitivity": "specificity",
                               "recall": "precision", "precision": "recall"}[arg]]
            return max(0.0, np.where(constrained >= value, dependent, 0.0).max())

        m = check_metric(cls, {arg: value, "num_thresholds": num_thresholds, "class_id": class_id},
                         _batches(_binary(shape)), reference)
        assert len(m.variables) == 4 and m.variables[0].shape == (len(ts),)
    with pytest.raises(ValueError, match=f"`{arg}` must be in the range \\[0, 1\\]"):
        cls(1.5)
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 0"):
        cls(0.5, num_thresholds=0)


# ----------------------------------------------------------------------------------------------
# AUC
# ----------------------------------------------------------------------------------------------


def _auc_reference(num_thresholds=200, curve="ROC", summation="interpolation", thresholds=None,
                   multi_label=False, label_weights=None, from_logits=False):
    if thresholds is not None:
        ts = np.array([-EPS] + sorted(thresholds) + [1 + EPS], "float32").astype("float64")
    else:
        ts = _auc_thresholds(num_thresholds)

    def reference(seen):
        y_true = np.concatenate([b[0] for b in seen]).astype("float64")
        y_pred = np.concatenate([b[1] for b in seen]).astype("float64")
        if from_logits:
            y_pred = 1 / (1 + np.exp(-y_pred))
        w = np.concatenate([_full_weights(b[2], b[1].shape) for b in seen])
        if not multi_label:
            if label_weights is not None:
                w = w * np.asarray(label_weights)
            return np_auc_from_counts(*np_confusion(y_true, y_pred, ts, w), curve, summation)
        per_label = np.array([
            np_auc_from_counts(*np_confusion(y_true[:, j], y_pred[:, j], ts, w[:, j]),
                               curve, summation)
            for j in range(y_true.shape[1])
        ])
        if label_weights is None:
            return per_label.mean()
        return (per_label * label_weights).sum() / np.sum(label_weights)

    return reference


@pytest.mark.parametrize("curve", ["ROC", "PR", "PRGAIN"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
def test_auc_against_numpy_riemann_sums(curve, summation):
    kwargs = {"curve": curve, "summation_method": summation}
    check_metric(metrics.AUC, kwargs, _batches(_binary(())),
                 _auc_reference(curve=curve, summation=summation), rtol=1e-4, atol=1e-5)
    check_metric(metrics.AUC, {**kwargs, "num_thresholds": 7}, _batches(_binary((3,))),
                 _auc_reference(7, curve, summation), rtol=1e-4, atol=1e-5)
    check_metric(metrics.AUC, {**kwargs, "num_thresholds": 9, "multi_label": True},
                 _batches(_binary((3,))),
                 _auc_reference(9, curve, summation, multi_label=True), rtol=1e-4, atol=1e-5)


def test_auc_options():
    check_metric(metrics.AUC, {"thresholds": [0.6, 0.1, 0.35]}, _batches(_binary(())),
                 _auc_reference(thresholds=[0.6, 0.1, 0.35]), rtol=1e-4, atol=1e-6)
    m = metrics.AUC(thresholds=[0.6, 0.1, 0.35])
    assert m.num_thresholds == 5 and m.get_config()["thresholds"] == [0.1, 0.35, 0.6]
    np.testing.assert_allclose(m.thresholds, [-EPS, 0.1, 0.35, 0.6, 1 + EPS])
    assert "thresholds" not in metrics.AUC().get_config()

    lw = [0.2, 0.5, 1.3]
    check_metric(metrics.AUC, {"label_weights": lw}, _batches(_binary((3,))),
                 _auc_reference(label_weights=lw), rtol=1e-4, atol=1e-6)
    check_metric(metrics.AUC, {"label_weights": lw, "multi_label": True, "num_labels": 3,
                               "curve": "PR"},
                 _batches(_binary((3,))),
                 _auc_reference(curve="PR", multi_label=True, label_weights=lw),
                 rtol=1e-4, atol=1e-6)

    def logits(rng, n):
        return (rng.random(n) > 0.5).astype("float32"), rng.normal(0, 2, n).astype("float32")

    check_metric(metrics.AUC, {"from_logits": True}, _batches(logits),
                 _auc_reference(from_logits=True), rtol=1e-4, atol=1e-6)

    # multi_label without num_labels: variables are created on the first update.
    m = metrics.AUC(multi_label=True)
    assert m.variables == [] and float(m.result()) == 0.0
    m.reset_state()
    m.update_state(np.ones((2, 4)), np.ones((2, 4)))
    assert [v.shape for v in m.variables] == [(200, 4)] * 4
    assert [v.name for v in m.variables] == ["true_positives", "false_positives",
                                             "true_negatives", "false_negatives"]


def test_auc_is_close_to_the_exact_rank_auc_with_many_thresholds():
    n = 600
    y_true = (RNG.random(n) > 0.4).astype("float32")
    scores = np.clip(0.5 + 0.25 * (y_true - 0.5) + RNG.normal(0, 0.2, n), 0, 1).astype("float32")
    weights = RNG.uniform(0.2, 2.0, n).astype("float32")
    for w in (None, weights):
        m = metrics.AUC(num_thresholds=4000)
        for part in np.array_split(np.arange(n), 3):
            m.update_state(y_true[part], scores[part],
                           sample_weight=None if w is None else w[part])
        exact = np_rank_auc(y_true, scores, w)
        assert 0.6 < exact < 0.95
        assert abs(float(m.result()) - exact) < 2e-3
        coarse = metrics.AUC(num_thresholds=5)
        coarse.update_state(y_true, scores, sample_weight=w)
        assert abs(float(coarse.result()) - exact) > abs(float(m.result()) - exact)
    # A perfect ranking scores 1, a reversed one 0.
    perfect = metrics.AUC()
    perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(perfect.result()) == pytest.approx(1.0)
    reverse = metrics.AUC()
    reverse.update_state([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    assert float(reverse.result()) == pytest.approx(0.0)


def test_confusion_counts_in_slices_match_one_pass(monkeypatch):
    y_true = (RNG.random((300, 2)) > 0.5).astype("float32")
    y_pred = RNG.random((300, 2)).astype("float32")
    sw = RNG.random(300).astype("float32")
    results = []
    for limit in (1 << 22, 500):
        monkeypatch.setattr(metrics_utils, "_MAX_COMPARISONS", limit)
        flat, multi = metrics.AUC(curve="PR"), metrics.AUC(multi_label=True)
        flat.update_state(y_true, y_pred, sample_weight=sw)
        multi.update_state(y_true, y_pred, sample_weight=sw)
        results.append([_np(v) for v in flat.variables + multi.variables])
    for one, sliced in zip(*results):
        np.testing.assert_allclose(one, sliced, rtol=1e-5, atol=1e-4)


def test_auc_errors():
    with pytest.raises(ValueError, match="`num_thresholds` must be an integer > 1. "
                                         "Received: num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match='Invalid AUC curve value: "XY"'):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match='Invalid AUC summation method value: "mid"'):
        metrics.AUC(summation_method="mid")
    with pytest.raises(ValueError, match="`num_labels` is needed only when `multi_label` is True"):
        metrics.AUC(num_labels=3)
    with pytest.raises(ValueError, match="`y_pred` must have rank 2 when `multi_label=True`"):
        metrics.AUC(multi_label=True).update_state(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expects `y_pred` of shape \(batch_size, 3\)"):
        metrics.AUC(multi_label=True, num_labels=3).update_state(np.ones((2, 4)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="`label_weights` must be non-negative"):
        metrics.AUC(label_weights=[1.0, -1.0])


# ----------------------------------------------------------------------------------------------
# F-scores
# ----------------------------------------------------------------------------------------------


def _np_fbeta(average, beta, threshold):
    def reference(seen):
        tp = fp = fn = support = 0.0
        for y_true, y_pred, sw in seen:
            y_true = np.asarray(y_true, "float64")
            y_pred = np.asarray(y_pred, "float64")
            if threshold is None:
                pred = (y_pred >= y_pred.max(-1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
            else:
                pred = y_pred > threshold
            pred = pred.astype(float)
            w = np.ones((len(y_true), 1)) if sw is None else np.asarray(sw)[:, None]
            axis = None if average == "micro" else 0
            tp = tp + (w * pred * y_true).sum(axis)
            fp = fp + (w * pred * (1 - y_true)).sum(axis)
            fn = fn + (w * (1 - pred) * y_true).sum(axis)
            support = support + (w * y_true).sum(axis)
        precision = tp / (tp + fp + EPS)
        recall = tp / (tp + fn + EPS)
        f = (1 + beta ** 2) * precision * recall / (beta ** 2 * precision + recall + EPS)
        if average == "weighted":
            return (f * support / (support.sum() + EPS)).sum()
        if average in ("micro", "macro"):
            return np.mean(f)
        return f

    return reference


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_fbeta_and_f1(average, threshold):
    check_metric(metrics.FBetaScore, {"average": average, "beta": 2.0, "threshold": threshold},
                 _batches(_binary((4,))), _np_fbeta(average, 2.0, threshold))
    m = check_metric(metrics.F1Score, {"average": average, "threshold": threshold},
                     _batches(_binary((4,))), _np_fbeta(average, 1.0, threshold))
    assert "beta" not in m.get_config()
    expected_shape = (4,) if average is None else ()
    assert m.result().shape == expected_shape


def test_fbeta_errors():
    with pytest.raises(ValueError, match="Invalid `average` argument.*Received: average=mean"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="It should be a Python float. Received: beta=1"):
        metrics.FBetaScore(beta=1)
    with pytest.raises(ValueError, match="It should be > 0. Received: beta=-1.0"):
        metrics.FBetaScore(beta=-1.0)
    with pytest.raises(ValueError, match="threshold <= 1. Received: threshold=1.5"):
        metrics.F1Score(threshold=1.5)
    with pytest.raises(ValueError, match="Python float. Received: threshold=1 "):
        metrics.F1Score(threshold=1)
    with pytest.raises(ValueError, match="F1Score expects 2D inputs"):
        metrics.F1Score().update_state([1, 0], [0.4, 0.6])
    m = metrics.F1Score()
    m.update_state(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"same shape \(batch_size, 3\)"):
        m.update_state(np.ones((2, 4)), np.ones((2, 4)))


# ----------------------------------------------------------------------------------------------
# get / serialize / deserialize
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("identifier,cls", [
    ("accuracy", metrics.Accuracy), ("acc", metrics.Accuracy), ("ACC", metrics.Accuracy),
    ("mse", metrics.MeanSquaredError), ("MSE", metrics.MeanSquaredError),
    ("mae", metrics.MeanAbsoluteError), ("mape", metrics.MeanAbsolutePercentageError),
    ("msle", metrics.MeanSquaredLogarithmicError),
    ("mean_squared_error", metrics.MeanSquaredError),
    ("binary_accuracy", metrics.BinaryAccuracy), ("BinaryAccuracy", metrics.BinaryAccuracy),
    ("sparse_top_k_categorical_accuracy", metrics.SparseTopKCategoricalAccuracy),
    ("auc", metrics.AUC), ("AUC", metrics.AUC), ("f1_score", metrics.F1Score),
    ("precision", metrics.Precision), ("Recall", metrics.Recall), ("r2_score", metrics.R2Score),
    ("root_mean_squared_error", metrics.RootMeanSquaredError),
])
def test_get_by_name(identifier, cls):
    assert type(metrics.get(identifier)) is cls


def test_get_other_identifiers():
    assert metrics.get(None) is None
    assert type(metrics.get(metrics.Precision)) is metrics.Precision
    m = metrics.Recall(thresholds=[0.2, 0.4])
    assert metrics.get(m) is m
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy

    def custom(y_true, y_pred):
        return y_pred

    assert metrics.get(custom) is custom
    p = metrics.get({"class_name": "Precision", "config": {"thresholds": [0.1, 0.2], "top_k": 2}})
    assert type(p) is metrics.Precision and p.thresholds == [0.1, 0.2] and p.top_k == 2
    ba = metrics.get({"module": "keras.metrics", "class_name": "BinaryAccuracy",
                      "config": {"threshold": 0.3, "name": "ba"}, "registered_name": None})
    assert ba.threshold == 0.3 and ba.name == "ba"
    assert type(metrics.deserialize("mse")) is metrics.MeanSquaredError


def test_get_errors():
    with pytest.raises(ValueError, match="Could not interpret metric identifier: acuracy. "
                                         "Did you mean one of: \\['accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: qqqq\\.$"):
        metrics.get("qqqq")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)


def test_serialize_keras_format_and_round_trips():
    config = metrics.serialize(metrics.BinaryAccuracy(threshold=0.7, name="ba"))
    assert config == {"module": "keras.metrics", "class_name": "BinaryAccuracy",
                      "config": {"name": "ba", "dtype": "float32", "threshold": 0.7},
                      "registered_name": None}
    auc = metrics.AUC(num_thresholds=50, curve="PR", summation_method="majoring",
                      multi_label=True, num_labels=2, label_weights=[1.0, 3.0], name="auc_pr")
    config = json.loads(json.dumps(metrics.serialize(auc)))
    assert config["config"]["curve"] == "PR" and config["config"]["summation_method"] == "majoring"
    clone = metrics.deserialize(config)
    assert clone.num_thresholds == 50 and clone.multi_label and clone.num_labels == 2
    np.testing.assert_array_equal(_np(clone.label_weights), [1.0, 3.0])
    y_true = (RNG.random((20, 2)) > 0.5).astype("float32")
    y_pred = RNG.random((20, 2)).astype("float32")
    auc.update_state(y_true, y_pred)
    clone.update_state(y_true, y_pred)
    assert float(clone.result()) == pytest.approx(float(auc.result()))
    for m in (metrics.Mean(name="m"), metrics.Sum(), metrics.TopKCategoricalAccuracy(k=3),
              metrics.SensitivityAtSpecificity(0.3, num_thresholds=10, class_id=1),
              metrics.FBetaScore(average="macro", beta=0.5, threshold=0.2),
              metrics.R2Score(class_aggregation=None, num_regressors=2)):
        again = metrics.deserialize(json.loads(json.dumps(metrics.serialize(m))))
        assert type(again) is type(m) and again.get_config() == m.get_config()
