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


class SimpleDense(lamina.layers.Layer):
    """The seeds' SimpleDense (with `**kwargs` and `compute_output_shape`), shared by the layer tests."""

    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)
