"""``lamina.layers.Reshape`` (Keras 3's ``keras.layers.Reshape``)."""

import math

from lamina import ops
from lamina.layers.layer import Layer


class Reshape(Layer):
    """Layer that reshapes inputs into the given shape.

    Args:
        target_shape: Target shape. Tuple of integers, does not include the samples dimension
            (batch size). One element of `target_shape` can be -1: it is inferred from the size
            of the input and the remaining dimensions.

    Input shape:
        Arbitrary, but required to be compatible with `target_shape`.

    Output shape:
        ``(batch_size, *target_shape)``

    Example:

    >>> lamina.layers.Reshape((3, 4))(lamina.ops.ones((2, 12))).shape
    (2, 3, 4)
    >>> lamina.layers.Reshape((-1, 2, 2))(lamina.ops.ones((2, 12))).shape
    (2, 3, 2, 2)
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target_shape = tuple(target_shape)
        if target_shape.count(-1) > 1:
            raise ValueError(
                "The `target_shape` argument must not contain more than one `-1` value. "
                f"Received: target_shape={target_shape}"
            )
        self.target_shape = target_shape
        self.built = True

    def compute_output_shape(self, input_shape):
        return (
            input_shape[0],
            *compute_reshape_output_shape(tuple(input_shape[1:]), self.target_shape, "target_shape"),
        )

    def call(self, inputs):
        target = compute_reshape_output_shape(
            tuple(inputs.shape)[1:], self.target_shape, "target_shape"
        )
        return ops.reshape(inputs, (inputs.shape[0],) + tuple(target))

    def get_config(self):
        config = {"target_shape": self.target_shape}
        base_config = super().get_config()
        return {**base_config, **config}


def compute_reshape_output_shape(input_shape, new_shape, new_shape_arg_name):
    """Resolves the `-1` of `new_shape` for `input_shape` (to None when a size is unknown)."""
    new_shape = tuple(new_shape)
    unknown_dim_count = new_shape.count(-1)
    if unknown_dim_count > 1:
        raise ValueError(
            f"There must be at most one unknown dimension (-1) in {new_shape_arg_name}. "
            f"Received: {new_shape_arg_name}={new_shape}."
        )
    if None in input_shape:
        return tuple(dim if dim != -1 else None for dim in new_shape)
    input_size = math.prod(input_shape)
    if unknown_dim_count == 0:
        if input_size != math.prod(new_shape):
            raise ValueError(
                "The total size of the tensor must be unchanged. Received: "
                f"input_shape={input_shape}, {new_shape_arg_name}={new_shape}"
            )
        return new_shape
    known_output_size = math.prod(d for d in new_shape if d != -1)
    if known_output_size == 0 or input_size % known_output_size != 0:
        raise ValueError(
            "The total size of the tensor must be unchanged, however, the input size cannot by "
            f"divided by the specified dimensions in {new_shape_arg_name}. Received: "
            f"input_shape={input_shape}, {new_shape_arg_name}={new_shape}"
        )
    return tuple(input_size // known_output_size if d == -1 else d for d in new_shape)
