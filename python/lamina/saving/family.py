"""The ``get``/``serialize``/``deserialize`` logic shared by lamina's object families.

``lamina.initializers``, ``lamina.regularizers``, ``lamina.constraints`` and
``lamina.activations`` (Keras 3's ``keras.<family>``) each keep their own public, documented
``get``/``serialize``/``deserialize``; those hand the work to the functions here, so that every
family resolves names, config dicts, classes and callables by the same rules.
"""

import inspect

from lamina.saving import serialization_lib
from lamina.utils.naming import to_snake_case


def objects_by_name(objects, aliases=None):
    """A family's ``ALL_OBJECTS_DICT``: each of `objects` under its ``__name__`` and its snake_case
    name (``GlorotUniform`` and ``glorot_uniform``), then the extra `aliases` (``{name: object}``).
    """
    by_name = {obj.__name__: obj for obj in objects}
    by_name.update({to_snake_case(obj.__name__): obj for obj in objects})
    if aliases:
        by_name.update(aliases)
    return by_name


def serialize(obj):
    """The config of a family member (Keras 3's format), as `serialize_keras_object` gives it."""
    return serialization_lib.serialize_keras_object(obj)


def deserialize(config, module_objects, custom_objects=None):
    """The family member described by `config` (a dict or a name); `module_objects` maps the
    names the family accepts to its built-in classes and functions."""
    return serialization_lib.deserialize_keras_object(
        config, module_objects=module_objects, custom_objects=custom_objects
    )


def get(
    identifier,
    kind,
    module_objects,
    *,
    from_config=None,
    from_name=None,
    from_value=None,
    default=None,
    instantiate_classes=True,
):
    """Keras 3's ``get`` of an object family: the object an identifier stands for.

    Args:
        identifier: What to resolve: None, a config dict, a name, a class, or a callable.
        kind: What the family holds, for the error message (``"initializer"``).
        module_objects: The family's ``ALL_OBJECTS_DICT``.
        from_config: Resolves a dict. Defaults to `deserialize` with `module_objects`.
        from_name: Resolves a string. Defaults to looking it up in `module_objects` (None when
            absent).
        from_value: Resolves any other identifier. Defaults to the identifier itself.
        default: What None resolves to.
        instantiate_classes: Whether a class is instantiated with no arguments.

    Returns:
        The object (`default` for None).

    Raises:
        ValueError: when the resolved object is not callable.
    """
    if identifier is None:
        return default
    if isinstance(identifier, dict):
        obj = deserialize(identifier, module_objects) if from_config is None else from_config(identifier)
    elif isinstance(identifier, str):
        obj = module_objects.get(identifier, None) if from_name is None else from_name(identifier)
    else:
        obj = identifier if from_value is None else from_value(identifier)

    if callable(obj):
        if instantiate_classes and inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}")


__all__ = ["deserialize", "get", "objects_by_name", "serialize"]
