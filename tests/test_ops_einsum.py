"""lamina.ops.einsum against numpy.einsum (values) and finite differences (gradients)."""

import numpy as np
import pytest

import lamina
from lamina import ops

CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (4, 3, 2)]),
    ("abc,cd->abd", [(2, 3, 4), (4, 5)]),
    ("...x,xy->...y", [(2, 3, 4), (4, 5)]),
    ("ab...,bc->ac...", [(2, 3, 4, 5), (3, 6)]),
    ("bqhd,bkhd->bhqk", [(2, 3, 4, 5), (2, 6, 4, 5)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("i,j->ij", [(3,), (4,)]),
    ("i,i->", [(3,), (3,)]),
    ("i,i", [(3,), (3,)]),
    ("ij,kl->ijkl", [(2, 1), (1, 3)]),
    (",ij->ij", [(), (2, 3)]),
    ("ij->ji", [(2, 3)]),
    ("ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("...ij->...ji", [(2, 3, 4)]),
    ("...", [(2, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]),
]


def _inputs(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) for s in shapes]


@pytest.mark.parametrize("eq,shapes", CASES, ids=[c[0] or "scalar" for c in CASES])
def test_einsum_matches_numpy(eq, shapes):
    xs = _inputs(shapes)
    got = ops.einsum(eq, *xs)
    want = np.einsum(eq, *xs)
    assert isinstance(got, lamina.Tensor)
    assert tuple(got.shape) == want.shape
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


def test_einsum_dtypes():
    a = np.arange(6, dtype="float32").reshape(2, 3)
    b = np.arange(12, dtype="float32").reshape(3, 4)
    out = ops.einsum("ij,jk->ik", a, b)
    assert out.dtype == "float32"
    np.testing.assert_allclose(np.asarray(out), a @ b)
    ai = np.arange(6, dtype="int32").reshape(2, 3)
    assert ops.einsum("ij->j", ai).dtype == "int32"
    np.testing.assert_array_equal(np.asarray(ops.einsum("ij->j", ai)), ai.sum(0))


@pytest.mark.parametrize("eq,shapes", [c for c in CASES if c[0] in (
    "ij,jk->ik", "...ij,...jk->...ik", "bqhd,bkhd->bhqk", "ij,ij->ij", "ii->i", "i,i->",
    "ab...,bc->ac...", "ij,jk,kl->il", "iij,jk->ik", ",ij->ij")])
def test_einsum_gradients_match_finite_differences(eq, shapes):
    xs = _inputs(shapes, seed=1)
    y_ref = np.einsum(eq, *xs)
    w = np.random.default_rng(2).standard_normal(y_ref.shape)
    ts = [ops.convert_to_tensor(x) for x in xs]
    with lamina.GradientTape() as tape:
        tape.watch(ts)
        y = ops.einsum(eq, *ts)
    grads = tape.gradient(y, ts, output_gradients=ops.convert_to_tensor(w))
    eps = 1e-6
    for i, x in enumerate(xs):
        expected = np.zeros(x.shape)
        flat = expected.reshape(-1)
        for j in range(x.size):
            vals = []
            for sign in (1, -1):
                args = [a.copy() for a in xs]
                args[i].reshape(-1)[j] += sign * eps
                vals.append(np.sum(np.einsum(eq, *args) * w))
            flat[j] = (vals[0] - vals[1]) / (2 * eps)
        assert grads[i].shape == x.shape
        np.testing.assert_allclose(np.asarray(grads[i]), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("eq,shapes,match", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "incompatible sizes"),
    ("ij,jk->ik", [(2, 3)], "name 2 operand"),
    ("ij->ik", [(2, 3)], "'k' does not appear"),
    ("ijk->i", [(2, 3)], "name 3 dimension"),
    ("ii->i", [(2, 3)], "repeated subscript 'i'"),
    ("i1->i", [(2, 3)], "invalid subscript"),
    ("ij->ii", [(2, 3)], "more than once"),
])
def test_einsum_errors(eq, shapes, match):
    with pytest.raises(ValueError, match=match):
        ops.einsum(eq, *_inputs(shapes))


def test_einsum_is_exported():
    assert "einsum" in ops.__all__
