"""``lamina.constraints``: Keras 3's ``keras.constraints`` — Constraint, MaxNorm, MinMaxNorm,
NonNeg, UnitNorm, their lowercase aliases and ``get``/``serialize``/``deserialize``."""

from lamina.constraints.constraints import Constraint
from lamina.constraints.constraints import MaxNorm
from lamina.constraints.constraints import MinMaxNorm
from lamina.constraints.constraints import NonNeg
from lamina.constraints.constraints import UnitNorm
from lamina.saving import family

# Keras' public aliases: each is the class itself.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

ALL_OBJECTS = {Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm}
ALL_OBJECTS_DICT = family.objects_by_name(ALL_OBJECTS)


def serialize(constraint):
    """Returns the constraint configuration as a Python dict (Keras 3's format)."""
    return family.serialize(constraint)


def deserialize(config, custom_objects=None):
    """Returns a constraint from its configuration."""
    return family.deserialize(config, ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """Retrieves a constraint from an identifier.

    Args:
        identifier: None (returns None); a name (``"max_norm"``, ``"MaxNorm"``, ``"non_neg"``,
            ...; created with default arguments); a config dict; a constraint class or
            instance; or any callable ``fn(w) -> w``.

    Returns:
        A constraint (or the callable given).

    Raises:
        ValueError: if `identifier` cannot be interpreted.
    """
    return family.get(identifier, "constraint", ALL_OBJECTS_DICT)


__all__ = [
    "Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get", "max_norm",
    "min_max_norm", "non_neg", "serialize", "unit_norm",
]
