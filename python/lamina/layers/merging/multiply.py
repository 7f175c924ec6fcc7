"""``Multiply`` and ``multiply`` (Keras 3's ``keras.layers.Multiply``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge
from lamina.layers.merging.base_merge import _mask_of


class Multiply(Merge):
    """Performs elementwise multiplication.

    It takes as input a list of tensors, all of the same shape, and returns a single tensor
    (also of the same shape). With masked inputs, masked-out entries count as 1 in the product
    and the result is 0 where every input is masked out.

    Example:

    >>> y = lamina.layers.Multiply()([np.ones((2, 3)), np.ones((2, 3))])
    """

    def _merge_function(self, inputs):
        masks = [_mask_of(x) for x in inputs]
        has_output_mask = all(m is not None for m in masks)
        output = None
        output_mask = None
        for x, mask in zip(inputs, masks):
            if mask is not None:
                mask = ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)
                # Masked-out entries become the identity of the product.
                x = ops.where(mask, x, ops.ones_like(x))
                if has_output_mask:
                    output_mask = mask if output_mask is None else ops.logical_or(output_mask, mask)
            output = x if output is None else ops.multiply(output, x)
        if has_output_mask:
            output = ops.where(output_mask, output, ops.zeros_like(output))
            output._keras_mask = ops.any(output_mask, axis=-1)
        return output


def multiply(inputs, **kwargs):
    """Functional interface to the `lamina.layers.Multiply` layer.

    Args:
        inputs: A list of input tensors, all of the same shape.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor as the elementwise product of the inputs, of the same shape as the inputs.
    """
    return Multiply(**kwargs)(inputs)
