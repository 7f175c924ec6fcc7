"""The functional API: lamina.Input / InputLayer, symbolic layer and op calls on KerasTensors,
Functional models (structures, shared layers, nested models, masks, training flag), their
errors, and get_config/from_config in Keras 3's schema (checked against Keras 3's own JSON)."""

import json
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.backend import naming
from lamina.models.functional import Functional
from lamina.ops import operation
from lamina.ops.node import KerasHistory

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True, scope="module")
def symbolic_ops():
    # lamina.ops functions record op nodes on KerasTensors once this dispatch is installed
    # (idempotent; lamina.ops installs it itself when wired in).
    operation.install_symbolic_dispatch(vars(ops), ops.__all__)
    yield


def _np(x):
    return np.asarray(x, dtype="float64")


def _rand(*shape):
    return RNG.standard_normal(shape).astype("float32")

KERAS_MODEL_JSON = (
    '{"module": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "km'
    'odel", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", '
    '"config": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "'
    'name": "a", "optional": false}, "registered_name": null, "name": "a", "inbound_nodes": []}, '
    '{"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 3], '
    '"dtype": "float32", "sparse": false, "ragged": false, "name": "b", "optional": false}, "regi'
    'stered_name": null, "name": "b", "inbound_nodes": []}, {"module": "keras.layers", "class_nam'
    'e": "Activation", "config": {"name": "act", "trainable": true, "dtype": {"module": "keras", '
    '"class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": null}, "activ'
    'ation": "tanh"}, "registered_name": null, "name": "act", "inbound_nodes": [{"args": [{"class'
    '_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_histor'
    'y": ["a", 0, 0]}}], "kwargs": {}}, {"args": [{"class_name": "__keras_tensor__", "config": {"'
    'shape": [null, 3], "dtype": "float32", "keras_history": ["b", 0, 0]}}], "kwargs": {}}]}, {"m'
    'odule": "keras.src.models.functional", "class_name": "Functional", "config": {"name": "inner'
    '", "trainable": true, "layers": [{"module": "keras.layers", "class_name": "InputLayer", "con'
    'fig": {"batch_shape": [null, 3], "dtype": "float32", "sparse": false, "ragged": false, "name'
    '": "ii", "optional": false}, "registered_name": null, "name": "ii", "inbound_nodes": []}, {"'
    'module": "keras.layers", "class_name": "Activation", "config": {"name": "inner_relu", "train'
    'able": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "f'
    'loat32"}, "registered_name": null}, "activation": "relu"}, "registered_name": null, "name": '
    '"inner_relu", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"sha'
    'pe": [null, 3], "dtype": "float32", "keras_history": ["ii", 0, 0]}}], "kwargs": {}}]}, {"mod'
    'ule": "keras.src.ops.numpy", "class_name": "Multiply", "config": {"name": "multiply"}, "regi'
    'stered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [{"class_name": "__'
    'keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["inner'
    '_relu", 0, 0]}}, 3.0], "kwargs": {}}]}], "input_layers": ["ii", 0, 0], "output_layers": ["mu'
    'ltiply", 0, 0]}, "registered_name": "Functional", "build_config": {"input_shape": null}, "co'
    'mpile_config": {}, "name": "inner", "inbound_nodes": [{"args": [{"class_name": "__keras_tens'
    'or__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["act", 0, 0]}}],'
    ' "kwargs": {"mask": null}}, {"args": [{"class_name": "__keras_tensor__", "config": {"shape":'
    ' [null, 3], "dtype": "float32", "keras_history": ["act", 1, 0]}}], "kwargs": {"mask": null}}'
    ']}, {"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "cat", "train'
    'able": true, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "f'
    'loat32"}, "registered_name": null}, "axis": -1}, "registered_name": null, "build_config": {"'
    'input_shape": [[null, 3], [null, 3]]}, "name": "cat", "inbound_nodes": [{"args": [[{"class_n'
    'ame": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history"'
    ': ["inner", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtyp'
    'e": "float32", "keras_history": ["inner", 1, 0]}}]], "kwargs": {}}]}, {"module": "keras.laye'
    'rs", "class_name": "Dropout", "config": {"name": "drop", "trainable": true, "dtype": {"modul'
    'e": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": '
    'null}, "rate": 0.5, "seed": null, "noise_shape": null}, "registered_name": null, "name": "dr'
    'op", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [nul'
    'l, 6], "dtype": "float32", "keras_history": ["cat", 0, 0]}}], "kwargs": {"training": false}}'
    ']}, {"module": "keras.src.ops.numpy", "class_name": "GetItem", "config": {"name": "get_item"'
    '}, "registered_name": "GetItem", "name": "get_item", "inbound_nodes": [{"args": [{"class_nam'
    'e": "__keras_tensor__", "config": {"shape": [null, 6], "dtype": "float32", "keras_history": '
    '["drop", 0, 0]}}, [{"class_name": "__slice__", "config": {"start": null, "stop": null, "step'
    '": null}}, {"class_name": "__slice__", "config": {"start": 0, "stop": 2, "step": null}}]], "'
    'kwargs": {}}]}, {"module": "keras.src.ops.numpy", "class_name": "Subtract", "config": {"name'
    '": "subtract"}, "registered_name": "Subtract", "name": "subtract", "inbound_nodes": [{"args"'
    ': [{"class_name": "__keras_tensor__", "config": {"shape": [null, 2], "dtype": "float32", "ke'
    'ras_history": ["get_item", 0, 0]}}, 1.0], "kwargs": {}}]}, {"module": "keras.src.ops.numpy",'
    ' "class_name": "Sum", "config": {"name": "sum", "axis": -1, "keepdims": false}, "registered_'
    'name": "Sum", "name": "sum", "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", '
    '"config": {"shape": [null, 6], "dtype": "float32", "keras_history": ["drop", 0, 0]}}], "kwar'
    'gs": {}}]}], "input_layers": [["a", 0, 0], ["b", 0, 0]], "output_layers": {"sum": ["sum", 0,'
    ' 0], "first": ["subtract", 0, 0]}}, "registered_name": "Functional", "build_config": {"input'
    '_shape": null}, "compile_config": {}}'
)

KERAS_MODEL_OUTPUTS_JSON = (
    '{"sum": [0.0, 12.650087356567383], "first": [[-1.0, -1.0], [-0.4078739881515503, 0.611148834'
    '2285156]]}'
)

KERAS_REFERENCE_CONFIG_JSON = (
    '{"name": "ref", "trainable": true, "input_layers": {"a": ["a", 0, 0], "b": ["b", 0, 0]}, "ou'
    'tput_layers": {"s": ["sum", 0, 0], "w": ["get_item", 0, 0]}, "layers": [{"module": "keras.la'
    'yers", "class_name": "InputLayer", "registered_name": null, "name": "a", "inbound_nodes": []'
    ', "config": {"batch_shape": [null, 4], "dtype": "float32", "sparse": false, "ragged": false,'
    ' "name": "a", "optional": false}}, {"module": "keras.layers", "class_name": "InputLayer", "r'
    'egistered_name": null, "name": "b", "inbound_nodes": [], "config": {"batch_shape": [null, 4]'
    ', "dtype": "float32", "sparse": false, "ragged": false, "name": "b", "optional": false}}, {"'
    'module": "keras.layers", "class_name": "Dense", "registered_name": null, "name": "shared", "'
    'inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 4],'
    ' "dtype": "float32", "keras_history": ["a", 0, 0]}}], "kwargs": {}}, {"args": [{"class_name"'
    ': "__keras_tensor__", "config": {"shape": [null, 4], "dtype": "float32", "keras_history": ["'
    'b", 0, 0]}}], "kwargs": {}}], "build_config": {"input_shape": [null, 4]}}, {"module": "keras'
    '.src.ops.numpy", "class_name": "Add", "registered_name": "Add", "name": "add", "inbound_node'
    's": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 3], "dtype": "f'
    'loat32", "keras_history": ["shared", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {'
    '"shape": [null, 3], "dtype": "float32", "keras_history": ["shared", 1, 0]}}], "kwargs": {}}]'
    ', "config": {"name": "add"}}, {"module": "keras.src.ops.numpy", "class_name": "Multiply", "r'
    'egistered_name": "Multiply", "name": "multiply", "inbound_nodes": [{"args": [{"class_name": '
    '"__keras_tensor__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["sh'
    'ared", 0, 0]}}, 2.0], "kwargs": {}}], "config": {"name": "multiply"}}, {"module": "keras.src'
    '.ops.numpy", "class_name": "Concatenate", "registered_name": "Concatenate", "name": "concate'
    'nate", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"shape": ['
    'null, 3], "dtype": "float32", "keras_history": ["add", 0, 0]}}, {"class_name": "__keras_tens'
    'or__", "config": {"shape": [null, 3], "dtype": "float32", "keras_history": ["multiply", 0, 0'
    ']}}]], "kwargs": {}}], "config": {"name": "concatenate", "axis": -1}}, {"module": "keras.lay'
    'ers", "class_name": "Dropout", "registered_name": null, "name": "drop", "inbound_nodes": [{"'
    'args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 6], "dtype": "float32"'
    ', "keras_history": ["concatenate", 0, 0]}}], "kwargs": {"training": false}}]}, {"module": "k'
    'eras.src.ops.numpy", "class_name": "Sum", "registered_name": "Sum", "name": "sum", "inbound_'
    'nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 6], "dtype"'
    ': "float32", "keras_history": ["concatenate", 0, 0]}}], "kwargs": {}}], "config": {"name": "'
    'sum", "axis": 1, "keepdims": true}}, {"module": "keras.src.ops.numpy", "class_name": "GetIte'
    'm", "registered_name": "GetItem", "name": "get_item", "inbound_nodes": [{"args": [{"class_na'
    'me": "__keras_tensor__", "config": {"shape": [null, 6], "dtype": "float32", "keras_history":'
    ' ["drop", 0, 0]}}, [{"class_name": "__slice__", "config": {"start": null, "stop": null, "ste'
    'p": null}}, {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": null}}]], '
    '"kwargs": {}}], "config": {"name": "get_item"}}], "keys": ["input_layers", "layers", "name",'
    ' "output_layers", "trainable"]}'
)


# ----------------------------------------------------------------------------------------------
# Input / InputLayer / KerasTensor
# ----------------------------------------------------------------------------------------------

def test_input_makes_a_keras_tensor_with_history():
    x = lamina.Input(shape=(3,), name="feat")
    assert isinstance(x, lamina.KerasTensor)
    assert x.shape == (None, 3) and x.dtype == "float32" and x.name == "feat"
    layer, node_index, tensor_index = x._keras_history
    assert isinstance(x._keras_history, KerasHistory)
    assert isinstance(layer, layers.InputLayer) and (node_index, tensor_index) == (0, 0)
    assert layer.output is x and layer.name == "feat" and layer.built
    assert layer._inbound_nodes[0].is_input
    assert lamina.Input((2, None), batch_size=8, dtype="int32").shape == (8, 2, None)
    y = lamina.Input(batch_shape=(4, 5), dtype="float16")
    assert y.shape == (4, 5) and y.dtype == "float16"
    assert y._keras_history.operation.batch_shape == (4, 5)
    assert y._keras_history.operation.dtype == "float16"
    assert lamina.layers.Input is lamina.Input


def test_input_errors():
    with pytest.raises(ValueError, match="both `shape` and `batch_shape`"):
        lamina.Input(shape=(3,), batch_shape=(None, 3))
    with pytest.raises(ValueError, match="both `batch_size` and `batch_shape`"):
        lamina.Input(batch_size=2, batch_shape=(2, 3))
    with pytest.raises(ValueError, match="You must pass a `shape` argument"):
        lamina.Input()
    with pytest.raises(ValueError, match="sparse=True"):
        lamina.Input((3,), sparse=True)
    with pytest.raises(ValueError, match="Negative dimensions"):
        lamina.Input((-1, 3))
    with pytest.raises(ValueError, match="invalid entry"):
        lamina.Input(("a",))
    with pytest.raises(ValueError, match="must be a KerasTensor"):
        layers.InputLayer(input_tensor=np.ones((2, 3)))


def test_input_wraps_an_existing_tensor():
    kt = lamina.KerasTensor((None, 6), dtype="int32")
    x = lamina.Input(tensor=kt)
    assert x is kt and x._keras_history.operation.batch_shape == (None, 6)
    with pytest.raises(ValueError, match="incompatible `dtype`"):
        lamina.Input(tensor=lamina.KerasTensor((None, 6)), dtype="int32")
    with pytest.raises(ValueError, match="incompatible `shape`"):
        lamina.Input(shape=(5,), tensor=lamina.KerasTensor((None, 6)))


def test_input_layer_config_round_trip():
    layer = layers.InputLayer(shape=(3, None), batch_size=2, dtype="int32", name="inp_cfg")
    config = layer.get_config()
    assert config == {"batch_shape": (2, 3, None), "dtype": "int32", "sparse": False,
                      "ragged": False, "name": "inp_cfg", "optional": False}
    clone = layers.InputLayer.from_config(json.loads(json.dumps(config)))
    assert clone.batch_shape == (2, 3, None) and clone.dtype == "int32"
    serialized = lamina.saving.serialize_keras_object(layer)
    assert serialized["module"] == "keras.layers" and serialized["class_name"] == "InputLayer"
    with pytest.warns(UserWarning, match="`input_shape` is deprecated"):
        legacy = layers.InputLayer(input_shape=(4,))
    assert legacy.batch_shape == (None, 4)


def test_keras_tensor_is_symbolic():
    x = lamina.KerasTensor((None, 3))
    with pytest.raises(TypeError, match="cannot be used as a boolean"):
        bool(x)
    with pytest.raises(ValueError, match="symbolic"):
        np.asarray(x)
    with pytest.raises(ValueError, match="symbolic"):
        float(x)
    with pytest.raises(AttributeError, match="immutable"):
        x.shape = (2, 3)
    with pytest.raises(ValueError, match="Cannot convert"):
        lamina.KerasTensor(None)
    assert "shape=(None, 3)" in repr(x)
    from lamina.backend.keras_tensor import is_keras_tensor

    assert is_keras_tensor(x) and not is_keras_tensor(ops.ones((2,)))


# ----------------------------------------------------------------------------------------------
# Symbolic calls of layers, operators and ops
# ----------------------------------------------------------------------------------------------

def test_layer_call_records_a_node_and_infers_shape_and_dtype():
    x = lamina.Input((5,))
    dense = layers.Dense(3)
    y = dense(x)
    assert isinstance(y, lamina.KerasTensor) and y.shape == (None, 3) and y.dtype == "float32"
    assert dense.built and dense.kernel.shape == (5, 3)
    assert y._keras_history == (dense, 0, 0)
    node = dense._inbound_nodes[0]
    assert node.input_tensors == [x] and node.outputs == [y] and node.call_args == (x,)
    assert dense.input is x and dense.output is y
    assert node in x._keras_history.operation._outbound_nodes
    tokens = lamina.Input((7,), dtype="int32")
    emb = layers.Embedding(10, 4)(tokens)
    assert emb.shape == (None, 7, 4) and emb.dtype == "float32"
    merged = layers.Concatenate()([y, lamina.Input((2,))])
    assert merged.shape == (None, 5)
    assert len(merged._keras_history.operation.input) == 2


def test_layer_input_output_errors():
    layer = layers.Dense(2, name="never_called")
    with pytest.raises(AttributeError, match="never_called has never been called"):
        layer.input
    with pytest.raises(AttributeError, match="has no defined output"):
        layer.output
    built = layers.Dense(3)
    built(lamina.Input((4,)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        built(lamina.Input((5,)))


def test_multi_output_layer():
    class Split(layers.Layer):
        def call(self, x):
            return x[:, :2], {"rest": x[:, 2:] * 2.0}

    x = lamina.Input((5,))
    first, second = Split()(x)
    assert first.shape == (None, 2) and second["rest"].shape == (None, 3)
    assert second["rest"]._keras_history.tensor_index == 1
    model = lamina.Model(x, [first, second["rest"]])
    data = _rand(3, 5)
    a, b = model(data)
    np.testing.assert_allclose(_np(a), data[:, :2])
    np.testing.assert_allclose(_np(b), data[:, 2:] * 2, rtol=1e-6)


def test_operators_on_keras_tensors():
    x = lamina.Input((4,))
    w = ops.convert_to_tensor(_rand(4, 2))
    cases = {
        "add": (x + 1.0, (None, 4), "float32"),
        "radd": (1.0 + x, (None, 4), "float32"),
        "sub": (2.0 - x, (None, 4), "float32"),
        "mul": (x * x, (None, 4), "float32"),
        "div": (x / 2.0, (None, 4), "float32"),
        "neg": (-x, (None, 4), "float32"),
        "abs": (abs(x), (None, 4), "float32"),
        "pow": (x ** 2, (None, 4), "float32"),
        "matmul": (x @ w, (None, 2), "float32"),
        "gt": (x > 0.5, (None, 4), "bool"),
        "getitem": (x[:, 1], (None,), "float32"),
        "slice": (x[:, 1:3], (None, 2), "float32"),
        "newaxis": (x[:, None, :], (None, 1, 4), "float32"),
        "numpy_left": (np.ones(4, dtype="float32") + x, (None, 4), "float32"),
        "tensor_left": (ops.ones((4,)) * x, (None, 4), "float32"),
    }
    for name, (kt, shape, dtype) in cases.items():
        assert isinstance(kt, lamina.KerasTensor), name
        assert kt.shape == shape and kt.dtype == dtype, (name, kt)
    ops_by_name = {name: kt._keras_history.operation for name, (kt, _, _) in cases.items()}
    assert ops_by_name["add"].fn_name == "add" and ops_by_name["div"].fn_name == "true_divide"
    assert ops_by_name["getitem"].class_name == "GetItem"
    outs = [kt for kt, _, _ in cases.values()]
    model = lamina.Model(x, outs)
    data = _rand(3, 4)
    got = model(data)
    wn = np.asarray(w)
    expected = [data + 1, 1 + data, 2 - data, data * data, data / 2, -data, np.abs(data),
                data ** 2, data @ wn, data > 0.5, data[:, 1], data[:, 1:3], data[:, None, :],
                1 + data, data]
    for g, e in zip(got, expected):
        np.testing.assert_allclose(np.asarray(g), e, rtol=1e-5, atol=1e-6)


def test_ops_on_keras_tensors():
    x = lamina.Input((6,))
    y = lamina.Input((6,))
    outs = {
        "cat": ops.concatenate([x, y], axis=-1),
        "relu": ops.relu(x),
        "sum": ops.sum(x * y, axis=1, keepdims=True),
        "mean": ops.mean(x, axis=-1),
        "reshape": ops.reshape(x, (-1, 2, 3)),
        "softmax": ops.softmax(y),
        "where": ops.where(x > 0, x, y),
        "clip": ops.clip(x, -0.5, 0.5),
        "stack": ops.stack([x, y], axis=1),
        "transpose": ops.transpose(ops.reshape(y, (-1, 2, 3)), (0, 2, 1)),
        "einsum": ops.einsum("bi,bi->b", x, y),
        "relu6": ops.relu6(y * 10.0),
    }
    a, b = ops.split(x, 2, axis=1)
    assert a.shape == (None, 3) and b.shape == (None, 3)
    outs["split"] = a - b
    expected_shapes = {"cat": (None, 12), "relu": (None, 6), "sum": (None, 1), "mean": (None,),
                       "reshape": (None, 2, 3), "softmax": (None, 6), "where": (None, 6),
                       "clip": (None, 6), "stack": (None, 2, 6), "transpose": (None, 3, 2),
                       "einsum": (None,), "relu6": (None, 6), "split": (None, 3)}
    assert {k: v.shape for k, v in outs.items()} == expected_shapes
    assert ops.shape(x) == (None, 6) and ops.ndim(x) == 2 and ops.dtype(x) == "float32"
    model = lamina.Model([x, y], outs)
    xn, yn = _rand(4, 6), _rand(4, 6)
    got = {k: np.asarray(v) for k, v in model([xn, yn]).items()}
    e = np.exp(yn - yn.max(-1, keepdims=True))
    ref = {
        "cat": np.concatenate([xn, yn], -1), "relu": np.maximum(xn, 0),
        "sum": (xn * yn).sum(1, keepdims=True), "mean": xn.mean(-1),
        "reshape": xn.reshape(-1, 2, 3), "softmax": e / e.sum(-1, keepdims=True),
        "where": np.where(xn > 0, xn, yn), "clip": np.clip(xn, -0.5, 0.5),
        "stack": np.stack([xn, yn], 1), "transpose": yn.reshape(-1, 2, 3).transpose(0, 2, 1),
        "einsum": (xn * yn).sum(-1), "relu6": np.clip(yn * 10, 0, 6),
        "split": xn[:, :3] - xn[:, 3:],
    }
    for k in ref:
        np.testing.assert_allclose(got[k], ref[k], rtol=1e-5, atol=1e-5, err_msg=k)


def test_ops_that_need_values_raise_type_error_naming_the_op():
    x = lamina.Input((3,))
    with pytest.raises(TypeError, match="convert_to_tensor"):
        ops.convert_to_tensor(x)
    with pytest.raises(TypeError, match="convert_to_numpy"):
        ops.convert_to_numpy(x)
    assert ops.is_tensor(x) is False
    with pytest.raises(TypeError, match="ops.zeros_like|cannot take a symbolic"):
        operation.symbolic_op("zeros", x)
    # Eager calls are untouched by the dispatch.
    np.testing.assert_allclose(_np(ops.add(ops.ones((2,)), 1.0)), [2.0, 2.0])
    with pytest.raises(ValueError):
        ops.add(ops.ones((2,)), ops.ones((3,)))


# ----------------------------------------------------------------------------------------------
# Functional models: numbers, structures, sharing, nesting
# ----------------------------------------------------------------------------------------------

def test_functional_matches_eager_composition():
    inputs = lamina.Input((6,))
    d1 = layers.Dense(8, activation="tanh")
    d2 = layers.Dense(3)
    outputs = d2(d1(inputs))
    model = lamina.Model(inputs=inputs, outputs=outputs, name="mlp_eq")
    assert isinstance(model, Functional) and isinstance(model, lamina.Model)
    assert model.name == "mlp_eq" and model.built
    data = _rand(5, 6)
    got = model(data)
    assert isinstance(got, lamina.Tensor) and got.shape == (5, 3) and got.dtype == "float32"
    np.testing.assert_array_equal(np.asarray(got), np.asarray(d2(d1(data))))
    k1, b1, k2, b2 = model.get_weights()
    np.testing.assert_allclose(_np(got), np.tanh(data @ k1 + b1) @ k2 + b2, rtol=1e-5, atol=1e-6)
    assert model.layers == [inputs._keras_history.operation, d1, d2]
    assert [w.path for w in model.weights] == [d1.kernel.path, d1.bias.path, d2.kernel.path,
                                              d2.bias.path]
    assert model.inputs == [inputs] and model.outputs == [outputs]
    assert model.input is inputs and model.output is outputs
    assert model.input_shape == (None, 6) and model.output_shape == (None, 3)
    assert model.count_params() == 6 * 8 + 8 + 8 * 3 + 3
    # Positional and keyword forms, and Functional itself.
    assert isinstance(lamina.Model(inputs, outputs), Functional)
    assert isinstance(Functional(inputs, outputs), Functional)


def test_list_and_dict_inputs_and_outputs():
    a = lamina.Input((3,), name="a_in")
    b = lamina.Input((2,), name="b_in")
    merged = layers.Concatenate()([a, b])
    out1 = layers.Dense(4)(merged)
    out2 = ops.sum(merged, axis=-1)
    an, bn = _rand(2, 3), _rand(2, 2)

    list_model = lamina.Model([a, b], [out1, out2])
    r = list_model([an, bn])
    assert isinstance(r, list) and r[0].shape == (2, 4) and r[1].shape == (2,)
    np.testing.assert_allclose(_np(r[1]), np.concatenate([an, bn], -1).sum(-1), rtol=1e-6)
    assert list_model.input_shape == [(None, 3), (None, 2)]
    assert list_model.output_shape == [(None, 4), (None,)]
    # A dict keyed by input names is accepted for a list-input model.
    r2 = list_model({"a_in": an, "b_in": bn})
    np.testing.assert_array_equal(np.asarray(r2[0]), np.asarray(r[0]))

    dict_model = lamina.Model({"a_in": a, "b_in": b}, {"dense": out1, "total": out2})
    r3 = dict_model({"b_in": bn, "a_in": an})
    assert set(r3) == {"dense", "total"}
    np.testing.assert_array_equal(np.asarray(r3["dense"]), np.asarray(r[0]))
    assert dict_model.output_shape == [(None, 4), (None,)]  # flat, sorted keys (as Keras)
    assert isinstance(dict_model.input, dict) and dict_model.output["total"] is out2

    tuple_model = lamina.Model((a, b), (out2, out1))
    r4 = tuple_model((an, bn))
    assert isinstance(r4, tuple) and r4[1].shape == (2, 4)
    # A one-element output list gives back the tensor itself (as Keras does).
    single = lamina.Model(a, [layers.Dense(2)(a)])
    assert isinstance(single(an), lamina.Tensor)
    with pytest.warns(UserWarning, match="keys in the dict must match"):
        lamina.Model({"other": a}, ops.sum(a, axis=-1))


def test_shared_layer_called_twice():
    a = lamina.Input((4,))
    b = lamina.Input((4,))
    shared = layers.Dense(3, name="shared_twice")
    ya, yb = shared(a), shared(b)
    out = layers.Subtract()([ya, yb])
    model = lamina.Model([a, b], out)
    assert len(shared._inbound_nodes) == 2
    assert yb._keras_history == (shared, 1, 0)
    assert shared.input is a and shared.output is ya
    assert len(model.weights) == 2 and model.count_params() == 15
    an, bn = _rand(2, 4), _rand(2, 4)
    k, bias = shared.get_weights()
    np.testing.assert_allclose(_np(model([an, bn])), (an - bn) @ k, rtol=1e-5, atol=1e-6)
    # The same layer at two depths (A(B(A(x)))) and its config round trip.
    x = lamina.Input((3,))
    f = layers.Dense(3, name="fa")
    g = layers.Dense(3, name="gb")
    deep = lamina.Model(x, f(g(f(x))))
    xn = _rand(2, 3)
    clone = lamina.Model.from_config(deep.get_config())
    clone.set_weights(deep.get_weights())
    np.testing.assert_allclose(_np(clone(xn)), _np(deep(xn)), rtol=1e-6)
    assert [lay.name for lay in clone.layers] == [lay.name for lay in deep.layers]


def test_nested_models_as_layers():
    inner_in = lamina.Input((3,))
    inner = lamina.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="inner_m")
    seq = lamina.Sequential([layers.Dense(5, name="seq_dense")], name="inner_seq")
    x = lamina.Input((3,))
    y = lamina.Input((3,))
    h = layers.Concatenate()([inner(x), inner(y)])
    out = seq(h)
    outer = lamina.Model([x, y], out, name="outer_m")
    assert [lay.name for lay in outer.layers][2:] == ["inner_m", outer.layers[3].name, "inner_seq"]
    assert len(outer.weights) == 4
    assert len(inner._inbound_nodes) == 2 and seq.built and seq.input_shape == (None, 4)
    xn, yn = _rand(2, 3), _rand(2, 3)
    ref = seq(np.concatenate([np.asarray(inner(xn)), np.asarray(inner(yn))], -1))
    np.testing.assert_allclose(_np(outer([xn, yn])), _np(ref), rtol=1e-6)
    clone = lamina.Model.from_config(json.loads(json.dumps(outer.get_config())))
    clone.set_weights(outer.get_weights())
    np.testing.assert_allclose(_np(clone([xn, yn])), _np(ref), rtol=1e-6)
    # A nested model's own output used as the outer model's output.
    direct = lamina.Model(x, inner(x))
    config = direct.get_config()
    assert config["output_layers"] == ["inner_m", 1, 0]  # functional models count a node first
    again = lamina.Model.from_config(config)
    again.set_weights(direct.get_weights())
    np.testing.assert_allclose(_np(again(xn)), _np(inner(xn)), rtol=1e-6)


def test_intermediate_tensors_as_inputs():
    x = lamina.Input((4,))
    d1 = layers.Dense(3, name="feat_d1")
    d2 = layers.Dense(2, name="head_d2")
    h = d1(x)
    y = d2(h)
    full = lamina.Model(x, y)
    head = lamina.Model(h, y)
    assert head.layers[0].name.endswith("CLONE") and head.layers[1] is d2
    assert head.input_shape == (None, 3)
    hn = _rand(2, 3)
    np.testing.assert_allclose(_np(head(hn)), _np(d2(hn)), rtol=1e-6)
    xn = _rand(2, 4)
    np.testing.assert_allclose(_np(full(xn)), _np(d2(d1(xn))), rtol=1e-6)


def test_layers_order_and_get_layer():
    p = lamina.Input((4,), name="p_in")
    q = lamina.Input((4,), name="q_in")
    z = layers.Dense(4, name="p_dense")(p) + q
    z = ops.concatenate([z * 2.0, p], axis=-1)
    model = lamina.Model({"p_in": p, "q_in": q}, {"w": z[:, 0], "s": ops.sum(z, axis=1)})
    # Keras 3's order: by depth from the inputs, ties in traversal order; ops are operations
    # but not layers.
    assert [lay.name for lay in model.layers] == ["p_in", "p_dense", "q_in"]
    assert [type(op).__name__ for op in model.operations][-4:] == ["Operation"] * 4
    assert model.get_layer("p_dense").name == "p_dense"
    assert model.get_layer(index=2).name == "q_in"
    with pytest.raises(ValueError, match="No such layer: nope. Existing layers are"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="Was asked to retrieve layer at index 7 but model only has 3"):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match="Provide only a layer name or a layer index"):
        model.get_layer("p_dense", 1)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index"):
        model.get_layer()
    with pytest.raises(AttributeError, match="reserved"):
        model.layers = []


def test_unused_input_stays_in_the_model():
    a = lamina.Input((2,), name="used_in")
    b = lamina.Input((2,), name="unused_in")
    model = lamina.Model([a, b], layers.Dense(1, name="uses_a")(a))
    assert [lay.name for lay in model.layers] == ["used_in", "unused_in", "uses_a"]  # as Keras
    out = model([_rand(3, 2), _rand(3, 2)])
    assert out.shape == (3, 1)


# ----------------------------------------------------------------------------------------------
# Calling: conversion, checks, training flag, masks
# ----------------------------------------------------------------------------------------------

def test_inputs_are_converted_and_checked():
    x = lamina.Input((3,), name="in3")
    model = lamina.Model(x, layers.Dense(2)(x), name="checked_model")
    assert model(np.ones((2, 3), dtype="float64")).dtype == "float32"
    assert model(np.array([[1, 2, 3]])).shape == (1, 2)
    with pytest.raises(ValueError, match="layer 'checked_model' is incompatible.*expected shape=\\(None, 3\\), found shape=\\(2, 4\\)"):
        model(np.ones((2, 4)))
    with pytest.raises(ValueError, match="checked_model"):
        model(np.ones((2, 3, 5)))
    tokens = lamina.Input((4,), dtype="int32")
    emb_model = lamina.Model(tokens, layers.Embedding(5, 2)(tokens))
    assert emb_model(np.array([[1.0, 2.0, 3.0, 4.0]])).shape == (1, 4, 2)
    # A trailing axis of size 1 is squeezed or added to match the input's rank.
    col = lamina.Input((1,))
    col_model = lamina.Model(col, col * 2.0)
    assert col_model(np.ones((5,), dtype="float32")).shape == (5, 1)
    flat = lamina.Input(())
    assert lamina.Model(flat, flat + 1.0)(np.ones((5, 1), dtype="float32")).shape == (5,)
    two = lamina.Model([x, col], layers.Concatenate()([x, col]))
    with pytest.raises(ValueError, match="expects 2 input"), pytest.warns(UserWarning, match="structure"):
        two([np.ones((2, 3)), np.ones((2, 1)), np.ones((2, 1))])


def test_optional_inputs():
    a = lamina.Input((2,), name="req_in")
    b = lamina.Input((2,), name="opt_in", optional=True)

    class AddIfPresent(layers.Layer):
        def call(self, x, y=None):
            return x if y is None else x + y

    model = lamina.Model([a, b], AddIfPresent()(a, b))
    an = _rand(2, 2)
    np.testing.assert_allclose(_np(model([an, None])), an)
    np.testing.assert_allclose(_np(model([an, an])), 2 * an, rtol=1e-6)
    with pytest.raises(ValueError, match="The input 'req_in' is not optional"):
        model([None, an])


def test_training_flag_reaches_layers():
    x = lamina.Input((200,))
    model = lamina.Model(x, layers.Dropout(0.5)(x))
    data = np.ones((4, 200), dtype="float32")
    np.testing.assert_array_equal(np.asarray(model(data)), data)  # inference by default
    np.testing.assert_array_equal(np.asarray(model(data, training=False)), data)
    trained = np.asarray(model(data, training=True))
    assert set(np.unique(trained)) <= {0.0, 2.0} and (trained == 0).any()
    # An explicit training=True recorded in the graph holds when the model's flag is None.
    y = lamina.Input((200,))
    always = lamina.Model(y, layers.Dropout(0.5)(y, training=True))
    assert (np.asarray(always(data)) == 0).any()
    np.testing.assert_array_equal(np.asarray(always(data, training=False)), data)


def test_masks_propagate_symbolically_and_eagerly():
    tokens = lamina.Input((5,), dtype="int32")
    emb = layers.Embedding(10, 3, mask_zero=True)(tokens)
    mask = emb._keras_mask
    assert isinstance(mask, lamina.KerasTensor) and mask.shape == (None, 5) and mask.dtype == "bool"
    seen = {}

    class MaskedMean(layers.Layer):
        def call(self, x, mask=None):
            seen["mask"] = None if mask is None else np.asarray(mask)
            w = ops.expand_dims(ops.cast(mask, x.dtype), -1)
            return ops.sum(x * w, axis=1) / ops.maximum(ops.sum(w, axis=1), 1.0)

        def compute_mask(self, x, mask=None):
            return None  # the mask is consumed here

    pooled = MaskedMean()(emb)
    assert pooled.shape == (None, 3)
    model = lamina.Model(tokens, pooled)
    data = np.array([[1, 2, 0, 0, 0], [3, 0, 0, 0, 0]], dtype="int32")
    got = np.asarray(model(data))
    np.testing.assert_array_equal(seen["mask"], data != 0)
    table = model.layers[1].get_weights()[0]
    ref = np.stack([table[[1, 2]].mean(0), table[[3]].mean(0)])
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    with pytest.warns(UserWarning, match="does not support masking"):
        layers.Flatten()(emb)


# ----------------------------------------------------------------------------------------------
# Errors at construction
# ----------------------------------------------------------------------------------------------

def test_disconnected_graph_names_the_missing_input():
    a = lamina.Input((3,), name="conn_a")
    b = lamina.Input((3,), name="missing_b")
    c = layers.Add()([a, b])
    with pytest.raises(ValueError, match="is not connected to `inputs`.*missing_b"):
        lamina.Model(a, c)
    with pytest.raises(ValueError, match="Output with path `y` is not connected"):
        lamina.Model(a, {"x": a * 1.0, "y": c})


def test_construction_errors():
    a = lamina.Input((3,), name="err_a")
    with pytest.raises(ValueError, match="All `inputs` values must be KerasTensors.*invalid value 3"):
        lamina.Model([a, 3], a)
    with pytest.raises(ValueError, match="All `outputs` values must be KerasTensors"):
        lamina.Model(a, np.ones(3))
    with pytest.raises(ValueError, match="`inputs` argument cannot be empty"):
        lamina.Model([], a)
    i1 = lamina.Input((3,), name="dup_name")
    i2 = lamina.Input((3,), name="dup_name")
    with pytest.raises(ValueError, match='The name "dup_name" is used 2 times in the model'):
        lamina.Model([i1, i2], layers.Add()([i1, i2]))
    with pytest.raises(ValueError, match="not part of a functional graph"):
        lamina.Model(lamina.KerasTensor((None, 3)), a)


# ----------------------------------------------------------------------------------------------
# Shapes, trainable, weights
# ----------------------------------------------------------------------------------------------

def test_compute_output_shape_and_spec():
    x = lamina.Input((None, 4))
    model = lamina.Model(x, layers.Dense(2)(x))
    assert model.compute_output_shape((None, 7, 4)) == (None, 7, 2)
    spec = model.compute_output_spec(lamina.KerasTensor((3, 5, 4)))
    assert spec.shape == (3, 5, 2) and spec.dtype == "float32"
    y = model(lamina.Input((6, 4)))  # a model called symbolically is a layer of a bigger graph
    assert y.shape == (None, 6, 2)


def test_trainable_false_and_weights():
    x = lamina.Input((3,))
    bn = layers.BatchNormalization()
    model = lamina.Model(x, layers.Dense(2)(bn(x)), trainable=False)
    assert model.trainable is False and model.trainable_weights == []
    assert len(model.non_trainable_weights) == 6
    model.trainable = True
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    new = [np.full(w.shape, i, dtype="float32") for i, w in enumerate(model.weights)]
    model.set_weights(new)
    for w, n in zip(model.get_weights(), new):
        np.testing.assert_array_equal(w, n)
    with pytest.raises(ValueError, match="expecting 6 weights"):
        model.set_weights(new[:2])


# ----------------------------------------------------------------------------------------------
# Config: round trips and Keras 3's schema
# ----------------------------------------------------------------------------------------------

def _reference_model():
    a = lamina.Input((4,), name="a")
    b = lamina.Input((4,), name="b")
    shared = layers.Dense(3, name="shared")
    x, y = shared(a), shared(b)
    z = ops.concatenate([x + y, x * 2.0], axis=-1)
    s = ops.sum(z, axis=1, keepdims=True)
    w = layers.Dropout(0.5, name="drop")(z)
    return lamina.Model({"a": a, "b": b}, {"s": s, "w": w[:, 1:3]}, name="ref")


def test_config_matches_keras_schema_key_by_key():
    naming.reset_uids()  # op names "add", "multiply"... as in a fresh Keras session
    model = _reference_model()
    config = json.loads(json.dumps(model.get_config()))
    ref = json.loads(KERAS_REFERENCE_CONFIG_JSON)
    assert sorted(config) == ref["keys"]
    for key in ("name", "trainable", "input_layers", "output_layers"):
        assert config[key] == ref[key], key
    assert len(config["layers"]) == len(ref["layers"])
    for got, want in zip(config["layers"], ref["layers"]):
        for key, value in want.items():
            assert got[key] == value, (want["name"], key)
    # Every layer entry has Keras' keys.
    for entry in config["layers"]:
        assert {"module", "class_name", "config", "registered_name", "name",
                "inbound_nodes"} <= set(entry)


def test_config_round_trip_gives_the_same_numbers():
    model = _reference_model()
    config = model.get_config()
    clone = lamina.Model.from_config(json.loads(json.dumps(config)))
    assert isinstance(clone, Functional)
    clone.set_weights(model.get_weights())
    inputs = {"a": _rand(3, 4), "b": _rand(3, 4)}
    got, want = clone(inputs), model(inputs)
    for k in ("s", "w"):
        np.testing.assert_allclose(_np(got[k]), _np(want[k]), rtol=1e-6)
    assert json.loads(json.dumps(clone.get_config()))["layers"][2]["inbound_nodes"] == \
        json.loads(json.dumps(config))["layers"][2]["inbound_nodes"]
    # Through the generic serializer and JSON too.
    again = lamina.saving.deserialize_keras_object(
        json.loads(json.dumps(lamina.saving.serialize_keras_object(model))))
    assert isinstance(again, Functional) and again.name == "ref"
    js = model.to_json()
    assert json.loads(js)["class_name"] == "Functional"
    assert isinstance(lamina.models.model_from_json(js), Functional)


def test_loads_a_keras3_functional_config():
    config = json.loads(KERAS_MODEL_JSON)
    model = lamina.saving.deserialize_keras_object(config)
    assert isinstance(model, Functional) and model.name == "kmodel"
    assert [lay.name for lay in model.layers] == ["a", "b", "act", "inner", "cat", "drop"]
    xa = np.linspace(-1, 1, 6).reshape(2, 3).astype("float32")
    xb = np.linspace(-2, 3, 6).reshape(2, 3).astype("float32")
    got = model([xa, xb])
    want = json.loads(KERAS_MODEL_OUTPUTS_JSON)
    for k in ("sum", "first"):
        np.testing.assert_allclose(_np(got[k]), np.array(want[k]), rtol=1e-5, atol=1e-6)
    # And writes it back the way Keras wrote it.
    written = json.loads(json.dumps(model.get_config()))
    for got_layer, want_layer in zip(written["layers"], config["config"]["layers"]):
        assert got_layer["inbound_nodes"] == want_layer["inbound_nodes"], want_layer["name"]
        assert got_layer["class_name"] == want_layer["class_name"]
    assert written["input_layers"] == config["config"]["input_layers"]
    assert written["output_layers"] == config["config"]["output_layers"]


def test_invalid_config_errors():
    model = _reference_model()
    config = json.loads(json.dumps(model.get_config()))
    broken = json.loads(json.dumps(config))
    broken["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "ghost"
    with pytest.raises(ValueError, match="Unknown layer: ghost"):
        lamina.Model.from_config(broken)
    looped = json.loads(json.dumps(config))
    looped["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["shared", 5, 0]
    with pytest.raises(ValueError, match="either has loops or disconnected nodes"):
        lamina.Model.from_config(looped)
