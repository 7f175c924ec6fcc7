"""Regression metrics (Keras 3's ``keras.metrics``): mean errors of predictions against
targets (the per-sample ``lamina.losses`` functions of the same names, averaged over samples),
cosine similarity and the R2 score."""

import warnings

from lamina import ops
from lamina.backend import config as backend_config
from lamina.losses.losses import log_cosh
from lamina.losses.losses import mean_absolute_error
from lamina.losses.losses import mean_absolute_percentage_error
from lamina.losses.losses import mean_squared_error
from lamina.losses.losses import mean_squared_logarithmic_error
from lamina.metrics import metrics_utils
from lamina.metrics import reduction_metrics
from lamina.metrics.metric import Metric


def _pair(y_true, y_pred):
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        y_pred = ops.cast(y_pred, backend_config.floatx())
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype)
    return metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)


def _l2_normalize(x, axis):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    inv_norm = ops.minimum(ops.rsqrt(square_sum), 1.0 / backend_config.epsilon())
    return ops.multiply(x, inv_norm)


def cosine_similarity(y_true, y_pred, axis=-1):
    """The cosine similarity between `y_true` and `y_pred` along `axis`.

    ``cosine_similarity = sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)``.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis along which to determine similarity. Defaults to `-1`.

    Returns:
        The cosine similarity, with `axis` reduced.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    y_pred = _l2_normalize(y_pred, axis)
    y_true = _l2_normalize(y_true, axis)
    return ops.sum(ops.multiply(y_true, y_pred), axis=axis)


class MeanSquaredError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean squared error between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(y_true - y_pred))``, averaged over the last axis per sample,
    then (weighted) over the samples.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    _config_attributes = ()

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(fn=mean_squared_error, name=name, dtype=dtype)
        self._direction = "down"


class MeanAbsoluteError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean absolute error between the labels and predictions.

    Formula: ``loss = mean(abs(y_true - y_pred))``.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    _config_attributes = ()

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype=dtype)
        self._direction = "down"


class MeanAbsolutePercentageError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean absolute percentage error between `y_true` and `y_pred`.

    Formula: ``loss = 100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)))``.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.MeanAbsolutePercentageError()
    >>> m.update_state([[1, 2]], [[1, 1]])
    >>> float(m.result())
    25.0
    """

    _config_attributes = ()

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype=dtype)
        self._direction = "down"


class MeanSquaredLogarithmicError(reduction_metrics.MeanMetricWrapper):
    """Computes the mean squared logarithmic error between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(log(y_true + 1) - log(y_pred + 1)))`` (values below
    epsilon are raised to epsilon).

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.MeanSquaredLogarithmicError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> round(float(m.result()), 4)
    0.1201
    """

    _config_attributes = ()

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype=dtype)
        self._direction = "down"


class RootMeanSquaredError(reduction_metrics.Mean):
    """Computes the root mean squared error between `y_true` and `y_pred`.

    Formula: ``loss = sqrt(mean((y_pred - y_true) ** 2))`` over every entry seen (each entry
    weighted by its sample weight).

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the squared errors.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values.
            sample_weight: Optional weights, broadcastable to the errors.
        """
        y_true = metrics_utils.as_tensor(y_true, self.dtype)
        y_pred = metrics_utils.as_tensor(y_pred, self.dtype)
        y_true, y_pred = metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)
        error_sq = ops.square(ops.subtract(y_pred, y_true))
        return super().update_state(error_sq, sample_weight=sample_weight)

    def result(self):
        return ops.sqrt(super().result())


class CosineSimilarity(reduction_metrics.MeanMetricWrapper):
    """Computes the cosine similarity between the labels and predictions.

    Formula: ``sum(l2_norm(y_true) * l2_norm(y_pred), axis)``, averaged over samples. The
    value is between -1 and 1; 1 means the vectors point the same way.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        axis: (Optional) the dimension along which the similarity is computed. Defaults to
            `-1`.

    Example:

    >>> m = lamina.metrics.CosineSimilarity(axis=1)
    >>> m.update_state([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    >>> round(float(m.result()), 4)
    0.5
    """

    _config_attributes = ("axis",)

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype=dtype, axis=axis)
        self._direction = "up"


class LogCoshError(reduction_metrics.MeanMetricWrapper):
    """Computes the logarithm of the hyperbolic cosine of the prediction error.

    Formula: ``error = y_pred - y_true; logcosh = mean(log((exp(error) + exp(-error)) / 2))``.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.LogCoshError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> round(float(m.result()), 4)
    0.1084
    """

    _config_attributes = ()

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype=dtype)
        self._direction = "down"


class R2Score(Metric):
    """Computes the R2 score (coefficient of determination) of a regression.

    ``R2 = 1 - sum((y_true - y_pred) ** 2) / sum((y_true - mean(y_true)) ** 2)``, per output,
    accumulated over batches; with `num_regressors` > 0 the adjusted R2 is returned.

    Args:
        class_aggregation: How the per-output scores are combined: ``"uniform_average"``
            (the mean, the default), ``"variance_weighted_average"`` (weighted by each
            output's variance) or `None` (the scores as a vector).
        num_regressors: Number of independent regressors (for the adjusted R2). Defaults to 0
            (the plain R2).
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.R2Score()
    >>> m.update_state([[1], [4], [3]], [[2], [4], [4]])
    >>> round(float(m.result()), 4)
    0.5714
    """

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(
                f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                f"Received: class_aggregation={class_aggregation}"
            )
        if num_regressors < 0:
            raise ValueError(
                "Invalid value for argument `num_regressors`. Expected a value >= 0. "
                f"Received: num_regressors={num_regressors}"
            )
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape, y_pred_shape):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(
                "R2Score expects 2D inputs with shape (batch_size, output_dim). Received input "
                f"shapes: y_pred.shape={tuple(y_pred_shape)} and "
                f"y_true.shape={tuple(y_true_shape)}."
            )
        num_classes = y_pred_shape[-1]
        self.squared_sum = self.add_variable(shape=(num_classes,), initializer="zeros",
                                             name="squared_sum")
        self.sum = self.add_variable(shape=(num_classes,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(num_classes,), initializer="zeros",
                                           name="residual")
        self.count = self.add_variable(shape=(num_classes,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the sums the score is computed from.

        Args:
            y_true: Targets, shape ``(batch_size, output_dim)``.
            y_pred: Predictions, same shape.
            sample_weight: Optional weights, shape ``(batch_size,)`` or broadcastable to the
                targets.
        """
        y_true = metrics_utils.as_tensor(y_true, self.dtype)
        y_pred = metrics_utils.as_tensor(y_pred, self.dtype)
        y_true, y_pred = metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true.shape, y_pred.shape)
        if sample_weight is None:
            sample_weight = 1.0
        sample_weight = metrics_utils.as_tensor(sample_weight, self.dtype)
        if len(sample_weight.shape) == 1:
            sample_weight = ops.expand_dims(sample_weight, 1)
        sample_weight = ops.broadcast_to(sample_weight, y_true.shape)
        weighted_y_true = ops.multiply(y_true, sample_weight)
        self.sum.assign_add(ops.cast(ops.sum(weighted_y_true, axis=0), self.sum.dtype))
        self.squared_sum.assign_add(
            ops.cast(ops.sum(ops.multiply(y_true, weighted_y_true), axis=0), self.sum.dtype)
        )
        residual = ops.multiply(ops.square(ops.subtract(y_true, y_pred)), sample_weight)
        self.total_mse.assign_add(ops.cast(ops.sum(residual, axis=0), self.sum.dtype))
        self.count.assign_add(ops.cast(ops.sum(sample_weight, axis=0), self.sum.dtype))
        self.num_samples.assign_add(float(ops.size(y_true)))

    def result(self):
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        mean = ops.divide(self.sum, self.count)
        total = ops.subtract(self.squared_sum, ops.multiply(self.sum, mean))
        raw_scores = ops.subtract(1.0, ops.divide(self.total_mse, total))
        raw_scores = ops.where(ops.isinf(raw_scores), ops.zeros_like(raw_scores), raw_scores)
        if self.class_aggregation == "uniform_average":
            r2_score = ops.mean(raw_scores)
        elif self.class_aggregation == "variance_weighted_average":
            r2_score = ops.divide(ops.sum(ops.multiply(total, raw_scores)), ops.sum(total))
        else:
            r2_score = raw_scores
        if self.num_regressors != 0:
            n = float(ops.convert_to_numpy(self.num_samples))
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn(
                    "More independent predictors than datapoints in adjusted R2 score. Falling "
                    "back to standard R2 score.",
                    stacklevel=2,
                )
            elif p == n - 1:
                warnings.warn(
                    "Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                    stacklevel=2,
                )
            else:
                r2_score = ops.subtract(1.0, ops.multiply(ops.subtract(1.0, r2_score),
                                                          (n - 1.0) / (n - p - 1.0)))
        return ops.cast(r2_score, self.dtype)

    def get_config(self):
        config = {
            "class_aggregation": self.class_aggregation,
            "num_regressors": self.num_regressors,
        }
        return {**super().get_config(), **config}
