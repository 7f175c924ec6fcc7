"""Hinge metrics (Keras 3's ``keras.metrics.Hinge``, ``SquaredHinge`` and
``CategoricalHinge``): the (weighted) mean over samples of the ``lamina.losses`` hinge
functions."""

from lamina.losses.losses import categorical_hinge
from lamina.losses.losses import hinge
from lamina.losses.losses import squared_hinge
from lamina.metrics import reduction_metrics


class Hinge(reduction_metrics.MeanMetricWrapper):
    """Computes the hinge metric between `y_true` and `y_pred`.

    Formula: ``mean(maximum(1 - y_true * y_pred, 0), axis=-1)`` per sample, averaged over
    the samples. `y_true` values are expected to be -1 or 1. If binary (0 or 1) labels are
    provided they are converted to -1 or 1.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Hinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    1.3
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    1.1
    """

    _config_attributes = ()

    def __init__(self, name="hinge", dtype=None):
        super().__init__(fn=hinge, name=name, dtype=dtype)
        # Metric should be minimized during optimization.
        self._direction = "down"


class SquaredHinge(reduction_metrics.MeanMetricWrapper):
    """Computes the squared hinge metric between `y_true` and `y_pred`.

    Formula: ``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)`` per sample, averaged
    over the samples. `y_true` values are expected to be -1 or 1. If binary (0 or 1) labels
    are provided they are converted to -1 or 1.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.SquaredHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    1.86
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    1.46
    """

    _config_attributes = ()

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(fn=squared_hinge, name=name, dtype=dtype)
        # Metric should be minimized during optimization.
        self._direction = "down"


class CategoricalHinge(reduction_metrics.MeanMetricWrapper):
    """Computes the categorical hinge metric between `y_true` and `y_pred`.

    Formula: ``maximum(neg - pos + 1, 0)`` per sample, with
    ``pos = sum(y_true * y_pred, axis=-1)`` and ``neg = max((1 - y_true) * y_pred, axis=-1)``,
    averaged over the samples.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.CategoricalHinge()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    1.4
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    1.2
    """

    _config_attributes = ()

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(fn=categorical_hinge, name=name, dtype=dtype)
        # Metric should be minimized during optimization.
        self._direction = "down"
