"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot and
their functional forms."""

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.testing import run_layer_test

from _layer_gradcheck import check_layer_gradients

RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 4)).astype("float32")
B = RNG.standard_normal((2, 3, 4)).astype("float32")
C = RNG.standard_normal((2, 3, 4)).astype("float32")

ELEMWISE = [
    (layers.Add, layers.add, lambda xs: xs[0] + xs[1] + xs[2]),
    (layers.Multiply, layers.multiply, lambda xs: xs[0] * xs[1] * xs[2]),
    (layers.Average, layers.average, lambda xs: (xs[0] + xs[1] + xs[2]) / 3),
    (layers.Maximum, layers.maximum, lambda xs: np.maximum(np.maximum(xs[0], xs[1]), xs[2])),
    (layers.Minimum, layers.minimum, lambda xs: np.minimum(np.minimum(xs[0], xs[1]), xs[2])),
]


@pytest.mark.parametrize("cls,fn,ref", ELEMWISE + [(layers.Subtract, layers.subtract, None)])
def test_run_layer_test(cls, fn, ref):
    run_layer_test(cls, {}, input_shape=[(2, 3, 4), (2, 3, 4)], expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   supports_masking=True)


@pytest.mark.parametrize("cls,fn,ref", ELEMWISE)
def test_elementwise_values(cls, fn, ref):
    want = ref([A, B, C])
    np.testing.assert_allclose(np.asarray(cls()([A, B, C])), want, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(np.asarray(fn([A, B, C])), want, rtol=1e-6, atol=1e-6)


def test_subtract_values_and_errors():
    np.testing.assert_allclose(np.asarray(layers.subtract([A, B])), A - B)
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([A, B, C])


def test_broadcasting_and_rank_expansion():
    # Sizes of 1 broadcast; a lower-rank input is expanded at axis 1, as in Keras.
    x = RNG.standard_normal((2, 1, 4)).astype("float32")
    y = RNG.standard_normal((2, 4)).astype("float32")
    out = layers.Add()([A, x, y])
    np.testing.assert_allclose(np.asarray(out), A + x + y[:, None, :], rtol=1e-6)
    assert layers.Add().compute_output_shape([(None, 3, 4), (None, 1, 4)]) == (None, 3, 4)
    assert layers.Add().compute_output_shape([(2, 3, 4), (None, 3, 4)]) == (2, 3, 4)


def test_incompatible_shapes_name_layer_and_shapes():
    layer = layers.Add(name="my_add")
    with pytest.raises(ValueError, match=r"my_add.*Inputs have incompatible shapes. Received shapes \(3, 4\) and \(3, 5\)"):
        layer([A, np.ones((2, 3, 5), "float32")])
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Maximum()([A, np.ones((3, 3, 4), "float32")])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(A)


def test_merge_masks_or():
    x, y = ops.convert_to_tensor(A), ops.convert_to_tensor(B)
    mx = np.array([[True, True, False], [True, False, False]])
    my = np.array([[True, False, False], [False, False, True]])
    x._keras_mask = ops.convert_to_tensor(mx)
    y._keras_mask = ops.convert_to_tensor(my)
    for cls in (layers.Add, layers.Subtract, layers.Average, layers.Multiply, layers.Maximum, layers.Minimum):
        out = cls()([x, y])
        np.testing.assert_array_equal(np.asarray(out._keras_mask), mx | my)
    # Only one input masked: no output mask.
    z = ops.convert_to_tensor(C)
    assert getattr(layers.Add()([x, z]), "_keras_mask", None) is None
    # Maximum ignores masked-out entries; Multiply treats them as 1 and zeroes fully-masked ones.
    out = np.asarray(layers.Maximum()([x, y]))
    m1, m2 = mx[..., None], my[..., None]
    # (where both are masked out, Keras' algorithm keeps the first input)
    want = np.where(m1 & m2, np.maximum(A, B), np.where(m1, A, np.where(m2, B, A)))
    np.testing.assert_allclose(out, want, rtol=1e-6)
    out = np.asarray(layers.Multiply()([x, y]))
    want = np.where(m1, A, 1) * np.where(m2, B, 1) * (m1 | m2)
    np.testing.assert_allclose(out, want, rtol=1e-6)


def test_compute_mask_validation():
    with pytest.raises(ValueError, match="`mask` should be a list"):
        layers.Add().compute_mask([A, B], ops.convert_to_tensor(np.ones((2, 3), bool)))
    with pytest.raises(ValueError, match="same length"):
        layers.Add().compute_mask([A, B], [None])
    assert layers.Add().compute_mask([A, B], None) is None


@pytest.mark.parametrize("cls", [layers.Add, layers.Subtract, layers.Multiply, layers.Average,
                                 layers.Maximum, layers.Minimum])
def test_gradients_float64(cls):
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))]
    check_layer_gradients(cls(dtype="float64"), xs)


# Concatenate ---------------------------------------------------------------------------------

def test_concatenate_run_layer_test():
    run_layer_test(layers.Concatenate, {"axis": 1}, input_shape=[(2, 3, 4), (2, 5, 4)],
                   expected_output_shape=(2, 8, 4), expected_num_trainable_weights=0,
                   supports_masking=True)
    run_layer_test(layers.Concatenate, {}, input_shape=[(2, 3, 4), (2, 3, 1)],
                   expected_output_shape=(2, 3, 5))


def test_concatenate_values_config_and_shape():
    x = RNG.standard_normal((2, 2, 5)).astype("float32")
    y = RNG.standard_normal((2, 1, 5)).astype("float32")
    np.testing.assert_array_equal(np.asarray(layers.concatenate([x, y], axis=1)),
                                  np.concatenate([x, y], 1))
    layer = layers.Concatenate(axis=1)
    assert layer.get_config()["axis"] == 1
    assert layer.compute_output_shape([(None, 2, 5), (None, 1, 5)]) == (None, 3, 5)
    assert layer.compute_output_shape([(None, None, 5), (None, 1, 5)]) == (None, None, 5)


def test_concatenate_errors():
    with pytest.raises(ValueError, match="matching shapes except for the concatenation axis"):
        layers.Concatenate(axis=1)([A, np.ones((2, 3, 5), "float32")])
    with pytest.raises(ValueError, match="should be called on a list"):
        layers.Concatenate()(A)


def test_concatenate_masks():
    x, y = ops.convert_to_tensor(A), ops.convert_to_tensor(B)
    mx = np.array([[True, False, True], [False, False, True]])
    x._keras_mask = ops.convert_to_tensor(mx)
    out = layers.Concatenate(axis=1)([x, y])
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.concatenate([mx, np.ones((2, 3), bool)], 1))
    out = layers.Concatenate(axis=-1)([x, y])  # unmasked inputs count as all True
    np.testing.assert_array_equal(np.asarray(out._keras_mask), np.ones((2, 3), bool))


def test_concatenate_gradients():
    rng = np.random.default_rng(2)
    check_layer_gradients(layers.Concatenate(axis=1, dtype="float64"),
                          [rng.standard_normal((2, 2, 3)), rng.standard_normal((2, 1, 3))])


# Dot -----------------------------------------------------------------------------------------

def test_dot_run_layer_test():
    run_layer_test(layers.Dot, {"axes": -1}, input_shape=[(2, 4), (2, 4)],
                   expected_output_shape=(2, 1), supports_masking=True)
    run_layer_test(layers.Dot, {"axes": [1, 2], "normalize": True}, input_shape=[(2, 3, 5), (2, 4, 3)],
                   expected_output_shape=(2, 5, 4))


def test_dot_values():
    x = RNG.standard_normal((2, 3, 5)).astype("float32")
    y = RNG.standard_normal((2, 4, 3)).astype("float32")
    out = layers.Dot(axes=(1, 2))([x, y])
    np.testing.assert_allclose(np.asarray(out), np.einsum("bij,bki->bjk", x, y), rtol=1e-5, atol=1e-6)
    u = RNG.standard_normal((3, 4)).astype("float32")
    v = RNG.standard_normal((3, 4)).astype("float32")
    out = layers.dot([u, v], axes=1, normalize=True)
    cos = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
    np.testing.assert_allclose(np.asarray(out), cos[:, None], rtol=1e-5)
    assert layers.Dot(axes=1).compute_output_shape([(None, 4), (None, 4)]) == (None, 1)
    assert layers.Dot(axes=(1, 2)).compute_output_shape([(None, 3, 5), (None, 4, 3)]) == (None, 5, 4)
    assert getattr(out, "_keras_mask", None) is None


def test_dot_errors():
    with pytest.raises(TypeError, match="Invalid type for argument `axes`"):
        layers.Dot(axes="x")
    with pytest.raises(ValueError, match="it should contain two elements"):
        layers.Dot(axes=(1, 2, 3))
    with pytest.raises(ValueError, match="list elements should be integers"):
        layers.Dot(axes=(1, 2.0))
    with pytest.raises(ValueError, match=r"Incompatible input shapes: axis values 3 \(at axis 1\) != 4"):
        layers.Dot(axes=1)([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        layers.Dot(axes=1)([np.ones((2, 3))] * 3)


def test_dot_gradients():
    rng = np.random.default_rng(3)
    check_layer_gradients(layers.Dot(axes=(1, 2), dtype="float64"),
                          [rng.standard_normal((2, 3, 2)), rng.standard_normal((2, 2, 3))])
    check_layer_gradients(layers.Dot(axes=1, normalize=True, dtype="float64"),
                          [rng.standard_normal((2, 3)), rng.standard_normal((2, 3))])
