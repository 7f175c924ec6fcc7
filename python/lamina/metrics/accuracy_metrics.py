"""Accuracy metrics (Keras 3's ``keras.metrics``): how often predictions match labels, as
functions giving a value per sample and as `MeanMetricWrapper` classes averaging them."""

from lamina import ops
from lamina.backend import config as backend_config
from lamina.metrics import metrics_utils
from lamina.metrics import reduction_metrics


def _matches(y_true, y_pred):
    return ops.cast(ops.equal(y_true, y_pred), backend_config.floatx())


def accuracy(y_true, y_pred):
    """1.0 where `y_pred` equals `y_true`, else 0.0 (elementwise).

    Args:
        y_true: The labels.
        y_pred: The predictions (same shape, up to a trailing dimension of size 1).

    Returns:
        A float tensor of matches.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype)
    y_true, y_pred = metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)
    return _matches(y_true, y_pred)


class Accuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions equal labels.

    It averages `accuracy` over the samples seen. If `sample_weight` is `None`, weights
    default to 1; use a weight of 0 to mask values.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Accuracy()
    >>> m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(m.result())
    0.75
    """

    _config_attributes = ()

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(fn=accuracy, name=name, dtype=dtype)
        self._direction = "up"


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where ``y_pred > threshold`` agrees with the binary label `y_true`, else 0.0.

    Args:
        y_true: Binary labels (0/1 or bool).
        y_pred: Predicted probabilities (or scores).
        threshold: The decision threshold. Defaults to `0.5`.

    Returns:
        A float tensor of matches (same shape as the rank-matched labels).
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.convert_to_tensor(y_true)
    y_true, y_pred = metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return _matches(y_true, y_pred)


class BinaryAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match binary labels.

    A prediction counts as 1 when it is above `threshold`.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        threshold: (Optional) float threshold for deciding whether prediction values are 1 or
            0. Defaults to `0.5`.

    Example:

    >>> m = lamina.metrics.BinaryAccuracy()
    >>> m.update_state([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    >>> float(m.result())
    0.75
    """

    _config_attributes = ("threshold",)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(fn=binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self._direction = "up"


def categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of `y_pred` is the arg-max of the one-hot `y_true`, else 0.0.

    Args:
        y_true: One-hot (or probability) labels, shape ``(..., num_classes)``.
        y_pred: Predictions (probabilities or logits), shape ``(..., num_classes)``.

    Returns:
        A float tensor of matches, shape ``(...)``.
    """
    y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=-1)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype)
    y_true_org_shape = tuple(y_true.shape)
    reshape_matches = False
    if len(y_true.shape) == len(y_pred.shape):
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = _matches(y_true, y_pred)
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    return matches


class CategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match one-hot labels.

    The arg-max of `y_pred` is compared with the arg-max of `y_true`, so `y_pred` may hold
    logits or probabilities.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.CategoricalAccuracy()
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    _config_attributes = ()

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(fn=categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where the arg-max of `y_pred` equals the integer label `y_true`, else 0.0.

    Args:
        y_true: Integer labels, shape ``(...)`` or ``(..., 1)``.
        y_pred: Predictions, shape ``(..., num_classes)``.

    Returns:
        A float tensor of matches.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype)
    y_true_org_shape = tuple(y_true.shape)
    reshape_matches = False
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
        reshape_matches = True
    y_pred = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    matches = _matches(y_true, y_pred)
    if reshape_matches:
        matches = ops.reshape(matches, y_true_org_shape)
    if len(matches.shape) > 1 and matches.shape[-1] == 1:
        matches = ops.squeeze(matches, -1)
    return matches


class SparseCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Calculates how often predictions match integer labels.

    Equivalent to ``np.dot(sample_weight, np.equal(y_true, np.argmax(y_pred, axis=1)))``
    divided by the total weight.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.SparseCategoricalAccuracy()
    >>> m.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    _config_attributes = ()

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(fn=sparse_categorical_accuracy, name=name, dtype=dtype)
        self._direction = "up"


def _flatten_for_top_k(y_true, y_pred):
    # Rows of scores against a flat vector of targets; returns the targets' original shape
    # when it must be restored.
    org_shape = tuple(y_true.shape)
    reshape_matches = False
    if len(y_pred.shape) > 2:
        y_pred = ops.reshape(y_pred, (-1, y_pred.shape[-1]))
    if len(y_true.shape) > 1:
        reshape_matches = True
        y_true = ops.reshape(y_true, (-1,))
    return y_true, y_pred, (org_shape if reshape_matches else None)


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the one-hot target's class is among the `k` highest predictions, else 0.0.

    Args:
        y_true: One-hot labels, shape ``(..., num_classes)``.
        y_pred: Scores, shape ``(..., num_classes)``.
        k: (Optional) number of top elements to look at. Defaults to `5`.

    Returns:
        A float tensor of matches, shape ``(...)``.
    """
    metrics_utils.check_positive_int(k, "k", "top_k_categorical_accuracy")
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.argmax(metrics_utils.as_tensor(y_true, y_pred.dtype), axis=-1)
    y_true, y_pred, org_shape = _flatten_for_top_k(y_true, y_pred)
    matches = ops.cast(metrics_utils.in_top_k(y_true, y_pred, k), backend_config.floatx())
    if org_shape is not None:
        matches = ops.reshape(matches, org_shape)
    return matches


class TopKCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Computes how often targets are in the top `K` predictions.

    Args:
        k: (Optional) number of top elements to look at for computing accuracy. Defaults
            to `5`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.TopKCategoricalAccuracy(k=1)
    >>> m.update_state([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    _config_attributes = ("k",)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        metrics_utils.check_positive_int(k, "k", self.__class__.__name__)
        super().__init__(fn=top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self._direction = "up"


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1.0 where the integer target is among the top `k` predictions, else 0.0.

    Args:
        y_true: Class ids (or category ids), shape ``(batch,)``.
        y_pred: With ``from_sorted_ids=False``, the scores of every class, shape
            ``(batch, num_classes)``. With ``from_sorted_ids=True``, the ids of the top ``N``
            categories from highest to lowest score, shape ``(batch, N)``.
        k: (Optional) number of top elements to look at. Defaults to `5`.
        from_sorted_ids: (Optional) whether `y_pred` holds sorted category ids rather than
            scores. Defaults to `False`.

    Returns:
        A float tensor with the shape of `y_true`: 1.0 where `y_true` is in the top `k`.
    """
    metrics_utils.check_positive_int(k, "k", "sparse_top_k_categorical_accuracy")
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype if from_sorted_ids else "int32")
    y_true, y_pred, org_shape = _flatten_for_top_k(y_true, y_pred)
    if from_sorted_ids:
        candidates = y_pred[:, :k]
        matches = ops.any(ops.equal(ops.expand_dims(y_true, 1), candidates), axis=1)
    else:
        matches = metrics_utils.in_top_k(y_true, y_pred, k)
    matches = ops.cast(matches, backend_config.floatx())
    if org_shape is not None:
        matches = ops.reshape(matches, org_shape)
    return matches


class SparseTopKCategoricalAccuracy(reduction_metrics.MeanMetricWrapper):
    """Computes how often integer targets are in the top `K` predictions.

    By default `y_true` holds class indices, shape ``(batch,)``, and `y_pred` the scores of
    every class, shape ``(batch, num_classes)``. With ``from_sorted_ids=True``, `y_pred` holds
    the ids of the top ``N >= k`` categories sorted from highest to lowest score (useful when
    the set of categories is very large).

    Args:
        k: (Optional) number of top elements to look at for computing accuracy. Defaults
            to `5`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        from_sorted_ids: (Optional) whether `y_pred` holds sorted category ids. Defaults to
            `False`.

    Example:

    >>> m = lamina.metrics.SparseTopKCategoricalAccuracy(k=1)
    >>> m.update_state([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    >>> float(m.result())
    0.5
    """

    # `from_sorted_ids` is saved only when set, as Keras 3 does.
    _config_attributes = ("k",)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        metrics_utils.check_positive_int(k, "k", self.__class__.__name__)
        super().__init__(fn=sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.from_sorted_ids = from_sorted_ids
        self._direction = "up"

    def get_config(self):
        config = super().get_config()
        if self.from_sorted_ids:
            config["from_sorted_ids"] = True
        return config
