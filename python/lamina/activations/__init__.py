"""``lamina.activations``: Keras 3's built-in activation functions, with `get`, `serialize` and
`deserialize`.

Every built-in is addressable by its name (``"relu"``, ``"gelu"``...; ``"swish"`` and
``"hard_swish"`` are aliases of `silu` and `hard_silu`), so layers accept
``activation="relu"`` exactly as in Keras.

Example:

>>> act = lamina.activations.get("relu")
>>> act(lamina.ops.convert_to_tensor([-1.0, 2.0]))
tensor([0., 2.], shape=(2,), dtype=float32)
>>> lamina.activations.serialize(act)
'relu'
"""

from lamina.activations.activations import celu
from lamina.activations.activations import elu
from lamina.activations.activations import exponential
from lamina.activations.activations import gelu
from lamina.activations.activations import glu
from lamina.activations.activations import hard_shrink
from lamina.activations.activations import hard_sigmoid
from lamina.activations.activations import hard_silu
from lamina.activations.activations import hard_swish
from lamina.activations.activations import hard_tanh
from lamina.activations.activations import leaky_relu
from lamina.activations.activations import linear
from lamina.activations.activations import log_sigmoid
from lamina.activations.activations import log_softmax
from lamina.activations.activations import mish
from lamina.activations.activations import relu
from lamina.activations.activations import relu6
from lamina.activations.activations import selu
from lamina.activations.activations import sigmoid
from lamina.activations.activations import silu
from lamina.activations.activations import soft_shrink
from lamina.activations.activations import softmax
from lamina.activations.activations import softplus
from lamina.activations.activations import softsign
from lamina.activations.activations import sparse_plus
from lamina.activations.activations import sparse_sigmoid
from lamina.activations.activations import sparsemax
from lamina.activations.activations import squareplus
from lamina.activations.activations import swish
from lamina.activations.activations import tanh
from lamina.activations.activations import tanh_shrink
from lamina.activations.activations import threshold

ALL_OBJECTS = {
    relu, leaky_relu, relu6, softmax, celu, elu, selu, softplus, softsign, squareplus, soft_shrink,
    sparse_plus, silu, gelu, glu, tanh, tanh_shrink, threshold, sigmoid, sparse_sigmoid,
    exponential, hard_sigmoid, hard_silu, hard_tanh, hard_shrink, linear, mish, log_softmax,
    log_sigmoid, sparsemax,
}

ALL_OBJECTS_DICT = {fn.__name__: fn for fn in ALL_OBJECTS}
# Aliases (the same function objects, so they serialize under the canonical name).
ALL_OBJECTS_DICT["swish"] = silu
ALL_OBJECTS_DICT["hard_swish"] = hard_silu


def _family():
    # Imported on use: `import lamina` must not depend on the saving package.
    from lamina.saving import family

    return family


def _is_builtin(activation):
    try:
        return activation in ALL_OBJECTS
    except TypeError:  # unhashable objects are never built-ins
        return False


def serialize(activation):
    """Returns the serialized form of an activation function.

    Built-in activations serialize to their name (``serialize(relu) == "relu"``,
    ``serialize(swish) == "silu"``); any other function or callable object to the config dict
    of `lamina.saving.serialize_keras_object` (register custom functions with
    `lamina.saving.register_keras_serializable` so they can be found again).

    Args:
        activation: The activation function (or callable object) to serialize.

    Returns:
        A string for built-ins, else a config dict.
    """
    if _is_builtin(activation):
        return activation.__name__
    return _family().serialize(activation)


def deserialize(config, custom_objects=None):
    """Returns a lamina activation function from its serialized form.

    Args:
        config: A built-in activation's name, or a config dict made by `serialize`.
        custom_objects: Optional dict mapping names to custom functions or classes.

    Returns:
        The activation function. A string that names no built-in or custom object is returned
        unchanged, as Keras 3 does (`get` then rejects it).
    """
    return _family().deserialize(config, ALL_OBJECTS_DICT, custom_objects)


def get(identifier):
    """Retrieves a lamina activation function via an identifier.

    Args:
        identifier: `None` (gives `linear`), a built-in's name (``"relu"``), a config dict made by
            `serialize`, or a callable (returned as is).

    Returns:
        The activation function.

    Raises:
        ValueError: if `identifier` cannot be interpreted as an activation function.

    Example:

    >>> lamina.activations.get("softmax") is lamina.activations.softmax
    True
    >>> lamina.activations.get(None) is lamina.activations.linear
    True
    """
    from lamina.saving.serialization_lib import deserialize_keras_object  # on use, as `_family`

    # As in Keras 3, a dict is deserialized without this family's names, and a class is returned
    # as it is (not instantiated).
    return _family().get(
        identifier,
        "activation function",
        ALL_OBJECTS_DICT,
        from_config=deserialize_keras_object,
        default=linear,
        instantiate_classes=False,
    )


__all__ = [
    "celu", "deserialize", "elu", "exponential", "gelu", "get", "glu", "hard_shrink", "hard_sigmoid",
    "hard_silu", "hard_swish", "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish",
    "relu", "relu6", "selu", "serialize", "sigmoid", "silu", "soft_shrink", "softmax", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh",
    "tanh_shrink", "threshold",
]
