"""Deterministic initializers: Zeros, Ones, Constant, Identity (Keras 3's constant_initializers)."""

from lamina import ops
from lamina.backend.config import standardize_dtype
from lamina.initializers.initializer import Initializer
from lamina.saving import serialization_lib


class Constant(Initializer):
    """Initializer that generates tensors with constant values.

    Only scalar values are allowed; the value must be convertible to the requested dtype.

    Args:
        value: A Python scalar.

    Example:

    >>> initializer = lamina.initializers.Constant(10.0)
    >>> values = initializer(shape=(2, 2))
    """

    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        dtype = standardize_dtype(dtype)
        return ops.multiply(ops.cast(self.value, dtype), ops.ones(tuple(shape), dtype=dtype))

    def get_config(self):
        return {"value": serialization_lib.serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config):
        # A bare name ("constant") comes with an empty config: use the default value.
        value = serialization_lib.deserialize_keras_object(config.get("value", 0.0))
        return cls(value)


class Zeros(Initializer):
    """Initializer that generates tensors initialized to 0.

    Example:

    >>> values = lamina.initializers.Zeros()(shape=(2, 2))
    """

    def __call__(self, shape, dtype=None):
        """A tensor of zeros of `shape`; `dtype` defaults to ``lamina.config.floatx()``."""
        return ops.zeros(tuple(shape), dtype=standardize_dtype(dtype))


class Ones(Initializer):
    """Initializer that generates tensors initialized to 1.

    Example:

    >>> values = lamina.initializers.Ones()(shape=(2, 2))
    """

    def __call__(self, shape, dtype=None):
        """A tensor of ones of `shape`; `dtype` defaults to ``lamina.config.floatx()``."""
        return ops.ones(tuple(shape), dtype=standardize_dtype(dtype))


class Identity(Initializer):
    """Initializer that generates the identity matrix (2D shapes only).

    Args:
        gain: Multiplicative factor to apply to the identity matrix.

    Example:

    >>> values = lamina.initializers.Identity()(shape=(2, 2))
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        dtype = standardize_dtype(dtype)
        return ops.multiply(self.gain, ops.eye(shape[0], shape[1], dtype=dtype))

    def get_config(self):
        return {"gain": self.gain}


__all__ = ["Constant", "Identity", "Ones", "Zeros"]
