"""lamina.Variable (Keras 3 ``keras.Variable`` semantics): construction, names and paths,
properties, the assign family, use as a tensor everywhere, gradients, and the tutorials' custom
training loop with a ``Linear`` layer built from plain Variables."""

import re

import numpy as np
import pytest

import lamina
from lamina import ops


def arr(x):
    assert isinstance(x, lamina.Tensor), type(x)
    return np.asarray(x)


def is_plain_tensor(x):
    return isinstance(x, lamina.Tensor) and not isinstance(x, lamina.Variable)


# ---------------------------------------------------------------------------------------------
# Construction
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,shape",
    [
        (np.arange(6.0).reshape(2, 3), (2, 3)),
        ([[1.0, 2.0], [3.0, 4.0]], (2, 2)),
        (3.5, ()),
        (7, ()),
        (np.array([1, 2, 3], dtype="int32"), (3,)),
        (np.array([True, False]), (2,)),
    ],
    ids=["ndarray_f64", "list", "float", "int", "ndarray_int32", "ndarray_bool"],
)
def test_value_initializer_defaults_to_float32(value, shape):
    v = lamina.Variable(value)
    assert isinstance(v, lamina.Variable)
    assert v.shape == shape and isinstance(v.shape, tuple)
    assert v.ndim == len(shape)
    assert v.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(v), np.asarray(value, dtype="float32"))


def test_tensor_initializer():
    src = ops.convert_to_tensor(np.array([[1.5, -2.0]], dtype="float64"))
    v = lamina.Variable(src)
    assert v.shape == (1, 2) and v.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(v), [[1.5, -2.0]])
    v64 = lamina.Variable(src, dtype="float64")
    assert v64.dtype == "float64"


def test_callable_initializer_gets_shape_and_dtype():
    calls = []

    def init(shape, dtype=None):
        calls.append((tuple(shape), dtype))
        return np.arange(np.prod(shape), dtype="float64").reshape(shape)

    v = lamina.Variable(init, shape=(2, 3))
    assert calls == [((2, 3), "float32")]
    assert v.shape == (2, 3) and v.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(v), np.arange(6.0).reshape(2, 3))

    v64 = lamina.Variable(init, shape=[4], dtype="float64")
    assert calls[-1] == ((4,), "float64")
    assert v64.shape == (4,) and v64.dtype == "float64"

    ones = lamina.Variable(lambda shape, dtype: ops.ones(shape, dtype=dtype), shape=(3, 1))
    np.testing.assert_array_equal(np.asarray(ones), np.ones((3, 1)))

    rnd = lamina.Variable(lambda shape, dtype: lamina.random.normal(shape, dtype=dtype, seed=3), shape=(5,))
    assert rnd.shape == (5,) and rnd.dtype == "float32"
    assert np.std(np.asarray(rnd)) > 0


def test_callable_initializer_without_shape_raises():
    with pytest.raises(ValueError):
        lamina.Variable(lambda shape, dtype: ops.ones(shape, dtype=dtype))


@pytest.mark.parametrize("dtype", ["int32", "int64", "float64", "float16", "bfloat16", "float32"])
def test_explicit_dtypes(dtype):
    v = lamina.Variable(np.array([1.0, -2.0, 3.0]), dtype=dtype)
    assert v.dtype == dtype
    assert v.value.dtype == dtype
    np.testing.assert_array_equal(np.asarray(v).astype("float64"), [1.0, -2.0, 3.0])


# ---------------------------------------------------------------------------------------------
# Names, paths, name_scope, properties
# ---------------------------------------------------------------------------------------------


def test_auto_names_are_unique():
    a = lamina.Variable(1.0)
    b = lamina.Variable(2.0)
    for v in (a, b):
        assert re.fullmatch(r"variable(_\d+)?", v.name), v.name
        assert v.path == v.name
    assert a.name != b.name


def test_explicit_name_and_path():
    v = lamina.Variable(np.zeros((2,)), name="kernel")
    assert v.name == "kernel"
    assert v.path == "kernel"


def test_name_with_slash_raises():
    with pytest.raises(ValueError):
        lamina.Variable(1.0, name="a/b")


def test_name_scope_sets_paths():
    with lamina.name_scope("outer"):
        v = lamina.Variable(1.0, name="kernel")
        with lamina.name_scope("inner"):
            w = lamina.Variable(1.0, name="bias")
        u = lamina.Variable(1.0, name="gamma")
    after = lamina.Variable(1.0, name="beta")
    assert v.name == "kernel" and v.path == "outer/kernel"
    assert w.name == "bias" and w.path == "outer/inner/bias"
    assert u.path == "outer/gamma"
    assert after.path == "beta"


def test_name_scope_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with lamina.name_scope("broken"):
            raise KeyError("x")
    assert lamina.Variable(1.0, name="clean").path == "clean"


def test_default_properties():
    v = lamina.Variable(np.ones((2, 3)))
    assert v.trainable is True
    assert v.constraint is None
    assert v.regularizer is None
    assert v.aggregation == "none"
    assert v.synchronization == "auto"
    assert v.autocast is True
    assert v.ndim == 2
    assert isinstance(v.value, lamina.Tensor)
    assert not lamina.Variable(1.0, autocast=False).autocast
    assert lamina.Variable(1.0, trainable=False).trainable is False


@pytest.mark.parametrize("agg", ["none", "mean", "sum", "only_first_replica"])
def test_valid_aggregation(agg):
    assert lamina.Variable(1.0, aggregation=agg).aggregation == agg


@pytest.mark.parametrize("agg", ["average", "max", "", "MEANS"])
def test_invalid_aggregation_raises(agg):
    with pytest.raises(ValueError):
        lamina.Variable(1.0, aggregation=agg)


def test_trainable_setter_controls_auto_watch():
    v = lamina.Variable(np.array([1.0, 2.0]))
    v.trainable = False
    assert v.trainable is False
    with lamina.GradientTape() as tape:
        y = ops.sum(v * v)
    assert tape.gradient(y, v) is None
    v.trainable = True
    assert v.trainable is True
    with lamina.GradientTape() as tape:
        y = ops.sum(v * v)
    np.testing.assert_allclose(arr(tape.gradient(y, v)), [2.0, 4.0])


def test_repr():
    with lamina.name_scope("dense"):
        v = lamina.Variable(np.zeros((2, 3)), name="kernel")
    r = repr(v)
    assert r.startswith("<Variable"), r
    assert "dense/kernel" in r
    assert "(2, 3)" in r
    assert "float32" in r


# ---------------------------------------------------------------------------------------------
# assign / assign_add / assign_sub
# ---------------------------------------------------------------------------------------------


class Holder:
    def __init__(self, v):
        self.v = v


def test_assign_is_in_place_and_visible_to_every_holder():
    v = lamina.Variable(np.array([1.0, 2.0, 3.0]))
    holder = Holder(v)
    registry = {"w": v}
    out = v.assign(np.array([4.0, 5.0, 6.0]))
    assert out is v
    np.testing.assert_array_equal(np.asarray(holder.v), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(np.asarray(registry["w"]), [4.0, 5.0, 6.0])
    np.testing.assert_array_equal(arr(v * 1.0), [4.0, 5.0, 6.0])
    assert v.assign_add(np.array([1.0, 1.0, 1.0])) is v
    np.testing.assert_array_equal(np.asarray(holder.v), [5.0, 6.0, 7.0])
    assert v.assign_sub(np.array([0.5, 1.0, 1.5])) is v
    np.testing.assert_array_equal(np.asarray(registry["w"]), [4.5, 5.0, 5.5])
    assert v.shape == (3,) and v.dtype == "float32"


def test_assign_chaining():
    s = lamina.Variable(0.0)
    s.assign(1.0).assign_add(1.0)
    assert float(s) == 2.0
    s.assign_sub(0.5).assign_sub(0.25).assign_add(4.0)
    assert float(s) == 5.25


def test_assign_accepts_tensors_variables_and_lists():
    v = lamina.Variable(np.zeros((2, 2)))
    v.assign(ops.ones((2, 2)))
    np.testing.assert_array_equal(np.asarray(v), np.ones((2, 2)))
    other = lamina.Variable(np.full((2, 2), 3.0))
    v.assign(other)
    np.testing.assert_array_equal(np.asarray(v), np.full((2, 2), 3.0))
    other.assign(np.zeros((2, 2)))  # v holds a copy of the value, not a link to `other`
    np.testing.assert_array_equal(np.asarray(v), np.full((2, 2), 3.0))
    v.assign([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(np.asarray(v), [[1.0, 2.0], [3.0, 4.0]])
    v.assign_add(other + 1.0)
    np.testing.assert_array_equal(np.asarray(v), [[2.0, 3.0], [4.0, 5.0]])


def test_assign_add_broadcasts_a_scalar_delta():
    v = lamina.Variable(np.array([1.0, 2.0, 3.0]))
    v.assign_add(1.0)
    v.assign_sub(0.5)
    np.testing.assert_array_equal(np.asarray(v), [1.5, 2.5, 3.5])
    assert v.shape == (3,)


def test_assign_casts_to_the_variable_dtype():
    vi = lamina.Variable(np.array([1, 2]), dtype="int32")
    vi.assign(np.array([4.0, 5.0]))
    assert vi.dtype == "int32" and vi.value.dtype == "int32"
    np.testing.assert_array_equal(np.asarray(vi), np.array([4, 5], dtype="int32"))
    vi.assign_add(np.array([1, 1], dtype="int64"))
    assert vi.dtype == "int32"
    np.testing.assert_array_equal(np.asarray(vi), [5, 6])

    vf = lamina.Variable(np.zeros(3))
    vf.assign(np.array([0.1, 0.2, 0.3], dtype="float64"))
    assert vf.dtype == "float32" and np.asarray(vf).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(vf), np.array([0.1, 0.2, 0.3], dtype="float32"))

    vh = lamina.Variable(np.ones(2), dtype="float16")
    vh.assign_add(np.array([1.5, 2.5]))
    assert vh.dtype == "float16"
    np.testing.assert_array_equal(np.asarray(vh).astype("float32"), [2.5, 3.5])


def test_assign_wrong_shape_raises_with_name_and_shapes():
    v = lamina.Variable(np.zeros((2, 3)), name="kernel")
    for bad in (np.zeros((3, 2)), np.zeros((6,)), np.zeros((1, 2, 3))):
        with pytest.raises(ValueError) as info:
            v.assign(bad)
        msg = str(info.value)
        assert "kernel" in msg, msg
        assert "(2, 3)" in msg, msg
        assert str(bad.shape) in msg, msg
    with pytest.raises(ValueError):
        v.assign(0.0)
    np.testing.assert_array_equal(np.asarray(v), np.zeros((2, 3)))  # unchanged


def test_assign_wrong_shape_in_a_name_scope_mentions_the_path():
    with lamina.name_scope("block"):
        v = lamina.Variable(np.zeros((2,)), name="bias")
    with pytest.raises(ValueError, match="bias"):
        v.assign(np.zeros((3,)))


@pytest.mark.parametrize("method", ["assign_add", "assign_sub"])
def test_assign_add_sub_wrong_shape_raises(method):
    v = lamina.Variable(np.zeros((2, 3)), name="acc")
    with pytest.raises(ValueError):
        getattr(v, method)(np.ones((3, 2)))
    with pytest.raises(ValueError):  # broadcasts, but to a different shape than the variable's
        getattr(v, method)(np.ones((4, 2, 3)))
    np.testing.assert_array_equal(np.asarray(v), np.zeros((2, 3)))
    assert v.shape == (2, 3)


def test_reads_before_an_assign_keep_their_old_value():
    v = lamina.Variable(np.array([1.0, 2.0, 3.0]))
    val = v.value
    prod_ = v * 2.0
    first = v[0]
    conv = ops.convert_to_tensor(v)
    copy = np.array(v)
    v.assign(np.array([7.0, 8.0, 9.0]))
    v.assign_add(np.array([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(arr(val), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(arr(prod_), [2.0, 4.0, 6.0])
    assert float(first) == 1.0
    np.testing.assert_array_equal(arr(conv), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(copy, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(arr(v.value), [8.0, 9.0, 10.0])


def test_tape_uses_the_value_read_during_the_forward_pass():
    v = lamina.Variable(np.array([1.0, -2.0]))
    with lamina.GradientTape() as tape:
        y = ops.sum(v * v)
    v.assign(np.array([100.0, 100.0]))
    np.testing.assert_allclose(arr(tape.gradient(y, v)), [2.0, -4.0])


def test_compute_sum_layer_pattern():
    # The tutorials' ComputeSum: a non-trainable Variable updated with assign_add inside call().
    total = lamina.Variable(ops.zeros((2,)), trainable=False)
    x = ops.ones((2, 2))
    total.assign_add(ops.sum(x, axis=0))
    np.testing.assert_array_equal(np.asarray(total), [2.0, 2.0])
    total.assign_add(ops.sum(x, axis=0))
    np.testing.assert_array_equal(total.numpy(), [4.0, 4.0])
    assert total.trainable is False


# ---------------------------------------------------------------------------------------------
# A Variable works wherever a tensor does
# ---------------------------------------------------------------------------------------------

VN = np.array([1.0, 2.0, 4.0], dtype="float32")

OPERATOR_CASES = {
    "v+1": (lambda v: v + 1, lambda a: a + 1),
    "1+v": (lambda v: 1 + v, lambda a: 1 + a),
    "v-1": (lambda v: v - 1, lambda a: a - 1),
    "1-v": (lambda v: 1 - v, lambda a: 1 - a),
    "v*2": (lambda v: v * 2, lambda a: a * 2),
    "2*v": (lambda v: 2 * v, lambda a: 2 * a),
    "v/2": (lambda v: v / 2, lambda a: a / 2),
    "2/v": (lambda v: 2 / v, lambda a: 2 / a),
    "v//3": (lambda v: v // 3, lambda a: a // 3),
    "7%v": (lambda v: 7.0 % v, lambda a: 7.0 % a),
    "v%3": (lambda v: v % 3, lambda a: a % 3),
    "v**2": (lambda v: v**2, lambda a: a**2),
    "2**v": (lambda v: 2**v, lambda a: 2**a),
    "-v": (lambda v: -v, lambda a: -a),
    "abs(-v)": (lambda v: abs(-v), lambda a: np.abs(-a)),
    "v+v": (lambda v: v + v, lambda a: a + a),
    "v*tensor": (lambda v: v * ops.convert_to_tensor(VN), lambda a: a * VN),
    "tensor*v": (lambda v: ops.convert_to_tensor(VN) * v, lambda a: VN * a),
    "tensor-v": (lambda v: ops.convert_to_tensor(VN) - v, lambda a: VN - a),
    "v@v": (lambda v: v @ v, lambda a: a @ a),
    "tensor@v": (lambda v: ops.ones((2, 3)) @ v, lambda a: np.ones((2, 3), "float32") @ a),
    "v>1.5": (lambda v: v > 1.5, lambda a: a > 1.5),
    "v>=2": (lambda v: v >= 2, lambda a: a >= 2),
    "v<2": (lambda v: v < 2, lambda a: a < 2),
    "v<=2": (lambda v: v <= 2, lambda a: a <= 2),
    "v==2": (lambda v: v == 2, lambda a: a == 2),
    "v!=2": (lambda v: v != 2, lambda a: a != 2),
    "1.5<v": (lambda v: 1.5 < v, lambda a: 1.5 < a),
}


@pytest.mark.parametrize("case", sorted(OPERATOR_CASES))
def test_python_operators(case):
    fn, np_fn = OPERATOR_CASES[case]
    v = lamina.Variable(VN)
    got = fn(v)
    exp = np.asarray(np_fn(VN))
    assert is_plain_tensor(got), type(got)
    assert got.dtype == ("bool" if exp.dtype == np.bool_ else "float32"), got.dtype
    assert got.shape == exp.shape
    np.testing.assert_allclose(arr(got), exp, rtol=1e-6)


def test_matmul_operator_with_variable_on_the_left():
    w = lamina.Variable(np.arange(6.0).reshape(3, 2))
    x = ops.convert_to_tensor(np.ones((3,), "float32"))
    np.testing.assert_array_equal(arr(x @ w), [6.0, 9.0])
    m = lamina.Variable(np.eye(3))
    np.testing.assert_array_equal(arr(m @ w), np.arange(6.0).reshape(3, 2))


def test_numpy_interop():
    v = lamina.Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
    a = np.asarray(v)
    assert a.dtype == np.float32 and a.shape == (2, 3)
    np.testing.assert_array_equal(a, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(v.numpy(), a)
    assert isinstance(v.numpy(), np.ndarray)
    np.testing.assert_array_equal(v.__array__(), a)
    b = np.asarray(v, dtype=np.float64)
    assert b.dtype == np.float64
    np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(ops.convert_to_numpy(v), a)
    assert len(v) == 2
    assert is_plain_tensor(v[0])
    np.testing.assert_array_equal(arr(v[0]), [1.0, 2.0, 3.0])
    assert float(v[1, 2]) == 6.0
    s = lamina.Variable(2.5)
    assert float(s) == 2.5
    assert isinstance(float(s), float)


def test_variable_in_every_kind_of_op():
    base = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype="float32")
    v = lamina.Variable(base)
    m = np.arange(12, dtype="float32").reshape(3, 4)
    cases = [
        (ops.matmul(v, ops.convert_to_tensor(m)), base @ m),
        (ops.matmul(ops.convert_to_tensor(m[:2, :2].T.copy()), v), m[:2, :2].T @ base),
        (ops.add(v, v), base + base),
        (ops.multiply(v, 2.0), base * 2.0),
        (ops.exp(v), np.exp(base)),
        (ops.tanh(v), np.tanh(base)),
        (ops.maximum(v, 0.5), np.maximum(base, 0.5)),
        (ops.clip(v, -0.5, 1.0), np.clip(base, -0.5, 1.0)),
        (ops.where(v > 0, v, 0.0), np.where(base > 0, base, 0.0)),
        (ops.sum(v), np.sum(base)),
        (ops.mean(v, axis=0), np.mean(base, axis=0)),
        (ops.max(v, axis=1), np.max(base, axis=1)),
        (ops.var(v), np.var(base)),
        (ops.logsumexp(v, axis=1), np.log(np.sum(np.exp(base), axis=1))),
        (ops.softmax(v), np.exp(base) / np.sum(np.exp(base), axis=-1, keepdims=True)),
        (ops.reshape(v, (3, 2)), base.reshape(3, 2)),
        (ops.transpose(v), base.T),
        (ops.expand_dims(v, 0), base[None]),
        (ops.concatenate([v, ops.convert_to_tensor(base)], axis=0), np.concatenate([base, base])),
        (ops.stack([v, v], axis=1), np.stack([base, base], axis=1)),
        (ops.take(v, [0, 0], axis=0), base[[0, 0]]),
        (ops.take_along_axis(v, np.array([[2, 0], [1, 1]]), axis=1), np.take_along_axis(base, np.array([[2, 0], [1, 1]]), axis=1)),
        (ops.split(v, 3, axis=1)[2], base[:, 2:]),
        (ops.tile(v, (1, 2)), np.tile(base, (1, 2))),
        (ops.broadcast_to(v, (2, 2, 3)), np.broadcast_to(base, (2, 2, 3))),
        (ops.cast(v, "float64"), base.astype("float64")),
        (ops.convert_to_tensor(v), base),
        (v[0], base[0]),
        (v[:, 1], base[:, 1]),
        (v[[1, 1, 0]], base[[1, 1, 0]]),
        (v[v > 0], base[base > 0]),
        (v[..., None], base[..., None]),
        (v[::-1, ::2], base[::-1, ::2]),
    ]
    for i, (got, exp) in enumerate(cases):
        assert is_plain_tensor(got), (i, type(got))
        exp = np.asarray(exp)
        assert got.shape == exp.shape, (i, got.shape, exp.shape)
        np.testing.assert_allclose(arr(got).astype("float64"), exp.astype("float64"), rtol=1e-6, atol=1e-6, err_msg=str(i))
    assert ops.cast(v, "float64").dtype == "float64"
    assert ops.argmax(v, axis=1).dtype == "int32"
    np.testing.assert_array_equal(arr(ops.argmax(v, axis=1)), [2, 0])
    assert ops.shape(v) == (2, 3)
    assert ops.dtype(v) == "float32"
    assert ops.ndim(v) == 2
    assert ops.size(v) == 6


# ---------------------------------------------------------------------------------------------
# Gradients with respect to Variables
# ---------------------------------------------------------------------------------------------


def test_gradients_wrt_variables_in_list_and_dict():
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((4, 3)).astype("float32")
    w_np = rng.standard_normal((3, 2)).astype("float32")
    b_np = np.array([0.5, -0.25], dtype="float32")
    w = lamina.Variable(w_np, name="w")
    b = lamina.Variable(b_np, name="b")
    x = ops.convert_to_tensor(x_np)
    with lamina.GradientTape(persistent=True) as tape:
        out = ops.matmul(x, w) + b
        loss = ops.sum(out * out)
    r = 2 * (x_np.astype("float64") @ w_np + b_np)
    exp_w, exp_b = x_np.T.astype("float64") @ r, r.sum(axis=0)

    gl = tape.gradient(loss, [w, b])
    assert isinstance(gl, list) and len(gl) == 2
    assert gl[0].dtype == "float32" and gl[0].shape == (3, 2) and gl[1].shape == (2,)
    np.testing.assert_allclose(arr(gl[0]), exp_w, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(arr(gl[1]), exp_b, rtol=1e-5, atol=1e-5)

    gd = tape.gradient(loss, {"kernel": w, "bias": b})
    assert set(gd) == {"kernel", "bias"}
    np.testing.assert_array_equal(arr(gd["kernel"]), arr(gl[0]))
    np.testing.assert_array_equal(arr(gd["bias"]), arr(gl[1]))

    gn = tape.gradient(loss, {"layer": [w, b]})
    np.testing.assert_array_equal(arr(gn["layer"][1]), arr(gl[1]))
    wv = tape.watched_variables()
    assert len(wv) == 2 and wv[0] is w and wv[1] is b


def test_reads_through_value_and_convert_to_tensor_are_differentiable():
    v = lamina.Variable(np.array([1.0, 2.0, 3.0]))
    with lamina.GradientTape(persistent=True) as tape:
        y1 = ops.sum(v.value * 2.0)
        y2 = ops.sum(ops.convert_to_tensor(v) * 3.0)
    np.testing.assert_allclose(arr(tape.gradient(y1, v)), [2.0, 2.0, 2.0])
    np.testing.assert_allclose(arr(tape.gradient(y2, v)), [3.0, 3.0, 3.0])


def test_integer_variable_gets_no_gradient():
    vi = lamina.Variable(np.array([1, 2]), dtype="int32")
    vf = lamina.Variable(np.array([0.5, 1.5]))
    with lamina.GradientTape() as tape:
        y = ops.sum(ops.cast(vi, "float32") * vf)
    gi, gf = tape.gradient(y, [vi, vf])
    assert gi is None
    np.testing.assert_allclose(arr(gf), [1.0, 2.0])


def test_gradient_dtype_follows_the_variable():
    for dtype in ("float64", "float16", "bfloat16"):
        v = lamina.Variable(np.array([0.5, -1.0]), dtype=dtype)
        with lamina.GradientTape() as tape:
            y = ops.sum(v * v)
        g = tape.gradient(y, v)
        assert g.dtype == dtype, (dtype, g.dtype)
        np.testing.assert_allclose(np.asarray(g).astype("float64"), [1.0, -2.0], rtol=1e-2)


# ---------------------------------------------------------------------------------------------
# The tutorials' custom training loop: a Linear layer made of plain Variables
# ---------------------------------------------------------------------------------------------


class Linear:
    """The seeds' ``Linear`` layer (w and b as Variables, ``call`` = ``inputs @ w + b``)."""

    def __init__(self, units=32, input_dim=32, seed=1):
        self.w = lamina.Variable(
            initializer=lambda shape, dtype: lamina.random.normal(shape, stddev=0.05, dtype=dtype, seed=seed),
            shape=(input_dim, units),
            trainable=True,
            name="w",
        )
        self.b = lamina.Variable(initializer=np.zeros((units,), dtype="float32"), trainable=True, name="b")

    def __call__(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    @property
    def trainable_weights(self):
        return [self.w, self.b]


def fit(layer, x, y, lr, steps):
    """Plain gradient descent; returns the losses and the last tape's watched variables."""
    losses = []
    for _ in range(steps):
        with lamina.GradientTape() as tape:
            pred = layer(x)
            loss = ops.mean((pred - y) ** 2)
        watched = tape.watched_variables()
        grads = tape.gradient(loss, layer.trainable_weights)
        for v, g in zip(layer.trainable_weights, grads):
            v.assign_sub(lr * g)
        losses.append(float(loss))
    return losses, watched


def test_linear_layer_forward_like_the_tutorial():
    layer = Linear(4, 2)
    assert layer.w.shape == (2, 4) and layer.b.shape == (4,)
    assert layer.w.dtype == "float32"
    y = layer(ops.ones((2, 2)))
    assert is_plain_tensor(y)
    assert y.shape == (2, 4) and y.dtype == "float32"
    expected = np.ones((2, 2), "float32") @ np.asarray(layer.w) + np.asarray(layer.b)
    np.testing.assert_allclose(arr(y), expected, rtol=1e-6)
    np.testing.assert_array_equal(arr(y)[0], arr(y)[1])


def test_linear_layer_fits_y_equals_3x_plus_2():
    x_np = np.linspace(-1.0, 1.0, 200, dtype="float32").reshape(200, 1)
    y_np = 3.0 * x_np + 2.0
    layer = Linear(units=1, input_dim=1)
    losses, wv = fit(layer, ops.convert_to_tensor(x_np), ops.convert_to_tensor(y_np), lr=0.5, steps=300)
    assert losses[-1] < 1e-4, losses[-10:]
    assert losses[-1] < losses[0] * 1e-3
    assert all(np.isfinite(losses))
    np.testing.assert_allclose(np.asarray(layer.w), [[3.0]], atol=1e-2)
    np.testing.assert_allclose(np.asarray(layer.b), [2.0], atol=1e-2)
    assert layer.w.dtype == "float32" and layer.b.dtype == "float32"
    assert len(wv) == 2 and wv[0] is layer.w and wv[1] is layer.b


def test_linear_layer_fits_a_multi_output_map():
    rng = np.random.default_rng(2)
    x_np = rng.uniform(-1, 1, (200, 3)).astype("float32")
    true_w = np.array([[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]], dtype="float32")
    true_b = np.array([0.5, -1.0], dtype="float32")
    y_np = x_np @ true_w + true_b
    layer = Linear(units=2, input_dim=3, seed=7)
    losses, _ = fit(layer, ops.convert_to_tensor(x_np), ops.convert_to_tensor(y_np), lr=0.5, steps=300)
    assert losses[-1] < 1e-4, losses[-10:]
    np.testing.assert_allclose(np.asarray(layer.w), true_w, atol=1e-2)
    np.testing.assert_allclose(np.asarray(layer.b), true_b, atol=1e-2)
