"""``lamina.layers.Flatten`` (Keras 3's ``keras.layers.Flatten``)."""

import math

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.argument_validation import standardize_data_format


class Flatten(Layer):
    """Flattens the input. Does not affect the batch size.

    Note: If inputs are shaped ``(batch,)`` without a feature axis, then flattening adds an
    extra channel dimension and the output shape is ``(batch, 1)``.

    Args:
        data_format: A string, one of ``"channels_last"`` (default) or ``"channels_first"``:
            the ordering of the dimensions in the inputs, kept so that weights can be moved
            between the two formats. Defaults to ``lamina.config.image_data_format()``.

    Example:

    >>> lamina.layers.Flatten()(lamina.ops.ones((2, 10, 64))).shape
    (2, 640)
    """

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(min_ndim=1)
        self._channels_first = self.data_format == "channels_first"

    def call(self, inputs):
        input_shape = tuple(inputs.shape)
        rank = len(input_shape)
        if self._channels_first and rank > 1:
            # Switch to channels-last order before flattening.
            inputs = ops.transpose(inputs, axes=(0, *range(2, rank), 1))
        non_batch_dims = input_shape[1:]
        flattened_dim = math.prod(non_batch_dims) if non_batch_dims else 1
        return ops.reshape(inputs, (input_shape[0], flattened_dim))

    def compute_output_shape(self, input_shape):
        non_batch_dims = tuple(input_shape[1:])
        if len(non_batch_dims) == 0:
            flattened_dim = 1
        elif any(d is None for d in non_batch_dims):
            flattened_dim = None
        else:
            flattened_dim = math.prod(non_batch_dims)
        return (input_shape[0], flattened_dim)

    def get_config(self):
        config = {"data_format": self.data_format}
        base_config = super().get_config()
        return {**base_config, **config}
