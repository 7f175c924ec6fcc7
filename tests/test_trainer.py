"""The Trainer: compile/fit/evaluate/predict and the *_on_batch methods, checked against numpy
references and a hand-written GradientTape loop with the same optimizer."""

import math
import warnings

import numpy as np
import pytest

import lamina
from lamina import callbacks as callbacks_module
from lamina import layers
from lamina import losses
from lamina import metrics as metrics_module
from lamina import ops
from lamina import optimizers
from lamina.trainers.trainer import Trainer
from lamina.utils.py_dataset import PyDataset


# ----------------------------------------------------------------------------------------------
# Models: Trainer + Layer, as lamina.Model is (class Model(Trainer, Layer))
# ----------------------------------------------------------------------------------------------

class MLP(Trainer, layers.Layer):
    """Dense hidden layers, then a Dense output layer."""

    def __init__(self, hidden=(8,), out=1, out_activation=None, kernel_regularizer=None, **kwargs):
        Trainer.__init__(self)
        layers.Layer.__init__(self, **kwargs)
        self.hidden = [layers.Dense(u, activation="tanh", kernel_regularizer=kernel_regularizer)
                       for u in hidden]
        self.head = layers.Dense(out, activation=out_activation)

    def call(self, x):
        for layer in self.hidden:
            x = layer(x)
        return self.head(x)


class TwoInTwoOut(Trainer, layers.Layer):
    """Inputs [a, b]; outputs [regression (1 unit), 3-class logits] named "reg" and "cls"."""

    output_names = ["reg", "cls"]

    def __init__(self, as_dict=False):
        Trainer.__init__(self)
        layers.Layer.__init__(self)
        self.as_dict = as_dict
        self.da = layers.Dense(6)
        self.db = layers.Dense(6)
        self.reg = layers.Dense(1)
        self.cls = layers.Dense(3)

    def call(self, inputs):
        a, b = inputs
        h = ops.tanh(self.da(a) + self.db(b))
        if self.as_dict:
            return {"reg": self.reg(h), "cls": self.cls(h)}
        return [self.reg(h), self.cls(h)]


RNG = np.random.default_rng(0)


def blobs(n=200, seed=0):
    """Two linearly separable 2-d classes."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)).astype("float32") * 0.5 + np.where(y[:, None] == 1, 1.5, -1.5)
    return x.astype("float32"), y.astype("float32")[:, None]


def regression(n=40, d=3, seed=1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")[:d] + 0.3).astype("float32")
    return x, y


def forward_np(model, x):
    """numpy reference of MLP's forward pass."""
    h = x.astype("float64")
    for layer in model.hidden:
        k, b = layer.get_weights()
        h = np.tanh(h @ k + b)
    k, b = model.head.get_weights()
    return h @ k + b


def sparse_ce_np(y, logits):
    logits = logits - logits.max(axis=-1, keepdims=True)
    logp = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(y)), y.astype(int)]


def built(model, x):
    if isinstance(x, list):
        model([ops.convert_to_tensor(v[:1]) for v in x])
    else:
        model(ops.convert_to_tensor(x[:1]))
    return model


# ----------------------------------------------------------------------------------------------
# Training works, and is the same computation as a GradientTape loop
# ----------------------------------------------------------------------------------------------

def test_fit_learns_a_separable_problem():
    x, y = blobs()
    model = MLP(hidden=(8,), out=1, out_activation="sigmoid")
    model.compile(optimizer=optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    assert isinstance(history, callbacks_module.History) and model.history is history
    losses_ = history.history["loss"]
    assert len(losses_) == 15 and all(isinstance(v, float) for v in losses_)
    assert losses_[-1] < 0.5 * losses_[0]
    assert history.history["accuracy"][-1] >= 0.97
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc >= 0.97 and isinstance(loss, float)
    probs = model.predict(x, verbose=0)
    assert probs.shape == (200, 1) and probs.dtype == np.float32
    assert np.mean((probs > 0.5) == (y > 0.5)) >= 0.97


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_fit_equals_a_gradient_tape_loop(opt):
    x, y = regression(n=36)
    make_opt = {"sgd": lambda: optimizers.SGD(0.05, momentum=0.5),
                "adam": lambda: optimizers.Adam(0.01)}[opt]
    a = built(MLP(hidden=(5,), kernel_regularizer="l2"), x)
    b = built(MLP(hidden=(5,), kernel_regularizer="l2"), x)
    b.set_weights(a.get_weights())
    a.compile(optimizer=make_opt(), loss="mse")
    history = a.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)

    loss_fn = losses.MeanSquaredError()
    optimizer = make_opt()
    epoch_losses = []
    for _ in range(3):
        total, count = 0.0, 0
        for start in range(0, 36, 10):
            xb, yb = ops.convert_to_tensor(x[start:start + 10]), ops.convert_to_tensor(y[start:start + 10])
            with lamina.GradientTape() as tape:
                pred = b(xb, training=True)
                loss = loss_fn(yb, pred)
                for extra in b.losses:
                    loss = loss + extra
            grads = tape.gradient(loss, b.trainable_variables)
            optimizer.apply(grads, b.trainable_variables)
            total += float(loss) * len(xb)
            count += len(xb)
        epoch_losses.append(total / count)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(history.history["loss"], epoch_losses, rtol=1e-6)
    assert int(ops.convert_to_numpy(a.optimizer.iterations)) == 12


def test_regularization_losses_are_added_to_the_loss():
    x, y = regression(n=8)
    model = built(MLP(hidden=(4,), kernel_regularizer=lamina.regularizers.L2(0.1)), x)
    model.compile(optimizer="sgd", loss="mse")
    pred = forward_np(model, x)
    k = model.hidden[0].get_weights()[0]
    expected = np.mean((pred - y) ** 2) + 0.1 * np.sum(k.astype("float64") ** 2)
    assert model.test_on_batch(x, y) == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------------------------
# evaluate / predict against numpy
# ----------------------------------------------------------------------------------------------

def test_evaluate_and_predict_match_numpy():
    x = RNG.normal(size=(50, 4)).astype("float32")
    y = RNG.integers(0, 3, 50)
    model = built(MLP(hidden=(6,), out=3), x)
    model.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    logits = forward_np(model, x)
    ref_loss = sparse_ce_np(y, logits).mean()
    ref_acc = np.mean(logits.argmax(-1) == y)
    result = model.evaluate(x, y, batch_size=16, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    assert result[0] == pytest.approx(ref_loss, rel=1e-5)
    assert result[1] == pytest.approx(ref_acc)
    assert result[2] == 1.0  # top-5 of 3 classes
    as_dict = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    assert set(as_dict) == {"loss", "accuracy", "sparse_top_k_categorical_accuracy"}
    assert as_dict["loss"] == pytest.approx(ref_loss, rel=1e-5)
    assert as_dict["accuracy"] == pytest.approx(ref_acc)
    out = model.predict(x, batch_size=16, verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (50, 3)
    np.testing.assert_allclose(out, logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(ops.convert_to_tensor(x), verbose=0), out, rtol=1e-6)


def test_evaluate_with_sample_weight_and_weighted_metrics():
    x, y = regression(n=30)
    model = built(MLP(hidden=(4,)), x)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"], weighted_metrics=["mae"])
    sw = np.linspace(0.0, 2.0, 30).astype("float32")
    pred = forward_np(model, x)
    err2 = ((pred - y) ** 2)[:, 0]
    err1 = np.abs(pred - y)[:, 0]
    logs = model.evaluate(x, y, sample_weight=sw, batch_size=30, verbose=0, return_dict=True)
    # loss: sum_over_batch_size -> sum(w * l) / n; weighted metric: sum(w * l) / sum(w)
    assert logs["loss"] == pytest.approx(np.sum(sw * err2) / 30, rel=1e-5)
    assert logs["mae"] == pytest.approx(err1.mean(), rel=1e-5)
    assert logs["weighted_mae"] == pytest.approx(np.sum(sw * err1) / np.sum(sw), rel=1e-5)


def test_predict_preserves_output_structure_and_batches():
    a = RNG.normal(size=(21, 2)).astype("float32")
    b = RNG.normal(size=(21, 3)).astype("float32")
    for as_dict in (False, True):
        model = TwoInTwoOut(as_dict=as_dict)
        out = model.predict([a, b], batch_size=8, verbose=0)
        ref = model([ops.convert_to_tensor(a), ops.convert_to_tensor(b)])
        if as_dict:
            assert set(out) == {"reg", "cls"}
            pairs = [(out["reg"], ref["reg"]), (out["cls"], ref["cls"])]
        else:
            assert isinstance(out, list) and len(out) == 2
            pairs = [(out[0], ref[0]), (out[1], ref[1])]
        for got, exp in pairs:
            assert isinstance(got, np.ndarray) and got.shape[0] == 21
            np.testing.assert_allclose(got, np.asarray(exp), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# History, validation
# ----------------------------------------------------------------------------------------------

class LogRecorder(callbacks_module.Callback):
    def __init__(self):
        super().__init__()
        self.epoch_logs = []
        self.batch_ends = []
        self.test_batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batch_ends.append((batch, dict(logs)))

    def on_test_batch_end(self, batch, logs=None):
        self.test_batches += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_logs.append((epoch, dict(logs)))


def test_history_contents_and_batch_logs():
    x, y = regression(n=25)
    model = MLP(hidden=(4,))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    rec = LogRecorder()
    history = model.fit(x, y, batch_size=10, epochs=3, verbose=0, callbacks=[rec])
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "mae"}
    assert all(len(v) == 3 for v in history.history.values())
    assert history.params["epochs"] == 3 and history.params["steps"] == 3
    assert [b for b, _ in rec.batch_ends] == [0, 1, 2] * 3
    assert all(isinstance(v, float) for _, logs in rec.batch_ends for v in logs.values())
    # Batch logs are running means over the epoch: the last batch's equal the epoch's.
    for e in range(3):
        assert rec.batch_ends[3 * e + 2][1]["loss"] == pytest.approx(history.history["loss"][e])


def test_validation_split_uses_the_last_samples():
    x, y = regression(n=40)
    model = built(MLP(hidden=(4,)), x)
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0)
    pred = forward_np(model, x)
    train_mse = np.mean((pred[:30] - y[:30]) ** 2)
    val_mse = np.mean((pred[30:] - y[30:]) ** 2)
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    np.testing.assert_allclose(history.history["loss"], [train_mse] * 2, rtol=1e-5)
    np.testing.assert_allclose(history.history["val_loss"], [val_mse] * 2, rtol=1e-5)
    assert history.params["steps"] == 4  # 30 training samples in batches of 8


def test_validation_data_and_validation_freq():
    x, y = regression(n=24)
    xv, yv = regression(n=10, seed=7)
    model = built(MLP(hidden=(4,)), x)
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse")
    rec = LogRecorder()
    history = model.fit(x, y, epochs=4, validation_data=(xv, yv), validation_freq=2,
                        validation_batch_size=3, verbose=0, callbacks=[rec])
    val_mse = np.mean((forward_np(model, xv) - yv) ** 2)
    assert [("val_loss" in logs) for _, logs in rec.epoch_logs] == [False, True, False, True]
    np.testing.assert_allclose(history.history["val_loss"], [val_mse] * 2, rtol=1e-5)
    assert rec.test_batches == 2 * 4  # two validation runs of ceil(10 / 3) batches
    rec = LogRecorder()
    sw = np.linspace(1, 3, 10).astype("float32")
    model.fit(x, y, epochs=3, validation_data=(xv, yv, sw), validation_freq=[1, 3], verbose=0,
              callbacks=[rec])
    weighted = np.sum(sw * ((forward_np(model, xv) - yv) ** 2)[:, 0]) / 10
    assert [("val_loss" in logs) for _, logs in rec.epoch_logs] == [True, False, True]
    assert rec.epoch_logs[0][1]["val_loss"] == pytest.approx(weighted, rel=1e-5)
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, validation_data=(xv, yv), validation_freq="2", verbose=0)


# ----------------------------------------------------------------------------------------------
# class_weight and sample_weight
# ----------------------------------------------------------------------------------------------

def test_class_weight_and_sample_weight_weight_the_training_loss():
    x = RNG.normal(size=(20, 3)).astype("float32")
    y = RNG.integers(0, 3, 20)
    model = built(MLP(hidden=(4,), out=3), x)
    model.compile(optimizer=optimizers.SGD(0.0),
                  loss=losses.SparseCategoricalCrossentropy(from_logits=True))
    per_sample = sparse_ce_np(y, forward_np(model, x))
    cw = {0: 0.5, 1: 2.0, 2: 4.0}
    w = np.array([cw[c] for c in y])
    h = model.fit(x, y, batch_size=6, class_weight=cw, verbose=0, shuffle=False)
    assert h.history["loss"][0] == pytest.approx(np.sum(w * per_sample) / 20, rel=1e-5)
    sw = np.linspace(0, 1, 20).astype("float32")
    h = model.fit(x, y, batch_size=6, sample_weight=sw, verbose=0)
    assert h.history["loss"][0] == pytest.approx(np.sum(sw * per_sample) / 20, rel=1e-5)
    # class weights only weight training: evaluation is unweighted
    assert model.evaluate(x, y, verbose=0) == pytest.approx(per_sample.mean(), rel=1e-5)
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight=cw, sample_weight=sw, verbose=0)


def test_class_weight_changes_the_update_as_sample_weights_would():
    x = RNG.normal(size=(12, 3)).astype("float32")
    y = RNG.integers(0, 2, 12)
    cw = {0: 3.0, 1: 0.25}
    a = built(MLP(hidden=(4,), out=2), x)
    b = built(MLP(hidden=(4,), out=2), x)
    b.set_weights(a.get_weights())
    loss = losses.SparseCategoricalCrossentropy(from_logits=True)
    a.compile(optimizer=optimizers.SGD(0.5), loss=loss)
    b.compile(optimizer=optimizers.SGD(0.5), loss=loss)
    a.train_on_batch(x, y, class_weight=cw)
    b.train_on_batch(x, y, sample_weight=np.array([cw[c] for c in y], "float32"))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    c = built(MLP(hidden=(4,), out=2), x)
    c.set_weights(b.get_weights())
    c.compile(optimizer=optimizers.SGD(0.5), loss=loss)
    c.train_on_batch(x, y)
    b.train_on_batch(x, y, sample_weight=np.array([cw[c_] for c_ in y], "float32"))
    assert not np.allclose(b.get_weights()[0], c.get_weights()[0])


# ----------------------------------------------------------------------------------------------
# Generators and PyDataset
# ----------------------------------------------------------------------------------------------

class Batches(PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epochs_ended = 0

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        sl = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        if self.y is None:
            return (self.x[sl],)
        return self.x[sl], self.y[sl]

    def on_epoch_end(self):
        self.epochs_ended += 1


def test_fit_evaluate_predict_with_generators():
    x, y = regression(n=30)

    def gen(with_y=True, repeat=True):
        while True:
            for start in range(0, 30, 10):
                yield (x[start:start + 10], y[start:start + 10]) if with_y else (x[start:start + 10],)
            if not repeat:
                return

    ref = built(MLP(hidden=(4,)), x)
    model = built(MLP(hidden=(4,)), x)
    model.set_weights(ref.get_weights())
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    ref.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    with pytest.warns(UserWarning, match="shuffle=True"):
        h = model.fit(gen(), steps_per_epoch=3, epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2 and h.params["steps"] == 3
    ref.fit(x, y, batch_size=10, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert model.evaluate(gen(repeat=False), verbose=0) == pytest.approx(
        ref.evaluate(x, y, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(gen(with_y=False, repeat=False), verbose=0),
                               ref.predict(x, verbose=0), rtol=1e-6)
    assert model.evaluate(gen(), steps=2, verbose=0) == pytest.approx(
        ref.evaluate(x[:20], y[:20], verbose=0), rel=1e-6)


def test_fit_on_a_finite_generator_stops_when_it_runs_out():
    x, y = regression(n=20)
    model = MLP(hidden=(4,))
    model.compile(optimizer="sgd", loss="mse")
    batches = ((x[i:i + 5], y[i:i + 5]) for i in range(0, 20, 5))
    with pytest.warns(UserWarning, match="ran out of data"):
        h = model.fit(batches, epochs=3, verbose=0, shuffle=False)
    assert len(h.history["loss"]) == 1 and h.params["steps"] is None
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 4


def test_fit_evaluate_predict_with_py_dataset():
    x, y = regression(n=30)
    ref = built(MLP(hidden=(4,)), x)
    model = built(MLP(hidden=(4,)), x)
    model.set_weights(ref.get_weights())
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    ref.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    ds = Batches(x, y, 8, workers=2, max_queue_size=3)
    h = model.fit(ds, epochs=2, shuffle=False, verbose=0)
    assert ds.epochs_ended == 2 and h.params["steps"] == 4
    ref.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert model.evaluate(Batches(x, y, 8), verbose=0) == pytest.approx(
        ref.evaluate(x, y, verbose=0), rel=1e-6)
    np.testing.assert_allclose(model.predict(Batches(x, None, 7), verbose=0), ref.predict(x, verbose=0),
                               rtol=1e-6)
    # shuffle=True visits every batch once per epoch, in a random order
    h = model.fit(Batches(x, y, 8), epochs=1, verbose=0)
    assert len(h.history["loss"]) == 1
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(ds, y, verbose=0)


# ----------------------------------------------------------------------------------------------
# Multi-input / multi-output
# ----------------------------------------------------------------------------------------------

def _two_head_data(n=24, seed=3):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 2)).astype("float32")
    b = rng.normal(size=(n, 3)).astype("float32")
    reg = rng.normal(size=(n, 1)).astype("float32")
    cls = rng.integers(0, 3, n)
    return a, b, reg, cls


@pytest.mark.parametrize("as_dict", [False, True])
def test_multi_input_multi_output_with_loss_weights(as_dict):
    a, b, reg, cls = _two_head_data()
    model = TwoInTwoOut(as_dict=as_dict)
    model.compile(
        optimizer=optimizers.SGD(0.0),
        loss={"reg": "mse", "cls": losses.SparseCategoricalCrossentropy(from_logits=True)},
        loss_weights={"reg": 0.5, "cls": 2.0},
        metrics={"cls": "accuracy"},
    )
    targets = {"reg": reg, "cls": cls} if as_dict else [reg, cls]
    logs = model.evaluate([a, b], targets, batch_size=24, verbose=0, return_dict=True)
    out = model.predict([a, b], verbose=0)
    pr, pc = (out["reg"], out["cls"]) if as_dict else out
    mse = np.mean((pr.astype("float64") - reg) ** 2)
    ce = sparse_ce_np(cls, pc.astype("float64")).mean()
    acc = np.mean(pc.argmax(-1) == cls)
    assert set(logs) == {"loss", "reg_loss", "cls_loss", "cls_accuracy"}
    assert logs["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert logs["cls_loss"] == pytest.approx(ce, rel=1e-5)
    assert logs["loss"] == pytest.approx(0.5 * mse + 2.0 * ce, rel=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(acc)
    h = model.fit([a, b], targets, batch_size=8, epochs=1, verbose=0)
    assert h.history["loss"][0] == pytest.approx(logs["loss"], rel=1e-5)


def test_multi_output_list_losses_and_single_loss_for_all_outputs():
    a, b, reg, cls = _two_head_data()
    model = TwoInTwoOut()
    model.compile(optimizer=optimizers.SGD(0.0),
                  loss=["mse", losses.SparseCategoricalCrossentropy(from_logits=True)],
                  loss_weights=[1.0, 0.0], metrics=[["mae"], ["accuracy"]])
    logs = model.evaluate([a, b], [reg, cls], verbose=0, return_dict=True)
    pr, _ = model.predict([a, b], verbose=0)
    assert logs["loss"] == pytest.approx(np.mean((pr - reg) ** 2), rel=1e-5)
    assert logs["reg_mae"] == pytest.approx(np.mean(np.abs(pr - reg)), rel=1e-5)
    assert "cls_accuracy" in logs
    both = TwoInTwoOut()
    both.compile(optimizer="sgd", loss="mse")
    onehot = np.eye(3, dtype="float32")[cls]
    logs = both.evaluate([a, b], [reg, onehot], verbose=0, return_dict=True)
    pr, pc = both.predict([a, b], verbose=0)
    assert logs["loss"] == pytest.approx(np.mean((pr - reg) ** 2) + np.mean((pc - onehot) ** 2), rel=1e-5)
    with pytest.raises(ValueError, match="Expected keys"):
        bad = TwoInTwoOut()
        bad.compile(optimizer="sgd", loss={"reg": "mse", "other": "mse"})
        bad.evaluate([a, b], [reg, cls], verbose=0)


def test_loss_for_some_outputs_only():
    a, b, reg, cls = _two_head_data()
    model = TwoInTwoOut()
    model.compile(optimizer=optimizers.SGD(0.0), loss=["mse", None])
    pr, _ = model.predict([a, b], verbose=0)
    assert model.evaluate([a, b], [reg, cls], verbose=0) == pytest.approx(
        np.mean((pr - reg) ** 2), rel=1e-5)


def test_functional_model_with_named_inputs_and_outputs():
    a_in = lamina.Input((2,), name="a")
    b_in = lamina.Input((3,), name="b")
    h = layers.Dense(6, activation="tanh")(layers.Concatenate()([a_in, b_in]))
    model = lamina.Model([a_in, b_in], [layers.Dense(1, name="reg")(h), layers.Dense(3, name="cls")(h)])
    assert model.output_names == ["reg", "cls"]
    model.compile(optimizer=optimizers.SGD(0.0),
                  loss={"cls": losses.SparseCategoricalCrossentropy(from_logits=True), "reg": "mse"},
                  loss_weights={"reg": 3.0, "cls": 0.5}, metrics={"cls": ["accuracy"]},
                  weighted_metrics={"reg": ["mae"]})
    a, b, reg, cls = _two_head_data(n=20)
    sw = np.linspace(0.5, 1.5, 20).astype("float32")
    logs = model.evaluate({"a": a, "b": b}, {"reg": reg, "cls": cls}, sample_weight=sw, batch_size=6,
                          verbose=0, return_dict=True)
    pr, pc = model.predict({"a": a, "b": b}, verbose=0)
    mse = np.sum(sw * ((pr - reg) ** 2)[:, 0]) / 20
    ce = np.sum(sw * sparse_ce_np(cls, pc.astype("float64"))) / 20
    assert set(logs) == {"loss", "reg_loss", "cls_loss", "cls_accuracy", "reg_mae"}
    assert logs["loss"] == pytest.approx(3.0 * mse + 0.5 * ce, rel=1e-5)
    assert logs["reg_mae"] == pytest.approx(np.sum(sw * np.abs(pr - reg)[:, 0]) / np.sum(sw), rel=1e-5)
    assert logs["cls_accuracy"] == pytest.approx(np.mean(pc.argmax(-1) == cls))
    h = model.fit([a, b], [reg, cls], sample_weight=sw, batch_size=6, epochs=2, verbose=0)
    assert h.history["loss"] == pytest.approx([logs["loss"]] * 2, rel=1e-5)


def test_sequential_and_subclassed_models():
    x, y = blobs(n=120, seed=4)
    seq = lamina.Sequential([lamina.Input((2,)), layers.Dense(8, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])
    seq.compile(optimizer=optimizers.Adam(0.05), loss="bce", metrics=["accuracy"])
    h = seq.fit(x, y, epochs=10, batch_size=16, verbose=0, validation_split=0.2)
    assert h.history["val_accuracy"][-1] >= 0.95
    assert seq.predict(x, verbose=0).shape == (120, 1)

    class Sub(lamina.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(8, activation="relu")
            self.out = layers.Dense(2)

        def call(self, inputs, training=False):
            return self.out(self.hidden(inputs))

    sub = Sub()
    sub.compile(optimizer=optimizers.Adam(0.05),
                loss=losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["acc"])
    h = sub.fit(x, y[:, 0].astype("int64"), epochs=10, batch_size=16, verbose=0)
    assert h.history["acc"][-1] >= 0.95 and sub.metrics_names == ["loss", "compile_metrics"]


# ----------------------------------------------------------------------------------------------
# *_on_batch
# ----------------------------------------------------------------------------------------------

def test_train_test_predict_on_batch():
    x, y = regression(n=16)
    model = built(MLP(hidden=(4,)), x)
    ref = built(MLP(hidden=(4,)), x)
    ref.set_weights(model.get_weights())
    model.compile(optimizer=optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    pred0 = forward_np(model, x)
    loss, mae = model.test_on_batch(x, y)
    assert loss == pytest.approx(np.mean((pred0 - y) ** 2), rel=1e-5)
    assert mae == pytest.approx(np.mean(np.abs(pred0 - y)), rel=1e-5)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(np.mean((pred0 - y) ** 2), rel=1e-5)
    assert set(logs) == {"loss", "mae"} and all(isinstance(v, float) for v in logs.values())
    with lamina.GradientTape() as tape:
        loss_ref = losses.MeanSquaredError()(ops.convert_to_tensor(y), ref(ops.convert_to_tensor(x)))
    optimizers.SGD(0.1).apply(tape.gradient(loss_ref, ref.trainable_variables), ref.trainable_variables)
    for wa, wb in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    out = model.predict_on_batch(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, forward_np(model, x), rtol=1e-5, atol=1e-6)
    only_loss = MLP(hidden=(4,))
    only_loss.compile(optimizer="sgd", loss="mse")
    assert isinstance(only_loss.train_on_batch(x, y), float)
    assert isinstance(only_loss.test_on_batch(x, y), float)


# ----------------------------------------------------------------------------------------------
# steps_per_epoch, initial_epoch, steps_per_execution, shuffle
# ----------------------------------------------------------------------------------------------

def test_steps_per_epoch_and_initial_epoch():
    x, y = regression(n=48)
    model = MLP(hidden=(4,))
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, y, batch_size=8, epochs=5, initial_epoch=2, steps_per_epoch=3, verbose=0)
    assert h.epoch == [2, 3, 4] and len(h.history["loss"]) == 3
    assert h.params["steps"] == 3
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 9
    h = model.fit(x, y, epochs=1, steps_per_epoch=4, verbose=0)  # batch_size from steps
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 13
    # More steps than the data holds: the epoch ends early with a warning.
    with pytest.warns(UserWarning, match="ran out of data"):
        h = model.fit(x, y, batch_size=16, epochs=2, steps_per_epoch=5, verbose=0)
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 19


def test_steps_per_execution_gives_the_same_training():
    x, y = regression(n=30)
    a = built(MLP(hidden=(4,)), x)
    b = built(MLP(hidden=(4,)), x)
    b.set_weights(a.get_weights())
    a.compile(optimizer=optimizers.SGD(0.1), loss="mse", steps_per_execution=2)
    b.compile(optimizer=optimizers.SGD(0.1), loss="mse")
    rec = LogRecorder()
    ha = a.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0, callbacks=[rec])
    hb = b.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    assert [s for s, _ in rec.batch_ends] == [1, 3, 5, 7] * 2  # every 2 batches (8 per epoch)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(a.predict(x, batch_size=4, verbose=0), b.predict(x, verbose=0), rtol=1e-6)
    assert a.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(b.evaluate(x, y, verbose=0), rel=1e-6)


def test_shuffle_changes_the_batch_order():
    x, y = regression(n=32)
    weights = built(MLP(hidden=(4,)), x).get_weights()
    results = {}
    for shuffle in (False, True, "batch"):
        np.random.seed(0)
        model = built(MLP(hidden=(4,)), x)
        model.set_weights(weights)
        model.compile(optimizer=optimizers.SGD(0.1), loss="mse")
        model.fit(x, y, batch_size=8, epochs=2, shuffle=shuffle, verbose=0)
        results[shuffle] = model.get_weights()[0]
    assert not np.allclose(results[False], results[True])
    # Permuting samples within a batch leaves a batch-mean gradient unchanged.
    np.testing.assert_allclose(results[False], results["batch"], rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# compile: metrics, accuracy resolution, configs, mixed precision
# ----------------------------------------------------------------------------------------------

def test_metrics_property_names_and_reset():
    class WithMetric(MLP):
        def call(self, x):
            out = super().call(x)
            self.add_metric(ops.mean(out), name="mean_out")
            return out

    x, y = regression(n=10)
    model = WithMetric(hidden=(3,))
    assert model.metrics == []
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.fit(x, y, verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "mean_out"]
    assert isinstance(model.metrics[0], metrics_module.Mean)
    result = model.get_metrics_result()
    assert set(result) == {"loss", "mae", "mean_out"}
    model.reset_metrics()
    assert float(model.metrics[0].result()) == 0.0
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "mae", "mean_out"}


@pytest.mark.parametrize(
    "out,y,cls_name",
    [
        (1, np.array([[0.0], [1.0], [1.0], [0.0]]), "BinaryAccuracy"),
        (3, np.array([0, 2, 1, 1]), "SparseCategoricalAccuracy"),
        (3, np.array([[0], [2], [1], [1]]), "SparseCategoricalAccuracy"),
        (3, np.eye(3)[[0, 2, 1, 1]], "CategoricalAccuracy"),
    ],
)
def test_accuracy_string_resolves_from_shapes(out, y, cls_name):
    x = RNG.normal(size=(4, 2)).astype("float32")
    model = MLP(hidden=(3,), out=out, out_activation="sigmoid" if out == 1 else "softmax")
    model.compile(optimizer="sgd", loss="ce", metrics=["acc", "crossentropy"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    inner = model._compile_metrics.metrics
    ce_name = cls_name.replace("Accuracy", "Crossentropy")
    assert [type(m).__name__ for m in inner] == [cls_name, ce_name]
    assert [m.name for m in inner] == ["acc", "crossentropy"]
    pred = forward_np(model, x)
    pred = 1 / (1 + np.exp(-pred)) if out == 1 else np.exp(pred) / np.exp(pred).sum(-1, keepdims=True)
    if cls_name == "BinaryAccuracy":
        ref = np.mean((pred > 0.5) == (y > 0.5))
        ref_loss = -np.mean(y * np.log(pred) + (1 - y) * np.log(1 - pred))
    else:
        labels = y.argmax(-1) if y.ndim == 2 and y.shape[1] == 3 else y.reshape(-1)
        ref = np.mean(pred.argmax(-1) == labels)
        ref_loss = -np.mean(np.log(pred[np.arange(4), labels]))
    assert logs["acc"] == pytest.approx(ref)
    assert logs["loss"] == pytest.approx(ref_loss, rel=1e-4)
    assert logs["crossentropy"] == pytest.approx(ref_loss, rel=1e-4)


def test_custom_metric_function_and_object_names():
    def double_mae(y_true, y_pred):
        return 2 * ops.mean(ops.abs(y_true - y_pred), axis=-1)

    x, y = regression(n=12)
    model = built(MLP(hidden=(3,)), x)
    model.compile(optimizer="sgd", loss="mse",
                  metrics=[double_mae, metrics_module.MeanSquaredError(name="my_mse"), "mse"])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = forward_np(model, x)
    assert logs["double_mae"] == pytest.approx(2 * np.mean(np.abs(pred - y)), rel=1e-5)
    assert logs["my_mse"] == pytest.approx(np.mean((pred - y) ** 2), rel=1e-5)
    assert logs["mse"] == pytest.approx(logs["my_mse"], rel=1e-6)
    values = model.evaluate(x, y, verbose=0)
    assert values == pytest.approx([logs["loss"], logs["double_mae"], logs["my_mse"], logs["mse"]])


def test_compile_config_round_trip():
    model = MLP(hidden=(3,))
    assert model.get_compile_config() == {}
    model.compile(optimizer=optimizers.Adam(0.003), loss="mse", metrics=["mae"],
                  loss_weights=None, steps_per_execution=2)
    config = model.get_compile_config()
    assert config["loss"] == "mse" and config["metrics"] == ["mae"]
    assert config["steps_per_execution"] == 2 and config["jit_compile"] is False
    assert config["optimizer"]["class_name"] == "Adam"
    other = built(MLP(hidden=(3,)), np.zeros((1, 3), "float32"))
    other.compile_from_config(config)
    assert other.compiled and isinstance(other.optimizer, optimizers.Adam)
    assert float(ops.convert_to_numpy(other.optimizer.learning_rate)) == pytest.approx(0.003)
    assert other.steps_per_execution == 2 and other.optimizer.built

    class CustomCompile(MLP):
        def compile(self, *args, **kwargs):
            super().compile(*args, **kwargs)

    with pytest.warns(UserWarning, match="custom"):
        CustomCompile().compile_from_config(config)


def test_mixed_float16_wraps_the_optimizer():
    model = MLP(hidden=(3,), dtype="mixed_float16")
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, optimizers.LossScaleOptimizer)
    assert model.get_compile_config()["optimizer"]["class_name"] == "SGD"
    plain = MLP(hidden=(3,), dtype="mixed_float16")
    plain.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(plain.optimizer, optimizers.SGD)
    x, y = regression(n=16)
    h = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert all(np.isfinite(h.history["loss"]))


def test_compile_defaults_and_flags():
    model = MLP(hidden=(3,))
    assert not model.compiled and model.optimizer is None and model.loss is None
    assert model.stop_training is False and model.steps_per_execution == 1
    model.compile(loss="mse")
    assert isinstance(model.optimizer, optimizers.RMSprop) and model.compiled
    assert model.jit_compile is False and model.run_eagerly is False
    with pytest.warns(UserWarning, match="jit_compile=True"):
        model.compile(loss="mse", jit_compile=True)
    model.compile(loss="mse", run_eagerly=True)
    assert model.run_eagerly is True


# ----------------------------------------------------------------------------------------------
# Overridable steps
# ----------------------------------------------------------------------------------------------

def test_overridden_compute_loss_and_train_step():
    class OwnLoss(MLP):
        def compute_loss(self, x, y, y_pred, sample_weight=None):  # no `training` argument
            return ops.mean(ops.abs(y_pred - y))

    x, y = regression(n=10)
    model = built(OwnLoss(hidden=(3,)), x)
    model.compile(optimizer="sgd")
    assert model.test_on_batch(x, y) == pytest.approx(np.mean(np.abs(forward_np(model, x) - y)), rel=1e-5)

    class OwnStep(MLP):
        def __init__(self):
            super().__init__(hidden=(3,))
            self.tracker = metrics_module.Mean(name="custom")

        def train_step(self, data):
            x, y = data
            with lamina.GradientTape() as tape:
                loss = ops.mean(ops.square(self(x, training=True) - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply(grads, self.trainable_variables)
            self.tracker.update_state(loss)
            return {"custom": self.tracker.result()}

    model = OwnStep()
    model.compile(optimizer=optimizers.SGD(0.05))
    h = model.fit(x, y, batch_size=5, epochs=3, verbose=0)
    assert set(h.history) == {"custom"} and len(h.history["custom"]) == 3
    assert h.history["custom"][-1] < h.history["custom"][0]


def test_tf_keras_style_train_step_with_deprecated_shims():
    class Classic(MLP):
        def train_step(self, data):
            x, y = data
            with lamina.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = regression(n=10)
    model = built(Classic(hidden=(3,)), x)
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    with pytest.warns(UserWarning, match="deprecated"):
        h = model.fit(x, y, batch_size=10, verbose=0)
    assert h.history["mae"][0] == pytest.approx(np.mean(np.abs(forward_np(model, x) - y)), rel=1e-5)


def test_no_loss_at_all_is_an_error():
    x, y = regression(n=4)
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to compute"):
        model.fit(x, y, verbose=0)


# ----------------------------------------------------------------------------------------------
# Callbacks interplay: TerminateOnNaN, stop_training, verbose output
# ----------------------------------------------------------------------------------------------

def test_terminate_on_nan_stops_after_the_batch(capsys):
    x, y = regression(n=20)
    x = x.copy()
    x[7] = np.nan  # second batch of 5
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, y, batch_size=5, epochs=4, shuffle=False, verbose=0,
                  callbacks=[callbacks_module.TerminateOnNaN()])
    assert int(ops.convert_to_numpy(model.optimizer.iterations)) == 2
    assert model.stop_training is True
    assert len(h.history["loss"]) == 1 and math.isnan(h.history["loss"][0])
    assert "Invalid loss, terminating training" in capsys.readouterr().out


def test_stop_training_from_a_callback():
    class StopAtSecondEpoch(callbacks_module.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y = regression(n=10)
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd", loss="mse")
    h = model.fit(x, y, epochs=10, verbose=0, callbacks=[StopAtSecondEpoch()])
    assert h.epoch == [0, 1]
    h = model.fit(x, y, epochs=2, verbose=0)  # fit resets the flag
    assert h.epoch == [0, 1]


def test_verbose_modes_print_progress(capsys):
    x, y = regression(n=20)
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=5, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, batch_size=5, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss:" in out
    model.fit(x, y, batch_size=5, epochs=2)  # verbose="auto" -> progress bar
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "4/4" in out and "loss:" in out
    model.evaluate(x, y, verbose=1)
    assert "loss:" in capsys.readouterr().out
    model.predict(x, verbose=False)
    assert capsys.readouterr().out == ""


# ----------------------------------------------------------------------------------------------
# Errors
# ----------------------------------------------------------------------------------------------

def test_training_before_compile_is_an_error():
    x, y = regression(n=4)
    model = MLP(hidden=(3,))
    for call in (lambda: model.fit(x, y, verbose=0), lambda: model.evaluate(x, y, verbose=0),
                 lambda: model.train_on_batch(x, y), lambda: model.test_on_batch(x, y)):
        with pytest.raises(RuntimeError, match=r"You must call `compile\(\)` before using the model"):
            call()
        with pytest.raises(ValueError, match="compile"):  # Keras 3 raises a ValueError
            call()
    assert model.predict(x, verbose=0).shape == (4, 1)  # predict needs no compile


def test_mismatched_sample_counts_quote_both_lengths():
    x, y = regression(n=10)
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"(?s)'x' sizes: 10.*'y' sizes: 9"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match=r"(?s)'x' sizes: 10.*'y' sizes: 7"):
        model.evaluate(x, y[:7], verbose=0)


def test_unknown_identifiers_list_close_names():
    model = MLP(hidden=(3,))
    with pytest.raises(ValueError, match="Could not interpret loss identifier: msee.*mse"):
        model.compile(optimizer="sgd", loss="msee")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: accurracy.*accuracy"):
        model.compile(optimizer="sgd", loss="mse", metrics=["accurracy"])
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier: adamm.*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ValueError, match="Expected `metrics` argument to be a list"):
        model.compile(optimizer="sgd", loss="mse", metrics="mae")
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)


def test_argument_errors():
    x, y = regression(n=10)
    model = MLP(hidden=(3,))
    model.compile(optimizer="sgd", loss="mse")
    gen = ((x[i:i + 2], y[i:i + 2]) for i in range(0, 10, 2))
    with pytest.raises(ValueError, match="`validation_split` is only supported for tensors or NumPy arrays"):
        model.fit(gen, validation_split=0.2, verbose=0)
    with pytest.raises(ValueError, match="Arguments not recognized"):
        model.evaluate(x, y, verbose=0, foo=1)
    with pytest.raises(ValueError, match="Unrecognized data type"):
        model.fit("data", verbose=0)
    with pytest.raises(ValueError, match="Empty batch_outputs"):
        model.predict(np.zeros((0, 3), "float32"), verbose=0)
    with pytest.raises(ValueError, match="not sufficient to split"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


def test_trainable_state_change_after_compile_warns():
    x, y = regression(n=6)
    model = built(MLP(hidden=(3,)), x)
    model.compile(optimizer="sgd", loss="mse")
    model.hidden[0].trainable = False
    with pytest.warns(UserWarning, match="trainable` state has changed"):
        model.fit(x, y, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, verbose=0)  # warned once per compile
