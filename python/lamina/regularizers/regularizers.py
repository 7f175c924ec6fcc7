"""Weight regularizers (Keras 3's ``keras.regularizers``): L1, L2, L1L2, OrthogonalRegularizer.

Each is called on a weight tensor and returns a scalar penalty computed with lamina.ops, so it is
differentiable through `lamina.GradientTape`.
"""

import math
import numbers

import numpy as np

from lamina import ops
from lamina.backend import Variable
from lamina.backend.config import epsilon


class Regularizer:
    """Regularizer base class (also ``lamina.Regularizer``).

    A regularizer is called on a weight tensor and returns a scalar penalty that is added to the
    loss. Any function ``fn(weights) -> scalar`` can serve as a regularizer; subclasses implement
    ``__call__`` and, to be serializable, ``get_config``.

    Example:

    >>> class L2Regularizer(lamina.regularizers.Regularizer):
    ...     def __init__(self, l2=0.0):
    ...         self.l2 = l2
    ...     def __call__(self, x):
    ...         return self.l2 * lamina.ops.sum(lamina.ops.square(x))
    ...     def get_config(self):
    ...         return {"l2": float(self.l2)}
    """

    def __call__(self, x):
        """Computes a regularization penalty from an input tensor."""
        return 0.0

    @classmethod
    def from_config(cls, config):
        """Creates a regularizer from its config (the output of `get_config`)."""
        return cls(**config)

    def get_config(self):
        """Returns the config of the regularizer (a JSON-serializable dict)."""
        raise NotImplementedError(f"{self} does not implement get_config()")


def validate_float_arg(value, name):
    """Checks that a penalty factor is a finite, non-negative number; returns it as a float."""
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Real)
        or math.isinf(value)
        or math.isnan(value)
        or value < 0
    ):
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float."
            f"Received: {name}={value}"
        )
    return float(value)


def _factor_arg(value, name, default):
    """A penalty factor argument: `default` for None, else `value` once `validate_float_arg`
    accepts it (kept as given, not converted to float, as in Keras)."""
    value = default if value is None else value
    validate_float_arg(value, name=name)
    return value


class L1L2(Regularizer):
    """A regularizer that applies both L1 and L2 penalties:
    ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: L1 regularization factor. Defaults to `0.0`.
        l2: L2 regularization factor. Defaults to `0.0`.

    Example:

    >>> reg = lamina.regularizers.L1L2(l1=0.01, l2=0.01)
    >>> reg(lamina.ops.ones((2, 2)))
    tensor(0.08, shape=(), dtype=float32)
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor_arg(l1, "l1", default=0.0)
        self.l2 = _factor_arg(l2, "l2", default=0.0)

    def __call__(self, x):
        x = _as_tensor(x)
        regularization = ops.convert_to_tensor(0.0, dtype=x.dtype)
        if self.l1:
            regularization = regularization + self.l1 * ops.sum(ops.abs(x))
        if self.l2:
            regularization = regularization + self.l2 * ops.sum(ops.square(x))
        return regularization

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """A regularizer that applies an L1 penalty: ``l1 * sum(abs(x))``.

    Args:
        l1: L1 regularization factor. Defaults to `0.01`.

    Example:

    >>> lamina.regularizers.L1(0.1)(lamina.ops.ones((2, 2)))
    tensor(0.4, shape=(), dtype=float32)
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor_arg(l1, "l1", default=0.01)

    def __call__(self, x):
        return self.l1 * ops.sum(ops.abs(_as_tensor(x)))

    def get_config(self):
        # Keras 3 keeps `l1` as a float32 tensor, so its config holds the float32 value.
        return {"l1": _float32_value(self.l1)}


class L2(Regularizer):
    """A regularizer that applies an L2 penalty: ``l2 * sum(square(x))``.

    Args:
        l2: L2 regularization factor. Defaults to `0.01`.

    Example:

    >>> lamina.regularizers.L2(2.0)(lamina.ops.ones((5, 5)))
    tensor(50., shape=(), dtype=float32)
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor_arg(l2, "l2", default=0.01)

    def __call__(self, x):
        return self.l2 * ops.sum(ops.square(_as_tensor(x)))

    def get_config(self):
        return {"l2": float(self.l2)}


class OrthogonalRegularizer(Regularizer):
    """Encourages the rows (or columns) of a matrix to be orthogonal to each other.

    The penalty is ``factor * 0.5 * sum(|P - diag(P)|) / (n * (n - 1) / 2)`` where ``P`` is the
    matrix of dot products of the L2-normalized rows (``mode="rows"``) or columns
    (``mode="columns"``) and ``n`` their number: ``factor`` times the mean absolute dot product
    over distinct pairs.

    Args:
        factor: The regularization factor. Defaults to `0.01`.
        mode: ``"rows"`` or ``"columns"``. Defaults to ``"rows"``.

    Example:

    >>> reg = lamina.regularizers.OrthogonalRegularizer(factor=0.01)
    >>> reg(lamina.ops.eye(3))
    tensor(0., shape=(), dtype=float32)
    """

    def __init__(self, factor=0.01, mode="rows"):
        validate_float_arg(factor, name="factor")
        self.factor = factor
        if mode not in {"rows", "columns"}:
            raise ValueError(
                "Invalid value for argument `mode`. Expected one of "
                f'{{"rows", "columns"}}. Received: mode={mode}'
            )
        self.mode = mode

    def __call__(self, inputs):
        inputs = _as_tensor(inputs)
        if len(inputs.shape) != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={inputs.shape}"
            )
        if self.mode == "rows":
            inputs = _l2_normalize(inputs, axis=1)
            product = ops.matmul(inputs, ops.transpose(inputs))
            size = inputs.shape[0]
        else:
            inputs = _l2_normalize(inputs, axis=0)
            product = ops.matmul(ops.transpose(inputs), inputs)
            size = inputs.shape[1]
        product_no_diagonal = product * (1.0 - ops.eye(size, dtype=inputs.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * ops.sum(ops.abs(product_no_diagonal)) / num_pairs

    def get_config(self):
        # Keras 3 keeps `factor` as a float32 tensor, so its config holds the float32 value.
        return {"factor": _float32_value(self.factor), "mode": self.mode}


def _float32_value(value):
    """`value` rounded to float32, as a Python float (0.01 -> 0.009999999776482582)."""
    return float(np.float32(value))


def _as_tensor(x):
    """Tensors and Variables as they are (so tapes see the variable read); the rest converted."""
    if ops.is_tensor(x) or isinstance(x, Variable):
        return x
    return ops.convert_to_tensor(x)


def _l2_normalize(x, axis):
    """``x / norm(x)`` along `axis`, as Keras' ``ops.normalize``: ``x * min(rsqrt(sum(x**2)),
    1 / epsilon)``."""
    inv_norm = ops.rsqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return x * ops.minimum(inv_norm, 1.0 / epsilon())


__all__ = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "validate_float_arg"]
