"""``PyDatasetAdapter``: a ``lamina.utils.PyDataset``, its batches optionally fetched ahead of time
by a pool of threads or forked processes (Keras 3's
``keras.src.trainers.data_adapters.py_dataset_adapter``)."""

import collections
import concurrent.futures
import itertools
import multiprocessing
import random
import threading
import warnings

from lamina.trainers.data_adapters import data_adapter_utils
from lamina.trainers.data_adapters.data_adapter import DataAdapter
from lamina.utils.py_dataset import PyDataset

# Datasets shared with forked worker processes, by enqueuer id (a forked child inherits this
# dict as it was when the pool started).
_SHARED_DATASETS = {}
_next_uid = itertools.count()
_uid_lock = threading.Lock()


def _get_index(uid, index):
    """Fetches batch `index` of shared dataset `uid` (runs in a worker process)."""
    return _SHARED_DATASETS[uid][index]


class OrderedEnqueuer:
    """Fetches the batches of a PyDataset ahead of time with a pool of workers, and hands them
    out in order.

    At most `max_queue_size` batches (and at least `workers`) are requested ahead of the one
    being consumed. `pause()` waits for the requests in flight (their batches are kept), so
    that the dataset's epoch hooks never run while a worker reads it.

    Args:
        py_dataset: The ``PyDataset``.
        indices: An iterable of the batch indices to fetch, in order.
        workers: The number of threads or processes.
        use_multiprocessing: Use forked processes instead of threads.
        max_queue_size: How many batches may be requested ahead of time.
    """

    def __init__(self, py_dataset, indices, workers=1, use_multiprocessing=False,
                 max_queue_size=10):
        self.py_dataset = py_dataset
        self.workers = max(int(workers), 1)
        self.window = max(int(max_queue_size or 0), self.workers, 1)
        self.use_multiprocessing = bool(use_multiprocessing)
        self._indices = iter(indices)
        self._pending = collections.deque()
        self._executor = None
        self._uid = None

    def _start(self):
        if self.use_multiprocessing:
            if "fork" in multiprocessing.get_all_start_methods():
                with _uid_lock:
                    self._uid = next(_next_uid)
                _SHARED_DATASETS[self._uid] = self.py_dataset
                self._executor = concurrent.futures.ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=multiprocessing.get_context("fork"))
                return
            warnings.warn(
                "`use_multiprocessing=True` needs the 'fork' start method, which this platform "
                "does not offer; the PyDataset's batches are fetched with threads instead.",
                stacklevel=2,
            )
            self.use_multiprocessing = False
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=self.workers, thread_name_prefix="lamina_py_dataset")

    def _submit(self, index):
        if self.use_multiprocessing:
            return self._executor.submit(_get_index, self._uid, index)
        return self._executor.submit(self.py_dataset.__getitem__, index)

    def _fill(self):
        if self._executor is None:
            if self._uid is not None:
                _SHARED_DATASETS.pop(self._uid, None)
                self._uid = None
            self._start()
        while len(self._pending) < self.window:
            try:
                index = next(self._indices)
            except StopIteration:
                return
            self._pending.append(self._submit(index))

    def __iter__(self):
        return self

    def __next__(self):
        self._fill()
        if not self._pending:
            self.stop()
            raise StopIteration
        future = self._pending.popleft()
        try:
            batch = future.result()
        except BaseException:
            self.stop()
            raise
        self._fill()
        return batch

    def pause(self):
        """Waits for the requests in flight to finish; no new ones start until the next batch
        is asked for."""
        if self._pending:
            concurrent.futures.wait(list(self._pending))
        if self.use_multiprocessing and self._executor is not None:
            # Forked workers hold a copy of the dataset as it was when they started: the next
            # batches come from new workers, which see what the epoch hooks change.
            self._executor.shutdown(wait=True)
            self._executor = None

    def stop(self):
        """Cancels what has not started and shuts the pool down."""
        for future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._uid is not None:
            _SHARED_DATASETS.pop(self._uid, None)
            self._uid = None

    def __del__(self):
        try:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
            if self._uid is not None:
                _SHARED_DATASETS.pop(self._uid, None)
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class PyDatasetAdapter(DataAdapter):
    """Adapter for ``lamina.utils.PyDataset`` instances.

    Each pass reads batches ``0 .. num_batches - 1`` (in a random order with
    ``shuffle=True``; an infinite dataset, ``num_batches=None``, is read 0, 1, 2, ... across
    passes), calls the dataset's ``on_epoch_begin``/``on_epoch_end`` around it, and with
    ``workers > 1`` (or ``use_multiprocessing=True``) fetches batches ahead of time.

    Args:
        x: The ``PyDataset``.
        class_weight: A dict mapping class indices to weights, turned into sample weights for
            ``(x, y)`` batches.
        shuffle: Whether each pass visits the batches in a random order.
    """

    def __init__(self, x, class_weight=None, shuffle=False):
        if not isinstance(x, PyDataset):
            raise ValueError(
                f"Expected a `lamina.utils.PyDataset`. Received: x={x!r} (of type {type(x)})"
            )
        self.py_dataset = x
        self.class_weight = class_weight
        self.shuffle = shuffle
        self._within_epoch = False
        self._enqueuer = None
        self._infinite_indices = None
        workers = x.workers
        use_multiprocessing = x.use_multiprocessing
        self._use_enqueuer = bool(workers and (workers > 1 or (workers > 0 and use_multiprocessing)))

    def _standardize_batch(self, batch):
        if isinstance(batch, dict):
            return data_adapter_utils.to_numpy_batch(batch)
        if isinstance(batch, list):
            batch = tuple(batch)
        elif not isinstance(batch, tuple) and hasattr(batch, "__array__"):
            batch = (batch,)
        if not isinstance(batch, tuple) or len(batch) not in (1, 2, 3):
            raise ValueError(
                "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must be "
                "ordered either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}"
            )
        if self.class_weight is not None:
            if len(batch) == 3:
                raise ValueError(
                    "You cannot specify `class_weight` and `sample_weight` at the same time."
                )
            if len(batch) == 2:
                sw = data_adapter_utils.class_weight_to_sample_weights(batch[1], self.class_weight)
                batch = batch + (sw,)
        return data_adapter_utils.to_numpy_batch(batch)

    def _indices(self):
        num_batches = self.py_dataset.num_batches
        if num_batches is None:
            # An infinite dataset resumes where the previous pass stopped.
            if self._infinite_indices is None:
                self._infinite_indices = itertools.count()
            return self._infinite_indices
        indices = list(range(num_batches))
        if self.shuffle:
            random.shuffle(indices)
        return indices

    def _batches(self):
        indices = self._indices()
        if not self._use_enqueuer:
            for i in indices:
                yield self._standardize_batch(self.py_dataset[i])
            return
        if self._enqueuer is not None:
            self._enqueuer.stop()
        enqueuer = OrderedEnqueuer(
            self.py_dataset, indices, workers=self.py_dataset.workers,
            use_multiprocessing=self.py_dataset.use_multiprocessing,
            max_queue_size=self.py_dataset.max_queue_size,
        )
        self._enqueuer = enqueuer
        try:
            for batch in enqueuer:
                yield self._standardize_batch(batch)
        finally:
            enqueuer.stop()
            if self._enqueuer is enqueuer:
                self._enqueuer = None

    def get_numpy_iterator(self):
        return self._batches()

    def on_epoch_begin(self):
        if self._within_epoch:
            raise ValueError(
                "`on_epoch_begin` was called twice without `on_epoch_end` having been called."
            )
        self._within_epoch = True
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        if self._enqueuer is not None:
            self._enqueuer.pause()
        self.py_dataset.on_epoch_end()
        self._within_epoch = False

    @property
    def num_batches(self):
        return self.py_dataset.num_batches

    @property
    def batch_size(self):
        return None


__all__ = ["OrderedEnqueuer", "PyDatasetAdapter"]
