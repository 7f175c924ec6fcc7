"""``GeneratorDataAdapter``: a Python generator of batches (Keras 3's
``keras.src.trainers.data_adapters.generator_data_adapter``)."""

import itertools

from lamina.trainers.data_adapters import data_adapter_utils
from lamina.trainers.data_adapters.data_adapter import DataAdapter


class GeneratorDataAdapter(DataAdapter):
    """Adapter for Python generators yielding ``(x,)``, ``(x, y)`` or
    ``(x, y, sample_weight)`` tuples (the parts may be arrays, tensors, or lists/dicts of them).

    A generator can be consumed only once: the first pass runs until it is exhausted (or for
    as many steps as asked), and later passes continue from where the previous one stopped.
    The first batch is read ahead of time to check its form.

    Args:
        generator: A Python generator object.
    """

    def __init__(self, generator):
        first = list(itertools.islice(generator, 1))
        if not first:
            raise ValueError(
                "When passing a Python generator to a Keras model, the generator must yield at "
                "least one batch. Received an empty generator."
            )
        if not isinstance(first[0], tuple):
            raise ValueError(
                "When passing a Python generator to a Keras model, the generator must return a "
                "tuple, either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {first[0]}"
            )
        self._peeked = first
        self.generator = generator

    def _batches(self):
        peeked, self._peeked = self._peeked, []
        for batch in itertools.chain(peeked, self.generator):
            if isinstance(batch, list):
                batch = tuple(batch)
            if isinstance(batch, tuple) and not 1 <= len(batch) <= 3:
                data_adapter_utils.unpack_x_y_sample_weight(batch)  # raises the Keras error
            yield data_adapter_utils.to_numpy_batch(batch)

    def get_numpy_iterator(self):
        return self._batches()

    @property
    def num_batches(self):
        return None

    @property
    def batch_size(self):
        return None


__all__ = ["GeneratorDataAdapter"]
