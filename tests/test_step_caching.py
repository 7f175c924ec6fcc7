"""The fast paths of the training step stay exact when things change between steps: the
`tree.is_nested` leaf-type cache, the flattened variable lists, the layer-call fast path
with a `training` flag, the one-spec input check, and the shuffled batches gathered through
reused buffers (checked against numpy references and the general code paths)."""

import collections.abc
import warnings

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina import tree
from lamina.layers.input_spec import InputSpec
from lamina.layers.input_spec import assert_input_compatibility
from lamina.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from lamina.trainers.epoch_iterator import EpochIterator


def _mlp(units=(4,), inputs=3, out=2):
    model = lamina.Sequential(
        [lamina.Input((inputs,))]
        + [layers.Dense(u, activation="relu") for u in units]
        + [layers.Dense(out)]
    )
    return model


def _data(n=24, features=3, classes=2, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = rng.integers(0, classes, n)
    return x, y


# ----------------------------------------------------------------------------------------------
# tree: the leaf-type cache
# ----------------------------------------------------------------------------------------------

def test_is_nested_leaf_cache_follows_abc_registration():
    class Box:
        def __init__(self, **items):
            self._items = dict(items)

        def __getitem__(self, key):
            return self._items[key]

        def __iter__(self):
            return iter(self._items)

        def __len__(self):
            return len(self._items)

    box = Box(b=2, a=1)
    assert not tree.is_nested(box)  # cached as a leaf type
    assert not tree.is_nested(box)
    assert tree.flatten([box]) == [box]
    collections.abc.Mapping.register(Box)
    # The registration changed the answer: the cache must not hide it.
    assert tree.is_nested(box)
    assert tree.flatten(box) == [1, 2]  # sorted keys: a, b
    assert tree.flatten([box, 3]) == [1, 2, 3]


def test_flatten_and_pack_fast_paths_match_general_paths():
    t = ops.ones((2,))
    assert tree.flatten([t, None, 1.0]) == [t, None, 1.0]
    assert tree.flatten((1, [2, (3,)], {"b": 5, "a": 4})) == [1, 2, 3, 4, 5]
    assert tree.flatten(t) == [t]
    packed = tree.pack_sequence_as([0, 0], (7, 8))
    assert packed == [7, 8] and type(packed) is list
    packed = tree.pack_sequence_as((0, 0), [7, 8])
    assert packed == (7, 8) and type(packed) is tuple
    Point = collections.namedtuple("Point", ["x", "y"])
    packed = tree.pack_sequence_as(Point(0, 0), [7, 8])
    assert packed == Point(7, 8) and type(packed) is Point
    assert tree.pack_sequence_as([0, [0]], [1, 2]) == [1, [2]]
    with pytest.raises(ValueError, match="2 leaves but the flat sequence has 3"):
        tree.pack_sequence_as([0, 0], [1, 2, 3])
    with pytest.raises(ValueError, match="1 leaves but the flat sequence has 2"):
        tree.pack_sequence_as(0, [1, 2])


# ----------------------------------------------------------------------------------------------
# Variable lists: recomputed from the layers every time
# ----------------------------------------------------------------------------------------------

def _reference_variables(layer):
    """Keras' definition, written out recursively: own, metrics', seeds', sublayers'."""
    out = []
    groups = [layer._trainable_variables, layer._non_trainable_variables]
    groups += [m.variables for m in layer._metrics]
    groups += [[sg.state] for sg in layer._seed_generators
               if getattr(sg, "state", None) is not None]
    groups += [sub.variables for sub in layer._layers]
    for group in groups:
        for v in group:
            if not any(v is u for u in out):
                out.append(v)
    return out


def test_variables_order_and_dedup_match_the_recursive_definition():
    shared = layers.Dense(3)

    class Block(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = shared
            self.second = layers.Dense(2)
            self.again = shared  # the same layer twice: its variables once
            self.dropout = layers.Dropout(0.5, seed=1)
            self.scale = self.add_weight(shape=(), initializer="ones", trainable=False)

        def call(self, x, training=None):
            return self.second(self.dropout(self.first(x), training=training)) * self.scale

    block = Block()
    block(ops.ones((2, 4)))
    variables = block.variables
    assert [id(v) for v in variables] == [id(v) for v in _reference_variables(block)]
    assert len({id(v) for v in variables}) == len(variables)
    weights = block.weights
    assert [v.path for v in weights] == [v.path for v in block.trainable_weights
                                         + block.non_trainable_weights] or len(weights) == 5
    assert len(weights) == 5  # scale, shared kernel/bias, second kernel/bias (no seed state)


def test_sublayer_redefining_variables_is_asked():
    extra = lamina.Variable(np.zeros((2,), "float32"), name="extra")

    class Custom(layers.Dense):
        @property
        def variables(self):
            return layers.Dense.variables.fget(self) + [extra]

        @property
        def weights(self):
            return layers.Dense.weights.fget(self) + [extra]

    class Outer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = Custom(2)

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(ops.ones((1, 3)))
    assert outer.variables[-1] is extra
    assert outer.weights[-1] is extra
    assert len(outer.variables) == 3


def test_weight_added_after_a_fit_is_trained_next_fit():
    class Scaled(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(1)

        def call(self, x):
            y = self.dense(x)
            if hasattr(self, "gain"):
                y = y * self.gain
            return y

    class Net(lamina.Model):
        def __init__(self):
            super().__init__()
            self.body = Scaled()

        def call(self, x):
            return self.body(x)

    x, _ = _data(n=16)
    y = x.sum(axis=1, keepdims=True)
    model = Net()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(model.trainable_variables) == 2
    model.body.gain = model.body.add_weight(shape=(), initializer="ones", name="gain")
    assert len(model.trainable_variables) == 3
    model.compile(optimizer="sgd", loss="mse")  # a new optimizer for the new variable set
    before = float(ops.convert_to_numpy(model.body.gain))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    after = float(ops.convert_to_numpy(model.body.gain))
    assert before == 1.0 and after != 1.0


def _fitted_mlp(optimizer):
    """An MLP compiled with `optimizer` and fitted for one epoch, and its data."""
    model = _mlp()
    model.compile(optimizer=optimizer, loss=lamina.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    x, y = _data()
    model.fit(x, y, batch_size=8, verbose=0)
    return model, x, y


def test_layer_added_after_a_fit_counts_in_variables_and_losses():
    model, x, y = _fitted_mlp("adam")
    n_before = len(model.trainable_variables)
    model.pop()
    model.add(layers.Dense(2, kernel_regularizer=lamina.regularizers.L2(0.5)))
    model.build((None, 3))
    assert len(model.trainable_variables) == n_before
    assert len(model.losses) == 1  # the new layer's regularization term
    kernel = model.layers[-1].kernel
    expected = 0.5 * np.sum(np.square(ops.convert_to_numpy(kernel)))
    np.testing.assert_allclose(float(ops.convert_to_numpy(model.losses[0])), expected,
                               rtol=1e-6)


def test_trainable_flag_changed_between_fits_is_honoured():
    model, x, y = _fitted_mlp("sgd")
    first = model.layers[0]
    first.trainable = False
    assert all(not any(v is w for w in model.trainable_variables) for v in first.variables)
    model.compile(optimizer="sgd", loss=lamina.losses.SparseCategoricalCrossentropy(
        from_logits=True))
    frozen = [ops.convert_to_numpy(v).copy() for v in first.variables]
    head = ops.convert_to_numpy(model.layers[-1].kernel).copy()
    model.fit(x, y, batch_size=8, verbose=0)
    for v, before in zip(first.variables, frozen):
        np.testing.assert_array_equal(ops.convert_to_numpy(v), before)
    assert not np.array_equal(ops.convert_to_numpy(model.layers[-1].kernel), head)
    # A variable frozen directly (not through its layer) leaves the list too.
    model.layers[-1].bias.trainable = False
    assert not any(v is model.layers[-1].bias for v in model.trainable_variables)


def test_recompiling_with_another_loss_uses_it():
    model = _mlp(out=1)
    x, _ = _data()
    y = x[:, :1] * 2.0
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, verbose=0)
    model.compile(optimizer="sgd", loss="mae", metrics=["mse"])
    logs = model.evaluate(x, y, batch_size=24, verbose=0, return_dict=True)
    pred = model.predict(x, batch_size=24, verbose=0)
    np.testing.assert_allclose(logs["loss"], np.mean(np.abs(pred - y)), rtol=1e-5)
    np.testing.assert_allclose(logs["mse"], np.mean(np.square(pred - y)), rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Layer.__call__ with a plain `training` flag
# ----------------------------------------------------------------------------------------------

def test_training_flag_fast_path_casts_and_forwards_training():
    seen = []

    class Probe(layers.Layer):
        def call(self, x, training=None):
            seen.append((x.dtype, training))
            return x

    probe = Probe(dtype="float16")
    out = probe(ops.ones((2,), dtype="float32"), training=True)
    assert out.dtype == "float16"
    assert seen[-1] == ("float16", True)
    probe(ops.ones((2,), dtype="int32"), training=False)
    assert seen[-1] == ("int32", False)  # non-floats are not cast
    probe(ops.ones((2,)), training=None)
    assert seen[-1] == ("float16", None)  # the call's own default

    no_autocast = Probe(dtype="float16", autocast=False)
    no_autocast(ops.ones((2,), dtype="float32"), training=True)
    assert seen[-1] == ("float32", True)


def test_training_flag_fast_path_keeps_masks_and_symbolic_calls():
    emb = layers.Embedding(5, 2, mask_zero=True)
    x = ops.convert_to_tensor(np.array([[1, 0, 3]]))
    masked = emb(x)
    keep = layers.Dense(2)
    out = keep(masked, training=True)
    np.testing.assert_array_equal(ops.convert_to_numpy(out._keras_mask), [[True, False, True]])
    symbolic = keep(lamina.Input((2,)), training=True)
    assert isinstance(symbolic, lamina.KerasTensor)
    assert tuple(symbolic.shape) == (None, 2)


# ----------------------------------------------------------------------------------------------
# The one-spec input check
# ----------------------------------------------------------------------------------------------

def test_single_spec_single_tensor_check_raises_as_before():
    t = ops.ones((2, 3))
    assert_input_compatibility(InputSpec(ndim=2, axes={-1: 3}), t, "probe")
    with pytest.raises(ValueError, match="Input 0 of layer 'probe' is incompatible with the "
                                         "layer: expected ndim=3, found ndim=2"):
        assert_input_compatibility(InputSpec(ndim=3), t, "probe")
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        assert_input_compatibility(InputSpec(axes={-1: 4}), t, "probe")
    with pytest.raises(ValueError, match="expected dtype=int32, found dtype=float32"):
        assert_input_compatibility(InputSpec(dtype="int32"), t, "probe")
    with pytest.raises(ValueError, match="expects 2 input"):
        assert_input_compatibility([InputSpec(), InputSpec()], t, "probe")
    dense = layers.Dense(2)
    dense(ops.ones((1, 3)))
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 3"):
        dense(ops.ones((1, 4)), training=True)


# ----------------------------------------------------------------------------------------------
# Batches gathered through reused buffers
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shuffle", [True, "batch", False])
def test_tensor_batches_match_numpy_batches_and_do_not_alias(shuffle):
    x = np.arange(70, dtype="float32").reshape(35, 2)
    y = np.arange(35)
    sw = np.linspace(0.5, 1.5, 35)  # float64: cast to floatx
    adapter = ArrayDataAdapter(x, y, sample_weight=sw, batch_size=8, shuffle=shuffle)
    np.random.seed(123)
    expected = list(adapter.get_numpy_iterator())
    np.random.seed(123)
    batches = list(adapter._get_tensor_iterator())  # every batch kept while later ones come
    assert len(batches) == len(expected) == 5
    for got, want in zip(batches, expected):
        assert type(got) is tuple and len(got) == 3
        for g, w in zip(got, want):
            assert isinstance(g, lamina.Tensor)
            np.testing.assert_array_equal(ops.convert_to_numpy(g), w)
        assert got[2].dtype == "float32"
    assert tuple(batches[-1][0].shape) == (3, 2)  # the partial batch
    if shuffle is True:
        seen = np.concatenate([ops.convert_to_numpy(b[1]) for b in batches])
        assert sorted(seen.tolist()) == list(range(35))


def test_epoch_iterator_yields_tensors_for_arrays_and_dicts():
    x = {"a": np.ones((10, 2), "float32"), "b": np.zeros((10, 1), "float64")}
    y = np.arange(10)
    iterator = EpochIterator(x=x, y=y, batch_size=4, shuffle=True)
    steps = list(iterator)
    assert [s[:2] for s in steps] == [(0, 0), (1, 1), (2, 2)]
    (bx, by), = steps[0][2]
    assert sorted(bx) == ["a", "b"]
    assert bx["b"].dtype == "float32" and tuple(bx["a"].shape) == (4, 2)
    assert sorted(np.concatenate([ops.convert_to_numpy(s[2][0][1]) for s in steps]).tolist()) \
        == list(range(10))


def test_shuffled_fit_matches_a_manual_loop_over_the_same_batches():
    x, y = _data(n=20, seed=3)
    model = _mlp()
    twin = _mlp()
    twin.set_weights(model.get_weights())
    loss = lamina.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer=lamina.optimizers.SGD(0.1), loss=loss)
    np.random.seed(7)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=True)

    optimizer = lamina.optimizers.SGD(0.1)
    np.random.seed(7)
    for _ in range(2):
        order = np.random.permutation(20)
        for start in range(0, 20, 8):
            idx = order[start:start + 8]
            with lamina.GradientTape() as tape:
                value = loss(ops.convert_to_tensor(y[idx]), twin(ops.convert_to_tensor(x[idx])))
            grads = tape.gradient(value, twin.trainable_variables)
            optimizer.apply(grads, twin.trainable_variables)
    for a, b in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_gradient_tape_flat_sources_keep_their_container():
    a = lamina.Variable(np.float32(2.0))
    b = lamina.Variable(np.float32(3.0))
    with lamina.GradientTape(persistent=True) as tape:
        out = a * b
    grads = tape.gradient(out, [a, b])
    assert type(grads) is list
    np.testing.assert_allclose([float(ops.convert_to_numpy(g)) for g in grads], [3.0, 2.0])
    grads = tape.gradient(out, (a, b))
    assert type(grads) is tuple
    grads = tape.gradient(out, {"b": b, "a": a})
    assert float(ops.convert_to_numpy(grads["a"])) == 3.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert float(ops.convert_to_numpy(tape.gradient(out, a))) == 3.0


# ----------------------------------------------------------------------------------------------
# No reference cycles holding a step's tensors
# ----------------------------------------------------------------------------------------------

def _cyclic_garbage(fn):
    """The objects `fn()` leaves to the cyclic garbage collector (unreachable only through
    reference cycles), by type name."""
    import gc

    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        fn()
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        found = [type(o).__name__ for o in gc.garbage]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    return found


def test_pack_sequence_as_leaves_no_cycle_holding_the_values():
    structure = [0, {"a": 0, "b": (0, 0)}]

    def run():
        values = [ops.ones((3,)) for _ in range(4)]  # referenced from here only
        packed = tree.pack_sequence_as(structure, values)
        assert packed[1]["b"][1] is values[3]
        flat = tree.pack_sequence_as([0, 0, 0, 0], values)
        assert flat == values

    assert "Tensor" not in _cyclic_garbage(run)


def test_train_steps_leave_no_tensors_to_the_cycle_collector():
    model = _mlp(units=(8, 8), out=3)
    model.compile(optimizer="adam", loss=lamina.losses.SparseCategoricalCrossentropy(
        from_logits=True), metrics=["accuracy"])
    x, y = _data(n=40, classes=3)
    model.fit(x, y, batch_size=8, verbose=0)  # builds everything first
    garbage = _cyclic_garbage(lambda: model.fit(x, y, batch_size=8, epochs=2, verbose=0))
    assert garbage.count("Tensor") == 0, garbage
