"""Metrics that reduce values: ``Sum`` and ``Mean`` (Keras 3's ``keras.metrics``)."""

from lamina.metrics.metric import Metric


def _weighted(values, sample_weight, dtype):
    from lamina import ops

    values = ops.cast(values, dtype)
    if sample_weight is None:
        return values, None
    sample_weight = ops.cast(sample_weight, dtype)
    # Broadcast the weights over the values (weights may have fewer trailing dims).
    while sample_weight.ndim < values.ndim:
        sample_weight = ops.expand_dims(sample_weight, -1)
    sample_weight = ops.broadcast_to(sample_weight, values.shape)
    return ops.multiply(values, sample_weight), sample_weight


class Sum(Metric):
    """The running (weighted) sum of the values it is given."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, values, sample_weight=None):
        from lamina import ops

        values, _ = _weighted(values, sample_weight, self.dtype)
        self.total.assign_add(ops.sum(values))

    def result(self):
        from lamina import ops

        return ops.convert_to_tensor(self.total)


class Mean(Metric):
    """The running (weighted) mean of the values it is given: ``total / count``."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values, sample_weight=None):
        from lamina import ops

        values, weights = _weighted(values, sample_weight, self.dtype)
        self.total.assign_add(ops.sum(values))
        if weights is None:
            n = 1
            for d in values.shape:
                n *= d
            self.count.assign_add(float(n))
        else:
            self.count.assign_add(ops.sum(weights))

    def result(self):
        from lamina import ops

        count = ops.convert_to_tensor(self.count)
        total = ops.convert_to_tensor(self.total)
        return ops.where(count > 0, total / ops.maximum(count, 1e-30), ops.zeros_like(total))
