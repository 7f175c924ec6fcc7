"""``lamina.layers.RepeatVector`` (Keras 3's ``keras.layers.RepeatVector``)."""

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer


class RepeatVector(Layer):
    """Repeats the input n times.

    Args:
        n: Integer, repetition factor.

    Input shape:
        2D tensor with shape ``(batch_size, features)``.

    Output shape:
        3D tensor with shape ``(batch_size, n, features)``.

    Example:

    >>> lamina.layers.RepeatVector(3)(lamina.ops.ones((2, 32))).shape
    (2, 3, 32)
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        if not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        batch, features = inputs.shape
        reshaped = ops.reshape(inputs, (batch, 1, features))
        return ops.repeat(reshaped, self.n, axis=1)

    def get_config(self):
        config = {"n": self.n}
        base_config = super().get_config()
        return {**base_config, **config}
