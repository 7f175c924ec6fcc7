"""``lamina.layers.Identity`` (Keras 3's ``keras.layers.Identity``)."""

from lamina.layers.layer import Layer


class Identity(Layer):
    """Identity layer.

    This layer should be used as a placeholder when no operation is to be performed. The layer
    just returns its `inputs` argument as output (masks pass through).

    Example:

    >>> x = lamina.ops.ones((2, 3))
    >>> lamina.layers.Identity()(x) is x
    True
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
