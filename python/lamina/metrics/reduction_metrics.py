"""Metrics that reduce values: ``Sum``, ``Mean`` and ``MeanMetricWrapper`` (Keras 3's
``keras.metrics``)."""

from lamina import ops
from lamina.metrics import metrics_utils
from lamina.metrics.metric import Metric


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Weights `values` and reduces them to one value per sample, as Keras' reduction metrics do.

    The mask of `values` (``values._keras_mask``) is folded into `sample_weight` when weights
    are given. Weights line up with the leading axes of `values` (after the ranks are matched
    when they differ by a trailing 1): the axes of `values` beyond the weights' rank are
    reduced first, then the weights are broadcast and multiplied in.

    Args:
        values: The values (anything convertible to a tensor).
        sample_weight: Optional weights broadcastable to the (reduced) values.
        reduce_fn: ``ops.sum`` or ``ops.mean``.
        dtype: The computation dtype.

    Returns:
        ``(values, sample_weight)``: the weighted values, of rank <= 1 (one per sample), and
        the weights reduced the same way (None when none were given).
    """
    mask = metrics_utils.get_keras_mask(values)
    values = metrics_utils.as_tensor(values, dtype)
    if sample_weight is not None:
        sample_weight = metrics_utils.as_tensor(sample_weight, dtype)
        if mask is not None:
            sample_weight = metrics_utils.apply_mask(sample_weight, mask, dtype, reduction="sum")
        values, sample_weight = metrics_utils.squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = len(sample_weight.shape)
        values_ndim = len(values.shape)
        if values_ndim > weight_ndim:
            values = reduce_fn(values, axis=tuple(range(weight_ndim, values_ndim)))
        try:
            sample_weight = ops.broadcast_to(sample_weight, values.shape)
        except ValueError:
            raise ValueError(
                "`sample_weight` cannot be broadcast to the values. Received: "
                f"sample_weight.shape={tuple(sample_weight.shape)}, "
                f"values.shape={tuple(values.shape)}"
            ) from None
        values = ops.multiply(values, sample_weight)
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, axis=tuple(range(1, weight_ndim)))
    values_ndim = len(values.shape)
    if values_ndim > 1:
        values = reduce_fn(values, axis=tuple(range(1, values_ndim)))
    return values, sample_weight


class Sum(Metric):
    """Computes the (weighted) sum of the given values.

    For example, if `values` is ``[1, 3, 5, 7]`` then their sum is 16. If `sample_weight` was
    specified as ``[1, 1, 0, 0]`` then the sum would be 4.

    This metric creates one variable, `total`, which is returned as the sum.

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Sum()
    >>> m.update_state([1, 3, 5, 7])
    >>> float(m.result())
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")

    def update_state(self, values, sample_weight=None):
        """Adds the (weighted) sum of `values` to the total.

        Args:
            values: The values to add up.
            sample_weight: Optional weights, broadcastable to `values`.
        """
        values, _ = reduce_to_samplewise_values(values, sample_weight, ops.sum, self.dtype)
        self.total.assign_add(ops.sum(values))

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))

    def result(self):
        return ops.cast(self.total, self.dtype)


class Mean(Metric):
    """Computes the (weighted) mean of the given values.

    For example, if values is ``[1, 3, 5, 7]`` then the mean is 4. If `sample_weight` was
    specified as ``[1, 1, 0, 0]`` then the mean would be 2.

    This metric creates two variables, `total` and `count`; the mean is ``total / count``
    (0 while `count` is 0). Values of rank > 1 are averaged per sample first, so `count`
    counts samples (or sums their weights).

    Args:
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> float(m.result())
    4.0
    >>> m.reset_state()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype,
                                       name="count")

    def update_state(self, values, sample_weight=None):
        """Adds the (weighted) values to `total` and their number (or weight) to `count`.

        Args:
            values: The values to average.
            sample_weight: Optional weights, broadcastable to `values`.
        """
        values, sample_weight = reduce_to_samplewise_values(
            values, sample_weight, ops.mean, self.dtype
        )
        self.total.assign_add(ops.sum(values))
        if sample_weight is not None:
            num_samples = ops.sum(sample_weight)
        elif len(values.shape) >= 1:
            num_samples = float(values.shape[0])
        else:
            num_samples = 1.0
        self.count.assign_add(ops.cast(num_samples, self.count.dtype))

    def reset_state(self):
        self.total.assign(ops.zeros((), dtype=self.total.dtype))
        self.count.assign(ops.zeros((), dtype=self.count.dtype))

    def result(self):
        return ops.cast(metrics_utils.divide_no_nan(self.total, self.count), self.dtype)


class MeanMetricWrapper(Mean):
    """Wraps a stateless metric function with the `Mean` metric.

    The function has the signature ``fn(y_true, y_pred, **kwargs)`` and returns a value per
    sample; `result()` is the (weighted) average of those values over everything seen so far.
    A mask on `y_pred` (``y_pred._keras_mask``) is applied to the sample weights.

    Args:
        fn: The metric function to wrap, with signature ``fn(y_true, y_pred, **kwargs)``.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        **kwargs: Keyword arguments to pass on to `fn`.

    Example:

    ```python
    def squared_error(y_true, y_pred):
        return lamina.ops.mean((y_true - y_pred) ** 2, axis=-1)

    m = lamina.metrics.MeanMetricWrapper(fn=squared_error)
    m.update_state([[0.0, 1.0]], [[1.0, 1.0]])
    float(m.result())  # 0.5
    ```
    """

    # A built-in subclass's config, as Keras 3 writes it: `name` and `dtype`, then these `fn`
    # arguments (each also kept as an attribute of the same name). None: the wrapper's own config,
    # with the serialized `fn` and all its arguments.
    _config_attributes = None

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        for key in self._config_attributes or ():
            if key in kwargs:
                setattr(self, key, kwargs[key])
        # Wrapping a loss: the metric should go down during training.
        from lamina import losses

        loss_objects = getattr(losses, "ALL_OBJECTS", ())
        try:
            if fn in loss_objects or type(fn) in loss_objects:
                self._direction = "down"
        except TypeError:  # unhashable callables are never built-in losses
            pass

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Applies the wrapped function and accumulates the mean of its values.

        Args:
            y_true: The ground truth values.
            y_pred: The predicted values (a mask attached to them is honoured).
            sample_weight: Optional weights, broadcastable to the function's values.
        """
        mask = metrics_utils.get_keras_mask(y_pred)
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        sample_weight = metrics_utils.apply_mask(sample_weight, mask, self.dtype, reduction="sum")
        return super().update_state(values, sample_weight=sample_weight)

    def get_config(self):
        """Returns the config: name, dtype, the serialized `fn` and its keyword arguments (for a
        built-in subclass: name, dtype and the arguments Keras 3 saves)."""
        from lamina.saving import serialization_lib

        config = super().get_config()
        if self._config_attributes is not None:
            config.update({key: getattr(self, key) for key in self._config_attributes})
            return config
        config["fn"] = serialization_lib.serialize_keras_object(self._fn)
        config.update(serialization_lib.serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        if "fn" in config:
            from lamina.saving import serialization_lib

            config = serialization_lib.deserialize_keras_object(config)
        return cls(**config)
