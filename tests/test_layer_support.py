"""The pieces around the Layer class: lamina.testing.run_layer_test, metrics behind add_metric,
ops.qr (for the Orthogonal initializer), autocast scopes and Keras 2 backend helpers."""

import numpy as np
import pytest

import lamina
from lamina import ops
from _helpers import SimpleDense
from lamina.backend.autocast import AutocastScope
from lamina.testing import run_layer_test


class Masker(lamina.layers.Layer):
    """Passes inputs through and masks the zero entries of the last axis."""

    def call(self, inputs):
        return inputs * 1.0

    def compute_mask(self, inputs, previous_mask=None):
        return ops.any(ops.not_equal(inputs, 0.0), axis=-1)


def test_run_layer_test_passes_a_correct_layer():
    run_layer_test(
        SimpleDense,
        init_kwargs={"units": 3},
        input_shape=(2, 5),
        expected_output_shape=(2, 3),
        expected_output_dtype="float32",
        expected_num_trainable_weights=2,
        expected_num_non_trainable_weights=0,
        expected_num_losses=0,
        supports_masking=False,
    )


def test_run_layer_test_checks_values_and_masks():
    x = np.array([[1.0, 2.0], [0.0, 0.0], [3.0, 0.0]], dtype="float32")
    run_layer_test(Masker, init_kwargs={}, input_data=x, expected_output=x,
                   expected_mask_shape=(3,), supports_masking=True, run_mixed_precision_check=False)


def test_run_layer_test_reports_wrong_expectations():
    with pytest.raises(AssertionError, match="expected 5 trainable_weights"):
        run_layer_test(SimpleDense, {"units": 3}, input_shape=(2, 5),
                       expected_num_trainable_weights=5)
    with pytest.raises(AssertionError, match="output shape"):
        run_layer_test(SimpleDense, {"units": 3}, input_shape=(2, 5), expected_output_shape=(2, 4))


def test_run_layer_test_rejects_contradictory_arguments():
    with pytest.raises(ValueError):
        run_layer_test(SimpleDense, {"units": 3}, input_shape=(2, 5), input_data=np.ones((2, 5)))


def test_qr_matches_numpy_up_to_signs():
    rng = np.random.default_rng(0)
    for shape in [(5, 3), (3, 5), (4, 4), (2, 6, 4)]:
        a = rng.standard_normal(shape)
        q, r = ops.qr(a)
        q, r = np.asarray(q), np.asarray(r)
        np.testing.assert_allclose(q @ r, a, atol=1e-10)
        k = min(shape[-2:])
        assert q.shape == shape[:-2] + (shape[-2], k) and r.shape == shape[:-2] + (k, shape[-1])
        eye = np.swapaxes(q, -1, -2) @ q
        np.testing.assert_allclose(eye, np.broadcast_to(np.eye(k), eye.shape), atol=1e-10)
        assert np.allclose(np.tril(r, -1), 0)
        qn, rn = np.linalg.qr(a)
        np.testing.assert_allclose(np.abs(r), np.abs(rn), atol=1e-9)
    q, r = ops.qr(rng.standard_normal((5, 3)).astype("float32"), mode="complete")
    assert q.shape == (5, 5) and r.shape == (5, 3) and q.dtype == "float32"
    with pytest.raises(ValueError, match="mode"):
        ops.qr(np.eye(3), mode="full")
    with pytest.raises(ValueError, match="rank"):
        ops.qr(np.ones(3))


def test_mean_and_sum_metrics():
    m = lamina.metrics.Mean(name="m")
    assert float(m([1.0, 2.0, 3.0])) == pytest.approx(2.0)
    assert float(m(5.0)) == pytest.approx(2.75)
    m.update_state([2.0, 4.0], sample_weight=[1.0, 3.0])
    assert float(m.result()) == pytest.approx((11.0 + 14.0) / 8.0)
    m.reset_state()
    assert float(m.result()) == 0.0
    s = lamina.metrics.Sum()
    s.update_state(np.ones((2, 3)))
    assert float(s.result()) == 6.0
    assert len(m.variables) == 2 and all(not v.trainable for v in m.variables)


def test_add_metric_by_name_and_from_a_metric_object():
    class MyMetricLayer(lamina.layers.Layer):
        def __init__(self):
            super().__init__(name="my_metric_layer")
            self.mean = lamina.metrics.Mean(name="metric_1")

        def call(self, inputs):
            self.add_metric(self.mean(inputs))
            self.add_metric(ops.sum(inputs), name="metric_2")
            return inputs

    layer = MyMetricLayer()
    layer(np.ones((2, 2), dtype="float32"))
    layer(np.full((2, 2), 3.0, dtype="float32"))
    names = [m.name for m in layer.metrics]
    assert names == ["metric_1", "metric_2"]
    assert float(layer.metrics[0].result()) == pytest.approx(2.0)
    assert float(layer.metrics[1].result()) == pytest.approx((4.0 + 12.0) / 2)
    assert len(layer.variables) == 4 and layer.weights == []

    class NoName(lamina.layers.Layer):
        def call(self, inputs):
            self.add_metric(ops.sum(inputs))
            return inputs

    with pytest.raises(ValueError, match="provide a name"):
        NoName()(np.ones(2, dtype="float32"))
    with pytest.raises(ValueError, match="aggregation"):
        layer.add_metric(ops.ones(()), name="x", aggregation="sum")


def test_autocast_scope_reads_float_variables_in_the_scope_dtype():
    v = lamina.Variable(np.ones(3), dtype="float32")
    i = lamina.Variable(np.ones(3, dtype="int32"), dtype="int32")
    no = lamina.Variable(np.ones(3), dtype="float32", autocast=False)
    with AutocastScope("float16"):
        assert v.value.dtype == "float16" and (v + 1.0).dtype == "float16"
        assert i.value.dtype == "int32" and no.value.dtype == "float32"
        assert v.dtype == "float32"  # the variable itself is unchanged
    assert v.value.dtype == "float32"
    with lamina.GradientTape() as tape:
        with AutocastScope("float16"):
            y = ops.sum(v * 2.0)
    g = tape.gradient(y, v)
    assert g.dtype == "float32"
    np.testing.assert_allclose(np.asarray(g), [2.0, 2.0, 2.0])


def test_keras2_backend_helpers():
    from lamina import backend as K

    x = np.random.default_rng(1).random((2, 3, 4)).astype("float32")
    y = np.random.default_rng(2).random((4, 5)).astype("float32")
    np.testing.assert_allclose(np.asarray(K.dot(x, y)), x @ y, rtol=1e-6)
    v = K.variable(np.zeros((2, 2)), name="kv")
    K.set_value(v, np.ones((2, 2)))
    np.testing.assert_array_equal(K.get_value(v), np.ones((2, 2)))
    assert K.int_shape(v) == (2, 2) and K.floatx() == "float32"


def test_stateless_call_uses_given_values_and_restores_the_layer():
    class Counter(lamina.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")
            self.n = self.add_weight(shape=(), initializer="zeros", trainable=False, name="n")

        def call(self, x):
            self.n.assign_add(1.0)
            self.add_loss(ops.sum(self.w))
            return x * self.w

    layer = Counter()
    x = np.ones((2, 3), dtype="float32")
    layer(x)
    w_before = np.asarray(layer.w.numpy()).copy()
    out, nt, losses = layer.stateless_call([np.full(3, 2.0, "float32")], [np.float32(10.0)], x,
                                           return_losses=True)
    np.testing.assert_allclose(np.asarray(out), np.full((2, 3), 2.0))
    assert float(nt[0]) == 11.0 and float(losses[0]) == 6.0
    np.testing.assert_array_equal(layer.w.numpy(), w_before)
    assert float(layer.n.numpy()) == 1.0
    with pytest.raises(ValueError, match="trainable_variables"):
        layer.stateless_call([], [np.float32(0.0)], x)
    with pytest.raises(ValueError, match="must be built"):
        Counter().stateless_call([], [], x)


def test_compute_output_spec_from_compute_output_shape_and_by_probing():
    dense = SimpleDense(3)
    spec = dense.compute_output_spec(lamina.KerasTensor((None, 5)))
    assert isinstance(spec, lamina.KerasTensor) and spec.shape == (None, 3) and spec.dtype == "float32"

    class NoShape(lamina.layers.Layer):
        def build(self, input_shape):
            self.total = self.add_weight(shape=(), initializer="zeros", trainable=False, name="t")

        def call(self, x):
            self.total.assign_add(1.0)
            self.add_loss(ops.sum(x))
            return ops.concatenate([x, x], axis=-1)[:, None, :]

    layer = NoShape()
    spec = layer.compute_output_spec(lamina.KerasTensor((None, 4), dtype="float32"))
    assert spec.shape == (None, 1, 8) and spec.dtype == "float32"
    assert float(layer.total.numpy()) == 0.0 and layer.losses == []
    assert repr(lamina.KerasTensor((None, 2), name="x")).startswith("<KerasTensor shape=(None, 2)")
    with pytest.raises(ValueError):
        lamina.KerasTensor((2,), sparse=True)
