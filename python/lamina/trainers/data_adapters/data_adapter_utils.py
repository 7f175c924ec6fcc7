"""Helpers shared by the data adapters and the Trainer: packing and unpacking
``(x, y, sample_weight)``, cardinality checks, class weights and batch conversion (Keras 3's
``keras.src.trainers.data_adapters.data_adapter_utils``)."""

import numpy as np

from lamina import tree
from lamina._lamina import Tensor
from lamina._lamina import convert_to_tensor
from lamina.backend import config as backend_config
from lamina.backend.variables import Variable


def unpack_x_y_sample_weight(data):
    """Unpacks user-provided data: ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Use it in an overridden ``train_step``/``test_step``/``predict_step`` to accept all three
    forms. A list is treated as a tuple; anything else is ``x`` alone.

    Args:
        data: A tuple of the form ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    Returns:
        ``(x, y, sample_weight)``, with ``None`` for what `data` does not hold.

    Example:

    >>> x, y, sample_weight = unpack_x_y_sample_weight((lamina.ops.ones((2, 3)), lamina.ops.zeros((2,))))
    >>> sample_weight is None
    True
    """
    if type(data) is tuple:
        n = len(data)
    elif isinstance(data, list):
        data = tuple(data)
        n = len(data)
    elif isinstance(data, tuple):
        n = len(data)
    else:
        return (data, None, None)
    if n == 2:
        return (data[0], data[1], None)
    if n == 1:
        return (data[0], None, None)
    if n == 3:
        return (data[0], data[1], data[2])
    raise ValueError(
        "Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
        f"found: {data}"
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs user-provided data into the tuple format that ``fit()`` uses.

    Args:
        x: Features to pass to the model.
        y: Ground-truth targets.
        sample_weight: Sample weight for each element.

    Returns:
        `x` alone when `y` is None and `x` is not a tuple/list (``(x,)`` when it is),
        ``(x, y)`` when `sample_weight` is None, else ``(x, y, sample_weight)``.

    Example:

    >>> x = lamina.ops.ones((10, 1))
    >>> isinstance(pack_x_y_sample_weight(x, x), tuple)
    True
    """
    if y is None:
        if not isinstance(x, (tuple, list)):
            return x
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def list_to_tuple(maybe_list):
    """A list becomes a tuple; anything else is returned as is."""
    if isinstance(maybe_list, list):
        return tuple(maybe_list)
    return maybe_list


def check_data_cardinality(data):
    """Raises ValueError when the arrays in `data` (``x``, ``(x, y)`` or
    ``(x, y, sample_weight)``) do not all have the same number of samples."""
    num_samples = set(int(i.shape[0]) for i in tree.flatten(data) if i is not None)
    if len(num_samples) > 1:
        msg = (
            "Data cardinality is ambiguous. Make sure all arrays contain the same number of "
            "samples.\n"
        )
        parts = data if isinstance(data, tuple) else (data,)
        for label, single_data in zip(["x", "y", "sample_weight"], parts):
            sizes = ", ".join(str(i.shape[0]) for i in tree.flatten(single_data) if i is not None)
            msg += f"'{label}' sizes: {sizes}\n"
        raise ValueError(msg)


def class_weight_to_sample_weights(y, class_weight):
    """Per-sample weights (a float array of length ``len(y)``) from a `class_weight` dict.

    The class of a sample is its label (integer labels, shape ``(n,)`` or ``(n, 1)``) or the
    argmax of its one-hot row (shape ``(n, num_classes)``); classes missing from
    `class_weight` get weight 1.

    Args:
        y: The targets (numpy array or tensor).
        class_weight: A dict mapping class indices (integers) to weights (floats).

    Returns:
        A numpy array of shape ``(len(y),)`` and dtype floatx.
    """
    if not isinstance(class_weight, dict):
        raise ValueError(
            "Expected `class_weight` to be a dict mapping class indices (integers) to weights "
            f"(floats). Received: class_weight={class_weight!r}"
        )
    if y is None:
        raise ValueError(
            "`class_weight` requires targets `y`, since the class of each sample is read from "
            "its target. Received: y=None"
        )
    labels = np.asarray(y)
    if labels.ndim == 0:
        raise ValueError(
            "`class_weight` requires targets with a batch dimension. "
            f"Received targets of shape {labels.shape}"
        )
    if labels.ndim > 1:
        if labels.shape[-1] != 1:
            labels = np.argmax(labels, axis=-1)
        else:
            labels = np.squeeze(labels, axis=-1)
    labels = np.round(labels).astype("int64")
    if labels.ndim > 1:
        labels = labels.reshape(labels.shape[0], -1)[:, 0]
    weights = np.ones(labels.shape[0], dtype=backend_config.floatx())
    for cls, weight in class_weight.items():
        weights[labels == int(cls)] = weight
    return weights


def _array_of(x):
    """A numpy array for one leaf of a batch (floats other than floatx become floatx)."""
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    if arr.dtype.kind == "f" and arr.dtype.name != backend_config.floatx():
        arr = arr.astype(backend_config.floatx())
    return arr


def to_numpy_batch(batch):
    """Converts every leaf of a batch to a numpy array (floats as floatx)."""
    if isinstance(batch, np.ndarray):
        return _array_of(batch)
    if isinstance(batch, (tuple, list, dict)):
        return tree.map_structure(lambda v: None if v is None else _array_of(v), batch)
    return _array_of(batch)


def _tensor_of(x, floatx):
    t = type(x)
    if t is Tensor or x is None:
        return x
    if t is np.ndarray:
        if x.dtype.kind == "f" and x.dtype != floatx:
            x = x.astype(floatx)
        return convert_to_tensor(x)
    if t is tuple or t is list:
        return t([_tensor_of(v, floatx) for v in x])
    if isinstance(x, Variable):
        return x.value
    if isinstance(x, dict):
        return type(x)((k, _tensor_of(v, floatx)) for k, v in x.items())
    if isinstance(x, (tuple, list)):
        return tree.map_structure(lambda v: _tensor_of(v, floatx), x)
    if isinstance(x, Tensor):
        return x
    arr = np.asarray(x)
    if arr.dtype.kind == "f" and arr.dtype != floatx:
        arr = arr.astype(floatx)
    return convert_to_tensor(arr)


def to_tensor_batch(batch):
    """Converts a batch (a nested structure of arrays) to lamina Tensors, keeping its
    structure; None stays None. Float arrays other than floatx become floatx."""
    return _tensor_of(batch, np.dtype(backend_config.floatx()))


__all__ = [
    "check_data_cardinality", "class_weight_to_sample_weights", "list_to_tuple",
    "pack_x_y_sample_weight", "to_numpy_batch", "to_tensor_batch", "unpack_x_y_sample_weight",
]
