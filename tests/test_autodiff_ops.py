"""Per-op reverse-mode gradients of lamina.ops, checked against central finite differences.

The style follows tinygrad's ``helper_test_op``: ``check_grad(lamina_fn, np_fn, *inputs)`` runs the
op in lamina under a ``GradientTape`` and its numpy reference on the same float64 inputs, checks the
forward values, then compares lamina's vector-Jacobian product for a random output cotangent ``w``
(once via ``output_gradients=w``, once via the scalar target ``sum(y * w)``) with central finite
differences of ``sum(np_fn(*inputs) * w)``. Everything is float64, so tolerances are tight.
"""

import math

import numpy as np
import pytest

import lamina
from lamina import ops

EPS = 1e-6


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def sample(shape, kind="normal", seed=0):
    """float64 inputs of `shape` drawn from a domain `kind`.

    kind: "normal"; ("uniform", lo, hi); ("nonzero", lo, hi) -> |x| in [lo, hi] with random signs;
    "distinct" -> values at least ~0.1 apart (no ties, for max/min/sort/top_k).
    """
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape)) if len(shape) else 1
    if kind == "normal":
        v = rng.standard_normal(n)
    elif kind == "distinct":
        v = (rng.permutation(n) - n / 2.0) * 0.37 + rng.uniform(-0.05, 0.05, n)
    elif kind[0] == "uniform":
        v = rng.uniform(kind[1], kind[2], n)
    elif kind[0] == "nonzero":
        v = rng.uniform(kind[1], kind[2], n) * rng.choice([-1.0, 1.0], n)
    else:
        raise AssertionError(kind)
    return np.asarray(v, dtype=np.float64).reshape(shape)


def t(a):
    return ops.convert_to_tensor(a)


def numeric_grads(np_fn, inputs, w, eps=EPS):
    """Central finite differences of ``sum(np_fn(*inputs) * w)`` w.r.t. each input (float64).

    Only the difference of the two perturbed outputs enters the sum, so the result is accurate to
    ~1e-9 relative for smooth functions (round-off of the untouched outputs cancels exactly).
    """
    inputs = [np.array(a, dtype=np.float64) for a in inputs]
    out = []
    for k, a in enumerate(inputs):
        g = np.zeros(a.shape, dtype=np.float64)
        for idx in np.ndindex(*a.shape):
            x0 = a[idx]
            xp, xm = x0 + eps, x0 - eps
            plus, minus = a.copy(), a.copy()
            plus[idx], minus[idx] = xp, xm
            yp = np.asarray(np_fn(*(inputs[:k] + [plus] + inputs[k + 1:])), dtype=np.float64)
            ym = np.asarray(np_fn(*(inputs[:k] + [minus] + inputs[k + 1:])), dtype=np.float64)
            g[idx] = np.sum((yp - ym) * w) / (xp - xm)
        out.append(g)
    return out


def assert_grads_close(grads, expected, xs, rtol, atol, what):
    assert isinstance(grads, list), f"{what}: a list of sources must give a list, got {type(grads)}"
    assert len(grads) == len(expected)
    for i, (g, e, x) in enumerate(zip(grads, expected, xs)):
        assert g is not None, f"{what}: gradient of input {i} is None"
        assert isinstance(g, lamina.Tensor), f"{what}: gradient {i} is {type(g)}"
        assert g.dtype == x.dtype, f"{what}: gradient {i} has dtype {g.dtype}, source {x.dtype}"
        assert g.shape == x.shape, f"{what}: gradient {i} has shape {g.shape}, source {x.shape}"
        scale = max(1.0, float(np.max(np.abs(e)))) if e.size else 1.0
        np.testing.assert_allclose(np.asarray(g), e, rtol=rtol, atol=atol * scale, err_msg=f"{what}: input {i}")


def check_grad(lamina_fn, np_fn, *inputs, rtol=1e-6, atol=1e-7, fwd_rtol=1e-10, seed=1234, scalar_target=True):
    """Checks lamina_fn's forward value against np_fn and its gradients against finite differences.

    `inputs` are float64 numpy arrays (every one is a differentiated source). Returns lamina's
    gradients (numpy arrays) for further assertions.
    """
    inputs = [np.asarray(a, dtype=np.float64) for a in inputs]
    ref = np.asarray(np_fn(*inputs), dtype=np.float64)
    w = np.asarray(np.random.default_rng(seed).standard_normal(ref.shape), dtype=np.float64)
    expected = numeric_grads(np_fn, inputs, w)

    xs = [t(a) for a in inputs]
    with lamina.GradientTape() as tape:
        tape.watch(xs)
        y = lamina_fn(*xs)
    assert isinstance(y, lamina.Tensor)
    assert y.dtype == "float64", y.dtype
    assert y.shape == ref.shape, (y.shape, ref.shape)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=fwd_rtol, atol=1e-12, err_msg="forward")
    grads = tape.gradient(y, xs, output_gradients=t(w))
    assert_grads_close(grads, expected, xs, rtol, atol, "output_gradients=w")

    if scalar_target:
        with lamina.GradientTape() as tape:
            tape.watch(xs)
            s = ops.sum(lamina_fn(*xs) * t(w))
        assert s.shape == ()
        grads2 = tape.gradient(s, xs)
        assert_grads_close(grads2, expected, xs, rtol, atol, "target sum(y * w)")
    return [np.asarray(g) for g in grads]


def test_numeric_gradient_helper_is_accurate():
    """The finite-difference reference itself, against closed-form derivatives (numpy only)."""
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.2, 1.2, (3, 4))
    w = rng.standard_normal((3, 4))
    (g,) = numeric_grads(np.tan, [x], w)
    np.testing.assert_allclose(g, w / np.cos(x) ** 2, rtol=1e-8)
    a = rng.uniform(0.5, 2, (2, 1, 3))
    b = rng.uniform(-2, 2, (1, 4, 1))
    w = rng.standard_normal((2, 4, 3))
    ga, gb = numeric_grads(np.power, [a, b], w)
    np.testing.assert_allclose(ga, np.sum(w * b * a ** (b - 1), axis=1, keepdims=True), rtol=1e-7)
    np.testing.assert_allclose(gb, np.sum(w * a**b * np.log(a), axis=(0, 2), keepdims=True), rtol=1e-7)
    (gs,) = numeric_grads(lambda v: np.sum(v), [np.array(2.0)], np.array(3.0))
    assert abs(gs - 3.0) < 1e-8


# ---------------------------------------------------------------------------------------------
# Unary elementwise ops
# ---------------------------------------------------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])

UNARY = {
    "negative": (np.negative, "normal"),
    "abs": (np.abs, ("nonzero", 0.2, 2.0)),
    "absolute": (np.abs, ("nonzero", 0.2, 2.0)),
    "square": (np.square, "normal"),
    "sqrt": (np.sqrt, ("uniform", 0.2, 3.0)),
    "rsqrt": (lambda x: 1.0 / np.sqrt(x), ("uniform", 0.2, 3.0)),
    "exp": (np.exp, ("uniform", -2.0, 2.0)),
    "expm1": (np.expm1, ("uniform", -2.0, 2.0)),
    "log": (np.log, ("uniform", 0.2, 3.0)),
    "log1p": (np.log1p, ("uniform", -0.5, 3.0)),
    "log2": (np.log2, ("uniform", 0.2, 3.0)),
    "log10": (np.log10, ("uniform", 0.2, 3.0)),
    "sin": (np.sin, ("uniform", -3.0, 3.0)),
    "cos": (np.cos, ("uniform", -3.0, 3.0)),
    "tan": (np.tan, ("uniform", -1.2, 1.2)),
    "tanh": (np.tanh, ("uniform", -3.0, 3.0)),
    "sigmoid": (lambda x: 1.0 / (1.0 + np.exp(-x)), ("uniform", -4.0, 4.0)),
    "softplus": (lambda x: np.logaddexp(0.0, x), ("uniform", -4.0, 4.0)),
    "relu": (lambda x: np.maximum(x, 0.0), ("nonzero", 0.2, 2.0)),
    "erf": (_erf, ("uniform", -2.0, 2.0)),
    "reciprocal": (np.reciprocal, ("nonzero", 0.3, 2.0)),
    "arcsin": (np.arcsin, ("uniform", -0.9, 0.9)),
    "arccos": (np.arccos, ("uniform", -0.9, 0.9)),
    "arctan": (np.arctan, ("uniform", -3.0, 3.0)),
    "sinh": (np.sinh, ("uniform", -2.0, 2.0)),
    "cosh": (np.cosh, ("uniform", -2.0, 2.0)),
    "arcsinh": (np.arcsinh, ("uniform", -3.0, 3.0)),
    "arccosh": (np.arccosh, ("uniform", 1.1, 3.0)),
    "arctanh": (np.arctanh, ("uniform", -0.9, 0.9)),
}


@pytest.mark.parametrize("shape", [(), (7,), (3, 4), (2, 3, 2)], ids=str)
@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grad(name, shape):
    np_fn, kind = UNARY[name]
    x = sample(shape, kind, seed=len(name))
    check_grad(getattr(ops, name), np_fn, x)


@pytest.mark.parametrize("name", ["floor", "ceil", "round", "sign", "trunc"])
def test_piecewise_constant_ops_have_zero_or_no_gradient(name):
    # Away from the jumps the derivative is 0: lamina may return None (TensorFlow) or zeros (JAX).
    x = t(np.array([[-1.7, -0.2, 0.3], [1.2, 2.8, -3.3]]))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = getattr(ops, name)(x)
        z = y + x * 2.0
    g = tape.gradient(y, x)
    if g is not None:
        assert g.shape == x.shape and g.dtype == "float64"
        np.testing.assert_array_equal(np.asarray(g), np.zeros((2, 3)))
    gz = tape.gradient(y, x, unconnected_gradients="zero")
    assert gz.shape == x.shape and gz.dtype == "float64"
    np.testing.assert_array_equal(np.asarray(gz), np.zeros((2, 3)))
    # The constant piece contributes nothing to a target that also uses x directly.
    np.testing.assert_allclose(np.asarray(tape.gradient(z, x)), np.full((2, 3), 2.0), rtol=0, atol=0)


# ---------------------------------------------------------------------------------------------
# Binary elementwise ops with broadcasting
# ---------------------------------------------------------------------------------------------

BINARY = {
    "add": (np.add, "normal", "normal"),
    "subtract": (np.subtract, "normal", "normal"),
    "multiply": (np.multiply, "normal", "normal"),
    "divide": (np.true_divide, "normal", ("nonzero", 0.5, 2.0)),
    "true_divide": (np.true_divide, "normal", ("nonzero", 0.5, 2.0)),
    "power": (np.power, ("uniform", 0.5, 2.0), ("uniform", -2.0, 2.0)),
    "maximum": (np.maximum, "normal", "normal"),
    "minimum": (np.minimum, "normal", "normal"),
}

BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 1, 3), (1, 4, 1)),
    ((), (3, 2)),
    ((2, 3), ()),
    ((3, 1), (1, 1)),
]


@pytest.mark.parametrize("sa,sb", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_grad(name, sa, sb):
    np_fn, ka, kb = BINARY[name]
    a = sample(sa, ka, seed=1)
    b = sample(sb, kb, seed=2)
    if name in ("maximum", "minimum"):
        # no ties (or near-ties) anywhere in the broadcast: the derivative is well defined
        assert np.min(np.abs(a - b)) > 1e-3
    check_grad(getattr(ops, name), np_fn, a, b)


OPERATORS = {
    "x+y": (lambda x, y: x + y, np.add, "normal", "normal"),
    "x-y": (lambda x, y: x - y, np.subtract, "normal", "normal"),
    "x*y": (lambda x, y: x * y, np.multiply, "normal", "normal"),
    "x/y": (lambda x, y: x / y, np.true_divide, "normal", ("nonzero", 0.5, 2.0)),
    "x**y": (lambda x, y: x**y, np.power, ("uniform", 0.5, 2.0), "normal"),
    "x@y": (lambda x, y: x @ y, np.matmul, "normal", "normal"),
}


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_python_binary_operators_grad(name):
    fn, np_fn, ka, kb = OPERATORS[name]
    sa, sb = ((3, 4), (4, 2)) if name == "x@y" else ((3, 4), (4,))
    check_grad(fn, np_fn, sample(sa, ka, seed=3), sample(sb, kb, seed=4))


SCALAR_OPERATORS = {
    "2.5+x": (lambda x: 2.5 + x, lambda x: 2.5 + x, "normal"),
    "1.5-x": (lambda x: 1.5 - x, lambda x: 1.5 - x, "normal"),
    "x-1.5": (lambda x: x - 1.5, lambda x: x - 1.5, "normal"),
    "3*x": (lambda x: 3 * x, lambda x: 3 * x, "normal"),
    "x*3": (lambda x: x * 3, lambda x: x * 3, "normal"),
    "2/x": (lambda x: 2.0 / x, lambda x: 2.0 / x, ("nonzero", 0.5, 2.0)),
    "x/4": (lambda x: x / 4, lambda x: x / 4, "normal"),
    "2**x": (lambda x: 2.0**x, lambda x: 2.0**x, "normal"),
    "x**2.5": (lambda x: x**2.5, lambda x: x**2.5, ("uniform", 0.3, 2.0)),
    # integer powers of negative bases are common ((pred - y) ** 2): the gradient must be finite
    "x**2(neg)": (lambda x: x**2, lambda x: x**2, "normal"),
    "x**3(neg)": (lambda x: x**3, lambda x: x**3, "normal"),
    "power(x,2)(neg)": (lambda x: ops.power(x, 2), lambda x: x**2, "normal"),
    "-x": (lambda x: -x, np.negative, "normal"),
    "+x": (lambda x: +x, lambda x: +x, "normal"),
    "abs(x)": (lambda x: abs(x), np.abs, ("nonzero", 0.2, 2.0)),
}


@pytest.mark.parametrize("name", sorted(SCALAR_OPERATORS))
def test_python_scalar_and_unary_operators_grad(name):
    fn, np_fn, kind = SCALAR_OPERATORS[name]
    x = sample((3, 4), kind, seed=5)
    if "neg" in name:
        assert (x < 0).any()
    check_grad(fn, np_fn, x)


# ---------------------------------------------------------------------------------------------
# matmul
# ---------------------------------------------------------------------------------------------

MATMUL_SHAPES = [
    ((4,), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((3, 4), (4, 5)),
    ((1, 4), (4, 1)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
    ((2, 3, 4), (4,)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_grad(sa, sb):
    check_grad(ops.matmul, np.matmul, sample(sa, seed=6), sample(sb, seed=7))


def test_matmul_grad_of_transposed_views():
    a = sample((4, 3), seed=8)
    b = sample((5, 4), seed=9)
    check_grad(
        lambda x, y: ops.matmul(ops.transpose(x), ops.transpose(y)),
        lambda x, y: np.matmul(x.T, y.T),
        a,
        b,
    )


# ---------------------------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------------------------


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    if keepdims:
        return out
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


REDUCTIONS = {
    "sum": (np.sum, "normal"),
    "mean": (np.mean, "normal"),
    "var": (np.var, "normal"),
    "std": (np.std, "normal"),
    "prod": (np.prod, ("nonzero", 0.5, 1.5)),
    "max": (np.max, "distinct"),
    "min": (np.min, "distinct"),
    "logsumexp": (np_logsumexp, "normal"),
}


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (-1, 0)], ids=str)
@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_grad(name, axis, keepdims):
    np_fn, kind = REDUCTIONS[name]
    x = sample((2, 3, 4), kind, seed=10)
    check_grad(
        lambda v: getattr(ops, name)(v, axis=axis, keepdims=keepdims),
        lambda v: np_fn(v, axis=axis, keepdims=keepdims),
        x,
    )


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_grad_of_scalar_and_vector(name):
    np_fn, kind = REDUCTIONS[name]
    check_grad(lambda v: getattr(ops, name)(v), lambda v: np_fn(v), sample((6,), kind, seed=11))
    if name not in ("var", "std"):  # var/std of one element is constant 0 (derivative 0; std has a kink)
        check_grad(lambda v: getattr(ops, name)(v), lambda v: np_fn(v), sample((), kind, seed=12))


def test_prod_with_a_zero():
    # d prod / d x_i = prod of the others: well defined (and nonzero) at the zero itself.
    x = np.array([[2.0, 0.0, 3.0], [1.5, -2.0, 4.0], [0.0, 0.0, 5.0]])
    g = check_grad(lambda v: ops.prod(v, axis=1), lambda v: np.prod(v, axis=1), x, scalar_target=False)
    assert np.isfinite(g[0]).all()
    with lamina.GradientTape() as tape:
        xt = t(x)
        tape.watch(xt)
        y = ops.sum(ops.prod(xt, axis=1))
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, xt)), [[0.0, 6.0, 0.0], [-8.0, 6.0, -3.0], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_ties_split_gradient_equally(name):
    f = getattr(ops, name)
    s = 1.0 if name == "max" else -1.0
    x = t(s * np.array([1.0, 3.0, 3.0, 2.0]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(np.asarray(tape.gradient(y, x)), [0.0, 0.5, 0.5, 0.0], rtol=1e-15)

    m = t(s * np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0], [5.0, 5.0, 5.0]]))
    for keepdims in (False, True):
        with lamina.GradientTape() as tape:
            tape.watch(m)
            y = f(m, axis=1, keepdims=keepdims)
        g = tape.gradient(y, m)
        np.testing.assert_allclose(
            np.asarray(g), [[0, 0.5, 0.5], [0.5, 0.5, 0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12
        )
    with lamina.GradientTape() as tape:
        tape.watch(m)
        y = f(m)  # all axes: the three 5s tie
    exp = np.zeros((3, 3))
    exp[2] = 1 / 3  # the extremum over all axes is +-5, three times
    np.testing.assert_allclose(np.asarray(tape.gradient(y, m)), exp, rtol=1e-12)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_gradient(name):
    x = t(np.array([1.0, 2.0, 3.0]))
    y = t(np.array([1.0, 0.0, 3.0]) if name == "maximum" else np.array([1.0, 5.0, 3.0]))
    with lamina.GradientTape() as tape:
        tape.watch([x, y])
        z = getattr(ops, name)(x, y)
    gx, gy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(np.asarray(gx), [0.5, 1.0, 0.5], rtol=1e-15)
    np.testing.assert_allclose(np.asarray(gy), [0.5, 0.0, 0.5], rtol=1e-15)


def test_relu_at_negative_values_is_zero():
    x = t(np.array([-2.0, -0.5, 0.5, 3.0]))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.relu(x)
        z = ops.maximum(x, 0.0)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), [0.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(np.asarray(tape.gradient(z, x)), [0.0, 0.0, 1.0, 1.0])


# ---------------------------------------------------------------------------------------------
# softmax / log_softmax
# ---------------------------------------------------------------------------------------------


def np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_grad(name, axis, shape):
    np_fn = np_softmax if name == "softmax" else np_log_softmax
    check_grad(lambda v: getattr(ops, name)(v, axis=axis), lambda v: np_fn(v, axis), sample(shape, seed=13) * 2)


# ---------------------------------------------------------------------------------------------
# Indexing
# ---------------------------------------------------------------------------------------------

BASIC_KEYS = [
    1,
    -1,
    (1, 2),
    (-4, -5, -3),
    slice(1, 3),
    slice(None, None, 2),
    slice(None, None, -1),
    slice(-1, -5, -2),
    (slice(None), slice(4, 0, -2), 1),
    (slice(None), slice(None, None, -3), slice(None, None, 2)),
    (Ellipsis, 0),
    (0, Ellipsis),
    (None, 1, Ellipsis, None),
    (slice(1, None), None, slice(None, 3)),
    (Ellipsis, None),
    (),
]

# Advanced (integer-array) keys, most with duplicates: the gradient must scatter-ADD.
ADVANCED_KEYS = [
    [0, 2, 0, 0],
    [[0, 3], [3, 3]],
    [-1, 3, 0],
    ([0, 0, 1], [1, 1, 2]),
    (slice(None), [4, 4, 0]),
    (Ellipsis, [2, 2, -1]),
    (1, slice(None, None, -1), [0, 0]),
    ([0, 2], slice(None), [1, 1]),
    ([[1], [1]], [0, 0, 4]),
    (slice(1, None), [[0, 1]], [[2], [2]]),
    (np.array([3, 3, 0]),),
    ([True, False, True, True],),
    (slice(None), [True, False, False, True, True]),
]


def _np_key(key):
    def conv(k):
        return np.array(k) if isinstance(k, list) else k

    return tuple(conv(k) for k in key) if isinstance(key, tuple) else conv(key)


@pytest.mark.parametrize("key", BASIC_KEYS + ADVANCED_KEYS, ids=[f"key{i}" for i in range(len(BASIC_KEYS + ADVANCED_KEYS))])
def test_getitem_grad(key):
    x = sample((4, 5, 3), seed=14)
    nk = _np_key(key)
    check_grad(lambda v: v[key], lambda v: v[nk], x)


def test_getitem_duplicate_indices_scatter_add():
    x = t(np.arange(5.0))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x[[1, 1, 1, 4, -1]])
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), [0.0, 3.0, 0.0, 0.0, 2.0])


def test_getitem_index_tensor_grad():
    idx = t(np.array([2, 0, 2], dtype="int32"))
    check_grad(lambda v: v[idx] * 2.0, lambda v: v[[2, 0, 2]] * 2.0, sample((3, 4), seed=15))


# ---------------------------------------------------------------------------------------------
# Shape, gather, join/split, scans, sorting, where, clip
# ---------------------------------------------------------------------------------------------

DUP_IDX = np.array([[0, 5], [5, 11]])

# id -> (lamina fn, numpy fn, [(shape, kind), ...])
SHAPE_CASES = {
    "reshape": (lambda x: ops.reshape(x, (6, 4)), lambda x: x.reshape(6, 4), [((2, 3, 4), "normal")]),
    "reshape_-1": (lambda x: ops.reshape(x, (-1,)), lambda x: x.reshape(-1), [((2, 3, 4), "normal")]),
    "reshape_of_transpose": (
        lambda x: ops.reshape(ops.transpose(x), (4, 6)),
        lambda x: x.T.reshape(4, 6),
        [((2, 3, 4), "normal")],
    ),
    "transpose": (ops.transpose, np.transpose, [((2, 3, 4), "normal")]),
    "transpose_axes": (lambda x: ops.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0)), [((2, 3, 4), "normal")]),
    "expand_dims_1": (lambda x: ops.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [((3, 4), "normal")]),
    "expand_dims_tuple": (lambda x: ops.expand_dims(x, (0, -1)), lambda x: np.expand_dims(x, (0, -1)), [((3, 4), "normal")]),
    "squeeze_all": (ops.squeeze, np.squeeze, [((3, 1, 4, 1), "normal")]),
    "squeeze_axis": (lambda x: ops.squeeze(x, 1), lambda x: np.squeeze(x, 1), [((3, 1, 4, 1), "normal")]),
    "tile_2d": (lambda x: ops.tile(x, (2, 3)), lambda x: np.tile(x, (2, 3)), [((2, 3), "normal")]),
    "tile_more_reps": (lambda x: ops.tile(x, (2, 1, 2)), lambda x: np.tile(x, (2, 1, 2)), [((2, 3), "normal")]),
    "repeat_flat": (lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), [((2, 3), "normal")]),
    "repeat_axis1": (lambda x: ops.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1), [((2, 3), "normal")]),
    "repeat_counts": (
        lambda x: ops.repeat(x, [1, 0, 3], axis=0),
        lambda x: np.repeat(x, [1, 0, 3], axis=0),
        [((3, 4), "normal")],
    ),
    "broadcast_to_vec": (lambda x: ops.broadcast_to(x, (2, 4, 3)), lambda x: np.broadcast_to(x, (2, 4, 3)), [((3,), "normal")]),
    "broadcast_to_col": (lambda x: ops.broadcast_to(x, (2, 3, 4)), lambda x: np.broadcast_to(x, (2, 3, 4)), [((3, 1), "normal")]),
    "broadcast_to_scalar": (lambda x: ops.broadcast_to(x, (2, 2)), lambda x: np.broadcast_to(x, (2, 2)), [((), "normal")]),
    "pad": (lambda x: ops.pad(x, ((1, 2), (0, 3))), lambda x: np.pad(x, ((1, 2), (0, 3))), [((3, 4), "normal")]),
    "pad_constant_values": (
        lambda x: ops.pad(x, 2, constant_values=1.5),
        lambda x: np.pad(x, 2, constant_values=1.5),
        [((3, 2), "normal")],
    ),
    "pad_reflect": (
        lambda x: ops.pad(x, ((2, 1), (1, 2)), mode="reflect"),
        lambda x: np.pad(x, ((2, 1), (1, 2)), mode="reflect"),
        [((3, 4), "normal")],
    ),
    "pad_symmetric": (
        lambda x: ops.pad(x, ((2, 1), (1, 3)), mode="symmetric"),
        lambda x: np.pad(x, ((2, 1), (1, 3)), mode="symmetric"),
        [((3, 4), "normal")],
    ),
    "flip_all": (ops.flip, np.flip, [((2, 3, 4), "normal")]),
    "flip_axis": (lambda x: ops.flip(x, 1), lambda x: np.flip(x, 1), [((2, 3, 4), "normal")]),
    "flip_axes": (lambda x: ops.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2)), [((2, 3, 4), "normal")]),
    "moveaxis": (lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [((2, 3, 4), "normal")]),
    "moveaxis_tuple": (
        lambda x: ops.moveaxis(x, (0, 1), (-1, -2)),
        lambda x: np.moveaxis(x, (0, 1), (-1, -2)),
        [((2, 3, 4), "normal")],
    ),
    "swapaxes": (lambda x: ops.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), [((2, 3, 4), "normal")]),
    "ravel": (ops.ravel, np.ravel, [((2, 3, 4), "normal")]),
    "ravel_of_transpose": (lambda x: ops.ravel(ops.transpose(x)), lambda x: np.ravel(x.T), [((3, 4), "normal")]),
    "slice": (lambda x: ops.slice(x, (1, 1), (2, 2)), lambda x: x[1:3, 1:3], [((3, 4), "normal")]),
    "slice_3d": (lambda x: ops.slice(x, (0, 2, 1), (2, 1, 3)), lambda x: x[0:2, 2:3, 1:4], [((2, 3, 4), "normal")]),
    "take_flat_dups": (lambda x: ops.take(x, DUP_IDX), lambda x: np.take(x, DUP_IDX), [((3, 4), "normal")]),
    "take_axis1_dups": (
        lambda x: ops.take(x, [0, 2, 2, 3, 0], axis=1),
        lambda x: np.take(x, [0, 2, 2, 3, 0], axis=1),
        [((3, 4), "normal")],
    ),
    "take_axis0_2d": (
        lambda x: ops.take(x, np.array([[2, 0], [2, 2]]), axis=0),
        lambda x: np.take(x, [[2, 0], [2, 2]], axis=0),
        [((3, 4), "normal")],
    ),
    "take_negative_dups": (
        lambda x: ops.take(x, [3, -1, -4], axis=-1),
        lambda x: np.take(x, [3, -1, -4], axis=-1),
        [((3, 4), "normal")],
    ),
    "take_along_axis1": (
        lambda x: ops.take_along_axis(x, np.array([[0, 0, 3, 1, 0], [2, 2, 2, 2, 2], [3, 1, 0, 0, 1]]), axis=1),
        lambda x: np.take_along_axis(x, np.array([[0, 0, 3, 1, 0], [2, 2, 2, 2, 2], [3, 1, 0, 0, 1]]), axis=1),
        [((3, 4), "normal")],
    ),
    "take_along_axis0": (
        lambda x: ops.take_along_axis(x, np.array([[0, 2, 2, 1], [0, 0, 2, 1]]), axis=0),
        lambda x: np.take_along_axis(x, np.array([[0, 2, 2, 1], [0, 0, 2, 1]]), axis=0),
        [((3, 4), "normal")],
    ),
    "concatenate_axis0": (
        lambda a, b, c: ops.concatenate([a, b, c], axis=0),
        lambda a, b, c: np.concatenate([a, b, c], axis=0),
        [((2, 3), "normal"), ((1, 3), "normal"), ((4, 3), "normal")],
    ),
    "concatenate_axis-1": (
        lambda a, b: ops.concatenate([a, b], axis=-1),
        lambda a, b: np.concatenate([a, b], axis=-1),
        [((2, 3), "normal"), ((2, 1), "normal")],
    ),
    "concatenate_same_input_twice": (
        lambda a: ops.concatenate([a, a * 2.0], axis=0),
        lambda a: np.concatenate([a, a * 2.0], axis=0),
        [((2, 3), "normal")],
    ),
    "stack_axis0": (
        lambda a, b, c: ops.stack([a, b, c]),
        lambda a, b, c: np.stack([a, b, c]),
        [((2, 3), "normal"), ((2, 3), "normal"), ((2, 3), "normal")],
    ),
    "stack_axis-1": (
        lambda a, b: ops.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        [((2, 3), "normal"), ((2, 3), "normal")],
    ),
    # only some split outputs reach the target: the others contribute zeros
    "split_sections_partial": (
        lambda x: (lambda p: p[0] * 2.0 + p[2])(ops.split(x, 3, axis=0)),
        lambda x: (lambda p: p[0] * 2.0 + p[2])(np.split(x, 3, axis=0)),
        [((6, 4), "normal")],
    ),
    "split_indices_middle_only": (
        lambda x: ops.split(x, [2, 5], axis=1)[1],
        lambda x: np.split(x, [2, 5], axis=1)[1],
        [((3, 7), "normal")],
    ),
    "split_all_parts": (
        lambda x: (lambda p: p[0] * p[1] + p[2])(ops.split(x, 3, axis=-1)),
        lambda x: (lambda p: p[0] * p[1] + p[2])(np.split(x, 3, axis=-1)),
        [((2, 6), "normal")],
    ),
    "where_fixed_condition": (
        lambda x, y: ops.where(np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]]), x, y),
        lambda x, y: np.where(np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]]), x, y),
        [((4,), "normal"), ((), "normal")],
    ),
    "where_same_shapes": (
        lambda x, y: ops.where(np.array([True, False, True]), x, y),
        lambda x, y: np.where(np.array([True, False, True]), x, y),
        [((2, 3), "normal"), ((2, 3), "normal")],
    ),
    "where_condition_from_x": (
        lambda x, y: ops.where(x > 0, x * 2.0, y),
        lambda x, y: np.where(x > 0, x * 2.0, y),
        [((3, 4), ("nonzero", 0.2, 2.0)), ((3, 4), "normal")],
    ),
    "clip": (lambda x: ops.clip(x, -1.0, 1.0), lambda x: np.clip(x, -1.0, 1.0), [((4, 5), "clip")]),
    "cumsum_flat": (ops.cumsum, lambda x: np.cumsum(x), [((3, 4), "normal")]),
    "cumsum_axis0": (lambda x: ops.cumsum(x, axis=0), lambda x: np.cumsum(x, axis=0), [((3, 4), "normal")]),
    "cumsum_axis-1": (lambda x: ops.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1), [((2, 3, 4), "normal")]),
    "cumprod_flat": (ops.cumprod, lambda x: np.cumprod(x), [((2, 4), ("nonzero", 0.5, 1.5))]),
    "cumprod_axis1": (lambda x: ops.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1), [((3, 4), ("nonzero", 0.5, 1.5))]),
    "sort_last": (ops.sort, np.sort, [((3, 5), "distinct")]),
    "sort_axis0": (lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, axis=0), [((4, 3), "distinct")]),
    "sort_flat": (lambda x: ops.sort(x, axis=None), lambda x: np.sort(x, axis=None), [((3, 4), "distinct")]),
    "top_k_values": (
        lambda x: ops.top_k(x, 3)[0],
        lambda x: -np.sort(-x, axis=-1)[..., :3],
        [((3, 6), "distinct")],
    ),
    "convert_to_tensor": (lambda x: ops.convert_to_tensor(x) * 2.0, lambda x: x * 2.0, [((3, 4), "normal")]),
    "views_chain": (
        lambda x: ops.sum(ops.transpose(x)[1:, ::2] * 2.0, axis=0),
        lambda x: np.sum(x.T[1:, ::2] * 2.0, axis=0),
        [((5, 4), "normal")],
    ),
}


def _shape_case_input(shape, kind, seed):
    if kind == "clip":
        # keep every value at least 0.05 away from the clip bounds -1 and 1
        v = sample(shape, ("uniform", -2.0, 2.0), seed)
        near = np.abs(np.abs(v) - 1.0) < 0.05
        return np.where(near, v * 0.8, v)
    return sample(shape, kind, seed)


@pytest.mark.parametrize("case", sorted(SHAPE_CASES))
def test_shape_and_gather_grad(case):
    fn, np_fn, specs = SHAPE_CASES[case]
    inputs = [_shape_case_input(s, k, seed=20 + i) for i, (s, k) in enumerate(specs)]
    check_grad(fn, np_fn, *inputs)


def test_clip_gradient_is_zero_outside_bounds():
    x = t(np.array([-3.0, -0.5, 0.25, 0.9, 1.5]))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.clip(x, -1.0, 1.0)
    np.testing.assert_array_equal(np.asarray(tape.gradient(y, x)), [0.0, 1.0, 1.0, 1.0, 0.0])


def test_where_condition_gets_no_gradient():
    c = t(np.array([0.5, -1.0, 2.0]))
    x = t(np.array([1.0, 2.0, 3.0]))
    with lamina.GradientTape() as tape:
        tape.watch([c, x])
        y = ops.where(c > 0, x, -x)
    gc, gx = tape.gradient(y, [c, x])
    assert gc is None
    np.testing.assert_array_equal(np.asarray(gx), [1.0, -1.0, 1.0])


def test_composite_mlp_loss_grad():
    rng = np.random.default_rng(30)
    x = rng.standard_normal((5, 4))
    labels = np.eye(3)[[0, 2, 1, 1, 0]]

    def np_fn(w1, b1, w2, b2):
        h = np.tanh(x @ w1 + b1)
        return -np.sum(np_log_softmax(h @ w2 + b2, -1) * labels) / 5.0

    def lm_fn(w1, b1, w2, b2):
        h = ops.tanh(ops.matmul(x, w1) + b1)
        return -ops.sum(ops.log_softmax(ops.matmul(h, w2) + b2, axis=-1) * labels) / 5.0

    check_grad(lm_fn, np_fn, sample((4, 6), seed=31), sample((6,), seed=32), sample((6, 3), seed=33), sample((3,), seed=34))


# ---------------------------------------------------------------------------------------------
# dtypes: cast, half precision, integers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("via", ["cast", "convert_to_tensor"])
def test_cast_float64_to_float32_gradient_is_float64(via):
    a = sample((3, 4), seed=40)
    x = t(a)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = ops.cast(x, "float32") if via == "cast" else ops.convert_to_tensor(x, dtype="float32")
        assert y.dtype == "float32"
        z = y * y
    g = tape.gradient(z, x)
    assert isinstance(g, lamina.Tensor)
    assert g.dtype == "float64"
    assert g.shape == (3, 4)
    np.testing.assert_allclose(np.asarray(g), 2.0 * a, rtol=1e-6)


def test_cast_float32_to_float64_gradient_is_float32():
    a = sample((4,), seed=41).astype(np.float32)
    x = t(a)
    with lamina.GradientTape() as tape:
        tape.watch(x)
        z = ops.cast(x, "float64") * t(np.array([1.0, 2.0, 3.0, 4.0]))
    g = tape.gradient(z, x)
    assert g.dtype == "float32"
    np.testing.assert_allclose(np.asarray(g), [1.0, 2.0, 3.0, 4.0], rtol=0)


@pytest.mark.parametrize("dtype,tol", [("float16", 2e-2), ("bfloat16", 8e-2)])
def test_half_precision_sources_get_gradients_of_their_dtype(dtype, tol):
    a = sample((4, 5), ("uniform", -1.5, 1.5), seed=42).astype(np.float32)
    w = sample((5, 3), ("uniform", -1.0, 1.0), seed=43).astype(np.float32)

    def loss(x, k):
        return ops.mean(ops.tanh(x) * x + x * x) + ops.sum(ops.matmul(x, k))

    x = ops.cast(a, dtype)
    k = ops.cast(w, dtype)
    with lamina.GradientTape() as tape:
        tape.watch([x, k])
        y = loss(x, k)
    gx, gk = tape.gradient(y, [x, k])
    assert gx.dtype == dtype and gk.dtype == dtype
    assert gx.shape == (4, 5) and gk.shape == (5, 3)

    # float32 reference at the same (rounded) input values
    x32 = t(np.asarray(x).astype(np.float32))
    k32 = t(np.asarray(k).astype(np.float32))
    with lamina.GradientTape() as tape:
        tape.watch([x32, k32])
        y32 = loss(x32, k32)
    rx, rk = tape.gradient(y32, [x32, k32])
    assert rx.dtype == "float32"
    np.testing.assert_allclose(np.asarray(gx).astype(np.float32), np.asarray(rx), rtol=tol, atol=tol)
    np.testing.assert_allclose(np.asarray(gk).astype(np.float32), np.asarray(rk), rtol=tol, atol=tol)


def test_int32_source_gets_none():
    x = t(np.array([1, 2, 3], dtype="int32"))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = ops.cast(x, "float32") * 2.0
        z = ops.sum(x * x)
    assert tape.gradient(y, x) is None
    assert tape.gradient(z, x) is None


@pytest.mark.parametrize("path", ["cast_int32", "argmax", "comparison", "argsort"])
def test_integer_paths_are_not_differentiable(path):
    a = np.array([0.7, -1.2, 2.4, 0.1])
    x = t(a)
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if path == "cast_int32":
            i = ops.cast(x, "int32")
        elif path == "argmax":
            i = ops.argmax(x)
        elif path == "comparison":
            i = x > 0.5
        else:
            i = ops.argsort(x)
        f = ops.cast(i, "float64") * 3.0
        both = f + x * 2.0
    assert tape.gradient(f, x) is None
    # the integer path adds nothing; the direct path is intact
    np.testing.assert_array_equal(np.asarray(tape.gradient(both, x)), np.full(4, 2.0))


def test_unconnected_source_none_or_zero():
    x = t(sample((2, 3), seed=44))
    z = t(sample((4,), seed=45))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = ops.sum(x * 2.0)
    gx, gz = tape.gradient(y, [x, z])
    np.testing.assert_array_equal(np.asarray(gx), np.full((2, 3), 2.0))
    assert gz is None
    for how in ("zero", lamina.UnconnectedGradients.ZERO):
        gx2, gz2 = tape.gradient(y, [x, z], unconnected_gradients=how)
        np.testing.assert_array_equal(np.asarray(gx2), np.full((2, 3), 2.0))
        assert isinstance(gz2, lamina.Tensor)
        assert gz2.shape == (4,) and gz2.dtype == "float64"
        np.testing.assert_array_equal(np.asarray(gz2), np.zeros(4))
    assert tape.gradient(y, z, unconnected_gradients="none") is None
    assert tape.gradient(y, z, unconnected_gradients=lamina.UnconnectedGradients.NONE) is None


def test_max_min_with_initial_are_differentiable():
    x = ops.convert_to_tensor(np.array([[1.0, 5.0], [2.0, 0.5]]))
    with lamina.GradientTape(persistent=True) as tape:
        tape.watch(x)
        hi = ops.max(x, axis=1, initial=3.0)  # [5, 3]: only the first row's 5 beats initial
        lo = ops.min(x, axis=1, initial=1.5)  # [1, 0.5]
    np.testing.assert_allclose(np.asarray(hi), [5.0, 3.0])
    np.testing.assert_allclose(np.asarray(tape.gradient(hi, x)), [[0, 1], [0, 0]])
    np.testing.assert_allclose(np.asarray(lo), [1.0, 0.5])
    np.testing.assert_allclose(np.asarray(tape.gradient(lo, x)), [[1, 0], [0, 1]])
    empty = ops.max(np.zeros((2, 0)), axis=1, initial=-1.0)
    np.testing.assert_allclose(np.asarray(empty), [-1.0, -1.0])
