"""``DataAdapter``: the interface every input type is adapted to (Keras 3's
``keras.src.trainers.data_adapters.data_adapter``)."""

import abc


class DataAdapter(abc.ABC):
    """Base class for input data adapters.

    An adapter turns one kind of input (numpy arrays and tensors, a Python generator, a
    ``lamina.utils.PyDataset``) into a uniform stream of batches for the trainer: each call of
    `get_numpy_iterator` starts one pass over the data and yields batches as nested structures
    of numpy arrays (``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``).
    """

    @abc.abstractmethod
    def get_numpy_iterator(self):
        """A Python iterator over the batches of one pass, as numpy arrays."""

    @property
    @abc.abstractmethod
    def num_batches(self):
        """The number of batches of one pass, or None when it is unknown (generators,
        infinite datasets)."""

    @property
    @abc.abstractmethod
    def batch_size(self):
        """The batch size, or None when the data comes already batched."""

    @property
    def has_partial_batch(self):
        """Whether the last batch of a pass is smaller than `batch_size`."""
        return False

    @property
    def partial_batch_size(self):
        """The size of the last, partial batch, or None."""
        return None

    def on_epoch_begin(self):
        """Called at the start of each pass over the data."""

    def on_epoch_end(self):
        """Called at the end of each pass over the data."""


__all__ = ["DataAdapter"]
