"""lamina.regularizers and lamina.constraints: values against numpy, gradients, get/serialize."""

import json

import numpy as np
import pytest

import lamina
from lamina import constraints
from lamina import ops
from lamina import regularizers
from lamina import saving

EPS = 1e-7


def np_(x):
    assert isinstance(x, lamina.Tensor)
    return np.asarray(x)


def rand(shape, seed=0, dtype="float32"):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


# ----------------------------------------------------------------------------------------------
# Regularizer values
# ----------------------------------------------------------------------------------------------


def np_orthogonal_penalty(w, factor, mode):
    if mode == "columns":
        w = w.T
    n = w / np.linalg.norm(w, axis=1, keepdims=True)
    p = n @ n.T
    size = w.shape[0]
    return factor * 0.5 * np.sum(np.abs(p * (1.0 - np.eye(size)))) / (size * (size - 1) / 2.0)


def test_l1_l2_l1l2_values():
    w = rand((4, 5))
    for x in [w, ops.convert_to_tensor(w), lamina.Variable(w)]:
        np.testing.assert_allclose(np_(regularizers.L1(0.1)(x)), 0.1 * np.abs(w).sum(), rtol=1e-5)
        np.testing.assert_allclose(np_(regularizers.L2(0.2)(x)), 0.2 * np.square(w).sum(), rtol=1e-5)
        np.testing.assert_allclose(
            np_(regularizers.L1L2(l1=0.1, l2=0.2)(x)),
            0.1 * np.abs(w).sum() + 0.2 * np.square(w).sum(),
            rtol=1e-5,
        )
    out = regularizers.L1L2(l1=0.1)(w)
    assert out.shape == () and out.dtype == "float32"


def test_defaults_and_none_arguments():
    assert regularizers.L1().l1 == 0.01 and regularizers.L1(None).l1 == 0.01
    assert regularizers.L2().l2 == 0.01 and regularizers.L2(None).l2 == 0.01
    reg = regularizers.L1L2()
    assert (reg.l1, reg.l2) == (0.0, 0.0)
    reg = regularizers.L1L2(None, None)
    assert (reg.l1, reg.l2) == (0.0, 0.0)
    w = rand((3, 3))
    np.testing.assert_allclose(np_(regularizers.L1()(w)), 0.01 * np.abs(w).sum(), rtol=1e-5)
    zero = regularizers.L1L2()(w)
    assert isinstance(zero, lamina.Tensor) and float(zero) == 0.0 and zero.dtype == "float32"
    assert regularizers.OrthogonalRegularizer().factor == 0.01
    assert regularizers.OrthogonalRegularizer().mode == "rows"


def test_penalty_dtype_follows_input():
    w = rand((3, 3), dtype="float64")
    assert regularizers.L1L2(0.1, 0.1)(w).dtype == "float64"
    assert regularizers.L2(0.1)(w).dtype == "float64"
    assert regularizers.OrthogonalRegularizer()(w).dtype == "float64"


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_values(mode):
    w = rand((4, 6), seed=1)
    out = regularizers.OrthogonalRegularizer(factor=0.1, mode=mode)(w)
    np.testing.assert_allclose(np_(out), np_orthogonal_penalty(w.astype("float64"), 0.1, mode), rtol=1e-5)
    # Orthonormal rows (or columns) give no penalty.
    np.testing.assert_allclose(np_(regularizers.OrthogonalRegularizer(1.0, mode)(np.eye(4, dtype="float32"))), 0.0)


def test_regularizer_validation():
    for cls, name in [(regularizers.L1, "l1"), (regularizers.L2, "l2")]:
        for bad in [-0.1, float("nan"), float("inf"), "0.1", [0.1], True]:
            with pytest.raises(ValueError, match=f"Invalid value for argument {name}: expected a non-negative float"):
                cls(bad)
    with pytest.raises(ValueError, match="argument l2: expected a non-negative float.Received: l2=-1"):
        regularizers.L1L2(l1=0.1, l2=-1)
    with pytest.raises(ValueError, match="argument factor"):
        regularizers.OrthogonalRegularizer(factor=-0.5)
    assert regularizers.L1(np.float32(0.5)).get_config() == {"l1": 0.5}
    assert regularizers.L2(np.int32(1)).get_config() == {"l2": 1.0}
    assert regularizers.L1(0).get_config() == {"l1": 0.0}


def test_orthogonal_regularizer_errors():
    with pytest.raises(ValueError) as info:
        regularizers.OrthogonalRegularizer(factor=0.01, mode="invalid_mode")
    assert str(info.value) == (
        'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. Received: mode=invalid_mode'
    )
    with pytest.raises(ValueError) as info:
        regularizers.OrthogonalRegularizer(factor=0.1)(rand((4, 4, 4)))
    assert str(info.value) == "Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape=(4, 4, 4)"


def test_base_regularizer():
    reg = regularizers.Regularizer()
    assert reg(rand((2,))) == 0.0
    with pytest.raises(NotImplementedError, match="does not implement get_config"):
        reg.get_config()
    assert lamina.Regularizer is regularizers.Regularizer


# ----------------------------------------------------------------------------------------------
# Gradients through lamina.GradientTape against finite differences
# ----------------------------------------------------------------------------------------------


def finite_difference(fn, w, h=1e-6):
    grad = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        plus, minus = w.copy(), w.copy()
        plus[idx] += h
        minus[idx] -= h
        grad[idx] = (fn(plus) - fn(minus)) / (2 * h)
    return grad


def tape_gradient(reg, w):
    v = lamina.Variable(w, dtype="float64")
    with lamina.GradientTape() as tape:
        penalty = reg(v)
    return np_(tape.gradient(penalty, v))


def test_l1l2_gradient():
    w = rand((3, 4), seed=2, dtype="float64")
    reg = regularizers.L1L2(l1=0.3, l2=0.7)
    expected = finite_difference(lambda a: float(reg(a)), w)
    np.testing.assert_allclose(tape_gradient(reg, w), expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(expected, 0.3 * np.sign(w) + 1.4 * w, rtol=1e-5)


def test_l1_and_l2_gradients():
    w = rand((5,), seed=3, dtype="float64")
    np.testing.assert_allclose(tape_gradient(regularizers.L1(0.5), w), 0.5 * np.sign(w))
    np.testing.assert_allclose(tape_gradient(regularizers.L2(0.5), w), w)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_gradient(mode):
    w = rand((3, 4), seed=4, dtype="float64")
    reg = regularizers.OrthogonalRegularizer(factor=0.5, mode=mode)
    expected = finite_difference(lambda a: np_orthogonal_penalty(a, 0.5, mode), w)
    np.testing.assert_allclose(tape_gradient(reg, w), expected, rtol=1e-5, atol=1e-8)


# ----------------------------------------------------------------------------------------------
# Regularizer get / serialize / deserialize
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,cls",
    [("l1", regularizers.L1), ("L1", regularizers.L1), ("l2", regularizers.L2), ("L2", regularizers.L2),
     ("l1l2", regularizers.L1L2), ("L1L2", regularizers.L1L2),
     ("orthogonal_regularizer", regularizers.OrthogonalRegularizer),
     ("OrthogonalRegularizer", regularizers.OrthogonalRegularizer)],
)
def test_regularizer_get_by_name(name, cls):
    assert type(regularizers.get(name)) is cls


def test_regularizer_get_other_identifiers():
    assert regularizers.get(None) is None
    reg = regularizers.L2(0.3)
    assert regularizers.get(reg) is reg
    assert type(regularizers.get(regularizers.L1)) is regularizers.L1

    def my_reg(w):
        return ops.sum(w)

    assert regularizers.get(my_reg) is my_reg
    reg = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}})
    assert (reg.l1, reg.l2) == (0.5, 0.25)
    for bad in ["typo", "l1_l2", 0.1]:  # Keras 3 maps L1L2 to "l1l2", not "l1_l2"
        with pytest.raises(ValueError, match="Could not interpret regularizer identifier: "):
            regularizers.get(bad)


def test_regularizer_aliases():
    assert regularizers.l1 is regularizers.L1
    assert regularizers.l2 is regularizers.L2
    assert regularizers.l1_l2 is regularizers.L1L2
    assert regularizers.orthogonal_regularizer is regularizers.OrthogonalRegularizer


@pytest.mark.parametrize(
    "obj,class_name,config",
    [
        (regularizers.L1(0.5), "L1", {"l1": 0.5}),
        (regularizers.L2(), "L2", {"l2": 0.01}),
        (regularizers.L1L2(l1=1, l2=0.25), "L1L2", {"l1": 1.0, "l2": 0.25}),
        (regularizers.OrthogonalRegularizer(0.1, "columns"), "OrthogonalRegularizer",
         {"factor": 0.10000000149011612, "mode": "columns"}),  # float32, as Keras writes
    ],
)
def test_regularizer_serialize_exact_and_round_trip(obj, class_name, config):
    expected = {"module": "keras.regularizers", "class_name": class_name, "config": config, "registered_name": None}
    assert regularizers.serialize(obj) == expected
    restored = regularizers.deserialize(json.loads(json.dumps(expected)))
    assert type(restored) is type(obj) and restored.get_config() == obj.get_config()
    assert type(regularizers.get(dict(expected, module="lamina.regularizers"))) is type(obj)
    assert type(regularizers.deserialize(class_name)) is type(obj)


def test_custom_regularizer_serialization():
    registry = dict(saving.get_custom_objects())
    try:
        @saving.register_keras_serializable("test_pkg")
        def l3(w):
            return 0.01 * ops.sum(ops.abs(w) ** 3)

        config = json.loads(json.dumps(regularizers.serialize(l3)))
        assert config == {"module": "builtins", "class_name": "function", "config": "test_pkg>l3",
                          "registered_name": "function"}
        assert regularizers.deserialize(config) is l3
        assert regularizers.get(config) is l3
    finally:
        saving.get_custom_objects().clear()
        saving.get_custom_objects().update(registry)

    class Scaled(regularizers.Regularizer):
        def __init__(self, k=1.0):
            self.k = k

        def __call__(self, w):
            return self.k * ops.sum(w)

        def get_config(self):
            return {"k": self.k}

    config = regularizers.serialize(Scaled(2.0))
    with saving.custom_object_scope({"Scaled": Scaled}):
        restored = regularizers.get(config)
    assert type(restored) is Scaled and restored.k == 2.0
    # Unknown to the family: Keras' deserialize hands the name back and get() rejects it.
    assert regularizers.deserialize(config) == "Scaled"
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get(config)
    with pytest.raises(TypeError, match="Could not locate class 'Scaled'"):
        saving.deserialize_keras_object(config)


# ----------------------------------------------------------------------------------------------
# Constraints
# ----------------------------------------------------------------------------------------------


def np_norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, [0, 1]])
def test_max_norm(axis):
    w = 3.0 * rand((4, 5, 2), seed=5)
    out = constraints.MaxNorm(max_value=2.0, axis=axis)(w)
    norms = np_norms(w, tuple(axis) if isinstance(axis, list) else axis)
    np.testing.assert_allclose(np_(out), w * (np.clip(norms, 0, 2.0) / (EPS + norms)), rtol=1e-5)
    assert np.all(np_norms(np_(out), tuple(axis) if isinstance(axis, list) else axis) <= 2.0 + 1e-5)


def test_max_norm_leaves_small_weights():
    w = np.array([[0.3, 0.1], [0.4, 0.2]], dtype="float32")
    np.testing.assert_allclose(np_(constraints.MaxNorm()(w)), w, rtol=1e-5)
    assert (constraints.MaxNorm().max_value, constraints.MaxNorm().axis) == (2, 0)


@pytest.mark.parametrize("rate", [1.0, 0.5])
def test_min_max_norm(rate):
    w = rand((6, 8), seed=6) * np.linspace(0.05, 1.0, 8, dtype="float32")  # norms below and above
    out = constraints.MinMaxNorm(min_value=0.5, max_value=1.5, rate=rate, axis=0)(w)
    norms = np_norms(w, 0)
    desired = rate * np.clip(norms, 0.5, 1.5) + (1 - rate) * norms
    np.testing.assert_allclose(np_(out), w * (desired / (EPS + norms)), rtol=1e-5)
    if rate == 1.0:
        out_norms = np_norms(np_(out), 0)
        assert np.all(out_norms >= 0.5 - 1e-5) and np.all(out_norms <= 1.5 + 1e-5)


def test_min_max_norm_defaults():
    c = constraints.MinMaxNorm()
    assert (c.min_value, c.max_value, c.rate, c.axis) == (0.0, 1.0, 1.0, 0)


def test_non_neg():
    w = rand((3, 4), seed=7)
    out = constraints.NonNeg()(w)
    np.testing.assert_array_equal(np_(out), w * (w >= 0))
    assert out.dtype == "float32"
    out = constraints.NonNeg()(lamina.Variable(w.astype("float64"), dtype="float64"))
    assert out.dtype == "float64" and np.all(np_(out) >= 0)


@pytest.mark.parametrize("axis", [0, -1, 1])
def test_unit_norm(axis):
    w = rand((5, 3), seed=8)
    out = constraints.UnitNorm(axis=axis)(w)
    np.testing.assert_allclose(np_(out), w / (EPS + np_norms(w, axis)), rtol=1e-5)
    np.testing.assert_allclose(np_norms(np_(out), axis), 1.0, rtol=1e-5)


def test_epsilon_follows_config():
    old = lamina.config.epsilon()
    try:
        lamina.config.set_epsilon(0.5)
        w = np.array([[3.0], [4.0]], dtype="float32")
        np.testing.assert_allclose(np_(constraints.UnitNorm()(w)), w / 5.5, rtol=1e-6)
    finally:
        lamina.config.set_epsilon(old)


def test_base_constraint():
    w = ops.convert_to_tensor(rand((2, 2)))
    assert constraints.Constraint()(w) is w
    assert constraints.Constraint().get_config() == {}


@pytest.mark.parametrize(
    "name,cls",
    [("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
     ("min_max_norm", constraints.MinMaxNorm), ("MinMaxNorm", constraints.MinMaxNorm),
     ("non_neg", constraints.NonNeg), ("NonNeg", constraints.NonNeg),
     ("unit_norm", constraints.UnitNorm), ("UnitNorm", constraints.UnitNorm)],
)
def test_constraint_get_by_name(name, cls):
    assert type(constraints.get(name)) is cls


def test_constraint_get_other_identifiers_and_aliases():
    assert constraints.get(None) is None
    c = constraints.UnitNorm(axis=1)
    assert constraints.get(c) is c
    assert type(constraints.get(constraints.NonNeg)) is constraints.NonNeg

    def clip_fn(w):
        return ops.clip(w, -1, 1)

    assert constraints.get(clip_fn) is clip_fn
    c = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert (c.max_value, c.axis) == (3, 1)
    for bad in ["typo", 3]:
        with pytest.raises(ValueError, match="Could not interpret constraint identifier: "):
            constraints.get(bad)
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm


@pytest.mark.parametrize(
    "obj,class_name,config",
    [
        (constraints.MaxNorm(3, axis=1), "MaxNorm", {"max_value": 3, "axis": 1}),
        (constraints.MinMaxNorm(0.1, 2.0, 0.5, [0, 1]), "MinMaxNorm",
         {"min_value": 0.1, "max_value": 2.0, "rate": 0.5, "axis": [0, 1]}),
        (constraints.NonNeg(), "NonNeg", {}),
        (constraints.UnitNorm(), "UnitNorm", {"axis": 0}),
    ],
)
def test_constraint_serialize_exact_and_round_trip(obj, class_name, config):
    expected = {"module": "keras.constraints", "class_name": class_name, "config": config, "registered_name": None}
    assert constraints.serialize(obj) == expected
    restored = constraints.deserialize(json.loads(json.dumps(expected)))
    assert type(restored) is type(obj) and restored.get_config() == obj.get_config()
    assert type(constraints.get(dict(expected, module="lamina.constraints"))) is type(obj)
    w = rand((3, 4), seed=9)
    np.testing.assert_allclose(np_(restored(w)), np_(obj(w)), rtol=1e-6)
