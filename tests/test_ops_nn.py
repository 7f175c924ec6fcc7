"""lamina.ops activation functions (keras.ops.nn names): values against numpy references, gradients
against central finite differences, dtypes, signatures and errors.

Each reference below is written independently of lamina's composition (e.g. ``soft_shrink`` as
``sign(x) * max(|x| - t, 0)``, ``sparsemax`` by Martins & Astudillo's algorithm one vector at a
time), in float64. `test_activations.py` reuses `REF`, `sample_away_from` and `check_grad`.
"""

import inspect
import math

import numpy as np
import pytest

import lamina
from lamina import ops

# ---------------------------------------------------------------------------------------------
# numpy references (float64)
# ---------------------------------------------------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def np_sigmoid(x):
    e = np.exp(-np.abs(x))  # never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def np_gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def np_glu(x, axis=-1):
    a, b = np.split(x, 2, axis=axis)
    return a * np_sigmoid(b)


def _sparsemax_vector(z):
    zs = np.sort(z)[::-1]
    k = np.arange(1, z.size + 1)
    cs = np.cumsum(zs)
    support = 1.0 + k * zs > cs
    kz = k[support][-1]
    tau = (cs[kz - 1] - 1.0) / kz
    return np.maximum(z - tau, 0.0)


def np_sparsemax(x, axis=-1):
    return np.apply_along_axis(_sparsemax_vector, axis, np.asarray(x, dtype=np.float64))


REF = {
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "sparse_sigmoid": lambda x: np.clip(0.5 * (x + 1.0), 0.0, 1.0),
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "soft_shrink": lambda x, threshold=0.5: np.sign(x) * np.maximum(np.abs(x) - threshold, 0.0),
    "sparse_plus": lambda x: np.where(x <= -1, 0.0, np.where(x >= 1, x, 0.25 * (x + 1.0) ** 2)),
    "silu": lambda x: x * np_sigmoid(x),
    "swish": lambda x: x * np_sigmoid(x),
    "squareplus": lambda x, b=4: (x + np.sqrt(x * x + b)) / 2.0,
    "log_sigmoid": lambda x: -np.logaddexp(0.0, -x),
    "leaky_relu": lambda x, negative_slope=0.2: np.where(x >= 0, x, negative_slope * x),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_silu": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "hard_swish": lambda x: x * np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "elu": np_elu,
    "selu": lambda x: SELU_SCALE * np_elu(x, SELU_ALPHA),
    "gelu": np_gelu,
    "celu": lambda x, alpha=1.0: np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha)),
    "glu": np_glu,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1.0, 1.0),
    "hard_shrink": lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0.0),
    "threshold": lambda x, threshold, default_value: np.where(x > threshold, x, default_value),
    "sparsemax": np_sparsemax,
}

# (name, kwargs, kinks): every op with the argument sets tested; `kinks` are the points where the
# function is not differentiable (finite-difference inputs are kept away from them).
CASES = [
    ("relu6", {}, (0.0, 6.0)),
    ("sparse_sigmoid", {}, (-1.0, 1.0)),
    ("softsign", {}, (0.0,)),
    ("soft_shrink", {}, (-0.5, 0.5)),
    ("soft_shrink", {"threshold": 1.25}, (-1.25, 1.25)),
    ("sparse_plus", {}, (-1.0, 1.0)),
    ("silu", {}, ()),
    ("swish", {}, ()),
    ("squareplus", {}, ()),
    ("squareplus", {"b": 1.5}, ()),
    ("log_sigmoid", {}, ()),
    ("leaky_relu", {}, (0.0,)),
    ("leaky_relu", {"negative_slope": 0.05}, (0.0,)),
    ("hard_sigmoid", {}, (-3.0, 3.0)),
    ("hard_silu", {}, (-3.0, 3.0)),
    ("hard_swish", {}, (-3.0, 3.0)),
    ("elu", {}, (0.0,)),
    ("elu", {"alpha": 0.5}, (0.0,)),
    ("selu", {}, (0.0,)),
    ("gelu", {}, ()),
    ("gelu", {"approximate": False}, ()),
    ("celu", {}, (0.0,)),
    ("celu", {"alpha": 2.0}, (0.0,)),
    ("glu", {}, ()),
    ("glu", {"axis": 0}, ()),
    ("tanh_shrink", {}, ()),
    ("hard_tanh", {}, (-1.0, 1.0)),
    ("hard_shrink", {}, (-0.5, 0.5)),
    ("hard_shrink", {"threshold": 1.0}, (-1.0, 1.0)),
    ("threshold", {"threshold": 0.25, "default_value": -2.0}, (0.25,)),
    ("sparsemax", {}, ()),
    ("sparsemax", {"axis": 0}, ()),
]
CASE_IDS = [f"{n}-{','.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw, _ in CASES]

# Values that sit on kinks or stress the formulas (overflowing exp, tiny differences).
EDGES = [0.0, 1.0, -1.0, 3.0, -3.0, 0.5, -0.5, 6.0, -6.0, 20.0, -20.0, 90.0, -90.0, 1e4, -1e4, 0.25]


def shapes_for(name, kwargs):
    if name == "glu":
        return [(4, 6), (8,)] if kwargs.get("axis", -1) == 0 else [(6,), (3, 4), (2, 3, 4)]
    if name == "sparsemax":
        return [(5,), (3, 4), (2, 3, 5)]
    return [(), (7,), (3, 4), (2, 3, 4)]


def sample(shape, dtype="float64", seed=0, scale=3.0, edges=True):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * scale
    if edges and x.size:
        flat = x.reshape(-1)
        n = min(flat.size, len(EDGES))
        # spread the edge values over the array rather than only its first row
        flat[rng.permutation(flat.size)[:n]] = EDGES[:n]
        x = flat.reshape(shape)
    return x.astype(dtype)


def sample_away_from(shape, kinks, seed=0, lo=-4.0, hi=4.0, margin=0.05):
    """float64 values in [lo, hi] at least `margin` away from every kink."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, shape)
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.where(x >= k, 2.0, -2.0) * margin, x)
    return x


def assert_close(got, ref, x, rtol, atol, what=""):
    """|got - ref| <= atol * (1 + |x|) + rtol * |ref| elementwise (x broadcast where shapes allow)."""
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, (what, got.shape, ref.shape)
    mag = np.abs(np.asarray(x, dtype=np.float64))
    if mag.shape != ref.shape:
        mag = np.max(mag) if mag.size else 0.0
    bound = atol * (1.0 + mag) + rtol * np.abs(ref)
    err = np.abs(got - ref)
    bad = ~(err <= bound)
    assert not np.any(bad), f"{what}: max err {np.max(err[bad])} at {np.argwhere(bad)[:3].tolist()}"


def numeric_grad(fn, x, w, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = np.sum((fn(xp) - fn(xm)) * w) / (2 * eps)
    return g


def check_grad(lamina_fn, np_fn, x, rtol=1e-6, atol=1e-7, seed=7):
    """lamina's vector-Jacobian product (via output_gradients) against finite differences."""
    x = np.asarray(x, dtype=np.float64)
    ref = np.asarray(np_fn(x), dtype=np.float64)
    w = np.random.default_rng(seed).standard_normal(ref.shape)
    expected = numeric_grad(np_fn, x, w)
    xt = ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(xt)
        y = lamina_fn(xt)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-10, atol=1e-12, err_msg="forward")
    g = tape.gradient(y, xt, output_gradients=ops.convert_to_tensor(w))
    assert g is not None, "no gradient"
    assert g.dtype == "float64" and g.shape == x.shape, (g.dtype, g.shape)
    scale = max(1.0, float(np.max(np.abs(expected)))) if expected.size else 1.0
    np.testing.assert_allclose(np.asarray(g), expected, rtol=rtol, atol=atol * scale, err_msg="gradient")
    return np.asarray(g)


def _call(name, kwargs):
    fn = getattr(ops, name)
    return lambda v: fn(v, **kwargs)


def _ref(name, kwargs):
    fn = REF[name]
    return lambda v: fn(np.asarray(v, dtype=np.float64), **kwargs)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,kinks", CASES, ids=CASE_IDS)
def test_values_against_numpy(name, kwargs, kinks, dtype):
    tol = {"float32": (2e-6, 2e-6), "float64": (1e-10, 1e-13)}[dtype]
    for i, shape in enumerate(shapes_for(name, kwargs)):
        x = sample(shape, dtype, seed=i)
        y = _call(name, kwargs)(ops.convert_to_tensor(x))
        assert isinstance(y, lamina.Tensor)
        assert y.dtype == dtype, (shape, y.dtype)
        ref = _ref(name, kwargs)(x.astype(np.float64))
        assert_close(np.asarray(y), ref, x, *tol, what=f"{name}{shape}")


def test_keras_docstring_examples():
    """The examples of Keras 3's keras.ops docstrings (float64 numpy inputs stay float64)."""
    a = np.array

    def close(got, exp, tol=1e-6):
        assert got.dtype == "float64"
        np.testing.assert_allclose(np.asarray(got), exp, rtol=tol, atol=tol)

    close(ops.relu6(a([-3.0, -2.0, 0.1, 0.2, 6.0, 8.0])), [0.0, 0.0, 0.1, 0.2, 6.0, 6.0])
    close(ops.sparse_sigmoid(a([-6.0, 1.0, 0.0, 1.0, 6.0])), [0.0, 1.0, 0.5, 1.0, 1.0])
    close(ops.softsign(a([-0.1, -10.0, 1.0, 0.0, 100.0])), [-0.09090909, -0.90909094, 0.5, 0.0, 0.990099])
    close(ops.soft_shrink(a([-1.0, 0.0, 1.0])), [-0.5, 0.0, 0.5])
    close(ops.sparse_plus(a([-1.0, 0.0, 1.0])), [0.0, 0.25, 1.0])
    close(ops.silu(a([-6.0, 1.0, 0.0, 1.0, 6.0])), [-0.0148357, 0.7310586, 0.0, 0.7310586, 5.9851646])
    close(ops.squareplus(a([-1.0, 0.0, 1.0])), [0.618034, 1.0, 1.618034])
    close(ops.log_sigmoid(a([-0.541391, 0.0, 0.50, 5.0])), [-1.0000418, -0.6931472, -0.474077, -0.00671535])
    close(ops.leaky_relu(a([-1.0, 0.0, 1.0])), [-0.2, 0.0, 1.0])
    close(ops.hard_silu(a([-3.0, -1.0, 0.0, 1.0, 3.0])), [-0.0, -0.3333333, 0.0, 0.6666667, 3.0])
    close(ops.elu(a([-1.0, 0.0, 1.0])), [-0.63212055, 0.0, 1.0])
    close(ops.celu(a([-1.0, 0.0, 1.0])), [-0.63212056, 0.0, 1.0])
    close(ops.glu(a([-1.0, 0.0, 1.0, 1.0])), [-0.73105858, 0.0])
    close(ops.tanh_shrink(a([-1.0, 0.0, 1.0])), [-0.23840584, 0.0, 0.23840584])
    close(ops.hard_tanh(a([-2.0, -1.0, 0.0, 1.0, 2.0])), [-1.0, -1.0, 0.0, 1.0, 1.0])
    close(ops.hard_shrink(a([-0.5, 0.0, 1.0])), [0.0, 0.0, 1.0])
    close(ops.threshold(a([-1.0, 0.0, 1.0, 2.0]), 1, 0), [0.0, 0.0, 0.0, 2.0])
    close(ops.sparsemax(a([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])
    # Closed forms: hard_sigmoid is relu6(x + 3) / 6 in Keras 3; gelu defaults to the tanh form.
    close(ops.hard_sigmoid(a([-4.0, -1.0, 0.0, 1.0, 4.0])), [0.0, 1 / 3, 0.5, 2 / 3, 1.0])
    close(ops.gelu(a([-1.0, 0.0, 1.0])), [-0.15880801, 0.0, 0.84119199])
    close(ops.gelu(a([-1.0, 0.0, 1.0]), approximate=False), [-0.15865525, 0.0, 0.84134475])
    close(ops.selu(a([-1.0, 0.0, 1.0])), [-SELU_SCALE * SELU_ALPHA * (1 - math.exp(-1)), 0.0, SELU_SCALE])


def test_no_overflow_in_untaken_branches():
    """Large inputs give finite values and exact gradients (no 0 * inf in the branch not taken)."""
    x = np.array([-1000.0, -100.0, -30.0, 30.0, 100.0, 1000.0])
    for name, exp_grad in [
        ("elu", np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
        ("selu", SELU_SCALE * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0)))),
        ("celu", np.where(x > 0, 1.0, np.exp(np.minimum(x, 0)))),
        ("log_sigmoid", np_sigmoid(-x)),
        ("silu", np_sigmoid(x) * (1 + x * (1 - np_sigmoid(x)))),
        ("softsign", 1.0 / (1.0 + np.abs(x)) ** 2),
    ]:
        xt = ops.convert_to_tensor(x)
        with lamina.GradientTape() as tape:
            tape.watch(xt)
            y = getattr(ops, name)(xt)
        assert np.all(np.isfinite(np.asarray(y))), name
        np.testing.assert_allclose(np.asarray(y), REF[name](x), rtol=1e-12, atol=1e-300, err_msg=name)
        g = np.asarray(tape.gradient(y, xt))
        assert np.all(np.isfinite(g)), (name, g)
        np.testing.assert_allclose(g, exp_grad, rtol=1e-12, atol=1e-15, err_msg=name)


# ---------------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,kwargs,kinks", CASES, ids=CASE_IDS)
def test_gradients_against_finite_differences(name, kwargs, kinks):
    for i, shape in enumerate(shapes_for(name, kwargs)[1:3]):
        if name == "sparsemax":
            x = sparsemax_input(shape, kwargs.get("axis", -1), seed=i)
        elif name == "relu6":
            x = sample_away_from(shape, kinks, seed=i, lo=-2.0, hi=8.0)
        else:
            x = sample_away_from(shape, kinks, seed=i)
        check_grad(_call(name, kwargs), _ref(name, kwargs), x)


def sparsemax_input(shape, axis, seed):
    """Inputs with no entry within 1e-3 of the threshold (so finite differences never move the
    support) and with supports of more than one element."""
    rng = np.random.default_rng(seed)
    for _ in range(100):
        x = rng.standard_normal(shape) * 0.6
        y = np_sparsemax(x, axis)
        # tau = x - y on the support, the same for every entry of a slice
        tau = np.max(np.where(y > 0, x - y, -np.inf), axis=axis, keepdims=True)
        if np.min(np.abs(x - tau)) > 1e-3 and np.max(np.sum(y > 0, axis=axis)) > 1:
            return x
    raise AssertionError("no suitable sparsemax input")


def test_sparsemax_gradient_is_the_projection_jacobian():
    # d sparsemax / dx = diag(s) - s s^T / |S| on the support S (s: support indicator).
    x = np.array([[0.0, 0.5, 1.0, -1.0], [2.0, 1.6, 1.2, -3.0]])
    y = np_sparsemax(x)
    xt = ops.convert_to_tensor(x)
    w = np.array([[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 2.0, 1.0]])
    with lamina.GradientTape() as tape:
        tape.watch(xt)
        out = ops.sparsemax(xt)
    g = np.asarray(tape.gradient(out, xt, output_gradients=ops.convert_to_tensor(w)))
    s = (y > 0).astype(np.float64)
    exp = s * (w - np.sum(w * s, axis=-1, keepdims=True) / np.sum(s, axis=-1, keepdims=True))
    np.testing.assert_allclose(g, exp, rtol=1e-12, atol=1e-12)


def test_half_precision_gradient_dtype():
    for dtype in ["float16", "bfloat16"]:
        x = ops.cast(ops.convert_to_tensor([-2.0, -0.3, 0.4, 2.5]), dtype)
        for name in ["silu", "gelu", "elu", "hard_silu", "sparsemax", "glu", "squareplus"]:
            with lamina.GradientTape() as tape:
                tape.watch(x)
                y = getattr(ops, name)(x)
            g = tape.gradient(y, x)
            assert g.dtype == dtype, (name, g.dtype)
            assert np.all(np.isfinite(np.asarray(ops.cast(g, "float32")))), name


# ---------------------------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,tol", [("float16", 4e-3), ("bfloat16", 3e-2)])
@pytest.mark.parametrize("name,kwargs,kinks", CASES, ids=CASE_IDS)
def test_half_precision_dtype_is_kept(name, kwargs, kinks, dtype, tol):
    shape = shapes_for(name, kwargs)[2 if len(shapes_for(name, kwargs)) > 2 else 1]
    x32 = sample(shape, "float32", seed=3, scale=2.0, edges=False)
    x32.reshape(-1)[:4] = [0.0, 1.0, -3.0, 4.0][: x32.size]
    xt = ops.cast(ops.convert_to_tensor(x32), dtype)
    y = _call(name, kwargs)(xt)
    assert y.dtype == dtype, (name, y.dtype)
    xr = np.asarray(ops.cast(xt, "float64"))  # the rounded input
    ref = _ref(name, kwargs)(xr)
    got = np.asarray(ops.cast(y, "float64"))
    if name == "sparsemax":  # a rounded cumulative sum can move the threshold by a few ulps
        tol *= 4
    assert_close(got, ref, xr, tol, tol, what=f"{name} {dtype}")


def test_integer_and_bool_inputs():
    xi = ops.convert_to_tensor(np.array([-7, -1, 0, 2, 9], dtype="int32"))
    # Exactly representable results keep the integer dtype (as clip/where do in Keras backends).
    assert ops.relu6(xi).dtype == "int32"
    np.testing.assert_array_equal(np.asarray(ops.relu6(xi)), [0, 0, 0, 2, 6])
    assert ops.hard_tanh(xi).dtype == "int32"
    np.testing.assert_array_equal(np.asarray(ops.hard_tanh(xi)), [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(np.asarray(ops.hard_shrink(xi, threshold=1)), [-7, 0, 0, 2, 9])
    # Everything else is computed in floatx.
    for name in ["silu", "gelu", "elu", "selu", "celu", "log_sigmoid", "softsign", "squareplus",
                 "hard_sigmoid", "hard_silu", "leaky_relu", "sparse_plus", "sparse_sigmoid",
                 "soft_shrink", "tanh_shrink", "sparsemax"]:
        y = getattr(ops, name)(xi)
        assert y.dtype == "float32", (name, y.dtype)
        np.testing.assert_allclose(np.asarray(y), REF[name](np.asarray(xi, np.float64)), rtol=1e-5, atol=1e-6)
    yb = ops.silu(ops.convert_to_tensor(np.array([True, False])))
    assert yb.dtype == "float32"
    np.testing.assert_allclose(np.asarray(yb), [1 / (1 + math.exp(-1)), 0.0], rtol=1e-6)


def test_python_lists_and_scalars():
    y = ops.silu([-1.0, 2.0])
    assert y.dtype == "float32" and y.shape == (2,)
    assert ops.elu(-1.0).shape == ()
    np.testing.assert_allclose(float(ops.elu(-1.0)), math.expm1(-1.0), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Op-specific behaviour
# ---------------------------------------------------------------------------------------------


def test_glu_requires_an_even_axis():
    with pytest.raises(ValueError, match="axis size must be divisible by 2"):
        ops.glu(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Received: x.shape=\(3, 4\) with axis=0"):
        ops.glu(np.zeros((3, 4)), axis=0)
    assert ops.glu(np.zeros((3, 4)), axis=1).shape == (3, 2)
    assert ops.glu(np.zeros((2, 3, 4)), axis=-3).shape == (1, 3, 4)


def test_sparsemax_projects_onto_the_simplex():
    # Fixed upstream in keras-team/keras#23469: supports larger than one element.
    np.testing.assert_allclose(np.asarray(ops.sparsemax(np.array([[0.0, 0.5, 1.0]]))), [[0.0, 0.25, 0.75]], atol=1e-12)
    np.testing.assert_allclose(
        np.asarray(ops.sparsemax(np.array([0.1, 0.2, 0.3, 0.4, 0.5]))), [0.0, 0.1, 0.2, 0.3, 0.4], atol=1e-12
    )
    np.testing.assert_allclose(np.asarray(ops.sparsemax(np.array([1.0, 1.0]))), [0.5, 0.5], atol=1e-12)
    x = sample((4, 5, 6), seed=9, scale=1.0, edges=False)
    for axis in [0, 1, 2, -1, -2]:
        y = np.asarray(ops.sparsemax(x, axis=axis))
        assert np.all(y >= 0)
        np.testing.assert_allclose(y.sum(axis=axis), 1.0, rtol=1e-12)
        np.testing.assert_allclose(y, np_sparsemax(x, axis), rtol=1e-12, atol=1e-12)
    # Shift invariance and a dominant entry.
    np.testing.assert_allclose(np.asarray(ops.sparsemax(x + 100.0)), np_sparsemax(x), atol=1e-9)
    np.testing.assert_allclose(np.asarray(ops.sparsemax(np.array([-50.0, 80.0, 3.0]))), [0.0, 1.0, 0.0])


def test_threshold_and_shrink_boundaries():
    x = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    # `threshold` keeps strictly greater values; shrinks zero |x| <= threshold.
    np.testing.assert_array_equal(np.asarray(ops.threshold(x, 0.5, 9.0)), [9.0, 9.0, 9.0, 9.0, 1.0])
    np.testing.assert_array_equal(np.asarray(ops.hard_shrink(x)), [-1.0, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(np.asarray(ops.soft_shrink(x)), [-0.5, 0.0, 0.0, 0.0, 0.5])
    np.testing.assert_array_equal(np.asarray(ops.sparse_plus(x)), [0.0, 0.0625, 0.25, 0.5625, 1.0])
    np.testing.assert_array_equal(np.asarray(ops.sparse_sigmoid(x)), [0.0, 0.25, 0.5, 0.75, 1.0])
    y = ops.threshold(ops.convert_to_tensor(x.astype("float16")), 0.0, -1.0)
    assert y.dtype == "float16"
    # Python-scalar thresholds are compared in x's dtype (as Keras backends do): float32(0.3) is
    # not greater than 0.3 read as float32.
    x32 = ops.convert_to_tensor(np.array([0.3, 0.31], dtype="float32"))
    np.testing.assert_array_equal(np.asarray(ops.threshold(x32, 0.3, 0.0)), np.array([0.0, 0.31], "float32"))


# ---------------------------------------------------------------------------------------------
# API surface
# ---------------------------------------------------------------------------------------------

KERAS_SIGNATURES = {
    "relu6": "(x)",
    "sparse_sigmoid": "(x)",
    "softsign": "(x)",
    "soft_shrink": "(x, threshold=0.5)",
    "sparse_plus": "(x)",
    "silu": "(x)",
    "swish": "(x)",
    "squareplus": "(x, b=4)",
    "log_sigmoid": "(x)",
    "leaky_relu": "(x, negative_slope=0.2)",
    "hard_sigmoid": "(x)",
    "hard_silu": "(x)",
    "hard_swish": "(x)",
    "elu": "(x, alpha=1.0)",
    "selu": "(x)",
    "gelu": "(x, approximate=True)",
    "celu": "(x, alpha=1.0)",
    "glu": "(x, axis=-1)",
    "tanh_shrink": "(x)",
    "hard_tanh": "(x)",
    "hard_shrink": "(x, threshold=0.5)",
    "threshold": "(x, threshold, default_value)",
    "sparsemax": "(x, axis=-1)",
}


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_exported_with_keras_signature(name):
    assert name in ops.__all__
    assert str(inspect.signature(getattr(ops, name))) == KERAS_SIGNATURES[name]
    assert getattr(ops, name).__doc__


def test_aliases_are_the_same_functions():
    assert ops.swish is ops.silu
    assert ops.hard_swish is ops.hard_silu


def test_gradients_at_the_kinks():
    """One-sided conventions at x = 0: elu/selu take the left derivative (alpha, as JAX), celu is
    C1 (derivative 1); relu-like ops follow `where`'s choice of branch."""
    x = ops.convert_to_tensor(np.zeros(1))
    for name, kwargs, exp in [
        ("elu", {"alpha": 0.5}, 0.5),
        ("selu", {}, SELU_SCALE * SELU_ALPHA),
        ("celu", {"alpha": 2.0}, 1.0),
        ("leaky_relu", {}, 1.0),  # x >= 0 takes the identity branch
    ]:
        with lamina.GradientTape() as tape:
            tape.watch(x)
            y = getattr(ops, name)(x, **kwargs)
        np.testing.assert_allclose(np.asarray(tape.gradient(y, x)), [exp], rtol=1e-12, err_msg=name)
