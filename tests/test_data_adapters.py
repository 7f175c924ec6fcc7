"""Data handling behind fit/evaluate/predict: the array, generator and PyDataset adapters, the
epoch iterator, validation splits, class weights and ``lamina.utils.PyDataset`` — checked
against numpy."""

import math
import random
import threading
import time
import warnings

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.trainers.data_adapters import get_data_adapter
from lamina.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lamina.trainers.data_adapters.array_slicing import train_validation_split
from lamina.trainers.data_adapters.data_adapter_utils import check_data_cardinality
from lamina.trainers.data_adapters.data_adapter_utils import class_weight_to_sample_weights
from lamina.trainers.data_adapters.data_adapter_utils import pack_x_y_sample_weight
from lamina.trainers.data_adapters.data_adapter_utils import to_tensor_batch
from lamina.trainers.data_adapters.data_adapter_utils import unpack_x_y_sample_weight
from lamina.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from lamina.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from lamina.trainers.epoch_iterator import EpochIterator
from lamina.utils.py_dataset import PyDataset


class ArrayDataset(PyDataset):
    """Batches of `batch_size` rows of `x` (and `y`), recording the order of the reads."""

    def __init__(self, x, y=None, batch_size=4, delay=0.0, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size, self.delay = x, y, batch_size, delay
        self.reads = []
        self.epoch_begins = 0
        self.epoch_ends = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        if self.delay:
            # Later batches finish first, so out-of-order delivery would show.
            time.sleep(self.delay * (len(self) - idx))
        self.reads.append(idx)
        lo = idx * self.batch_size
        hi = min(lo + self.batch_size, len(self.x))
        if self.y is None:
            return (self.x[lo:hi],)
        return self.x[lo:hi], self.y[lo:hi]

    def on_epoch_begin(self):
        self.epoch_begins += 1

    def on_epoch_end(self):
        self.epoch_ends += 1


def _rows(n=10, d=3):
    return np.arange(n * d, dtype="float32").reshape(n, d)


# ----------------------------------------------------------------------------------------------
# pack / unpack / cardinality
# ----------------------------------------------------------------------------------------------

def test_unpack_and_pack():
    a, b, c = np.ones(2), np.zeros(2), np.full(2, 3.0)
    assert unpack_x_y_sample_weight(a)[0] is a and unpack_x_y_sample_weight(a)[1:] == (None, None)
    assert unpack_x_y_sample_weight((a,))[1:] == (None, None)
    x, y, sw = unpack_x_y_sample_weight([a, b])
    assert x is a and y is b and sw is None
    assert unpack_x_y_sample_weight((a, b, c))[2] is c
    with pytest.raises(ValueError, match="Data is expected to be in format"):
        unpack_x_y_sample_weight((a, b, c, a))
    assert pack_x_y_sample_weight(a) is a
    assert pack_x_y_sample_weight([a, b]) == ([a, b],)
    assert pack_x_y_sample_weight(a, b)[1] is b
    assert len(pack_x_y_sample_weight(a, b, c)) == 3


def test_cardinality_error_quotes_both_lengths():
    with pytest.raises(ValueError, match=r"(?s)cardinality is ambiguous.*'x' sizes: 10.*'y' sizes: 9"):
        check_data_cardinality((np.zeros((10, 2)), np.zeros(9)))
    with pytest.raises(ValueError, match=r"'x' sizes: 10\n'y' sizes: 7"):
        ArrayDataAdapter(np.zeros((10, 2)), np.zeros(7))


def test_to_tensor_batch_keeps_structure_and_casts_float64():
    batch = ({"a": np.ones((2, 3)), "b": np.arange(2)}, [np.zeros((2, 1), "float32")], None)
    out = to_tensor_batch(batch)
    assert isinstance(out, tuple) and out[2] is None
    assert out[0]["a"].dtype == "float32" and out[0]["b"].dtype == "int64"
    assert isinstance(out[1], list) and out[1][0].shape == (2, 1)
    t = ops.ones((2,))
    assert to_tensor_batch(t) is t


# ----------------------------------------------------------------------------------------------
# ArrayDataAdapter
# ----------------------------------------------------------------------------------------------

def test_array_adapter_batches_in_order_with_partial_batch():
    x, y = _rows(10), np.arange(10)
    adapter = ArrayDataAdapter(x, y, batch_size=4)
    assert adapter.num_batches == 3 and adapter.batch_size == 4
    assert adapter.has_partial_batch and adapter.partial_batch_size == 2
    batches = list(adapter.get_numpy_iterator())
    assert [b[0].shape[0] for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), y)
    full = ArrayDataAdapter(x, batch_size=5)
    assert not full.has_partial_batch and full.partial_batch_size is None


def test_array_adapter_default_batch_size_and_from_steps():
    x = _rows(100)
    assert ArrayDataAdapter(x).batch_size == 32
    assert ArrayDataAdapter(x).num_batches == 4
    adapter = ArrayDataAdapter(x, steps=3)
    assert adapter.batch_size == 34 and adapter.num_batches == 3


def test_array_adapter_shuffle_is_a_permutation_per_pass():
    np.random.seed(1)
    x = np.arange(20, dtype="float32")[:, None]
    y = np.arange(20)
    adapter = ArrayDataAdapter(x, y, batch_size=6, shuffle=True)
    first = [b for b in adapter.get_numpy_iterator()]
    order1 = np.concatenate([b[1] for b in first])
    order2 = np.concatenate([b[1] for b in adapter.get_numpy_iterator()])
    np.testing.assert_array_equal(np.sort(order1), y)
    np.testing.assert_array_equal(np.sort(order2), y)
    assert not np.array_equal(order1, y) and not np.array_equal(order1, order2)
    # x and y stay aligned
    for bx, by in first:
        np.testing.assert_array_equal(bx[:, 0], by.astype("float32"))
    # the same permutation numpy would draw
    np.random.seed(5)
    expected = np.random.permutation(20)
    np.random.seed(5)
    adapter = ArrayDataAdapter(x, y, batch_size=6, shuffle=True)
    got = np.concatenate([b[1] for b in adapter.get_numpy_iterator()])
    np.testing.assert_array_equal(got, expected)


def test_array_adapter_batch_shuffle_stays_within_batches():
    np.random.seed(2)
    y = np.arange(12)
    adapter = ArrayDataAdapter(y[:, None].astype("float32"), y, batch_size=5, shuffle="batch")
    batches = [b[1] for b in adapter.get_numpy_iterator()]
    for i, b in enumerate(batches):
        np.testing.assert_array_equal(np.sort(b), y[i * 5:(i + 1) * 5])
    assert any(not np.array_equal(b, np.sort(b)) for b in batches)


def test_array_adapter_converts_tensors_and_float64():
    x = ops.convert_to_tensor(np.ones((6, 2), "float32"))
    y = np.linspace(0, 1, 6)  # float64 -> floatx
    (bx, by), = list(ArrayDataAdapter(x, y, batch_size=6).get_numpy_iterator())
    assert isinstance(bx, np.ndarray) and by.dtype == np.float32
    np.testing.assert_allclose(by, np.linspace(0, 1, 6).astype("float32"))


def test_array_adapter_nested_inputs_and_sample_weight_replication():
    x = {"a": _rows(8, 2), "b": _rows(8, 1)}
    y = [np.arange(8), np.arange(8) * 2]
    sw = np.linspace(1, 2, 8).astype("float32")
    batches = list(ArrayDataAdapter(x, y, sample_weight=sw, batch_size=3).get_numpy_iterator())
    bx, by, bsw = batches[0]
    assert set(bx) == {"a", "b"} and bx["a"].shape == (3, 2)
    assert isinstance(by, list) and isinstance(bsw, list) and len(bsw) == 2
    np.testing.assert_array_equal(bsw[0], sw[:3])
    np.testing.assert_array_equal(bsw[1], sw[:3])
    with pytest.raises(ValueError, match="one scalar score per sample"):
        ArrayDataAdapter(x, y, sample_weight=np.ones((8, 3)))
    with pytest.raises(ValueError, match="one `sample_weight` array per output"):
        ArrayDataAdapter(x, y, sample_weight=[np.ones(8)])


def test_array_adapter_argument_errors():
    x, y = _rows(8), np.arange(8) % 2
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight`"):
        ArrayDataAdapter(x, y, sample_weight=np.ones(8), class_weight={0: 1.0})
    with pytest.raises(ValueError, match="single output"):
        ArrayDataAdapter(x, [y, y], class_weight={0: 1.0})
    with pytest.raises(ValueError, match="batch_size"):
        ArrayDataAdapter(x, y, batch_size=-2)
    with pytest.raises(ValueError, match="shuffle"):
        ArrayDataAdapter(x, y, shuffle="yes")
    with pytest.raises(ValueError, match="rank >= 1"):
        ArrayDataAdapter(np.float32(1.0))
    with pytest.raises(ValueError, match="at least one array"):
        ArrayDataAdapter(None)


# ----------------------------------------------------------------------------------------------
# class weights and validation split
# ----------------------------------------------------------------------------------------------

def test_class_weight_to_sample_weights_sparse_onehot_and_column():
    labels = np.array([0, 2, 1, 2, 3])
    cw = {0: 0.5, 1: 2.0, 2: 3.0}
    expected = np.array([0.5, 3.0, 2.0, 3.0, 1.0], "float32")
    np.testing.assert_array_equal(class_weight_to_sample_weights(labels, cw), expected)
    np.testing.assert_array_equal(class_weight_to_sample_weights(labels[:, None], cw), expected)
    np.testing.assert_array_equal(class_weight_to_sample_weights(np.eye(4)[labels], cw), expected)
    out = class_weight_to_sample_weights(ops.convert_to_tensor(labels), cw)
    assert out.dtype == np.float32
    with pytest.raises(ValueError, match="class_weight"):
        class_weight_to_sample_weights(labels, [1.0, 2.0])


def test_array_adapter_class_weight_becomes_sample_weight():
    x, y = _rows(6), np.array([0, 1, 1, 0, 2, 1])
    (_, _, sw), = list(ArrayDataAdapter(x, y, batch_size=6, class_weight={1: 4.0}).get_numpy_iterator())
    np.testing.assert_array_equal(sw, np.where(y == 1, 4.0, 1.0))


def test_train_validation_split_takes_the_last_fraction():
    x, y = _rows(10), np.arange(10)
    (tx, ty, tsw), (vx, vy, vsw) = train_validation_split((x, y, None), 0.25)
    np.testing.assert_array_equal(ty, np.arange(7))
    np.testing.assert_array_equal(vy, np.arange(7, 10))
    np.testing.assert_array_equal(vx, x[7:])
    assert tsw is None and vsw is None
    with pytest.raises(ValueError, match="not sufficient to split"):
        train_validation_split((x[:1], y[:1], None), 0.5)
    gen = (b for b in [(x, y)])
    with pytest.raises(ValueError, match="only supported for tensors or NumPy arrays"):
        train_validation_split((gen, None, None), 0.2)
    with pytest.raises(ValueError, match=r"'x' sizes: 10\n'y' sizes: 9"):
        train_validation_split((x, y[:9], None), 0.2)


# ----------------------------------------------------------------------------------------------
# generators
# ----------------------------------------------------------------------------------------------

def test_generator_adapter_reads_once_and_checks_the_first_batch():
    x = _rows(6)

    def gen():
        for i in range(3):
            yield x[2 * i:2 * i + 2], np.arange(2) + 2 * i

    adapter = GeneratorDataAdapter(gen())
    assert adapter.num_batches is None and adapter.batch_size is None
    batches = list(adapter.get_numpy_iterator())
    assert len(batches) == 3
    np.testing.assert_array_equal(np.concatenate([b[1] for b in batches]), np.arange(6))
    assert list(adapter.get_numpy_iterator()) == []  # a generator is consumed once
    with pytest.raises(ValueError, match="must yield at least one batch"):
        GeneratorDataAdapter(b for b in [])
    with pytest.raises(ValueError, match="must return a tuple"):
        GeneratorDataAdapter(b for b in [x])


def test_get_data_adapter_dispatch_and_unsupported_arguments():
    x, y = _rows(4), np.arange(4)
    assert isinstance(get_data_adapter(x, y), ArrayDataAdapter)
    assert isinstance(get_data_adapter([x, x], y), ArrayDataAdapter)
    with pytest.warns(UserWarning, match="shuffle=True"):
        assert isinstance(get_data_adapter((b for b in [(x, y)]), shuffle=True), GeneratorDataAdapter)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        get_data_adapter((b for b in [(x, y)]), y=y)
    with pytest.raises(ValueError, match="`sample_weights` should not be passed"):
        get_data_adapter((b for b in [(x, y)]), sample_weight=y)
    with pytest.raises(ValueError, match="class_weight"):
        get_data_adapter((b for b in [(x, y)]), class_weight={0: 1.0})
    ds = ArrayDataset(x, y)
    assert isinstance(get_data_adapter(ds), PyDatasetAdapter)
    with pytest.raises(ValueError, match="as a PyDataset, `y` should not be passed"):
        get_data_adapter(ds, y=y)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        get_data_adapter("not data")
    with pytest.raises(ValueError, match="Unrecognized data type"):
        get_data_adapter([1, 2, 3])


# ----------------------------------------------------------------------------------------------
# PyDataset
# ----------------------------------------------------------------------------------------------

def test_py_dataset_basics():
    ds = ArrayDataset(_rows(10), np.arange(10), batch_size=4, workers=3, max_queue_size=5)
    assert ds.num_batches == 3 and len(ds) == 3
    assert (ds.workers, ds.use_multiprocessing, ds.max_queue_size) == (3, False, 5)
    assert [b[0].shape[0] for b in ds] == [4, 4, 2]

    class NoSuper(PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return (np.zeros((1, 1)),)

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__"):
        assert NoSuper().workers == 1

    class NoLen(PyDataset):
        def __getitem__(self, i):
            return (np.zeros((1, 1)),)

    with pytest.raises(NotImplementedError, match="num_batches"):
        NoLen().num_batches

    class Infinite(PyDataset):
        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            return (np.full((1, 1), i),)

    it = iter(Infinite())
    assert [float(next(it)[0][0, 0]) for _ in range(3)] == [0.0, 1.0, 2.0]


def test_py_dataset_adapter_hooks_order_and_shuffle():
    x, y = _rows(12), np.arange(12)
    ds = ArrayDataset(x, y, batch_size=3)
    it = EpochIterator(ds, shuffle=False)
    for _ in range(2):
        got = [b for _, _, bs in it for b in bs]
        np.testing.assert_array_equal(np.concatenate([np.asarray(b[1]) for b in got]), y)
    assert ds.epoch_begins == 2 and ds.epoch_ends == 2
    random.seed(0)
    ds2 = ArrayDataset(x, y, batch_size=3)
    orders = []
    it2 = EpochIterator(ds2, shuffle=True)
    for _ in range(3):
        ds2.reads.clear()
        list(it2)
        orders.append(list(ds2.reads))
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert len({tuple(o) for o in orders}) > 1


def test_py_dataset_adapter_batch_forms_and_class_weight():
    class Forms(PyDataset):
        def __init__(self, batch, **kwargs):
            super().__init__(**kwargs)
            self.batch = batch

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return self.batch

    a = np.ones((2, 2), "float32")
    (b,) = list(PyDatasetAdapter(Forms(a)).get_numpy_iterator())
    assert isinstance(b, tuple) and len(b) == 1
    (b,) = list(PyDatasetAdapter(Forms([a, np.array([0, 1])])).get_numpy_iterator())
    assert isinstance(b, tuple) and len(b) == 2
    (b,) = list(PyDatasetAdapter(Forms((a, np.array([0, 1]))), class_weight={1: 5.0}).get_numpy_iterator())
    np.testing.assert_array_equal(b[2], [1.0, 5.0])
    with pytest.raises(ValueError, match="must return a tuple or a dict"):
        list(PyDatasetAdapter(Forms((a, a, a, a))).get_numpy_iterator())
    with pytest.raises(ValueError, match="`class_weight` and `sample_weight`"):
        list(PyDatasetAdapter(Forms((a, a, a)), class_weight={0: 1.0}).get_numpy_iterator())


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_py_dataset_workers_deliver_batches_in_order(use_multiprocessing):
    x, y = _rows(24), np.arange(24)
    ds = ArrayDataset(x, y, batch_size=3, delay=0.002, workers=4,
                      use_multiprocessing=use_multiprocessing, max_queue_size=4)
    it = EpochIterator(ds, shuffle=False)
    for _ in range(2):
        got = np.concatenate([np.asarray(b[1]) for _, _, bs in it for b in bs])
        np.testing.assert_array_equal(got, y)
    if not use_multiprocessing:
        assert sorted(ds.reads) == sorted(list(range(8)) * 2)  # read by the threads
        assert {t.name for t in threading.enumerate() if t.name.startswith("lamina_py_dataset")} == set()
    assert ds.epoch_begins == 2 and ds.epoch_ends == 2


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_py_dataset_workers_see_epoch_hook_changes(use_multiprocessing):
    class Shifting(PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.offset = 0

        def __len__(self):
            return 6

        def __getitem__(self, i):
            return (np.full((1, 1), self.offset + i, "float32"),)

        def on_epoch_end(self):
            self.offset += 100

    ds = Shifting(workers=2, use_multiprocessing=use_multiprocessing, max_queue_size=2)
    it = EpochIterator(ds, steps_per_epoch=2)
    seen = [[float(np.asarray(b[0])[0, 0]) for _, _, bs in it for b in bs] for _ in range(3)]
    # Batches 2 and 3 were fetched before the first hook ran; 4 and 5 after it.
    assert seen == [[0.0, 1.0], [2.0, 3.0], [104.0, 105.0]]


def test_py_dataset_worker_errors_reach_the_caller():
    class Broken(PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("bad batch 2")
            return (np.zeros((1, 1)),)

    it = EpochIterator(Broken(workers=2))
    with pytest.raises(KeyError, match="bad batch 2"):
        list(it)


def test_infinite_py_dataset_resumes_across_epochs():
    class Counter(PyDataset):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)

        @property
        def num_batches(self):
            return None

        def __getitem__(self, i):
            return (np.full((1, 1), i, "float32"),)

    for workers in (1, 3):
        it = EpochIterator(Counter(workers=workers), steps_per_epoch=3)
        seen = [float(np.asarray(b[0])[0, 0]) for _ in range(2) for _, _, bs in it for b in bs]
        assert seen == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


# ----------------------------------------------------------------------------------------------
# EpochIterator
# ----------------------------------------------------------------------------------------------

def test_epoch_iterator_yields_tensors_and_groups_steps():
    x, y = _rows(10), np.arange(10)
    it = EpochIterator(x, y, batch_size=2, steps_per_execution=2)
    items = list(it)
    assert [(b, e, len(d)) for b, e, d in items] == [(0, 1, 2), (2, 3, 2), (4, 4, 1)]
    bx, by = items[0][2][0]
    assert isinstance(bx, lamina.Tensor) and isinstance(by, lamina.Tensor)
    assert it.num_batches == 5


def test_epoch_iterator_steps_per_epoch_carries_the_pass_over():
    y = np.arange(10)

    def epoch(it):
        return [int(np.asarray(b[1])[0]) for _, _, bs in it for b in bs]

    it = EpochIterator(y[:, None].astype("float32"), y, batch_size=2, steps_per_epoch=3)
    assert it.num_batches == 3
    assert epoch(it) == [0, 2, 4]
    # The second epoch finishes the pass (2 batches left) and warns that data ran out.
    with pytest.warns(UserWarning, match="ran out of data"):
        assert epoch(it) == [6, 8]
    assert epoch(it) == [0, 2, 4]  # a new pass
    assert not it.exhausted
    # An epoch that ends exactly with the pass starts the next epoch on a new pass.
    it = EpochIterator(y[:, None].astype("float32"), y, batch_size=5, steps_per_epoch=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert epoch(it) == [0, 5] and epoch(it) == [0, 5]


def test_epoch_iterator_generator_exhaustion():
    def gen(n):
        for i in range(n):
            yield (np.full((1, 1), i, "float32"),)

    it = EpochIterator(gen(3))
    assert it.num_batches is None
    assert len(list(it)) == 3 and not it.exhausted
    with pytest.warns(UserWarning, match="ran out of data"):
        assert list(it) == []
    assert it.exhausted
    # with steps_per_epoch, the generator continues across epochs
    it = EpochIterator(gen(5), steps_per_epoch=2)
    firsts = [[float(np.asarray(b[0])[0, 0]) for _, _, bs in it for b in bs] for _ in range(2)]
    assert firsts == [[0.0, 1.0], [2.0, 3.0]]
    with pytest.warns(UserWarning, match="ran out of data"):
        assert len(list(it)) == 1
    assert it.exhausted


def test_epoch_iterator_argument_errors():
    with pytest.raises(ValueError, match="steps_per_epoch"):
        EpochIterator(_rows(4), steps_per_epoch=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        EpochIterator(_rows(4), steps_per_execution=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(EpochIterator(_rows(4), batch_size=2))
