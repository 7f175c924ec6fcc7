"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout, ActivityRegularization."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.testing import run_layer_test

from _layer_gradcheck import check_layer_gradients

ONES = np.ones((200, 100), "float32")


def test_dropout_run_layer_test():
    run_layer_test(layers.Dropout, {"rate": 0.5, "seed": 1}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=0,
                   expected_num_seed_generators=1, supports_masking=True,
                   assert_built_after_instantiation=True)
    run_layer_test(layers.Dropout, {"rate": 0.5, "seed": 1}, input_shape=(2, 3, 4),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3, 4))
    run_layer_test(layers.Dropout, {"rate": 0.0}, input_shape=(2, 3),
                   expected_num_seed_generators=0)


def test_dropout_statistics_and_scaling():
    rate = 0.3
    out = np.asarray(layers.Dropout(rate, seed=7)(ONES, training=True))
    kept = out != 0
    assert abs(kept.mean() - (1 - rate)) < 0.02
    np.testing.assert_allclose(out[kept], 1 / (1 - rate), rtol=1e-6)


def test_dropout_inference_is_identity():
    layer = layers.Dropout(0.5, seed=1)
    x = np.random.default_rng(0).standard_normal((4, 5)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_dropout_seed_reproducible():
    a = np.asarray(layers.Dropout(0.5, seed=3)(ONES, training=True))
    b = np.asarray(layers.Dropout(0.5, seed=3)(ONES, training=True))
    np.testing.assert_array_equal(a, b)
    layer = layers.Dropout(0.5, seed=3)
    first = np.asarray(layer(ONES, training=True))
    second = np.asarray(layer(ONES, training=True))  # the seed generator advances
    assert not np.array_equal(first, second)


def test_dropout_training_from_outer_call():
    class Outer(lamina.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dropout = layers.Dropout(0.5, seed=1)

        def call(self, x, training=None):
            return self.dropout(x)

    outer = Outer()
    assert np.any(np.asarray(outer(ONES, training=True)) == 0)
    np.testing.assert_array_equal(np.asarray(outer(ONES)), ONES)


def test_dropout_noise_shape():
    out = np.asarray(layers.Dropout(0.5, noise_shape=(None, 1), seed=2)(ONES, training=True))
    # One draw per row, shared across the columns.
    assert np.all((out == 0).all(axis=1) | (out == 2).all(axis=1))
    assert layers.Dropout(0.5, noise_shape=[None, 1]).get_config()["noise_shape"] == [None, 1]


def test_dropout_rate_one_and_errors():
    np.testing.assert_array_equal(np.asarray(layers.Dropout(1.0)(ONES, training=True)), 0 * ONES)
    msg = ("Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
           "Received: rate=1.5")
    for cls in (layers.Dropout, layers.GaussianDropout, layers.AlphaDropout):
        with pytest.raises(ValueError, match=msg.replace("`", ".").replace("(", r"\(")):
            cls(rate=1.5)
    with pytest.raises(ValueError, match="Received: rate=-0.1"):
        layers.SpatialDropout1D(-0.1)


def test_dropout_gradient_matches_mask():
    layer = layers.Dropout(0.4, seed=11, dtype="float64")
    x = ops.convert_to_tensor(np.random.default_rng(0).standard_normal((6, 7)))
    with lamina.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
    # Same seed, same mask: a fresh layer gives the mask the tape saw.
    mask = np.asarray(layers.Dropout(0.4, seed=11, dtype="float64")(np.ones((6, 7)), training=True))
    g = np.asarray(tape.gradient(y, x))
    np.testing.assert_allclose(g, mask, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(y), np.asarray(x) * mask, rtol=1e-12)


# Spatial dropout -----------------------------------------------------------------------------

def test_spatial_dropout():
    run_layer_test(layers.SpatialDropout1D, {"rate": 0.5, "seed": 1}, input_shape=(2, 3, 4),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3, 4),
                   supports_masking=True)
    run_layer_test(layers.SpatialDropout2D, {"rate": 0.5, "data_format": "channels_first"},
                   input_shape=(2, 3, 4, 5), call_kwargs={"training": True},
                   expected_output_shape=(2, 3, 4, 5))
    run_layer_test(layers.SpatialDropout3D, {"rate": 0.5}, input_shape=(2, 3, 4, 5, 6),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3, 4, 5, 6))
    x = np.ones((50, 6, 8), "float32")
    out = np.asarray(layers.SpatialDropout1D(0.5, seed=3)(x, training=True))
    assert np.all((out == 0).all(axis=1) | (out == 2).all(axis=1))  # whole channels
    x = np.ones((20, 3, 4, 5), "float32")
    out = np.asarray(layers.SpatialDropout2D(0.5, data_format="channels_first", seed=3)(x, training=True))
    assert np.all((out == 0).all(axis=(2, 3)) | (out == 2).all(axis=(2, 3)))
    out = np.asarray(layers.SpatialDropout2D(0.5, seed=3)(x, training=True))
    assert np.all((out == 0).all(axis=(1, 2)) | (out == 2).all(axis=(1, 2)))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.SpatialDropout1D(0.5)(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="data_format"):
        layers.SpatialDropout2D(0.5, data_format="channels_middle")
    assert layers.SpatialDropout2D(0.5).get_config()["data_format"] == "channels_last"


# Gaussian noise / dropout, alpha dropout ----------------------------------------------------

def test_gaussian_noise():
    run_layer_test(layers.GaussianNoise, {"stddev": 0.5, "seed": 1}, input_shape=(2, 3),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3), supports_masking=True)
    x = np.zeros((300, 100), "float32")
    out = np.asarray(layers.GaussianNoise(0.5, seed=1)(x, training=True))
    assert abs(out.mean()) < 0.01 and abs(out.std() - 0.5) < 0.01
    np.testing.assert_array_equal(np.asarray(layers.GaussianNoise(0.5)(x)), x)
    a = np.asarray(layers.GaussianNoise(0.5, seed=4)(x, training=True))
    b = np.asarray(layers.GaussianNoise(0.5, seed=4)(x, training=True))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Invalid value received for argument `stddev`"):
        layers.GaussianNoise(2.0)


def test_gaussian_dropout():
    run_layer_test(layers.GaussianDropout, {"rate": 0.2, "seed": 1}, input_shape=(2, 3),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3), supports_masking=True)
    out = np.asarray(layers.GaussianDropout(0.2, seed=1)(np.ones((300, 100), "float32"), training=True))
    assert abs(out.mean() - 1) < 0.01 and abs(out.std() - np.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(np.asarray(layers.GaussianDropout(0.2)(ONES)), ONES)


def test_alpha_dropout():
    run_layer_test(layers.AlphaDropout, {"rate": 0.2, "seed": 1}, input_shape=(2, 3),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3), supports_masking=True)
    x = np.random.default_rng(0).standard_normal((400, 100)).astype("float32")
    out = np.asarray(layers.AlphaDropout(0.2, seed=1)(x, training=True))
    # Mean and variance are preserved (for zero-mean, unit-variance inputs).
    assert abs(out.mean()) < 0.03 and abs(out.std() - 1) < 0.03
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * 0.2
    dropped = np.isclose(out, a * alpha_p + b, atol=1e-6)
    assert abs(dropped.mean() - 0.2) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(layers.AlphaDropout(0.2)(x)), x)


# Activity regularization ---------------------------------------------------------------------

def test_activity_regularization():
    run_layer_test(layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_losses=1, supports_masking=True)
    layer = layers.ActivityRegularization(l1=0.1, l2=0.2)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype("float32")
    out = layer(x)
    np.testing.assert_array_equal(np.asarray(out), x)
    want = (0.1 * np.abs(x).sum() + 0.2 * np.square(x).sum()) / 4
    np.testing.assert_allclose(float(layer.losses[0]), want, rtol=1e-5)
    config = layer.get_config()
    assert config["l1"] == 0.1 and config["l2"] == 0.2 and "activity_regularizer" not in config


def test_identity_gradients_at_inference():
    x = np.random.default_rng(1).standard_normal((2, 3))
    for layer in (layers.Dropout(0.5, dtype="float64"), layers.GaussianNoise(0.3, dtype="float64"),
                  layers.ActivityRegularization(l1=0.1, dtype="float64")):
        check_layer_gradients(layer, x)
