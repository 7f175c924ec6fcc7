"""lamina.layers.Layer with Keras 3 semantics: construction, naming, building, add_weight, state
tracking, weight lists, get/set_weights, count_params, the `training` and `mask` call arguments,
input_spec checks, dtype policies and autocasting, get_config/from_config, build configs, losses
and gradients through layers.

Tests marked `KERAS3-DIVERGENCE` assert Keras 3's behaviour where the implementation differed
when they were written; tests marked `NEEDS-NEW-BUILD` need the
extension with `Tensor._keras_mask` and `_lamina._set_autocast`.
"""

import warnings

import numpy as np
import pytest

import lamina
from lamina import ops
from _helpers import SimpleDense
from lamina.layers import InputSpec
from lamina.layers import Layer


def arr(x):
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def same(a, b):
    """Same objects in the same order (Variables compare elementwise with ==)."""
    a, b = list(a), list(b)
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def names(variables):
    return [v.name for v in variables]


# ------------------------------------------------------------------------------------------------
# Layers used across the tests
# ------------------------------------------------------------------------------------------------


class Identity(Layer):
    def call(self, inputs):
        return inputs


class Recorder(Layer):
    """Records every `build` call and every `training` value `call` receives."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.build_calls = []
        self.seen_training = []

    def build(self, input_shape):
        self.build_calls.append(input_shape)

    def call(self, inputs, training=None):
        self.seen_training.append(training)
        return inputs


# ------------------------------------------------------------------------------------------------
# Constructor validation and names
# ------------------------------------------------------------------------------------------------


def test_unknown_kwarg_is_a_value_error_naming_it():
    with pytest.raises(ValueError, match="Unrecognized keyword arguments") as e:
        SimpleDense(2, bogus_arg=3)
    assert "bogus_arg" in str(e.value)
    assert "SimpleDense" in str(e.value)
    with pytest.raises(ValueError, match="units_typo"):
        Layer(units_typo=1)


def test_legacy_kwargs_are_accepted():
    SimpleDense(2, input_shape=(3,))
    SimpleDense(2, input_dim=3)
    layer = Layer(dynamic=True)
    assert layer.dynamic is True
    assert Layer().dynamic is False


@pytest.mark.parametrize("bad", ["a/b", "/x", 3])
def test_invalid_names_are_value_errors(bad):
    with pytest.raises(ValueError, match="name"):
        SimpleDense(2, name=bad)


def test_explicit_name_is_kept():
    layer = SimpleDense(2, name="my_dense")
    assert layer.name == "my_dense"
    assert repr(layer) == "<SimpleDense name=my_dense, built=False>"


def test_unique_default_names_from_the_class_name():
    # Keras' clear_session resets the name counters; lamina has backend.naming.reset_uids for
    # now. The counters are restored afterwards so that other tests see no side effect.
    from lamina.backend import naming

    saved = dict(naming._counts)
    naming.reset_uids()
    try:
        a, b, c = SimpleDense(), SimpleDense(), SimpleDense()
    finally:
        naming._counts.clear()
        naming._counts.update(saved)
    assert (a.name, b.name, c.name) == ("simple_dense", "simple_dense_1", "simple_dense_2")

    class HTTPResponseProbeLayer(Layer):
        pass

    x, y = HTTPResponseProbeLayer(), HTTPResponseProbeLayer()
    assert x.name == "http_response_probe_layer"
    assert y.name == "http_response_probe_layer_1"


def test_forgetting_super_init_raises_on_call_and_add_weight():
    class NoSuper(Layer):
        def __init__(self, units):
            self.units = units  # attributes may be set before/without super().__init__()

        def call(self, x):
            return x

    layer = NoSuper(3)
    with pytest.raises(RuntimeError, match=r"super\(\)\.__init__\(\)") as e:
        layer(ops.ones((2, 2)))
    assert "NoSuper" in str(e.value)
    with pytest.raises(RuntimeError, match=r"super\(\)\.__init__\(\)"):
        layer.add_weight(shape=(2,))


def test_call_not_implemented():
    with pytest.raises(NotImplementedError, match="call"):
        Layer()(ops.ones((1,)))


# ------------------------------------------------------------------------------------------------
# build
# ------------------------------------------------------------------------------------------------


def test_build_called_once_with_the_input_shape_tuple():
    layer = Recorder()
    assert layer.built is False
    layer(ops.ones((2, 3)))
    assert layer.built is True
    layer(ops.ones((2, 3)))
    layer(ops.ones((5, 3)))
    assert layer.build_calls == [(2, 3)]
    assert type(layer.build_calls[0]) is tuple


def test_build_from_numpy_input_and_nested_input():
    layer = Recorder()
    layer(np.zeros((4, 2), "float32"))
    assert layer.build_calls == [(4, 2)]

    nested = Recorder()
    nested([ops.ones((2, 3)), ops.ones((4, 3))])
    assert nested.build_calls == [[(2, 3), (4, 3)]]


def test_build_with_one_shape_argument_per_tensor_argument():
    class TwoInputs(Layer):
        def build(self, x_shape, y_shape):
            self.shapes = (x_shape, y_shape)
            self.w = self.add_weight(shape=(y_shape[-1],), initializer="ones", name="w")

        def call(self, x, y):
            return x + y * self.w

    layer = TwoInputs()
    out = layer(ops.ones((2, 3)), ops.ones((1, 3)))
    assert layer.shapes == ((2, 3), (1, 3))
    assert layer.built
    np.testing.assert_array_equal(arr(out), np.full((2, 3), 2.0, "float32"))
    # Keyword tensor arguments work too.
    layer2 = TwoInputs()
    layer2(x=ops.ones((2, 3)), y=ops.ones((2, 3)))
    assert layer2.shapes == ((2, 3), (2, 3))


def test_layer_without_build_builds_its_sublayers_on_first_call():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.d1 = SimpleDense(5)
            self.d2 = SimpleDense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    block = Block()
    assert not block.built and not block.d1.built
    assert block.weights == []
    y = block(ops.ones((3, 4)))
    assert block.built and block.d1.built and block.d2.built
    assert y.shape == (3, 2)
    assert [tuple(v.shape) for v in block.weights] == [(4, 5), (5,), (5, 2), (2,)]


def test_super_build_marks_built_and_build_can_be_called_directly():
    layer = SimpleDense(3)
    layer.build((None, 2))
    assert layer.built
    assert layer.kernel.shape == (2, 3)
    y = layer(ops.ones((4, 2)))
    assert y.shape == (4, 3)
    assert len(layer.weights) == 2  # not built a second time


# ------------------------------------------------------------------------------------------------
# add_weight
# ------------------------------------------------------------------------------------------------


def test_add_weight_defaults():
    layer = Layer(name="defaults")
    w = layer.add_weight()
    assert isinstance(w, lamina.Variable)
    assert w.shape == ()
    assert w.dtype == "float32"
    assert w.trainable is True
    big = layer.add_weight(shape=(20, 30), name="big")
    values = arr(big)
    limit = np.sqrt(6.0 / (20 + 30))  # glorot_uniform
    assert np.all(np.abs(values) <= limit)
    assert values.std() > limit / 3  # not zeros, spread over the range
    ints = layer.add_weight(shape=(3,), dtype="int32", name="ints")
    assert ints.dtype == "int32"
    np.testing.assert_array_equal(arr(ints), np.zeros(3, "int32"))
    assert big.path == "defaults/big"
    assert ints.path == "defaults/ints"
    assert same(layer.weights, [w, big, ints])


def test_add_weight_dtype_follows_layer_variable_dtype():
    layer = Layer(dtype="float64")
    assert layer.add_weight(shape=(2,)).dtype == "float64"
    assert layer.add_weight(shape=(2,), dtype="float32").dtype == "float32"
    mixed = Layer(dtype="mixed_float16")
    assert mixed.add_weight(shape=(2,)).dtype == "float32"


def test_add_weight_arguments_are_kept():
    layer = Layer(name="args_layer")
    reg = lamina.regularizers.L2(0.1)
    w = layer.add_weight(shape=(2, 2), initializer="ones", trainable=False, regularizer=reg,
                         constraint="non_neg", autocast=False, aggregation="sum", name="w")
    assert w.trainable is False
    assert w.regularizer is reg
    assert w.constraint is not None
    assert w.autocast is False
    assert w.aggregation == "sum"
    assert w.name == "w" and w.path == "args_layer/w"
    np.testing.assert_array_equal(arr(w), np.ones((2, 2)))


def test_add_weight_initializer_object_and_callable():
    layer = Layer()
    w = layer.add_weight(shape=(3,), initializer=lamina.initializers.Constant(2.5))
    np.testing.assert_array_equal(arr(w), [2.5, 2.5, 2.5])
    v = layer.add_weight(shape=(2,), initializer=lambda shape, dtype=None: ops.ones(shape, dtype))
    np.testing.assert_array_equal(arr(v), [1.0, 1.0])


def test_add_variable_alias():
    layer = Layer(name="alias_layer")
    v = layer.add_variable((2, 3), "zeros", name="v")
    assert v.shape == (2, 3) and v.path == "alias_layer/v"
    np.testing.assert_array_equal(arr(v), np.zeros((2, 3)))
    assert same(layer.weights, [v])
    nt = layer.add_variable((1,), "ones", trainable=False)
    assert same(layer.non_trainable_weights, [nt])


def test_weights_built_inside_an_outer_call_get_nested_paths():
    class Outer(Layer):
        def __init__(self):
            super().__init__(name="outer_path")
            self.inner = SimpleDense(2, name="inner_path")

        def call(self, x):
            return self.inner(x)

    outer = Outer()
    outer(ops.ones((1, 3)))
    assert outer.inner.kernel.path == "outer_path/inner_path/kernel"
    assert outer.inner.bias.path == "outer_path/inner_path/bias"


# ------------------------------------------------------------------------------------------------
# Tracking
# ------------------------------------------------------------------------------------------------


def test_attributes_are_tracked():
    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.v = lamina.Variable(np.ones(2), name="v")
            self.nt = lamina.Variable(np.zeros(2), trainable=False, name="nt")
            self.sub = SimpleDense(2)
            self.number = 3
            self.text = "x"

    h = Holder()
    assert same(h.weights, [h.v, h.nt])
    assert same(h.trainable_weights, [h.v])
    assert same(h.non_trainable_weights, [h.nt])
    assert same(h.layers, [h.sub])
    h.sub(ops.ones((1, 3)))
    assert names(h.weights) == ["v", "nt", "kernel", "bias"]


def test_lists_and_dicts_are_tracked_including_later_additions():
    class Container(Layer):
        def __init__(self):
            super().__init__()
            self.blocks = [SimpleDense(2), SimpleDense(3)]
            self.heads = {"a": SimpleDense(1)}
            self.vars = [lamina.Variable(1.0, name="l0")]
            self.pair = (SimpleDense(4), lamina.Variable(2.0, name="t0"))

    c = Container()
    assert same(c.layers, [c.blocks[0], c.blocks[1], c.heads["a"], c.pair[0]])
    assert names(c.weights) == ["l0", "t0"]

    extra = SimpleDense(5)
    c.blocks.append(extra)
    c.heads["b"] = SimpleDense(6)
    later = lamina.Variable(3.0, name="l1")
    c.vars.append(later)
    c.blocks.extend([SimpleDense(7)])
    assert _contains(c.layers, extra)
    assert _contains(c.layers, c.heads["b"])
    assert _contains(c.layers, c.blocks[-1])
    assert _contains(c.weights, later)

    # Removing from the containers untracks.
    removed = c.blocks.pop()
    assert not _contains(c.layers, removed)
    del c.heads["a"]
    assert len(c.layers) == 5
    c.vars.remove(later)
    assert not _contains(c.weights, later)


def test_private_list_attribute_is_tracked():
    # Keras 3's Layer.__setattr__ tracks every attribute through its Tracker, including
    # `_`-prefixed ones, so `self._blocks = [...]` sublayers are tracked (their weights count).
    class Private(Layer):
        def __init__(self):
            super().__init__()
            self._blocks = [SimpleDense(2), SimpleDense(3)]
            self._sub = SimpleDense(4)  # a direct private sublayer is tracked in both

    p = Private()
    assert _contains(p.layers, p._sub)
    assert _contains(p.layers, p._blocks[0]) and _contains(p.layers, p._blocks[1])


def test_reassignment_and_del_untrack():
    class Holder(Layer):
        def __init__(self):
            super().__init__()
            self.v = lamina.Variable(1.0, name="first")
            self.sub = SimpleDense(2)

    h = Holder()
    old_v, old_sub = h.v, h.sub
    h.v = lamina.Variable(2.0, name="second")
    assert names(h.weights) == ["second"]
    assert not _contains(h.weights, old_v)
    h.sub = SimpleDense(3)
    assert same(h.layers, [h.sub])
    del h.v
    assert h.weights == []
    del h.sub
    assert h.layers == []
    # Assigning the same object twice does not duplicate it.
    v = lamina.Variable(1.0)
    h.a = v
    h.b = v
    assert same(h.weights, [v])


def _contains(seq, x):
    return any(v is x for v in seq)


# ------------------------------------------------------------------------------------------------
# Weight lists and the trainable flag
# ------------------------------------------------------------------------------------------------


class Inner(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = self.add_weight(shape=(1,), name="a")
        self.na = self.add_weight(shape=(1,), name="na", trainable=False)


class Outer(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.t1 = self.add_weight(shape=(2,), name="t1")
        self.inner = Inner()
        self.n1 = self.add_weight(shape=(2,), name="n1", trainable=False)
        self.t2 = self.add_weight(shape=(2,), name="t2")

    def call(self, x):
        return x


def test_weights_order_own_trainable_own_non_trainable_then_sublayers():
    o = Outer()
    assert names(o.weights) == ["t1", "t2", "n1", "a", "na"]
    assert names(o.trainable_weights) == ["t1", "t2", "a"]
    assert names(o.non_trainable_weights) == ["n1", "na"]
    assert same(o.variables, o.weights)
    assert same(o.trainable_variables, o.trainable_weights)
    assert same(o.non_trainable_variables, o.non_trainable_weights)
    assert same(o.layers, [o.inner])


def test_trainable_false_propagates_and_lists_everything_as_non_trainable():
    o = Outer()
    o.trainable = False
    assert o.inner.trainable is False
    assert o.trainable_weights == []
    assert o.trainable_variables == []
    assert names(o.non_trainable_weights) == ["t1", "t2", "n1", "a", "na"]
    assert all(v.trainable is False for v in o.weights)
    assert o.inner.trainable_weights == []
    o.trainable = True
    assert o.inner.trainable is True
    assert names(o.trainable_weights) == ["t1", "t2", "a"]
    assert names(o.non_trainable_weights) == ["n1", "na"]


def test_frozen_layer_creates_non_trainable_variables():
    # KERAS3-DIVERGENCE: Keras 3's `_track_variable` sets `variable.trainable = False` for
    # variables created by a layer whose `trainable` is False, so a frozen layer's weights are not
    # watched by gradient tapes; unfreezing makes them trainable again.
    layer = SimpleDense(2, trainable=False)
    layer(ops.ones((1, 3)))
    assert layer.trainable_weights == []
    assert same(layer.non_trainable_weights, [layer.kernel, layer.bias])
    assert layer.kernel.trainable is False and layer.bias.trainable is False
    layer.trainable = True
    assert layer.kernel.trainable is True
    assert same(layer.trainable_weights, [layer.kernel, layer.bias])


def test_get_set_weights_round_trip():
    o = Outer()
    values = o.get_weights()
    assert [type(v) for v in values] == [np.ndarray] * 5
    assert [v.shape for v in values] == [(2,), (2,), (2,), (1,), (1,)]
    new = [np.full(v.shape, i, "float32") for i, v in enumerate(values)]
    o.set_weights(new)
    for got, want in zip(o.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(arr(o.inner.na), [4.0])
    # get_weights returns copies: changing them does not change the layer.
    got = o.get_weights()
    got[0][:] = 99
    np.testing.assert_array_equal(arr(o.t1), [0.0, 0.0])


def test_set_weights_wrong_count():
    o = Outer()
    with pytest.raises(ValueError) as e:
        o.set_weights(o.get_weights()[:3])
    msg = str(e.value)
    assert o.name in msg and "3" in msg and "5" in msg


def test_set_weights_wrong_shape_names_index_and_both_shapes():
    o = Outer()
    values = o.get_weights()
    values[2] = np.zeros((3, 1), "float32")
    before = o.get_weights()
    with pytest.raises(ValueError) as e:
        o.set_weights(values)
    msg = str(e.value)
    assert o.name in msg
    assert "index 2" in msg
    assert "(2,)" in msg and "(3, 1)" in msg
    # Nothing was assigned.
    for got, want in zip(o.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_count_params():
    layer = SimpleDense(4, name="count_me")
    with pytest.raises(ValueError, match="count_me") as e:
        layer.count_params()
    assert "built" in str(e.value)
    layer(ops.ones((2, 3)))
    assert layer.count_params() == 3 * 4 + 4
    ident = Identity()
    ident(ops.ones((1,)))
    assert ident.count_params() == 0


# ------------------------------------------------------------------------------------------------
# training
# ------------------------------------------------------------------------------------------------


class TrainingDefaultTrue(Layer):
    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, x, training=True):
        self.seen.append(training)
        return x


class CallsInner(Layer):
    def __init__(self, inner, inner_training="unset"):
        super().__init__()
        self.inner = inner
        self.inner_training = inner_training

    def call(self, x, training=None):
        if self.inner_training == "unset":
            return self.inner(x)
        return self.inner(x, training=self.inner_training)


class NoTrainingArg(Layer):
    def call(self, x):
        return x


def test_training_explicit_value_and_call_default():
    r = Recorder()
    x = ops.ones((1, 2))
    r(x)
    r(x, training=True)
    r(x, training=False)
    assert r.seen_training == [None, True, False]

    d = TrainingDefaultTrue()
    d(x)
    d(x, training=False)
    assert d.seen == [True, False]


def test_training_from_the_outer_call():
    x = ops.ones((1, 2))
    inner = Recorder()
    outer = CallsInner(inner)
    outer(x, training=True)
    outer(x, training=False)
    outer(x)
    assert inner.seen_training == [True, False, None]

    # The outer call's value wins over the inner call's signature default.
    inner_default = TrainingDefaultTrue()
    outer2 = CallsInner(inner_default)
    outer2(x, training=False)
    outer2(x)
    assert inner_default.seen == [False, True]

    # An explicit value at the inner call wins over the outer call's.
    inner3 = Recorder()
    outer3 = CallsInner(inner3, inner_training=False)
    outer3(x, training=True)
    assert inner3.seen_training == [False]


def test_training_propagates_through_a_layer_without_training_arg():
    class Middle(Layer):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def call(self, x):
            return self.inner(x)

    inner = Recorder()
    top = Middle(Middle(inner))
    top(ops.ones((1,)), training=True)
    assert inner.seen_training == [True]


def test_training_not_passed_to_calls_that_do_not_accept_it():
    layer = NoTrainingArg()
    x = ops.ones((2,))
    np.testing.assert_array_equal(arr(layer(x, training=True)), [1.0, 1.0])
    outer = CallsInner(NoTrainingArg())
    outer(x, training=True)  # no TypeError from the inner call


def test_training_context_is_reset_after_the_outer_call():
    inner = Recorder()
    outer = CallsInner(inner)
    outer(ops.ones((1,)), training=True)
    inner(ops.ones((1,)))
    assert inner.seen_training == [True, None]


# ------------------------------------------------------------------------------------------------
# Masks (NEEDS-NEW-BUILD: `Tensor._keras_mask` comes with the new extension build)
# ------------------------------------------------------------------------------------------------


class MaskProducer(Layer):
    def call(self, x):
        return x * 2.0

    def compute_mask(self, inputs, previous_mask=None):
        return ops.not_equal(inputs, 0.0)


class MaskConsumer(Layer):
    def __init__(self):
        super().__init__()
        self.supports_masking = True
        self.received = []

    def call(self, inputs, mask=None):
        self.received.append(mask)
        return inputs + 0.0


def _mask_of(x):
    return getattr(x, "_keras_mask", None)


X_MASK = np.array([[1.0, 0.0, 3.0], [0.0, 5.0, 6.0]], "float32")


def test_compute_mask_attaches_keras_mask_to_the_output():
    producer = MaskProducer()
    assert producer.supports_masking
    out = producer(ops.convert_to_tensor(X_MASK))
    mask = _mask_of(out)
    assert mask is not None
    np.testing.assert_array_equal(arr(mask), X_MASK != 0)


def test_mask_is_passed_to_a_following_layer_and_propagated():
    out = MaskProducer()(ops.convert_to_tensor(X_MASK))
    consumer = MaskConsumer()
    out2 = consumer(out)
    assert len(consumer.received) == 1 and consumer.received[0] is not None
    np.testing.assert_array_equal(arr(consumer.received[0]), X_MASK != 0)
    # supports_masking with the default compute_mask passes the mask through.
    np.testing.assert_array_equal(arr(_mask_of(out2)), X_MASK != 0)
    # An explicit mask wins.
    explicit = ops.convert_to_tensor(np.ones((2, 3), bool))
    consumer(out, mask=explicit)
    assert consumer.received[1] is explicit


def test_no_mask_means_mask_none_and_no_warning():
    consumer = MaskConsumer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = consumer(ops.ones((2, 3)))
        Identity()(out)
    assert consumer.received == [None]
    assert _mask_of(out) is None


def test_layer_without_masking_support_warns_and_drops_the_mask():
    out = MaskProducer()(ops.convert_to_tensor(X_MASK))

    class Doubler(Layer):
        def call(self, x):
            return x * 2.0

    layer = Doubler(name="mask_dropper")
    with pytest.warns(UserWarning, match="does not support masking") as rec:
        out2 = layer(out)
    assert "mask_dropper" in str(rec[0].message)
    assert _mask_of(out2) is None


# ------------------------------------------------------------------------------------------------
# input_spec
# ------------------------------------------------------------------------------------------------


class Specced(Layer):
    def __init__(self, spec, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = spec

    def call(self, inputs):
        return inputs


def _spec_error(spec, x, name):
    layer = Specced(spec, name=name)
    with pytest.raises(ValueError) as e:
        layer(x)
    msg = str(e.value)
    assert name in msg, msg
    return msg


def test_input_spec_ndim():
    msg = _spec_error(InputSpec(ndim=2), ops.ones((2, 3, 4)), "spec_ndim")
    assert "Input 0" in msg and "ndim=2" in msg and "(2, 3, 4)" in msg
    Specced(InputSpec(ndim=2))(ops.ones((2, 3)))


def test_input_spec_min_ndim():
    msg = _spec_error(InputSpec(min_ndim=3), ops.ones((2, 3)), "spec_min_ndim")
    assert "Input 0" in msg and "min_ndim=3" in msg and "(2, 3)" in msg
    Specced(InputSpec(min_ndim=3))(ops.ones((2, 3, 4, 5)))


def test_input_spec_max_ndim():
    # Keras 3's message gives the expected max_ndim and the ndim found.
    msg = _spec_error(InputSpec(max_ndim=2), ops.ones((1, 2, 3)), "spec_max_ndim")
    assert "Input 0" in msg and "max_ndim=2" in msg and "ndim=3" in msg
    Specced(InputSpec(max_ndim=2))(ops.ones((4,)))


def test_input_spec_axes():
    msg = _spec_error(InputSpec(axes={-1: 4}), ops.ones((2, 3)), "spec_axes")
    assert "Input 0" in msg and "(2, 3)" in msg and "4" in msg
    Specced(InputSpec(axes={-1: 4}))(ops.ones((7, 4)))
    Specced(InputSpec(min_ndim=2, axes={1: 3}))(ops.ones((7, 3, 9)))


def test_input_spec_shape():
    msg = _spec_error(InputSpec(shape=(None, 4)), ops.ones((2, 3)), "spec_shape")
    assert "Input 0" in msg and "(2, 3)" in msg and "(None, 4)" in msg
    _spec_error(InputSpec(shape=(None, 4)), ops.ones((2, 4, 1)), "spec_shape_rank")
    Specced(InputSpec(shape=(None, 4)))(ops.ones((9, 4)))


def test_input_spec_dtype():
    x = ops.convert_to_tensor(np.array([[1, 2]], "int32"))
    msg = _spec_error(InputSpec(dtype="float32"), x, "spec_dtype")
    assert "Input 0" in msg and "float32" in msg and "int32" in msg
    Specced(InputSpec(dtype="int32"))(x)


def test_input_spec_list_names_the_input_index():
    layer = Specced([InputSpec(ndim=2), InputSpec(ndim=3)], name="two_specs")
    layer([ops.ones((1, 2)), ops.ones((1, 2, 3))])
    with pytest.raises(ValueError) as e:
        layer([ops.ones((1, 2)), ops.ones((1, 2))])
    msg = str(e.value)
    assert "two_specs" in msg and "Input 1" in msg and "(1, 2)" in msg
    with pytest.raises(ValueError, match="two_specs"):
        layer([ops.ones((1, 2))])


def test_input_spec_set_in_build_is_checked():
    class BuildSpec(Layer):
        def build(self, input_shape):
            self.input_spec = InputSpec(axes={-1: input_shape[-1]})

        def call(self, x):
            return x

    layer = BuildSpec(name="build_spec")
    layer(ops.ones((2, 3)))
    with pytest.raises(ValueError, match="build_spec"):
        layer(ops.ones((2, 4)))


# ------------------------------------------------------------------------------------------------
# dtype policies
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,compute,variable",
    [
        ("float32", "float32", "float32"),
        ("float64", "float64", "float64"),
        ("float16", "float16", "float16"),
        ("bfloat16", "bfloat16", "bfloat16"),
        ("mixed_float16", "float16", "float32"),
        ("mixed_bfloat16", "bfloat16", "float32"),
    ],
)
def test_dtype_policy_names(name, compute, variable):
    policy = lamina.DTypePolicy(name)
    assert policy.name == name
    assert policy.compute_dtype == compute
    assert policy.variable_dtype == variable
    assert policy == lamina.dtype_policies.DTypePolicy(name)
    assert repr(policy) == f'<DTypePolicy "{name}">'
    assert lamina.DTypePolicy.from_config(policy.get_config()) == policy
    layer = Layer(dtype=name)
    assert (layer.compute_dtype, layer.variable_dtype, layer.dtype) == (compute, variable, variable)
    assert layer.dtype_policy == policy


def test_dtype_policy_default_and_invalid():
    assert lamina.DTypePolicy().name == "float32"
    with pytest.raises(ValueError, match="float17"):
        lamina.DTypePolicy("float17")
    with pytest.raises(ValueError):
        Layer(dtype="mixed_float17")
    with pytest.raises(TypeError):
        lamina.DTypePolicy(3)


def test_dtype_policy_accepts_any_dtype_name():
    # KERAS3-DIVERGENCE: Keras 3's DTypePolicy accepts any dtype name (`standardize_dtype`), e.g.
    # "int32" for integer/preprocessing layers; only unknown names are a ValueError.
    policy = lamina.DTypePolicy("int32")
    assert (policy.compute_dtype, policy.variable_dtype) == ("int32", "int32")


def test_global_dtype_policy_set_and_restore():
    previous = lamina.config.dtype_policy()
    assert previous.name == "float32"
    try:
        lamina.config.set_dtype_policy("mixed_float16")
        assert lamina.config.dtype_policy().name == "mixed_float16"
        layer = Layer()
        assert layer.compute_dtype == "float16" and layer.variable_dtype == "float32"
        lamina.config.set_dtype_policy(lamina.DTypePolicy("float64"))
        assert Layer().dtype == "float64"
        with pytest.raises(ValueError):
            lamina.config.set_dtype_policy(3)
    finally:
        lamina.config.set_dtype_policy(previous)
    assert lamina.config.dtype_policy().name == "float32"
    assert Layer().dtype == "float32"


class DtypeProbe(Layer):
    """Records the dtypes seen inside call."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones",
                                      name="kernel")

    def call(self, x):
        self.input_dtype_seen = x.dtype
        self.kernel_dtype_seen = ops.convert_to_tensor(self.kernel).dtype
        return ops.matmul(x, self.kernel)


def test_float64_layer_casts_float_inputs_but_not_ints():
    layer = DtypeProbe(dtype="float64")
    y = layer(np.ones((2, 3), "float32"))
    assert layer.input_dtype_seen == "float64" and y.dtype == "float64"
    assert layer.kernel.dtype == "float64"

    class Passthrough(Layer):
        def call(self, x):
            return x

    ints = Passthrough(dtype="float64")(ops.convert_to_tensor(np.array([1, 2], "int32")))
    assert ints.dtype == "int32"


def test_autocast_false_keeps_the_input_dtype():
    layer = DtypeProbe(dtype="float64", autocast=False)
    y = layer(np.ones((2, 3), "float64"))
    assert y.dtype == "float64"

    class Passthrough(Layer):
        def call(self, x):
            self.seen = x.dtype
            return x

    p = Passthrough(dtype="float64", autocast=False)
    out = p(ops.ones((2,), "float32"))
    assert p.seen == "float32" and out.dtype == "float32"
    p16 = Passthrough(dtype="mixed_float16", autocast=False)
    p16(ops.ones((2,), "float32"))
    assert p16.seen == "float32"


def test_mixed_float16_variables_float32_inputs_cast_to_float16():
    # NEEDS-NEW-BUILD: a mixed-policy call opens an autocast scope (`_lamina._set_autocast`).
    layer = DtypeProbe(dtype="mixed_float16")
    x = np.arange(6, dtype="float32").reshape(2, 3)

    class Cast(Layer):
        def call(self, x):
            self.seen = x.dtype
            return x

    c = Cast(dtype="mixed_float16")
    out = c(x)
    assert c.seen == "float16" and out.dtype == "float16"
    assert c.variable_dtype == "float32"
    # Variables created by the layer are float32.
    layer.build((None, 3))
    assert layer.kernel.dtype == "float32"


def test_mixed_float16_reads_variables_as_float16_inside_call():
    # NEEDS-NEW-BUILD: autocasting variables needs `_lamina._set_autocast`.
    layer = DtypeProbe(dtype="mixed_float16")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    y = layer(x)
    assert layer.input_dtype_seen == "float16"
    assert layer.kernel_dtype_seen == "float16"
    assert y.dtype == "float16"
    assert layer.kernel.dtype == "float32"  # outside call, as stored
    np.testing.assert_allclose(arr(y).astype("float32"), x @ np.ones((3, 2)), rtol=1e-3)


def test_mixed_float16_gradients_are_float32():
    # NEEDS-NEW-BUILD: autocasting variables needs `_lamina._set_autocast`.
    layer = DtypeProbe(dtype="mixed_float16")
    x = np.arange(6, dtype="float32").reshape(2, 3)
    layer(x)
    with lamina.GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(ops.cast(y, "float32"))
    (g,) = tape.gradient(loss, layer.trainable_weights)
    assert g is not None and g.dtype == "float32"
    # d(sum(x @ K))/dK = x^T @ ones
    np.testing.assert_allclose(arr(g), x.T @ np.ones((2, 2)), rtol=1e-3)


def test_add_weight_autocast_false_is_not_cast_under_mixed_policy():
    # NEEDS-NEW-BUILD: autocasting variables needs `_lamina._set_autocast`.
    class KeepsFloat32(Layer):
        def __init__(self):
            super().__init__(dtype="mixed_float16")
            self.v = self.add_weight(shape=(2,), initializer="ones", autocast=False)
            self.w = self.add_weight(shape=(2,), initializer="ones")

        def call(self, x):
            self.dtypes = (ops.convert_to_tensor(self.v).dtype, ops.convert_to_tensor(self.w).dtype)
            return x

    layer = KeepsFloat32()
    layer(ops.ones((2,)))
    assert layer.dtypes == ("float32", "float16")


# ------------------------------------------------------------------------------------------------
# get_config / from_config, build config
# ------------------------------------------------------------------------------------------------


class AutoConfig(Layer):
    def __init__(self, units, activation="relu", sizes=(1, 2), **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation
        self.sizes = sizes

    def call(self, x):
        return x


class AutoConfigNoKwargs(Layer):
    def __init__(self, units=3):
        super().__init__()
        self.units = units

    def call(self, x):
        return x


def test_auto_config_of_plain_constructor_arguments():
    layer = AutoConfig(3, activation="tanh", name="auto_cfg")
    config = layer.get_config()
    assert config["name"] == "auto_cfg"
    assert config["units"] == 3
    assert config["activation"] == "tanh"
    assert config["trainable"] is True
    assert config["dtype"] == {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": "float32"},
        "registered_name": None,
    }
    clone = AutoConfig.from_config(config)
    assert clone.units == 3 and clone.activation == "tanh" and clone.name == "auto_cfg"

    layer2 = AutoConfig(units=2, sizes=[4, 5], trainable=False, dtype="float64")
    config2 = layer2.get_config()
    assert config2["sizes"] == [4, 5]
    assert config2["trainable"] is False
    assert config2["dtype"]["config"]["name"] == "float64"
    clone2 = AutoConfig.from_config(config2)
    assert clone2.trainable is False and clone2.dtype == "float64"


def test_auto_config_round_trip_twice():
    # KERAS3-DIVERGENCE: Keras 3's `from_config` turns a serialized plain DTypePolicy back into its
    # name (a str) before calling `cls(**config)`, so the re-created layer still has an auto-config
    # and `get_config()` gives the same dict again.
    layer = AutoConfig(3, activation="tanh", name="auto_cfg_twice", dtype="float64")
    config = layer.get_config()
    clone = AutoConfig.from_config(config)
    assert clone.dtype == "float64"
    assert clone.get_config() == config


def test_auto_config_without_kwargs_drops_name_and_from_config_errors_are_type_errors():
    layer = AutoConfigNoKwargs(5)
    config = layer.get_config()
    assert config["units"] == 5
    assert "name" not in config  # __init__ takes no `name`
    # ... but Layer.get_config adds trainable/dtype, which this __init__ does not take.
    with pytest.raises(TypeError, match="AutoConfigNoKwargs") as e:
        AutoConfigNoKwargs.from_config(config)
    assert "trainable" in str(e.value) or "dtype" in str(e.value)


def test_from_config_error_wrapped_in_type_error():
    with pytest.raises(TypeError, match="Error when deserializing class 'AutoConfig'"):
        AutoConfig.from_config({"units": 2, "not_an_argument": 1})


def test_non_serializable_constructor_argument_needs_get_config():
    class TakesCallable(Layer):
        def __init__(self, fn, **kwargs):
            super().__init__(**kwargs)
            self.fn = fn

        def call(self, x):
            return self.fn(x)

    layer = TakesCallable(lambda x: x)
    with pytest.raises(NotImplementedError, match="get_config"):
        layer.get_config()

    class WithGetConfig(TakesCallable):
        def get_config(self):
            config = super().get_config()
            config["fn"] = "identity"
            return config

    config = WithGetConfig(lambda x: x, name="with_cfg").get_config()
    assert config["fn"] == "identity" and config["name"] == "with_cfg"


def test_activity_regularizer_in_config():
    layer = AutoConfig(1, activity_regularizer="l2")
    config = layer.get_config()
    assert config["activity_regularizer"]["class_name"] == "L2"
    assert config["activity_regularizer"]["config"]["l2"] == pytest.approx(0.01)
    clone = AutoConfig.from_config(config)
    assert isinstance(clone.activity_regularizer, lamina.regularizers.L2)
    assert clone.activity_regularizer.l2 == pytest.approx(0.01)
    # A regularizer object is not a plain value: the layer must override get_config.
    with pytest.raises(NotImplementedError):
        AutoConfig(1, activity_regularizer=lamina.regularizers.L2(0.5)).get_config()


def test_build_config_round_trip():
    layer = SimpleDense(3)
    assert layer.get_build_config() is None
    layer(ops.ones((2, 5)))
    build_config = layer.get_build_config()
    assert build_config == {"input_shape": (2, 5)}
    clone = SimpleDense.from_config(layer.get_config())
    clone.build_from_config(build_config)
    assert clone.built
    assert [tuple(v.shape) for v in clone.weights] == [(5, 3), (3,)]


def test_build_config_records_direct_build():
    # KERAS3-DIVERGENCE: Keras 3's build wrapper records the build arguments, so a layer built by
    # calling `build()` directly has a build config too.
    layer = SimpleDense(3)
    layer.build((None, 7))
    assert layer.get_build_config() == {"input_shape": (None, 7)}


def test_build_config_with_two_tensor_arguments():
    class TwoInputs(Layer):
        def build(self, x_shape, y_shape):
            self.w = self.add_weight(shape=(x_shape[-1], y_shape[-1]), name="w")

        def call(self, x, y):
            return ops.matmul(x, self.w) + y

    layer = TwoInputs()
    layer(ops.ones((2, 3)), ops.ones((2, 4)))
    config = layer.get_build_config()
    assert config == {"shapes_dict": {"x_shape": (2, 3), "y_shape": (2, 4)}}
    clone = TwoInputs()
    clone.build_from_config(config)
    assert clone.built and clone.w.shape == (3, 4)


# ------------------------------------------------------------------------------------------------
# Losses
# ------------------------------------------------------------------------------------------------


def test_add_loss_tensor_and_callable():
    class WithLosses(Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(2,), initializer="ones", name="w")

        def call(self, x):
            self.add_loss(ops.sum(x))
            return x

    layer = WithLosses()
    layer.add_loss(lambda: ops.sum(layer.w) * 10.0)  # zero-argument callable (tf.keras)
    assert [float(arr(v)) for v in layer.losses] == [20.0]
    layer(ops.ones((3,)))
    assert [float(arr(v)) for v in layer.losses] == [3.0, 20.0]
    layer.w.assign([2.0, 2.0])
    layer(ops.ones((1,)))
    # Tensor losses are replaced at each top-level call; callables are evaluated on access.
    assert [float(arr(v)) for v in layer.losses] == [1.0, 40.0]


def test_add_loss_list_of_tensors():
    layer = Layer()
    layer.add_loss([ops.convert_to_tensor(1.0), ops.convert_to_tensor(2.0)])
    assert [float(arr(v)) for v in layer.losses] == [1.0, 2.0]


def test_sublayer_losses_and_regularizer_losses():
    class LossInner(Layer):
        def __init__(self):
            super().__init__()
            self.k = self.add_weight(shape=(2, 2), initializer="ones",
                                     regularizer=lamina.regularizers.L2(0.1), name="k")

        def call(self, x):
            self.add_loss(ops.mean(x))
            return ops.matmul(x, self.k)

    class LossOuter(Layer):
        def __init__(self):
            super().__init__()
            self.inner_1 = LossInner()
            self.inner_2 = LossInner()

        def call(self, x):
            self.add_loss(ops.convert_to_tensor(100.0))
            return self.inner_2(self.inner_1(x))

    outer = LossOuter()
    x = np.ones((2, 2), "float32")
    outer(x)
    losses = [float(arr(v)) for v in outer.losses]
    # own add_loss, sublayers' add_loss (in layer order), then one regularizer loss per
    # trainable weight (weights order).
    np.testing.assert_allclose(losses, [100.0, 1.0, 2.0, 0.4, 0.4], rtol=1e-6)
    assert len(outer.inner_1.losses) == 2
    outer(x)
    assert len(outer.losses) == 5  # cleared, not accumulated
    # A frozen layer has no trainable weights, hence no weight-regularization losses.
    outer.trainable = False
    assert len(outer.losses) == 3


def test_regularizer_loss_equals_formula_and_is_differentiable():
    layer = Layer()
    w = layer.add_weight(shape=(3, 2), initializer="glorot_uniform",
                         regularizer=lamina.regularizers.L2(0.1), name="w")
    w_np = arr(w).astype("float64")
    (loss,) = layer.losses
    np.testing.assert_allclose(float(arr(loss)), 0.1 * np.sum(w_np ** 2), rtol=1e-5)
    with lamina.GradientTape() as tape:
        total = ops.sum(ops.stack(layer.losses))
    (g,) = tape.gradient(total, [w])
    np.testing.assert_allclose(arr(g), 0.2 * w_np, rtol=1e-5)


def test_activity_regularizer_loss_divided_by_batch_size():
    class Scale(Layer):
        def call(self, x):
            return x * 2.0

    layer = Scale(activity_regularizer=lamina.regularizers.L1(0.5))
    x = -np.arange(12, dtype="float32").reshape(4, 3)
    layer(x)
    (loss,) = layer.losses
    np.testing.assert_allclose(float(arr(loss)), 0.5 * np.abs(2 * x).sum() / 4, rtol=1e-6)
    layer.activity_regularizer = "l2"  # by name, L2(0.01)
    layer(x[:2])
    (loss,) = layer.losses
    np.testing.assert_allclose(float(arr(loss)), 0.01 * ((2 * x[:2]) ** 2).sum() / 2, rtol=1e-5)


def test_losses_from_a_layer_called_twice_in_one_outer_call_accumulate():
    class AddsLoss(Layer):
        def call(self, x):
            self.add_loss(ops.sum(x))
            return x

    class Twice(Layer):
        def __init__(self):
            super().__init__()
            self.inner = AddsLoss()

        def call(self, x):
            return self.inner(self.inner(x) * 2.0)

    t = Twice()
    t(ops.ones((2,)))
    assert [float(arr(v)) for v in t.losses] == [2.0, 4.0]


# ------------------------------------------------------------------------------------------------
# Gradients through layers
# ------------------------------------------------------------------------------------------------


def test_gradients_through_a_layer_match_numpy():
    layer = SimpleDense(3)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 4)).astype("float32")
    layer(x)
    layer.bias.assign(rng.normal(size=(3,)).astype("float32"))
    with lamina.GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(y * y)
    gk, gb = tape.gradient(loss, layer.trainable_weights)
    k, b = arr(layer.kernel).astype("float64"), arr(layer.bias).astype("float64")
    dy = 2.0 * (x.astype("float64") @ k + b)
    np.testing.assert_allclose(arr(gk), x.T.astype("float64") @ dy, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(arr(gb), dy.sum(axis=0), rtol=1e-4, atol=1e-5)
    # The gradient w.r.t. the input, watched explicitly.
    xt = ops.convert_to_tensor(x)
    with lamina.GradientTape() as tape:
        tape.watch(xt)
        loss = ops.sum(layer(xt) * layer(xt))
    gx = tape.gradient(loss, xt)
    np.testing.assert_allclose(arr(gx), dy @ k.T, rtol=1e-4, atol=1e-5)


def test_gradients_through_nested_layers_with_regularization_losses():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.d1 = SimpleDense(3)
            self.d2 = SimpleDense(1)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(), initializer="ones", name="scale",
                                         regularizer=lamina.regularizers.L2(0.5))

        def call(self, x):
            return self.d2(ops.relu(self.d1(x))) * self.scale

    block = Block()
    x = np.random.default_rng(3).normal(size=(6, 2)).astype("float32")
    block(x)
    assert names(block.trainable_weights) == ["scale", "kernel", "bias", "kernel", "bias"]
    with lamina.GradientTape() as tape:
        loss = ops.mean(block(x)) + ops.sum(ops.stack(block.losses))
    grads = tape.gradient(loss, block.trainable_weights)
    assert all(g is not None for g in grads)
    assert [tuple(g.shape) for g in grads] == [tuple(v.shape) for v in block.trainable_weights]

    # numpy reference
    k1, b1, k2, b2 = (arr(v).astype("float64") for v in
                      (block.d1.kernel, block.d1.bias, block.d2.kernel, block.d2.bias))
    s = float(arr(block.scale))
    h_pre = x @ k1 + b1
    h = np.maximum(h_pre, 0)
    out = h @ k2 + b2
    n = out.size
    ds = out.sum() / n + 2 * 0.5 * s
    dout = np.full_like(out, s / n)
    dk2 = h.T @ dout
    db2 = dout.sum(0)
    dh = (dout @ k2.T) * (h_pre > 0)
    dk1 = x.T @ dh
    db1 = dh.sum(0)
    for g, ref in zip(grads, [ds, dk1, db1, dk2, db2]):
        np.testing.assert_allclose(arr(g), ref, rtol=1e-4, atol=1e-6)


def test_non_trainable_weights_are_not_watched():
    class Mixed(Layer):
        def __init__(self):
            super().__init__()
            self.t = self.add_weight(shape=(2,), initializer="ones", name="t")
            self.n = self.add_weight(shape=(2,), initializer="ones", name="n", trainable=False)

        def call(self, x):
            return x * self.t * self.n

    layer = Mixed()
    with lamina.GradientTape() as tape:
        loss = ops.sum(layer(ops.ones((2,))))
    assert same(tape.watched_variables(), [layer.t])
    gt, gn = tape.gradient(loss, [layer.t, layer.n])
    np.testing.assert_array_equal(arr(gt), [1.0, 1.0])
    assert gn is None
