"""``lamina.layers.Masking`` (Keras 3's ``keras.layers.Masking``)."""

from lamina import ops
from lamina.layers.layer import Layer


class Masking(Layer):
    """Masks a sequence by using a mask value to skip timesteps.

    For each timestep of the input (dimension #1 of the tensor), if all values at that timestep
    equal `mask_value`, the timestep is masked (skipped) in all downstream layers that support
    masking, and the layer outputs zeros there.

    Args:
        mask_value: The value marking padded timesteps. Defaults to `0.0`.

    Example:

    >>> x = np.ones((2, 3, 4), "float32"); x[0, 1] = 0.0
    >>> y = lamina.layers.Masking(mask_value=0.0)(x)
    >>> np.asarray(y._keras_mask)
    array([[ True, False,  True],
           [ True,  True,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        # `mask_value` can be a serialized tensor.
        if isinstance(mask_value, dict) and mask_value.get("config", None):
            from lamina.saving import deserialize_keras_object

            mask_value = deserialize_keras_object(mask_value)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def compute_mask(self, inputs, mask=None):
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs):
        boolean_mask = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        # Masked timesteps are set to 0.
        outputs = inputs * ops.cast(boolean_mask, dtype=inputs.dtype)
        outputs._keras_mask = ops.squeeze(boolean_mask, axis=-1)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {"mask_value": self.mask_value}
        return {**base_config, **config}
