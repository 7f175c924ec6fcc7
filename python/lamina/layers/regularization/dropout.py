"""``Dropout`` (Keras 3's ``keras.layers.Dropout``)."""

from lamina import ops
from lamina import random
from lamina.layers.layer import Layer


def _check_rate(rate):
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(
            "Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
            f"Received: rate={rate}"
        )


def _init_noise_layer(layer, amount, seed):
    """The state the dropout/noise layers share: the seed, a seed generator when `amount` (the
    rate or standard deviation) is positive, mask support, and no weights to build."""
    layer.seed = seed
    if amount > 0:
        layer.seed_generator = random.SeedGenerator(seed)
    layer.supports_masking = True
    layer.built = True


def _fill_noise_shape(noise_shape, shape):
    """`noise_shape` with its `None` entries taken from the input `shape`."""
    return tuple(shape[i] if value is None else value for i, value in enumerate(noise_shape))


def _dropout(inputs, rate, noise_shape, seed_generator):
    """Zeroes entries with probability `rate` (one draw per entry of `noise_shape`, broadcast
    over the inputs) and scales the others by ``1 / (1 - rate)``."""
    if rate >= 1:
        return ops.zeros_like(inputs)
    return random.dropout(inputs, rate, noise_shape=noise_shape, seed=seed_generator)


class Dropout(Layer):
    """Applies dropout to the input.

    The `Dropout` layer randomly sets input units to 0 with a frequency of `rate` at each step
    during training time, which helps prevent overfitting. Inputs not set to 0 are scaled up by
    `1 / (1 - rate)` such that the sum over all inputs is unchanged.

    The layer only applies when `training` is `True`; at inference it is the identity.

    Args:
        rate: Float between 0 and 1. Fraction of the input units to drop.
        noise_shape: 1D integer tensor representing the shape of the binary dropout mask that
            will be multiplied with the input. For instance, if your inputs have shape
            `(batch_size, timesteps, features)` and you want the dropout mask to be the same for
            all timesteps, you can use `noise_shape=(batch_size, 1, features)`. `None` entries
            take the input's size.
        seed: A Python integer to use as random seed.

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Python boolean indicating whether the layer should behave in training mode
            (adding dropout) or in inference mode (doing nothing).
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        _check_rate(rate)
        self.rate = rate
        self.noise_shape = noise_shape
        _init_noise_layer(self, rate, seed)

    def call(self, inputs, training=False):
        if training and self.rate > 0:
            return _dropout(inputs, self.rate, self._get_noise_shape(inputs), self.seed_generator)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def _get_noise_shape(self, inputs):
        if self.noise_shape is None:
            return None
        shape = inputs.shape
        if len(self.noise_shape) != len(shape):
            raise ValueError(
                f"Layer '{self.name}' ({self.__class__.__name__}): `noise_shape` must have the "
                f"rank of the inputs. Received: noise_shape={self.noise_shape} for inputs of "
                f"shape {tuple(shape)}"
            )
        return _fill_noise_shape(self.noise_shape, shape)

    def get_config(self):
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
