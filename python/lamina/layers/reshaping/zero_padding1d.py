"""``lamina.layers.ZeroPadding1D`` (Keras 3's ``keras.layers.ZeroPadding1D``)."""

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.argument_validation import standardize_data_format
from lamina.utils.argument_validation import standardize_tuple


class ZeroPadding1D(Layer):
    """Zero-padding layer for 1D input (e.g. temporal sequence).

    Args:
        padding: Int, or tuple of int (length 2): how many zeros to add at the start and end of
            the padding dimension (axis 1). A single int is used for both. Defaults to `1`.
        data_format: ``"channels_last"`` (inputs ``(batch, steps, features)``, padded on axis 1)
            or ``"channels_first"`` (``(batch, features, steps)``, padded on axis 2). Defaults
            to ``lamina.config.image_data_format()``.

    Example:

    >>> lamina.layers.ZeroPadding1D(padding=2)(lamina.ops.ones((2, 2, 3))).shape
    (2, 6, 3)
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_tuple(padding, 2, "padding", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        padding_dim = 2 if self.data_format == "channels_first" else 1
        if output_shape[padding_dim] is not None:
            output_shape[padding_dim] += self.padding[0] + self.padding[1]
        return tuple(output_shape)

    def call(self, inputs):
        if self.data_format == "channels_first":
            all_dims_padding = ((0, 0), (0, 0), self.padding)
        else:
            all_dims_padding = ((0, 0), self.padding, (0, 0))
        return ops.pad(inputs, all_dims_padding)

    def get_config(self):
        config = {"padding": self.padding, "data_format": self.data_format}
        base_config = super().get_config()
        return {**base_config, **config}
