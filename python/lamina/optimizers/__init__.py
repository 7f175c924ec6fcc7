"""lamina.optimizers: Keras 3's optimizers; update steps run as fused Rust kernels.

The built-in optimizers (`SGD`, `Adam`, `AdamW`, `RMSprop`, `Adagrad`, `Adadelta`, `Adamax`,
`Nadam`, `Lion`, `Ftrl`) update every variable of a step in one engine call;
`LossScaleOptimizer` wraps any of them with dynamic loss scaling, and
`lamina.optimizers.schedules` holds the learning-rate schedules.

Example:

>>> opt = lamina.optimizers.get("adam")
>>> opt = lamina.optimizers.Adam(learning_rate=1e-3)
>>> var = lamina.Variable([1.0, 2.0])
>>> opt.apply([lamina.ops.convert_to_tensor([0.1, 0.1])], [var])
"""

import difflib

from lamina.optimizers import schedules
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.adamw import AdamW
from lamina.optimizers.ftrl import Ftrl
from lamina.optimizers.lion import Lion
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.optimizer import Optimizer
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD
from lamina.saving import serialization_lib

ALL_OBJECTS = {
    Optimizer, Adam, SGD, RMSprop, Adadelta, AdamW, Adagrad, Adamax, Nadam, Ftrl, Lion, LossScaleOptimizer,
}
# Keras resolves optimizer names case-insensitively: "adam", "Adam", "RMSprop", "rmsprop".
ALL_OBJECTS_DICT = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer):
    """Returns the optimizer configuration as a Python dict (Keras 3's format).

    Args:
        optimizer: An `Optimizer` instance to serialize.

    Returns:
        A dict with ``module``, ``class_name``, ``config`` and ``registered_name``.
    """
    return serialization_lib.serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    """Returns an optimizer from its configuration.

    Args:
        config: An optimizer configuration dict (the output of `serialize`); the class name of a
            built-in optimizer is matched case-insensitively.
        custom_objects: Optional dict mapping names to custom classes.

    Returns:
        An optimizer instance.
    """
    if isinstance(config, dict) and isinstance(config.get("class_name"), str):
        if config["class_name"].lower() in ALL_OBJECTS_DICT:
            config = dict(config)
            config["class_name"] = config["class_name"].lower()
    return serialization_lib.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


def get(identifier):
    """Retrieves an optimizer instance.

    Args:
        identifier: One of: None (returns None); the name of an optimizer (``"adam"``,
            ``"SGD"``, ``"rmsprop"``, ...; created with its default arguments); a configuration
            dict; or an optimizer instance (returned unchanged).

    Returns:
        An optimizer instance.

    Raises:
        ValueError: if `identifier` cannot be interpreted (an unknown name lists the closest
            known names).

    Example:

    >>> lamina.optimizers.get("adam").learning_rate.numpy()
    array(0.001, dtype=float32)
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = deserialize({"class_name": identifier, "config": {}})
    else:
        obj = identifier
    if isinstance(obj, Optimizer):
        return obj
    message = f"Could not interpret optimizer identifier: {identifier}"
    if isinstance(identifier, str):
        close = difflib.get_close_matches(identifier.lower(), sorted(ALL_OBJECTS_DICT), n=3, cutoff=0.5)
        if close:
            message += f". Did you mean one of: {close}?"
        else:
            message += f". Known optimizers: {sorted(ALL_OBJECTS_DICT)}"
    raise ValueError(message)


__all__ = [
    "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl", "Lion", "LossScaleOptimizer", "Nadam", "Optimizer",
    "RMSprop", "SGD", "deserialize", "get", "schedules", "serialize",
]
