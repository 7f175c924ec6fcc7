"""``ArrayDataAdapter``: numpy arrays and lamina tensors (and nested lists/tuples/dicts of them),
batched and shuffled here (Keras 3's ``keras.src.trainers.data_adapters.array_data_adapter``)."""

import math

import numpy as np

from lamina import tree
from lamina.trainers.data_adapters import array_slicing
from lamina.trainers.data_adapters import data_adapter_utils
from lamina.trainers.data_adapters.data_adapter import DataAdapter


class ArrayDataAdapter(DataAdapter):
    """Adapter for array-like inputs: numpy arrays, lamina Tensors, objects with ``__array__``.

    The arrays are converted to numpy once (floats to floatx); each pass slices batches of
    `batch_size` samples along the first axis, in order, in a fresh random order
    (``shuffle=True``) or in order with each batch's samples permuted (``shuffle="batch"``).

    Args:
        x: Input arrays (an array, or a list/tuple/dict of arrays).
        y: Target arrays, or None.
        sample_weight: Per-sample weights: an array, or one array per output of `y`.
        batch_size: Samples per batch. Defaults to ``ceil(num_samples / steps)`` when `steps`
            is given, else 32.
        steps: The number of steps per pass, used only to derive `batch_size`.
        shuffle: False, True or "batch".
        class_weight: A dict mapping class indices to weights, turned into sample weights
            (single-output models only; not together with `sample_weight`).
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False,
                 class_weight=None):
        if not array_slicing.can_convert_arrays((x, y, sample_weight)):
            raise ValueError(
                f"Expected all elements of `x` to be array-like. Received invalid types: x={x}"
            )
        if sample_weight is not None:
            if class_weight is not None:
                raise ValueError(
                    "You cannot `class_weight` and `sample_weight` at the same time."
                )
            if tree.is_nested(y):
                if isinstance(sample_weight, (list, tuple, dict)):
                    try:
                        tree.assert_same_structure(y, sample_weight)
                    except ValueError:
                        raise ValueError(
                            "You should provide one `sample_weight` array per output in `y`. "
                            f"The two structures did not match:\n- y: {y}\n"
                            f"- sample_weight: {sample_weight}\n"
                        ) from None
                else:
                    shape = np.shape(sample_weight)
                    if not (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)):
                        raise ValueError(
                            "For a model with multiple outputs, when providing a single "
                            "`sample_weight` array, it should only have one scalar score per "
                            "sample (i.e. shape `(num_samples,)`). If you want to use "
                            "non-scalar sample weights, pass a `sample_weight` argument with "
                            "one array per model output."
                        )
                    sample_weight = tree.map_structure(lambda _: sample_weight, y)
        if class_weight is not None:
            if tree.is_nested(y):
                raise ValueError(
                    "`class_weight` is only supported for Models with a single output."
                )
            sample_weight = data_adapter_utils.class_weight_to_sample_weights(y, class_weight)

        inputs = data_adapter_utils.pack_x_y_sample_weight(x, y, sample_weight)
        inputs = array_slicing.convert_to_arrays(inputs)
        data_adapter_utils.check_data_cardinality(inputs)
        sizes = [int(a.shape[0]) for a in tree.flatten(inputs) if a is not None]
        if not sizes:
            raise ValueError(
                "Expected input data `x` to hold at least one array. "
                f"Received: x={x!r}, y={y!r}"
            )
        num_samples = sizes[0]
        if steps is not None and (not isinstance(steps, int) or steps <= 0):
            raise ValueError(
                f"Expected `steps` to be a positive integer or None. Received: steps={steps!r}"
            )
        if not batch_size:
            batch_size = int(math.ceil(num_samples / steps)) if steps else 32
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(
                "Expected `batch_size` to be a positive integer. "
                f"Received: batch_size={batch_size!r}"
            )
        if shuffle not in (True, False, "batch"):
            raise ValueError(
                'Expected `shuffle` to be a boolean or "batch". '
                f"Received: shuffle={shuffle!r}"
            )
        batch_size = int(batch_size)
        self._inputs = inputs
        self._flat_inputs = tree.flatten(inputs)
        self._num_samples = num_samples
        self._batch_size = batch_size
        self._size = int(math.ceil(num_samples / batch_size))
        self._partial_batch_size = num_samples % batch_size
        self._shuffle = shuffle
        # How a batch is put back together from its sliced leaves.
        if not tree.is_nested(inputs):
            self._pack = lambda leaves: leaves[0]
        elif type(inputs) is tuple and not any(tree.is_nested(v) for v in inputs):
            self._pack = tuple
        else:
            self._pack = lambda leaves: tree.pack_sequence_as(inputs, leaves)

    def _batch_indices(self):
        """One pass over the batches: ``(start, stop, indices)`` for each, `indices` the rows to
        gather (None for the plain slice ``start:stop``). The shuffle permutation is drawn when
        the pass starts (on the first batch)."""
        n, bs = self._num_samples, self._batch_size
        shuffle = self._shuffle
        permutation = None
        if shuffle and shuffle != "batch":
            permutation = np.random.permutation(n)
        for i in range(self._size):
            start = i * bs
            stop = min(start + bs, n)
            if shuffle == "batch":
                indices = np.random.permutation(stop - start) + start
            elif permutation is not None:
                indices = permutation[start:stop]
            else:
                indices = None
            yield start, stop, indices

    def get_numpy_iterator(self):
        """Iterates over the batches of one pass (numpy arrays, in the structure of the
        inputs: ``x``, ``(x, y)`` or ``(x, y, sample_weight)``)."""
        flat = self._flat_inputs
        pack = self._pack
        for start, stop, indices in self._batch_indices():
            if indices is None:
                leaves = [None if a is None else a[start:stop] for a in flat]
            else:
                leaves = [None if a is None else np.take(a, indices, axis=0) for a in flat]
            yield pack(leaves)

    def _get_tensor_iterator(self):
        """The batches of `get_numpy_iterator` (same order, same random draws), already
        converted with ``data_adapter_utils.to_tensor_batch``.

        Shuffled rows are gathered into one buffer per input array, reused from batch to batch:
        the conversion to a Tensor copies the buffer, so each batch costs one copy into the
        engine and no new numpy allocation (a fresh array per batch, freed right after its
        conversion, makes the allocator return and re-fault the memory on every step).
        """
        flat = self._flat_inputs
        pack = self._pack
        convert = data_adapter_utils.to_tensor_batch
        bs = self._batch_size
        buffers = [None] * len(flat)
        for start, stop, indices in self._batch_indices():
            if indices is None:
                leaves = [None if a is None else a[start:stop] for a in flat]
            else:
                leaves = []
                for j, a in enumerate(flat):
                    if a is None:
                        leaves.append(None)
                        continue
                    buffer = buffers[j]
                    if buffer is None:
                        buffer = buffers[j] = np.empty((bs,) + a.shape[1:], dtype=a.dtype)
                    part = buffer[:stop - start]
                    # The indices are in range, so "clip" gathers exactly what "raise" would,
                    # without numpy's extra temporary copy for `out` under "raise".
                    np.take(a, indices, axis=0, out=part, mode="clip")
                    leaves.append(part)
            yield convert(pack(leaves))

    @property
    def num_batches(self):
        return self._size

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def has_partial_batch(self):
        return self._partial_batch_size > 0

    @property
    def partial_batch_size(self):
        return self._partial_batch_size or None


can_convert_arrays = array_slicing.can_convert_arrays

__all__ = ["ArrayDataAdapter", "can_convert_arrays"]
