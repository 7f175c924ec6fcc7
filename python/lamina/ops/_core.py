"""Conversion and creation ops (``keras.ops`` core and numpy creation functions)."""

from lamina._lamina import arange
from lamina._lamina import cast
from lamina._lamina import convert_to_numpy
from lamina._lamina import convert_to_tensor
from lamina._lamina import eye
from lamina._lamina import full
from lamina._lamina import full_like
from lamina._lamina import identity
from lamina._lamina import is_tensor
from lamina._lamina import linspace
from lamina._lamina import stop_gradient
from lamina._lamina import ones
from lamina._lamina import ones_like
from lamina._lamina import zeros
from lamina._lamina import zeros_like


def shape(x):
    """Returns the shape of `x` as a tuple of ints."""
    return convert_to_tensor(x).shape


def dtype(x):
    """Returns the Keras dtype name of `x`, e.g. ``"float32"``."""
    return convert_to_tensor(x).dtype


def size(x):
    """Returns the number of elements of `x`."""
    return convert_to_tensor(x).size


def ndim(x):
    """Returns the number of dimensions of `x`."""
    return convert_to_tensor(x).ndim


__all__ = [
    "arange", "cast", "convert_to_numpy", "convert_to_tensor", "dtype", "eye", "full", "full_like",
    "identity", "is_tensor", "linspace", "ndim", "ones", "ones_like", "shape", "size", "stop_gradient", "zeros",
    "zeros_like",
]
