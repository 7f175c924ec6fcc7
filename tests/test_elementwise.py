"""Elementwise ops against numpy: values, broadcasting, Keras dtype promotion, errors."""

import numpy as np
import pytest

import lamina
from lamina import ops

RNG = np.random.default_rng(0)

FLOAT_UNARY = {
    "exp": np.exp, "log": np.log, "log1p": np.log1p, "expm1": np.expm1, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tanh": np.tanh, "floor": np.floor, "ceil": np.ceil,
    "reciprocal": np.reciprocal, "log2": np.log2, "log10": np.log10, "tan": np.tan,
    "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "arcsinh": np.arcsinh, "trunc": np.trunc,
    "rsqrt": lambda x: 1.0 / np.sqrt(x),
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-x)),
    "softplus": lambda x: np.logaddexp(0.0, x),
}
KEEP_UNARY = {
    "negative": np.negative, "abs": np.abs, "absolute": np.abs, "sign": np.sign,
    "square": np.square, "relu": lambda x: np.maximum(x, 0), "round": np.round,
}


def positive(shape, dtype):
    return (RNG.random(shape) * 3 + 0.1).astype(dtype)


@pytest.mark.parametrize("name", sorted(FLOAT_UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (3, 5), (2, 3, 4)])
def test_float_unary_matches_numpy(name, dtype, shape):
    x = positive(shape, dtype) * (0.3 if name in ("tan",) else 1.0)
    got = getattr(ops, name)(x)
    assert got.dtype == dtype and got.shape == shape
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(np.asarray(got), FLOAT_UNARY[name](x), rtol=rtol, atol=1e-6)


def test_erf_matches_reference():
    import math

    x = np.linspace(-4, 4, 101)
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(np.asarray(ops.erf(x)), ref, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(np.asarray(ops.erf(x.astype("float32"))), ref, atol=1e-6)


@pytest.mark.parametrize("name", sorted(KEEP_UNARY))
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "float16"])
def test_dtype_keeping_unary(name, dtype):
    x = (RNG.standard_normal((4, 5)) * 5).astype(dtype)
    got = getattr(ops, name)(x)
    assert got.dtype == dtype
    np.testing.assert_allclose(np.asarray(got).astype("float64"), KEEP_UNARY[name](x).astype("float64"), rtol=1e-3)


def test_int_inputs_to_float_ops_become_float32():
    x = np.array([1, 2, 3], dtype="int64")
    assert ops.exp(x).dtype == "float32"
    assert ops.sqrt(np.array([True, False])).dtype == "float32"
    np.testing.assert_allclose(np.asarray(ops.sqrt(x)), np.sqrt(x), rtol=1e-6)


def test_half_precision_computes_in_float32():
    x = positive((50,), "float16")
    for name in ("exp", "log", "tanh", "sigmoid"):
        got = getattr(ops, name)(x)
        assert got.dtype == "float16"
        np.testing.assert_allclose(np.asarray(got).astype("float32"), FLOAT_UNARY[name](x.astype("float32")), rtol=2e-3)
    b = ops.exp(ops.cast(x, "bfloat16"))
    assert b.dtype == "bfloat16"
    np.testing.assert_allclose(np.asarray(b), np.exp(x.astype("float32")), rtol=4e-2)


BINARY = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.true_divide,
    "maximum": np.maximum, "minimum": np.minimum, "power": np.power, "floor_divide": np.floor_divide,
    "mod": np.mod,
}


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize(
    "sa,sb", [((), ()), ((5,), ()), ((3, 4), (4,)), ((2, 1, 3), (4, 1)), ((0, 3), (1, 3)), ((1,), (6, 1))]
)
def test_binary_broadcasting_float(name, sa, sb):
    a = positive(sa, "float64")
    b = positive(sb, "float64")
    got = getattr(ops, name)(a, b)
    ref = BINARY[name](a, b)
    assert got.shape == ref.shape
    np.testing.assert_allclose(np.asarray(got), ref, rtol=1e-12)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "floor_divide", "mod", "maximum", "minimum", "power"])
@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8"])
def test_binary_integers(name, dtype):
    a = RNG.integers(0 if dtype == "uint8" else -20, 20, (6, 7)).astype(dtype)
    b = RNG.integers(1, 5, (7,)).astype(dtype)
    got = getattr(ops, name)(a, b)
    assert got.dtype == dtype
    with np.errstate(all="ignore"):
        ref = BINARY[name](a, b)
    np.testing.assert_array_equal(np.asarray(got), ref)


def test_integer_division_by_zero_does_not_crash():
    a = np.array([5, -5, 0], dtype="int32")
    z = np.zeros(3, dtype="int32")
    np.testing.assert_array_equal(np.asarray(ops.floor_divide(a, z)), [0, 0, 0])
    np.testing.assert_array_equal(np.asarray(ops.mod(a, z)), [0, 0, 0])
    assert ops.divide(a, z).dtype == "float32"


def test_python_style_mod_and_floor_divide_negative():
    a = np.array([-7.5, 7.5, -7.0, 7.0])
    b = np.array([2.0, -2.0, -2.0, 2.0])
    np.testing.assert_array_equal(np.asarray(ops.mod(a, b)), np.mod(a, b))
    np.testing.assert_array_equal(np.asarray(ops.floor_divide(a, b)), np.floor_divide(a, b))


@pytest.mark.parametrize(
    "da,db,expected",
    [
        ("int32", "float32", "float32"), ("uint8", "int32", "int32"), ("int32", "int64", "int64"),
        ("int64", "float16", "float16"), ("float16", "bfloat16", "float32"), ("float32", "float64", "float64"),
        ("bool", "uint8", "uint8"), ("bool", "float16", "float16"), ("int32", "bfloat16", "bfloat16"),
    ],
)
def test_keras_type_promotion(da, db, expected):
    a = ops.ones((2,), dtype=da)
    b = ops.ones((2,), dtype=db)
    assert ops.add(a, b).dtype == expected
    assert ops.add(b, a).dtype == expected


@pytest.mark.parametrize(
    "dtype,scalar,expected",
    [
        ("float16", 1.5, "float16"), ("bfloat16", 2, "bfloat16"), ("int32", 1.5, "float32"),
        ("int64", 2, "int64"), ("uint8", 3, "uint8"), ("bool", 1, "int32"), ("float64", 0.1, "float64"),
        ("int64", 0.5, "float32"), ("bool", True, "bool"),
    ],
)
def test_python_scalars_are_weak(dtype, scalar, expected):
    x = ops.ones((3,), dtype=dtype)
    assert (x + scalar).dtype == expected
    assert (scalar + x).dtype == expected
    assert ops.multiply(x, scalar).dtype == expected


def test_float64_partner_sees_full_precision_python_float():
    x = ops.zeros((1,), dtype="float64")
    assert float((x + 0.1)[0]) == 0.1


def test_divide_ints_gives_float32():
    assert ops.divide(np.array([1, 2]), np.array([2, 4])).dtype == "float32"
    assert (ops.ones((2,), dtype="int32") / 2).dtype == "float32"


@pytest.mark.parametrize("name,ref", [
    ("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less), ("less_equal", np.less_equal),
    ("greater", np.greater), ("greater_equal", np.greater_equal),
])
def test_comparisons(name, ref):
    a = RNG.integers(0, 3, (4, 5)).astype("float32")
    b = RNG.integers(0, 3, (5,)).astype("int32")
    got = getattr(ops, name)(a, b)
    assert got.dtype == "bool"
    np.testing.assert_array_equal(np.asarray(got), ref(a, b))


def test_logical_ops():
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    np.testing.assert_array_equal(np.asarray(ops.logical_and(a, b)), a & b)
    np.testing.assert_array_equal(np.asarray(ops.logical_or(a, b)), a | b)
    np.testing.assert_array_equal(np.asarray(ops.logical_xor(a, b)), a ^ b)
    np.testing.assert_array_equal(np.asarray(ops.logical_not(a)), ~a)
    np.testing.assert_array_equal(np.asarray(ops.logical_and([1.0, 0.0], [2.0, 2.0])), [True, False])


def test_predicates():
    x = np.array([1.0, np.nan, np.inf, -np.inf], dtype="float32")
    np.testing.assert_array_equal(np.asarray(ops.isnan(x)), np.isnan(x))
    np.testing.assert_array_equal(np.asarray(ops.isfinite(x)), np.isfinite(x))
    np.testing.assert_array_equal(np.asarray(ops.isinf(x)), np.isinf(x))
    assert not np.asarray(ops.isnan(np.arange(3))).any()


def test_maximum_propagates_nan():
    got = np.asarray(ops.maximum([1.0, np.nan], [np.nan, 0.0]))
    assert np.isnan(got).all()


def test_where_and_nonzero():
    c = np.array([[True, False], [False, True]])
    got = ops.where(c, np.ones((2, 2), "float32"), 0.0)
    assert got.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(got), np.where(c, 1.0, 0.0))
    idx = ops.where(c)
    assert len(idx) == 2
    for g, r in zip(idx, np.nonzero(c)):
        np.testing.assert_array_equal(np.asarray(g), r)
    with pytest.raises(ValueError, match="where"):
        ops.where(c, 1.0)


def test_clip():
    x = np.array([-2, 0, 5], dtype="int32")
    got = ops.clip(x, -1, 3)
    assert got.dtype == "int32"
    np.testing.assert_array_equal(np.asarray(got), [-1, 0, 3])
    assert ops.clip(np.array([True, False]), 0, 1).dtype == "int32"
    f = ops.clip(np.array([0.1, 0.9], "float16"), 0.2, 0.8)
    assert f.dtype == "float16"


def test_round_decimals():
    x = np.array([1.2345, -2.5, 0.5, 1.5])
    np.testing.assert_allclose(np.asarray(ops.round(x)), np.round(x))
    np.testing.assert_allclose(np.asarray(ops.round(x, 2)), np.round(x, 2))


def test_non_contiguous_inputs():
    base = RNG.standard_normal((6, 8))
    views = [base.T, base[::2, 1::3], base[::-1], np.broadcast_to(base[:1], (4, 8))]
    for v in views:
        np.testing.assert_allclose(np.asarray(ops.exp(v)), np.exp(v))
        np.testing.assert_allclose(np.asarray(ops.add(v, v)), v + v)


def test_large_parallel_elementwise():
    a = RNG.standard_normal(300_001).astype("float32")
    b = RNG.standard_normal(300_001).astype("float32")
    np.testing.assert_array_equal(np.asarray(ops.add(a, b)), a + b)
    np.testing.assert_allclose(np.asarray(ops.tanh(a)), np.tanh(a), rtol=1e-5, atol=1e-7)


def test_broadcast_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"add: operands could not be broadcast together with shapes \(2, 3\) and \(4,\)"):
        ops.add(np.ones((2, 3)), np.ones(4))
    with pytest.raises(lamina.errors.ShapeError):
        ops.multiply(np.ones((2, 3)), np.ones((3, 2)))


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(TypeError, match="add"):
        ops.add("abc", 1)
    with pytest.raises(TypeError, match="int8"):
        ops.exp(np.ones(3, dtype="int8"))
    with pytest.raises(TypeError):
        ops.negative(np.array([True]))
    with pytest.raises(TypeError):
        ops.subtract(np.array([True]), np.array([False]))


def test_float32_exp_and_sigmoid_over_the_whole_range():
    x = np.concatenate([np.linspace(-110, 95, 20001, dtype="float32"),
                        np.array([np.inf, -np.inf, np.nan, 0.0, -0.0], dtype="float32")])
    with np.errstate(over="ignore"):
        ref = np.exp(x.astype("float64"))
    got = ops.exp(x).numpy().astype("float64")
    normal = (ref > 1.2e-38) & (ref < 3.4e38)
    np.testing.assert_allclose(got[normal], ref[normal], rtol=5e-7)
    assert np.all(got[ref > 3.5e38] == np.inf)
    assert np.all(np.abs(got[ref < 1.2e-38] - ref[ref < 1.2e-38]) < 1e-44)
    assert np.isnan(got[-3])
    sig = ops.sigmoid(x).numpy().astype("float64")
    with np.errstate(over="ignore"):
        ref_sig = 1.0 / (1.0 + np.exp(-x.astype("float64")))
    np.testing.assert_allclose(sig[~np.isnan(x)], ref_sig[~np.isnan(x)], rtol=1e-6, atol=1e-38)
