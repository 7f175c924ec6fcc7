"""``Softmax`` (Keras 3's ``keras.layers.Softmax``)."""

from lamina import activations
from lamina import ops
from lamina.layers.layer import Layer


def _large_negative_number(dtype):
    """A large negative number representable in `dtype` (masked logits get it added)."""
    if dtype == "float16":
        return -3e4
    return -1e9


class Softmax(Layer):
    """Softmax activation layer.

    Formula:

    ``` python
    exp_x = exp(x - max(x))
    f(x) = exp_x / sum(exp_x)
    ```

    Example:

    >>> softmax_layer = lamina.layers.Softmax()
    >>> softmax_layer(np.array([1.0, 2.0, 1.0]))  # [0.21194157, 0.5761169, 0.21194157]

    Args:
        axis: Integer, or list of Integers, axis along which the softmax normalization is
            applied.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: The inputs (logits) to the softmax layer.
        mask: A boolean mask of the same shape as `inputs` (or broadcastable to it). The mask
            specifies 1 to keep and 0 to mask. Defaults to `None`.

    Returns:
        Softmaxed output with the same shape as `inputs`.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True

    def call(self, inputs, mask=None):
        if mask is not None:
            adder = (1.0 - ops.cast(mask, inputs.dtype)) * _large_negative_number(inputs.dtype)
            inputs = inputs + adder
        if isinstance(self.axis, (tuple, list)):
            if len(self.axis) > 1:
                outputs = ops.exp(inputs - ops.logsumexp(inputs, axis=tuple(self.axis), keepdims=True))
            else:
                outputs = activations.softmax(inputs, axis=self.axis[0])
        else:
            outputs = activations.softmax(inputs, axis=self.axis)
        if mask is not None:
            outputs = ops.multiply(outputs, ops.cast(mask, outputs.dtype))
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config
