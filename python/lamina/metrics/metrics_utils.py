"""Helpers shared by lamina's metrics (Keras 3's ``keras.src.metrics.metrics_utils``): rank
matching, masks, safe division, top-k filtering, the confusion-matrix counts at many
thresholds computed at once with broadcast comparisons, and the multi-class confusion matrix.
"""

import enum
import math

import numpy as np

from lamina import ops

# The threshold used with `top_k`: every kept prediction is above it, every dropped one is not.
NEG_INF = -1e10

# Above this many (threshold x element) comparisons, the confusion counts are computed in
# slices of the elements so that the comparison matrix stays a few tens of megabytes.
_MAX_COMPARISONS = 1 << 22


def as_tensor(x, dtype=None):
    """`x` as a lamina Tensor, cast to `dtype` when given (Variables are read)."""
    x = ops.convert_to_tensor(x)
    if dtype is not None and x.dtype != dtype:
        x = ops.cast(x, dtype)
    return x


def get_keras_mask(x):
    """The mask a layer attached to `x` (``x._keras_mask``), or None."""
    return getattr(x, "_keras_mask", None)


def divide_no_nan(x, y):
    """``x / y`` where ``y != 0``, and 0 where ``y == 0``."""
    x = ops.convert_to_tensor(x)
    y = ops.convert_to_tensor(y)
    zero = ops.equal(y, 0)
    quotient = ops.divide(x, ops.where(zero, ops.ones_like(y), y))
    return ops.where(zero, ops.zeros_like(quotient), quotient)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes the ranks of `x1` and `x2` equal when they differ by one and the larger one ends
    with a dimension of size 1: that dimension is squeezed, or (rank-1 against rank-2 with
    `expand_rank_1`) one is added to the smaller tensor.

    Args:
        x1: A tensor.
        x2: A tensor.
        expand_rank_1: Whether a rank-1 tensor is expanded rather than the other squeezed.

    Returns:
        The pair ``(x1, x2)``, possibly reshaped.
    """
    r1, r2 = len(x1.shape), len(x2.shape)
    if r1 == r2:
        return x1, x2
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, -1)
        else:
            x1 = ops.squeeze(x1, -1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, -1)
        else:
            x2 = ops.squeeze(x2, -1)
    return x1, x2


def apply_mask(sample_weight, mask, dtype, reduction="sum"):
    """Folds a prediction mask into the sample weights.

    Args:
        sample_weight: The weights (None for all ones).
        mask: The mask (True/1 where the entry counts), or None.
        dtype: The dtype of the returned weights.
        reduction: ``"sum"`` (metrics: masked entries get weight 0), or ``"mean"`` /
            ``"sum_over_batch_size"`` (valid entries get ``total / valid`` so that a mean over
            all entries equals the mean over the valid ones).

    Returns:
        The weights with the mask applied (the mask itself as floats when `sample_weight` is
        None; `sample_weight` unchanged when `mask` is None).
    """
    if mask is None:
        return sample_weight
    mask = ops.convert_to_tensor(mask)
    if reduction in ("mean", "sum_over_batch_size"):
        total = ops.convert_to_tensor(float(math.prod(mask.shape)), dtype=dtype)
        valid = ops.sum(ops.cast(mask, dtype))
        float_mask = ops.where(ops.cast(mask, "bool"), divide_no_nan(total, valid),
                               ops.zeros((), dtype=dtype))
    else:
        float_mask = ops.cast(mask, dtype)
    if sample_weight is None:
        return float_mask
    sample_weight = as_tensor(sample_weight, dtype)
    float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    # Per-sample weights line up with the leading (batch) axes of the mask.
    while 0 < len(sample_weight.shape) < len(float_mask.shape):
        sample_weight = ops.expand_dims(sample_weight, -1)
    return ops.multiply(sample_weight, float_mask)


def check_positive_int(value, arg, owner):
    """Raises the ValueError of an argument that must be a positive integer."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(
            f"{owner}: received an invalid value for `{arg}`, expected a positive integer. "
            f"Received: {arg}={value!r}"
        )


# ---------------------------------------------------------------------------------------------
# Top-k
# ---------------------------------------------------------------------------------------------


def in_top_k(targets, predictions, k):
    """Whether each target class is among the `k` highest predictions of its row.

    A class tied with the k-th highest prediction counts as in the top k (as in Keras).

    Args:
        targets: Integer class ids, shape ``(batch,)``.
        predictions: Scores, shape ``(batch, num_classes)``.
        k: The number of top predictions to look at.

    Returns:
        A bool tensor of shape ``(batch,)``.
    """
    targets = as_tensor(targets, "int32")
    predictions = ops.convert_to_tensor(predictions)
    num_classes = predictions.shape[-1]
    # Class ids outside [0, num_classes) are never in the top k.
    valid = ops.logical_and(ops.greater_equal(targets, 0), ops.less(targets, num_classes))
    safe = ops.where(valid, targets, ops.zeros_like(targets))
    target_score = ops.take_along_axis(predictions, ops.expand_dims(safe, -1), axis=-1)
    # The target is in the top k when fewer than k scores beat it.
    n_better = ops.sum(ops.cast(ops.greater(predictions, target_score), "int32"), axis=-1)
    return ops.logical_and(valid, ops.less(n_better, k))


def filter_top_k(x, k):
    """Keeps the `k` largest values of the last axis of `x` and sets the others to `NEG_INF`."""
    _, indices = ops.top_k(x, k)
    keep = ops.sum(ops.one_hot(indices, x.shape[-1], dtype=x.dtype), axis=-2)
    return ops.add(ops.multiply(x, keep), ops.multiply(NEG_INF, ops.subtract(1.0, keep)))


# ---------------------------------------------------------------------------------------------
# Thresholds and the confusion matrix
# ---------------------------------------------------------------------------------------------


class ConfusionMatrix(enum.Enum):
    """The four counts of a binary confusion matrix."""

    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve(enum.Enum):
    """The curve whose area `AUC` computes: ``ROC``, ``PR`` or ``PRGAIN``."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key):
        """The curve named `key` (either case)."""
        if key in ("pr", "PR"):
            return AUCCurve.PR
        if key in ("roc", "ROC"):
            return AUCCurve.ROC
        if key in ("prgain", "PRGAIN"):
            return AUCCurve.PRGAIN
        raise ValueError(
            f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]'
        )


class AUCSummationMethod(enum.Enum):
    """How `AUC` sums the area under the curve between thresholds.

    * ``interpolation``: mid-point (trapezoidal) heights for ROC; for PR, interpolates the
      true and false positives rather than the precision (Davis & Goadrich 2006).
    * ``minoring``: the smaller of the two heights of each interval (an under-estimate).
    * ``majoring``: the larger of the two heights (an over-estimate).
    """

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key):
        """The summation method named `key`."""
        if key in ("interpolation", "Interpolation"):
            return AUCSummationMethod.INTERPOLATION
        if key in ("majoring", "Majoring"):
            return AUCSummationMethod.MAJORING
        if key in ("minoring", "Minoring"):
            return AUCSummationMethod.MINORING
        raise ValueError(
            f'Invalid AUC summation method value: "{key}". '
            'Expected values are ["interpolation", "majoring", "minoring"]'
        )


def _to_list(x):
    if isinstance(x, (list, tuple)):
        return list(x)
    if isinstance(x, np.ndarray):
        return x.tolist() if x.ndim else [x.item()]
    return [x]


def assert_thresholds_range(thresholds):
    """Raises ValueError unless every threshold is a number in [0, 1]."""
    if thresholds is not None:
        invalid = [t for t in thresholds if t is None or not 0 <= t <= 1]
        if invalid:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {invalid}")


def parse_init_thresholds(thresholds, default_threshold=0.5):
    """The list of thresholds a metric was given (checked to be in [0, 1]), or
    ``[default_threshold]``."""
    if thresholds is not None:
        assert_thresholds_range(_to_list(thresholds))
    return _to_list(default_threshold if thresholds is None else thresholds)


def update_confusion_matrix_variables(
    variables_to_update,
    y_true,
    y_pred,
    thresholds,
    top_k=None,
    class_id=None,
    sample_weight=None,
    multi_label=False,
    label_weights=None,
):
    """Adds the weighted confusion-matrix counts of a batch to the given variables.

    At every threshold ``t``, a prediction is positive when ``y_pred > t``; with ``y_true``
    read as bool, each (label, prediction) pair is a true/false positive/negative. All
    thresholds are compared at once (a thresholds-by-elements comparison), and the weighted
    counts are reductions of that comparison.

    Args:
        variables_to_update: Dict from `ConfusionMatrix` members to the variables to update
            (shape ``(num_thresholds,)``, or ``(num_thresholds, num_labels)`` with
            `multi_label`).
        y_true: Labels, same shape as `y_pred` (up to a trailing dimension of size 1).
        y_pred: Predictions, normally in [0, 1].
        thresholds: A float or a list of floats (or `NEG_INF` with `top_k`).
        top_k: Keep only the `top_k` largest predictions of each row as candidates.
        class_id: Count only this class (last axis index) of labels and predictions.
        sample_weight: Optional weights, broadcastable to `y_pred` (a weight per row is
            spread over the row's entries).
        multi_label: Keep the last axis (labels) separate instead of flattening everything.
        label_weights: Optional per-label weights (last axis), only without `multi_label`.

    Raises:
        ValueError: for invalid variable keys, mismatched shapes, a `class_id` on rank-1
            predictions, or `label_weights` with `multi_label`.
    """
    if multi_label and label_weights is not None:
        raise ValueError(
            "`label_weights` for multilabel data should be handled outside of "
            "`update_confusion_matrix_variables` when `multi_label` is True."
        )
    if variables_to_update is None:
        return
    valid_keys = list(ConfusionMatrix)
    invalid_keys = [key for key in variables_to_update if key not in valid_keys]
    if not variables_to_update or invalid_keys:
        raise ValueError(
            "Please provide at least one valid confusion matrix variable to update. Valid "
            f"variable key options are: {valid_keys}. Received: {list(variables_to_update)}"
        )
    dtype = list(variables_to_update.values())[0].dtype
    y_true = as_tensor(y_true, dtype)
    y_pred = as_tensor(y_pred, dtype)
    thresholds = as_tensor(np.asarray(_to_list(thresholds), dtype="float64"), dtype)

    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(
            "`y_true` and `y_pred` must have the same shape. Received: "
            f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
        )
    if sample_weight is not None:
        sample_weight = ops.expand_dims(as_tensor(sample_weight, dtype), -1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)

    if top_k is not None:
        y_pred = filter_top_k(y_pred, top_k)
    if class_id is not None:
        if len(y_pred.shape) <= 1:
            raise ValueError(
                "When class_id is provided, y_pred must be a 2D array with shape "
                f"(num_samples, num_classes), found shape: {tuple(y_pred.shape)}"
            )
        num_classes = y_pred.shape[-1]
        if not 0 <= class_id < num_classes:
            raise ValueError(
                f"`class_id` must be in [0, {num_classes}) for predictions with "
                f"{num_classes} classes. Received: class_id={class_id}"
            )
        if sample_weight is not None and len(sample_weight.shape) == len(y_pred.shape) \
                and sample_weight.shape[-1] == num_classes:
            # Per-entry weights follow their class.
            sample_weight = sample_weight[..., class_id, None]
        y_true = y_true[..., class_id, None]
        y_pred = y_pred[..., class_id, None]

    if sample_weight is not None:
        try:
            weights = ops.broadcast_to(sample_weight, y_pred.shape)
        except ValueError:
            raise ValueError(
                "`sample_weight` must be broadcastable to the predictions. Received: "
                f"sample_weight.shape={tuple(sample_weight.shape)}, "
                f"y_pred.shape={tuple(y_pred.shape)}"
            ) from None
    else:
        weights = None
    if label_weights is not None:
        label_weights = ops.broadcast_to(
            ops.expand_dims(as_tensor(label_weights, dtype), 0), y_pred.shape
        )
        weights = label_weights if weights is None else ops.multiply(weights, label_weights)

    labels = ops.cast(ops.cast(y_true, "bool"), dtype)
    if weights is None:
        true_w, false_w = labels, ops.subtract(1.0, labels)
    else:
        true_w = ops.multiply(labels, weights)
        false_w = ops.multiply(ops.subtract(1.0, labels), weights)

    if multi_label:
        if len(y_pred.shape) != 2:
            raise ValueError(
                "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                f"{len(y_pred.shape)}. Full shape received for `y_pred`: {tuple(y_pred.shape)}"
            )
    else:
        y_pred = ops.reshape(y_pred, (-1,))
        true_w = ops.reshape(true_w, (-1,))
        false_w = ops.reshape(false_w, (-1,))

    counts = _confusion_counts(y_pred, true_w, false_w, thresholds, set(variables_to_update))
    for key, variable in variables_to_update.items():
        variable.assign_add(counts[key])


def _confusion_counts(y_pred, true_w, false_w, thresholds, wanted):
    """The weighted counts at each threshold: ``{ConfusionMatrix: tensor}``.

    `y_pred`, `true_w` (label * weight) and `false_w` ((1 - label) * weight) have shape
    ``(n,)`` or ``(n, num_labels)``; the counts have shape ``(num_thresholds,)`` or
    ``(num_thresholds, num_labels)``.
    """
    num_thresholds = thresholds.shape[0]
    n = y_pred.shape[0]
    per_row = 1 if len(y_pred.shape) == 1 else y_pred.shape[1]
    step = max(1, _MAX_COMPARISONS // max(1, num_thresholds * per_row))
    dtype = true_w.dtype
    counts = {}
    # Slices of the elements (one slice unless the batch is very large): the comparison of a
    # slice against every threshold is one broadcast `greater`.
    for start in range(0, max(n, 1), step):
        stop = min(n, start + step)
        pred, tw, fw = y_pred[start:stop], true_w[start:stop], false_w[start:stop]
        if len(pred.shape) == 1:
            # (T, 1) against (1, n): positive[t, i] = pred[i] > thresholds[t].
            positive = ops.cast(
                ops.greater(ops.expand_dims(pred, 0), ops.expand_dims(thresholds, 1)), dtype
            )

            def weighted(mask, w):
                return ops.matmul(mask, w)
        else:
            # Per label: (L, 1, n) against (1, T, 1), then a batched matrix-vector product
            # per label, transposed back to (T, L).
            positive = ops.cast(
                ops.greater(ops.expand_dims(ops.transpose(pred), 1),
                            ops.reshape(thresholds, (1, -1, 1))),
                dtype,
            )

            def weighted(mask, w):
                per_label = ops.matmul(mask, ops.expand_dims(ops.transpose(w), -1))
                return ops.transpose(ops.squeeze(per_label, -1))

        negative = ops.subtract(1.0, positive)
        part = {}
        if ConfusionMatrix.TRUE_POSITIVES in wanted:
            part[ConfusionMatrix.TRUE_POSITIVES] = weighted(positive, tw)
        if ConfusionMatrix.FALSE_POSITIVES in wanted:
            part[ConfusionMatrix.FALSE_POSITIVES] = weighted(positive, fw)
        if ConfusionMatrix.TRUE_NEGATIVES in wanted:
            part[ConfusionMatrix.TRUE_NEGATIVES] = weighted(negative, fw)
        if ConfusionMatrix.FALSE_NEGATIVES in wanted:
            part[ConfusionMatrix.FALSE_NEGATIVES] = weighted(negative, tw)
        for key, value in part.items():
            counts[key] = value if key not in counts else ops.add(counts[key], value)
    return counts


# ---------------------------------------------------------------------------------------------
# Multi-class confusion matrix
# ---------------------------------------------------------------------------------------------


def confusion_matrix(labels, predictions, num_classes, weights=None, dtype="int32"):
    """Computes the (weighted) confusion matrix of class ids.

    Rows are the true labels and columns the predictions: entry ``[i, j]`` is the number (or
    the total weight) of elements with label ``i`` predicted as ``j``. It is computed as the
    product of the one-hot encodings, ``one_hot(labels).T @ (weights * one_hot(predictions))``,
    accumulated in float64 (exact for integer counts) over slices of the elements. Class ids
    outside ``[0, num_classes)`` contribute nothing.

    Args:
        labels: Integer class ids (any shape; flattened).
        predictions: Integer class ids, with as many elements as `labels`.
        num_classes: The number of classes (the matrix is ``(num_classes, num_classes)``).
        weights: Optional weights, one per element (flattened); defaults to 1. With an
            integer `dtype` they are cast to it first.
        dtype: The dtype of the returned matrix. Defaults to `"int32"`.

    Returns:
        A ``(num_classes, num_classes)`` tensor of `dtype`.

    Raises:
        ValueError: if `labels`, `predictions` and `weights` do not have the same number of
            elements.

    Example:

    >>> cm = confusion_matrix([1, 2, 4], [2, 2, 4], num_classes=5)
    >>> ops.convert_to_numpy(cm)[1:3]
    array([[0, 0, 1, 0, 0],
           [0, 0, 1, 0, 0]], dtype=int32)
    """
    check_positive_int(num_classes, "num_classes", "confusion_matrix")
    labels = ops.reshape(as_tensor(labels), (-1,))
    predictions = ops.reshape(as_tensor(predictions), (-1,))
    if labels.shape[0] != predictions.shape[0]:
        raise ValueError(
            "`labels` and `predictions` must have the same number of elements. Received: "
            f"labels.shape={tuple(labels.shape)}, predictions.shape={tuple(predictions.shape)}"
        )
    labels = as_tensor(labels, "int32")
    predictions = as_tensor(predictions, "int32")
    if weights is not None:
        weights = ops.reshape(as_tensor(weights), (-1,))
        if "int" in str(dtype):
            # Weights take the matrix's dtype first (integer dtypes truncate them, as in Keras).
            weights = as_tensor(weights, dtype)
        weights = as_tensor(weights, "float64")
        if weights.shape[0] != labels.shape[0]:
            raise ValueError(
                "`weights` must have one value per label. Received: "
                f"weights.shape={tuple(weights.shape)}, labels.shape={tuple(labels.shape)}"
            )
    n = labels.shape[0]
    step = max(1, _MAX_COMPARISONS // num_classes)
    total = ops.zeros((num_classes, num_classes), dtype="float64")
    for start in range(0, n, step):
        stop = min(n, start + step)
        true_hot = ops.one_hot(labels[start:stop], num_classes, dtype="float64")
        pred_hot = ops.one_hot(predictions[start:stop], num_classes, dtype="float64")
        if weights is not None:
            pred_hot = ops.multiply(pred_hot, ops.expand_dims(weights[start:stop], -1))
        total = ops.add(total, ops.matmul(ops.transpose(true_hot), pred_hot))
    return ops.cast(total, dtype)
