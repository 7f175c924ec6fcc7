"""``lamina.metrics``: stateful metrics (Keras 3's ``keras.metrics``), their function forms,
and `get`/`serialize`/`deserialize`.

A metric accumulates statistics over batches in non-trainable variables (``update_state``),
computes its value from them (``result``) and starts over with ``reset_state``.

Example:

>>> m = lamina.metrics.get("accuracy")
>>> m.update_state([1, 2, 3, 4], [1, 2, 0, 4])
>>> float(m.result())
0.75
>>> lamina.metrics.serialize(m)["class_name"]
'Accuracy'
"""

import difflib

from lamina.backend.naming import to_snake_case
# The loss functions Keras 3 also lists under ``keras.metrics``.
from lamina.losses.losses import binary_crossentropy
from lamina.losses.losses import binary_focal_crossentropy
from lamina.losses.losses import categorical_crossentropy
from lamina.losses.losses import categorical_focal_crossentropy
from lamina.losses.losses import categorical_hinge
from lamina.losses.losses import hinge
from lamina.losses.losses import huber
from lamina.losses.losses import kl_divergence
from lamina.losses.losses import log_cosh
from lamina.losses.losses import mean_absolute_error
from lamina.losses.losses import mean_absolute_percentage_error
from lamina.losses.losses import mean_squared_error
from lamina.losses.losses import mean_squared_logarithmic_error
from lamina.losses.losses import poisson
from lamina.losses.losses import sparse_categorical_crossentropy
from lamina.losses.losses import squared_hinge
from lamina.metrics.accuracy_metrics import Accuracy
from lamina.metrics.accuracy_metrics import BinaryAccuracy
from lamina.metrics.accuracy_metrics import CategoricalAccuracy
from lamina.metrics.accuracy_metrics import SparseCategoricalAccuracy
from lamina.metrics.accuracy_metrics import SparseTopKCategoricalAccuracy
from lamina.metrics.accuracy_metrics import TopKCategoricalAccuracy
from lamina.metrics.accuracy_metrics import binary_accuracy
from lamina.metrics.accuracy_metrics import categorical_accuracy
from lamina.metrics.accuracy_metrics import sparse_categorical_accuracy
from lamina.metrics.accuracy_metrics import sparse_top_k_categorical_accuracy
from lamina.metrics.accuracy_metrics import top_k_categorical_accuracy
from lamina.metrics.confusion_metrics import AUC
from lamina.metrics.confusion_metrics import FalseNegatives
from lamina.metrics.confusion_metrics import FalsePositives
from lamina.metrics.confusion_metrics import Precision
from lamina.metrics.confusion_metrics import PrecisionAtRecall
from lamina.metrics.confusion_metrics import Recall
from lamina.metrics.confusion_metrics import RecallAtPrecision
from lamina.metrics.confusion_metrics import SensitivityAtSpecificity
from lamina.metrics.confusion_metrics import SpecificityAtSensitivity
from lamina.metrics.confusion_metrics import TrueNegatives
from lamina.metrics.confusion_metrics import TruePositives
from lamina.metrics.correlation_metrics import ConcordanceCorrelation
from lamina.metrics.correlation_metrics import PearsonCorrelation
from lamina.metrics.correlation_metrics import concordance_correlation
from lamina.metrics.correlation_metrics import pearson_correlation
from lamina.metrics.f_score_metrics import F1Score
from lamina.metrics.f_score_metrics import FBetaScore
from lamina.metrics.hinge_metrics import CategoricalHinge
from lamina.metrics.hinge_metrics import Hinge
from lamina.metrics.hinge_metrics import SquaredHinge
from lamina.metrics.iou_metrics import BinaryIoU
from lamina.metrics.iou_metrics import IoU
from lamina.metrics.iou_metrics import MeanIoU
from lamina.metrics.iou_metrics import OneHotIoU
from lamina.metrics.iou_metrics import OneHotMeanIoU
from lamina.metrics.metric import Metric
from lamina.metrics.probabilistic_metrics import BinaryCrossentropy
from lamina.metrics.probabilistic_metrics import CategoricalCrossentropy
from lamina.metrics.probabilistic_metrics import KLDivergence
from lamina.metrics.probabilistic_metrics import Poisson
from lamina.metrics.probabilistic_metrics import SparseCategoricalCrossentropy
from lamina.metrics.reduction_metrics import Mean
from lamina.metrics.reduction_metrics import MeanMetricWrapper
from lamina.metrics.reduction_metrics import Sum
from lamina.metrics.regression_metrics import CosineSimilarity
from lamina.metrics.regression_metrics import LogCoshError
from lamina.metrics.regression_metrics import MeanAbsoluteError
from lamina.metrics.regression_metrics import MeanAbsolutePercentageError
from lamina.metrics.regression_metrics import MeanSquaredError
from lamina.metrics.regression_metrics import MeanSquaredLogarithmicError
from lamina.metrics.regression_metrics import R2Score
from lamina.metrics.regression_metrics import RootMeanSquaredError

ALL_OBJECTS = {
    # Base
    Metric, Mean, Sum, MeanMetricWrapper,
    # Regression
    MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, R2Score,
    # Classification
    AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
    RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
    TruePositives,
    # Correlation
    ConcordanceCorrelation, PearsonCorrelation,
    # Hinge
    Hinge, SquaredHinge, CategoricalHinge,
    # Probabilistic
    KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    # Accuracy
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    # F-Score
    F1Score, FBetaScore,
    # IoU
    IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU,
}

# The metric functions of ``lamina.metrics`` (the loss functions Keras lists there, the
# accuracy and correlation functions). A name that is also the snake_case name of a class
# (``"binary_crossentropy"``, ``"hinge"``, ``"pearson_correlation"``...) means the class, as in
# Keras; the others (``"huber"``, ``"log_cosh"``, ``"binary_focal_crossentropy"``,
# ``"categorical_focal_crossentropy"``) mean the function.
ALL_FUNCTIONS = (
    binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
    categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge,
    binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, pearson_correlation,
    concordance_correlation,
)

_FUNCTIONS_BY_NAME = {fn.__name__: fn for fn in ALL_FUNCTIONS}


def _objects_dict():
    by_name = dict(_FUNCTIONS_BY_NAME)
    classes = sorted(ALL_OBJECTS, key=lambda cls: cls.__name__)
    by_name.update({cls.__name__: cls for cls in classes})
    by_name.update({to_snake_case(cls.__name__): cls for cls in classes})
    by_name.update({
        "acc": Accuracy,
        "ACC": Accuracy,
        "bce": BinaryCrossentropy,
        "BCE": BinaryCrossentropy,
        "mse": MeanSquaredError,
        "MSE": MeanSquaredError,
        "mae": MeanAbsoluteError,
        "MAE": MeanAbsoluteError,
        "mape": MeanAbsolutePercentageError,
        "MAPE": MeanAbsolutePercentageError,
        "msle": MeanSquaredLogarithmicError,
        "MSLE": MeanSquaredLogarithmicError,
    })
    return by_name


# Each class under its name and its snake_case name, Keras' short aliases, and the metric
# functions whose names no class takes.
ALL_OBJECTS_DICT = _objects_dict()


def serialize(metric):
    """Serializes a metric function or `Metric` instance.

    Args:
        metric: A lamina `Metric` instance or a metric function.

    Returns:
        The metric's configuration dict (Keras 3's format).

    Example:

    >>> lamina.metrics.serialize(lamina.metrics.BinaryAccuracy(threshold=0.7))["config"]
    {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.7}
    """
    from lamina.saving import family

    return family.serialize(metric)


def deserialize(config, custom_objects=None):
    """Deserializes a serialized metric class/function instance.

    Args:
        config: A metric's configuration dict (as made by `serialize`), or a name.
        custom_objects: Optional dictionary mapping names (strings) to custom objects
            (classes and functions) to be considered during deserialization.

    Returns:
        A lamina `Metric` instance or a metric function. The config of a function (class name
        ``"function"``) gives the function itself, even when a metric class has the same
        snake_case name (``binary_crossentropy``).

    Example:

    >>> lamina.metrics.deserialize("bce").name
    'binary_crossentropy'
    >>> lamina.metrics.deserialize(lamina.metrics.serialize(lamina.metrics.hinge)).__name__
    'hinge'
    """
    from lamina.saving import family
    from lamina.saving import serialization_lib

    if isinstance(config, dict) and config.get("class_name") == "function":
        name = config.get("config")
        custom = custom_objects or {}
        if config.get("module") == "builtins" and name in _FUNCTIONS_BY_NAME \
                and name not in custom:
            return _FUNCTIONS_BY_NAME[name]
        return serialization_lib.deserialize_keras_object(config, custom_objects=custom_objects)
    return family.deserialize(config, ALL_OBJECTS_DICT, custom_objects)


def _from_name(identifier):
    obj = ALL_OBJECTS_DICT.get(identifier)
    if obj is None:
        close = difflib.get_close_matches(identifier, list(ALL_OBJECTS_DICT), n=3, cutoff=0.6)
        hint = f" Did you mean one of: {close}?" if close else ""
        raise ValueError(f"Could not interpret metric identifier: {identifier}.{hint}")
    return obj


def get(identifier):
    """Retrieves a lamina metric as a function or `Metric` instance.

    Args:
        identifier: A metric identifier: `None`; the name of a metric class in either case
            style (``"BinaryAccuracy"``, ``"binary_accuracy"``, ``"binary_crossentropy"``) or
            one of the aliases ``"acc"``, ``"bce"``, ``"mse"``, ``"mae"``, ``"mape"``,
            ``"msle"`` (an instance with default arguments is returned); the name of a metric
            function no class takes (``"huber"``, ``"log_cosh"``,
            ``"binary_focal_crossentropy"``, ``"categorical_focal_crossentropy"``: the
            function is returned); a config dict made by `serialize`; a `Metric` class
            (instantiated) or instance; or a metric function (returned as is — compile wraps
            functions in `MeanMetricWrapper`).

    Returns:
        A `Metric` instance or a metric function (None for None).

    Raises:
        ValueError: if `identifier` cannot be interpreted (an unknown name lists the closest
            known names).

    Example:

    >>> type(lamina.metrics.get("mse")).__name__
    'MeanSquaredError'
    >>> lamina.metrics.get({"class_name": "BinaryAccuracy", "config": {"threshold": 0.3}}).threshold
    0.3
    """
    from lamina.saving import family

    return family.get(identifier, "metric", ALL_OBJECTS_DICT, from_config=deserialize,
                      from_name=_from_name)


__all__ = [
    "ALL_OBJECTS", "ALL_OBJECTS_DICT", "AUC", "Accuracy", "BinaryAccuracy",
    "BinaryCrossentropy", "BinaryIoU", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "F1Score", "FBetaScore",
    "FalseNegatives", "FalsePositives", "Hinge", "IoU", "KLDivergence", "LogCoshError", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper",
    "MeanSquaredError", "MeanSquaredLogarithmicError", "Metric", "OneHotIoU", "OneHotMeanIoU",
    "PearsonCorrelation", "Poisson", "Precision", "PrecisionAtRecall", "R2Score", "Recall",
    "RecallAtPrecision", "RootMeanSquaredError", "SensitivityAtSpecificity",
    "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
    "SpecificityAtSensitivity", "SquaredHinge", "Sum", "TopKCategoricalAccuracy", "TrueNegatives",
    "TruePositives", "binary_accuracy", "binary_crossentropy", "binary_focal_crossentropy",
    "categorical_accuracy", "categorical_crossentropy", "categorical_focal_crossentropy",
    "categorical_hinge", "concordance_correlation", "deserialize", "get", "hinge", "huber",
    "kl_divergence", "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_error", "mean_squared_logarithmic_error", "pearson_correlation", "poisson",
    "serialize", "sparse_categorical_accuracy", "sparse_categorical_crossentropy",
    "sparse_top_k_categorical_accuracy", "squared_hinge", "top_k_categorical_accuracy",
]
