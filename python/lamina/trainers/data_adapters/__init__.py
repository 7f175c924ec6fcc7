"""Data adapters: every kind of input ``fit``/``evaluate``/``predict`` accept, adapted to one
stream of batches (Keras 3's ``keras.src.trainers.data_adapters``)."""

import types
import warnings

from lamina.trainers.data_adapters import array_data_adapter
from lamina.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from lamina.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from lamina.utils.py_dataset import PyDataset


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None):
    """The adapter for input `x` (and `y`, `sample_weight`).

    Args:
        x: A ``DataAdapter`` (used as is); arrays/tensors or nested lists/tuples/dicts of them;
            a ``lamina.utils.PyDataset``; or a Python generator.
        y: Targets (array inputs only).
        sample_weight: Sample weights (array inputs only).
        batch_size: Samples per batch (array inputs only).
        steps_per_epoch: Steps per pass (used to derive `batch_size` for arrays).
        shuffle: False, True or "batch".
        class_weight: A dict mapping class indices to weights.

    Returns:
        A ``DataAdapter``.

    Raises:
        ValueError: for an unrecognized input type, or arguments the input type does not take.
    """
    if isinstance(x, DataAdapter):
        return x
    if array_data_adapter.can_convert_arrays((x, y, sample_weight)):
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, class_weight=class_weight,
                                shuffle=shuffle, batch_size=batch_size, steps=steps_per_epoch)
    if isinstance(x, PyDataset):
        if y is not None:
            raise_unsupported_arg("y", "the targets", "PyDataset")
        if sample_weight is not None:
            raise_unsupported_arg("sample_weights", "the sample weights", "PyDataset")
        if shuffle and getattr(x, "num_batches", None) is None:
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was provided "
                "as an infinite PyDataset. The PyDataset is expected to already be shuffled.",
                stacklevel=2,
            )
        return PyDatasetAdapter(x, class_weight=class_weight, shuffle=shuffle)
    if isinstance(x, types.GeneratorType):
        if y is not None:
            raise_unsupported_arg("y", "the targets", "generator")
        if sample_weight is not None:
            raise_unsupported_arg("sample_weights", "the sample weights", "generator")
        if class_weight is not None:
            raise ValueError(
                "Argument `class_weight` is not supported for Python generator inputs. "
                f"Received: class_weight={class_weight}"
            )
        if shuffle:
            warnings.warn(
                "`shuffle=True` was passed, but will be ignored since the data `x` was provided "
                "as a generator. The generator is expected to yield already-shuffled data.",
                stacklevel=2,
            )
        return GeneratorDataAdapter(x)
    raise ValueError(f"Unrecognized data type: x={x} (of type {type(x)})")


def raise_unsupported_arg(arg_name, arg_description, input_type):
    """Raises the ValueError for an argument that input type `input_type` does not take."""
    raise ValueError(
        f"When providing `x` as a {input_type}, `{arg_name}` should not be passed. Instead, "
        f"{arg_description} should be included as part of the {input_type}."
    )


__all__ = [
    "ArrayDataAdapter", "DataAdapter", "GeneratorDataAdapter", "PyDatasetAdapter",
    "get_data_adapter", "raise_unsupported_arg",
]
