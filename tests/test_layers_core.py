"""Core layers: Dense, EinsumDense, Activation, Embedding, Masking, Lambda, Identity — the
run_layer_test harness, numpy references, finite-difference gradients, errors and configs."""

import json
import warnings

import numpy as np
import pytest
from _layer_gradcheck import check_layer_gradients as fd_check

import lamina
from lamina import layers
from lamina import ops
from lamina.saving import deserialize_keras_object
from lamina.saving import serialization_lib
from lamina.saving import serialize_keras_object
from lamina.testing import run_layer_test

RNG = np.random.default_rng(0)


def _np(x):
    return np.asarray(x, dtype="float64")


# ----------------------------------------------------------------------------------------------
# Dense
# ----------------------------------------------------------------------------------------------

def test_dense_basics():
    run_layer_test(layers.Dense, {"units": 3, "activation": "relu"}, input_shape=(2, 4),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=2,
                   expected_num_non_trainable_weights=0, supports_masking=True)
    run_layer_test(layers.Dense, {"units": 3, "use_bias": False}, input_shape=(2, 5, 4),
                   expected_output_shape=(2, 5, 3), expected_num_trainable_weights=1)
    run_layer_test(layers.Dense, {"units": 2, "kernel_regularizer": "l2", "bias_regularizer": "l1",
                                  "activity_regularizer": "l2", "kernel_constraint": "non_neg",
                                  "bias_constraint": "max_norm"},
                   input_shape=(2, 3, 4, 5), expected_output_shape=(2, 3, 4, 2),
                   expected_num_losses=3)


def test_dense_lora_harness():
    run_layer_test(layers.Dense, {"units": 3, "lora_rank": 2}, input_shape=(2, 4),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=3,
                   expected_num_non_trainable_weights=1)


def test_dense_numpy_reference_nd():
    layer = layers.Dense(3, activation="tanh")
    x = RNG.standard_normal((2, 5, 4)).astype("float32")
    y = layer(x)
    k, b = layer.get_weights()
    np.testing.assert_allclose(_np(y), np.tanh(x @ k + b), rtol=1e-5, atol=1e-6)
    assert layer.kernel.shape == (4, 3) and layer.bias.shape == (3,)
    assert [w.path for w in layer.weights] == [f"{layer.name}/kernel", f"{layer.name}/bias"]
    assert layer.input_spec.min_ndim == 2 and layer.input_spec.axes == {-1: 4}
    assert layer.compute_output_shape((None, 7, 4)) == (None, 7, 3)


def test_dense_gradients_fd():
    layer = layers.Dense(3, activation="sigmoid", dtype="float64")
    fd_check(layer, RNG.standard_normal((2, 3, 4)))


def test_dense_lora():
    layer = layers.Dense(3, dtype="float64")
    x = RNG.standard_normal((2, 4))
    y0 = _np(layer(x))
    layer.enable_lora(2)
    assert layer.lora_enabled and layer.lora_rank == 2 and layer.lora_alpha == 2
    # b starts at zero: the effective kernel equals the kernel.
    np.testing.assert_allclose(_np(layer(x)), y0, rtol=1e-12)
    assert [w.name for w in layer.trainable_weights] == ["bias", "lora_kernel_a", "lora_kernel_b"]
    assert [w.name for w in layer.non_trainable_weights] == ["kernel"]
    assert layer.lora_kernel_a.dtype == "float32" and layer.lora_kernel_a.shape == (4, 2)
    layer.lora_kernel_b.assign(RNG.standard_normal((2, 3)))
    a, b = _np(layer.lora_kernel_a), _np(layer.lora_kernel_b)
    k, bias = _np(layer._kernel), _np(layer.bias)
    # a @ b is computed from float32 LoRA weights (as in Keras): float32 rounding, absolute.
    np.testing.assert_allclose(_np(layer(x)), x @ (k + a @ b) + bias, rtol=1e-6, atol=1e-5)
    fd_check(layer, x, rtol=1e-4, atol=1e-5, eps=1e-2)  # linear in each weight: exact FD
    with pytest.raises(ValueError, match="lora is already enabled"):
        layer.enable_lora(2)
    cfg = layer.get_config()
    assert cfg["lora_rank"] == 2 and cfg["lora_alpha"] == 2
    with pytest.raises(ValueError, match="isn't yet built"):
        layers.Dense(2).enable_lora(1)
    built = layers.Dense(2, kernel_constraint="non_neg")
    built.build((None, 3))
    with pytest.raises(ValueError, match="incompatible with kernel constraints"):
        built.enable_lora(1)
    scaled = layers.Dense(3, lora_rank=2, lora_alpha=4.0)
    scaled.build((None, 4))
    assert scaled.lora_alpha == 4.0 and scaled.lora_enabled


def test_dense_config_keys():
    cfg = layers.Dense(3).get_config()
    assert set(cfg) == {"name", "trainable", "dtype", "units", "activation", "use_bias",
                        "kernel_initializer", "bias_initializer", "kernel_regularizer",
                        "bias_regularizer", "kernel_constraint", "bias_constraint",
                        "quantization_config"}
    assert cfg["activation"] == "linear" and cfg["use_bias"] is True
    assert cfg["kernel_initializer"]["class_name"] == "GlorotUniform"


@pytest.mark.parametrize("units", [0, -1, 2.5, "3", None])
def test_dense_invalid_units(units):
    with pytest.raises(ValueError) as e:
        layers.Dense(units)
    assert str(e.value) == (
        "Received an invalid value for `units`, expected a positive integer. "
        f"Received: units={units}"
    )


def test_dense_call_errors_name_the_layer():
    layer = layers.Dense(2, name="my_dense")
    layer(np.ones((2, 3), "float32"))
    with pytest.raises(ValueError, match="my_dense"):
        layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="my_dense.*min_ndim=2"):
        layers.Dense(2, name="my_dense")(np.ones((3,), "float32"))
    with pytest.raises(ValueError, match="Unknown activation|Could not interpret"):
        layers.Dense(2, activation="no_such_activation")


def test_dense_propagates_mask():
    x = ops.convert_to_tensor(np.ones((2, 3, 4), "float32"))
    mask = ops.convert_to_tensor(np.array([[True, False, True], [True, True, False]]))
    y = layers.Dense(2)(x, mask=mask)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), np.asarray(mask))


# ----------------------------------------------------------------------------------------------
# EinsumDense
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("eq,out_shape,bias_axes,in_shape,kernel,bias,expected", [
    ("ab,bc->ac", 4, None, (2, 3), (3, 4), None, (2, 4)),
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cd->abd", (None, 4), "d", (2, 5, 3), (3, 4), (4,), (2, 5, 4)),
    ("abc,cde->abde", (None, 4, 2), "e", (2, 5, 3), (3, 4, 2), (2,), (2, 5, 4, 2)),
    ("abc,cde->abde", (None, 4, 2), "de", (2, 5, 3), (3, 4, 2), (4, 2), (2, 5, 4, 2)),
    ("...b,bc->...c", 4, "c", (2, 5, 3), (3, 4), (4,), (2, 5, 4)),
    ("ab...,bc->ac...", 4, "c", (2, 3, 5), (3, 4), (4, 1), (2, 4, 5)),
])
def test_einsum_dense(eq, out_shape, bias_axes, in_shape, kernel, bias, expected):
    n_weights = 1 if bias is None else 2
    run_layer_test(layers.EinsumDense, {"equation": eq, "output_shape": out_shape,
                                        "bias_axes": bias_axes},
                   input_shape=in_shape, expected_output_shape=expected,
                   expected_num_trainable_weights=n_weights, rtol=1e-5)
    layer = layers.EinsumDense(eq, out_shape, bias_axes=bias_axes, activation="relu")
    x = RNG.standard_normal(in_shape).astype("float32")
    y = layer(x)
    assert layer.kernel.shape == kernel
    assert (layer.bias is None and bias is None) or layer.bias.shape == bias
    ref = np.einsum(eq, x, _np(layer.kernel))
    if bias is not None:
        ref = ref + _np(layer.bias)
    np.testing.assert_allclose(_np(y), np.maximum(ref, 0), rtol=1e-5, atol=1e-6)
    # As in Keras, sizes given as None in `output_shape` stay None in the computed shape.
    computed = layer.compute_output_shape(in_shape)
    assert len(computed) == len(expected)
    assert all(c is None or c == e for c, e in zip(computed, expected))


def test_einsum_dense_gradients_and_lora():
    layer = layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d", dtype="float64")
    fd_check(layer, RNG.standard_normal((2, 3, 4)))
    lora = layers.EinsumDense("abc,cde->abde", (None, 3, 2), lora_rank=2)
    lora.build((2, 5, 4))
    assert lora.lora_kernel_a.shape == (4, 3, 2) and lora.lora_kernel_b.shape == (2, 2)
    assert not lora._kernel.trainable and lora.get_config()["lora_rank"] == 2


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation 'a,b,c->d'"):
        layers.EinsumDense("a,b,c->d", 3).build((2, 3))
    with pytest.raises(ValueError, match="Bias dimension 'q' was requested"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes="q").build((2, 3))
    with pytest.raises(ValueError, match="Input shape and output shape do not match"):
        layers.EinsumDense("abc,cd->abd", (7, 3)).build((2, 5, 4))
    with pytest.raises(ValueError, match="Weight dimension 'z' did not have a match"):
        layers.EinsumDense("ab,bz->ab", (3,)).build((2, 3))
    layer = layers.EinsumDense("ab,bc->ac", 3, name="ed")
    layer(np.ones((2, 4), "float32"))
    with pytest.raises(ValueError, match="ed"):
        layer(np.ones((2, 4, 1), "float32"))
    cfg = layers.EinsumDense("ab,bc->ac", 3).get_config()
    assert cfg["output_shape"] == (3,) and cfg["equation"] == "ab,bc->ac"
    assert "activity_regularizer" in cfg and cfg["bias_axes"] is None


# ----------------------------------------------------------------------------------------------
# Activation
# ----------------------------------------------------------------------------------------------

def test_activation():
    run_layer_test(layers.Activation, {"activation": "relu"}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), supports_masking=True)
    x = RNG.standard_normal((2, 3)).astype("float32")
    np.testing.assert_allclose(_np(layers.Activation("tanh")(x)), np.tanh(x), rtol=1e-6)
    np.testing.assert_allclose(_np(layers.Activation(ops.sigmoid)(x)), 1 / (1 + np.exp(-x)),
                               rtol=1e-6)
    fd_check(layers.Activation("softplus", dtype="float64"), RNG.standard_normal((2, 3)))
    assert layers.Activation("relu").get_config()["activation"] == "relu"
    with pytest.raises(ValueError):
        layers.Activation("no_such_activation")


# ----------------------------------------------------------------------------------------------
# Embedding
# ----------------------------------------------------------------------------------------------

def test_embedding_harness():
    run_layer_test(layers.Embedding, {"input_dim": 4, "output_dim": 3}, input_shape=(2, 5),
                   input_dtype="int32", expected_output_shape=(2, 5, 3),
                   expected_output_dtype="float32", expected_num_trainable_weights=1,
                   supports_masking=False)
    run_layer_test(layers.Embedding, {"input_dim": 4, "output_dim": 3, "mask_zero": True},
                   input_shape=(2, 5), input_dtype="int64", expected_output_shape=(2, 5, 3),
                   expected_mask_shape=(2, 5), supports_masking=True)
    run_layer_test(layers.Embedding, {"input_dim": 4, "output_dim": 3, "lora_rank": 2,
                                      "embeddings_regularizer": "l2"},
                   input_shape=(2, 5), input_dtype="int32", expected_output_shape=(2, 5, 3),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=1)


def test_embedding_reference_mask_and_gradient():
    layer = layers.Embedding(5, 3, mask_zero=True)
    ids = np.array([[0, 1, 4], [2, 0, 3]])
    y = layer(ids)
    table = layer.get_weights()[0]
    np.testing.assert_allclose(_np(y), table[ids])
    np.testing.assert_array_equal(np.asarray(y._keras_mask), ids != 0)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(ops.convert_to_tensor(ids))), ids != 0)
    assert layer.compute_output_shape((None, 7)) == (None, 7, 3)
    # Float ids are cast to int32.
    np.testing.assert_allclose(_np(layer(ids.astype("float32"))), table[ids])
    # Gradient: scatter-add of the output gradient into the used rows.
    emb = layers.Embedding(5, 3, dtype="float64")
    fd_check(emb, ids, input_grad=False)
    # Under a mixed policy, the table stays float32 and the output is float16.
    mixed = layers.Embedding(5, 3, dtype="mixed_float16")
    out = mixed(ids)
    assert out.dtype == "float16" and mixed.embeddings.dtype == "float32"


def test_embedding_options():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        layer = layers.Embedding(4, 2, input_length=10)
    assert any("input_length" in str(m.message) for m in w)
    assert "input_length" not in layer.get_config()
    init = np.arange(8, dtype="float32").reshape(4, 2)
    layer = layers.Embedding(4, 2, weights=init)
    assert layer.built
    np.testing.assert_array_equal(layer.get_weights()[0], init)
    cfg = layers.Embedding(4, 2).get_config()
    assert cfg["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert {"input_dim", "output_dim", "embeddings_regularizer", "embeddings_constraint",
            "mask_zero", "activity_regularizer"} <= set(cfg)
    lora = layers.Embedding(4, 2)
    lora.build()
    lora.enable_lora(1)
    assert not lora._embeddings.trainable
    np.testing.assert_allclose(_np(lora.embeddings), _np(lora._embeddings))
    with pytest.raises(ValueError, match="incompatible with embedding constraints"):
        c = layers.Embedding(4, 2, embeddings_constraint="non_neg")
        c.build()
        c.enable_lora(1)


# ----------------------------------------------------------------------------------------------
# Masking
# ----------------------------------------------------------------------------------------------

def test_masking():
    run_layer_test(layers.Masking, {"mask_value": 0.0}, input_shape=(2, 3, 4),
                   expected_output_shape=(2, 3, 4), expected_mask_shape=(2, 3),
                   supports_masking=True)
    x = RNG.standard_normal((2, 3, 4)).astype("float32")
    x[0, 1] = 1.5
    x[1, 2] = 1.5
    x[1, 0, 1] = 1.5  # partly equal: not masked
    y = layers.Masking(mask_value=1.5)(x)
    keep = np.any(x != 1.5, axis=-1)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), keep)
    np.testing.assert_allclose(_np(y), x * keep[..., None])
    # The mask flows to a masking-aware layer downstream.
    z = layers.Dense(2)(y)
    np.testing.assert_array_equal(np.asarray(z._keras_mask), keep)
    fd_check(layers.Masking(mask_value=0.0, dtype="float64"), np.where(x > 0, x, 0.0).astype("float64"))
    assert layers.Masking(2.0).get_config()["mask_value"] == 2.0


# ----------------------------------------------------------------------------------------------
# Identity
# ----------------------------------------------------------------------------------------------

def test_identity():
    run_layer_test(layers.Identity, {}, input_shape=(2, 3), expected_output_shape=(2, 3),
                   supports_masking=True)
    x = ops.convert_to_tensor(np.ones((2, 3), "float32"))
    assert layers.Identity()(x) is x
    mask = ops.convert_to_tensor(np.array([[True, False, True], [False, True, True]]))
    y = layers.Identity()(ops.convert_to_tensor(np.ones((2, 3, 2), "float32")), mask=mask)
    np.testing.assert_array_equal(np.asarray(y._keras_mask), np.asarray(mask))
    fd_check(layers.Identity(dtype="float64"), RNG.standard_normal((2, 3)))


# ----------------------------------------------------------------------------------------------
# Lambda
# ----------------------------------------------------------------------------------------------

@lamina.saving.register_keras_serializable(package="test_core")
def _double(x):
    return x * 2.0


@lamina.saving.register_keras_serializable(package="test_core")
def _scale(x, factor=1.0):
    return x * factor


def test_lambda_harness_named_function():
    run_layer_test(layers.Lambda, {"function": _double}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), supports_masking=False)
    run_layer_test(layers.Lambda, {"function": _scale, "arguments": {"factor": 3.0},
                                   "output_shape": (3,)},
                   input_shape=(2, 3), expected_output_shape=(2, 3))
    x = RNG.standard_normal((2, 3))
    np.testing.assert_allclose(_np(layers.Lambda(_scale, arguments={"factor": 3.0})(x)), 3 * x,
                               rtol=1e-6)
    fd_check(layers.Lambda(lambda t: ops.sin(t) * t, dtype="float64"), x)


def test_lambda_output_shape_and_mask():
    layer = layers.Lambda(lambda x: ops.concatenate([x, x], axis=-1))
    assert layer.compute_output_shape((None, 3)) == (None, 6)
    assert layers.Lambda(_double, output_shape=(5,)).compute_output_shape((4, 3)) == (4, 5)
    assert layers.Lambda(_double, output_shape=lambda s: s[:1]).compute_output_shape((4, 3)) == (4,)
    with pytest.raises(NotImplementedError, match="specify the `output_shape`"):
        layers.Lambda(lambda x: x.no_such_attr).compute_output_shape((2, 3))
    masked = layers.Lambda(_double, mask=lambda inputs, mask: ops.greater(inputs[:, 0], 0))
    assert masked.supports_masking
    y = masked(np.array([[1.0], [-1.0]], "float32"))
    np.testing.assert_array_equal(np.asarray(y._keras_mask), [True, False])
    # A function naming `mask`/`training` receives them.
    seen = {}

    def fn(x, mask=None, training=None):
        seen.update(mask=mask, training=training)
        return x

    m = ops.convert_to_tensor(np.array([True, False]))
    with pytest.warns(UserWarning, match="does not support masking"):
        layers.Lambda(fn)(ops.ones((2, 3)), mask=m, training=True)
    assert seen["training"] is True and seen["mask"] is m


def test_lambda_config_records_what_keras_records():
    layer = layers.Lambda(lambda x, k=2: x * k, output_shape=(3,), arguments={"k": 3})
    cfg = layer.get_config()
    assert cfg["function"]["class_name"] == "__lambda__"
    assert set(cfg["function"]["config"]) == {"code", "defaults", "closure"}
    assert cfg["function"]["config"]["defaults"] == (2,)
    assert cfg["output_shape"] == (3,) and cfg["arguments"] == {"k": 3}
    assert "mask" not in cfg
    named = layers.Lambda(_double).get_config()
    assert named["function"]["class_name"] == "function"
    assert named["function"]["config"] == "test_core>_double"
    json.dumps(cfg)


def test_lambda_safe_mode(monkeypatch):
    layer = layers.Lambda(lambda x: x + 1.0)
    cfg = json.loads(json.dumps(layer.get_config()))
    with pytest.raises(ValueError, match="Requested the deserialization of a `Lambda` layer"):
        layers.Lambda.from_config(cfg)
    serialized = json.loads(json.dumps(serialize_keras_object(layer)))
    with pytest.raises((ValueError, TypeError), match="lambda"):
        deserialize_keras_object(serialized)
    revived = layers.Lambda.from_config(cfg, safe_mode=False)
    np.testing.assert_allclose(_np(revived(np.ones(2, "float32"))), [2.0, 2.0])
    revived = deserialize_keras_object(serialized, safe_mode=False)
    np.testing.assert_allclose(_np(revived(np.ones(2, "float32"))), [2.0, 2.0])
    monkeypatch.setattr(serialization_lib, "_unsafe_deserialization_enabled", False)
    lamina.config.enable_unsafe_deserialization()
    revived = layers.Lambda.from_config(cfg)
    np.testing.assert_allclose(_np(revived(np.ones(2, "float32"))), [2.0, 2.0])
    monkeypatch.setattr(serialization_lib, "_unsafe_deserialization_enabled", False)
    # Named functions load in safe mode.
    named = layers.Lambda.from_config(json.loads(json.dumps(layers.Lambda(_double).get_config())))
    assert named.function is _double
