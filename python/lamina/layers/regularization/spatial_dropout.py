"""``SpatialDropout1D``, ``SpatialDropout2D`` and ``SpatialDropout3D`` (Keras 3's
``keras.layers.SpatialDropout*``)."""

from lamina.layers.input_spec import InputSpec
from lamina.layers.regularization.dropout import Dropout
from lamina.layers.regularization.dropout import _dropout
from lamina.utils.argument_validation import standardize_data_format


class BaseSpatialDropout(Dropout):
    """Drops whole feature maps: one mask entry per (sample, channel)."""

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)

    def call(self, inputs, training=False):
        if training and self.rate > 0.0:
            return _dropout(inputs, self.rate, self._get_noise_shape(inputs), self.seed_generator)
        return inputs

    def get_config(self):
        # As Keras 3 writes it: no `trainable`, and `dtype` as the variable dtype's name.
        return {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}


class _ChannelsSpatialDropout(BaseSpatialDropout):
    """A spatial dropout over `_spatial_rank` spatial axes with a `data_format`: one mask
    entry per (sample, channel), the channels first or last."""

    _spatial_rank = None

    def __init__(self, rate, data_format=None, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._spatial_rank + 2)

    def _get_noise_shape(self, inputs):
        shape = inputs.shape
        spatial = (1,) * self._spatial_rank
        if self.data_format == "channels_first":
            return (shape[0], shape[1], *spatial)
        return (shape[0], *spatial, shape[-1])

    def get_config(self):
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(BaseSpatialDropout):
    """Spatial 1D version of Dropout.

    This version performs the same function as Dropout, however, it drops entire 1D feature
    maps instead of individual elements.

    Args:
        rate: Float between 0 and 1. Fraction of the input units to drop.
        seed: A Python integer to use as random seed.

    Call arguments:
        inputs: A 3D tensor `(samples, timesteps, channels)`.
        training: Python boolean indicating whether the layer should behave in training mode
            (applying dropout) or in inference mode (pass-through).
    """

    def __init__(self, rate, seed=None, name=None, dtype=None):
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.input_spec = InputSpec(ndim=3)

    def _get_noise_shape(self, inputs):
        shape = inputs.shape
        return (shape[0], 1, shape[2])


class SpatialDropout2D(_ChannelsSpatialDropout):
    """Spatial 2D version of Dropout: drops entire 2D feature maps.

    Args:
        rate: Float between 0 and 1. Fraction of the input units to drop.
        data_format: `"channels_first"` or `"channels_last"` (the default from
            `lamina.config.image_data_format()`).
        seed: A Python integer to use as random seed.

    Call arguments:
        inputs: A 4D tensor.
        training: Python boolean indicating whether the layer should behave in training mode
            (applying dropout) or in inference mode (pass-through).
    """

    _spatial_rank = 2


class SpatialDropout3D(_ChannelsSpatialDropout):
    """Spatial 3D version of Dropout: drops entire 3D feature maps.

    Args:
        rate: Float between 0 and 1. Fraction of the input units to drop.
        data_format: `"channels_first"` or `"channels_last"` (the default from
            `lamina.config.image_data_format()`).
        seed: A Python integer to use as random seed.

    Call arguments:
        inputs: A 5D tensor.
        training: Python boolean indicating whether the layer should behave in training mode
            (applying dropout) or in inference mode (pass-through).
    """

    _spatial_rank = 3
