"""``lamina.layers.Cropping2D`` (Keras 3's ``keras.layers.Cropping2D``)."""

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.reshaping._utils import standardize_2d_pairs
from lamina.utils.argument_validation import standardize_data_format


class Cropping2D(Layer):
    """Cropping layer for 2D input (e.g. picture).

    It crops along spatial dimensions, i.e. height and width.

    Args:
        cropping: Int, or tuple of 2 ints, or tuple of 2 tuples of 2 ints.
            - int: the same symmetric cropping is applied to height and width.
            - tuple of 2 ints: two different symmetric cropping values for height and width:
              ``(symmetric_height_crop, symmetric_width_crop)``.
            - tuple of 2 tuples of 2 ints: ``((top_crop, bottom_crop), (left_crop, right_crop))``.
            Defaults to ``((0, 0), (0, 0))``.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or
            ``"channels_first"`` (``(batch, channels, height, width)``). Defaults to
            ``lamina.config.image_data_format()``.

    Example:

    >>> layer = lamina.layers.Cropping2D(cropping=((2, 2), (4, 4)))
    >>> layer(lamina.ops.ones((2, 28, 28, 3))).shape
    (2, 24, 20, 3)
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.cropping = standardize_2d_pairs(cropping, "cropping", reject_negative_int=True)
        self.input_spec = InputSpec(ndim=4)

    def _spatial_axes(self):
        return (2, 3) if self.data_format == "channels_first" else (1, 2)

    def compute_output_shape(self, input_shape):
        h_axis, w_axis = self._spatial_axes()
        h, w = input_shape[h_axis], input_shape[w_axis]
        if (h is not None and sum(self.cropping[0]) >= h) or (
            w is not None and sum(self.cropping[1]) >= w
        ):
            raise ValueError(
                "Values in `cropping` argument should be smaller than the corresponding spatial "
                f"dimension of the input. Received: input_shape={tuple(input_shape)}, "
                f"cropping={self.cropping}"
            )
        out = list(input_shape)
        out[h_axis] = h - sum(self.cropping[0]) if h is not None else None
        out[w_axis] = w - sum(self.cropping[1]) if w is not None else None
        return tuple(out)

    def call(self, inputs):
        self.compute_output_shape(tuple(inputs.shape))  # validates the cropping
        h_axis, w_axis = self._spatial_axes()
        (top, bottom), (left, right) = self.cropping
        h, w = inputs.shape[h_axis], inputs.shape[w_axis]
        if self.data_format == "channels_first":
            return inputs[:, :, top:h - bottom, left:w - right]
        return inputs[:, top:h - bottom, left:w - right, :]

    def get_config(self):
        config = {"cropping": self.cropping, "data_format": self.data_format}
        base_config = super().get_config()
        return {**base_config, **config}
