"""lamina.Sequential: add/pop, with or without an Input, deferred build, the layers list, calls
against eager composition, errors, and get_config/from_config in Keras 3's schema (compared
with Keras 3's own JSON)."""

import json

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops

RNG = np.random.default_rng(1)


def _np(x):
    return np.asarray(x, dtype="float64")


def _rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


# Written by Keras 3.15 (numpy backend) for:
#   Sequential([Input((4,), name="seq_in"), Dense(3, name="sd"), Dropout(0.25, name="sdrop"),
#               Activation("relu", name="sact")], name="kseq")
#   Sequential([Activation("tanh", name="t1"), Dropout(0.1, name="t2")], name="kseq2"),
#   before and after build((None, 3)).
KERAS_SEQUENTIAL_JSON = (
    '{"module": "keras", "class_name": "Sequential", "config": {"name": "kseq", "trainable": true'
    ', "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "'
    'registered_name": null}, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "'
    'config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false, "n'
    'ame": "seq_in", "optional": false}, "registered_name": null}, {"module": "keras.layers", "cl'
    'ass_name": "Dense", "config": {"name": "sd", "trainable": true, "dtype": {"module": "keras",'
    ' "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "unit'
    's": 3, "activation": "linear", "use_bias": true, "kernel_initializer": {"module": "keras.ini'
    'tializers", "class_name": "GlorotUniform", "config": {"seed": null, "input_axes": null, "out'
    'put_axes": null}, "registered_name": null}, "bias_initializer": {"module": "keras.initialize'
    'rs", "class_name": "Zeros", "config": {}, "registered_name": null}, "kernel_regularizer": nu'
    'll, "bias_regularizer": null, "kernel_constraint": null, "bias_constraint": null, "quantizat'
    'ion_config": null}, "registered_name": null, "build_config": {"input_shape": [null, 4]}}, {"'
    'module": "keras.layers", "class_name": "Dropout", "config": {"name": "sdrop", "trainable": t'
    'rue, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}'
    ', "registered_name": null}, "rate": 0.25, "seed": null, "noise_shape": null}, "registered_na'
    'me": null}, {"module": "keras.layers", "class_name": "Activation", "config": {"name": "sact"'
    ', "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"n'
    'ame": "float32"}, "registered_name": null}, "activation": "relu"}, "registered_name": null}]'
    ', "build_input_shape": [null, 4]}, "registered_name": null, "build_config": {"input_shape": '
    '[null, 4]}, "compile_config": {}}'
)

KERAS_UNBUILT_SEQUENTIAL_JSON = (
    '{"module": "keras", "class_name": "Sequential", "config": {"name": "kseq2", "trainable": tru'
    'e, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, '
    '"registered_name": null}, "layers": [{"module": "keras.layers", "class_name": "Activation", '
    '"config": {"name": "t1", "trainable": true, "dtype": {"module": "keras", "class_name": "DTyp'
    'ePolicy", "config": {"name": "float32"}, "registered_name": null}, "activation": "tanh"}, "r'
    'egistered_name": null}, {"module": "keras.layers", "class_name": "Dropout", "config": {"name'
    '": "t2", "trainable": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "confi'
    'g": {"name": "float32"}, "registered_name": null}, "rate": 0.1, "seed": null, "noise_shape":'
    ' null}, "registered_name": null}]}, "registered_name": null, "compile_config": {}}'
)

KERAS_BUILT_SEQUENTIAL_JSON = (
    '{"module": "keras", "class_name": "Sequential", "config": {"name": "kseq2", "trainable": tru'
    'e, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, '
    '"registered_name": null}, "layers": [{"module": "keras.layers", "class_name": "InputLayer", '
    '"config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "'
    'name": "input_layer", "optional": false}, "registered_name": null}, {"module": "keras.layers'
    '", "class_name": "Activation", "config": {"name": "t1", "trainable": true, "dtype": {"module'
    '": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": n'
    'ull}, "activation": "tanh"}, "registered_name": null}, {"module": "keras.layers", "class_nam'
    'e": "Dropout", "config": {"name": "t2", "trainable": true, "dtype": {"module": "keras", "cla'
    'ss_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "rate": 0.'
    '1, "seed": null, "noise_shape": null}, "registered_name": null}], "build_input_shape": [null'
    ', 3]}, "registered_name": null, "build_config": {"input_shape": [null, 3]}, "compile_config"'
    ': {}}'
)


# ----------------------------------------------------------------------------------------------
# Building
# ----------------------------------------------------------------------------------------------

def test_with_input_builds_as_layers_are_added():
    model = lamina.Sequential(name="grow")
    model.add(lamina.Input(shape=(16,)))
    model.add(layers.Dense(8))
    assert model.built and len(model.weights) == 2
    assert model.input_shape == (None, 16) and model.output_shape == (None, 8)
    model.add(layers.Dense(4))
    assert len(model.weights) == 4 and model.output_shape == (None, 4)
    assert [type(x).__name__ for x in model.layers] == ["Dense", "Dense"]
    assert isinstance(model.inputs[0], lamina.KerasTensor) and model.outputs[0].shape == (None, 4)
    assert model.weights[0].path == "grow/" + model.layers[0].name + "/kernel"


def test_deferred_build_on_first_call():
    d1, d2 = layers.Dense(5, activation="relu"), layers.Dense(2)
    model = lamina.Sequential([d1, d2])
    assert not model.built and model.weights == []
    with pytest.raises(AttributeError, match="has no defined input shape yet"):
        model.input_shape
    with pytest.raises(AttributeError, match="has no defined outputs yet"):
        model.outputs
    data = _rand(3, 4)
    out = model(data)
    assert model.built and out.shape == (3, 2) and model.input_shape == (3, 4)
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(_np(out), np.maximum(data @ k1 + b1, 0) @ k2 + b2, rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_array_equal(np.asarray(model(data)), np.asarray(d2(d1(data))))
    assert model.get_build_config() == {"input_shape": (3, 4)}
    assert model.layers == [d1, d2]  # the InputLayer made by the build is not listed
    assert [w.path for w in model.weights][0] == f"{model.name}/{d1.name}/kernel"


def test_explicit_build_and_its_errors():
    model = lamina.Sequential([layers.Dense(8), layers.Dense(4)])
    model.build((None, 16))
    assert len(model.weights) == 4 and model.output_shape == (None, 4)
    with pytest.raises(ValueError, match="has already been configured to use input shape \\(None, 16\\)"):
        model.build((None, 3))
    with pytest.raises(ValueError, match="cannot be built because it has no layers"):
        lamina.Sequential().build((None, 3))
    fixed = lamina.Sequential([lamina.Input((3,)), layers.Dense(2)], name="fixed_seq")
    with pytest.raises(ValueError, match="'fixed_seq' has already been configured"):
        fixed.add(lamina.Input((5,)))


def test_input_shape_argument_on_first_layer():
    model = lamina.Sequential([layers.Dense(3, input_shape=(7,)), layers.Dense(1)])
    assert model.built and model.input_shape == (None, 7) and len(model.weights) == 4
    assert isinstance(model._layers[0], layers.InputLayer)
    assert len(model.layers) == 2
    config = model.get_config()
    assert config["layers"][0]["class_name"] == "InputLayer"
    assert config["layers"][0]["config"]["batch_shape"] == (None, 7)


def test_add_errors_and_pop():
    model = lamina.Sequential(name="errs")
    with pytest.raises(ValueError, match="Only instances of `lamina.layers.Layer` can be added.*Received: 3"):
        model.add(3)
    model.add(layers.Dense(2, name="same_name"))
    with pytest.raises(ValueError, match="unique names. Name 'same_name' is already"):
        model.add(layers.Dense(3, name="same_name"))
    with pytest.raises(AttributeError, match="Use `add\\(\\)` and `pop\\(\\)`"):
        model.layers = []

    stack = lamina.Sequential([lamina.Input((4,)), layers.Dense(3), layers.Dense(2, name="top")])
    assert stack.output_shape == (None, 2)
    top = stack.pop()
    assert top.name == "top" and len(stack.layers) == 1
    assert stack.built and stack.output_shape == (None, 3) and len(stack.weights) == 2
    assert stack(_rand(2, 4)).shape == (2, 3)
    stack.pop()
    stack.pop()  # the InputLayer goes last
    with pytest.raises(IndexError, match="no layers to pop"):
        stack.pop()


def test_wrong_input_shape_names_the_model():
    model = lamina.Sequential([lamina.Input((4,)), layers.Dense(2)], name="shape_check")
    with pytest.raises(ValueError, match="layer 'shape_check' is incompatible.*expected shape=\\(None, 4\\), found shape=\\(2, 5\\)"):
        model(np.ones((2, 5)))


def test_input_dtype_and_training_flag():
    tokens = lamina.Sequential([lamina.Input((3,), dtype="int32"), layers.Embedding(6, 2)])
    assert tokens.input_dtype == "int32"
    out = tokens(np.array([[1.0, 2.0, 5.0]]))
    table = tokens.layers[0].get_weights()[0]
    np.testing.assert_allclose(_np(out)[0], table[[1, 2, 5]], rtol=1e-6)
    drop = lamina.Sequential([lamina.Input((100,)), layers.Dropout(0.5)])
    data = np.ones((2, 100), dtype="float32")
    np.testing.assert_array_equal(np.asarray(drop(data)), data)
    assert (np.asarray(drop(data, training=True)) == 0).any()


def test_nested_and_multi_input_stacks():
    inner = lamina.Sequential([layers.Dense(3, name="in_dense")], name="inner_stack")
    outer = lamina.Sequential([lamina.Input((2,)), inner, layers.Dense(1, name="out_dense")])
    data = _rand(4, 2)
    np.testing.assert_allclose(_np(outer(data)), _np(outer.layers[1](inner(data))), rtol=1e-6)
    assert len(outer.weights) == 4
    # A first layer taking a list: no graph is built, the layers run one after the other.
    merge = lamina.Sequential([layers.Concatenate(), layers.Dense(2)])
    a, b = _rand(3, 2), _rand(3, 1)
    out = merge([a, b])
    k, bias = merge.layers[1].get_weights()
    np.testing.assert_allclose(_np(out), np.concatenate([a, b], -1) @ k + bias, rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(AttributeError, match="no defined input shape"):
        merge.input_shape


def test_a_functional_model_as_first_layer():
    x = lamina.Input((3,))
    block = lamina.Model(x, layers.Dense(4)(x))
    model = lamina.Sequential([block, layers.Dense(1)])
    assert model.built and model.input_shape == (None, 3) and model.output_shape == (None, 1)


def test_compute_output_shape_and_symbolic_call():
    model = lamina.Sequential([layers.Dense(4), layers.Dense(2)])
    assert model.compute_output_shape((None, 7)) == (None, 2)
    x = lamina.Input((7,))
    y = model(x)
    assert y.shape == (None, 2) and model.built
    functional = lamina.Model(x, y)
    assert functional.layers[1] is model


# ----------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------

def test_config_matches_keras_schema():
    model = lamina.Sequential([lamina.Input((4,), name="seq_in"), layers.Dense(3, name="sd"),
                               layers.Dropout(0.25, name="sdrop"),
                               layers.Activation("relu", name="sact")], name="kseq")
    mine = json.loads(json.dumps(lamina.saving.serialize_keras_object(model)))
    ref = json.loads(KERAS_SEQUENTIAL_JSON)
    for key in ("module", "class_name", "registered_name", "build_config"):
        assert mine[key] == ref[key], key
    assert list(mine["config"]) == list(ref["config"])
    for key in ("name", "trainable", "dtype", "build_input_shape"):
        assert mine["config"][key] == ref["config"][key], key
    for got, want in zip(mine["config"]["layers"], ref["config"]["layers"]):
        assert sorted(got) == sorted(want)
        for key in ("module", "class_name", "registered_name"):
            assert got[key] == want[key]
        assert got.get("build_config") == want.get("build_config"), want["class_name"]
        if want["class_name"] != "Dense":  # Dense's own config is the Dense layer's business
            assert got["config"] == want["config"], want["class_name"]

    unbuilt = lamina.Sequential([layers.Activation("tanh", name="t1"),
                                 layers.Dropout(0.1, name="t2")], name="kseq2")
    assert json.loads(json.dumps(lamina.saving.serialize_keras_object(unbuilt))) == \
        json.loads(KERAS_UNBUILT_SEQUENTIAL_JSON)
    unbuilt.build((None, 3))
    built = json.loads(json.dumps(lamina.saving.serialize_keras_object(unbuilt)))
    built["config"]["layers"][0]["config"]["name"] = "input_layer"  # an auto-generated name
    assert built == json.loads(KERAS_BUILT_SEQUENTIAL_JSON)


@pytest.mark.parametrize("fixture", ["unbuilt", "built"])
def test_loads_keras3_sequential_configs(fixture):
    text = KERAS_UNBUILT_SEQUENTIAL_JSON if fixture == "unbuilt" else KERAS_BUILT_SEQUENTIAL_JSON
    model = lamina.saving.deserialize_keras_object(json.loads(text))
    assert isinstance(model, lamina.Sequential) and model.name == "kseq2"
    assert [x.name for x in model.layers] == ["t1", "t2"]
    assert model.built == (fixture == "built")
    data = _rand(2, 3)
    np.testing.assert_allclose(_np(model(data)), np.tanh(data), rtol=1e-5, atol=1e-6)


def test_config_round_trip_with_weights():
    model = lamina.Sequential([lamina.Input((5,)), layers.Dense(4, activation="relu"),
                               layers.BatchNormalization(), layers.Dense(2)], name="rt_seq")
    config = json.loads(json.dumps(model.get_config()))
    clone = lamina.Sequential.from_config(config)
    assert clone.name == "rt_seq" and clone.built and len(clone.weights) == len(model.weights)
    clone.set_weights(model.get_weights())
    data = _rand(3, 5)
    np.testing.assert_allclose(_np(clone(data)), _np(model(data)), rtol=1e-6)
    deferred = lamina.Sequential([layers.Dense(2)], name="deferred")
    again = lamina.Sequential.from_config(deferred.get_config())
    assert not again.built and "build_input_shape" not in deferred.get_config()
    frozen = lamina.Sequential([lamina.Input((2,)), layers.Dense(1)], trainable=False)
    assert lamina.Sequential.from_config(frozen.get_config()).trainable is False
    with pytest.raises(ValueError, match="must be a dictionary containing the 'name' and 'layers'"):
        lamina.Sequential.from_config({"layers": []})


def test_weights_order_and_set_weights():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2), layers.BatchNormalization()])
    names = [w.path.split("/")[-1] for w in model.weights]
    assert names == ["kernel", "bias", "gamma", "beta", "moving_mean", "moving_variance"]
    values = [np.full(w.shape, i + 1.0, dtype="float32") for i, w in enumerate(model.weights)]
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values):
        np.testing.assert_array_equal(got, want)
