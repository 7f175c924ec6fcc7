"""``Average`` and ``average`` (Keras 3's ``keras.layers.Average``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge


class Average(Merge):
    """Averages a list of inputs elementwise.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape).

    Example:

    >>> y = lamina.layers.Average()([np.ones((2, 3)), np.zeros((2, 3))])  # all 0.5
    """

    def _merge_function(self, inputs):
        output = inputs[0]
        for x in inputs[1:]:
            output = ops.add(output, x)
        return ops.divide(output, len(inputs))


def average(inputs, **kwargs):
    """Functional interface to the `lamina.layers.Average` layer.

    Args:
        inputs: A list of input tensors, all of the same shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor as the elementwise average of the inputs, of the same shape as the inputs.
    """
    return Average(**kwargs)(inputs)
