"""``UnitNormalization`` (Keras 3's ``keras.layers.UnitNormalization``)."""

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.normalization._utils import standardize_axis


class UnitNormalization(Layer):
    """Unit normalization layer.

    Normalize a batch of inputs so that each input in the batch has a L2 norm equal to 1
    (across the axes specified in `axis`).

    Example:

    >>> data = np.arange(6).reshape(2, 3)
    >>> normalized_data = lamina.layers.UnitNormalization()(data)
    >>> np.sum(np.asarray(normalized_data)[0, :] ** 2)  # 1.0

    Args:
        axis: Integer or list/tuple. The axis or axes to normalize across. Typically, this is
            the features axis or axes. The left-out axes are typically the batch axis or axes.
            `-1` is the last dimension in the input. Defaults to `-1`.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = standardize_axis(
            axis,
            "Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
            "Received: axis={axis}",
        )
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(inputs), axis=axis, keepdims=True)
        return inputs * ops.rsqrt(ops.maximum(square_sum, 1e-12))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
