"""Intersection-over-union metrics (Keras 3's ``keras.metrics.IoU``, ``BinaryIoU``, ``MeanIoU``,
``OneHotIoU`` and ``OneHotMeanIoU``): a weighted confusion matrix of class ids accumulated over
batches, and the IoU of chosen classes computed from it."""

import warnings

import numpy as np

from lamina import ops
from lamina.backend import config as backend_config
from lamina.metrics import metrics_utils
from lamina.metrics.metric import Metric


def _check_num_classes(num_classes, owner):
    metrics_utils.check_positive_int(num_classes, "num_classes", owner)


def _check_target_class_ids(target_class_ids, num_classes, owner):
    if isinstance(target_class_ids, (str, bytes)) or not hasattr(target_class_ids, "__iter__"):
        raise TypeError(
            f"{owner}: `target_class_ids` must be a list or tuple of class ids. "
            f"Received: target_class_ids={target_class_ids!r}"
        )
    ids = list(target_class_ids)
    if not ids:
        raise ValueError(
            f"{owner}: `target_class_ids` must contain at least one class id. "
            f"Received: target_class_ids={target_class_ids!r}"
        )
    for class_id in ids:
        if isinstance(class_id, bool) or not isinstance(class_id, (int, np.integer)):
            raise TypeError(
                f"{owner}: `target_class_ids` must contain integers. "
                f"Received: target_class_ids={target_class_ids!r}"
            )
    ids = [int(class_id) for class_id in ids]
    if max(ids) >= num_classes:
        raise ValueError(
            f"Target class id {max(ids)} is out of range, which is [0, {num_classes})."
        )
    if min(ids) < 0:
        raise ValueError(
            f"Target class id {min(ids)} is out of range, which is [0, {num_classes})."
        )
    return ids


class _IoUBase(Metric):
    """Accumulates the confusion matrix that the IoU metrics are computed from.

    Rows of the matrix are true classes and columns predicted classes; each element adds its
    sample weight to its cell. Elements whose label or prediction is outside
    ``[0, num_classes)``, or whose label is `ignore_class`, are left out.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers (pass a float dtype for fractional
            weights).
        ignore_class: Optional integer. The ID of a class to be ignored during metric
            computation, e.g. a "void" class (commonly -1 or 255) in segmentation maps.
            Defaults to `None` (all classes are considered).
        sparse_y_true: Whether labels are integer class ids (`True`, the default) or dense
            vectors whose `argmax` along `axis` is the class.
        sparse_y_pred: Whether predictions are integer class ids (`True`, the default) or
            dense vectors whose `argmax` along `axis` is the class.
        axis: The dimension containing the class scores of dense inputs. Defaults to `-1`.
    """

    # The keys of `get_config`, in Keras 3's order (each the name of an attribute).
    _config_keys = ("name", "dtype")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        _check_num_classes(num_classes, self.__class__.__name__)
        # An integer matrix by default, as in Keras.
        super().__init__(name=name, dtype=dtype or "int")
        # Metric should be maximized during optimization.
        self._direction = "up"
        if ignore_class is not None and (
            isinstance(ignore_class, bool) or not isinstance(ignore_class, int)
        ):
            raise ValueError(
                f"{self.__class__.__name__}: `ignore_class` must be an integer or None. "
                f"Received: ignore_class={ignore_class!r}"
            )
        self.num_classes = int(num_classes)
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(
            shape=(self.num_classes, self.num_classes),
            initializer="zeros",
            dtype=self.dtype,
            name="total_confusion_matrix",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion matrix statistics.

        Args:
            y_true: The ground truth values (class ids, or dense vectors when
                `sparse_y_true=False`).
            y_pred: The predicted values (class ids, or dense vectors when
                `sparse_y_pred=False`).
            sample_weight: Optional weighting of each element: a scalar, or a tensor with as
                many elements as `y_true` (or broadcastable to it once flattened). Defaults
                to 1.

        Raises:
            ValueError: if labels, predictions and weights do not line up.
        """
        if not self.sparse_y_true:
            y_true = ops.argmax(ops.convert_to_tensor(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(ops.convert_to_tensor(y_pred), axis=self.axis)
        y_true = ops.reshape(metrics_utils.as_tensor(y_true, self.dtype), (-1,))
        y_pred = ops.reshape(metrics_utils.as_tensor(y_pred, self.dtype), (-1,))
        if y_true.shape[0] != y_pred.shape[0]:
            raise ValueError(
                f"{self.__class__.__name__}: `y_true` and `y_pred` must have the same number "
                f"of elements. Received: {y_true.shape[0]} labels and {y_pred.shape[0]} "
                "predictions."
            )

        if sample_weight is None:
            sample_weight = ops.ones((), dtype=self.dtype)
        else:
            sample_weight = ops.convert_to_tensor(sample_weight)
            if "float" in sample_weight.dtype and "int" in self.dtype:
                warnings.warn(
                    "You are passing weight as `float`, but dtype is `int`. This may result "
                    "in an incorrect weight due to type casting. Consider using integer "
                    "weights.",
                    stacklevel=2,
                )
            sample_weight = metrics_utils.as_tensor(sample_weight, self.dtype)
        if len(sample_weight.shape) > 1:
            sample_weight = ops.reshape(sample_weight, (-1,))
        try:
            sample_weight = ops.broadcast_to(sample_weight, y_true.shape)
        except ValueError:
            raise ValueError(
                f"{self.__class__.__name__}: `sample_weight` must be broadcastable to the "
                f"flattened labels. Received: sample_weight.shape={tuple(sample_weight.shape)}, "
                f"number of labels={y_true.shape[0]}"
            ) from None

        # Only elements whose label and prediction are valid class ids (and whose label is not
        # `ignore_class`) reach the matrix.
        in_range = ops.logical_and(
            ops.logical_and(ops.greater_equal(y_true, 0), ops.less(y_true, self.num_classes)),
            ops.logical_and(ops.greater_equal(y_pred, 0), ops.less(y_pred, self.num_classes)),
        )
        if self.ignore_class is not None:
            in_range = ops.logical_and(in_range, ops.not_equal(y_true, self.ignore_class))
        zero = ops.zeros((), dtype=self.dtype)
        y_true = ops.where(in_range, y_true, zero)
        y_pred = ops.where(in_range, y_pred, zero)
        sample_weight = ops.where(in_range, sample_weight, zero)

        current_cm = metrics_utils.confusion_matrix(
            y_true, y_pred, self.num_classes, weights=sample_weight, dtype=self.dtype
        )
        self.total_cm.assign(ops.add(self.total_cm, current_cm))

    def reset_state(self):
        self.total_cm.assign(ops.zeros(self.total_cm.shape, dtype=self.total_cm.dtype))

    def get_config(self):
        return {key: getattr(self, key) for key in self._config_keys}


class IoU(_IoUBase):
    """Computes the Intersection-Over-Union metric for specific target classes.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    Intersection-Over-Union is a common evaluation metric for semantic image segmentation.
    The predictions are accumulated in a confusion matrix, weighted by `sample_weight`, and
    the metric is computed from it: the IoU of each class, then the mean of the IoUs of the
    classes in `target_class_ids` (classes that never occur, in labels or predictions, are
    left out of the mean). With a single target id, the IoU of that class is returned.

    If `sample_weight` is `None`, weights default to 1. Use a `sample_weight` of 0 to mask
    values.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        target_class_ids: A tuple or list of target class ids for which the metric is
            returned. To compute the IoU of a specific class, pass a list (or tuple) of a
            single id.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers. The result is float32.
        ignore_class: Optional integer. The ID of a class to be ignored during metric
            computation, e.g. a "void" class (commonly -1 or 255) in segmentation maps.
            Defaults to `None` (all classes are considered).
        sparse_y_true: Whether labels are encoded using integers or dense floating point
            vectors. If `False`, the `argmax` function is used to determine each sample's
            most likely associated label.
        sparse_y_pred: Whether predictions are encoded using integers or dense floating point
            vectors. If `False`, the `argmax` function is used to determine each sample's
            most likely associated label.
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Raises:
        ValueError: if `num_classes` is not a positive integer, or a target class id is
            outside ``[0, num_classes)``.

    Example:

    >>> # cm = [[1, 1], [1, 1]]; iou = tp / (sum_row + sum_col - tp) = [1/3, 1/3]
    >>> m = lamina.metrics.IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    >>> m = lamina.metrics.IoU(num_classes=2, target_class_ids=[1], dtype="float32")
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> round(float(m.result()), 4)  # 0.1 / (0.4 + 0.4 - 0.1)
    0.1429
    """

    _config_keys = (
        "name", "dtype", "num_classes", "target_class_ids", "ignore_class", "sparse_y_true",
        "sparse_y_pred", "axis",
    )

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(
            name=name,
            num_classes=num_classes,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
            dtype=dtype,
        )
        self.target_class_ids = _check_target_class_ids(
            target_class_ids, self.num_classes, self.__class__.__name__
        )

    def result(self):
        """The mean IoU of the target classes that occurred (0 when none did).

        Returns:
            A float32 scalar.
        """
        cm = ops.cast(self.total_cm, "float64")
        sum_over_row = ops.sum(cm, axis=0)
        sum_over_col = ops.sum(cm, axis=1)
        true_positives = ops.sum(ops.multiply(cm, ops.eye(self.num_classes, dtype="float64")),
                                 axis=1)
        # sum_over_row + sum_over_col = 2 * true_positives + false_positives + false_negatives.
        denominator = ops.subtract(ops.add(sum_over_row, sum_over_col), true_positives)

        target_ids = ops.convert_to_tensor(self.target_class_ids, dtype="int32")
        true_positives = ops.take(true_positives, target_ids)
        denominator = ops.take(denominator, target_ids)

        # A class with a zero denominator never occurred: it is left out of the mean.
        valid = ops.greater(denominator, 1e-9)
        num_valid = ops.sum(ops.cast(valid, "float64"))
        eps = backend_config.epsilon()
        iou = ops.where(valid, ops.divide(true_positives, ops.add(denominator, eps)), 0.0)
        return ops.cast(ops.divide(ops.sum(iou), ops.add(num_valid, eps)), "float32")


class BinaryIoU(IoU):
    """Computes the Intersection-Over-Union metric for class 0 and/or 1.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    This class computes IoUs for a binary classification task where the predictions are
    scores: predictions below `threshold` are class 0 and those at or above it class 1. The
    IoUs of classes 0 and 1 are then computed from the accumulated (weighted) confusion
    matrix, and the mean of those in `target_class_ids` is returned.

    Note: with `threshold=0`, this metric has the same behavior as `IoU`.

    Args:
        target_class_ids: A tuple or list of target class ids for which the metric is
            returned. Options are `[0]`, `[1]`, or `[0, 1]` (the default, the mean of the two
            IoUs).
        threshold: Predictions below it are class 0, the others class 1. Defaults to `0.5`.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers.

    Example:

    >>> m = lamina.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(m.result()), 4)
    0.3333
    >>> m = lamina.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3, dtype="float32")
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7], sample_weight=[0.2, 0.3, 0.4, 0.1])
    >>> round(float(m.result()), 4)  # (0.2 / 0.9 + 0.1 / 0.8) / 2
    0.1736
    """

    _config_keys = ("target_class_ids", "threshold", "name", "dtype")

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(
            num_classes=2,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
        )
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Thresholds the predictions, then accumulates the confusion matrix.

        Predictions are class 0 below `threshold` and class 1 at or above it.

        Args:
            y_true: The ground truth values (0 or 1).
            y_pred: The predicted scores.
            sample_weight: Optional weighting of each element (see `IoU.update_state`).
        """
        y_pred = metrics_utils.as_tensor(y_pred, "float32")
        y_pred = ops.cast(ops.greater_equal(y_pred, self.threshold), self.dtype)
        return super().update_state(y_true, y_pred, sample_weight)


class MeanIoU(IoU):
    """Computes the mean Intersection-Over-Union metric.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    The IoU of every class is computed from the accumulated (weighted) confusion matrix,
    and their mean is returned (classes that never occurred are left out of the mean).

    Args:
        num_classes: The possible number of labels the prediction task can have. A confusion
            matrix of shape ``(num_classes, num_classes)`` is allocated.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers.
        ignore_class: Optional integer. The ID of a class to be ignored during metric
            computation. Defaults to `None` (all classes are considered).
        sparse_y_true: Whether labels are integer class ids (`True`, the default) or dense
            vectors (then their `argmax` is used).
        sparse_y_pred: Whether predictions are integer class ids (`True`, the default) or
            dense vectors (then their `argmax` is used).
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Example:

    >>> m = lamina.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(m.result()), 4)
    0.3333
    >>> m = lamina.metrics.MeanIoU(num_classes=2, dtype="float32")
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> round(float(m.result()), 4)
    0.2381
    """

    _config_keys = (
        "num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred", "axis",
    )

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        _check_num_classes(num_classes, self.__class__.__name__)
        super().__init__(
            name=name,
            num_classes=num_classes,
            target_class_ids=list(range(num_classes)),
            axis=axis,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
        )


class OneHotIoU(IoU):
    """Computes the Intersection-Over-Union metric for one-hot encoded labels.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    For multi-class tasks whose labels are one-hot encoded (one entry per class along
    `axis`): labels (and, unless `sparse_y_pred`, predictions) are turned into class ids
    with `argmax`, then the computation is that of `IoU`.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        target_class_ids: A tuple or list of target class ids for which the metric is
            returned.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers.
        ignore_class: Optional integer. The ID of a class to be ignored during metric
            computation. Defaults to `None`.
        sparse_y_pred: Whether predictions are integer class ids or dense vectors (the
            default, `False`: their `argmax` is used).
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Example:

    >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
    >>> m = lamina.metrics.OneHotIoU(num_classes=3, target_class_ids=[0, 2], dtype="float32")
    >>> m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    >>> round(float(m.result()), 4)  # (0 / 0.9 + 0.1 / 0.7) / 2
    0.0714
    """

    _config_keys = (
        "num_classes", "target_class_ids", "name", "dtype", "ignore_class", "sparse_y_pred",
        "axis",
    )

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(
            num_classes=num_classes,
            target_class_ids=target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )


class OneHotMeanIoU(MeanIoU):
    """Computes the mean Intersection-Over-Union metric for one-hot encoded labels.

    Formula:

    ```python
    iou = true_positives / (true_positives + false_positives + false_negatives)
    ```

    For multi-class tasks whose labels are one-hot encoded: labels (and, unless
    `sparse_y_pred`, predictions) are turned into class ids with `argmax`, then the
    computation is that of `MeanIoU`.

    Args:
        num_classes: The possible number of labels the prediction task can have.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the confusion matrix. Defaults to `"int"` (int32), as
            in Keras: weights are then cast to integers.
        ignore_class: Optional integer. The ID of a class to be ignored during metric
            computation. Defaults to `None`.
        sparse_y_pred: Whether predictions are integer class ids or dense vectors (the
            default, `False`: their `argmax` is used).
        axis: (Optional) The dimension containing the logits. Defaults to `-1`.

    Example:

    >>> y_true = [[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]]
    >>> y_pred = [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1], [0.1, 0.4, 0.5]]
    >>> m = lamina.metrics.OneHotMeanIoU(num_classes=3, dtype="float32")
    >>> m.update_state(y_true, y_pred, sample_weight=[0.1, 0.2, 0.3, 0.4])
    >>> round(float(m.result()), 4)  # (0 + 0 + 0.1 / 0.7) / 3
    0.0476
    """

    _config_keys = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_pred", "axis")

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(
            num_classes=num_classes,
            axis=axis,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
        )
