"""Weight constraints (Keras 3's ``keras.constraints``): MaxNorm, MinMaxNorm, NonNeg, UnitNorm.

A constraint is a projection applied to a variable's value after each optimizer update; it maps a
tensor to a tensor of the same shape, computed with lamina.ops.
"""

from lamina import ops
from lamina.backend.config import epsilon


class Constraint:
    """Base class for weight constraints.

    A `Constraint` works like a stateless function: ``constraint(w)`` returns the projected
    (normalized, clipped, ...) weights. Subclasses override ``__call__``; the base returns `w`
    unchanged.

    Example:

    >>> class NonNegative(lamina.constraints.Constraint):
    ...     def __call__(self, w):
    ...         return w * lamina.ops.cast(lamina.ops.greater_equal(w, 0.0), dtype=w.dtype)
    >>> NonNegative()(lamina.ops.convert_to_tensor([-1.0, 1.0]))
    tensor([0., 1.], shape=(2,), dtype=float32)
    """

    def __call__(self, w):
        """Applies the constraint to the weights `w` (by default, returns them unchanged)."""
        return w

    def get_config(self):
        """Returns a Python dict of the object config."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Instantiates a constraint from its config (the output of `get_config()`)."""
        return cls(**config)


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


def _axis(axis):
    # Keras configs written as JSON turn tuple axes into lists.
    return tuple(axis) if isinstance(axis, list) else axis


class MaxNorm(Constraint):
    """Constrains the weights incident to each hidden unit to have a norm at most `max_value`.

    Args:
        max_value: The maximum norm for the incoming weights. Defaults to `2`.
        axis: Integer or tuple of integers, the axis along which to compute the norms. For a
            `Dense` kernel of shape ``(input_dim, output_dim)`` use ``0``; for a `Conv2D` kernel
            ``(rows, cols, input_depth, output_depth)`` use ``[0, 1, 2]``. Defaults to `0`.

    Example:

    >>> lamina.constraints.MaxNorm(1.0)(lamina.ops.convert_to_tensor([[3.0], [4.0]]))
    tensor([[0.6],
            [0.8]], shape=(2, 1), dtype=float32)
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, _axis(self.axis))
        desired = ops.clip(norms, 0, self.max_value)
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Constrains the weights to be non-negative (negative entries become 0).

    Example:

    >>> lamina.constraints.NonNeg()(lamina.ops.convert_to_tensor([-1.0, 2.0]))
    tensor([0., 2.], shape=(2,), dtype=float32)
    """

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return w * ops.cast(ops.greater_equal(w, 0.0), dtype=w.dtype)


class UnitNorm(Constraint):
    """Constrains the weights incident to each hidden unit to have unit norm.

    Args:
        axis: Integer or tuple of integers, the axis along which to compute the norms (see
            `MaxNorm`). Defaults to `0`.

    Example:

    >>> lamina.constraints.UnitNorm()(lamina.ops.convert_to_tensor([[3.0], [4.0]]))
    tensor([[0.6],
            [0.8]], shape=(2, 1), dtype=float32)
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return w / (epsilon() + _norms(w, _axis(self.axis)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Constrains the weights incident to each hidden unit to have a norm between `min_value`
    and `max_value`.

    Weights are rescaled to yield ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``:
    ``rate=1.0`` enforces the bounds strictly, ``rate < 1.0`` moves the norms towards them
    gradually at each step.

    Args:
        min_value: The minimum norm for the incoming weights. Defaults to `0.0`.
        max_value: The maximum norm for the incoming weights. Defaults to `1.0`.
        rate: Rate for enforcing the constraint. Defaults to `1.0`.
        axis: Integer or tuple of integers, the axis along which to compute the norms (see
            `MaxNorm`). Defaults to `0`.

    Example:

    >>> c = lamina.constraints.MinMaxNorm(min_value=1.0, max_value=2.0)
    >>> c(lamina.ops.convert_to_tensor([[0.3], [0.4]]))
    tensor([[0.6],
            [0.8]], shape=(2, 1), dtype=float32)
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, _axis(self.axis))
        desired = self.rate * ops.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (epsilon() + norms))

    def get_config(self):
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }


__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm"]
