"""``Subtract`` and ``subtract`` (Keras 3's ``keras.layers.Subtract``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge


class Subtract(Merge):
    """Performs elementwise subtraction.

    It takes as input a list of tensors of size 2, both of the same shape, and returns a single
    tensor ``inputs[0] - inputs[1]`` of the same shape.

    Example:

    >>> y = lamina.layers.Subtract()([np.ones((2, 3)), np.ones((2, 3))])
    """

    def build(self, input_shape):
        super().build(input_shape)
        if len(input_shape) != 2:
            raise self._error(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: input_shape={input_shape}"
            )

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise self._error(
                "A `Subtract` layer should be called on exactly 2 inputs. "
                f"Received: inputs={inputs}"
            )
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs, **kwargs):
    """Functional interface to the `lamina.layers.Subtract` layer.

    Args:
        inputs: A list of input tensors of size 2, each tensor of the same shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor as the difference of the inputs. It has the same shape as the inputs.
    """
    return Subtract(**kwargs)(inputs)
