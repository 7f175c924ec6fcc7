"""``AlphaDropout`` (Keras 3's ``keras.layers.AlphaDropout``)."""

from lamina import ops
from lamina import random
from lamina.layers.layer import Layer
from lamina.layers.regularization.dropout import _check_rate
from lamina.layers.regularization.dropout import _fill_noise_shape
from lamina.layers.regularization.dropout import _init_noise_layer

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Applies Alpha Dropout to the input.

    Alpha Dropout keeps the mean and variance of its inputs at their original values, so that
    the self-normalizing property (of SELU networks) holds after dropout: dropped entries are
    set to the negative saturation value of SELU, then an affine map restores the statistics.

    Args:
        rate: Float between 0 and 1. The multiplicative noise will have standard deviation
            `sqrt(rate / (1 - rate))`.
        noise_shape: 1D integer tensor representing the shape of the binary alpha dropout mask
            that will be multiplied with the input (`None` entries take the input's size).
        seed: A Python integer to use as random seed.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Python boolean indicating whether the layer should behave in training mode
            (adding alpha dropout) or in inference mode (doing nothing).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.noise_shape = noise_shape
        _init_noise_layer(self, rate, seed)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            noise_shape = self._get_concrete_noise_shape(inputs)
            alpha_p = -_SELU_ALPHA * _SELU_SCALE
            kept = random.uniform(noise_shape, dtype=inputs.dtype, seed=self.seed_generator)
            kept = ops.cast(ops.greater_equal(kept, self.rate), inputs.dtype)
            # The affine correction that restores the input's mean and variance.
            a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
            b = -a * alpha_p * self.rate
            x = inputs * kept + alpha_p * (1 - kept)
            return a * x + b
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def _get_concrete_noise_shape(self, inputs):
        shape = inputs.shape
        if self.noise_shape is None:
            return tuple(shape)
        return _fill_noise_shape(self.noise_shape, shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
