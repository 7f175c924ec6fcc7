"""lamina.activations: Keras 3's keras.activations — values, relu's option combinations, gradients,
dtypes, signatures, and get / serialize / deserialize."""

import inspect
import math
import warnings

import numpy as np
import pytest

import lamina
from lamina import activations
from lamina import ops
from test_ops_nn import REF, assert_close, check_grad, np_gelu, np_sigmoid, sample, sample_away_from

# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def np_softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    m = np.max(x, axis=axis, keepdims=True)
    return x - m - np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


def np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's relu, piece by piece: x above the threshold (0 below it), capped to
    [0, max_value] when a cap is given, minus negative_slope times the distance below the threshold."""
    if negative_slope != 0 and max_value is None and threshold == 0:
        return np.where(x >= 0, x, negative_slope * x)
    out = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        out = np.clip(out, 0.0, max_value)
    return out - negative_slope * np.maximum(threshold - x, 0.0)


ACT_REF = dict(REF)
ACT_REF.update({
    "relu": np_relu,
    "softmax": np_softmax,
    "log_softmax": np_log_softmax,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "tanh": np.tanh,
    "sigmoid": np_sigmoid,
    "exponential": np.exp,
    "linear": lambda x: x,
    "mish": lambda x: x * np.tanh(np.logaddexp(0.0, x)),
    "gelu": lambda x, approximate=False: np_gelu(x, approximate),
})

# Keras 3's keras.activations exports (3.13), with their signatures.
KERAS_SIGNATURES = {
    "celu": "(x, alpha=1.0)",
    "elu": "(x, alpha=1.0)",
    "exponential": "(x)",
    "gelu": "(x, approximate=False)",
    "glu": "(x, axis=-1)",
    "hard_shrink": "(x, threshold=0.5)",
    "hard_sigmoid": "(x)",
    "hard_silu": "(x)",
    "hard_swish": "(x)",
    "hard_tanh": "(x)",
    "leaky_relu": "(x, negative_slope=0.2)",
    "linear": "(x)",
    "log_sigmoid": "(x)",
    "log_softmax": "(x, axis=-1)",
    "mish": "(x)",
    "relu": "(x, negative_slope=0.0, max_value=None, threshold=0.0)",
    "relu6": "(x)",
    "selu": "(x)",
    "sigmoid": "(x)",
    "silu": "(x)",
    "soft_shrink": "(x, threshold=0.5)",
    "softmax": "(x, axis=-1)",
    "softplus": "(x)",
    "softsign": "(x)",
    "sparse_plus": "(x)",
    "sparse_sigmoid": "(x)",
    "sparsemax": "(x, axis=-1)",
    "squareplus": "(x, b=4)",
    "swish": "(x)",
    "tanh": "(x)",
    "tanh_shrink": "(x)",
    "threshold": "(x, threshold, default_value)",
    "get": "(identifier)",
    "serialize": "(activation)",
    "deserialize": "(config, custom_objects=None)",
}

# (name, kwargs, kinks, input range) for values and gradients.
CASES = [
    ("relu", {}, (0.0,), 4),
    ("leaky_relu", {}, (0.0,), 4),
    ("relu6", {}, (0.0, 6.0), 8),
    ("softmax", {}, (), 4),
    ("softmax", {"axis": 0}, (), 4),
    ("log_softmax", {}, (), 4),
    ("celu", {"alpha": 1.5}, (0.0,), 4),
    ("elu", {}, (0.0,), 4),
    ("selu", {}, (0.0,), 4),
    ("softplus", {}, (), 4),
    ("softsign", {}, (0.0,), 4),
    ("squareplus", {}, (), 4),
    ("soft_shrink", {}, (-0.5, 0.5), 4),
    ("sparse_plus", {}, (-1.0, 1.0), 4),
    ("silu", {}, (), 4),
    ("swish", {}, (), 4),
    ("gelu", {}, (), 4),
    ("gelu", {"approximate": True}, (), 4),
    ("glu", {}, (), 4),
    ("tanh", {}, (), 4),
    ("tanh_shrink", {}, (), 4),
    ("threshold", {"threshold": -0.5, "default_value": 0.25}, (-0.5,), 4),
    ("sigmoid", {}, (), 4),
    ("sparse_sigmoid", {}, (-1.0, 1.0), 4),
    ("exponential", {}, (), 3),
    ("hard_sigmoid", {}, (-3.0, 3.0), 5),
    ("hard_silu", {}, (-3.0, 3.0), 5),
    ("hard_swish", {}, (-3.0, 3.0), 5),
    ("hard_tanh", {}, (-1.0, 1.0), 4),
    ("hard_shrink", {}, (-0.5, 0.5), 4),
    ("linear", {}, (), 4),
    ("mish", {}, (), 4),
    ("log_sigmoid", {}, (), 4),
    ("sparsemax", {}, (), 1),
]
CASE_IDS = [f"{n}-{','.join(f'{k}={v}' for k, v in kw.items()) or 'default'}" for n, kw, _, _ in CASES]


def _call(name, kwargs):
    fn = getattr(activations, name)
    return lambda v: fn(v, **kwargs)


def _ref(name, kwargs):
    fn = ACT_REF[name]
    return lambda v: fn(np.asarray(v, dtype=np.float64), **kwargs)


def _shapes(name):
    if name in ("glu", "softmax", "log_softmax", "sparsemax"):
        return [(6,), (3, 4), (2, 3, 4)]
    return [(), (7,), (3, 4), (2, 3, 4)]


# ---------------------------------------------------------------------------------------------
# API surface
# ---------------------------------------------------------------------------------------------


def test_module_is_exported_from_lamina():
    assert lamina.activations is activations


@pytest.mark.parametrize("name", sorted(KERAS_SIGNATURES))
def test_keras_names_and_signatures(name):
    assert name in activations.__all__
    fn = getattr(activations, name)
    assert str(inspect.signature(fn)) == KERAS_SIGNATURES[name]
    assert fn.__doc__


def test_aliases_and_registry():
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu
    expected = sorted(n for n in KERAS_SIGNATURES if n not in ("get", "serialize", "deserialize"))
    assert sorted(activations.ALL_OBJECTS_DICT) == expected
    assert activations.ALL_OBJECTS_DICT["swish"] is activations.silu
    for name, fn in activations.ALL_OBJECTS_DICT.items():
        assert fn in activations.ALL_OBJECTS
        assert fn.__name__ == {"swish": "silu", "hard_swish": "hard_silu"}.get(name, name)


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,kwargs,kinks,rng", CASES, ids=CASE_IDS)
def test_values_against_numpy(name, kwargs, kinks, rng, dtype):
    tol = {"float32": (2e-6, 2e-6), "float64": (1e-10, 1e-13)}[dtype]
    for i, shape in enumerate(_shapes(name)):
        edges = name not in ("exponential", "softmax", "log_softmax", "sparsemax", "glu")
        x = sample(shape, dtype, seed=10 + i, edges=edges)
        y = _call(name, kwargs)(ops.convert_to_tensor(x))
        assert y.dtype == dtype
        assert y.shape == (x.shape[:-1] + (x.shape[-1] // 2,) if name == "glu" else x.shape)
        assert_close(np.asarray(y), _ref(name, kwargs)(x), x, *tol, what=f"{name}{shape}")


def test_relu_docstring_examples():
    x = [-10, -5, 0.0, 5, 10]
    for kwargs, exp in [
        ({}, [0.0, 0.0, 0.0, 5.0, 10.0]),
        ({"negative_slope": 0.5}, [-5.0, -2.5, 0.0, 5.0, 10.0]),
        ({"max_value": 5.0}, [0.0, 0.0, 0.0, 5.0, 5.0]),
        ({"threshold": 5.0}, [-0.0, -0.0, 0.0, 0.0, 10.0]),
    ]:
        y = activations.relu(x, **kwargs)
        assert y.dtype == "float32"
        np.testing.assert_array_equal(np.asarray(y), np.array(exp, dtype="float32"))
    # Below the threshold the output is x * 0: negative zeros, as in Keras.
    assert np.signbit(np.asarray(activations.relu(x, threshold=5.0))[:2]).all()


def relu_id(o):
    return "s{negative_slope}-m{max_value}-t{threshold}".format(**o)


RELU_OPTIONS = [
    dict(negative_slope=s, max_value=m, threshold=t)
    for s in (0.0, 0.1)
    for m in (None, 6, 2.5)
    for t in (0.0, 1.5, -1.0)
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("opts", RELU_OPTIONS, ids=relu_id)
def test_relu_option_combinations(opts, dtype):
    x = np.concatenate([np.linspace(-8, 8, 33), [0.0, 1.5, -1.0, 2.5, 6.0, 1e4, -1e4]]).astype(dtype)
    y = activations.relu(ops.convert_to_tensor(x), **opts)
    assert y.dtype == dtype
    assert_close(np.asarray(y), np_relu(x.astype(np.float64), **opts), x, 1e-6, 1e-7, what=str(opts))


def test_relu_hand_computed_cases():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 2.0, 4.0])

    def relu(**kw):
        return np.asarray(activations.relu(x, **kw)).tolist()

    assert relu() == [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 4.0]
    assert relu(negative_slope=0.5) == [-1.5, -0.5, -0.25, 0.0, 0.5, 2.0, 4.0]
    assert relu(max_value=3.0) == [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 3.0]
    assert relu(max_value=6) == [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 4.0]
    assert relu(threshold=1.0) == [0.0, 0.0, 0.0, 0.0, 0.0, 2.0, 4.0]
    # A negative threshold keeps values between it and 0 (no cap, no slope) ...
    assert relu(threshold=-1.0) == [0.0, 0.0, -0.5, 0.0, 0.5, 2.0, 4.0]
    # ... which a cap then clips to 0.
    assert relu(threshold=-1.0, max_value=3.0) == [0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 3.0]
    # Slope below the threshold: -slope * (threshold - x).
    assert relu(negative_slope=0.5, threshold=1.0) == [-2.0, -1.0, -0.75, -0.5, -0.25, 2.0, 4.0]
    assert relu(negative_slope=0.5, max_value=3.0) == [-1.5, -0.5, -0.25, 0.0, 0.5, 2.0, 3.0]
    assert relu(negative_slope=0.5, max_value=3.0, threshold=1.0) == [-2.0, -1.0, -0.75, -0.5, -0.25, 2.0, 3.0]


def test_softmax_and_sigmoid():
    # Keras 3 accepts 1-D input (tf.keras 2 raised ValueError there).
    y = activations.softmax(np.array([-1.0, 0.0, 1.0]))
    np.testing.assert_allclose(np.asarray(y), [0.09003057, 0.24472847, 0.66524096], rtol=1e-7)
    x = sample((2, 3, 4), seed=4, edges=False)
    for axis in (0, 1, -1):
        np.testing.assert_allclose(np.asarray(activations.softmax(x, axis=axis)), np_softmax(x, axis), rtol=1e-12)
        np.testing.assert_allclose(
            np.asarray(activations.log_softmax(x, axis=axis)), np_log_softmax(x, axis), rtol=1e-12
        )
    y = activations.sigmoid([-6.0, 0.0, 6.0])
    np.testing.assert_allclose(np.asarray(y), [0.00247262, 0.5, 0.9975274], rtol=1e-5)


def test_linear_returns_its_input_and_defaults():
    x = ops.convert_to_tensor([1.0, -2.0])
    assert activations.linear(x) is x
    # gelu's default differs between keras.activations (exact) and keras.ops (approximate).
    np.testing.assert_allclose(float(activations.gelu(1.0)), 0.8413447, rtol=1e-6)
    np.testing.assert_allclose(float(ops.gelu(1.0)), 0.8411920, rtol=1e-6)
    np.testing.assert_allclose(float(activations.mish(1.0)), 0.8650984, rtol=1e-6)
    np.testing.assert_allclose(float(activations.exponential(1.0)), math.e, rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# Gradients
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,kwargs,kinks,rng", CASES, ids=CASE_IDS)
def test_gradients_against_finite_differences(name, kwargs, kinks, rng):
    if name == "sparsemax":
        from test_ops_nn import sparsemax_input

        x = sparsemax_input((3, 4), -1, seed=2)
    else:
        shape = (3, 4) if name in ("glu", "softmax", "log_softmax") else (2, 5)
        lo, hi = (-2.0, 8.0) if name == "relu6" else (-rng, rng)
        x = sample_away_from(shape, kinks, seed=5, lo=lo, hi=hi)
    check_grad(_call(name, kwargs), _ref(name, kwargs), x)


@pytest.mark.parametrize("opts", RELU_OPTIONS, ids=relu_id)
def test_relu_option_gradients(opts):
    kinks = (0.0, opts["threshold"]) + ((opts["max_value"],) if opts["max_value"] is not None else ())
    x = sample_away_from((4, 6), kinks, seed=3, lo=-5.0, hi=8.0, margin=0.05)
    check_grad(lambda v: activations.relu(v, **opts), lambda v: np_relu(v, **opts), x)


# ---------------------------------------------------------------------------------------------
# dtypes
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype,tol", [("float16", 4e-3), ("bfloat16", 3e-2)])
@pytest.mark.parametrize("name,kwargs,kinks,rng", CASES, ids=CASE_IDS)
def test_half_precision_dtype_is_kept(name, kwargs, kinks, rng, dtype, tol):
    x32 = sample((3, 4), "float32", seed=6, scale=min(rng, 2.0), edges=False)
    xt = ops.cast(ops.convert_to_tensor(x32), dtype)
    y = _call(name, kwargs)(xt)
    assert y.dtype == dtype, (name, y.dtype)
    xr = np.asarray(ops.cast(xt, "float64"))
    assert_close(np.asarray(ops.cast(y, "float64")), _ref(name, kwargs)(xr), xr, tol * 4, tol, what=f"{name} {dtype}")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("opts", RELU_OPTIONS[1:], ids=relu_id)
def test_relu_options_keep_half_precision(opts, dtype):
    x = ops.cast(ops.convert_to_tensor(np.linspace(-4, 8, 13)), dtype)
    assert activations.relu(x, **opts).dtype == dtype


# ---------------------------------------------------------------------------------------------
# get / serialize / deserialize
# ---------------------------------------------------------------------------------------------


def my_activation(x):
    return x * 2.0


def test_get():
    assert activations.get(None) is activations.linear
    for name, fn in activations.ALL_OBJECTS_DICT.items():
        assert activations.get(name) is fn
    assert activations.get("swish") is activations.silu
    assert activations.get(my_activation) is my_activation
    assert activations.get(ops.relu) is ops.relu  # any callable, including engine functions
    lam = lambda v: v  # noqa: E731
    assert activations.get(lam) is lam
    # Config dicts, in the forms Keras 3 writes.
    assert activations.get({"module": "keras.activations", "class_name": "function", "config": "relu",
                            "registered_name": "relu"}) is activations.relu
    assert activations.get({"module": "builtins", "class_name": "function", "config": "gelu",
                            "registered_name": "function"}) is activations.gelu


@pytest.mark.parametrize("bad", ["nope", "Relu", "", 5, 1.5, [1, 2]], ids=repr)
def test_get_rejects_what_is_not_an_activation(bad):
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: "):
        activations.get(bad)


def test_get_unknown_function_config_raises():
    with pytest.raises(TypeError, match="Could not locate function 'nope'"):
        activations.get({"module": "builtins", "class_name": "function", "config": "nope",
                         "registered_name": "function"})


def test_serialize_builtins_by_name():
    for name, fn in activations.ALL_OBJECTS_DICT.items():
        s = activations.serialize(fn)
        assert s == fn.__name__
        assert activations.deserialize(s) is fn
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_deserialize():
    assert activations.deserialize("relu") is activations.relu
    assert activations.deserialize("swish") is activations.silu
    assert activations.deserialize("hard_swish") is activations.hard_silu
    assert activations.deserialize({"class_name": "relu"}) is activations.relu
    assert activations.deserialize({"module": "keras.activations", "class_name": "function", "config": "tanh",
                                    "registered_name": "tanh"}) is activations.tanh
    assert activations.deserialize(None) is None
    # Names that are neither built-in nor custom come back unchanged (Keras 3); get() rejects them.
    assert activations.deserialize("nope") == "nope"
    with pytest.raises(ValueError, match="Unknown `config` as a `dict`"):
        activations.deserialize({"config": "relu"})


def test_custom_function_round_trip():
    config = activations.serialize(my_activation)
    assert config == {"module": "builtins", "class_name": "function", "config": "my_activation",
                      "registered_name": "function"}
    fn = activations.deserialize(config, custom_objects={"my_activation": my_activation})
    assert fn is my_activation
    assert activations.deserialize("my_activation", custom_objects={"my_activation": my_activation}) is my_activation
    assert activations.get(my_activation) is my_activation


def test_registered_function_round_trip():
    from lamina.saving import object_registration

    def scaled_tanh(x):
        return 1.7159 * ops.tanh(x * (2.0 / 3.0))

    object_registration.register_keras_serializable(package="test_act")(scaled_tanh)
    try:
        config = activations.serialize(scaled_tanh)
        assert config["config"] == "test_act>scaled_tanh"
        assert activations.deserialize(config) is scaled_tanh
        assert activations.get(config) is scaled_tanh
    finally:
        object_registration.GLOBAL_CUSTOM_OBJECTS.pop("test_act>scaled_tanh", None)
        object_registration.GLOBAL_CUSTOM_NAMES.pop(scaled_tanh, None)


def test_lambda_serializes_with_a_warning_and_get_refuses_it_in_safe_mode():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        config = activations.serialize(lambda v: v * 3.0)
    assert config["class_name"] == "__lambda__"
    assert any("lambda" in str(w.message) for w in caught)
    # As in Keras 3, `get` refuses to load it in safe mode.
    with pytest.raises(ValueError, match="lambda"):
        activations.get(config)


def test_gradient_through_a_variable():
    v = lamina.Variable(np.array([-1.5, -0.2, 0.7, 2.0]), dtype="float64")
    with lamina.GradientTape() as tape:  # trainable variables are watched when read
        y = ops.sum(activations.relu(v, negative_slope=0.1, max_value=1.0) + activations.selu(v))
    g = np.asarray(tape.gradient(y, v))
    x = np.array([-1.5, -0.2, 0.7, 2.0])
    exp = np.where(x < 0, 0.1, np.where(x < 1.0, 1.0, 0.0))
    exp = exp + np.where(x > 0, 1.0507009873554805, 1.0507009873554805 * 1.6732632423543772 * np.exp(x))
    np.testing.assert_allclose(g, exp, rtol=1e-12)
