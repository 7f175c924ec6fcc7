"""``LeakyReLU`` (Keras 3's ``keras.layers.LeakyReLU``)."""

import warnings

from lamina import activations
from lamina.layers.layer import Layer


class LeakyReLU(Layer):
    """Leaky version of a Rectified Linear Unit activation layer.

    This layer allows a small gradient when the unit is not active.

    Formula:

    ``` python
    f(x) = negative_slope * x if x < 0
    f(x) = x if x >= 0
    ```

    Example:

    >>> leaky_relu_layer = lamina.layers.LeakyReLU(negative_slope=0.5)
    >>> leaky_relu_layer([-3.0, -1.0, 0.0, 2.0])  # [-1.5, -0.5, 0.0, 2.0]

    Args:
        negative_slope: Float >= 0.0. Negative slope coefficient. Defaults to `0.3`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`. Keras 2's `alpha`
            is accepted as `negative_slope`, with a deprecation warning.
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.",
                          stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError(
                "The negative_slope value of a Leaky ReLU layer cannot be None or negative "
                f"value. Expected a float. Received: negative_slope={negative_slope}"
            )
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["negative_slope"] = self.negative_slope
        return config
