"""The examples of ../shared/seeds/*.txt (the Keras 3 / tf.keras `Layer` pages and the custom-layer
tutorials), run as written with `keras`/`tf.keras` replaced by `lamina`:

    keras.layers.Layer -> lamina.layers.Layer        keras.ops / tf.matmul / tf.reduce_sum /
    tf.ones / tf.zeros / tf.nn.relu -> lamina.ops    tf.Variable(...) -> lamina.Variable(...)
    tf.random_normal_initializer() -> lamina.initializers.RandomNormal()
    tf.zeros_initializer() -> lamina.initializers.Zeros()

Each test keeps the seed's own asserts/prints and adds value checks against numpy.

Not covered here (they need lamina.Model / lamina.Input / Sequential / built-in layers /
metrics / fit, which are later issues): `Model.add_loss` on a functional model (seed 002, both
examples), `add_metric` (seed 002, three examples), the built-in layer snippets of seed 004
(Dense, Activation, Embedding, Input, `model.add(...)`), and the "Model class" section of seed 003
(fit/evaluate/predict/save).
"""

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.layers import Layer


def _np(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


# ------------------------------------------------------------------------------------------------
# Seed 000 (Keras 3 `keras.layers.Layer` page) / seed 002 (tf.keras page): SimpleDense
# ------------------------------------------------------------------------------------------------


class SimpleDense(Layer):
    """Seed 000, Keras 3 version: add_weight in build()."""

    def __init__(self, units=32):
        super().__init__()
        self.units = units

    # Create the state of the layer (weights)
    def build(self, input_shape):
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=True,
            name="kernel",
        )
        self.bias = self.add_weight(
            shape=(self.units,),
            initializer="zeros",
            trainable=True,
            name="bias",
        )

    # Defines the computation
    def call(self, inputs):
        return ops.matmul(inputs, self.kernel) + self.bias


def test_seed000_simple_dense_add_weight():
    # Instantiates the layer.
    linear_layer = SimpleDense(4)
    # This will also call `build(input_shape)` and create the weights.
    y = linear_layer(ops.ones((2, 2)))
    assert len(linear_layer.weights) == 2
    # These weights are trainable, so they're listed in `trainable_weights`:
    assert len(linear_layer.trainable_weights) == 2

    assert linear_layer.built
    assert linear_layer.weights[0] is linear_layer.kernel
    assert linear_layer.weights[1] is linear_layer.bias
    assert linear_layer.kernel.shape == (2, 4) and linear_layer.bias.shape == (4,)
    assert linear_layer.kernel.path == f"{linear_layer.name}/kernel"
    assert linear_layer.bias.path == f"{linear_layer.name}/bias"
    k = _np(linear_layer.kernel)
    limit = np.sqrt(6.0 / (2 + 4))  # glorot_uniform
    assert np.all(np.abs(k) <= limit) and np.any(k != 0)
    np.testing.assert_array_equal(_np(linear_layer.bias), np.zeros(4, "float32"))
    assert y.shape == (2, 4) and y.dtype == "float32"
    np.testing.assert_allclose(_np(y), np.ones((2, 2), "float32") @ k, rtol=1e-6)


class SimpleDenseTFVariable(Layer):
    """Seed 002, first tf.keras version: tf.Variable with tf initializers in build()."""

    def __init__(self, units=32):
        super(SimpleDenseTFVariable, self).__init__()
        self.units = units

    def build(self, input_shape):  # Create the state of the layer (weights)
        w_init = lamina.initializers.RandomNormal()
        self.w = lamina.Variable(
            w_init(shape=(input_shape[-1], self.units), dtype="float32"),
            trainable=True,
        )
        b_init = lamina.initializers.Zeros()
        self.b = lamina.Variable(
            b_init(shape=(self.units,), dtype="float32"),
            trainable=True,
        )

    def call(self, inputs):  # Defines the computation from inputs to outputs
        return ops.matmul(inputs, self.w) + self.b


def test_seed002_simple_dense_tf_variable():
    # Instantiates the layer.
    linear_layer = SimpleDenseTFVariable(4)
    # This will also call `build(input_shape)` and create the weights.
    y = linear_layer(ops.ones((2, 2)))
    assert len(linear_layer.weights) == 2
    # These weights are trainable, so they're listed in `trainable_weights`:
    assert len(linear_layer.trainable_weights) == 2

    assert linear_layer.weights == [linear_layer.w, linear_layer.b]
    assert linear_layer.non_trainable_weights == []
    w, b = _np(linear_layer.w), _np(linear_layer.b)
    assert w.shape == (2, 4) and b.shape == (4,)
    assert np.all(np.abs(w) < 0.05 * 6)  # RandomNormal(stddev=0.05)
    np.testing.assert_array_equal(b, np.zeros(4, "float32"))
    np.testing.assert_allclose(_np(y), np.ones((2, 2), "float32") @ w + b, rtol=1e-6)


class SimpleDenseShortcut(Layer):
    """Seed 002, second tf.keras version: the add_weight() shortcut, random_normal for both."""

    def __init__(self, units=32):
        super(SimpleDenseShortcut, self).__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,),
                                 initializer="random_normal",
                                 trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


def test_seed002_simple_dense_add_weight_shortcut():
    linear_layer = SimpleDenseShortcut(4)
    y = linear_layer(ops.ones((2, 2)))
    assert len(linear_layer.weights) == 2
    assert len(linear_layer.trainable_weights) == 2
    w, b = _np(linear_layer.w), _np(linear_layer.b)
    assert np.any(b != 0)  # random_normal bias, not zeros
    np.testing.assert_allclose(_np(y), np.ones((2, 2), "float32") @ w + b, rtol=1e-6)


# ------------------------------------------------------------------------------------------------
# ComputeSum: non-trainable weights
# ------------------------------------------------------------------------------------------------


class ComputeSumAddWeight(Layer):
    """Seed 000 (Keras 3): a scalar non-trainable total created with add_weight."""

    def __init__(self, input_dim):
        super(ComputeSumAddWeight, self).__init__()
        # Create a non-trainable weight.
        self.total = self.add_weight(
            shape=(),
            initializer="zeros",
            trainable=False,
            name="total",
        )

    def call(self, inputs):
        self.total.assign(self.total + ops.sum(inputs))
        return self.total


def test_seed000_compute_sum_add_weight():
    my_sum = ComputeSumAddWeight(2)
    x = ops.ones((2, 2))
    y = my_sum(x)

    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []

    assert float(_np(y)) == 4.0
    y = my_sum(x)
    assert float(_np(y)) == 8.0
    assert my_sum.total.shape == () and my_sum.total.dtype == "float32"
    assert my_sum.total.trainable is False


class ComputeSumTFVariable(Layer):
    """Seeds 002 and 004 (tf.keras): a (input_dim,) non-trainable tf.Variable total."""

    def __init__(self, input_dim):
        super(ComputeSumTFVariable, self).__init__()
        # Create a non-trainable weight.
        self.total = lamina.Variable(ops.zeros((input_dim,)), trainable=False)

    def call(self, inputs):
        self.total.assign_add(ops.sum(inputs, axis=0))
        return self.total


def test_seed002_compute_sum_tf_variable(capsys):
    my_sum = ComputeSumTFVariable(2)
    x = ops.ones((2, 2))
    y = my_sum(x)
    print(y.numpy())  # [2. 2.]
    np.testing.assert_array_equal(_np(y), [2.0, 2.0])
    y = my_sum(x)
    print(y.numpy())  # [4. 4.]
    np.testing.assert_array_equal(_np(y), [4.0, 4.0])
    assert capsys.readouterr().out.split("\n")[:2] == ["[2. 2.]", "[4. 4.]"]

    assert my_sum.weights == [my_sum.total]
    assert my_sum.non_trainable_weights == [my_sum.total]
    assert my_sum.trainable_weights == []


def test_seed004_compute_sum_weight_counts(capsys):
    x = ops.ones((2, 2))
    my_sum = ComputeSumTFVariable(2)
    y = my_sum(x)
    print(y.numpy())
    y = my_sum(x)
    print(y.numpy())
    print("weights:", len(my_sum.weights))
    print("non-trainable weights:", len(my_sum.non_trainable_weights))
    # It's not included in the trainable weights:
    print("trainable_weights:", my_sum.trainable_weights)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[2. 2.]",
        "[4. 4.]",
        "weights: 1",
        "non-trainable weights: 1",
        "trainable_weights: []",
    ]


# ------------------------------------------------------------------------------------------------
# Seed 001: the Keras-2 style MyLayer (attributes set before super().__init__(**kwargs),
# super().build(input_shape), initializer 'uniform', compute_output_shape)
# ------------------------------------------------------------------------------------------------


class MyLayer(Layer):
    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super(MyLayer, self).__init__(**kwargs)

    def build(self, input_shape):
        # create a trainable weight variable for this layer.
        self.kernel = self.add_weight(name="kernel",
                                      shape=(input_shape[1], self.output_dim),
                                      initializer="uniform",
                                      trainable=True)
        super(MyLayer, self).build(input_shape)  # be sure to call this somewhere!

    def call(self, x):
        return ops.matmul(x, self.kernel)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.output_dim)


def test_seed001_keras2_style_mylayer():
    layer = MyLayer(3, name="my_keras2_layer")
    assert layer.name == "my_keras2_layer"
    assert layer.output_dim == 3
    assert not layer.built
    x = np.arange(8, dtype="float32").reshape(4, 2)
    y = layer(x)
    assert layer.built
    assert y.shape == (4, 3)
    assert layer.compute_output_shape((4, 2)) == (4, 3)
    assert layer.trainable_weights == [layer.kernel]
    k = _np(layer.kernel)
    assert k.shape == (2, 3)
    # 'uniform' is RandomUniform(minval=-0.05, maxval=0.05).
    assert np.all(k >= -0.05) and np.all(k < 0.05) and np.any(k != 0)
    np.testing.assert_allclose(_np(y), x @ k, rtol=1e-5, atol=1e-7)
    assert layer.kernel.path == "my_keras2_layer/kernel"


# ------------------------------------------------------------------------------------------------
# add_loss inside call (seed 000 Keras 3 and seed 002 tf.keras examples)
# ------------------------------------------------------------------------------------------------


class SumLossLayer(Layer):
    """Seed 000: `self.add_loss(ops.sum(x))`."""

    def call(self, x):
        self.add_loss(ops.sum(x))
        return x


class AbsMeanLossLayer(Layer):
    """Seed 002: `self.add_loss(tf.abs(tf.reduce_mean(inputs)))`."""

    def call(self, inputs):
        self.add_loss(ops.abs(ops.mean(inputs)))
        return inputs


def test_seed000_add_loss_in_call():
    layer = SumLossLayer()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = layer(x)
    np.testing.assert_array_equal(_np(y), x)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(_np(layer.losses[0]), 15.0)
    # A new top-level call clears the previous call's losses.
    layer(ops.ones((2, 2)))
    assert len(layer.losses) == 1
    np.testing.assert_allclose(_np(layer.losses[0]), 4.0)


def test_seed002_add_loss_abs_mean():
    layer = AbsMeanLossLayer()
    x = -np.arange(1, 7, dtype="float32").reshape(2, 3)
    layer(x)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(_np(layer.losses[0]), 3.5, rtol=1e-6)
    layer(x * 2)
    assert len(layer.losses) == 1
    np.testing.assert_allclose(_np(layer.losses[0]), 7.0, rtol=1e-6)


def test_seed_add_loss_sublayer_losses_cleared_per_outer_call():
    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = SumLossLayer()

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(ops.ones((2, 2)))
    assert [float(_np(v)) for v in outer.losses] == [4.0]
    outer(ops.ones((3, 2)))
    assert [float(_np(v)) for v in outer.losses] == [6.0]


# ------------------------------------------------------------------------------------------------
# Activity regularization (seed 003 / 004: `activity_regularizer=...`, regularizers by name)
# ------------------------------------------------------------------------------------------------


class IdentityLayer(Layer):
    """A layer that passes the input through; the activity regularizer adds its loss."""

    def __init__(self, activity_regularizer, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)

    def call(self, inputs):
        return inputs


def test_seed004_activity_regularization():
    layer = IdentityLayer(activity_regularizer=lamina.regularizers.L2(1e-5))
    x = np.arange(12, dtype="float32").reshape(4, 3)
    layer(x)
    assert len(layer.losses) == 1
    expected = 1e-5 * np.sum(x.astype("float64") ** 2) / 4  # divided by the batch size
    np.testing.assert_allclose(float(_np(layer.losses[0])), expected, rtol=1e-5)
    # A new call replaces the loss.
    layer(x[:2])
    assert len(layer.losses) == 1
    np.testing.assert_allclose(float(_np(layer.losses[0])),
                               1e-5 * np.sum(x[:2].astype("float64") ** 2) / 2, rtol=1e-5)


def test_seed004_weight_regularizers_l1_l2_and_by_name():
    class RegDense(Layer):
        def __init__(self, units, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.kernel = self.add_weight(
                shape=(input_shape[-1], self.units), initializer="ones",
                regularizer=lamina.regularizers.l1_l2(l1=1e-5, l2=1e-4), name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="ones",
                                        regularizer="l2", name="bias")

        def call(self, x):
            return ops.matmul(x, self.kernel) + self.bias

    layer = RegDense(4)
    layer(ops.ones((2, 3)))
    losses = [float(_np(v)) for v in layer.losses]
    # kernel: 12 ones -> l1 * 12 + l2 * 12; bias: "l2" is L2(0.01) -> 0.01 * 4.
    np.testing.assert_allclose(losses, [1e-5 * 12 + 1e-4 * 12, 0.01 * 4], rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# Seeds 003 / 004: Linear (tf.Variable in __init__, add_weight in __init__, lazy build) and
# MLPBlock (layers are recursively composable)
# ------------------------------------------------------------------------------------------------


class LinearInitVariables(Layer):
    def __init__(self, units=32, input_dim=32):
        super(LinearInitVariables, self).__init__()
        w_init = lamina.initializers.RandomNormal()
        self.w = lamina.Variable(
            w_init(shape=(input_dim, units), dtype="float32"),
            trainable=True,
        )
        b_init = lamina.initializers.Zeros()
        self.b = lamina.Variable(
            b_init(shape=(units,), dtype="float32"), trainable=True
        )

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class LinearInitAddWeight(Layer):
    def __init__(self, units=32, input_dim=32):
        super(LinearInitAddWeight, self).__init__()
        self.w = self.add_weight(
            shape=(input_dim, units), initializer="random_normal", trainable=True
        )
        self.b = self.add_weight(shape=(units,), initializer="zeros", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


@pytest.mark.parametrize("cls", [LinearInitVariables, LinearInitAddWeight])
def test_seed003_linear_weights_in_init(cls):
    x = ops.ones((2, 2))
    linear_layer = cls(4, 2)
    assert len(linear_layer.weights) == 2  # created in __init__, before any call
    y = linear_layer(x)
    print(y)
    assert y.shape == (2, 4) and y.dtype == "float32"
    w, b = _np(linear_layer.w), _np(linear_layer.b)
    np.testing.assert_allclose(_np(y), np.ones((2, 2), "float32") @ w + b, rtol=1e-6)
    # Both rows are equal (the input rows are equal).
    np.testing.assert_array_equal(_np(y)[0], _np(y)[1])
    assert linear_layer.trainable_weights == [linear_layer.w, linear_layer.b]


class Linear(Layer):
    """Seed 004: weights created in build() once the input shape is known.

    (The seed's `shape=(self.units_)` is a typo for `shape=(self.units,)`.)
    """

    def __init__(self, units=32):
        super(Linear, self).__init__()
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal",
                                 trainable=True)
        self.b = self.add_weight(shape=(self.units,), initializer="random_normal", trainable=True)

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class MLPBlock(Layer):
    def __init__(self):
        super(MLPBlock, self).__init__()
        self.linear_1 = Linear(32)
        self.linear_2 = Linear(32)
        self.linear_3 = Linear(1)

    def call(self, inputs):
        x = self.linear_1(inputs)
        x = ops.relu(x)
        x = self.linear_2(x)
        x = ops.relu(x)
        return self.linear_3(x)


def test_seed004_linear_deferred_build():
    linear_layer = Linear(32)
    assert linear_layer.weights == []
    x = np.random.default_rng(0).normal(size=(3, 5)).astype("float32")
    y = linear_layer(x)
    assert linear_layer.w.shape == (5, 32) and linear_layer.b.shape == (32,)
    np.testing.assert_allclose(_np(y), x @ _np(linear_layer.w) + _np(linear_layer.b),
                               rtol=1e-5, atol=1e-6)


def test_seed004_mlp_block(capsys):
    mlp = MLPBlock()
    assert mlp.weights == []  # sublayers are built lazily
    y = mlp(ops.ones(shape=(3, 64)))
    print("weights:", len(mlp.weights))
    print("trainable weights:", len(mlp.trainable_weights))
    assert capsys.readouterr().out.splitlines() == ["weights: 6", "trainable weights: 6"]

    # Keras 3 order: each sublayer's weights in attribute order.
    expected = [mlp.linear_1.w, mlp.linear_1.b, mlp.linear_2.w, mlp.linear_2.b,
                mlp.linear_3.w, mlp.linear_3.b]
    assert len(mlp.weights) == 6
    assert all(a is b for a, b in zip(mlp.weights, expected))
    assert [tuple(v.shape) for v in mlp.weights] == [(64, 32), (32,), (32, 32), (32,), (32, 1),
                                                     (1,)]
    assert mlp.layers == [mlp.linear_1, mlp.linear_2, mlp.linear_3]
    # Sublayers built inside the block's call get paths under the block's name.
    assert mlp.linear_1.w.path.startswith(f"{mlp.name}/{mlp.linear_1.name}/")

    # Value check against numpy.
    w = [_np(v).astype("float64") for v in mlp.weights]
    h = np.ones((3, 64))
    h = np.maximum(h @ w[0] + w[1], 0)
    h = np.maximum(h @ w[2] + w[3], 0)
    ref = h @ w[4] + w[5]
    assert y.shape == (3, 1)
    np.testing.assert_allclose(_np(y), ref, rtol=1e-4, atol=1e-5)


# ------------------------------------------------------------------------------------------------
# The `training` argument reaches nested layers (seed 000: reserved keyword argument `training`)
# ------------------------------------------------------------------------------------------------


class CustomDropout(Layer):
    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seen = []

    def call(self, inputs, training=None):
        self.seen.append(training)
        if training:
            return lamina.random.dropout(inputs, rate=self.rate, seed=1337)
        return inputs


class MLPWithDropout(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear = Linear(8)
        self.dropout = CustomDropout(0.5)

    def call(self, inputs):
        return self.dropout(self.linear(inputs))


def test_seed_training_argument_propagates_to_nested_layer():
    block = MLPWithDropout()
    x = np.random.default_rng(1).normal(size=(16, 4)).astype("float32")
    y_inf = block(x)
    y_inf2 = block(x, training=False)
    y_train = block(x, training=True)
    assert block.dropout.seen == [None, False, True]

    ref = _np(block.linear(x))
    np.testing.assert_allclose(_np(y_inf), ref, rtol=1e-6)
    np.testing.assert_allclose(_np(y_inf2), ref, rtol=1e-6)
    yt = _np(y_train)
    dropped = yt == 0
    assert dropped.any() and (~dropped).any()
    # Kept units are scaled by 1 / (1 - rate).
    np.testing.assert_allclose(yt[~dropped], ref[~dropped] * 2.0, rtol=1e-5)


# ------------------------------------------------------------------------------------------------
# dtype (seed 000: `dtype` argument, `keras.config.dtype_policy()`, DTypePolicy)
# ------------------------------------------------------------------------------------------------


class DenseKw(Layer):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones",
                                      name="kernel")

    def call(self, inputs):
        return ops.matmul(inputs, self.kernel)


def test_seed000_layer_dtype_float64():
    layer = DenseKw(2, dtype="float64")
    assert layer.dtype == "float64"
    assert layer.variable_dtype == "float64"
    assert layer.compute_dtype == "float64"
    assert layer.dtype_policy.name == "float64"
    x = np.arange(6, dtype="float32").reshape(3, 2)
    y = layer(x)  # float inputs are cast to the compute dtype
    assert layer.kernel.dtype == "float64"
    assert y.dtype == "float64"
    np.testing.assert_array_equal(_np(y), x.astype("float64") @ np.ones((2, 2)))


def test_seed000_layer_dtype_policy_object_and_global_default():
    assert lamina.config.dtype_policy().name == "float32"
    layer = DenseKw(2)
    assert layer.dtype_policy.name == "float32"
    assert layer.dtype == "float32"
    layer = DenseKw(2, dtype=lamina.DTypePolicy("mixed_float16"))
    assert layer.compute_dtype == "float16"
    assert layer.variable_dtype == "float32"
    assert layer.dtype == "float32"  # alias of variable_dtype


# ------------------------------------------------------------------------------------------------
# get_config / from_config (seed 000: "If the keys differ from the arguments in __init__(),
# then override from_config(self) as well")
# ------------------------------------------------------------------------------------------------


class ConfigurableLinear(Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units})
        return config


def test_seed000_get_config_from_config_round_trip():
    layer = ConfigurableLinear(64, name="cfg_linear", trainable=False, dtype="float64")
    config = layer.get_config()
    assert config["units"] == 64
    assert config["name"] == "cfg_linear"
    assert config["trainable"] is False
    assert config["dtype"]["config"]["name"] == "float64"
    new_layer = ConfigurableLinear.from_config(config)
    assert type(new_layer) is ConfigurableLinear
    assert new_layer.units == 64
    assert new_layer.name == "cfg_linear"
    assert new_layer.trainable is False
    assert new_layer.dtype == "float64"
    assert new_layer.get_config() == config
    y = new_layer(ops.ones((2, 3)))
    assert y.shape == (2, 64) and y.dtype == "float64"


# ------------------------------------------------------------------------------------------------
# Seed 003 "Layer vs Model": a block that is only part of a bigger system, trained with your own
# loop, is a Layer (no Model needed)
# ------------------------------------------------------------------------------------------------


class TwoBlockEncoder(Layer):
    def __init__(self):
        super().__init__()
        self.block_1 = MLPBlock()
        self.block_2 = LinearInitAddWeight(units=1, input_dim=1)

    def call(self, inputs):
        return self.block_2(self.block_1(inputs))


def test_seed003_layer_composition_with_own_training_loop():
    model = TwoBlockEncoder()
    rng = np.random.default_rng(2)
    x = ops.convert_to_tensor(rng.normal(size=(16, 8)).astype("float32"))
    target = ops.convert_to_tensor(rng.normal(size=(16, 1)).astype("float32"))
    model(x)
    assert len(model.weights) == 8  # 6 of the MLP block, 2 of the outer linear
    assert model.weights[-2] is model.block_2.w and model.weights[-1] is model.block_2.b
    assert len(model.trainable_weights) == 8
    assert model.count_params() == 8 * 32 + 32 + 32 * 32 + 32 + 32 + 1 + 1 + 1

    def loss_fn():
        return ops.mean((model(x) - target) ** 2)

    first = float(_np(loss_fn()))
    for _ in range(5):
        with lamina.GradientTape() as tape:
            loss = loss_fn()
        grads = tape.gradient(loss, model.trainable_weights)
        assert all(g is not None for g in grads)
        for v, g in zip(model.trainable_weights, grads):
            assert tuple(g.shape) == tuple(v.shape)
            v.assign_sub(0.05 * g)
    assert float(_np(loss_fn())) < first
