"""The engine's cache of large buffers (LAMINA_BUFFER_POOL_MB) and the uninitialised outputs of
matmul: a reused buffer must never leak its old contents into a result."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina import ops


def _run(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize("shape_a, shape_b", [((256, 300), (300, 257)), ((3, 128, 200), (200, 130))])
def test_reused_buffers_hold_no_stale_values(shape_a, shape_b):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype("float32")
    b = rng.standard_normal(shape_b).astype("float32")
    expected = np.matmul(a.astype("float64"), b.astype("float64"))
    out_elems = int(np.prod(expected.shape))
    for _ in range(3):
        # Fill buffers of the output's size class with NaN, free them, then compute.
        junk = [ops.full((out_elems,), float("nan")) for _ in range(4)]
        del junk
        got = np.asarray(ops.matmul(ops.convert_to_tensor(a), ops.convert_to_tensor(b)))
        assert np.isfinite(got).all()
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_transposed_right_operand_matches_numpy():
    rng = np.random.default_rng(1)
    g = rng.standard_normal((96, 300)).astype("float32")
    w = rng.standard_normal((410, 300)).astype("float32")
    got = ops.matmul(ops.convert_to_tensor(g), ops.transpose(ops.convert_to_tensor(w)))
    np.testing.assert_allclose(np.asarray(got), g.astype("float64") @ w.T.astype("float64"), rtol=1e-4, atol=1e-4)


def test_dense_gradients_after_reuse_match_numpy():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((200, 170)).astype("float32")
    layer = lamina.layers.Dense(300, activation="relu")
    layer.build((None, 170))
    for _ in range(2):
        junk = [ops.full((200 * 300,), float("nan")) for _ in range(4)]
        del junk
        with lamina.GradientTape() as tape:
            y = layer(ops.convert_to_tensor(x))
            loss = ops.sum(y * y)
        gk, gb = tape.gradient(loss, [layer.kernel, layer.bias])
        k, b = np.asarray(layer.kernel).astype("float64"), np.asarray(layer.bias).astype("float64")
        z = x.astype("float64") @ k + b
        dz = 2 * np.maximum(z, 0) * (z > 0)
        np.testing.assert_allclose(np.asarray(gk), x.T.astype("float64") @ dz, rtol=1e-3, atol=1e-3)
        np.testing.assert_allclose(np.asarray(gb), dz.sum(0), rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("value", ["0", "64"])
def test_pool_limit_from_environment(value):
    r = _run(
        "import numpy as np; from lamina import ops\n"
        "a = ops.ones((300, 300)); print(float(ops.sum(ops.matmul(a, a))))",
        LAMINA_BUFFER_POOL_MB=value,
    )
    assert r.returncode == 0, r.stderr
    assert float(r.stdout) == 300.0 ** 3


def test_bad_pool_limit_is_a_clear_error():
    r = _run("import lamina", LAMINA_BUFFER_POOL_MB="lots")
    assert r.returncode != 0
    assert "ValueError" in r.stderr
    assert 'LAMINA_BUFFER_POOL_MB="lots"' in r.stderr
