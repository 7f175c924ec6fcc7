"""``lamina.utils.PyDataset``: a dataset written in Python, served batch by batch to ``fit``,
``evaluate`` and ``predict`` (Keras 3's ``keras.utils.PyDataset``, also ``keras.utils.Sequence``)."""

import itertools
import warnings


class PyDataset:
    """Base class for defining a parallel dataset using Python code.

    Every `PyDataset` implements ``__getitem__()`` (which returns a complete batch, not a single
    sample) and ``__len__()`` (the number of batches), or the `num_batches` property (``None``
    for an infinite dataset). To change the dataset between epochs, implement
    ``on_epoch_end()`` and/or ``on_epoch_begin()``.

    A batch is ``(inputs,)``, ``(inputs, targets)`` or ``(inputs, targets, sample_weights)``
    (a single array or a dict stands for the inputs alone); inputs and targets may themselves
    be lists or dicts of arrays for multi-input/-output models.

    Args:
        workers: Number of workers used to fetch batches ahead of time in ``fit()``,
            ``evaluate()`` and ``predict()`` (1 fetches each batch when it is needed).
        use_multiprocessing: Whether the workers are processes (forked copies of the dataset;
            gives compute-level parallelism, and requires batches that can be pickled) rather
            than threads.
        max_queue_size: Maximum number of batches fetched ahead of time when `workers > 1`.
            Defaults to 10.

    Notes:
        ``workers``, ``use_multiprocessing`` and ``max_queue_size`` configure how ``fit()`` and
        friends iterate over the dataset; iterating over it by hand applies no parallelism.
        Batches always reach the model in order (or in the epoch's shuffled order, when
        ``fit(shuffle=True)``).

    Example:

    >>> import math
    >>> import numpy as np
    >>> class ArrayDataset(lamina.utils.PyDataset):
    ...     def __init__(self, x, y, batch_size, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.x, self.y, self.batch_size = x, y, batch_size
    ...     def __len__(self):
    ...         return math.ceil(len(self.x) / self.batch_size)
    ...     def __getitem__(self, idx):
    ...         low = idx * self.batch_size
    ...         high = min(low + self.batch_size, len(self.x))
    ...         return self.x[low:high], self.y[low:high]
    >>> ds = ArrayDataset(np.zeros((10, 3)), np.zeros((10, 1)), batch_size=4)
    >>> ds.num_batches
    3
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = workers
        self._use_multiprocessing = use_multiprocessing
        self._max_queue_size = max_queue_size

    def _warn_if_super_not_called(self):
        missing = False
        for attr, default in (("_workers", 1), ("_use_multiprocessing", False),
                              ("_max_queue_size", 10)):
            if attr not in self.__dict__:
                self.__dict__[attr] = default
                missing = True
        if missing:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.",
                stacklevel=3,
            )

    @property
    def workers(self):
        """The number of workers fetching batches ahead of time."""
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = value

    @property
    def use_multiprocessing(self):
        """Whether the workers are processes rather than threads."""
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = value

    @property
    def max_queue_size(self):
        """The maximum number of batches fetched ahead of time."""
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = value

    def __getitem__(self, index):
        """Returns the batch at position `index` (to be implemented by subclasses).

        Args:
            index: The position of the batch in the PyDataset.

        Returns:
            A batch.
        """
        raise NotImplementedError(
            f"{self.__class__.__name__} must implement `__getitem__(self, index)`, which "
            "returns the batch at position `index`."
        )

    def __iter__(self):
        num_batches = self.num_batches
        indices = itertools.count() if num_batches is None else range(num_batches)
        for index in indices:
            yield self[index]

    @property
    def num_batches(self):
        """The number of batches in the PyDataset, or ``None`` for an infinite dataset.

        Defaults to ``len(self)``; a dataset without ``__len__`` must override this property.
        """
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError(
            f"{self.__class__.__name__} must implement `__len__` or the `num_batches` "
            "property:\n\n@property\ndef num_batches(self):\n  return ..."
        )

    def on_epoch_begin(self):
        """Method called at the beginning of every epoch."""

    def on_epoch_end(self):
        """Method called at the end of every epoch."""


__all__ = ["PyDataset"]
