"""``EpochIterator``: the batches of one epoch, as lamina Tensors, grouped by
``steps_per_execution`` (Keras 3's ``keras.src.trainers.epoch_iterator``).

Separation of concerns, as in Keras:

- the data adapter knows the input type: batching and shuffling arrays, reading generators
  and PyDatasets, class weights;
- the epoch iterator knows the steps: how many batches make an epoch, resuming an
  iterator across epochs when ``steps_per_epoch`` cuts passes short, running out of data;
- the trainer knows epochs, validation, callbacks.
"""

import warnings

from lamina.trainers import data_adapters
from lamina.trainers.data_adapters import data_adapter_utils


class EpochIterator:
    """Iterates over the batches of one epoch; iterate again for the next epoch.

    Each item is ``(begin_step, end_step, batches)``: a list of up to `steps_per_execution`
    batches (each a nested structure of Tensors) and the indices of its first and last step.

    With `steps_per_epoch`, an epoch is that many steps and the data iterator carries over
    from one epoch to the next (a new pass starts once the data is used up); without it an
    epoch is one full pass.

    Args:
        x, y, sample_weight, batch_size, shuffle, class_weight: The data, as `fit` takes it.
        steps_per_epoch: The number of steps in an epoch, or None for a full pass.
        steps_per_execution: How many batches each item holds.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, steps_per_execution=1):
        if steps_per_epoch is not None and (
                not isinstance(steps_per_epoch, int) or isinstance(steps_per_epoch, bool)
                or steps_per_epoch <= 0):
            raise ValueError(
                "Expected `steps_per_epoch` (or `steps`) to be a positive integer or None. "
                f"Received: {steps_per_epoch!r}"
            )
        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(
                "Expected `steps_per_execution` to be a positive integer. "
                f"Received: steps_per_execution={steps_per_execution!r}"
            )
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = steps_per_execution
        self.data_adapter = data_adapters.get_data_adapter(
            x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
            steps_per_epoch=steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
        )
        self._num_batches = self.data_adapter.num_batches
        self._current_iterator = None
        self._yields_tensors = False
        self._steps_seen = 0
        # Set when a non-restartable source (a generator) has nothing left to give.
        self.exhausted = False

    def _new_iterator(self):
        """A new pass over the data, and whether its batches are Tensors already (an adapter
        with ``_get_tensor_iterator`` converts them itself, more cheaply)."""
        tensor_iterator = getattr(self.data_adapter, "_get_tensor_iterator", None)
        if tensor_iterator is not None:
            return iter(tensor_iterator()), True
        return iter(self.data_adapter.get_numpy_iterator()), False

    @staticmethod
    def _interrupted_warning():
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches. You may need "
            "to use the `.repeat()` function when building your dataset.",
            stacklevel=3,
        )

    def reset(self):
        """Forgets any pass in progress: the next epoch starts from a new pass."""
        self._current_iterator = None
        self._steps_seen = 0
        self._num_batches = self.data_adapter.num_batches

    def __iter__(self):
        return self._enumerate_epoch()

    def _enumerate_epoch(self):
        adapter = self.data_adapter
        adapter.on_epoch_begin()
        try:
            yield from self._steps()
        finally:
            adapter.on_epoch_end()

    def _steps(self):
        known = self._num_batches  # None for generators and infinite PyDatasets
        limit = self.steps_per_epoch
        if self._current_iterator is None or (known is not None and limit is None):
            # A source of known length starts a new pass each epoch (or, with
            # `steps_per_epoch`, once the previous pass is used up); a generator keeps going.
            self._current_iterator, self._yields_tensors = self._new_iterator()
            self._steps_seen = 0
        iterator = self._current_iterator
        spe = self.steps_per_execution
        convert = None if self._yields_tensors else data_adapter_utils.to_tensor_batch
        step = 0
        ran_out = False
        while not ran_out and (limit is None or step < limit):
            n = spe if limit is None else min(spe, limit - step)
            batches = []
            for _ in range(n):
                if known is not None and self._steps_seen >= known:
                    ran_out = True
                    break
                try:
                    batch = next(iterator)
                except StopIteration:
                    ran_out = True
                    break
                self._steps_seen += 1
                batches.append(batch if convert is None else convert(batch))
            if batches:
                yield step, step + len(batches) - 1, batches
                step += len(batches)
        if known is not None:
            if ran_out or self._steps_seen >= known:
                self._current_iterator = None
                self._steps_seen = 0
            if ran_out and limit is not None and step < limit:
                self._interrupted_warning()
        elif ran_out and (step == 0 or limit is not None):
            # A generator with nothing left: training cannot go on.
            self.exhausted = True
            self._interrupted_warning()

    @property
    def num_batches(self):
        """The number of steps in an epoch (None when unknown)."""
        if self.steps_per_epoch:
            return self.steps_per_epoch
        return self._num_batches
