"""``Concatenate`` and ``concatenate`` (Keras 3's ``keras.layers.Concatenate``)."""

from lamina import ops
from lamina.layers.merging.base_merge import Merge


class Concatenate(Merge):
    """Concatenates a list of inputs.

    It takes as input a list of tensors, all of the same shape except for the concatenation
    axis, and returns a single tensor that is the concatenation of all inputs.

    Example:

    >>> x = np.arange(20).reshape(2, 2, 5)
    >>> y = np.arange(20, 30).reshape(2, 1, 5)
    >>> lamina.layers.Concatenate(axis=1)([x, y]).shape
    (2, 3, 5)

    Args:
        axis: Axis along which to concatenate.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the concatenation of the inputs alongside axis `axis`.
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self._reshape_required = False

    def build(self, input_shape):
        # Shape validation only.
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) < 1 or not isinstance(
                input_shape[0], (tuple, list)):
            raise self._error(
                "A `Concatenate` layer should be called on a list of at least 1 input. "
                f"Received: input_shape={input_shape}"
            )
        message = (
            "A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis. Received: input_shape={[tuple(s) for s in input_shape]}"
        )
        reduced = []
        for shape in input_shape:
            shape = list(shape)
            rank = len(shape)
            if not -rank <= self.axis < rank:
                raise self._error(
                    f"Invalid `axis` argument: axis={self.axis} is out of bounds for inputs of "
                    f"rank {rank}. Received: input_shape={[tuple(s) for s in input_shape]}"
                )
            del shape[self.axis % rank]
            reduced.append(shape)
        if len({len(s) for s in reduced}) != 1:
            raise self._error(message)
        for dims in zip(*reduced):
            if len({d for d in dims if d is not None}) > 1:
                raise self._error(message)

    def _merge_function(self, inputs):
        return ops.concatenate(list(inputs), axis=self.axis)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or not isinstance(input_shape[0], (tuple, list)):
            raise self._error(
                "A `Concatenate` layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape}"
            )
        output_shape = list(input_shape[0])
        for shape in input_shape[1:]:
            if output_shape[self.axis] is None or shape[self.axis] is None:
                output_shape[self.axis] = None
                break
            output_shape[self.axis] += shape[self.axis]
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        self._check_mask_list(inputs, mask, mask_received="Received mask=")
        if all(m is None for m in mask):
            return None
        # Each mask brought to its input's rank (unmasked inputs count as all True), then
        # concatenated and reduced over the last axis, as Keras does.
        masks = []
        for x, m in zip(inputs, mask):
            if m is None:
                masks.append(ops.ones_like(x, dtype="bool"))
            elif m.ndim < x.ndim:
                masks.append(ops.broadcast_to(ops.expand_dims(m, -1), x.shape))
            else:
                masks.append(m)
        concatenated = ops.concatenate(masks, axis=self.axis)
        return ops.any(concatenated, axis=-1, keepdims=False)

    def get_config(self):
        config = super().get_config()
        config["axis"] = self.axis
        return config


def concatenate(inputs, axis=-1, **kwargs):
    """Functional interface to the `lamina.layers.Concatenate` layer.

    Args:
        inputs: A list of input tensors.
        axis: Concatenation axis.
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the concatenation of the inputs alongside axis `axis`.
    """
    return Concatenate(axis=axis, **kwargs)(inputs)
