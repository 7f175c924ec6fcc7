"""``lamina.losses``: Keras 3's losses (classes, function forms, get/serialize/deserialize).

A loss class (``MeanSquaredError()``...) is called as ``loss(y_true, y_pred, sample_weight=None)``
and returns the reduced loss (by default the mean over every element); a function form
(``mean_squared_error``...) returns the per-sample losses. Losses are addressable by name
wherever Keras accepts one: class names give instances, function names and Keras' short
aliases (``"mse"``, ``"mae"``, ``"kld"``...) give functions.

Example:

>>> loss = lamina.losses.get("CategoricalCrossentropy")
>>> loss([[0.0, 1.0]], [[0.2, 0.8]])
tensor(0.22314353, shape=(), dtype=float32)
>>> lamina.losses.get("mse") is lamina.losses.mean_squared_error
True
"""

import difflib
import inspect

from lamina.losses.loss import Loss
from lamina.losses.losses import CTC
from lamina.losses.losses import BinaryCrossentropy
from lamina.losses.losses import BinaryFocalCrossentropy
from lamina.losses.losses import CategoricalCrossentropy
from lamina.losses.losses import CategoricalFocalCrossentropy
from lamina.losses.losses import CategoricalGeneralizedCrossEntropy
from lamina.losses.losses import CategoricalHinge
from lamina.losses.losses import Circle
from lamina.losses.losses import CosineSimilarity
from lamina.losses.losses import Dice
from lamina.losses.losses import Hinge
from lamina.losses.losses import Huber
from lamina.losses.losses import KLDivergence
from lamina.losses.losses import LogCosh
from lamina.losses.losses import LossFunctionWrapper
from lamina.losses.losses import MeanAbsoluteError
from lamina.losses.losses import MeanAbsolutePercentageError
from lamina.losses.losses import MeanSquaredError
from lamina.losses.losses import MeanSquaredLogarithmicError
from lamina.losses.losses import Poisson
from lamina.losses.losses import SparseCategoricalCrossentropy
from lamina.losses.losses import SquaredHinge
from lamina.losses.losses import Tversky
from lamina.losses.losses import BCE
from lamina.losses.losses import KLD
from lamina.losses.losses import MAE
from lamina.losses.losses import MAPE
from lamina.losses.losses import MSE
from lamina.losses.losses import MSLE
from lamina.losses.losses import bce
from lamina.losses.losses import binary_crossentropy
from lamina.losses.losses import binary_focal_crossentropy
from lamina.losses.losses import categorical_crossentropy
from lamina.losses.losses import categorical_focal_crossentropy
from lamina.losses.losses import categorical_generalized_cross_entropy
from lamina.losses.losses import categorical_hinge
from lamina.losses.losses import circle
from lamina.losses.losses import cosine_similarity
from lamina.losses.losses import ctc
from lamina.losses.losses import dice
from lamina.losses.losses import hinge
from lamina.losses.losses import huber
from lamina.losses.losses import kl_divergence
from lamina.losses.losses import kld
from lamina.losses.losses import kullback_leibler_divergence
from lamina.losses.losses import log_cosh
from lamina.losses.losses import logcosh
from lamina.losses.losses import mae
from lamina.losses.losses import mape
from lamina.losses.losses import mean_absolute_error
from lamina.losses.losses import mean_absolute_percentage_error
from lamina.losses.losses import mean_squared_error
from lamina.losses.losses import mean_squared_logarithmic_error
from lamina.losses.losses import mse
from lamina.losses.losses import msle
from lamina.losses.losses import poisson
from lamina.losses.losses import sparse_categorical_crossentropy
from lamina.losses.losses import squared_hinge
from lamina.losses.losses import tversky

ALL_OBJECTS = {
    # Base
    Loss,
    LossFunctionWrapper,
    # Probabilistic
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    SparseCategoricalCrossentropy,
    # Regression
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    # Hinge
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    # Image segmentation
    Dice,
    Tversky,
    # Similarity
    Circle,
    # Sequence
    CTC,
    # Function forms
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    dice,
    tversky,
    circle,
    ctc,
}

# Classes by class name (they are instantiated by `get`), functions by function name, then
# Keras' short aliases (the same function objects).
ALL_OBJECTS_DICT = {obj.__name__: obj for obj in ALL_OBJECTS}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "kullback_leibler_divergence": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "logcosh": log_cosh,
    }
)


def _unknown_name_error(name, identifier):
    """The ValueError for a name that is no loss, suggesting the closest known names."""
    matches = difflib.get_close_matches(name, sorted(ALL_OBJECTS_DICT), n=3)
    hint = f" Did you mean: {', '.join(repr(m) for m in matches)}?" if matches else ""
    return ValueError(f"Could not interpret loss identifier: {identifier}.{hint}")


def serialize(loss):
    """Serializes a loss function or `Loss` instance.

    Args:
        loss: A lamina `Loss` instance or a loss function.

    Returns:
        The loss configuration: a dict in Keras 3's format (functions become
        ``{"module": "builtins", "class_name": "function", "config": name, ...}``).

    Example:

    >>> lamina.losses.serialize(lamina.losses.Huber())["config"]
    {'name': 'huber_loss', 'reduction': 'sum_over_batch_size'}
    """
    from lamina.saving import serialization_lib

    return serialization_lib.serialize_keras_object(loss)


def deserialize(name, custom_objects=None):
    """Deserializes a serialized loss class/function instance.

    Args:
        name: The loss configuration: a dict made by `serialize`, or the name of a built-in
            loss class or function.
        custom_objects: Optional dictionary mapping names (strings) to custom objects (classes
            and functions) to be considered during deserialization.

    Returns:
        A lamina `Loss` instance or a loss function. As in Keras 3, a string that names no
        known object is returned unchanged (`get` rejects it).
    """
    from lamina.saving import serialization_lib

    return serialization_lib.deserialize_keras_object(
        name, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )


def get(identifier):
    """Retrieves a lamina loss as a function or `Loss` instance.

    Args:
        identifier: A loss identifier: `None`, the name of a loss function or class (classes
            are instantiated with their defaults), a config dict (``{"class_name": ...,
            "config": ...}``), a loss function, a `Loss` class or instance.

    Returns:
        The loss function or `Loss` instance (`None` for `None`).

    Raises:
        ValueError: if `identifier` cannot be interpreted; for an unknown name the message
            suggests the closest known names.

    Example:

    >>> type(lamina.losses.get("categorical_crossentropy")).__name__
    'function'
    >>> lamina.losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}}).from_logits
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
        if isinstance(obj, str):
            raise _unknown_name_error(obj, identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
        if obj is None:
            raise _unknown_name_error(identifier, identifier)
    else:
        obj = identifier

    if callable(obj):
        if inspect.isclass(obj):
            obj = obj()
        return obj
    raise ValueError(f"Could not interpret loss identifier: {identifier}")


__all__ = [
    "BCE", "BinaryCrossentropy", "BinaryFocalCrossentropy", "CTC", "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy", "CategoricalGeneralizedCrossEntropy", "CategoricalHinge", "Circle",
    "CosineSimilarity", "Dice", "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MAE", "MAPE", "MSE", "MSLE", "MeanAbsoluteError", "MeanAbsolutePercentageError",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson", "SparseCategoricalCrossentropy",
    "SquaredHinge", "Tversky", "bce", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_crossentropy", "categorical_focal_crossentropy", "categorical_generalized_cross_entropy",
    "categorical_hinge", "circle", "cosine_similarity", "ctc", "deserialize", "dice", "get", "hinge", "huber",
    "kl_divergence", "kld", "kullback_leibler_divergence", "log_cosh", "logcosh", "mae", "mape",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "mse", "msle", "poisson", "serialize", "sparse_categorical_crossentropy",
    "squared_hinge", "tversky",
]
