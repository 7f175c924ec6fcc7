"""The fused engine kernels behind Dense, LayerNormalization, BatchNormalization and the
optimizers: values against numpy, gradients against finite differences (float64), higher
derivatives through nested tapes, and the errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

import lamina
from lamina import _lamina
from lamina import ops


def _fd_grad(f, arrays, i, eps=1e-6):
    """Central finite differences of the scalar f(*arrays) with respect to arrays[i]."""
    x = arrays[i]
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        plus = [a.copy() for a in arrays]
        minus = [a.copy() for a in arrays]
        plus[i][idx] += eps
        minus[i][idx] -= eps
        g[idx] = (f(*plus) - f(*minus)) / (2 * eps)
    return g


def _tape_grads(fn, arrays, weights):
    vs = [lamina.Variable(a, dtype=a.dtype.name) for a in arrays]
    with lamina.GradientTape() as tape:
        y = fn(*vs)
        loss = ops.sum(y * weights)
    return [np.asarray(g) for g in tape.gradient(loss, vs)]


RNG = np.random.default_rng(7)


@pytest.mark.parametrize("activation", ["linear", "relu"])
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("use_bias", [True, False])
def test_dense_matches_numpy_and_finite_differences(activation, x_shape, use_bias):
    x = RNG.standard_normal(x_shape)
    w = RNG.standard_normal((4, 3))
    b = RNG.standard_normal(3)

    def ref(x, w, b=None):
        y = x @ w + (b if b is not None else 0)
        return np.maximum(y, 0) if activation == "relu" else y

    arrays = [x, w, b] if use_bias else [x, w]
    y = _lamina._dense(*arrays, activation=activation)
    np.testing.assert_allclose(np.asarray(y), ref(*arrays), rtol=1e-12, atol=1e-12)
    assert y.dtype == "float64" and tuple(y.shape) == x_shape[:-1] + (3,)

    weights = RNG.standard_normal(x_shape[:-1] + (3,))
    grads = _tape_grads(lambda *a: _lamina._dense(*a, activation=activation), arrays, weights)
    for i, g in enumerate(grads):
        expected = _fd_grad(lambda *a: float(np.sum(ref(*a) * weights)), arrays, i)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


def test_dense_float32_matches_composed_ops_and_layer_uses_it():
    x = RNG.standard_normal((64, 96)).astype("float32")
    layer = lamina.layers.Dense(40, activation="relu")
    y = layer(x)
    expected = np.maximum(x @ np.asarray(layer.kernel) + np.asarray(layer.bias), 0)
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-5)
    # Other activations run after the fused linear kernel.
    tanh_layer = lamina.layers.Dense(5, activation="tanh")
    out = np.asarray(tanh_layer(x))
    np.testing.assert_allclose(
        out, np.tanh(x @ np.asarray(tanh_layer.kernel) + np.asarray(tanh_layer.bias)),
        rtol=1e-5, atol=1e-5)


def test_dense_mixed_dtypes_promote_like_matmul_plus_add():
    x = np.ones((2, 3), "float32")
    w = np.ones((3, 2), "float64")
    y = _lamina._dense(x, w, None, "linear")
    assert y.dtype == "float64"
    np.testing.assert_array_equal(np.asarray(y), np.full((2, 2), 3.0))
    yi = _lamina._dense(np.ones((2, 3), "int32"), np.ones((3, 2), "int32"), None, "relu")
    assert yi.dtype == "int32"


def test_dense_second_derivative_through_nested_tapes():
    # f(w) = sum(relu(x @ w + b)**2): d2f/dw2 along a direction v, against finite differences
    # of the first derivative.
    x = RNG.standard_normal((6, 4))
    w0 = RNG.standard_normal((4, 3))
    b = RNG.standard_normal(3)
    v = RNG.standard_normal((4, 3))

    def grad_at(w_val):
        w = lamina.Variable(w_val, dtype="float64")
        with lamina.GradientTape() as outer:
            with lamina.GradientTape() as inner:
                y = _lamina._dense(x, w, b, "relu")
                f = ops.sum(y * y)
            g = inner.gradient(f, w)
            gv = ops.sum(g * v)
        return np.asarray(g), np.asarray(outer.gradient(gv, w))

    g0, hv = grad_at(w0)
    eps = 1e-6
    numeric = (grad_at(w0 + eps * v)[0] - grad_at(w0 - eps * v)[0]) / (2 * eps)
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-6)


def test_dense_errors_name_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"dense.*\(2, 3\).*\(4, 5\)"):
        _lamina._dense(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"bias of shape \(5,\).*\(4,\)"):
        _lamina._dense(np.ones((2, 3)), np.ones((3, 5)), np.ones(4))
    with pytest.raises(ValueError, match="'linear' or 'relu'.*gelu"):
        _lamina._dense(np.ones((2, 3)), np.ones((3, 5)), None, "gelu")


def _ln_ref(x, gamma=None, beta=None, eps=1e-3):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if gamma is None else gamma) + (0 if beta is None else beta)


def _bn_ref(x, gamma=None, beta=None, eps=1e-3):
    x2 = x.reshape(-1, x.shape[-1])
    mean = x2.mean(0)
    var = ((x2 - mean) ** 2).mean(0)
    y = (x - mean) / np.sqrt(var + eps)
    return y * (1 if gamma is None else gamma) + (0 if beta is None else beta), mean, var


@pytest.mark.parametrize("shape", [(4, 6), (2, 3, 5), (1, 7)])
@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_values_and_gradients(shape, affine):
    x = RNG.standard_normal(shape) * 3 + 1
    n = shape[-1]
    arrays = [x, RNG.standard_normal(n), RNG.standard_normal(n)] if affine else [x]
    y = _lamina._layer_norm(*arrays, epsilon=1e-3)
    np.testing.assert_allclose(np.asarray(y), _ln_ref(*arrays), rtol=1e-10, atol=1e-12)
    weights = RNG.standard_normal(shape)
    grads = _tape_grads(lambda *a: _lamina._layer_norm(*a, epsilon=1e-3), arrays, weights)
    for i, g in enumerate(grads):
        expected = _fd_grad(lambda *a: float(np.sum(_ln_ref(*a) * weights)), arrays, i)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shape", [(8, 5), (2, 3, 4), (300, 130)])
def test_batch_norm_values_statistics_and_gradients(shape):
    x = RNG.standard_normal(shape) * 2 - 0.5
    n = shape[-1]
    gamma, beta = RNG.standard_normal(n), RNG.standard_normal(n)
    y, mean, var = _lamina._batch_norm(x, gamma, beta, epsilon=1e-3)
    ry, rmean, rvar = _bn_ref(x, gamma, beta)
    np.testing.assert_allclose(np.asarray(y), ry, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(mean), rmean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(var), rvar, rtol=1e-12, atol=1e-12)
    if x.size > 1000:
        return  # finite differences on the small shapes only
    weights = RNG.standard_normal(shape)
    arrays = [x, gamma, beta]
    grads = _tape_grads(lambda *a: _lamina._batch_norm(*a, epsilon=1e-3)[0], arrays, weights)
    for i, g in enumerate(grads):
        expected = _fd_grad(lambda *a: float(np.sum(_bn_ref(*a)[0] * weights)), arrays, i)
        np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["layer", "batch"])
def test_norm_second_derivatives_use_the_differentiable_rule(kind):
    x0 = RNG.standard_normal((5, 4))
    gamma = RNG.standard_normal(4)
    v = RNG.standard_normal((5, 4))
    weights = RNG.standard_normal((5, 4))

    def fwd(x):
        if kind == "layer":
            return _lamina._layer_norm(x, gamma, None, epsilon=1e-3)
        return _lamina._batch_norm(x, gamma, None, epsilon=1e-3)[0]

    def grad_at(x_val):
        x = lamina.Variable(x_val, dtype="float64")
        with lamina.GradientTape() as outer:
            with lamina.GradientTape() as inner:
                y = fwd(x)
                f = ops.sum(ops.square(y) * weights)
            g = inner.gradient(f, x)
            gv = ops.sum(g * v)
        return np.asarray(g), np.asarray(outer.gradient(gv, x))

    _, hv = grad_at(x0)
    eps = 1e-6
    numeric = (grad_at(x0 + eps * v)[0] - grad_at(x0 - eps * v)[0]) / (2 * eps)
    np.testing.assert_allclose(hv, numeric, rtol=1e-4, atol=1e-6)


def test_norm_kernels_reject_bad_inputs():
    with pytest.raises(ValueError, match=r"layer_norm.*\(3,\).*\(4,\)"):
        _lamina._layer_norm(np.ones((2, 3)), np.ones(4))
    with pytest.raises(TypeError, match="batch_norm.*float32 or float64.*int32"):
        _lamina._batch_norm(np.ones((2, 3), "int32"))


def test_normalization_layers_use_the_kernels_and_match_numpy():
    x = RNG.standard_normal((16, 12)).astype("float32")
    ln = lamina.layers.LayerNormalization()
    np.testing.assert_allclose(np.asarray(ln(x)), _ln_ref(x.astype("float64")), rtol=1e-4, atol=1e-5)
    bn = lamina.layers.BatchNormalization(momentum=0.5)
    y = bn(x, training=True)
    ry, rmean, rvar = _bn_ref(x.astype("float64"))
    np.testing.assert_allclose(np.asarray(y), ry, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(bn.moving_mean), 0.5 * rmean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(bn.moving_variance), 0.5 + 0.5 * rvar, rtol=1e-5)


def test_optimizer_update_rejects_bad_groups():
    v = lamina.Variable(np.ones(3, "float32"))
    m = lamina.Variable(np.zeros(3, "float32"))
    with pytest.raises(ValueError, match="appears more than once"):
        _lamina._optimizer_update("sgd", [v], [np.ones(3, "float32")], [[v]], [0.1, 0.9, 0.0])
    with pytest.raises(ValueError, match="1 variables, 2 gradients"):
        _lamina._optimizer_update("sgd", [v], [np.ones(3), np.ones(3)], [[]], [0.1, 0.0, 0.0])
    with pytest.raises(ValueError, match="unknown optimizer kind 'adamw'"):
        _lamina._optimizer_update("adamw", [v], [np.ones(3)], [[m]], [0.1])
    with pytest.raises(ValueError, match="gradient of shape \\(4,\\)"):
        _lamina._optimizer_update("sgd", [v], [np.ones(4)], [[]], [0.1, 0.0, 0.0])
    iv = lamina.Variable(np.ones(3, "int32"), dtype="int32")
    with pytest.raises(TypeError, match="float32 or float64"):
        _lamina._optimizer_update("sgd", [iv], [np.ones(3)], [[]], [0.1, 0.0, 0.0])
    # Nothing was changed by the failed calls.
    np.testing.assert_array_equal(np.asarray(v), np.ones(3))


def test_optimizer_update_keeps_earlier_reads_and_casts_gradients():
    v = lamina.Variable(np.array([1.0, 2.0], "float32"))
    before = v.value
    _lamina._optimizer_update("sgd", [v], [np.array([1.0, 1.0], "float64")], [[]],
                              [0.5, 0.0, 0.0], [0.1])
    # weight decay first (x - x*0.1*0.5), then x - 0.5*g
    np.testing.assert_allclose(np.asarray(v), [1 - 0.05 - 0.5, 2 - 0.1 - 0.5], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(before), [1.0, 2.0])


def test_python_scalars_convert_exactly_to_float64():
    assert float(ops.convert_to_numpy(ops.convert_to_tensor(0.3, dtype="float64"))) == 0.3
    assert np.asarray(ops.full((2,), 0.3, dtype="float64"))[0] == 0.3
    assert np.asarray(ops.convert_to_tensor([0.1, 0.3], dtype="float64"))[1] == 0.3
    assert np.asarray(lamina.Variable(0.3, dtype="float64")) == 0.3
    # Without a dtype, Python floats still become float32 as in Keras.
    assert ops.convert_to_tensor(0.3).dtype == "float32"


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "float16", "bfloat16"])
def test_assign_add_works_for_every_dtype(dtype):
    v = lamina.Variable(np.array([1, 2], dtype="float32"), dtype=dtype)
    v.assign_add(ops.ones((2,), dtype=dtype))
    np.testing.assert_array_equal(np.asarray(ops.cast(v, "float32")), [2, 3])


def test_fused_kernels_dropout_and_training_are_bitwise_identical_at_1_and_2_threads():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((256, 300)).astype("float32")
    y = rng.integers(0, 10, 256)

    def run():
        lamina.utils.set_random_seed(5)
        model = lamina.Sequential([
            lamina.Input((300,)),
            lamina.layers.Dense(200, activation="relu"),
            lamina.layers.LayerNormalization(),
            lamina.layers.Dropout(0.3, seed=11),
            lamina.layers.Dense(200),
            lamina.layers.BatchNormalization(),
            lamina.layers.Dense(10),
        ])
        model.compile(optimizer="adam",
                      loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=128, epochs=2, shuffle=False, verbose=0)
        mask = np.asarray(lamina.layers.Dropout(0.5, seed=3)(np.ones((300, 300), "float32"),
                                                             training=True))
        return [w.copy() for w in model.get_weights()] + [mask]

    old = _lamina.get_num_threads()
    try:
        _lamina.set_num_threads(1)
        one = run()
        _lamina.set_num_threads(2)
        two = run()
    finally:
        _lamina.set_num_threads(old)
    for a, b in zip(one, two):
        assert a.tobytes() == b.tobytes()


_FIT_IN_FRESH_PROCESS = """
import sys
import numpy as np
import lamina
rng = np.random.default_rng(3)
x = rng.standard_normal((512, 300)).astype("float32")
y = rng.integers(0, 10, 512)
lamina.utils.set_random_seed(5)
model = lamina.Sequential([
    lamina.Input((300,)),
    lamina.layers.Dense(520, activation="relu"),
    lamina.layers.Dense(200, activation="relu"),
    lamina.layers.Dense(10),
])
model.compile(optimizer="adam",
              loss=lamina.losses.SparseCategoricalCrossentropy(from_logits=True))
model.fit(x, y, batch_size=256, epochs=2, shuffle=True, verbose=0)
out = [w.tobytes() for w in model.get_weights()] + [np.asarray(model(x)).tobytes()]
out += [np.asarray(model(x[i:i + 1])).tobytes() for i in range(3)]  # batch 1: split row products
sys.stdout.buffer.write(b"".join(out))
"""


def test_fit_in_a_fresh_process_is_bitwise_identical_at_1_and_2_threads():
    # In a fresh process the main thread is one of the pool's threads (it takes a share of each
    # parallel kernel); products here are large enough to be cut into pieces, by rows and by
    # columns, and the Dense bias and relu run per piece.
    outs = []
    for n in ("1", "2"):
        env = dict(os.environ, LAMINA_NUM_THREADS=n)
        outs.append(subprocess.run([sys.executable, "-c", _FIT_IN_FRESH_PROCESS], env=env,
                                   capture_output=True, check=True).stdout)
    sizes = 300 * 520 + 520 + 520 * 200 + 200 + 200 * 10 + 10 + 512 * 10 + 3 * 10
    assert len(outs[0]) == 4 * sizes
    assert outs[0] == outs[1]


def test_dense_relu_keeps_nan_like_the_relu_op():
    x = np.array([[np.nan, 1.0], [-1.0, 2.0]], "float32")
    w = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    b = np.array([0.0, np.nan], "float32")
    fused = np.asarray(_lamina._dense(x, w, b, "relu"))
    np.testing.assert_array_equal(fused, np.asarray(ops.relu(ops.matmul(x, w) + b)))
    # NaN in x spreads along its row (nan * 0 is nan); the NaN bias fills its column.
    assert np.isnan(fused).tolist() == [[True, True], [False, True]]
    assert fused[1, 0] == 0.0


@pytest.mark.parametrize("k,n", [(1, 5), (63, 17), (128, 256), (300, 257), (784, 512), (512, 10), (2048, 1024)])
def test_row_vector_products_match_numpy(k, n):
    # One-row float32 products (a batch-1 Dense layer) are summed in pieces of k on the team of
    # threads; the pieces are fixed by k, so the bits do not depend on the thread count.
    rng = np.random.default_rng(k * 1000 + n)
    x = rng.standard_normal((1, k)).astype("float32")
    w = rng.standard_normal((k, n)).astype("float32")
    b = rng.standard_normal((n,)).astype("float32")
    want = x.astype("float64") @ w.astype("float64")
    got = np.asarray(ops.matmul(x, w))
    assert got.dtype == np.float32 and got.shape == (1, n)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))
    vec = np.asarray(ops.matmul(x[0], w))  # 1-D @ 2-D
    assert vec.shape == (n,)
    np.testing.assert_array_equal(vec, got[0])
    dense = lamina.layers.Dense(n, activation="relu")
    dense.build((1, k))
    dense.kernel.assign(w)
    dense.bias.assign(b)
    np.testing.assert_allclose(np.asarray(dense(x)), np.maximum(want + b, 0.0), rtol=1e-4,
                               atol=1e-4 * np.sqrt(k))
    # A strided row (every other element) and a column slice of a wider matrix give the same sums.
    wide = np.concatenate([w, rng.standard_normal((k, 3)).astype("float32")], axis=1)
    sliced = ops.matmul(ops.convert_to_tensor(np.repeat(x, 2, axis=1))[:, ::2],
                        ops.convert_to_tensor(wide)[:, :n])
    np.testing.assert_array_equal(np.asarray(sliced), got)
