"""Correlation metrics (Keras 3's ``keras.metrics.PearsonCorrelation`` and
``ConcordanceCorrelation``, and their function forms): a correlation coefficient per sample
along an axis, averaged over the samples seen."""

import numpy as np

from lamina import ops
from lamina.backend import config as backend_config
from lamina.metrics import metrics_utils
from lamina.metrics import reduction_metrics


def _float_pair(y_true, y_pred, fn_name):
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        y_pred = ops.cast(y_pred, backend_config.floatx())
    y_true = metrics_utils.as_tensor(y_true, y_pred.dtype)
    y_true, y_pred = metrics_utils.squeeze_or_expand_to_same_rank(y_true, y_pred)
    try:
        np.broadcast_shapes(tuple(y_true.shape), tuple(y_pred.shape))
    except ValueError:
        raise ValueError(
            f"In `{fn_name}`, `y_true` and `y_pred` must have the same (or broadcastable) "
            f"shapes. Received: y_true.shape={tuple(y_true.shape)}, "
            f"y_pred.shape={tuple(y_pred.shape)}"
        ) from None
    return y_true, y_pred


def pearson_correlation(y_true, y_pred, axis=-1):
    """Computes the Pearson correlation coefficient between labels and predictions.

    Formula:

    ```python
    y_true_norm = (y_true - mean(y_true)) / std(y_true)
    y_pred_norm = (y_pred - mean(y_pred)) / std(y_pred)
    pcc = mean(y_true_norm * y_pred_norm)
    ```

    with means and (population) standard deviations taken along `axis`. A constant
    `y_true` or `y_pred` along `axis` has no correlation: the value is NaN, as in Keras.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis (an int or a tuple of ints) along which the coefficient is computed.
            Defaults to `-1`.

    Returns:
        The Pearson correlation coefficients, of the shape of the inputs without `axis`.

    Raises:
        ValueError: if the shapes of `y_true` and `y_pred` do not broadcast together.

    Example:

    >>> y_true = [[0, 1, 0.5], [1, 1, 0.2]]
    >>> y_pred = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
    >>> [round(float(v), 4) for v in lamina.metrics.pearson_correlation(y_true, y_pred)]
    [1.0, 0.9934]
    """
    y_true, y_pred = _float_pair(y_true, y_pred, "pearson_correlation")
    y_true = ops.subtract(y_true, ops.mean(y_true, axis=axis, keepdims=True))
    y_pred = ops.subtract(y_pred, ops.mean(y_pred, axis=axis, keepdims=True))
    y_true = ops.divide(y_true, ops.std(y_true, axis=axis, keepdims=True))
    y_pred = ops.divide(y_pred, ops.std(y_pred, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(y_true, y_pred), axis=axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Computes the concordance correlation coefficient between labels and predictions.

    Formula:

    ```python
    ccc = 2 * mean((y_true - mean(y_true)) * (y_pred - mean(y_pred))) / (
        var(y_true) + var(y_pred) + square(mean(y_true) - mean(y_pred)) + epsilon
    )
    ```

    with means and (population) variances taken along `axis`. It is 1 only when the
    predictions equal the targets: unlike the Pearson coefficient, it also penalises shifts
    and scalings.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: Axis (an int or a tuple of ints) along which the coefficient is computed.
            Defaults to `-1`.

    Returns:
        The concordance correlation coefficients, of the shape of the inputs without `axis`.

    Raises:
        ValueError: if the shapes of `y_true` and `y_pred` do not broadcast together.

    Example:

    >>> y_true = [[0, 1, 0.5], [1, 1, 0.2]]
    >>> y_pred = [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]
    >>> [round(float(v), 4) for v in lamina.metrics.concordance_correlation(y_true, y_pred)]
    [0.9756, 0.9877]
    """
    y_true, y_pred = _float_pair(y_true, y_pred, "concordance_correlation")
    y_true_mean = ops.mean(y_true, axis=axis, keepdims=True)
    y_pred_mean = ops.mean(y_pred, axis=axis, keepdims=True)
    y_true_var = ops.var(y_true, axis=axis, keepdims=True)
    y_pred_var = ops.var(y_pred, axis=axis, keepdims=True)
    covar = ops.multiply(ops.subtract(y_true, y_true_mean), ops.subtract(y_pred, y_pred_mean))
    norm = ops.add(ops.add(y_true_var, y_pred_var), ops.square(ops.subtract(y_true_mean,
                                                                            y_pred_mean)))
    ratio = ops.divide(ops.multiply(covar, 2.0), ops.add(norm, backend_config.epsilon()))
    return ops.mean(ratio, axis=axis)


class PearsonCorrelation(reduction_metrics.MeanMetricWrapper):
    """Calculates the Pearson Correlation Coefficient (PCC).

    PCC measures the linear relationship between the true values (`y_true`) and the
    predicted values (`y_pred`). The coefficient ranges from -1 to 1: 1 means a perfect
    positive linear correlation, 0 no linear correlation, and -1 a perfect negative linear
    correlation. The coefficient of each sample (along `axis`) is computed by
    `pearson_correlation`, and the metric is their (weighted) mean over the samples seen.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        axis: (Optional) integer or tuple of integers of the axis/axes along which to compute
            the metric. Defaults to `-1`.

    Example:

    >>> pcc = lamina.metrics.PearsonCorrelation(axis=-1)
    >>> pcc.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(pcc.result()), 4)
    0.9967

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mean_squared_error",
                  metrics=[lamina.metrics.PearsonCorrelation()])
    ```
    """

    _config_attributes = ("axis",)

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(fn=pearson_correlation, name=name, dtype=dtype, axis=axis)
        # Metric should be maximized during optimization.
        self._direction = "up"


class ConcordanceCorrelation(reduction_metrics.MeanMetricWrapper):
    """Calculates the Concordance Correlation Coefficient (CCC).

    CCC evaluates the agreement between true values (`y_true`) and predicted values
    (`y_pred`) by considering both precision and accuracy. The coefficient ranges from -1
    to 1, where 1 indicates perfect agreement. The coefficient of each sample (along `axis`)
    is computed by `concordance_correlation`, and the metric is their (weighted) mean over the
    samples seen.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        axis: (Optional) integer or tuple of integers of the axis/axes along which to compute
            the metric. Defaults to `-1`.

    Example:

    >>> ccc = lamina.metrics.ConcordanceCorrelation(axis=-1)
    >>> ccc.update_state([[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]])
    >>> round(float(ccc.result()), 4)
    0.9816

    Usage with `compile()` API:

    ```python
    model.compile(optimizer="sgd", loss="mean_squared_error",
                  metrics=[lamina.metrics.ConcordanceCorrelation()])
    ```
    """

    _config_attributes = ("axis",)

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(fn=concordance_correlation, name=name, dtype=dtype, axis=axis)
        # Metric should be maximized during optimization.
        self._direction = "up"
