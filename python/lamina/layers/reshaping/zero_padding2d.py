"""``lamina.layers.ZeroPadding2D`` (Keras 3's ``keras.layers.ZeroPadding2D``)."""

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.reshaping._utils import standardize_2d_pairs
from lamina.utils.argument_validation import standardize_data_format


class ZeroPadding2D(Layer):
    """Zero-padding layer for 2D input (e.g. picture).

    This layer can add rows and columns of zeros at the top, bottom, left and right side of an
    image tensor.

    Args:
        padding: Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints.
            - int: the same symmetric padding is applied to height and width.
            - tuple of 2 ints: ``(symmetric_height_pad, symmetric_width_pad)``.
            - tuple of 2 tuples of 2 ints: ``((top_pad, bottom_pad), (left_pad, right_pad))``.
            Defaults to ``(1, 1)``.
        data_format: ``"channels_last"`` or ``"channels_first"``. Defaults to
            ``lamina.config.image_data_format()``.

    Example:

    >>> lamina.layers.ZeroPadding2D(padding=1)(lamina.ops.ones((1, 2, 2, 1))).shape
    (1, 4, 4, 1)
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.padding = standardize_2d_pairs(padding, "padding")
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        spatial_dims_offset = 2 if self.data_format == "channels_first" else 1
        for index in range(0, 2):
            if output_shape[index + spatial_dims_offset] is not None:
                output_shape[index + spatial_dims_offset] += (
                    self.padding[index][0] + self.padding[index][1]
                )
        return tuple(output_shape)

    def call(self, inputs):
        if self.data_format == "channels_first":
            all_dims_padding = ((0, 0), (0, 0), *self.padding)
        else:
            all_dims_padding = ((0, 0), *self.padding, (0, 0))
        return ops.pad(inputs, all_dims_padding)

    def get_config(self):
        config = {"padding": self.padding, "data_format": self.data_format}
        base_config = super().get_config()
        return {**base_config, **config}
