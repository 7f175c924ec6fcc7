"""Tensor.__getitem__ checked against numpy: basic (views) and advanced indexing, errors."""
import numpy as np
import pytest

import lamina
from lamina import ops

from _helpers import DTYPES, check, make, t  # noqa: E402,F401


def layouts(dtype="float32"):
    a = make((4, 5, 6), dtype)
    b = make((6, 5, 4), dtype, seed=1)
    c = make((8, 5, 6), dtype, seed=2)
    return [(a, t(a)), (b.T, ops.transpose(t(b))), (c[::-2], t(c)[::-2])]


BASIC_KEYS = [
    0,
    -1,
    (1, 2),
    (1, 2, 3),
    (-4, -5, -6),
    slice(None),
    slice(1, 3),
    slice(None, None, 2),
    slice(None, None, -1),
    slice(-1, -10, -2),
    slice(10, 20),
    slice(3, 1),
    slice(-100, 100, 3),
    (slice(None), 1),
    (Ellipsis, 0),
    (0, Ellipsis),
    (Ellipsis,),
    (None,),
    (None, 0, None, Ellipsis, None),
    (Ellipsis, None),
    (1, slice(None, None, -2), slice(1, None, 4)),
    (slice(2, None), None, slice(None, 1)),
    (),
]

ADVANCED_KEYS = [
    [0, 2],
    [[0, 1], [3, 3]],
    [-1, 0, -4],
    ([0, 1], [1, 2]),
    ([[0], [1]], [1, 2, 3]),
    (slice(None), [4, 0]),
    (slice(None), [4, 0], slice(1, 3)),
    (Ellipsis, [5, -1]),
    ([0, 2], slice(None), [1, 3]),
    (1, slice(None), [0, 5]),
    (slice(None), 1, [0, 5]),
    ([1, 2], Ellipsis, 0),
    (slice(1, None), [[0, 1]], [[2], [3]]),
    (None, [0, 1], None),
    ([], slice(None)),
    (np.array([3, 0]),),
    (np.array([[1]]), slice(None, None, -1), np.array([2, 1, 0])),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=["contig", "transposed", "stepped"])
@pytest.mark.parametrize("key", BASIC_KEYS, ids=repr)
def test_basic_indexing(dtype, layout, key):
    a, x = layouts(dtype)[layout]
    check(x[key], a[key])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=["contig", "transposed", "stepped"])
@pytest.mark.parametrize("key", ADVANCED_KEYS, ids=repr)
def test_advanced_indexing(dtype, layout, key):
    a, x = layouts(dtype)[layout]
    np_key = tuple(np.array(k, dtype=np.int64) if isinstance(k, list) else k for k in key) if isinstance(key, tuple) else np.array(key)
    check(x[key], a[np_key])


@pytest.mark.parametrize("dtype", DTYPES)
def test_boolean_masks(dtype):
    a = make((4, 5, 6), dtype)
    x = t(a)
    m3 = make((4, 5, 6)) > 3
    m2 = make((4, 5), seed=3) > 2
    m1 = np.array([True, False, True, True])
    check(x[m3], a[m3])
    check(x[t(m3)], a[m3])
    check(x[m2], a[m2])
    check(x[m1], a[m1])
    check(x[list(m1)], a[m1])
    check(x[m1, 2:], a[m1, 2:])
    check(x[:, m2[0]], a[:, m2[0]])
    check(x[m1, :, [0, 1, 2]], a[m1, :, [0, 1, 2]])
    check(x[..., m2[0, :], :], a[..., m2[0, :], :])
    check(x[np.zeros((4,), bool)], a[np.zeros((4,), bool)])
    check(x[True], a[True])
    check(x[False], a[False])
    check(x[x > 3], a[a > 3])


def test_index_tensors_and_numpy_scalars():
    a = make((4, 5))
    x = t(a)
    check(x[t(np.array([3, 1]))], a[[3, 1]])
    check(x[t(np.array(2, "int32"))], a[2])
    check(x[np.int64(-1)], a[-1])
    check(x[np.int32(1), np.int64(2)], a[1, 2])
    check(x[t(np.array([[0, 1]], "int64")), 1:], a[[[0, 1]], 1:])
    check(x[np.array([], dtype=np.int64)], a[np.array([], dtype=np.int64)])


@pytest.mark.parametrize("shape", [(0,), (0, 3), (1,), (1, 1), ()])
def test_edge_shapes(shape):
    a = make(shape)
    x = t(a)
    check(x[...], a[...])
    check(x[None], a[None])
    if len(shape) >= 1:
        check(x[:], a[:])
        check(x[::-1], a[::-1])
        check(x[[]], a[np.array([], dtype=int)])
        if shape[0] == 1:
            check(x[0], a[0])
            check(x[[0, 0, -1]], a[[0, 0, -1]])
            check(x[np.array([True])], a[np.array([True])])


def test_basic_indexing_returns_views():
    a = make((4, 5))
    x = t(a)
    # The view reads the same storage: numpy views of both alias the same memory.
    v = x[1:3, ::2]
    assert np.shares_memory(np.asarray(v), np.asarray(x))
    check(v, a[1:3, ::2])
    check(x[::-1][1], a[::-1][1])


def test_errors():
    x = t(make((3, 4)))
    with pytest.raises(IndexError, match=r"index 3 is out of bounds for axis 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match=r"index -5 is out of bounds for axis 1 with size 4"):
        x[0, -5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(ValueError, match="step"):
        x[::0]
    with pytest.raises(IndexError, match="ellipsis"):
        x[..., ...]
    with pytest.raises(IndexError, match=r"boolean index did not match"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="out of bounds"):
        x[[0, 3]]
    with pytest.raises(IndexError, match="out of bounds"):
        x[:, [4]]
    with pytest.raises(IndexError, match="broadcast"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError):
        x[1.5]
    with pytest.raises(IndexError):
        x["a"]
    with pytest.raises(IndexError):
        x[np.array([0.0])]
    with pytest.raises(IndexError):
        t(make(()))[0]


def test_iteration_and_large_gather():
    a = make((300, 257), "float32")
    x = t(a)
    idx = np.random.default_rng(0).integers(-300, 300, size=(500,))
    check(x[idx], a[idx])
    check(x[:, idx % 257], a[:, idx % 257])
    m = a > 3
    check(x[m], a[m])
