"""``lamina.layers.UpSampling1D`` (Keras 3's ``keras.layers.UpSampling1D``)."""

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer


class UpSampling1D(Layer):
    """Upsampling layer for 1D inputs.

    Repeats each temporal step `size` times along the time axis.

    Args:
        size: Integer. Upsampling factor. Defaults to `2`.

    Input shape:
        3D tensor with shape ``(batch_size, steps, features)``.

    Output shape:
        3D tensor with shape ``(batch_size, upsampled_steps, features)``.

    Example:

    >>> lamina.layers.UpSampling1D(size=2)(lamina.ops.ones((2, 2, 3))).shape
    (2, 4, 3)
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        size = self.size * input_shape[1] if input_shape[1] is not None else None
        return (input_shape[0], size, input_shape[2])

    def call(self, inputs):
        return ops.repeat(inputs, self.size, axis=1)

    def get_config(self):
        config = {"size": self.size}
        base_config = super().get_config()
        return {**base_config, **config}
