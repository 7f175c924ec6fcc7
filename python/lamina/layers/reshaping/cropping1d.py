"""``lamina.layers.Cropping1D`` (Keras 3's ``keras.layers.Cropping1D``)."""

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.argument_validation import standardize_tuple


class Cropping1D(Layer):
    """Cropping layer for 1D input (e.g. temporal sequence).

    It crops along the time dimension (axis 1).

    Args:
        cropping: Int, or tuple of int (length 2): how many units to trim off at the beginning
            and end of the cropping dimension (axis 1). A single int is used for both.
            Defaults to ``(1, 1)``.

    Input shape:
        3D tensor with shape ``(batch_size, axis_to_crop, features)``.

    Output shape:
        3D tensor with shape ``(batch_size, cropped_axis, features)``.

    Example:

    >>> lamina.layers.Cropping1D(cropping=1)(lamina.ops.ones((2, 3, 2))).shape
    (2, 1, 2)
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = standardize_tuple(cropping, 2, "cropping", allow_zero=True)
        self.input_spec = InputSpec(ndim=3)

    def _error(self, input_shape):
        return ValueError(
            "`cropping` parameter of `Cropping1D` layer must be smaller than the input length. "
            f"Received: input_shape={tuple(input_shape)}, cropping={self.cropping}"
        )

    def compute_output_shape(self, input_shape):
        if input_shape[1] is not None:
            length = input_shape[1] - self.cropping[0] - self.cropping[1]
            if length <= 0:
                raise self._error(input_shape)
        else:
            length = None
        return (input_shape[0], length, input_shape[2])

    def call(self, inputs):
        if sum(self.cropping) >= inputs.shape[1]:
            raise self._error(inputs.shape)
        start, end = self.cropping
        return inputs[:, start:inputs.shape[1] - end, :]

    def get_config(self):
        config = {"cropping": self.cropping}
        base_config = super().get_config()
        return {**base_config, **config}
