"""``lamina.initializers``: Keras 3's ``keras.initializers`` — the classes, their lowercase
aliases (``lamina.initializers.glorot_uniform is GlorotUniform``) and ``get``/``serialize``/
``deserialize``."""

import numpy as np

from lamina import ops
from lamina.backend.config import standardize_dtype
from lamina.initializers.constant_initializers import Constant
from lamina.initializers.constant_initializers import Identity
from lamina.initializers.constant_initializers import Ones
from lamina.initializers.constant_initializers import Zeros
from lamina.initializers.initializer import Initializer
from lamina.initializers.random_initializers import GlorotNormal
from lamina.initializers.random_initializers import GlorotUniform
from lamina.initializers.random_initializers import HeNormal
from lamina.initializers.random_initializers import HeUniform
from lamina.initializers.random_initializers import LecunNormal
from lamina.initializers.random_initializers import LecunUniform
from lamina.initializers.random_initializers import Orthogonal
from lamina.initializers.random_initializers import RandomNormal
from lamina.initializers.random_initializers import RandomUniform
from lamina.initializers.random_initializers import TruncatedNormal
from lamina.initializers.random_initializers import VarianceScaling
from lamina.saving import family

# Keras' public aliases: each is the class itself.
constant = Constant
identity = Identity
IdentityInitializer = Identity
ones = Ones
zeros = Zeros
glorot_normal = GlorotNormal
glorot_uniform = GlorotUniform
he_normal = HeNormal
he_uniform = HeUniform
lecun_normal = LecunNormal
lecun_uniform = LecunUniform
orthogonal = Orthogonal
OrthogonalInitializer = Orthogonal
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling

ALL_OBJECTS = {
    Initializer, Constant, Identity, Ones, Zeros, GlorotNormal, GlorotUniform, HeNormal, HeUniform,
    LecunNormal, LecunUniform, Orthogonal, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling,
}
ALL_OBJECTS_DICT = family.objects_by_name(
    ALL_OBJECTS,
    aliases={
        "IdentityInitializer": Identity,
        "normal": RandomNormal,
        "one": Ones,
        "OrthogonalInitializer": Orthogonal,
        "uniform": RandomUniform,
        "zero": Zeros,
    },
)


def serialize(initializer):
    """Returns the initializer configuration as a Python dict (Keras 3's format)."""
    return family.serialize(initializer)


def deserialize(config, custom_objects=None):
    """Returns an initializer from its configuration (a dict or a name)."""
    return family.deserialize(config, ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """Retrieves an initializer from an identifier.

    Args:
        identifier: None (returns None); a name such as ``"glorot_uniform"`` or ``"Ones"``
            (case-sensitive); a config dict with ``class_name`` and ``config``; an initializer
            class (instantiated with no arguments) or instance; a callable
            ``fn(shape, dtype=None)``; or a Tensor/numpy array, whose values become the
            initial values (the requested shape must equal its shape).

    Returns:
        An initializer (or the callable given).

    Raises:
        ValueError: if `identifier` cannot be interpreted.

    Example:

    >>> lamina.initializers.get("ones")
    <lamina.initializers.constant_initializers.Ones object at ...>
    >>> lamina.initializers.get({"class_name": "Ones", "config": {}})
    <lamina.initializers.constant_initializers.Ones object at ...>
    """
    return family.get(
        identifier, "initializer", ALL_OBJECTS_DICT, from_name=_from_name, from_value=_from_value
    )


def _from_name(name):
    # A name is a class with its default config, looked up as `deserialize` would (so custom
    # objects in scope are found too).
    return deserialize({"class_name": str(name), "config": {}})


def _from_value(value):
    # A Tensor or numpy value gives its own values as the initial values; anything else (a class,
    # an instance, a callable) is used as it is.
    if not (ops.is_tensor(value) or isinstance(value, (np.generic, np.ndarray))):
        return value

    def initialize_fn(shape, dtype=None):
        dtype = standardize_dtype(dtype)
        if tuple(shape) != tuple(value.shape):
            raise ValueError(
                f"Expected `shape` to be {value.shape} for direct tensor as initializer. "
                f"Received shape={shape}"
            )
        return ops.cast(value, dtype)

    return initialize_fn


__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
    "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones", "Orthogonal",
    "OrthogonalInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling",
    "Zeros", "constant", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
    "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal",
    "random_normal", "random_uniform", "serialize", "truncated_normal", "variance_scaling", "zeros",
]
