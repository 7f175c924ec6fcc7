"""``Minimum`` and ``minimum`` (Keras 3's ``keras.layers.Minimum``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge


class Minimum(Merge):
    """Computes the elementwise minimum of a list of inputs.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape). Masked-out entries of an input are ignored.

    Example:

    >>> y = lamina.layers.Minimum()([np.ones((2, 3)), np.zeros((2, 3))])  # all 0
    """

    def _merge_function(self, inputs):
        return self._apply_merge_op_and_or_mask(ops.minimum, inputs)


def minimum(inputs, **kwargs):
    """Functional interface to the `lamina.layers.Minimum` layer.

    Args:
        inputs: A list of input tensors, all of the same shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor as the elementwise minimum of the inputs, of the same shape as the inputs.
    """
    return Minimum(**kwargs)(inputs)
