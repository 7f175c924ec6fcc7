"""F-scores (Keras 3's ``keras.metrics.FBetaScore`` and ``F1Score``)."""

from lamina import ops
from lamina.backend import config as backend_config
from lamina.metrics import metrics_utils
from lamina.metrics.metric import Metric


class FBetaScore(Metric):
    """Computes the F-Beta score.

    The weighted harmonic mean of precision and recall, per class:

    ``b2 = beta ** 2``;
    ``f_beta_score = (1 + b2) * (precision * recall) / (precision * b2 + recall)``.

    Args:
        average: Type of averaging over the classes. One of `None` (default: the score of
            each class), ``"micro"`` (counts summed over classes first), ``"macro"`` (the
            unweighted mean of the class scores), or ``"weighted"`` (the mean of the class
            scores weighted by each class' number of true instances).
        beta: The weight of recall in the harmonic mean; a float > 0. Defaults to `1.0`.
        threshold: Predictions above it are 1, the rest 0. If `None` (default), the largest
            prediction of each row is 1 (a one-hot of the arg-max; ties all count).
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Inputs are ``(batch_size, num_classes)``; the result has shape ``(num_classes,)`` when
    `average` is `None`, else is a scalar.

    Example:

    >>> m = lamina.metrics.FBetaScore(beta=2.0, threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.3846, 0.9091, 0.8333]
    """

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: "
                "{None, 'micro', 'macro', 'weighted'}. "
                f"Received: average={average}"
            )
        if not isinstance(beta, float):
            raise ValueError(
                "Invalid `beta` argument value. It should be a Python float. "
                f"Received: beta={beta} of type '{type(beta)}'"
            )
        if beta <= 0.0:
            raise ValueError(
                f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}"
            )
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError(
                    "Invalid `threshold` argument value. It should be a Python float. "
                    f"Received: threshold={threshold} of type '{type(threshold)}'"
                )
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError(
                    "Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                    f"Received: threshold={threshold}"
                )
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                f"{self.__class__.__name__} expects 2D inputs with shape "
                "(batch_size, output_dim). Received input shapes: "
                f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        self._num_classes = num_classes
        init_shape = () if self.average == "micro" else (num_classes,)

        def zeros_variable(name):
            return self.add_variable(shape=init_shape, initializer="zeros", dtype=self.dtype,
                                     name=name)

        self.true_positives = zeros_variable("true_positives")
        self.false_positives = zeros_variable("false_positives")
        self.false_negatives = zeros_variable("false_negatives")
        self.intermediate_weights = zeros_variable("intermediate_weights")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the per-class true positives, false positives, false negatives and
        number of true instances.

        Args:
            y_true: Binary labels, shape ``(batch_size, num_classes)``.
            y_pred: Predictions, same shape.
            sample_weight: Optional weights per sample, shape ``(batch_size,)``.
        """
        y_true = metrics_utils.as_tensor(y_true, self.dtype)
        y_pred = metrics_utils.as_tensor(y_pred, self.dtype)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if tuple(y_true.shape) != tuple(y_pred.shape) or len(y_pred.shape) != 2 \
                or y_pred.shape[-1] != self._num_classes:
            raise ValueError(
                f"{self.__class__.__name__} expects `y_true` and `y_pred` of the same shape "
                f"(batch_size, {self._num_classes}), the number of classes of the first batch. "
                "Received: "
                f"y_true.shape={tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}"
            )
        if self.threshold is None:
            row_max = ops.max(y_pred, axis=-1, keepdims=True)
            # Only the largest prediction of each row counts as positive (all of them when
            # tied); rows of zeros have no positive.
            y_pred = ops.logical_and(ops.greater_equal(y_pred, row_max),
                                     ops.greater(ops.abs(y_pred), 1e-9))
        else:
            y_pred = ops.greater(y_pred, self.threshold)
        y_pred = ops.cast(y_pred, self.dtype)
        if sample_weight is not None:
            sample_weight = metrics_utils.as_tensor(sample_weight, self.dtype)

        def weighted_sum(value):
            if sample_weight is not None:
                value = ops.multiply(value, ops.expand_dims(sample_weight, 1))
            return ops.sum(value, axis=self.axis)

        not_pred = ops.subtract(1.0, y_pred)
        self.true_positives.assign_add(weighted_sum(ops.multiply(y_pred, y_true)))
        self.false_positives.assign_add(
            weighted_sum(ops.multiply(y_pred, ops.subtract(1.0, y_true)))
        )
        self.false_negatives.assign_add(weighted_sum(ops.multiply(not_pred, y_true)))
        self.intermediate_weights.assign_add(weighted_sum(y_true))

    def result(self):
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        eps = backend_config.epsilon()
        tp = ops.convert_to_tensor(self.true_positives)
        precision = ops.divide(tp, ops.add(ops.add(tp, self.false_positives), eps))
        recall = ops.divide(tp, ops.add(ops.add(tp, self.false_negatives), eps))
        beta2 = self.beta ** 2
        mean = ops.divide(ops.multiply(precision, recall),
                          ops.add(ops.add(ops.multiply(beta2, precision), recall), eps))
        f_score = ops.multiply(mean, 1.0 + beta2)
        if self.average == "weighted":
            weights = ops.divide(self.intermediate_weights,
                                 ops.add(ops.sum(self.intermediate_weights), eps))
            f_score = ops.sum(ops.multiply(f_score, weights))
        elif self.average is not None:  # "micro" or "macro"
            f_score = ops.mean(f_score)
        return ops.cast(f_score, self.dtype)

    def get_config(self):
        config = {
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
        }
        return {**super().get_config(), **config}


class F1Score(FBetaScore):
    """Computes the F-1 score: the harmonic mean of precision and recall, per class.

    ``f1_score = 2 * (precision * recall) / (precision + recall)``; `FBetaScore` with
    ``beta=1.0``.

    Args:
        average: Type of averaging over the classes: `None` (default), ``"micro"``,
            ``"macro"`` or ``"weighted"`` (see `FBetaScore`).
        threshold: Predictions above it are 1, the rest 0. If `None` (default), the largest
            prediction of each row is 1.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.F1Score(threshold=0.5)
    >>> m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]],
    ...                [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    >>> [round(float(v), 4) for v in m.result()]
    [0.5, 0.8, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config
