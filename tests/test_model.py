"""lamina.Model: the Functional dispatch, subclassed models (tracking, weights, build, config),
Functional subclasses, weights order, losses, to_json, pickling, and training a functional
model with a GradientTape loop."""

import json
import pickle

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.models.functional import Functional

RNG = np.random.default_rng(2)


def _np(x):
    return np.asarray(x, dtype="float64")


def _rand(*shape):
    return RNG.standard_normal(shape).astype("float32")


class TwoLayer(lamina.Model):
    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = layers.Dense(units, activation="relu")
        self.heads = [layers.Dense(2), layers.Dense(1)]
        self.dropout = layers.Dropout(0.5)

    def call(self, x, training=False):
        h = self.dropout(self.hidden(x), training=training)
        return self.heads[1](self.heads[0](h))

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def test_model_dispatches_to_functional():
    x = lamina.Input((3,))
    y = layers.Dense(2)(x)
    for model in (lamina.Model(x, y), lamina.Model(inputs=x, outputs=y),
                  lamina.Model(x, outputs=y), lamina.models.Model(x, y)):
        assert type(model) is Functional and isinstance(model, lamina.Model)
    sub = TwoLayer()
    assert type(sub) is TwoLayer and not isinstance(sub, Functional)
    assert sub.compiled is False and sub.optimizer is None  # Trainer.__init__ ran


def test_subclassed_model_tracks_layers_and_weights():
    model = TwoLayer(4, name="two_layer")
    assert model.layers == [model.hidden, model.heads[0], model.heads[1], model.dropout]
    assert not model.built and model.weights == []
    data = _rand(5, 6)
    out = model(data)
    assert out.shape == (5, 1) and model.built
    assert len(model.weights) == 6 and len(model.trainable_variables) == 6
    assert model.weights[0].path == "two_layer/" + model.hidden.name + "/kernel"
    k1, b1, k2, b2, k3, b3 = model.get_weights()
    ref = (np.maximum(data @ k1 + b1, 0) @ k2 + b2) @ k3 + b3
    np.testing.assert_allclose(_np(out), ref, rtol=1e-5, atol=1e-6)
    trained = np.asarray(model(data, training=True))
    assert not np.allclose(trained, np.asarray(out)) or np.all(ref == 0)
    assert model.get_layer(index=0) is model.hidden
    assert model.get_layer(model.dropout.name) is model.dropout
    with pytest.raises(AttributeError, match="reserved"):
        model.layers = []
    assert model.get_build_config() == {"input_shape": (5, 6)}
    assert model.count_params() == 6 * 4 + 4 + 4 * 2 + 2 + 2 + 1


def test_subclassed_config_round_trip_and_build_from_config():
    model = TwoLayer(5, name="cfg_model")
    model(_rand(2, 3))
    config = model.get_config()
    assert config["units"] == 5 and config["name"] == "cfg_model"
    clone = TwoLayer.from_config(config)
    assert clone.units == 5 and not clone.built
    clone.build_from_config(model.get_build_config())
    assert clone.built and len(clone.weights) == 6  # built by running call on placeholders
    clone.set_weights(model.get_weights())
    data = _rand(4, 3)
    np.testing.assert_allclose(_np(clone(data)), _np(model(data)), rtol=1e-6)
    serialized = lamina.saving.serialize_keras_object(model)
    assert serialized["build_config"] == {"input_shape": (2, 3)}

    class NoKwargs(lamina.Model):
        def __init__(self, units=2):
            super().__init__()
            self.dense = layers.Dense(units)

        def call(self, x):
            return self.dense(x)

    with pytest.raises(TypeError, match="Unable to revive model from config"):
        NoKwargs.from_config(NoKwargs().get_config())


def test_build_of_a_subclassed_model_does_not_run_call():
    model = TwoLayer()
    with pytest.warns(UserWarning, match="does not have a `build\\(\\)` method implemented"):
        model.build((None, 4))
    assert model.built and model.weights == []  # as Keras 3: sublayers build on first call
    model(_rand(1, 4))
    assert len(model.weights) == 6


def test_model_without_call():
    class Empty(lamina.Model):
        pass

    with pytest.raises(NotImplementedError, match="Model Empty does not have a `call\\(\\)` method"):
        Empty()(np.ones((1, 2)))


def test_functional_subclass_gets_functional_behaviour():
    class Block(lamina.Model):
        def __init__(self, units=2, **kwargs):
            inputs = lamina.Input((3,))
            outputs = layers.Dense(units)(inputs)
            super().__init__(inputs, outputs, **kwargs)

    block = Block(4, name="blk")
    assert isinstance(block, Functional) and block.name == "blk"
    assert block.output_shape == (None, 4) and len(block.layers) == 2
    assert block(np.ones((2, 3))).shape == (2, 4)
    again = Block.from_config(block.get_config())
    assert isinstance(again, Block) and again.name == "blk"


def test_weights_order_matches_keras_for_nested_models():
    inner_in = lamina.Input((2,))
    inner = lamina.Model(inner_in, layers.Dense(3, name="w_inner")(inner_in))
    x = lamina.Input((2,))
    h = layers.Dense(2, name="w_first")(x)
    out = layers.Dense(1, name="w_last")(inner(h))
    model = lamina.Model(x, out)
    assert [w.path for w in model.weights] == [
        "w_first/kernel", "w_first/bias", "w_inner/kernel", "w_inner/bias", "w_last/kernel",
        "w_last/bias"]
    values = model.get_weights()
    assert [v.shape for v in values] == [(2, 2), (2,), (2, 3), (3,), (3, 1), (1,)]


def test_losses_are_collected_from_the_graph():
    x = lamina.Input((3,))
    dense = layers.Dense(2, kernel_regularizer="l2", activity_regularizer="l1")
    model = lamina.Model(x, dense(x))
    data = np.ones((4, 3), dtype="float32")
    out = model(data)
    losses = model.losses
    assert len(losses) == 2
    kernel = dense.get_weights()[0]
    expected = {round(float(0.01 * np.abs(np.asarray(out)).sum() / 4), 5),
                round(float(0.01 * (kernel ** 2).sum()), 5)}
    assert {round(float(np.asarray(v)), 5) for v in losses} == expected
    model(data)
    assert len(model.losses) == 2  # cleared at each call


def test_training_a_functional_model_with_a_gradient_tape():
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((64, 3)).astype("float32")
    true_w = np.array([[1.5], [-2.0], [0.5]], dtype="float32")
    ys = xs @ true_w + 0.3
    x = lamina.Input((3,))
    hidden = layers.Dense(8, activation="tanh")(x)
    model = lamina.Model(x, layers.Dense(1)(hidden))

    def loss_value():
        return ops.mean(ops.square(model(xs) - ys))

    # One gradient checked against finite differences of the model's own loss.
    with lamina.GradientTape() as tape:
        loss = loss_value()
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == 4
    bias = model.trainable_variables[3]
    base = float(np.asarray(loss))
    old = np.asarray(bias.numpy()).copy()
    eps = 1e-3
    bias.assign(old + eps)
    numeric = (float(np.asarray(loss_value())) - base) / eps
    bias.assign(old)
    np.testing.assert_allclose(float(np.asarray(grads[3])[0]), numeric, rtol=0.02, atol=1e-3)

    first = base
    for _ in range(150):
        with lamina.GradientTape() as tape:
            loss = loss_value()
        grads = tape.gradient(loss, model.trainable_variables)
        for v, g in zip(model.trainable_variables, grads):
            v.assign_sub(0.1 * np.asarray(g))
    final = float(np.asarray(loss_value()))
    assert final < 0.05 * first


def test_to_json_and_model_from_json():
    model = lamina.Sequential([lamina.Input((3,)), layers.Dense(2, name="json_dense")],
                              name="json_seq")
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    assert "  " in model.to_json(indent=2)
    clone = lamina.models.model_from_json(text)
    assert isinstance(clone, lamina.Sequential) and clone.name == "json_seq"
    assert clone.layers[0].name == "json_dense" and clone.built


def test_pickle_round_trip():
    x = lamina.Input((3,))
    model = lamina.Model(x, layers.Dense(2)(x), name="pickled")
    clone = pickle.loads(pickle.dumps(model))
    assert isinstance(clone, Functional) and clone.name == "pickled"
    data = _rand(2, 3)
    np.testing.assert_allclose(_np(clone(data)), _np(model(data)), rtol=1e-6)
