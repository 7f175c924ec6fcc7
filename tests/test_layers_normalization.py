"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.testing import run_layer_test

from _layer_gradcheck import check_layer_gradients

RNG = np.random.default_rng(0)


# BatchNormalization --------------------------------------------------------------------------

def test_batch_norm_run_layer_test():
    run_layer_test(layers.BatchNormalization, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=2,
                   supports_masking=True)
    run_layer_test(layers.BatchNormalization, {"axis": 1, "center": False, "momentum": 0.9,
                                               "gamma_regularizer": "l2"},
                   input_shape=(2, 3, 4), call_kwargs={"training": True},
                   expected_output_shape=(2, 3, 4), expected_num_trainable_weights=1,
                   expected_num_non_trainable_weights=2, expected_num_losses=1)


def np_bn(x, mean, var, gamma, beta, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batch_norm_training_and_moving_stats():
    x = (RNG.standard_normal((16, 4)) * 3 + 5).astype("float32")
    layer = layers.BatchNormalization(momentum=0.8)
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out, np_bn(x, x.mean(0), x.var(0), 1, 0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.2 * x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.8 + 0.2 * x.var(0), rtol=1e-5)
    # Inference uses (and does not change) the moving statistics.
    mm, mv = layer.moving_mean.numpy().copy(), layer.moving_variance.numpy().copy()
    out = np.asarray(layer(x))
    np.testing.assert_allclose(out, np_bn(x, mm, mv, 1, 0, 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), mm)
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.non_trainable_weights] == ["moving_mean", "moving_variance"]


def test_batch_norm_converges_to_data_statistics():
    x = (RNG.standard_normal((64, 3)) * 2 - 1).astype("float32")
    layer = layers.BatchNormalization(momentum=0.5)
    for _ in range(30):
        layer(x, training=True)
    np.testing.assert_allclose(layer.moving_mean.numpy(), x.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_variance.numpy(), x.var(0), rtol=1e-4)


def test_batch_norm_frozen_runs_in_inference_mode():
    x = (RNG.standard_normal((8, 3)) + 2).astype("float32")
    layer = layers.BatchNormalization()
    layer.build(x.shape)
    layer.trainable = False
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean.numpy(), np.zeros(3))
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 4


def test_batch_norm_training_flag_from_outer_layer():
    class Block(lamina.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.bn = layers.BatchNormalization()

        def call(self, x, training=None):
            return self.bn(x)

    block = Block()
    x = (RNG.standard_normal((8, 3)) + 2).astype("float32")
    block(x)
    np.testing.assert_array_equal(block.bn.moving_mean.numpy(), np.zeros(3))
    block(x, training=True)
    assert np.all(block.bn.moving_mean.numpy() != 0)


def test_batch_norm_axis_and_gamma_beta():
    x = RNG.standard_normal((4, 3, 5)).astype("float32")
    layer = layers.BatchNormalization(axis=1, epsilon=1e-2)
    layer.build(x.shape)
    gamma, beta = np.array([1.0, 2.0, 3.0], "float32"), np.array([-1.0, 0.0, 1.0], "float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    out = np.asarray(layer(x, training=True))
    mean, var = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    want = np_bn(x, mean, var, gamma[None, :, None], beta[None, :, None], 1e-2)
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)


def test_batch_norm_mask():
    x = RNG.standard_normal((3, 5, 2)).astype("float32")
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 1, 1]], bool)
    layer = layers.BatchNormalization(momentum=0.0)
    out = layer(x, training=True, mask=mask)
    sel = x[mask]
    np.testing.assert_allclose(layer.moving_mean.numpy(), sel.mean(0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), sel.var(0), rtol=1e-4, atol=1e-6)
    assert out.shape == x.shape
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        layer(x, training=True, mask=np.ones((3, 5, 2), bool))


def test_batch_norm_config_and_errors():
    layer = layers.BatchNormalization(axis=2, momentum=0.9, beta_regularizer="l1")
    config = layer.get_config()
    assert config["axis"] == 2 and config["momentum"] == 0.9 and config["epsilon"] == 0.001
    assert config["beta_regularizer"]["class_name"] == "L1"
    assert config["moving_variance_initializer"]["class_name"] == "Ones"
    assert config["synchronized"] is False
    with pytest.raises(ValueError, match="synchronized=True"):
        layers.BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match="invalid `axis`"):
        layers.BatchNormalization(axis=3)(np.ones((2, 3), "float32"))
    layer = layers.BatchNormalization()
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="batch_normalization.*incompatible"):
        layer(np.ones((2, 4), "float32"))


def test_batch_norm_mixed_precision():
    layer = layers.BatchNormalization(dtype="mixed_float16")
    out = layer(RNG.standard_normal((4, 3)).astype("float32"), training=True)
    assert out.dtype == "float16" and layer.moving_mean.dtype == "float32"


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradients(training):
    layer = layers.BatchNormalization(axis=1, dtype="float64")
    x = RNG.standard_normal((4, 2, 3))
    layer.build(x.shape)
    layer.gamma.assign([0.5, 1.5])
    layer.beta.assign([0.1, -0.2])
    layer.moving_variance.assign([0.7, 1.3])
    # momentum=1 keeps the moving statistics fixed across the finite-difference calls.
    layer.momentum = 1.0
    check_layer_gradients(layer, x, call_kwargs={"training": training}, rtol=1e-5, atol=1e-6)


# LayerNormalization --------------------------------------------------------------------------

def np_ln(x, axes, eps, gamma=1.0, beta=0.0):
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_layer_norm_run_layer_test():
    run_layer_test(layers.LayerNormalization, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   expected_num_trainable_weights=2, supports_masking=True)
    run_layer_test(layers.LayerNormalization, {"axis": [1, 2], "center": False, "epsilon": 1e-5},
                   input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=1)
    run_layer_test(layers.LayerNormalization, {"rms_scaling": True}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=1)


def test_layer_norm_values():
    x = (RNG.standard_normal((3, 4, 5)) * 2 + 1).astype("float32")
    np.testing.assert_allclose(np.asarray(layers.LayerNormalization()(x)), np_ln(x, -1, 1e-3),
                               rtol=1e-4, atol=1e-5)
    layer = layers.LayerNormalization(axis=[1, 2])
    layer.build(x.shape)
    assert tuple(layer.gamma.shape) == (4, 5)
    gamma = RNG.standard_normal((4, 5)).astype("float32")
    beta = RNG.standard_normal((4, 5)).astype("float32")
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    np.testing.assert_allclose(np.asarray(layer(x)), np_ln(x, (1, 2), 1e-3, gamma, beta),
                               rtol=1e-4, atol=1e-5)
    layer = layers.LayerNormalization(axis=1)
    np.testing.assert_allclose(np.asarray(layer(x)), np_ln(x, 1, 1e-3), rtol=1e-4, atol=1e-5)
    # rms_scaling (deprecated in Keras 3.15, which warns): x / sqrt(var(x) + eps) * gamma --
    # Keras scales by the variance, not the root mean square, and lamina computes the same.
    with pytest.warns(UserWarning, match="rms_scaling=True.*deprecated"):
        rms = layers.LayerNormalization(rms_scaling=True)
    out = np.asarray(rms(x))
    np.testing.assert_allclose(out, x / np.sqrt(x.var(-1, keepdims=True) + 1e-3),
                               rtol=1e-4, atol=1e-5)


def test_layer_norm_mixed_precision_and_config():
    layer = layers.LayerNormalization(dtype="mixed_float16")
    out = layer(RNG.standard_normal((2, 8)).astype("float32"))
    assert out.dtype == "float16" and layer.gamma.dtype == "float32"
    config = layers.LayerNormalization(axis=(1, 2), rms_scaling=True).get_config()
    assert config["axis"] == [1, 2] and config["rms_scaling"] is True and config["epsilon"] == 1e-3
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints"):
        layers.LayerNormalization(axis="last")
    with pytest.raises(ValueError, match="Axis 3 is out of bounds for input shape"):
        layers.LayerNormalization(axis=3)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="out of bounds"):
        layers.LayerNormalization(axis=3).compute_output_shape((2, 3))


@pytest.mark.parametrize("kwargs", [{}, {"axis": [1, 2]}, {"axis": 1}, {"rms_scaling": True}])
def test_layer_norm_gradients(kwargs):
    layer = layers.LayerNormalization(dtype="float64", **kwargs)
    x = RNG.standard_normal((2, 3, 4))
    layer.build(x.shape)
    for w in layer.trainable_weights:
        w.assign(RNG.standard_normal(w.shape))
    check_layer_gradients(layer, x)


# GroupNormalization --------------------------------------------------------------------------

def np_gn(x, groups, eps):
    n, c = x.shape[0], x.shape[-1]
    g = x.reshape(n, -1, groups, c // groups)
    mean = g.mean((1, 3), keepdims=True)
    var = g.var((1, 3), keepdims=True)
    return ((g - mean) / np.sqrt(var + eps)).reshape(x.shape)


def test_group_norm():
    run_layer_test(layers.GroupNormalization, {"groups": 2}, input_shape=(2, 3, 4),
                   expected_output_shape=(2, 3, 4), expected_num_trainable_weights=2,
                   supports_masking=True)
    run_layer_test(layers.GroupNormalization, {"groups": -1, "axis": 1, "center": False},
                   input_shape=(2, 4, 3), expected_output_shape=(2, 4, 3),
                   expected_num_trainable_weights=1)
    x = RNG.standard_normal((3, 5, 6)).astype("float32")
    np.testing.assert_allclose(np.asarray(layers.GroupNormalization(groups=3)(x)), np_gn(x, 3, 1e-3),
                               rtol=1e-4, atol=1e-5)
    # Channels-first: the same computation on moved axes.
    xt = np.moveaxis(x, -1, 1)
    out = np.asarray(layers.GroupNormalization(groups=3, axis=1)(xt))
    np.testing.assert_allclose(np.moveaxis(out, 1, -1), np_gn(x, 3, 1e-3), rtol=1e-4, atol=1e-5)
    assert layers.GroupNormalization(groups=3).get_config()["groups"] == 3
    with pytest.raises(ValueError, match=r"Number of groups \(4\) must be a multiple of the number of channels \(6\)"):
        layers.GroupNormalization(groups=4)(x)
    with pytest.raises(ValueError, match=r"Number of groups \(32\) cannot be more than the number of channels \(6\)"):
        layers.GroupNormalization()(x)


def test_group_norm_gradients():
    layer = layers.GroupNormalization(groups=2, dtype="float64")
    x = RNG.standard_normal((2, 3, 4))
    layer.build(x.shape)
    layer.gamma.assign(RNG.standard_normal(4))
    layer.beta.assign(RNG.standard_normal(4))
    check_layer_gradients(layer, x)


# UnitNormalization ---------------------------------------------------------------------------

def test_unit_norm():
    run_layer_test(layers.UnitNormalization, {"axis": -1}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), supports_masking=True,
                   assert_built_after_instantiation=True)
    x = RNG.standard_normal((3, 4, 5)).astype("float32")
    out = np.asarray(layers.UnitNormalization()(x))
    np.testing.assert_allclose(out, x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    out = np.asarray(layers.UnitNormalization(axis=(1, 2))(x))
    np.testing.assert_allclose(np.square(out).sum((1, 2)), 1.0, rtol=1e-5)
    assert layers.UnitNormalization(axis=(1, 2)).get_config()["axis"] == [1, 2]
    np.testing.assert_array_equal(np.asarray(layers.UnitNormalization()(np.zeros((2, 3), "float32"))), 0)
    with pytest.raises(TypeError, match="Invalid value for `axis` argument"):
        layers.UnitNormalization(axis=None)


def test_unit_norm_gradients():
    check_layer_gradients(layers.UnitNormalization(axis=(1, 2), dtype="float64"),
                          RNG.standard_normal((2, 2, 3)))
