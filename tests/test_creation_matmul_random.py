"""Creation ops, matmul and lamina.random."""

import os
import subprocess
import sys

import numpy as np
import pytest

from lamina import ops
import lamina


def test_zeros_ones_full_defaults():
    assert ops.zeros((2, 3)).dtype == "float32"
    np.testing.assert_array_equal(ops.ones((2,), dtype="int64").numpy(), [1, 1])
    f = ops.full((2, 2), 7)
    assert f.dtype == "float32" and float(f[1, 1]) == 7.0
    np.testing.assert_array_equal(ops.full((2, 2), [1, 2], dtype="int32").numpy(), [[1, 2], [1, 2]])
    x = ops.ones((3, 1), dtype="float16")
    assert ops.zeros_like(x).dtype == "float16" and ops.ones_like(x, dtype="int32").dtype == "int32"
    assert float(ops.full_like(x, 2.5)[0, 0]) == 2.5
    assert ops.zeros(4).shape == (4,)
    with pytest.raises(ValueError, match="non-negative"):
        ops.zeros((-1, 2))


def test_arange_and_linspace():
    assert ops.arange(5).dtype == "int32"
    np.testing.assert_array_equal(ops.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(ops.arange(1.0, 2.0, 0.25).numpy(), np.arange(1.0, 2.0, 0.25))
    assert ops.arange(0.5, 3).dtype == "float32"
    np.testing.assert_array_equal(ops.arange(10, 0, -3).numpy(), np.arange(10, 0, -3))
    assert ops.arange(3, 1).shape == (0,)
    with pytest.raises(ValueError, match="step"):
        ops.arange(0, 5, 0)
    np.testing.assert_allclose(ops.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5, dtype="float32"))
    np.testing.assert_allclose(ops.linspace(0, 1, 4, endpoint=False).numpy(), np.linspace(0, 1, 4, endpoint=False))
    t, step = ops.linspace(0, 2, 5, retstep=True)
    assert step == 0.5 and t.shape == (5,)


def test_eye_identity():
    np.testing.assert_array_equal(ops.eye(3, 4, k=1).numpy(), np.eye(3, 4, k=1))
    np.testing.assert_array_equal(ops.eye(3, k=-1, dtype="int32").numpy(), np.eye(3, k=-1))
    np.testing.assert_array_equal(ops.identity(2).numpy(), np.identity(2))


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-5), ("float64", 1e-12), ("float16", 2e-2), ("bfloat16", 3e-2)])
@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((5, 7), (7, 2)), ((2, 3, 4), (4, 5)),
                                   ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 4)), ((2, 0), (0, 3)), ((1, 1), (1, 1))])
def test_matmul_matches_numpy(dtype, rtol, sa, sb):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(sa)
    b = rng.standard_normal(sb)
    got = ops.matmul(ops.cast(a, dtype), ops.cast(b, dtype))
    ref = np.matmul(a, b)
    assert got.dtype == dtype and got.shape == ref.shape
    np.testing.assert_allclose(np.asarray(got).astype("float64"), ref, rtol=rtol, atol=rtol * 4)


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_integer_matmul(dtype):
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, (6, 9)).astype(dtype)
    b = rng.integers(0, 5, (9, 4)).astype(dtype)
    got = ops.matmul(a, b)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.numpy(), (a @ b).astype(dtype))
    assert ops.matmul(np.array([[True]]), np.array([[True]])).dtype == "bool"


def test_matmul_strided_and_large():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((300, 200)).astype("float32")
    b = rng.standard_normal((300, 250)).astype("float32")
    got = ops.matmul(ops.transpose(a), b)
    np.testing.assert_allclose(got.numpy(), a.T @ b, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(ops.matmul(a[::2], b[:200, ::2]).numpy(), a[::2] @ b[:200, ::2],
                               rtol=1e-4, atol=1e-3)


def test_matmul_errors():
    with pytest.raises(ValueError, match=r"matmul: cannot multiply shapes \(2, 3\) and \(4, 5\)"):
        ops.matmul(ops.ones((2, 3)), ops.ones((4, 5)))
    with pytest.raises(ValueError, match="at least one dimension"):
        ops.matmul(ops.ones(()), ops.ones((2,)))
    with pytest.raises(ValueError, match="batch"):
        ops.matmul(ops.ones((2, 2, 3)), ops.ones((3, 3, 4)))
    with pytest.raises(ValueError):
        ops.ones((2, 3)) @ ops.ones((2, 3))


def test_random_int_seed_is_reproducible_and_generator_advances():
    a = lamina.random.uniform((5,), seed=3)
    b = lamina.random.uniform((5,), seed=3)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    g = lamina.random.SeedGenerator(3)
    c, d = lamina.random.normal((5,), seed=g), lamina.random.normal((5,), seed=g)
    assert not np.array_equal(c.numpy(), d.numpy())
    g2 = lamina.random.SeedGenerator(3)
    np.testing.assert_array_equal(lamina.random.normal((5,), seed=g2).numpy(), c.numpy())
    assert not np.array_equal(lamina.random.uniform((5,)).numpy(), lamina.random.uniform((5,)).numpy())


def test_random_distributions():
    u = lamina.random.uniform((100_000,), minval=-1, maxval=3, seed=1).numpy()
    assert u.min() >= -1 and u.max() < 3 and abs(u.mean() - 1) < 0.02
    n = lamina.random.normal((100_000,), mean=2, stddev=0.5, seed=1, dtype="float64").numpy()
    assert n.dtype == np.float64 and abs(n.mean() - 2) < 0.01 and abs(n.std() - 0.5) < 0.01
    t = lamina.random.truncated_normal((100_000,), stddev=2.0, seed=1).numpy()
    assert np.abs(t).max() <= 4.0
    r = lamina.random.randint((1000,), 0, 10, seed=1).numpy()
    assert r.dtype == np.int32 and r.min() == 0 and r.max() == 9
    h = lamina.random.normal((10,), dtype="float16", seed=1)
    assert h.dtype == "float16"
    with pytest.raises(ValueError, match="float"):
        lamina.random.normal((2,), dtype="int32")
    with pytest.raises(ValueError, match="seed"):
        lamina.random.normal((2,), seed="x")


def test_dropout():
    x = ops.ones((10_000,))
    y = lamina.random.dropout(x, 0.25, seed=4).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)


def test_random_is_independent_of_thread_count():
    code = "import lamina, sys; sys.stdout.buffer.write(lamina.random.normal((300000,), seed=5).numpy().tobytes())"
    outs = []
    for n in ("1", "2"):
        env = dict(os.environ, LAMINA_NUM_THREADS=n)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout)
    assert outs[0] == outs[1] and len(outs[0]) == 300000 * 4


def test_matmul_is_bitwise_identical_at_1_and_2_threads():
    code = (
        "import lamina, sys\n"
        "from lamina import ops\n"
        "a = lamina.random.normal((300, 517), seed=1); b = lamina.random.normal((517, 263), seed=2)\n"
        "c = ops.matmul(a, b); d = ops.matmul(ops.reshape(a, (3, 100, 517)), b)\n"
        "sys.stdout.buffer.write(c.numpy().tobytes() + d.numpy().tobytes())\n"
    )
    outs = []
    for n in ("1", "2"):
        env = dict(os.environ, LAMINA_NUM_THREADS=n)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, check=True).stdout)
    assert outs[0] == outs[1] and len(outs[0]) == 2 * 300 * 263 * 4
