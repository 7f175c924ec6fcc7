"""``Merge``: the base class of the elementwise merge layers (Keras 3's ``keras.src.layers.merging.base_merge``)."""

from lamina import ops
from lamina.layers.layer import Layer


def _mask_of(x):
    return getattr(x, "_keras_mask", None)


class Merge(Layer):
    """Generic merge layer for elementwise merge functions (the base of `Add`, `Average`, ...).

    Inputs are a list of tensors with the same batch size. Their other dimensions broadcast as
    in Keras: sizes must match or be 1; inputs of lower rank are expanded at axis 1 until all
    ranks agree. The output mask is the logical OR of the input masks when every input has one.

    Args:
        **kwargs: Standard layer keyword arguments.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self._reshape_required = False

    def _merge_function(self, inputs):
        raise NotImplementedError

    def _error(self, message):
        return ValueError(f"Layer '{self.name}' ({self.__class__.__name__}): {message}")

    def _apply_merge_op_and_or_mask(self, op_fn, inputs):
        """Merges `inputs` with the binary `op_fn`, ignoring masked-out entries of each input
        and ORing the masks (used by `Maximum` and `Minimum`, which have no identity element)."""
        output = None
        output_mask = None
        for x in inputs:
            mask = _mask_of(x)
            if mask is not None:
                mask = ops.broadcast_to(ops.expand_dims(mask, -1), x.shape)
            if output is None:
                output, output_mask = x, mask
                continue
            if mask is not None:
                x = ops.where(mask, x, output)
            if output_mask is not None:
                output = ops.where(output_mask, output, x)
            if mask is not None and output_mask is not None:
                output_mask = ops.logical_or(output_mask, mask)
            else:
                output_mask = None
            output = op_fn(output, x)
        if output_mask is not None:
            output._keras_mask = ops.any(output_mask, axis=-1, keepdims=False)
        return output

    def _compute_elemwise_op_output_shape(self, shape1, shape2):
        """The shape of an elementwise op of `shape1` and `shape2` (batch axis excluded).

        Raises:
            ValueError: If the shapes are not broadcast-compatible.
        """
        if shape1 is None or shape2 is None:
            return None
        if len(shape1) < len(shape2):
            return self._compute_elemwise_op_output_shape(shape2, shape1)
        if not shape2:
            return tuple(shape1)
        output_shape = list(shape1[: -len(shape2)])
        for i, j in zip(shape1[-len(shape2):], shape2):
            if i is None or j is None:
                output_shape.append(None)
            elif i == 1:
                output_shape.append(j)
            elif j == 1 or i == j:
                output_shape.append(i)
            else:
                raise self._error(
                    f"Inputs have incompatible shapes. Received shapes {tuple(shape1)} and "
                    f"{tuple(shape2)}"
                )
        return tuple(output_shape)

    def _check_list_of_shapes(self, input_shape):
        if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(
                input_shape[0], (list, tuple)):
            raise self._error(
                "A merge layer should be called on a list of inputs. "
                f"Received: input_shape={input_shape} (not a list of shapes)"
            )

    def build(self, input_shape):
        # Shape validation only: merge layers have no weights.
        self._check_list_of_shapes(input_shape)
        batch_sizes = {s[0] for s in input_shape if s} - {None}
        if len(batch_sizes) > 1:
            raise self._error(
                "Cannot merge tensors with different batch sizes. "
                f"Received tensors with shapes {[tuple(s) for s in input_shape]}"
            )
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = self._compute_elemwise_op_output_shape(output_shape, tuple(shape[1:]))
        self._reshape_required = len({len(s) for s in input_shape}) != 1

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise self._error(
                "A merge layer should be called on a list of inputs. "
                f"Received: inputs={inputs} (not a list of tensors)"
            )
        if self._reshape_required:
            # Lower-rank inputs are expanded at axis 1 until every rank matches.
            max_ndim = max(x.ndim for x in inputs)
            reshaped = []
            for x in inputs:
                mask = _mask_of(x)
                for _ in range(max_ndim - x.ndim):
                    x = ops.expand_dims(x, 1)
                if mask is not None:
                    x._keras_mask = mask
                reshaped.append(x)
            return self._merge_function(reshaped)
        return self._merge_function(inputs)

    def compute_output_shape(self, input_shape):
        self._check_list_of_shapes(input_shape)
        output_shape = tuple(input_shape[0][1:])
        for shape in input_shape[1:]:
            output_shape = self._compute_elemwise_op_output_shape(output_shape, tuple(shape[1:]))
        batch_sizes = {s[0] for s in input_shape if s is not None} - {None}
        batch = next(iter(batch_sizes)) if len(batch_sizes) == 1 else None
        return (batch,) + tuple(output_shape)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        self._check_mask_list(inputs, mask)
        # OR of the masks (right for Add, Subtract, Average, Maximum, Minimum and Multiply).
        if any(m is None for m in mask):
            return None
        output_mask = mask[0]
        for m in mask[1:]:
            output_mask = ops.logical_or(output_mask, m)
        return output_mask

    @staticmethod
    def _check_mask_list(inputs, mask, mask_received="Received: mask="):
        """Checks that `mask` and `inputs` are lists of the same length (`mask_received` leads
        the value in the message about a `mask` that is not a list)."""
        if not isinstance(mask, (tuple, list)):
            raise ValueError(f"`mask` should be a list. {mask_received}{mask}")
        if not isinstance(inputs, (tuple, list)):
            raise ValueError(f"`inputs` should be a list. Received: inputs={inputs}")
        if len(mask) != len(inputs):
            raise ValueError(
                "The lists `inputs` and `mask` should have the same length. "
                f"Received: inputs={inputs} of length {len(inputs)}, and "
                f"mask={mask} of length {len(mask)}"
            )

    def get_config(self):
        return super().get_config()
