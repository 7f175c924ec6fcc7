"""lamina.Tensor: conversion both ways, properties, operators, Python protocols, errors."""

import copy
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina import ops

ALL_DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("dtype", [d for d in ALL_DTYPES if d != "bfloat16"])
def test_numpy_round_trip_keeps_dtype_and_values(dtype):
    a = (np.arange(12).reshape(3, 4) % 5).astype(dtype)
    t = ops.convert_to_tensor(a)
    assert t.dtype == dtype and t.shape == (3, 4) and t.ndim == 2 and t.size == 12
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(np.asarray(t), a)
    np.testing.assert_array_equal(ops.convert_to_numpy(t), a)


def test_bfloat16_converts_to_float32_for_numpy():
    t = ops.cast([1.0, 2.5, -3.0], "bfloat16")
    assert t.dtype == "bfloat16"
    arr = t.numpy()
    assert arr.dtype == np.float32
    np.testing.assert_array_equal(arr, [1.0, 2.5, -3.0])


def test_numpy_view_shares_memory_and_is_read_only():
    t = ops.ones((1000,))
    a1 = np.asarray(t)
    a2 = np.asarray(t)
    assert np.shares_memory(a1, a2)
    assert not a1.flags.writeable
    with pytest.raises(ValueError):
        a1[0] = 5
    del t
    assert a1.sum() == 1000  # the array keeps the tensor's storage alive


def test_array_protocol_dtype_and_copy():
    t = ops.ones((2,))
    assert np.asarray(t, dtype="float64").dtype == np.float64
    c = np.array(t, copy=True)
    c[0] = 3
    assert float(t[0]) == 1.0


def test_non_contiguous_numpy_inputs():
    a = np.arange(24, dtype="float32").reshape(4, 6)
    for v in (a.T, a[:, ::2], a[::-1, ::-2]):
        np.testing.assert_array_equal(ops.convert_to_tensor(v).numpy(), v)


def test_python_values_follow_keras_defaults():
    assert ops.convert_to_tensor(3).dtype == "int32"
    assert ops.convert_to_tensor(3.0).dtype == "float32"
    assert ops.convert_to_tensor(True).dtype == "bool"
    assert ops.convert_to_tensor([1, 2]).dtype == "int32"
    assert ops.convert_to_tensor([[1.0], [2.0]]).dtype == "float32"
    assert ops.convert_to_tensor([]).dtype == "float32"
    assert ops.convert_to_tensor(np.float64(1.0)).dtype == "float64"
    assert ops.convert_to_tensor([1, 2], dtype="float16").dtype == "float16"
    assert ops.convert_to_tensor(np.ones(2), dtype=np.float32).dtype == "float32"
    assert ops.convert_to_tensor([ops.ones(()), 2.0]).shape == (2,)


def test_unsupported_values_raise_type_error():
    with pytest.raises(TypeError, match="int8"):
        ops.convert_to_tensor(np.ones(2, dtype="int8"))
    with pytest.raises(TypeError, match="complex"):
        ops.convert_to_tensor(np.ones(2, dtype="complex64"))
    with pytest.raises(TypeError, match="convert_to_tensor"):
        ops.convert_to_tensor("hello")
    with pytest.raises(TypeError):
        ops.convert_to_tensor(None)
    with pytest.raises(TypeError, match="unsupported dtype 'int8'"):
        ops.zeros((2,), dtype="int8")
    with pytest.raises(ValueError, match="sparse"):
        ops.convert_to_tensor([1.0], sparse=True)


def test_operators_match_numpy():
    a = np.array([[1.0, -2.0], [3.0, 4.5]], dtype="float32")
    b = np.array([2.0, 0.5], dtype="float32")
    ta, tb = ops.convert_to_tensor(a), ops.convert_to_tensor(b)
    cases = [
        (ta + tb, a + b), (ta - tb, a - b), (ta * tb, a * b), (ta / tb, a / b), (ta // tb, a // b),
        (ta % tb, a % b), (ta ** 2, a ** 2), (ta @ ta, a @ a), (-ta, -a), (abs(ta), abs(a)), (+ta, a),
        (2 - ta, 2 - a), (1 / tb, 1 / b), (3 ** tb, 3 ** b), (a @ ta, a @ a), (a + ta, a + a),
        (ta < tb, a < b), (ta <= tb, a <= b), (ta > 1, a > 1), (ta >= 1, a >= 1),
        (ta == tb, a == b), (ta != tb, a != b),
    ]
    for got, ref in cases:
        assert isinstance(got, lamina.Tensor)
        np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-6)


def test_numpy_array_on_the_left_defers_to_tensor():
    a = np.ones(3)
    t = ops.ones((3,))
    r = a * t
    assert isinstance(r, lamina.Tensor)


def test_bool_operators():
    a = ops.convert_to_tensor([True, False])
    b = ops.convert_to_tensor([True, True])
    np.testing.assert_array_equal(np.asarray(a & b), [True, False])
    np.testing.assert_array_equal(np.asarray(a | b), [True, True])
    np.testing.assert_array_equal(np.asarray(a ^ b), [False, True])
    np.testing.assert_array_equal(np.asarray(~a), [False, True])
    with pytest.raises(TypeError):
        ~ops.ones((2,))


def test_comparison_with_foreign_object():
    t = ops.ones((2,))
    assert (t == "x") is False
    assert (t != None) is True  # noqa: E711
    with pytest.raises(TypeError):
        t + "x"


def test_python_protocols():
    t = ops.convert_to_tensor(np.arange(6).reshape(3, 2))
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and rows[1].shape == (2,)
    np.testing.assert_array_equal(rows[2].numpy(), [4, 5])
    s = ops.convert_to_tensor(2.5)
    assert float(s) == 2.5 and int(s) == 2 and bool(s)
    assert int(ops.convert_to_tensor([7])) == 7
    assert [10, 20, 30][ops.convert_to_tensor(1)] == 20
    with pytest.raises(TypeError):
        len(s)
    with pytest.raises(TypeError):
        iter(s)
    with pytest.raises(ValueError, match="ambiguous"):
        bool(ops.ones((2,)))
    with pytest.raises(ValueError, match="one-element"):
        float(ops.ones((2,)))
    with pytest.raises(TypeError):
        [1, 2][ops.convert_to_tensor(1.0)]
    assert hash(t) == hash(t)
    assert t in {t}


def test_repr_shows_values_shape_and_dtype():
    r = repr(ops.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert "shape=(2, 2)" in r and "dtype=float32" in r and "3." in r
    assert "dtype=int32" in str(ops.convert_to_tensor(5))
    assert "dtype=bfloat16" in repr(ops.ones((2,), dtype="bfloat16"))


def test_tensor_constructor_pickle_and_copy():
    t = lamina.Tensor([1, 2, 3], dtype="float64")
    assert t.dtype == "float64"
    for u in (pickle.loads(pickle.dumps(t)), copy.deepcopy(t), copy.copy(t)):
        assert u.dtype == "float64"
        np.testing.assert_array_equal(u.numpy(), [1, 2, 3])


def test_zero_size_tensors():
    t = ops.zeros((0, 3))
    assert t.shape == (0, 3) and t.size == 0
    assert ops.add(t, 1.0).shape == (0, 3)
    assert np.asarray(t).shape == (0, 3)


def test_cast_all_pairs():
    src = np.array([0, 1, 2, 255], dtype="float64")
    for a in ALL_DTYPES:
        for b in ALL_DTYPES:
            x = ops.cast(src, a)
            y = ops.cast(x, b)
            assert y.dtype == b
            ref = src.astype(a if a != "bfloat16" else "float32").astype(b if b != "bfloat16" else "float32")
            np.testing.assert_array_equal(np.asarray(y), ref)


def test_cast_float_to_int_truncates_toward_zero_and_saturates():
    x = ops.convert_to_tensor([-1.7, 1.7, 1e20, np.nan])
    np.testing.assert_array_equal(np.asarray(ops.cast(x, "int32"))[:2], [-1, 1])
    assert int(ops.cast(x, "int32")[2]) == 2**31 - 1


def test_no_panic_reaches_python():
    with pytest.raises(RuntimeError, match="internal error"):
        lamina._lamina._testing_panic()
    assert isinstance(lamina.errors.InternalError("x"), RuntimeError)


def test_exception_hierarchy():
    assert issubclass(lamina.errors.ShapeError, ValueError)
    assert issubclass(lamina.errors.DTypeError, TypeError)
    assert issubclass(lamina.errors.AxisError, ValueError)
    assert issubclass(lamina.errors.AxisError, IndexError)
    assert issubclass(lamina.errors.LaminaIndexError, IndexError)


def test_fork_child_can_use_the_pool_and_the_team():
    if not hasattr(os, "fork"):
        pytest.skip("no fork")
    big = ops.ones((600, 600))
    ops.matmul(big, big)  # start the pool in the parent
    code = (
        "import os, lamina\n"
        "from lamina import ops\n"
        "x = ops.ones((600, 600)); ops.matmul(x, x); ops.add(ops.ones((200000,)), 1.0)\n"
        "row = ops.ones((1, 600)); ops.matmul(row, x)  # starts the team of batch-1 products\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    y = ops.matmul(x, x); s = float(ops.sum(ops.add(ops.ones((200000,)), 1.0)))\n"
        "    v = ops.matmul(row, x)\n"
        "    ok = float(y[0, 0]) == 600.0 and s == 400000.0 and float(ops.min(v)) == 600.0\n"
        "    os._exit(0 if ok else 3)\n"
        "_, status = os.waitpid(pid, 0)\n"
        "raise SystemExit(os.waitstatus_to_exitcode(status))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], timeout=120)
    assert r.returncode == 0


def test_thread_count_setting():
    n = lamina._lamina.get_num_threads()
    assert n >= 1
    with pytest.raises(ValueError):
        lamina._lamina.set_num_threads(0)


def test_ml_dtypes_bfloat16_arrays_convert_bit_for_bit():
    # Keras and JAX hand out bfloat16 weights as ml_dtypes arrays.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    a = np.array([[1.5, -2.25], [3.0e38, 0.0]], dtype=ml_dtypes.bfloat16)
    t = lamina.ops.convert_to_tensor(a)
    assert t.dtype == "bfloat16" and tuple(t.shape) == (2, 2)
    np.testing.assert_array_equal(np.asarray(lamina.ops.cast(t, "float32")), a.astype("float32"))
    v = lamina.Variable(np.zeros((2, 2)), dtype="bfloat16")
    v.assign(a)
    np.testing.assert_array_equal(np.asarray(lamina.ops.cast(v, "float32")), a.astype("float32"))
