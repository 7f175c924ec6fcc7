"""``lamina.regularizers``: Keras 3's ``keras.regularizers`` — Regularizer, L1, L2, L1L2,
OrthogonalRegularizer, their lowercase aliases and ``get``/``serialize``/``deserialize``."""

from lamina.regularizers.regularizers import L1
from lamina.regularizers.regularizers import L1L2
from lamina.regularizers.regularizers import L2
from lamina.regularizers.regularizers import OrthogonalRegularizer
from lamina.regularizers.regularizers import Regularizer
from lamina.saving import family

# Keras' public aliases: each is the class itself.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS = {Regularizer, L1, L2, L1L2, OrthogonalRegularizer}
ALL_OBJECTS_DICT = family.objects_by_name(ALL_OBJECTS)


def serialize(regularizer):
    """Returns the regularizer configuration as a Python dict (Keras 3's format)."""
    return family.serialize(regularizer)


def deserialize(config, custom_objects=None):
    """Returns a regularizer from its configuration."""
    return family.deserialize(config, ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """Retrieves a regularizer from an identifier.

    Args:
        identifier: None (returns None); a name (``"l1"``, ``"l2"``, ``"l1l2"``, ``"L1L2"``,
            ``"orthogonal_regularizer"``, ...; created with default arguments); a config dict;
            a regularizer class or instance; or any callable ``fn(weights) -> scalar``.

    Returns:
        A regularizer (or the callable given).

    Raises:
        ValueError: if `identifier` cannot be interpreted.
    """
    return family.get(identifier, "regularizer", ALL_OBJECTS_DICT)


__all__ = [
    "L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get", "l1", "l1_l2",
    "l2", "orthogonal_regularizer", "serialize",
]
