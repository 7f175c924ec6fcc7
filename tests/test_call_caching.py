"""What `Layer.__call__` and models keep between calls to make calling cheap, and that each of
those caches follows the state it depends on: the per-layer dtype/autocast cache
(`_call_cache`), the per-thread call state (training flag, name scope stack), the record of
layers holding losses, Dense's direct kernel read, and a functional model's input references.
"""

import threading

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.backend.naming import current_path
from lamina.layers import InputSpec
from lamina.layers import Layer


class Identity(Layer):
    def call(self, inputs):
        return inputs


class RecordsTraining(Layer):
    def call(self, inputs, training=None):
        self.seen = training
        return inputs


class Outer(Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, inputs, training=None):
        return self.inner(inputs)


class AddsLoss(Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs))
        return inputs


class Fails(Layer):
    def call(self, inputs, training=None):
        raise RuntimeError("boom")


def f32(*shape):
    return ops.ones(shape, dtype="float32")


# -- dtype policy and autocast -----------------------------------------------------------------


def test_dtype_policy_set_after_a_call_is_used_by_the_next_call():
    layer = Identity()
    assert layer(f32(2, 2)).dtype == "float32"
    layer.dtype_policy = "float64"
    assert layer(f32(2, 2)).dtype == "float64"
    layer.dtype_policy = "mixed_float16"
    assert layer(f32(2, 2)).dtype == "float16"


def test_mixed_policy_set_after_a_call_opens_the_autocast_scope():
    layer = lamina.layers.Dense(3)
    layer(f32(2, 2))
    layer.dtype_policy = "mixed_float16"
    out = layer(f32(2, 2))
    # The float32 kernel is read as float16 inside the scope, so the product is float16.
    assert out.dtype == "float16"
    assert layer.kernel.dtype == "float32"


def test_autocast_turned_off_after_a_call_stops_casting():
    layer = Identity(dtype="float64")
    assert layer(f32(2, 2)).dtype == "float64"
    layer.autocast = False
    assert layer(f32(2, 2)).dtype == "float32"
    layer.autocast = True
    assert layer(f32(2, 2)).dtype == "float64"


def test_deleting_a_cached_attribute_drops_the_cache():
    layer = Identity(dtype="float64")
    layer(f32(1))
    layer.__dict__["autocast_backup"] = layer.autocast
    del layer.autocast
    with pytest.raises(AttributeError):
        layer(f32(1))


def test_policy_set_in_build_applies_to_the_first_call():
    class SetsPolicyInBuild(Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.dtype_policy = "mixed_float16"

        def call(self, inputs):
            return ops.cast(inputs, "float16") * self.w

    layer = SetsPolicyInBuild()
    # Called under the float16 scope: the float32 weight is read as float16.
    assert layer(f32(2, 2)).dtype == "float16"


def test_class_overriding_input_dtype_is_read_at_each_call():
    class Switchable(Layer):
        target = "float32"

        @property
        def input_dtype(self):
            return type(self).target

        def call(self, inputs):
            return inputs

    layer = Switchable()
    assert layer(f32(2)).dtype == "float32"
    Switchable.target = "float64"
    assert layer(f32(2)).dtype == "float64"


def test_sequential_input_dtype_follows_its_input_layer():
    model = lamina.Sequential([lamina.Input((2,), dtype="float64"), Identity(dtype="float64")])
    assert model(f32(1, 2)).dtype == "float64"


# -- input_spec ----------------------------------------------------------------------------------


def test_input_spec_set_after_a_call_is_checked():
    layer = Identity()
    layer(f32(2, 3))
    layer.input_spec = InputSpec(ndim=3)
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        layer(f32(2, 3))
    layer.input_spec = InputSpec(axes={-1: 4})
    with pytest.raises(ValueError, match="expected axis -1 of input shape to have value 4"):
        layer(f32(2, 3))
    layer.input_spec = None
    layer(f32(2, 3))


def test_input_spec_changed_in_place_is_checked():
    layer = Identity()
    layer.input_spec = InputSpec(min_ndim=2, axes={-1: 3})
    layer(f32(2, 3))
    layer.input_spec.axes[-1] = 5
    with pytest.raises(ValueError, match="to have value 5"):
        layer(f32(2, 3))
    layer.input_spec.axes[-1] = 3
    layer.input_spec.max_ndim = 1
    with pytest.raises(ValueError, match="expected max_ndim=1"):
        layer(f32(2, 3))


@pytest.mark.parametrize("spec, shape, message", [
    (InputSpec(min_ndim=3), (2, 2), "expected min_ndim=3, found ndim=2"),
    (InputSpec(max_ndim=1), (2, 2), "expected max_ndim=1, found ndim=2"),
    (InputSpec(axes={1: 4}), (2, 2), "expected axis 1 of input shape to have value 4"),
    (InputSpec(axes={2: 4}), (2, 2), "expected axis 2 of input shape to have value 4"),
    (InputSpec(axes={-3: 4}), (2, 2), "expected axis -3 of input shape to have value 4"),
    (InputSpec(ndim=2), (2, 2, 2), "expected ndim=2, found ndim=3"),
    (InputSpec(dtype="float64"), (2,), "expected dtype=float64, found dtype=float32"),
    (InputSpec(shape=(None, 3)), (2, 2), r"expected shape=\(None, 3\), found shape=\(2, 2\)"),
])
def test_input_spec_errors_on_the_single_tensor_path(spec, shape, message):
    layer = Identity()
    layer.input_spec = spec
    with pytest.raises(ValueError, match=message):
        layer(f32(*shape))


def test_input_spec_with_a_dtype_checks_each_call():
    layer = Identity(autocast=False)
    layer.input_spec = InputSpec(dtype="float64")
    layer(ops.ones((2,), dtype="float64"))
    with pytest.raises(ValueError, match="expected dtype=float64, found dtype=float32"):
        layer(f32(2))


def test_input_spec_remembers_a_bounded_number_of_shapes():
    from lamina.layers import input_spec as input_spec_module

    spec = InputSpec(min_ndim=1)
    layer = Identity()
    layer.input_spec = spec
    for n in range(1, input_spec_module._MAX_PASSED + 10):
        layer(f32(n))
    assert len(spec._passed[1]) == input_spec_module._MAX_PASSED
    spec.min_ndim = 2
    assert spec._passed is None
    with pytest.raises(ValueError, match="expected min_ndim=2"):
        layer(f32(1))


def test_input_spec_shared_by_layers_named_differently():
    spec = InputSpec(axes={-1: 2})
    first, second = Identity(name="first_id"), Identity(name="second_id")
    first.input_spec = spec
    second.input_spec = spec
    first(f32(1, 2))
    with pytest.raises(ValueError, match="Input 0 of layer 'second_id'"):
        second(f32(1, 3))


def test_input_spec_passes_on_the_single_tensor_path():
    layer = Identity()
    layer.input_spec = InputSpec(min_ndim=2, max_ndim=3, axes={-1: 2, 0: None})
    layer(f32(4, 2))
    layer(f32(1, 4, 2))


# -- training flag and the per-thread call state -----------------------------------------------


def test_training_propagates_to_inner_layers_and_resets_after_the_call():
    inner = RecordsTraining()
    outer = Outer(inner)
    outer(f32(1), training=True)
    assert inner.seen is True
    outer(f32(1))
    assert inner.seen is None
    outer(f32(1), training=False)
    assert inner.seen is False
    inner(f32(1))
    assert inner.seen is None


def test_training_is_reset_after_a_call_that_raises():
    inner = RecordsTraining()
    failing = Outer(Fails())
    with pytest.raises(RuntimeError, match="boom"):
        failing(f32(1), training=True)
    Outer(inner)(f32(1))
    assert inner.seen is None
    assert current_path() == ""


def test_inner_call_fills_a_training_flag_the_outer_call_left_unset():
    class TwoInner(Layer):
        def __init__(self):
            super().__init__()
            self.first = RecordsTraining()
            self.second = RecordsTraining()

        def call(self, inputs):
            self.first(inputs, training=True)
            return self.second(inputs)

    layer = TwoInner()
    layer(f32(1))
    assert layer.second.seen is True


def test_call_state_is_per_thread():
    inner = RecordsTraining()
    outer = Outer(inner)
    seen = {}

    def other_thread():
        inner(f32(1))
        seen["thread"] = inner.seen
        seen["path"] = current_path()

    class Spawns(Layer):
        def call(self, inputs, training=None):
            t = threading.Thread(target=other_thread)
            t.start()
            t.join()
            return inputs

    Outer(Spawns(name="spawns"), name="outer")(f32(1), training=True)
    assert seen["thread"] is None  # the other thread's call is an outermost call
    assert seen["path"] == ""
    outer(f32(1), training=True)
    assert inner.seen is True


def test_name_scope_of_variables_created_in_call():
    class LazyWeight(Layer):
        def call(self, inputs):
            if not hasattr(self, "w"):
                self.w = self.add_weight(shape=(1,), initializer="ones", name="w")
            return inputs

    class Holder(Layer):
        def __init__(self):
            super().__init__(name="holder")
            self.lazy = LazyWeight(name="lazy")

        def call(self, inputs):
            return self.lazy(inputs)

    holder = Holder()
    holder(f32(1))
    assert holder.lazy.w.path == "holder/lazy/w"


def test_layer_named_like_the_enclosing_scope_is_not_pushed_twice():
    class MakesWeight(Layer):
        def call(self, inputs):
            self.w = self.add_weight(shape=(1,), initializer="ones", name="w")
            return inputs

    layer = MakesWeight(name="block")
    with lamina.name_scope("block"):
        layer(f32(1))
    assert layer.w.path == "block/w"


# -- masks -----------------------------------------------------------------------------------


def test_masks_flow_after_cached_calls():
    model = lamina.Sequential([lamina.layers.Masking(0.0), lamina.layers.Dense(2)])
    x = ops.convert_to_tensor(np.array([[[1.0], [0.0], [2.0]]], dtype="float32"))
    for _ in range(3):
        out = model(x)
        np.testing.assert_array_equal(np.asarray(out._keras_mask), [[True, False, True]])


def test_custom_compute_mask_set_on_the_class_after_a_call_is_used():
    layer = Identity()
    layer.supports_masking = True
    layer(f32(2))
    Identity.compute_mask = lambda self, inputs, previous_mask: ops.zeros((2,), dtype="bool")
    try:
        out = layer(f32(2))
        assert out._keras_mask is not None
    finally:
        del Identity.compute_mask


# -- losses ----------------------------------------------------------------------------------


def test_losses_are_replaced_at_each_outer_call():
    layer = AddsLoss()
    layer(f32(2))
    layer(f32(3))
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == 3.0


def test_losses_of_a_sublayer_attached_after_a_clear_are_cleared():
    lossy = AddsLoss()
    lossy(f32(2))  # lossy holds a loss
    holder = Outer(Identity())
    holder(f32(1))  # clears holder's tree, which does not contain lossy yet
    holder.extra = lossy
    holder(f32(1))
    assert lossy.losses == []
    assert holder.losses == []


def test_losses_kept_by_compute_output_spec_are_cleared_by_the_next_call():
    lossy = AddsLoss()
    lossy(f32(2))
    lossy.compute_output_spec(lamina.KerasTensor((2,)))
    assert len(lossy.losses) == 1
    holder = Outer(lossy)
    holder(f32(4))
    assert [float(v) for v in lossy.losses] == [4.0]
    Outer(Identity())(f32(1))
    other = Outer(Identity())
    other.lossy = lossy
    other(f32(1))
    assert lossy.losses == []


def test_dead_layers_with_losses_do_not_keep_the_record():
    from lamina.layers import layer as layer_module

    layer = AddsLoss()
    layer(f32(2))
    key = id(layer)
    assert key in layer_module._layers_with_losses
    del layer
    import gc

    gc.collect()
    assert key not in layer_module._layers_with_losses


# -- Dense kernel ----------------------------------------------------------------------------


def test_dense_subclass_overriding_kernel_is_used_in_call():
    class Doubled(lamina.layers.Dense):
        @property
        def kernel(self):
            return self._kernel * 2.0

    layer = Doubled(2, kernel_initializer="ones", use_bias=False)
    out = layer(f32(1, 3))
    np.testing.assert_allclose(np.asarray(out), [[6.0, 6.0]])


def test_dense_lora_enabled_after_a_call_uses_the_effective_kernel():
    layer = lamina.layers.Dense(2, kernel_initializer="ones", use_bias=False)
    np.testing.assert_allclose(np.asarray(layer(f32(1, 3))), [[3.0, 3.0]])
    layer.enable_lora(1, b_initializer="ones", a_initializer="ones")
    # kernel + (alpha / rank) * a @ b = 1 + 1 * 1 = 2 everywhere.
    np.testing.assert_allclose(np.asarray(layer(f32(1, 3))), [[6.0, 6.0]])


def test_dense_call_before_build_says_to_build():
    layer = lamina.layers.Dense(2)
    with pytest.raises(AttributeError, match="You must build the layer"):
        layer.call(f32(1, 3))


# -- functional inputs -----------------------------------------------------------------------


def test_functional_single_input_checks_after_cached_calls():
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, lamina.layers.Dense(2)(inputs))
    model(f32(2, 3))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(2, 4\)"):
        model(f32(2, 4))
    # Another dtype is cast, a missing trailing axis of 1 is not accepted for size 3.
    assert model(ops.ones((2, 3), dtype="float64")).dtype == "float32"
    with pytest.raises(ValueError, match="Invalid input shape"):
        model(f32(3))


def test_functional_trailing_axis_adjusted_after_cached_calls():
    inputs = lamina.Input((2, 1))
    model = lamina.Model(inputs, Identity()(inputs))
    assert model(f32(4, 2, 1)).shape == (4, 2, 1)
    assert model(f32(4, 2)).shape == (4, 2, 1)


def test_functional_input_refs_follow_replaced_inputs():
    inputs = lamina.Input((3,))
    model = lamina.Model(inputs, Identity()(inputs))
    model(f32(2, 3))
    refs = model._input_refs()
    assert refs[0][1:] == ("float32", (None, 3), ((1, 3),))
    object.__setattr__(model, "_inputs", list(model._inputs))
    assert model._input_refs() is not refs


# -- functional plan: steps of one tensor in, one out ------------------------------------------


def test_plan_of_single_tensor_steps_passes_training_to_layers_only():
    inputs = lamina.Input((3,))
    hidden = ops.relu(inputs)  # an op step: never given `training`
    recorder = RecordsTraining()
    model = lamina.Model(inputs, recorder(hidden))
    assert model._plan.simple_steps is not None
    model(f32(2, 3), training=True)
    assert recorder.seen is True
    model(f32(2, 3))
    assert recorder.seen is None


def test_plan_step_returning_a_one_tensor_list():
    class ListOut(Layer):
        def call(self, inputs):
            return [inputs * 2.0]

        def compute_output_shape(self, input_shape):
            return [input_shape]

    inputs = lamina.Input((2,))
    (out,) = ListOut()(inputs)
    model = lamina.Model(inputs, lamina.layers.Dense(1, kernel_initializer="ones")(out))
    assert model._plan.simple_steps is not None
    np.testing.assert_allclose(np.asarray(model(f32(1, 2))), [[4.0]])


def test_plan_with_a_two_input_step_runs_the_general_loop():
    inputs = lamina.Input((2,))
    a = lamina.layers.Dense(2, kernel_initializer="ones")(inputs)
    model = lamina.Model(inputs, lamina.layers.Add()([a, inputs]))
    assert model._plan.simple_steps is None
    np.testing.assert_allclose(np.asarray(model(f32(1, 2))), [[3.0, 3.0]])


def test_sequential_dropout_sees_training_through_the_plan():
    model = lamina.Sequential([lamina.Input((1000,)), lamina.layers.Dropout(0.5)])
    x = f32(1, 1000)
    np.testing.assert_array_equal(np.asarray(model(x)), np.ones((1, 1000)))
    assert (np.asarray(model(x, training=True)) == 0).any()


# -- how `call` is invoked ---------------------------------------------------------------------


@pytest.mark.parametrize("call_kwargs, expected", [
    ({}, (None, None)),
    ({"training": True}, (True, None)),
    ({"training": False, "mask": "m"}, (False, "m")),
    ({"mask": "m"}, (None, "m")),
])
def test_call_receives_training_and_mask_as_given(call_kwargs, expected):
    class Records(Layer):
        def call(self, inputs, *, training=None, mask=None):
            self.seen = (training, None if mask is None else "m")
            return inputs

    layer = Records()
    layer.supports_masking = True
    kwargs = dict(call_kwargs)
    if "mask" in kwargs:
        kwargs["mask"] = ops.ones((2,), dtype="bool")
    layer(f32(2), **kwargs)
    assert layer.seen == expected


def test_call_with_two_tensors_and_extra_keywords():
    class Combines(Layer):
        def call(self, a, b, scale=1.0, training=None):
            self.seen = training
            return (a + b) * scale

    layer = Combines()
    out = layer(f32(2), f32(2), scale=3.0, training=True)
    np.testing.assert_allclose(np.asarray(out), [6.0, 6.0])
    assert layer.seen is True
    np.testing.assert_allclose(np.asarray(layer(f32(2), b=f32(2))), [2.0, 2.0])


def test_sequential_passes_extra_call_keywords_to_its_graph():
    model = lamina.Sequential([lamina.Input((2,)), Identity()])
    np.testing.assert_allclose(np.asarray(model(f32(1, 2), unused=1)), [[1.0, 1.0]])
    assert model(f32(1, 2)).shape == (1, 2)
