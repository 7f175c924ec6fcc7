"""``GaussianDropout`` (Keras 3's ``keras.layers.GaussianDropout``)."""

import math

from lamina import ops
from lamina import random
from lamina.layers.layer import Layer
from lamina.layers.regularization.dropout import _check_rate
from lamina.layers.regularization.dropout import _init_noise_layer


class GaussianDropout(Layer):
    """Apply multiplicative 1-centered Gaussian noise.

    As it is a regularization layer, it is only active at training time, where inputs are
    multiplied by noise of mean 1 and standard deviation `sqrt(rate / (1 - rate))`.

    Args:
        rate: Float, drop probability (as with `Dropout`).
        seed: Integer, optional random seed to enable deterministic behavior.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Python boolean indicating whether the layer should behave in training mode
            (adding dropout) or in inference mode (doing nothing).
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        _init_noise_layer(self, rate, seed)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            if self.rate >= 1:
                return ops.zeros_like(inputs)
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = random.normal(inputs.shape, mean=1.0, stddev=stddev, dtype=inputs.dtype,
                                  seed=self.seed_generator)
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config
