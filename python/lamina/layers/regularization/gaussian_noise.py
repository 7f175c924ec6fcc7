"""``GaussianNoise`` (Keras 3's ``keras.layers.GaussianNoise``)."""

from lamina import ops
from lamina import random
from lamina.layers.layer import Layer
from lamina.layers.regularization.dropout import _init_noise_layer


class GaussianNoise(Layer):
    """Apply additive zero-centered Gaussian noise.

    Useful to mitigate overfitting (a form of random data augmentation). As it is a
    regularization layer, it is only active at training time.

    Args:
        stddev: Float, standard deviation of the noise distribution.
        seed: Integer, optional random seed to enable deterministic behavior.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Python boolean indicating whether the layer should behave in training mode
            (adding noise) or in inference mode (doing nothing).
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float)) or not 0 <= stddev <= 1:
            raise ValueError(
                "Invalid value received for argument `stddev`. Expected a float value between 0 "
                f"and 1. Received: stddev={stddev}"
            )
        self.stddev = stddev
        _init_noise_layer(self, stddev, seed)

    def call(self, inputs, training=False):
        if training and self.stddev > 0:
            noise = random.normal(inputs.shape, mean=0.0, stddev=self.stddev,
                                  dtype=inputs.dtype, seed=self.seed_generator)
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config
