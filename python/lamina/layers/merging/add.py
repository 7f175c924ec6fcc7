"""``Add`` and ``add`` (Keras 3's ``keras.layers.Add``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge


class Add(Merge):
    """Performs elementwise addition operation.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).

    Example:

    >>> x1 = np.random.rand(2, 3, 4)
    >>> x2 = np.random.rand(2, 3, 4)
    >>> y = lamina.layers.Add()([x1, x2])
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return output


def add(inputs, **kwargs):
    """Functional interface to the `lamina.layers.Add` layer.

    Args:
        inputs: A list of input tensors with the same shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor as the sum of the inputs. It has the same shape as the inputs.
    """
    return Add(**kwargs)(inputs)
