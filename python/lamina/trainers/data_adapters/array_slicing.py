"""Array inputs: which leaves can be sliced along the batch axis, their conversion to numpy and
the ``validation_split`` of ``fit`` (Keras 3's ``keras.src.trainers.data_adapters.array_slicing``)."""

import math

import numpy as np

from lamina import tree
from lamina._lamina import Tensor
from lamina.backend.variables import Variable
from lamina.trainers.data_adapters import data_adapter_utils


def can_slice_array(x):
    """Whether `x` is an array-like leaf (or None) that array inputs may hold: a numpy array, a
    lamina Tensor or Variable, or any object with ``__array__``."""
    return (
        x is None
        or isinstance(x, (np.ndarray, Tensor, Variable))
        or hasattr(x, "__array__")
    )


def can_convert_arrays(arrays):
    """Whether every leaf of `arrays` (a nested structure) is array-like or None."""
    return all(can_slice_array(leaf) for leaf in tree.flatten(arrays))


def convert_to_arrays(arrays):
    """The structure `arrays` with each leaf as a numpy array (floats other than floatx cast
    to floatx, once, up front), None leaves kept."""

    def convert(x):
        if x is None:
            return None
        arr = data_adapter_utils.to_numpy_batch(x)
        if arr.ndim == 0:
            raise ValueError(
                "Expected array inputs to have a batch dimension (rank >= 1). Received a "
                f"scalar: {x!r}"
            )
        return arr

    return tree.map_structure(convert, arrays)


def train_validation_split(arrays, validation_split):
    """Splits array inputs into training and validation parts: the last `validation_split`
    fraction of the samples (before any shuffling) is the validation part.

    Args:
        arrays: A nested structure of arrays (and Nones), e.g. ``(x, y, sample_weight)``.
        validation_split: A float between 0 and 1.

    Returns:
        ``(train_arrays, validation_arrays)``, each with the structure of `arrays`.

    Example:

    >>> x = np.arange(10)
    >>> (train,), (val,) = train_validation_split((x,), 0.2)
    >>> val
    array([8, 9])
    """
    flat_arrays = tree.flatten(arrays)
    unsplitable = [type(t) for t in flat_arrays if not can_slice_array(t)]
    if unsplitable:
        raise ValueError(
            "Argument `validation_split` is only supported for tensors or NumPy arrays. "
            f"Found incompatible type in the input: {unsplitable}"
        )
    if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
        raise ValueError(
            "Argument `validation_split` must be a float between 0 and 1. "
            f"Received: validation_split={validation_split!r}"
        )
    if all(t is None for t in flat_arrays):
        return arrays, arrays
    data_adapter_utils.check_data_cardinality(arrays)
    first = next(t for t in flat_arrays if t is not None)
    batch_dim = int(first.shape[0])
    split_at = int(math.floor(batch_dim * (1.0 - validation_split)))
    if split_at == 0 or split_at == batch_dim:
        raise ValueError(
            f"Training data contains {batch_dim} samples, which is not sufficient to split it "
            "into a validation and training set as specified by "
            f"`validation_split={validation_split}`. Either provide more data, or a different "
            "value for the `validation_split` argument."
        )
    arrays = convert_to_arrays(arrays)
    train = tree.map_structure(lambda t: None if t is None else t[:split_at], arrays)
    val = tree.map_structure(lambda t: None if t is None else t[split_at:batch_dim], arrays)
    return train, val


__all__ = ["can_convert_arrays", "can_slice_array", "convert_to_arrays", "train_validation_split"]
