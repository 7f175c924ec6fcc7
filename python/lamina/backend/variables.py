"""``lamina.Variable``: Keras 3's ``keras.Variable`` on the engine's mutable tensor slot."""

import weakref

import numpy as np

from lamina._lamina import _VariableBase
from lamina.backend.config import standardize_dtype
from lamina.backend.naming import auto_name, current_path

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_write", "on_read", "auto")

# id -> Variable, so that tapes (which track ids) can hand back the variables they watched.
_registry = weakref.WeakValueDictionary()


def _variable_by_id(i):
    return _registry.get(i)


class Variable(_VariableBase):
    """A container for state: a tensor value that can be updated in place.

    Args:
        initializer: The initial value (array, list, scalar, Tensor) or a callable
            ``initializer(shape, dtype)`` (then `shape` is required).
        shape: The shape; required with a callable initializer.
        dtype: The variable's dtype; defaults to ``lamina.config.floatx()`` ("float32").
        trainable: Whether optimizers train it and gradient tapes watch it automatically.
        autocast: Whether layers may cast it to their compute dtype when reading it.
        aggregation: One of "none", "mean", "sum", "only_first_replica".
        synchronization: One of "none", "on_write", "on_read", "auto".
        name: A name without "/"; unique default ("variable", "variable_1", ...).

    Example:

    >>> v = lamina.Variable(np.ones((2, 2)), name="w")
    >>> v.assign_add(1.0)
    >>> v.numpy()
    array([[2., 2.],
           [2., 2.]], dtype=float32)
    """

    def __init__(
        self,
        initializer,
        shape=None,
        dtype=None,
        trainable=True,
        autocast=True,
        aggregation="none",
        synchronization="auto",
        name=None,
        **kwargs,
    ):
        del kwargs  # backend-specific arguments, accepted and ignored as Keras does
        if name is None:
            name = auto_name(self.__class__.__name__)
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r}"
            )
        if aggregation is None:
            aggregation = "none"
        if aggregation not in _AGGREGATIONS:
            raise ValueError(
                "Invalid value for argument `aggregation`. Expected one of "
                f"{_AGGREGATIONS}. Received: aggregation={aggregation!r}"
            )
        if synchronization is None:
            synchronization = "none"
        if synchronization not in _SYNCHRONIZATIONS:
            raise ValueError(
                "Invalid value for argument `synchronization`. Expected one of "
                f"{_SYNCHRONIZATIONS}. Received: synchronization={synchronization!r}"
            )
        self._name = name
        parent = current_path()
        self._path = f"{parent}/{name}" if parent else name
        self._autocast = bool(autocast)
        self._autocast_enabled = self._autocast
        self._aggregation = aggregation
        self._synchronization = synchronization
        self._constraint = None
        self._regularizer = None
        self._overwrite_with_gradient = False
        self.trainable = bool(trainable)
        dtype = standardize_dtype(dtype)
        if callable(initializer):
            if shape is None:
                raise ValueError(
                    "When creating a Variable from an initializer, the `shape` argument should be "
                    f"specified. Received: initializer={initializer!r} and shape={shape}"
                )
            shape = _standardize_shape(shape)
            value = initializer(shape, dtype=dtype)
        else:
            value = initializer
        from lamina import ops

        value = ops.convert_to_tensor(value, dtype=dtype)
        if shape is not None and tuple(value.shape) != _standardize_shape(shape):
            raise ValueError(
                f"Variable '{self._path}': the initial value has shape {tuple(value.shape)}, which "
                f"does not match the `shape` argument. Received: shape={tuple(shape)}"
            )
        self._initialize(value)
        _registry[self._id] = self

    @property
    def name(self):
        """The variable's name (without its scope)."""
        return self._name

    @property
    def path(self):
        """The variable's path: name scopes joined with "/", ending with its name."""
        return self._path

    @property
    def autocast(self):
        """Whether layers may cast the variable to their compute dtype when reading it."""
        return self._autocast

    @property
    def aggregation(self):
        """How a distributed variable is aggregated (an annotation here)."""
        return self._aggregation

    @property
    def synchronization(self):
        """How a distributed variable is synchronized (an annotation here)."""
        return self._synchronization

    @property
    def constraint(self):
        """A callable applied to the variable after each optimizer update, or None."""
        return self._constraint

    @constraint.setter
    def constraint(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Invalid value for attribute `constraint`: expected a callable. Received: {value!r}")
        self._constraint = value

    @property
    def regularizer(self):
        """A callable giving this variable's regularization loss, or None."""
        return self._regularizer

    @regularizer.setter
    def regularizer(self, value):
        if value is not None and not callable(value):
            raise ValueError(f"Invalid value for attribute `regularizer`: expected a callable. Received: {value!r}")
        self._regularizer = value

    @property
    def overwrite_with_gradient(self):
        """Whether optimizers replace the value with its gradient instead of applying it."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"`overwrite_with_gradient` must be a boolean. Received: {value!r}")
        self._overwrite_with_gradient = value

    def __repr__(self):
        value = np.array2string(self.numpy(), separator=", ") if self._initialized else "<uninitialized>"
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={value}>"

    __str__ = __repr__

    def __iter__(self):
        return iter(self.value)

    def __index__(self):
        return self.value.__index__()

    def __reduce__(self):
        return (
            _rebuild_variable,
            (self.numpy(), self.dtype, self.trainable, self.autocast, self.aggregation,
             self.synchronization, self.name),
        )

    def __deepcopy__(self, memo):
        out = _rebuild_variable(self.numpy(), self.dtype, self.trainable, self.autocast,
                                self.aggregation, self.synchronization, self.name)
        memo[id(self)] = out
        return out


def _rebuild_variable(value, dtype, trainable, autocast, aggregation, synchronization, name):
    return Variable(value, dtype=dtype, trainable=trainable, autocast=autocast,
                    aggregation=aggregation, synchronization=synchronization, name=name)


def _standardize_shape(shape):
    if isinstance(shape, int):
        return (shape,)
    try:
        out = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"Cannot convert '{shape!r}' to a shape.") from None
    for d in out:
        if d < 0:
            raise ValueError(f"Negative dimensions are not allowed. Received: shape={shape}")
    return out
