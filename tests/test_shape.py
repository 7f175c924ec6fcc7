"""Shape ops of lamina.ops checked against numpy across dtypes, layouts and edge shapes."""
import numpy as np
import pytest

import lamina
from lamina import ops

from _helpers import DTYPES, check, make, t  # noqa: E402,F401


def layouts(shape, dtype="float32"):
    """(numpy array, equal lamina tensor) pairs: contiguous, transposed, stepped/reversed views."""
    a = make(shape, dtype)
    out = [(a, t(a))]
    rev = tuple(reversed(shape))
    b = make(rev, dtype, seed=1)
    out.append((b.T, ops.transpose(t(b))))
    if len(shape) >= 1:
        big = make((shape[0] * 2,) + tuple(shape[1:]), dtype, seed=2)
        out.append((big[::-2], t(big)[::-2]))
    return out


LAYOUT_IDS = ["contig", "transposed", "stepped"]


def each_layout(shape, dtype="float32"):
    return layouts(shape, dtype)


# ---------------------------------------------------------------- reshape / ravel
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_reshape_matches_numpy(dtype, layout):
    a, x = each_layout((2, 3, 4), dtype)[layout]
    for s in [(24,), (4, -1), (-1, 2, 3), (1, 24, 1), (2, 3, 4)]:
        check(ops.reshape(x, s), a.reshape(s))
    check(ops.ravel(x), a.ravel())


@pytest.mark.parametrize("shape,new", [((0, 3), (3, 0)), ((1,), ()), ((), (1, 1)), ((0,), (0, 5)), ((5,), (5, 1))])
def test_reshape_edge_shapes(shape, new):
    a = make(shape)
    check(ops.reshape(t(a), new), a.reshape(new))


def test_reshape_errors_name_op_and_shapes():
    x = t(make((2, 3)))
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\).*\(4, -1\)"):
        ops.reshape(x, (4, -1))
    with pytest.raises(ValueError, match="reshape"):
        ops.reshape(x, (7,))
    with pytest.raises(ValueError, match="one unknown"):
        ops.reshape(x, (-1, -1))


def test_reshape_accepts_int_and_list_shapes():
    a = make((2, 3))
    check(ops.reshape(t(a), 6), a.reshape(6))
    check(ops.reshape(t(a), [3, 2]), a.reshape(3, 2))
    check(ops.reshape(a, [3, 2]), a.reshape(3, 2))


# ---------------------------------------------------------------- transpose & co
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_transpose_moveaxis_swapaxes(dtype, layout):
    a, x = each_layout((2, 3, 4), dtype)[layout]
    check(ops.transpose(x), a.T)
    check(ops.transpose(x, (1, 2, 0)), np.transpose(a, (1, 2, 0)))
    check(ops.transpose(x, [-1, 0, 1]), np.transpose(a, (-1, 0, 1)))
    check(ops.moveaxis(x, 0, -1), np.moveaxis(a, 0, -1))
    check(ops.moveaxis(x, (0, 1), (-1, -2)), np.moveaxis(a, (0, 1), (-1, -2)))
    check(ops.swapaxes(x, 0, -1), np.swapaxes(a, 0, -1))


def test_transpose_errors_and_edges():
    x = t(make((2, 3)))
    with pytest.raises(ValueError):
        ops.transpose(x, (0, 0))
    with pytest.raises(ValueError):
        ops.transpose(x, (0,))
    with pytest.raises(ValueError):
        ops.transpose(x, (0, 2))
    with pytest.raises(ValueError):
        ops.swapaxes(x, 0, 2)
    with pytest.raises(ValueError):
        ops.moveaxis(x, (0, 1), (0,))
    check(ops.transpose(t(make(()))), make(()))
    check(ops.transpose(t(make((0, 2)))), make((0, 2)).T)


# ---------------------------------------------------------------- expand_dims / squeeze
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_expand_dims_and_squeeze(dtype, layout):
    a, x = each_layout((2, 1, 3), dtype)[layout]
    for ax in [0, -1, 2, (0, 3), (-1, 0)]:
        check(ops.expand_dims(x, ax), np.expand_dims(a, ax))
    check(ops.squeeze(x), np.squeeze(a))
    check(ops.squeeze(x, 1), np.squeeze(a, 1))
    check(ops.squeeze(x, -2), np.squeeze(a, -2))
    check(ops.squeeze(x, (1,)), np.squeeze(a, (1,)))


def test_squeeze_errors():
    x = t(make((2, 1)))
    with pytest.raises(ValueError, match="squeeze"):
        ops.squeeze(x, 0)
    with pytest.raises(ValueError):
        ops.squeeze(x, 5)
    check(ops.squeeze(t(make((1, 1)))), make(()))
    check(ops.expand_dims(t(make(())), 0), make((1,)))
    check(ops.squeeze(t(make((0, 1))), 1), make((0,)))


# ---------------------------------------------------------------- concatenate / stack / split
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_concatenate_and_stack(dtype, layout):
    a, x = each_layout((2, 3), dtype)[layout]
    b = make((2, 3), dtype, seed=5)
    for ax in [0, 1, -1, -2]:
        check(ops.concatenate([x, t(b)], axis=ax), np.concatenate([a, b], axis=ax))
        check(ops.stack([x, t(b), x], axis=ax), np.stack([a, b, a], axis=ax))
    check(ops.concatenate([x, t(b)]), np.concatenate([a, b]))
    check(ops.stack((x, x), axis=2), np.stack([a, a], axis=2))


def test_concatenate_promotes_dtypes():
    a = make((2, 2), "int32")
    b = make((1, 2), "float32")
    check(ops.concatenate([t(a), t(b)]), np.concatenate([a, b]).astype("float32"))
    u = make((1, 2), "uint8")
    check(ops.concatenate([t(u), t(a)]), np.concatenate([u, a]).astype("int32"))
    h = make((1, 2), "float16")
    check(ops.concatenate([t(h), t(a.astype("int64"))]), np.concatenate([h, a]).astype("float16"))


def test_concatenate_edges_and_errors():
    z = make((0, 3))
    a = make((2, 3))
    check(ops.concatenate([t(z), t(a)]), np.concatenate([z, a]))
    check(ops.concatenate([t(a)], axis=1), a)
    check(ops.concatenate([t(a), t(a)], axis=None), np.concatenate([a, a], axis=None))
    with pytest.raises(ValueError, match=r"concatenate.*axis 1.*\(2, 3\).*\(3, 3\)"):
        ops.concatenate([t(a), t(make((3, 3)))], axis=1)
    with pytest.raises(ValueError, match=r"concatenate.*rank"):
        ops.concatenate([t(a), t(make((3,)))])
    with pytest.raises(ValueError):
        ops.concatenate([])
    with pytest.raises(ValueError):
        ops.concatenate([t(a), t(a)], axis=2)
    with pytest.raises(ValueError, match=r"stack.*\(2, 3\).*\(3, 3\)"):
        ops.stack([t(a), t(make((3, 3)))])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_split(dtype, layout):
    a, x = each_layout((4, 6), dtype)[layout]
    for ios, ax in [(2, 0), (3, 1), (3, -1), ([1, 3], 0), ([2, -1, 10], 1), ([], 0), ([3, 1], 1)]:
        got = ops.split(x, ios, axis=ax)
        exp = np.split(a, ios, axis=ax)
        assert isinstance(got, list) and len(got) == len(exp)
        for g, e in zip(got, exp):
            check(g, e)


def test_split_errors():
    x = t(make((5, 2)))
    with pytest.raises(ValueError, match="split"):
        ops.split(x, 2)
    with pytest.raises(ValueError):
        ops.split(x, 0)
    got = ops.split(t(make((0, 2))), 3)
    assert [g.shape for g in got] == [(0, 2)] * 3


# ---------------------------------------------------------------- tile / repeat / broadcast_to
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_tile(dtype, layout):
    a, x = each_layout((2, 3), dtype)[layout]
    for reps in [2, (2, 1), (1, 3), (2, 1, 2), (0, 2), [3]]:
        check(ops.tile(x, reps), np.tile(a, reps))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_repeat(dtype, layout):
    a, x = each_layout((2, 3), dtype)[layout]
    check(ops.repeat(x, 2), np.repeat(a, 2))
    check(ops.repeat(x, 3, axis=0), np.repeat(a, 3, axis=0))
    check(ops.repeat(x, [1, 0, 2], axis=-1), np.repeat(a, [1, 0, 2], axis=-1))
    check(ops.repeat(x, [2, 1], axis=0), np.repeat(a, [2, 1], axis=0))
    check(ops.repeat(x, 0, axis=1), np.repeat(a, 0, axis=1))


def test_tile_repeat_edges_and_errors():
    check(ops.tile(t(make(())), 3), np.tile(make(()), 3))
    check(ops.repeat(t(make(())), 2), np.repeat(make(()), 2))
    check(ops.repeat(t(make((0, 2))), 2, axis=1), np.repeat(make((0, 2)), 2, axis=1))
    with pytest.raises(ValueError, match="repeat"):
        ops.repeat(t(make((2, 3))), [1, 2], axis=1)
    with pytest.raises(ValueError):
        ops.repeat(t(make((2, 3))), -1)
    with pytest.raises(ValueError):
        ops.tile(t(make((2, 3))), (-1, 1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_broadcast_to(dtype, layout):
    a, x = each_layout((2, 1), dtype)[layout]
    for s in [(2, 1), (2, 4), (3, 2, 5), (0, 2, 1)]:
        check(ops.broadcast_to(x, s), np.broadcast_to(a, s))


def test_broadcast_to_errors():
    with pytest.raises(ValueError, match=r"broadcast_to.*\(3,\).*\(4,\)"):
        ops.broadcast_to(t(make((3,))), (4,))
    with pytest.raises(ValueError):
        ops.broadcast_to(t(make((2, 3))), (3,))
    check(ops.broadcast_to(t(make(())), (2, 2)), np.broadcast_to(make(()), (2, 2)))


# ---------------------------------------------------------------- pad
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
@pytest.mark.parametrize("mode", ["constant", "reflect", "symmetric"])
def test_pad(dtype, layout, mode):
    a, x = each_layout((3, 4), dtype)[layout]
    for pw in [1, (1,), (1, 2), ((0, 1), (2, 3)), [[2, 0], [0, 0]], ((7, 5), (1, 9))]:
        check(ops.pad(x, pw, mode=mode), np.pad(a, pw, mode=mode))


@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "float16", "bool"])
def test_pad_constant_values(dtype):
    a = make((2, 3), dtype)
    check(ops.pad(t(a), ((1, 1), (0, 2)), constant_values=1), np.pad(a, ((1, 1), (0, 2)), constant_values=1))


def test_pad_edges_and_errors():
    check(ops.pad(t(make((0, 2))), 1), np.pad(make((0, 2)), 1))
    check(ops.pad(t(make((1,))), 3, mode="reflect"), np.pad(make((1,)), 3, mode="reflect"))
    check(ops.pad(t(make((1,))), 3, mode="symmetric"), np.pad(make((1,)), 3, mode="symmetric"))
    check(ops.pad(t(make((2,))), 5, mode="reflect"), np.pad(make((2,)), 5, mode="reflect"))
    with pytest.raises(ValueError):
        ops.pad(t(make((2, 2))), ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError):
        ops.pad(t(make((2, 2))), -1)
    with pytest.raises(ValueError):
        ops.pad(t(make((2, 2))), 1, mode="wrap")
    with pytest.raises(ValueError):
        ops.pad(t(make((0, 2))), 1, mode="reflect")
    with pytest.raises(ValueError):
        ops.pad(t(make((2, 2))), 1, mode="reflect", constant_values=0)


# ---------------------------------------------------------------- flip
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_flip(dtype, layout):
    a, x = each_layout((2, 3, 4), dtype)[layout]
    for ax in [None, 0, -1, (0, 2), (1,)]:
        check(ops.flip(x, axis=ax), np.flip(a, axis=ax))
    # a flipped view composes with further ops
    check(ops.reshape(ops.flip(x, 1), (-1,)), np.flip(a, 1).reshape(-1))
    check(ops.concatenate([ops.flip(x), x], axis=1), np.concatenate([np.flip(a), a], axis=1))


def test_flip_edges_and_errors():
    check(ops.flip(t(make((0, 3)))), np.flip(make((0, 3))))
    check(ops.flip(t(make(()))), np.flip(make(())))
    with pytest.raises(ValueError):
        ops.flip(t(make((2,))), 1)


# ---------------------------------------------------------------- slice
def test_slice():
    a = make((4, 5, 6))
    x = t(a)
    check(ops.slice(x, (1, 0, 2), (2, 5, 3)), a[1:3, 0:5, 2:5])
    check(ops.slice(x, [0, 0, 0], [0, 1, 1]), a[0:0, 0:1, 0:1])
    with pytest.raises(IndexError):
        ops.slice(x, (3, 0, 0), (2, 1, 1))
    with pytest.raises(ValueError):
        ops.slice(x, (0, 0), (1, 1))


# ---------------------------------------------------------------- take / take_along_axis / one_hot
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_take(dtype, layout):
    a, x = each_layout((3, 4), dtype)[layout]
    check(ops.take(x, [0, -1, 5]), np.take(a, [0, -1, 5]))
    check(ops.take(x, np.array([[2, 0], [1, 1]]), axis=0), np.take(a, [[2, 0], [1, 1]], axis=0))
    check(ops.take(x, [3, -4], axis=-1), np.take(a, [3, -4], axis=-1))
    check(ops.take(x, 1, axis=1), np.take(a, 1, axis=1))
    check(ops.take(x, t(np.array([], dtype="int32")), axis=1), np.take(a, np.array([], dtype=int), axis=1))


def test_take_errors():
    x = t(make((3, 4)))
    with pytest.raises(IndexError, match=r"take.*index 4.*size 4"):
        ops.take(x, [4], axis=1)
    with pytest.raises(IndexError, match=r"take.*-13"):
        ops.take(x, [-13])
    with pytest.raises(ValueError):
        ops.take(x, [0], axis=2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", range(3), ids=LAYOUT_IDS)
def test_take_along_axis(dtype, layout):
    a, x = each_layout((3, 4), dtype)[layout]
    idx = np.array([[0, 3, -1], [2, 2, 1], [1, 0, 0]])
    check(ops.take_along_axis(x, idx, axis=1), np.take_along_axis(a, idx, axis=1))
    idx0 = np.array([[2, 0, 1, -3]])
    check(ops.take_along_axis(x, idx0, axis=0), np.take_along_axis(a, idx0, axis=0))
    check(ops.take_along_axis(x, np.argsort(a, axis=-1), axis=-1), np.sort(a, axis=-1))
    check(ops.take_along_axis(x, np.array([5, 0]), axis=None), a.ravel()[[5, 0]])


def test_take_along_axis_errors():
    x = t(make((3, 4)))
    with pytest.raises(IndexError):
        ops.take_along_axis(x, np.array([[4]]), axis=1)
    with pytest.raises(ValueError):
        ops.take_along_axis(x, np.array([1]), axis=1)


@pytest.mark.parametrize("dtype", [None, "float32", "int32", "float16", "bool", "int64"])
def test_one_hot(dtype):
    idx = np.array([[0, 2], [-1, 3]])
    got = ops.one_hot(idx, 3, dtype=dtype)
    exp = (idx[..., None] == np.arange(3)).astype(dtype or "float32")
    check(got, exp)
    check(ops.one_hot(idx, 3, axis=0, dtype=dtype), np.moveaxis(exp, -1, 0))
    check(ops.one_hot(idx, 3, axis=1, dtype=dtype), np.moveaxis(exp, -1, 1))
    check(ops.one_hot(np.array(1), 4, dtype=dtype), np.eye(4, dtype=dtype or "float32")[1])
    check(ops.one_hot(np.zeros((0,), "int32"), 4, dtype=dtype), np.zeros((0, 4), dtype or "float32"))


def test_one_hot_errors():
    with pytest.raises(ValueError):
        ops.one_hot([0, 1], 3, axis=3)
    with pytest.raises(ValueError):
        ops.one_hot([0, 1], 3, sparse=True)


# ---------------------------------------------------------------- views
def test_views_share_storage_and_read_correctly_through_numpy():
    a = make((4, 6))
    x = t(a)
    for y, e in [
        (ops.reshape(x, (6, 4)), a.reshape(6, 4)),
        (ops.transpose(x), a.T),
        (ops.flip(x, 0), a[::-1]),
        (ops.expand_dims(x, 1), a[:, None]),
        (ops.split(x, 2, axis=1)[1], a[:, 3:]),
    ]:
        check(y, e)
        check(y * 2, e * 2)
