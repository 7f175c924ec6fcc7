"""Probabilistic metrics (Keras 3's ``keras.metrics``): cross-entropies, the Kullback-Leibler
divergence and the Poisson metric, each the (weighted) mean over samples of the
``lamina.losses`` function of the same name."""

from lamina.losses.losses import binary_crossentropy
from lamina.losses.losses import categorical_crossentropy
from lamina.losses.losses import kl_divergence
from lamina.losses.losses import poisson
from lamina.losses.losses import sparse_categorical_crossentropy
from lamina.metrics import reduction_metrics


class KLDivergence(reduction_metrics.MeanMetricWrapper):
    """Computes the Kullback-Leibler divergence metric between `y_true` and `y_pred`.

    Formula:

    ```python
    metric = y_true * log(y_true / y_pred)
    ```

    summed over the last axis, then averaged over the samples. `y_true` and `y_pred` are
    expected to be probability distributions, with values between 0 and 1; they are clipped
    to the ``[epsilon, 1]`` range.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.KLDivergence()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.4581
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    0.9163

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mse", metrics=[lamina.metrics.KLDivergence()])
    ```
    """

    _config_attributes = ()

    def __init__(self, name="kl_divergence", dtype=None):
        # Wrapping the `kl_divergence` loss makes the metric's direction "down".
        super().__init__(fn=kl_divergence, name=name, dtype=dtype)


class Poisson(reduction_metrics.MeanMetricWrapper):
    """Computes the Poisson metric between `y_true` and `y_pred`.

    Formula:

    ```python
    metric = y_pred - y_true * log(y_pred + epsilon)
    ```

    averaged over the last axis, then over the samples.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Poisson()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> round(float(m.result()), 4)
    0.5
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    1.0

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mse", metrics=[lamina.metrics.Poisson()])
    ```
    """

    _config_attributes = ()

    def __init__(self, name="poisson", dtype=None):
        # Wrapping the `poisson` loss makes the metric's direction "down".
        super().__init__(fn=poisson, name=name, dtype=dtype)


class BinaryCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    This is the crossentropy metric class to be used when there are only two label classes
    (0 and 1). The binary crossentropy of each sample (the mean over its last axis) is
    averaged over the samples seen.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By
            default, we consider that output encodes a probability distribution.
        label_smoothing: (Optional) Float in ``[0, 1]``. When > 0, label values are
            smoothed, meaning the confidence on label values are relaxed. e.g.
            ``label_smoothing=0.2`` means that we will use a value of 0.1 for label "0" and
            0.9 for label "1".

    Example:

    >>> m = lamina.metrics.BinaryCrossentropy()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(m.result()), 4)
    0.8149
    >>> m.reset_state()
    >>> m.update_state([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], sample_weight=[1, 0])
    >>> round(float(m.result()), 4)
    0.9163

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[lamina.metrics.BinaryCrossentropy()])
    ```
    """

    _config_attributes = ("from_logits", "label_smoothing")

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(
            binary_crossentropy,
            name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
        )
        # Metric should be minimized during optimization.
        self._direction = "down"


class CategoricalCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    This is the crossentropy metric class to be used when there are multiple label classes
    (2 or more). It assumes that labels are one-hot encoded, e.g., when label values are
    ``[2, 0, 1]``, then `y_true` is ``[[0, 0, 1], [1, 0, 0], [0, 1, 0]]``.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By
            default, we consider that output encodes a probability distribution.
        label_smoothing: (Optional) Float in ``[0, 1]``. When > 0, label values are
            smoothed, meaning the confidence on label values are relaxed: with
            ``label_smoothing=0.2`` and 2 classes, a label "0" becomes 0.1 and a label "1"
            becomes 0.9.
        axis: (Optional) The dimension along which entropy is computed. Defaults to `-1`.

    Example:

    >>> # y_pred clipped to [eps, 1 - eps]; xent = -sum(y * log(y_pred), axis=-1)
    >>> #      = [-log(0.95), -log(0.1)] = [0.051, 2.302]; mean = 1.177
    >>> m = lamina.metrics.CategoricalCrossentropy()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    >>> m.reset_state()
    >>> m.update_state([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]],
    ...                sample_weight=[0.3, 0.7])
    >>> round(float(m.result()), 4)
    1.6272

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[lamina.metrics.CategoricalCrossentropy()])
    ```
    """

    _config_attributes = ("from_logits", "label_smoothing", "axis")

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(
            categorical_crossentropy,
            name,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )
        # Metric should be minimized during optimization.
        self._direction = "down"


class SparseCategoricalCrossentropy(reduction_metrics.MeanMetricWrapper):
    """Computes the crossentropy metric between the labels and predictions.

    Use this crossentropy metric when there are two or more label classes. It expects
    labels to be provided as integers. If you want to provide labels that are one-hot
    encoded, please use the `CategoricalCrossentropy` metric instead.

    There should be `num_classes` floating point values per feature for `y_pred` and a
    single floating point value per feature for `y_true`.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_logits: (Optional) Whether output is expected to be a logits tensor. By
            default, we consider that output encodes a probability distribution.
        ignore_class: (Optional) Integer. Class to ignore: its entries count as 0 (and, when
            sample weights are given, get a weight of 0). If `None`, no class is ignored.
        axis: (Optional) The dimension along which entropy is computed. Defaults to `-1`.

    Example:

    >>> m = lamina.metrics.SparseCategoricalCrossentropy()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    >>> round(float(m.result()), 4)
    1.1769
    >>> m.reset_state()
    >>> m.update_state([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], sample_weight=[0.3, 0.7])
    >>> round(float(m.result()), 4)
    1.6272

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[lamina.metrics.SparseCategoricalCrossentropy()])
    ```
    """

    _config_attributes = ("from_logits", "ignore_class", "axis")

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )
        # Metric should be minimized during optimization.
        self._direction = "down"
