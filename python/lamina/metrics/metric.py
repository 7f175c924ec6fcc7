"""``lamina.metrics.Metric``: the base of stateful metrics (Keras 3's ``keras.metrics.Metric``)."""

import weakref

from lamina.backend import config as backend_config
from lamina.backend.naming import auto_name
from lamina.backend.naming import name_scope


class Metric:
    """A stateful quantity updated batch by batch: ``update_state`` accumulates into variables,
    ``result`` reads them, ``reset_state`` zeroes them; calling the metric does both
    (update, then return the result).

    Args:
        dtype: The dtype of the metric's variables and result (default floatx).
        name: The metric's name (unique default from the class name).
    """

    _lamina_is_metric = True

    def __init__(self, dtype=None, name=None):
        self.name = name or auto_name(self.__class__.__name__)
        self._dtype = backend_config.standardize_dtype(dtype) if dtype is not None else backend_config.floatx()
        self._variables = []

    @property
    def dtype(self):
        """The metric's dtype."""
        return self._dtype

    @property
    def variables(self):
        """The metric's state variables."""
        return list(self._variables)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Creates a non-trainable state variable."""
        from lamina import initializers
        from lamina.backend.variables import Variable

        with name_scope(self.name.replace("/", ">"), caller=self):
            v = Variable(initializer=initializers.get(initializer), shape=shape,
                         dtype=dtype or self._dtype, trainable=False, aggregation=aggregation,
                         name=name)
        self._variables.append(v)
        return v

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """Alias of `add_variable` (Keras keeps it for compatibility)."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype, name=name)

    def update_state(self, *args, **kwargs):
        """Accumulates statistics (override in subclasses)."""
        raise NotImplementedError(f"{self.__class__.__name__} must implement `update_state()`.")

    def result(self):
        """The current value (override in subclasses)."""
        raise NotImplementedError(f"{self.__class__.__name__} must implement `result()`.")

    def reset_state(self):
        """Resets every state variable to zero."""
        from lamina import ops

        for v in self._variables:
            v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def __call__(self, *args, **kwargs):
        self.update_state(*args, **kwargs)
        result = self.result()
        _remember_result(result, self)
        return result

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}>"


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
