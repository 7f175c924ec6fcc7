"""Reductions, softmax, sorting and scans of lamina.ops checked against numpy across dtypes, axes,
layouts and edge shapes, plus bitwise determinism across thread counts."""
import hashlib
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lamina
from lamina import ops

DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"]
AXES = [None, 0, -1, 1, (0, 2), (2, 0), (-1, -2), ()]
SUM_DTYPE = {"bool": "int32", "uint8": "int32", "int32": "int32", "int64": "int64",
             "float16": "float16", "float32": "float32", "float64": "float64"}
FLOAT_DTYPE = {"bool": "float32", "uint8": "float32", "int32": "float32", "int64": "float32",
               "float16": "float16", "float32": "float32", "float64": "float64"}


def make(shape, dtype="float32", seed=0, positive=False):
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype in ("int32", "int64", "uint8"):
        lo = 0 if (positive or dtype == "uint8") else -5
        return rng.integers(lo, 6, size=shape).astype(dtype)
    if positive:
        return rng.uniform(0.5, 1.5, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def t(a):
    return ops.convert_to_tensor(a)


def layouts(a):
    """Equal tensors with different memory layouts: row-major, column-major, a transposed view."""
    out = [t(a), t(np.asfortranarray(a))]
    if a.ndim >= 2:
        out.append(ops.transpose(t(np.ascontiguousarray(a.T))))
    return out


def tol(dtype):
    return {"float16": 2e-2, "bfloat16": 5e-2, "float32": 2e-5}.get(dtype, 1e-10)


def check(got, exp, dtype, scale=None):
    """Compares `got` (a lamina Tensor) with `exp` (a float64/int numpy result) and the dtype."""
    assert isinstance(got, lamina.Tensor)
    g = np.asarray(got)
    exp = np.asarray(exp)
    assert g.dtype == np.dtype(dtype), (g.dtype, dtype)
    assert g.shape == exp.shape, (g.shape, exp.shape)
    if np.issubdtype(g.dtype, np.floating):
        r = tol(dtype)
        atol = r * (1.0 if scale is None else np.maximum(np.asarray(scale, dtype=np.float64), 1.0))
        g64, e64 = g.astype(np.float64), exp.astype(np.float64)
        same = (g64 == e64) | (np.abs(g64 - e64) <= atol + r * np.abs(e64)) | (np.isnan(g64) & np.isnan(e64))
        assert same.all(), f"mismatch:\n got {g64[~same]}\n exp {e64[~same]}"
    else:
        np.testing.assert_array_equal(g, exp.astype(g.dtype))


# ---------------------------------------------------------------------------------------------
# sum / prod / mean / var / std / max / min / any / all / logsumexp
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_sum_mean_var_std(dtype, axis, keepdims):
    a = make((3, 4, 5), dtype, seed=1)
    a64 = a.astype(np.float64)
    scale = np.sum(np.abs(a64), axis=axis, keepdims=keepdims)
    for x in layouts(a):
        check(ops.sum(x, axis=axis, keepdims=keepdims), np.sum(a64, axis=axis, keepdims=keepdims), SUM_DTYPE[dtype], scale)
        fd = FLOAT_DTYPE[dtype]
        check(ops.mean(x, axis=axis, keepdims=keepdims), np.mean(a64, axis=axis, keepdims=keepdims), fd)
        check(ops.var(x, axis=axis, keepdims=keepdims), np.var(a64, axis=axis, keepdims=keepdims), fd)
        check(ops.std(x, axis=axis, keepdims=keepdims), np.std(a64, axis=axis, keepdims=keepdims), fd)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_max_min_prod_any_all(dtype, axis, keepdims):
    a = make((3, 4, 5), dtype, seed=2)
    p = make((3, 4, 5), dtype, seed=3, positive=True)
    for x in layouts(a):
        check(ops.max(x, axis=axis, keepdims=keepdims), np.max(a, axis=axis, keepdims=keepdims), dtype)
        check(ops.min(x, axis=axis, keepdims=keepdims), np.min(a, axis=axis, keepdims=keepdims), dtype)
        check(ops.any(x, axis=axis, keepdims=keepdims), np.any(a, axis=axis, keepdims=keepdims), "bool")
        check(ops.all(x, axis=axis, keepdims=keepdims), np.all(a, axis=axis, keepdims=keepdims), "bool")
    pa = np.prod(p.astype(np.float64), axis=axis, keepdims=keepdims)
    for x in layouts(p):
        check(ops.prod(x, axis=axis, keepdims=keepdims), pa, SUM_DTYPE[dtype], np.abs(pa))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "bool"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp(dtype, axis, keepdims):
    a = make((3, 4, 5), dtype, seed=4)
    a64 = a.astype(np.float64)
    m = np.max(a64, axis=axis, keepdims=True)
    exp = m + np.log(np.sum(np.exp(a64 - m), axis=axis, keepdims=True))
    if not keepdims:
        exp = np.squeeze(exp, axis=axis) if axis is not None else exp.reshape(())
    for x in layouts(a):
        check(ops.logsumexp(x, axis=axis, keepdims=keepdims), exp, FLOAT_DTYPE[dtype], np.abs(exp))


def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, -np.inf], [-np.inf, -np.inf]], dtype="float32")
    got = np.asarray(ops.logsumexp(x, axis=1))
    np.testing.assert_allclose(got[:2], [1000.0 + np.log(2.0), -1000.0], rtol=1e-6)
    assert got[2] == -np.inf


def test_sum_wraps_and_promotes_like_keras():
    assert ops.sum(np.array([200, 100, 50], dtype="uint8")).dtype == "int32"
    assert int(np.asarray(ops.sum(np.array([200, 100, 50], dtype="uint8")))) == 350
    assert ops.sum(np.array([True, True, False])).dtype == "int32"
    assert ops.prod(np.array([True, True])).dtype == "int32"
    assert ops.prod(np.array([2, 3], dtype="int32"), dtype="float32").dtype == "float32"
    assert ops.sum([1.5, 2.5]).dtype == "float32"
    assert ops.mean(np.array([1, 2], dtype="int64")).dtype == "float32"


@pytest.mark.parametrize("shape,axis", [
    ((1000, 40), 0), ((1000, 3), 0), ((7, 5000), 1), ((3, 50, 30), 1), ((20, 30, 40), (0, 2)),
    ((5, 1, 7), 1), ((1, 9), None), ((200_000,), None),
])
def test_kernel_paths_match_numpy(shape, axis):
    a = make(shape, "float32", seed=5)
    a64 = a.astype(np.float64)
    scale = np.sum(np.abs(a64), axis=axis)
    for x in layouts(a):
        check(ops.sum(x, axis=axis), np.sum(a64, axis=axis), "float32", scale)
        check(ops.var(x, axis=axis), np.var(a64, axis=axis), "float32", np.max(np.abs(a64)) ** 2)
        check(ops.max(x, axis=axis), np.max(a, axis=axis), "float32")


def test_large_sum_is_accurate():
    a = make((3_000_000,), "float32", seed=6)
    got = float(np.asarray(ops.sum(a)))
    assert abs(got - np.sum(a.astype(np.float64))) <= 1e-6 * np.sum(np.abs(a.astype(np.float64)))


# ---------------------------------------------------------------------------------------------
# argmax / argmin
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_argmax_argmin(dtype, axis, keepdims):
    a = make((4, 3, 5), dtype, seed=7)
    for x in layouts(a):
        check(ops.argmax(x, axis=axis, keepdims=keepdims), np.argmax(a, axis=axis, keepdims=keepdims), "int32")
        check(ops.argmin(x, axis=axis, keepdims=keepdims), np.argmin(a, axis=axis, keepdims=keepdims), "int32")


def test_nan_propagates_and_is_found_first():
    a = np.array([[1.0, np.nan, 3.0, np.nan], [4.0, 2.0, 1.0, 0.5]], dtype="float32")
    for f, g in [(ops.max, np.max), (ops.min, np.min), (ops.argmax, np.argmax), (ops.argmin, np.argmin)]:
        np.testing.assert_array_equal(np.asarray(f(a, axis=1)), g(a, axis=1))
        np.testing.assert_array_equal(np.asarray(f(a)), g(a))


def test_max_initial():
    a = np.array([[1, 5], [2, 0]], dtype="int32")
    check(ops.max(a, axis=0, initial=3), np.max(a, axis=0, initial=3), "int32")
    check(ops.min(a, axis=1, initial=1), np.min(a, axis=1, initial=1), "int32")
    check(ops.max(np.zeros((0, 2), "float32"), axis=0, initial=-1.0), np.full(2, -1.0), "float32")


# ---------------------------------------------------------------------------------------------
# Edge shapes and errors
# ---------------------------------------------------------------------------------------------


def test_zero_size_and_single_element():
    e = np.zeros((0, 3), "float32")
    check(ops.sum(e, axis=0), np.zeros(3), "float32")
    check(ops.sum(e), np.array(0.0), "float32")
    check(ops.prod(e, axis=0), np.ones(3), "float32")
    check(ops.sum(e, axis=1), np.zeros(0), "float32")
    check(ops.max(e, axis=1), np.zeros(0), "float32")
    check(ops.argmax(e, axis=1), np.zeros(0), "int32")
    assert np.isnan(np.asarray(ops.mean(e, axis=0))).all()
    check(ops.any(e), np.array(False), "bool")
    check(ops.all(e), np.array(True), "bool")
    with pytest.raises(ValueError, match="max"):
        ops.max(e, axis=0)
    with pytest.raises(ValueError, match="min"):
        ops.min(e)
    with pytest.raises(ValueError, match="argmax"):
        ops.argmax(e)
    one = np.array([[2.5]], dtype="float32")
    for f in (ops.sum, ops.mean, ops.max, ops.min, ops.prod):
        check(f(one), np.array(2.5), "float32")
        check(f(one, axis=0, keepdims=True), one, "float32")
    check(ops.var(one), np.array(0.0), "float32")
    check(ops.argmax(one), np.array(0), "int32")
    check(ops.sum(np.float32(3.0)), np.array(3.0), "float32")
    check(ops.sum(np.ones((2, 3), "float32"), axis=()), np.ones((2, 3)), "float32")


@pytest.mark.parametrize("f", [ops.sum, ops.mean, ops.max, ops.var, ops.any, ops.logsumexp])
def test_axis_errors(f):
    x = np.ones((2, 3), "float32")
    with pytest.raises(ValueError):
        f(x, axis=2)
    with pytest.raises(IndexError):
        f(x, axis=-3)
    with pytest.raises(ValueError):
        f(x, axis=(0, -2))


def test_other_axis_errors():
    x = np.ones((2, 3), "float32")
    for call in (lambda: ops.argmax(x, axis=2), lambda: ops.softmax(x, axis=5), lambda: ops.sort(x, axis=-3),
                 lambda: ops.argsort(x, axis=2), lambda: ops.cumsum(x, axis=2)):
        with pytest.raises(ValueError):
            call()
    with pytest.raises(ValueError):
        ops.top_k(x, 4)
    with pytest.raises(ValueError):
        ops.top_k(np.float32(1.0), 1)


# ---------------------------------------------------------------------------------------------
# softmax / log_softmax
# ---------------------------------------------------------------------------------------------


def np_softmax(a, axis):
    a = a.astype(np.float64)
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(a, axis):
    a = a.astype(np.float64)
    s = a - np.max(a, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "bool"])
@pytest.mark.parametrize("axis", [-1, 0, 1, (0, 2), None])
def test_softmax_and_log_softmax(dtype, axis):
    a = make((3, 4, 5), dtype, seed=8)
    exp = np_softmax(a, axis)
    fd = FLOAT_DTYPE[dtype]
    for x in layouts(a):
        check(ops.softmax(x, axis=axis), exp, fd)
        ref = np_log_softmax(a, axis)
        check(ops.log_softmax(x, axis=axis), ref, fd, np.abs(ref))


def test_softmax_default_axis_and_stability():
    a = np.array([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]], dtype="float32")
    check(ops.softmax(a), np_softmax(a, -1), "float32")
    check(ops.log_softmax(a), np_log_softmax(a, -1), "float32")
    assert np.isclose(np.asarray(ops.log_softmax(a))[0, 2], -2000.0 - np.log(2.0))
    assert ops.softmax(np.zeros((0, 4), "float32")).shape == (0, 4)


# ---------------------------------------------------------------------------------------------
# sort / argsort / top_k
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_sort_argsort(dtype, axis):
    a = make((4, 6, 5), dtype, seed=9)
    for x in layouts(a):
        check(ops.sort(x, axis=axis), np.sort(a, axis=axis), dtype)
        check(ops.argsort(x, axis=axis), np.argsort(a, axis=axis, kind="stable"), "int32")


def test_sort_nan_last_and_defaults():
    a = np.array([[3.0, np.nan, 1.0, 3.0, -2.0], [0.0, 1.0, np.nan, np.nan, -1.0]], dtype="float32")
    np.testing.assert_array_equal(np.asarray(ops.sort(a)), np.sort(a))
    np.testing.assert_array_equal(np.asarray(ops.argsort(a)), np.argsort(a, kind="stable"))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8"])
@pytest.mark.parametrize("k", [0, 1, 3, 7])
def test_top_k(dtype, k):
    a = make((2, 3, 7), dtype, seed=10)
    neg = -a.astype(np.float64)
    idx = np.argsort(neg, axis=-1, kind="stable")[..., :k]
    vals = np.take_along_axis(a, idx, axis=-1)
    for x in layouts(a):
        v, i = ops.top_k(x, k)
        check(v, vals, dtype)
        check(i, idx, "int32")
        v2, i2 = ops.top_k(x, k, sorted=False)
        assert sorted(np.asarray(i2).ravel().tolist()) == sorted(idx.ravel().tolist())
    assert isinstance(ops.top_k(a, 1), tuple)


# ---------------------------------------------------------------------------------------------
# cumsum / cumprod
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_cumsum_cumprod(dtype, axis):
    a = make((3, 4, 5), dtype, seed=11)
    p = make((3, 4, 5), dtype, seed=12, positive=True)
    out = "int32" if dtype == "bool" else dtype
    for x in layouts(a):
        c = np.cumsum(a.astype(np.float64), axis=axis)
        check(ops.cumsum(x, axis=axis), c, out, np.cumsum(np.abs(a.astype(np.float64)), axis=axis))
    for x in layouts(p):
        c = np.cumprod(p.astype(np.float64), axis=axis)
        check(ops.cumprod(x, axis=axis), c, out, np.abs(c))


def test_cumsum_dtype_argument():
    a = np.array([[1, 2], [3, 4]], dtype="int32")
    check(ops.cumsum(a, dtype="float64"), np.cumsum(a).astype("float64"), "float64")
    check(ops.cumsum(a, axis=1, dtype="int64"), np.cumsum(a, axis=1), "int64")
    check(ops.cumprod(np.array([True, True, False]), dtype=None), np.array([1, 1, 0]), "int32")
    check(ops.cumsum(np.float32(2.0)), np.array([2.0]), "float32")


# ---------------------------------------------------------------------------------------------
# Determinism across thread counts
# ---------------------------------------------------------------------------------------------

DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import hashlib, numpy as np
    from lamina import ops
    rng = np.random.default_rng(123)
    a = (rng.standard_normal(3_000_000) * np.exp(rng.uniform(-8, 8, 3_000_000))).astype("float32")
    m = a.reshape(1500, 2000)
    outs = [
        ops.sum(a), ops.mean(a), ops.var(a), ops.std(a), ops.logsumexp(a),
        ops.sum(m, axis=0), ops.sum(m, axis=1), ops.var(m, axis=0), ops.mean(m.T, axis=1),
        ops.sum(a.reshape(1_000_000, 3), axis=0), ops.softmax(m), ops.softmax(m, axis=0),
        ops.log_softmax(m), ops.cumsum(m, axis=0), ops.sum(a.astype("float64")),
    ]
    h = hashlib.sha256()
    for o in outs:
        h.update(np.ascontiguousarray(np.asarray(o)).tobytes())
    print(h.hexdigest())
    """
)


def run_with_threads(n):
    env = dict(os.environ, LAMINA_NUM_THREADS=str(n))
    res = subprocess.run([sys.executable, "-c", DETERMINISM_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_bitwise_identical_at_1_and_2_threads():
    one = run_with_threads(1)
    two = run_with_threads(2)
    assert len(one) == 64
    assert one == two
    assert hashlib.sha256(b"").hexdigest() != one
