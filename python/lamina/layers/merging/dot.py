"""``Dot`` and ``dot`` (Keras 3's ``keras.layers.Dot``), with Keras' ``batch_dot``."""

from lamina import ops
from lamina.backend import config as backend_config
from lamina.layers.merging.base_merge import Merge


def _l2_normalize(x, axis):
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.rsqrt(ops.maximum(square_sum, backend_config.epsilon())))


def batch_dot(x, y, axes):
    """Batchwise dot product of `x` and `y` (both of rank >= 2, same batch size) over
    ``x.shape[axes[0]]`` and ``y.shape[axes[1]]``.

    The result has `x`'s shape without `axes[0]`, followed by `y`'s shape without its batch
    axis and `axes[1]`; a result of rank 1 is reshaped to ``(batch_size, 1)``.
    """
    x_shape, y_shape = tuple(x.shape), tuple(y.shape)
    if len(x_shape) < 2 or len(y_shape) < 2:
        raise ValueError(
            "Cannot do batch_dot on inputs with rank < 2. "
            f"Received inputs with shapes {x_shape} and {y_shape}."
        )
    if x_shape[0] != y_shape[0]:
        raise ValueError(
            "Cannot do batch_dot on inputs with different batch sizes. "
            f"Received inputs with shapes {x_shape} and {y_shape}."
        )
    a0 = axes[0] % len(x_shape)
    a1 = axes[1] % len(y_shape)
    if a0 == 0 or a1 == 0:
        raise ValueError(
            "Cannot perform batch_dot over axis 0. If your inputs are not batched, add a dummy "
            "batch dimension to your inputs using lamina.ops.expand_dims(x, 0)"
        )
    if x_shape[a0] != y_shape[a1]:
        raise ValueError(
            f"Cannot do batch_dot on inputs with shapes {x_shape} and {y_shape} with "
            f"axes={[a0, a1]}. x.shape[{a0}] != y.shape[{a1}] ({x_shape[a0]} != {y_shape[a1]})."
        )
    batch, n = x_shape[0], x_shape[a0]
    x_rest = [d for i, d in enumerate(x_shape) if i not in (0, a0)]
    y_rest = [d for i, d in enumerate(y_shape) if i not in (0, a1)]
    # x -> (batch, X, n), y -> (batch, n, Y), one batched matmul.
    x = ops.moveaxis(x, a0, -1)
    y = ops.moveaxis(y, a1, 1)
    x = ops.reshape(x, (batch, -1, n))
    y = ops.reshape(y, (batch, n, -1))
    out = ops.matmul(x, y)
    out_shape = (batch,) + tuple(x_rest) + tuple(y_rest)
    if len(out_shape) == 1:
        out_shape = (batch, 1)
    return ops.reshape(out, out_shape)


class Dot(Merge):
    """Computes the dot product of the samples of two tensors.

    It takes a list of two inputs and the axes, one per input, along which the dot product is
    taken. With inputs of shapes ``(2, 3, 5)`` and ``(2, 10, 3)`` and ``axes=(1, 2)`` the output
    has shape ``(2, 5, 10)``.

    Example:

    >>> x = np.arange(10).reshape(1, 5, 2)
    >>> y = np.arange(10, 20).reshape(1, 2, 5)
    >>> lamina.layers.Dot(axes=(1, 2))([x, y]).shape
    (1, 2, 2)

    Args:
        axes: Integer or tuple of two integers: the axis of each input along which to take the
            dot product. The sizes of the two selected axes must match.
        normalize: Whether to L2-normalize samples along the dot product axis before taking the
            dot product (the output is then the cosine proximity of the two samples).
        **kwargs: Standard layer keyword arguments.

    Returns:
        A tensor, the dot product of the samples from the inputs.
    """

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)):
                raise TypeError(
                    "Invalid type for argument `axes`: it should be a list or an int. "
                    f"Received: axes={axes}"
                )
            if len(axes) != 2:
                raise ValueError(
                    "Invalid format for argument `axes`: it should contain two elements. "
                    f"Received: axes={axes}"
                )
            if not isinstance(axes[0], int) or not isinstance(axes[1], int):
                raise ValueError(
                    "Invalid format for argument `axes`: list elements should be integers. "
                    f"Received: axes={axes}"
                )
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True
        self._reshape_required = False

    def _resolve_axes(self, shape1, shape2):
        if isinstance(self.axes, int):
            if self.axes < 0:
                return [self.axes % len(shape1), self.axes % len(shape2)]
            return [self.axes, self.axes]
        return [a % len(s) if a < 0 else a for a, s in zip(self.axes, (shape1, shape2))]

    def build(self, input_shape):
        # Shape validation only.
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or not isinstance(
                input_shape[0], (tuple, list)):
            raise self._error(
                f"A `Dot` layer should be called on a list of 2 inputs. Received: input_shape={input_shape}"
            )
        shape1, shape2 = tuple(input_shape[0]), tuple(input_shape[1])
        axes = self._resolve_axes(shape1, shape2)
        for a, s in zip(axes, (shape1, shape2)):
            if not 0 <= a < len(s):
                raise self._error(
                    f"Invalid `axes`: axis {a} is out of bounds for an input of shape {s}. "
                    f"Received: axes={self.axes}"
                )
        if shape1[axes[0]] != shape2[axes[1]]:
            raise self._error(
                f"Incompatible input shapes: axis values {shape1[axes[0]]} (at axis {axes[0]}) != "
                f"{shape2[axes[1]]} (at axis {axes[1]}). Full input shapes: {shape1}, {shape2}"
            )

    def _merge_function(self, inputs):
        if len(inputs) != 2:
            raise self._error(
                f"A `Dot` layer should be called on exactly 2 inputs. Received: inputs={inputs}"
            )
        x1, x2 = inputs
        axes = self._resolve_axes(x1.shape, x2.shape)
        if self.normalize:
            x1 = _l2_normalize(x1, axes[0])
            x2 = _l2_normalize(x2, axes[1])
        try:
            return batch_dot(x1, x2, axes)
        except ValueError as e:
            raise self._error(str(e)) from None

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 2:
            raise self._error(
                f"A `Dot` layer should be called on a list of 2 inputs. Received: input_shape={input_shape}"
            )
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        axes = self._resolve_axes(shape1, shape2)
        shape1.pop(axes[0])
        shape2.pop(axes[1])
        shape2.pop(0)
        output_shape = shape1 + shape2
        if len(output_shape) == 1:
            output_shape += [1]
        return tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        config = super().get_config()
        config.update({"axes": self.axes, "normalize": self.normalize})
        return config


def dot(inputs, axes=-1, **kwargs):
    """Functional interface to the `lamina.layers.Dot` layer.

    Args:
        inputs: A list of two input tensors.
        axes: Integer or tuple of integers, the axis or axes along which to take the dot product
            (0, the batch axis, is not allowed).
        **kwargs: Standard layer keyword arguments (and `normalize`).

    Returns:
        A tensor, the dot product of the samples from the inputs.
    """
    return Dot(axes=axes, **kwargs)(inputs)
