"""Helpers shared by the pytest suites (tests/ is on sys.path under pytest's default import mode)."""

import numpy as np

import lamina
from lamina import ops

DTYPES = ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"]


def make(shape, dtype="float32", seed=0):
    """Small random integers of `shape` as a numpy array of `dtype`."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 7, size=shape).astype(dtype)


def t(a):
    """Converts to a lamina Tensor."""
    return ops.convert_to_tensor(a)


def check(got, exp):
    """Asserts `got` is a Tensor equal to `exp` in dtype, shape and values."""
    assert isinstance(got, lamina.Tensor)
    g = np.asarray(got)
    exp = np.asarray(exp)
    assert g.dtype == exp.dtype, (g.dtype, exp.dtype)
    assert g.shape == exp.shape, (g.shape, exp.shape)
    np.testing.assert_array_equal(g, exp)
