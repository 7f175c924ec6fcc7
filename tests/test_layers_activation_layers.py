"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax."""

import warnings

import numpy as np
import pytest

from lamina import layers
from lamina import ops
from lamina.testing import run_layer_test

from _layer_gradcheck import check_layer_gradients

X = np.array([[-10.0, -5.0, -0.5, 0.0, 0.5, 5.0, 10.0]], dtype="float32")


def np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    out = np.where(x > threshold, x, negative_slope * (x - threshold))  # Keras: 0 at x == threshold
    if max_value is not None:
        out = np.minimum(out, max_value)
    return out


@pytest.mark.parametrize("kwargs", [{}, {"max_value": 6.0}, {"negative_slope": 0.2},
                                    {"threshold": 1.0}, {"max_value": 6.0, "negative_slope": 0.5, "threshold": 0.5}])
def test_relu(kwargs):
    run_layer_test(layers.ReLU, kwargs, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, supports_masking=True,
                   assert_built_after_instantiation=True)
    np.testing.assert_allclose(np.asarray(layers.ReLU(**kwargs)(X)), np_relu(X, **kwargs), rtol=1e-6)
    assert {k: layers.ReLU(**kwargs).get_config()[k] for k in kwargs} == kwargs


def test_relu_errors():
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative value. Received: max_value=-1"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope of a ReLU layer cannot be a negative value"):
        layers.ReLU(negative_slope=-0.1)
    with pytest.raises(ValueError, match="threshold of a ReLU layer cannot be a negative value"):
        layers.ReLU(threshold=None)


def test_leaky_relu():
    run_layer_test(layers.LeakyReLU, {"negative_slope": 0.5}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), supports_masking=True)
    layer = layers.LeakyReLU()
    assert layer.negative_slope == 0.3 and layer.get_config()["negative_slope"] == 0.3
    np.testing.assert_allclose(np.asarray(layer(X)), np.where(X > 0, X, 0.3 * X), rtol=1e-6)
    with pytest.warns(UserWarning, match="Argument `alpha` is deprecated"):
        legacy = layers.LeakyReLU(alpha=0.1)
    assert legacy.negative_slope == 0.1 and "alpha" not in legacy.get_config()
    with pytest.raises(ValueError, match="cannot be None or negative value. Expected a float. Received: negative_slope=-1"):
        layers.LeakyReLU(negative_slope=-1)


def test_elu():
    run_layer_test(layers.ELU, {"alpha": 0.5}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   supports_masking=True)
    np.testing.assert_allclose(np.asarray(layers.ELU(alpha=0.5)(X)),
                               np.where(X > 0, X, 0.5 * np.expm1(X)), rtol=1e-5, atol=1e-7)
    assert layers.ELU().get_config()["alpha"] == 1.0


def test_prelu():
    run_layer_test(layers.PReLU, {}, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=1, supports_masking=True)
    run_layer_test(layers.PReLU, {"shared_axes": [1], "alpha_initializer": "ones",
                                  "alpha_regularizer": "l2"},
                   input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=1, expected_num_losses=1)
    layer = layers.PReLU(shared_axes=1, alpha_initializer="ones")
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    out = layer(x)
    assert tuple(layer.alpha.shape) == (1, 4)
    alpha = np.linspace(0.1, 0.4, 4).reshape(1, 4).astype("float32")
    layer.alpha.assign(alpha)
    np.testing.assert_allclose(np.asarray(layer(x)), np.where(x > 0, x, alpha * x), rtol=1e-6)
    assert layer.get_config()["shared_axes"] == [1]
    assert layer.get_config()["alpha_initializer"]["class_name"] == "Ones"
    assert out.shape == (2, 3, 4)
    with pytest.raises(ValueError, match="incompatible with the layer"):
        layer(np.ones((2, 3, 5), "float32"))


def test_softmax():
    run_layer_test(layers.Softmax, {"axis": 1}, input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   supports_masking=True)
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype("float32")

    def ref(x, axis):
        e = np.exp(x - x.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    np.testing.assert_allclose(np.asarray(layers.Softmax()(x)), ref(x, -1), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layers.Softmax(axis=[1, 2])(x)), ref(x, (1, 2)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(layers.Softmax(axis=[1])(x)), ref(x, 1), rtol=1e-5)


def test_softmax_mask():
    x = np.random.default_rng(2).standard_normal((2, 4)).astype("float32")
    mask = np.array([[True, True, False, True], [False, True, True, False]])
    out = np.asarray(layers.Softmax()(x, mask=mask))
    e = np.exp(x - x.max(-1, keepdims=True)) * mask
    np.testing.assert_allclose(out, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    # The mask attached to the input is used too.
    t = ops.convert_to_tensor(x)
    t._keras_mask = ops.convert_to_tensor(mask)
    np.testing.assert_allclose(np.asarray(layers.Softmax()(t)), out, rtol=1e-6)
    # float16 uses a smaller large-negative number (-3e4) that stays finite.
    out16 = np.asarray(layers.Softmax(dtype="float16")(x.astype("float16"), mask=mask))
    assert np.all(np.isfinite(out16))


@pytest.mark.parametrize("layer_fn", [
    lambda: layers.ReLU(dtype="float64", max_value=1.5, negative_slope=0.2, threshold=0.3),
    lambda: layers.LeakyReLU(dtype="float64"),
    lambda: layers.ELU(alpha=0.7, dtype="float64"),
    lambda: layers.PReLU(alpha_initializer="ones", dtype="float64"),
    lambda: layers.Softmax(dtype="float64"),
    lambda: layers.Softmax(axis=[1, 2], dtype="float64"),
])
def test_gradients_float64(layer_fn):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 2, 3))
    x = np.where(np.abs(x - 0.3) < 0.05, x + 0.2, x)  # stay away from kinks
    x = np.where(np.abs(x) < 0.05, x + 0.2, x)
    x = np.where(np.abs(x - 1.5) < 0.05, x + 0.2, x)
    layer = layer_fn()
    if isinstance(layer, layers.PReLU):
        layer.build((2, 2, 3))
        layer.alpha.assign(rng.uniform(0.1, 0.5, (2, 3)))
    check_layer_gradients(layer, x)
