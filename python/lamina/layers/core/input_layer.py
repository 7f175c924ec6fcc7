"""``lamina.Input`` and ``lamina.layers.InputLayer``: the entry points of a functional graph."""

import warnings

from lamina.backend.config import standardize_dtype
from lamina.backend.keras_tensor import KerasTensor
from lamina.layers.layer import Layer
from lamina.ops.node import Node


def _standardize_shape(shape, arg):
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if shape is None or isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise ValueError(f"Cannot convert '{shape!r}' to a shape. Received: {arg}={shape!r}")
    out = []
    for d in shape:
        if d is None:
            out.append(None)
            continue
        if isinstance(d, bool) or not hasattr(d, "__index__"):
            raise ValueError(
                f"Cannot convert '{shape!r}' to a shape. Found invalid entry '{d!r}' of type "
                f"'{type(d).__name__}'. Received: {arg}={shape!r}"
            )
        d = int(d)
        if d < 0:
            raise ValueError(
                f"Cannot convert '{shape!r}' to a shape. Negative dimensions are not allowed. "
                f"Received: {arg}={shape!r}"
            )
        out.append(d)
    return tuple(out)


class InputLayer(Layer):
    """The layer behind ``lamina.Input``: it owns the KerasTensor a functional model starts from.

    Args:
        shape: The shape of one sample (without the batch size), e.g. ``(32,)``.
        batch_size: Optional static batch size.
        dtype: The dtype of the input (default: ``floatx()``, "float32").
        sparse: Must be falsy (lamina has no sparse tensors).
        ragged: Must be falsy (lamina has no ragged tensors).
        batch_shape: The full shape, batch size included (instead of `shape`/`batch_size`).
        input_tensor: An existing KerasTensor to use as the layer's output.
        optional: Whether the input may be None when the model is called.
        name: The layer's name (default "input_layer", "input_layer_1", ...).

    Example:

    >>> layer = lamina.layers.InputLayer(shape=(3,))
    >>> layer.output.shape
    (None, 3)
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, ragged=None,
                 batch_shape=None, input_tensor=None, optional=False, name=None, **kwargs):
        super().__init__(name=name)
        if "input_shape" in kwargs:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.",
                          stacklevel=2)
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments passed to InputLayer: {kwargs}")
        if sparse:
            raise ValueError(
                "`sparse=True` is not supported: lamina has no sparse tensors. "
                f"Received: sparse={sparse}"
            )
        if ragged:
            raise ValueError(
                "`ragged=True` is not supported: lamina has no ragged tensors. "
                f"Received: ragged={ragged}"
            )
        if input_tensor is not None:
            if not isinstance(input_tensor, KerasTensor):
                raise ValueError(
                    "Argument `input_tensor` must be a KerasTensor. Received invalid type: "
                    f"input_tensor={input_tensor} (of type {type(input_tensor)})"
                )
            tshape = input_tensor.shape
            if batch_size is not None and (len(tshape) < 1 or tshape[0] != batch_size):
                raise ValueError(
                    "When providing the `input_tensor` argument, you cannot provide an "
                    f"incompatible `batch_size` argument. Received: batch_size={batch_size}, "
                    f"input_tensor.shape={tshape}"
                )
            if shape is not None and _standardize_shape(shape, "shape") != tshape[1:]:
                raise ValueError(
                    "When providing the `input_tensor` argument, you cannot provide an "
                    f"incompatible `shape` argument. Received: shape={shape}, "
                    f"input_tensor.shape={tshape}"
                )
            if batch_shape is not None and _standardize_shape(batch_shape, "batch_shape") != tshape:
                raise ValueError(
                    "When providing the `input_tensor` argument, you cannot provide an "
                    f"incompatible `batch_shape` argument. Received: batch_shape={batch_shape}, "
                    f"input_tensor.shape={tshape}"
                )
            if dtype is not None and standardize_dtype(dtype) != input_tensor.dtype:
                raise ValueError(
                    "When providing the `input_tensor` argument, you cannot provide an "
                    f"incompatible `dtype` argument. Received: dtype={dtype}, "
                    f"input_tensor.dtype={input_tensor.dtype}"
                )
            batch_shape = tshape
            dtype = input_tensor.dtype
        else:
            if shape is not None and batch_shape is not None:
                raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
            if batch_size is not None and batch_shape is not None:
                raise ValueError(
                    "You cannot pass both `batch_size` and `batch_shape` at the same time."
                )
            if shape is None and batch_shape is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                batch_shape = (batch_size,) + _standardize_shape(shape, "shape")
        self._batch_shape = _standardize_shape(batch_shape, "batch_shape")
        self._input_dtype = standardize_dtype(dtype)
        self.sparse = False
        self.ragged = False
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, dtype=self._input_dtype, name=name)
        self._input_tensor = input_tensor
        Node(self, call_args=(), call_kwargs={}, outputs=input_tensor)
        self.built = True
        self.optional = bool(optional)

    def call(self):
        return None

    @property
    def batch_shape(self):
        """The full input shape, batch size included (None for unknown sizes)."""
        return self._batch_shape

    @property
    def dtype(self):
        """The dtype of the input tensor."""
        return self._input_dtype

    def get_config(self):
        return {
            "batch_shape": self.batch_shape,
            "dtype": self.dtype,
            "sparse": self.sparse,
            "ragged": self.ragged,
            "name": self.name,
            "optional": self.optional,
        }


def Input(shape=None, batch_size=None, dtype=None, sparse=None, ragged=None, batch_shape=None,
          name=None, tensor=None, optional=False):
    """Creates a symbolic input tensor (a KerasTensor) to start a functional model from.

    Args:
        shape: The shape of one sample, without the batch size, e.g. ``(32,)``; None entries
            are sizes that may vary.
        batch_size: Optional static batch size.
        dtype: The dtype expected by the input (default: ``floatx()``, "float32").
        sparse: Must be falsy (lamina has no sparse tensors).
        ragged: Must be falsy (lamina has no ragged tensors).
        batch_shape: The full shape, batch size included (instead of `shape`/`batch_size`).
        name: The name of the input (and of its InputLayer); unique in a model.
        tensor: An existing KerasTensor to wrap into the input layer.
        optional: Whether the input may be None when the model is called.

    Returns:
        A KerasTensor.

    Example:

    >>> x = lamina.Input(shape=(32,))
    >>> y = lamina.layers.Dense(16, activation="softmax")(x)
    >>> model = lamina.Model(x, y)
    >>> model.output_shape
    (None, 16)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse,
                       ragged=ragged, batch_shape=batch_shape, name=name, input_tensor=tensor,
                       optional=optional)
    return layer.output
