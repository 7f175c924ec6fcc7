"""``lamina.metrics.Metric``: the base of stateful metrics (Keras 3's ``keras.metrics.Metric``)."""

import weakref

from lamina.backend import config as backend_config
from lamina.backend.naming import auto_name
from lamina.backend.naming import name_scope
from lamina.backend.variables import Variable


class Metric:
    """Encapsulates metric logic and state.

    A metric accumulates statistics batch by batch in non-trainable variables:
    ``update_state`` adds to them, ``result`` computes the metric's value from them and
    ``reset_state`` zeroes them. Calling the metric does ``update_state`` then returns
    ``result()``.

    Subclasses create their state in ``__init__`` with `add_variable`, update it in
    ``update_state`` with ``assign``/``assign_add``, and compute the value in ``result``.
    Variables and metrics assigned as attributes are tracked (they appear in `variables`).

    Args:
        dtype: The dtype of the metric's computations. Defaults to `None`, which means
            ``lamina.config.floatx()`` ("float32"). A ``lamina.DTypePolicy`` (or a policy name
            such as ``"mixed_float16"``) uses its compute dtype.
        name: Optional name for the metric instance (unique default from the class name).

    Example:

    ```python
    class BinaryTruePositives(lamina.metrics.Metric):
        def __init__(self, name="binary_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), initializer="zeros", name="true_positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = ops.logical_and(ops.cast(y_true, "bool"), ops.cast(y_pred, "bool"))
            values = ops.cast(values, self.dtype)
            if sample_weight is not None:
                values = values * ops.cast(sample_weight, self.dtype)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return ops.convert_to_tensor(self.true_positives)
    ```
    """

    _lamina_is_metric = True

    def __init__(self, dtype=None, name=None):
        from lamina import dtype_policies

        self.name = name or auto_name(self.__class__.__name__)
        self._dtype_policy = dtype_policies.get(dtype or backend_config.floatx())
        self._dtype = self._dtype_policy.compute_dtype
        self._metrics = []
        self._variables = []

    # ------------------------------------------------------------------------------------------
    # Tracking
    # ------------------------------------------------------------------------------------------

    def __setattr__(self, name, value):
        d = self.__dict__
        if "_variables" in d:
            if isinstance(value, Variable):
                if not any(v is value for v in d["_variables"]):
                    d["_variables"].append(value)
            elif getattr(type(value), "_lamina_is_metric", False) and value is not self:
                if not any(m is value for m in d["_metrics"]):
                    d["_metrics"].append(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self):
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"In metric '{self.__class__.__name__}', you forgot to call `super().__init__()` "
                "in the `__init__()` method. Go add it!"
            )

    @property
    def dtype(self):
        """The dtype of the metric's computations and result."""
        return self._dtype

    @property
    def variables(self):
        """The metric's state variables, then those of the metrics it tracks."""
        self._check_super_called()
        out = list(self._variables)
        for metric in self._metrics:
            out.extend(metric.variables)
        return out

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable, tracked in `variables`.

        Args:
            shape: The variable's shape.
            initializer: An initializer (name, instance or callable), e.g. ``"zeros"``.
            dtype: The variable's dtype. Defaults to ``lamina.config.floatx()``, as in Keras.
            aggregation: How distributed replicas combine it. Defaults to ``"sum"``.
            name: The variable's name.

        Returns:
            The new ``lamina.Variable`` (created inside a name scope of the metric's name).
        """
        self._check_super_called()
        from lamina import initializers

        with name_scope(self.name.replace("/", ">"), caller=self):
            variable = Variable(
                initializer=initializers.get(initializer),
                shape=shape,
                dtype=dtype,
                trainable=False,
                aggregation=aggregation,
                synchronization="on_read",
                name=name,
            )
        if not any(v is variable for v in self._variables):
            self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` (kept for compatibility, as in Keras)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    # ------------------------------------------------------------------------------------------
    # The metric protocol
    # ------------------------------------------------------------------------------------------

    def update_state(self, *args, **kwargs):
        """Accumulates statistics for the metric (subclasses implement it)."""
        raise NotImplementedError(f"{self.__class__.__name__} must implement `update_state()`.")

    def result(self):
        """Computes the current metric value (subclasses implement it).

        Returns:
            A scalar tensor, or a dictionary of scalar tensors.
        """
        raise NotImplementedError(f"{self.__class__.__name__} must implement `result()`.")

    def reset_state(self):
        """Resets every state variable to zero (called between epochs)."""
        from lamina import ops

        for v in self.variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self._check_super_called()
        self.update_state(*args, **kwargs)
        result = self.result()
        _remember_result(result, self)
        return result

    # ------------------------------------------------------------------------------------------
    # Stateless forms: the same computations on given variable values
    # ------------------------------------------------------------------------------------------

    def _check_variable_values(self, metric_variables):
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                f"{self.__class__.__name__}().variables. Received list with length "
                f"{len(metric_variables)}, but expected {len(variables)} variables."
            )
        return variables

    def _with_values(self, variables, values, fn):
        # Swaps `values` into `variables`, runs `fn`, and restores the metric's own state.
        saved = [v.value for v in variables]
        try:
            if values is not None:
                for v, value in zip(variables, values):
                    v.assign(value)
            out = fn()
            new_values = [v.value for v in variables]
        finally:
            for v, value in zip(variables, saved):
                v.assign(value)
        return out, new_values

    def stateless_update_state(self, metric_variables, *args, **kwargs):
        """`update_state` applied to the given variable values instead of the metric's own.

        Args:
            metric_variables: Values for `self.variables`, in order.
            *args, **kwargs: The arguments of `update_state`.

        Returns:
            The list of updated values; the metric's variables are left unchanged.
        """
        variables = self._check_variable_values(metric_variables)
        _, new_values = self._with_values(
            variables, metric_variables, lambda: self.update_state(*args, **kwargs)
        )
        return new_values

    def stateless_result(self, metric_variables):
        """`result` computed from the given variable values instead of the metric's own."""
        variables = self._check_variable_values(metric_variables)
        out, _ = self._with_values(variables, metric_variables, self.result)
        return out

    def stateless_reset_state(self):
        """The variable values `reset_state` would give, without changing the metric."""
        _, new_values = self._with_values(self.variables, None, self.reset_state)
        return new_values

    # ------------------------------------------------------------------------------------------
    # Serialization
    # ------------------------------------------------------------------------------------------

    def _obj_type(self):
        return "Metric"

    def get_config(self):
        """The serializable config of the metric (its constructor arguments)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        """Creates a metric from its config (the inverse of `get_config`)."""
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}>"

    def __str__(self):
        return self.__repr__()


# Results of recent metric calls, so that `Layer.add_metric(metric(x))` knows which metric
# produced the value (tf.keras attached the metric to the tensor).
_RESULTS = {}


def _remember_result(result, metric):
    try:
        ref = weakref.ref(result, lambda _, key=id(result): _RESULTS.pop(key, None))
    except TypeError:
        return
    _RESULTS[id(result)] = (ref, metric)


def metric_of_result(value):
    """The metric whose call returned `value`, or None."""
    entry = _RESULTS.get(id(value))
    if entry is not None and entry[0]() is value:
        return entry[1]
    return None
