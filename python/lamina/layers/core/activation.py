"""``lamina.layers.Activation`` (Keras 3's ``keras.layers.Activation``; Keras files it under
``layers/activations/``)."""

from lamina import activations
from lamina.layers.layer import Layer


class Activation(Layer):
    """Applies an activation function to an output.

    Args:
        activation: Activation function: a callable, or the name of a built-in activation
            from `lamina.activations`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Example:

    >>> layer = lamina.layers.Activation("relu")
    >>> layer(lamina.ops.convert_to_tensor([-3.0, -1.0, 0.0, 2.0]))
    tensor([0., 0., 0., 2.], shape=(4,), dtype=float32)
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.activation = activations.get(activation)
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = {"activation": activations.serialize(self.activation)}
        base_config = super().get_config()
        return {**base_config, **config}
