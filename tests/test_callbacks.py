"""lamina.callbacks: the Callback hooks, CallbackList (hook order, logs, defaults), History,
ProgbarLogger, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, CSVLogger, LambdaCallback
and TerminateOnNaN, driven by a small fake model (the real Model/fit are tested end to end
elsewhere)."""

import csv
import math
import os
import pathlib
import sys
import types

import numpy as np
import pytest

import lamina
from lamina import callbacks
from lamina import ops
from lamina.callbacks.callback_list import pythonify_logs
from lamina.utils import progbar as progbar_module

RNG = np.random.default_rng(0)


# ----------------------------------------------------------------------------------------------
# A fake model: what callbacks use of a Model
# ----------------------------------------------------------------------------------------------

class FakeOptimizer:
    """An optimizer whose learning rate is a float32 Variable, set through the property."""

    def __init__(self, learning_rate=0.01, name="sgd"):
        self.name = name
        self._learning_rate = lamina.Variable(learning_rate, dtype="float32", trainable=False,
                                              name="learning_rate")
        self.set_calls = []

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.set_calls.append(value)
        self._learning_rate.assign(value)


class MultiOptimizer:
    """An optimizer made of several optimizers (as Keras' multi-optimizer wrappers)."""

    def __init__(self, *optimizers):
        self.optimizers = list(optimizers)


class FakeMetric:
    def __init__(self, name, direction=None):
        self.name = name
        if direction is not None:
            self._direction = direction


class FakeMetricsContainer:
    def __init__(self, metrics):
        self.name = "compile_metrics"
        self.metrics = metrics


class FakeModel:
    def __init__(self, learning_rate=0.01, optimizer=None, metrics=()):
        self.stop_training = False
        self.history = None
        self.optimizer = optimizer if optimizer is not None else FakeOptimizer(learning_rate)
        self.metrics = list(metrics)
        self._weights = [np.zeros((2, 3), "float32"), np.zeros((3,), "float32")]

    def get_weights(self):
        return [w.copy() for w in self._weights]

    def set_weights(self, weights):
        self._weights = [np.array(w, copy=True) for w in weights]


def lr_of(model_or_optimizer):
    opt = getattr(model_or_optimizer, "optimizer", model_or_optimizer)
    return float(ops.convert_to_numpy(opt.learning_rate))


def run_fit(callback_list, model, epoch_logs, batch_logs=None, weights_per_epoch=None):
    """Drives `callback_list` as `fit` does: one train block, epochs of batches, stopping when
    `model.stop_training` is set. Returns the number of epochs run."""
    model.stop_training = False
    callback_list.on_train_begin()
    run = 0
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        for step, blogs in enumerate(batch_logs or []):
            callback_list.on_train_batch_begin(step)
            callback_list.on_train_batch_end(step, blogs)
        if weights_per_epoch is not None:
            model.set_weights(weights_per_epoch[epoch])
        callback_list.on_epoch_end(epoch, dict(logs))
        run += 1
        if model.stop_training:
            break
    callback_list.on_train_end(dict(epoch_logs[run - 1]) if run else None)
    return run


def fit_with(callback, model, values, monitor="loss", **kwargs):
    """`run_fit` with one callback and epoch logs `{monitor: value}`."""
    cbs = callbacks.CallbackList([callback], model=model, verbose=0, epochs=len(values), steps=1)
    return run_fit(cbs, model, [{monitor: v} for v in values], **kwargs)


class Recorder(callbacks.Callback):
    """Records every hook call as (tag, hook, first argument or None, logs copy)."""

    HOOKS = [
        "on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
        "on_predict_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
        "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
        "on_predict_batch_begin", "on_predict_batch_end",
    ]

    def __init__(self, tag, calls):
        super().__init__()
        self.tag = tag
        self.calls = calls
        for hook in self.HOOKS:
            setattr(self, hook, self._recorder(hook))

    def _recorder(self, hook):
        def record(*args, logs=None):
            if len(args) == 2:
                arg, logs = args
            elif len(args) == 1 and "batch" not in hook and "epoch" not in hook:
                arg, logs = None, args[0]
            else:
                arg = args[0]
            self.calls.append((self.tag, hook, arg, dict(logs) if logs is not None else None))
        return record


# ----------------------------------------------------------------------------------------------
# Callback
# ----------------------------------------------------------------------------------------------

def test_callback_base_hooks_and_attributes():
    cb = callbacks.Callback()
    assert cb.params is None and cb.model is None
    model = FakeModel()
    cb.set_model(model)
    cb.set_params({"verbose": 1, "epochs": 3, "steps": 10})
    assert cb.model is model
    assert cb.params == {"verbose": 1, "epochs": 3, "steps": 10}
    for hook in Recorder.HOOKS + ["on_batch_begin", "on_batch_end"]:
        method = getattr(cb, hook)
        if "batch" in hook or "epoch" in hook:
            assert method(0, logs={"loss": 1.0}) is None
        else:
            assert method(logs={"loss": 1.0}) is None


def test_train_batch_hooks_call_legacy_batch_hooks():
    seen = []

    class Legacy(callbacks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(("begin", batch, logs))

        def on_batch_end(self, batch, logs=None):
            seen.append(("end", batch, logs))

    cb = Legacy()
    cb.on_train_batch_begin(3)
    cb.on_train_batch_end(3, {"loss": 0.5})
    cb.on_test_batch_end(3, {"loss": 0.5})  # not a training batch: no legacy call
    assert seen == [("begin", 3, None), ("end", 3, {"loss": 0.5})]


def test_is_default_marks_base_hooks():
    from lamina.callbacks.callback import is_default

    class Custom(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            pass

    cb = Custom()
    assert is_default(cb.on_test_batch_end)
    assert not is_default(cb.on_train_batch_end)


# ----------------------------------------------------------------------------------------------
# CallbackList
# ----------------------------------------------------------------------------------------------

def test_callback_list_hook_order_and_dispatch():
    calls = []
    first, second = Recorder("a", calls), Recorder("b", calls)
    model = FakeModel()
    cbs = callbacks.CallbackList([first, second], model=model, verbose=0, epochs=2, steps=2)
    assert first.params == {"verbose": 0, "epochs": 2, "steps": 2}
    assert first.model is model and second.model is model and cbs.model is model

    run_fit(cbs, model, [{"loss": 1.0}, {"loss": 0.5}], batch_logs=[{"loss": 2.0}, {"loss": 1.5}])
    hooks = [(tag, hook, arg) for tag, hook, arg, _ in calls]
    expected = [("a", "on_train_begin", None), ("b", "on_train_begin", None)]
    for epoch in range(2):
        expected += [("a", "on_epoch_begin", epoch), ("b", "on_epoch_begin", epoch)]
        for step in range(2):
            expected += [("a", "on_train_batch_begin", step), ("b", "on_train_batch_begin", step),
                         ("a", "on_train_batch_end", step), ("b", "on_train_batch_end", step)]
        expected += [("a", "on_epoch_end", epoch), ("b", "on_epoch_end", epoch)]
    expected += [("a", "on_train_end", None), ("b", "on_train_end", None)]
    assert hooks == expected
    assert calls[-1][3] == {"loss": 0.5}

    calls.clear()
    cbs.on_test_begin()
    cbs.on_test_batch_begin(0)
    cbs.on_test_batch_end(0, {"loss": 3.0})
    cbs.on_test_end({"loss": 3.0})
    cbs.on_predict_begin()
    cbs.on_predict_batch_begin(0)
    cbs.on_predict_batch_end(0, {"outputs": np.ones((2, 2))})
    cbs.on_predict_end()
    assert [hook for tag, hook, _, _ in calls if tag == "a"] == [
        "on_test_begin", "on_test_batch_begin", "on_test_batch_end", "on_test_end",
        "on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end", "on_predict_end"]
    outputs = [logs for tag, hook, _, logs in calls if hook == "on_predict_batch_end"][0]["outputs"]
    np.testing.assert_array_equal(outputs, np.ones((2, 2)))


def test_callback_list_logs_are_python_floats_sorted_and_flat():
    calls = []
    cbs = callbacks.CallbackList([Recorder("a", calls)])
    logs = {
        "loss": ops.convert_to_tensor(np.float32(0.25)),
        "accuracy": np.float64(0.75),
        "val": {"val_loss": lamina.Variable(1.5)},
        "count": 3,
        "name": "text",
        "vector": ops.convert_to_tensor(np.array([1.0, 2.0], "float32")),
    }
    cbs.on_epoch_end(0, logs)
    seen = calls[0][3]
    assert list(seen) == ["accuracy", "count", "loss", "name", "val_loss", "vector"]
    for key, value in [("accuracy", 0.75), ("count", 3.0), ("loss", 0.25), ("val_loss", 1.5)]:
        assert type(seen[key]) is float and seen[key] == value
    assert seen["name"] == "text"
    assert isinstance(seen["vector"], np.ndarray)
    np.testing.assert_array_equal(seen["vector"], [1.0, 2.0])
    assert pythonify_logs(None) == {}


def test_callback_list_logs_dict_is_shared_between_callbacks():
    class Writer(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0

    calls = []
    cbs = callbacks.CallbackList([Writer(), Recorder("r", calls)])
    cbs.on_epoch_end(0, {"loss": 1.0})
    assert calls[0][3] == {"extra": 1.0, "loss": 1.0}


def test_callback_list_adds_history_and_progbar_once():
    model = FakeModel()
    cbs = callbacks.CallbackList(add_history=True, add_progbar=True, model=model, verbose=1,
                                 epochs=1, steps=1)
    kinds = [type(cb) for cb in cbs.callbacks]
    assert kinds == [callbacks.History, callbacks.ProgbarLogger]
    assert model.history is cbs.callbacks[0]

    history, progbar = callbacks.History(), callbacks.ProgbarLogger()
    cbs = callbacks.CallbackList([[progbar], history], add_history=True, add_progbar=True,
                                 model=model)
    assert cbs.callbacks == [progbar, history]
    assert model.history is history
    assert callbacks.CallbackList().callbacks == []
    assert callbacks.CallbackList(add_history=False).callbacks == []


def test_callback_list_set_params_set_model_and_append():
    cb = callbacks.Callback()
    cbs = callbacks.CallbackList([cb])
    assert cb.params is None and cb.model is None and cbs.params == {}
    cbs.set_model(None)  # no model: nothing changes
    assert cb.model is None
    model = FakeModel()
    cbs.set_model(model)
    cbs.set_params({"verbose": 2, "epochs": 1, "steps": 4})
    assert cb.model is model and cb.params == {"verbose": 2, "epochs": 1, "steps": 4}
    late = callbacks.Callback()
    cbs.append(late)
    assert cbs.callbacks[-1] is late and late.model is model and late.params == cbs.params


def test_callback_list_errors():
    with pytest.raises(TypeError, match="must be `lamina.callbacks.Callback` instances. Received: 3"):
        callbacks.CallbackList([callbacks.History(), 3])
    cbs = callbacks.CallbackList([callbacks.Callback()])
    with pytest.raises(ValueError, match="called without corresponding `on_xxx_begin`"):
        cbs.on_train_end()
    cbs.on_train_begin()
    cbs.on_test_begin()  # validation nested in training
    cbs.on_test_end()
    cbs.on_train_end()
    with pytest.raises(ValueError, match="without corresponding"):
        cbs.on_predict_end()


# ----------------------------------------------------------------------------------------------
# History
# ----------------------------------------------------------------------------------------------

def test_history_records_epochs_and_sets_model_history():
    model = FakeModel()
    cbs = callbacks.CallbackList(add_history=True, model=model, verbose=0, epochs=3, steps=5)
    history = cbs.callbacks[0]
    epoch_logs = [{"loss": 1.0 / (e + 1), "val_loss": 2.0 / (e + 1)} for e in range(3)]
    model.history = None
    assert run_fit(cbs, model, epoch_logs) == 3
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    np.testing.assert_allclose(history.history["loss"], [1.0, 0.5, 1.0 / 3])
    np.testing.assert_allclose(history.history["val_loss"], [2.0, 1.0, 2.0 / 3])
    assert history.params == {"verbose": 0, "epochs": 3, "steps": 5}
    # A second training run restarts the epoch list; the history dict keeps growing (Keras).
    run_fit(cbs, model, epoch_logs[:1])
    assert history.epoch == [0]
    assert len(history.history["loss"]) == 4


def test_history_handles_new_keys_and_no_logs():
    history = callbacks.History()
    history.set_model(FakeModel())
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "learning_rate": 0.1})
    history.on_epoch_end(2, None)
    assert history.history == {"loss": [1.0, 0.5], "learning_rate": [0.1]}
    assert history.epoch == [0, 1, 2]


# ----------------------------------------------------------------------------------------------
# ProgbarLogger (non-terminal output; the terminal format is tested in test_progbar.py)
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def plain_stdout(monkeypatch):
    """capsys's stream is not a terminal; make sure no notebook/PyCharm marker turns on the
    dynamic display, and freeze the progress bar's clock at 0 s."""
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=lambda: 1000.0))


BAR = "\u2501" * 20


def test_progbar_logger_verbose_1_prints_header_and_final_line(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=1, epochs=2, steps=3)
    batch_logs = [{"loss": 0.5, "accuracy": 0.25}] * 3
    run_fit(cbs, model, [{"loss": 0.5, "accuracy": 0.25}, {"loss": 0.125, "accuracy": 0.5}],
            batch_logs=batch_logs)
    out = capsys.readouterr().out
    assert out == (
        "Epoch 1/2\n"
        f"3/3 {BAR} 0s 0s/step - accuracy: 0.2500 - loss: 0.5000\n"
        "Epoch 2/2\n"
        f"3/3 {BAR} 0s 0s/step - accuracy: 0.5000 - loss: 0.1250\n"
    )
    assert "\r" not in out and "\x1b" not in out


def test_progbar_logger_single_epoch_has_no_header_and_verbose_auto(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose="auto", epochs=1, steps=2)
    run_fit(cbs, model, [{"loss": 0.5}], batch_logs=[{"loss": 1.0}, {"loss": 0.5}])
    assert capsys.readouterr().out == f"2/2 {BAR} 0s 0s/step - loss: 0.5000\n"


def test_progbar_logger_verbose_2_one_line_per_epoch(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=2, epochs=2, steps=10)
    run_fit(cbs, model, [{"loss": 0.5}, {"loss": 0.25}], batch_logs=[{"loss": 1.0}] * 10)
    assert capsys.readouterr().out == (
        "Epoch 1/2\n10/10 - 0s - 0s/step - loss: 0.5000\n"
        "Epoch 2/2\n10/10 - 0s - 0s/step - loss: 0.2500\n"
    )


def test_progbar_logger_validation_silent_in_fit_and_shown_in_evaluate(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=1, epochs=1, steps=1)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    cbs.on_test_begin()
    cbs.on_test_batch_end(0, {"loss": 9.0})
    cbs.on_test_end({"loss": 9.0})
    cbs.on_epoch_end(0, {"loss": 1.0, "val_loss": 9.0})
    cbs.on_train_end()
    assert capsys.readouterr().out == f"1/1 {BAR} 0s 0s/step - loss: 1.0000 - val_loss: 9.0000\n"

    evaluate = callbacks.CallbackList(add_progbar=True, model=model, verbose=1, epochs=1, steps=2)
    evaluate.on_test_begin()
    evaluate.on_test_batch_end(0, {"loss": 2.0})
    evaluate.on_test_batch_end(1, {"loss": 3.0})
    evaluate.on_test_end({"loss": 3.0})
    assert capsys.readouterr().out == f"2/2 {BAR} 0s 0s/step - loss: 3.0000\n"


def test_progbar_logger_predict_and_unknown_steps(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList(add_progbar=True, model=model, verbose=1, epochs=1, steps=None)
    cbs.on_predict_begin()
    for step in range(4):
        cbs.on_predict_batch_end(step, {"outputs": np.zeros((2, 1))})
    cbs.on_predict_end()
    # The target was unknown: the bar ends with the steps seen, and no outputs are shown.
    assert capsys.readouterr().out == f"4/4 {BAR} 0s 0s/step\n"
    progbar = cbs.callbacks[0]
    assert progbar.target == 4


def test_progbar_logger_samples_mode(capsys, plain_stdout):
    model = FakeModel()
    logger = callbacks.ProgbarLogger(count_mode="samples")
    cbs = callbacks.CallbackList([logger], model=model, verbose=1, epochs=1, steps=None,
                                 batch_size=8)
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_train_batch_end(0, {"loss": 1.0, "size": 8})
    cbs.on_train_batch_end(1, {"loss": 1.0})  # no size: the batch_size parameter
    cbs.on_train_batch_end(2, {"loss": 1.0, "size": 3})
    cbs.on_epoch_end(0, {"loss": 1.0})
    cbs.on_train_end()
    assert logger.seen == 19
    assert capsys.readouterr().out == f"19/19 {BAR} 0s 0s/sample - loss: 1.0000\n"


def test_progbar_logger_verbose_0_is_silent_and_count_mode_error(capsys, plain_stdout):
    model = FakeModel()
    cbs = callbacks.CallbackList([callbacks.ProgbarLogger()], model=model, verbose=0, epochs=3,
                                 steps=2)
    run_fit(cbs, model, [{"loss": 1.0}] * 3, batch_logs=[{"loss": 1.0}] * 2)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="Unknown `count_mode`.*Received: count_mode=epochs"):
        callbacks.ProgbarLogger(count_mode="epochs")


# ----------------------------------------------------------------------------------------------
# EarlyStopping
# ----------------------------------------------------------------------------------------------

def reference_early_stopping(values, patience=0, min_delta=0.0, maximize=False, baseline=None,
                             start_from_epoch=0):
    """Keras 3's rule restated: an epoch improves when it beats the best value so far by more than
    `min_delta`; the count of epochs since the last epoch that improved *and* beat the baseline
    (or since monitoring started) reaching `patience` at a non-improving epoch > 0 stops
    training. Returns (epochs run, best epoch or None)."""
    sign = 1.0 if maximize else -1.0

    def beats(value, reference):
        return sign * (value - reference) > min_delta

    best, best_epoch, last_reset = None, None, start_from_epoch - 1
    for epoch, value in enumerate(values):
        if epoch < start_from_epoch:
            continue
        if best is None or beats(value, best):
            best, best_epoch = value, epoch
            if baseline is None or beats(value, baseline):
                last_reset = epoch
            continue
        if epoch - last_reset >= patience and epoch > 0:
            return epoch + 1, best_epoch
    return len(values), best_epoch


@pytest.mark.parametrize(
    "values, kwargs, expected_epochs",
    [
        ([1.0, 0.9, 0.95, 0.5], {}, 3),                                # patience 0
        ([1.0, 0.9, 0.95, 0.96, 0.97, 0.5], {"patience": 2}, 4),
        ([1.0, 0.9, 0.95, 0.8, 0.85, 0.86, 0.1], {"patience": 2}, 6),  # improvement resets
        ([1.0, 0.95, 0.91, 0.5], {"min_delta": 0.1}, 2),                # 0.05 is no improvement
        ([1.0, 0.85, 0.7, 0.69, 0.1], {"min_delta": 0.1}, 4),
        # Improving epochs that do not beat the baseline do not restart the patience count.
        ([1.0, 0.9, 0.95, 0.96, 0.6], {"patience": 1, "baseline": 0.5}, 3),
        ([1.0, 0.9, 0.8, 0.7, 0.6], {"patience": 1, "baseline": 0.5}, 5),
        ([1.0, 0.9, 0.4, 0.45, 0.46], {"patience": 1, "baseline": 0.5}, 4),
        ([1.0, 2.0, 3.0, 4.0, 0.1, 0.2, 0.0], {"start_from_epoch": 3}, 6),
        ([1.0, 2.0, 3.0, 4.0, 5.0], {"start_from_epoch": 2}, 4),
    ],
)
def test_early_stopping_branches(values, kwargs, expected_epochs):
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", **kwargs)
    assert fit_with(callback, model, values) == expected_epochs
    assert reference_early_stopping(values, **kwargs)[0] == expected_epochs
    assert model.stop_training == (expected_epochs < len(values))
    assert callback.stopped_epoch == (expected_epochs - 1 if expected_epochs < len(values) else 0)


def test_early_stopping_matches_reference_on_random_curves():
    for trial in range(60):
        values = list(np.round(RNG.uniform(0.0, 1.0, size=12), 3))
        kwargs = {
            "patience": int(RNG.integers(0, 4)),
            "min_delta": float(RNG.choice([0.0, 0.05, 0.2])),
            "baseline": [None, 0.3, 0.7][trial % 3],
            "start_from_epoch": int(RNG.integers(0, 3)),
        }
        maximize = bool(trial % 2)
        callback = callbacks.EarlyStopping(monitor="val_acc" if maximize else "val_loss",
                                           restore_best_weights=True, **kwargs)
        model = FakeModel()
        weights = [[np.full((2, 3), e, "float32"), np.full((3,), -e, "float32")]
                   for e in range(len(values))]
        run = fit_with(callback, model, values, monitor=callback.monitor, weights_per_epoch=weights)
        expected_run, best_epoch = reference_early_stopping(values, maximize=maximize, **kwargs)
        assert run == expected_run, (values, kwargs, maximize)
        if best_epoch is not None:
            assert callback.best_epoch == best_epoch
            np.testing.assert_array_equal(model.get_weights()[0], np.full((2, 3), best_epoch))


def test_early_stopping_restore_best_weights_and_messages(capsys):
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True,
                                       verbose=1)
    weights = [[np.full((2, 3), e, "float32"), np.full((3,), e, "float32")] for e in range(5)]
    run = fit_with(callback, model, [0.5, 0.3, 0.4, 0.35, 0.1], monitor="val_loss",
                   weights_per_epoch=weights)
    assert run == 3 and callback.stopped_epoch == 2 and callback.best_epoch == 1
    assert callback.best == 0.3
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 3)))
    np.testing.assert_array_equal(model.get_weights()[1], np.ones((3,)))
    assert capsys.readouterr().out == (
        "Epoch 3: early stopping\nRestoring model weights from the end of the best epoch: 2.\n"
    )


def test_early_stopping_restore_without_stop_and_without_restore():
    # No stop: the best epoch's weights are still restored at the end of training.
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    weights = [[np.full((2, 3), e, "float32"), np.zeros((3,), "float32")] for e in range(3)]
    assert fit_with(callback, model, [0.5, 0.2, 0.4], weights_per_epoch=weights) == 3
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 3)))
    # restore_best_weights=False keeps the last weights.
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", patience=0)
    fit_with(callback, model, [0.5, 0.2, 0.4], weights_per_epoch=weights)
    np.testing.assert_array_equal(model.get_weights()[0], np.full((2, 3), 2))
    assert callback.best_weights is None


def test_early_stopping_restores_best_epoch_when_baseline_never_beaten():
    # With a baseline never beaten, training runs `patience` epochs past the first and the best
    # of those epochs is restored.
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", patience=2, baseline=0.1,
                                       restore_best_weights=True)
    weights = [[np.full((2, 3), e, "float32"), np.zeros((3,), "float32")] for e in range(6)]
    run = fit_with(callback, model, [0.5, 0.4, 0.45, 0.6, 0.3, 0.2], weights_per_epoch=weights)
    assert run == 3
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 3)))


@pytest.mark.parametrize(
    "monitor, metrics, maximize",
    [
        ("val_loss", [], False),
        ("loss", [], False),
        ("val_output_1_loss", [], False),
        ("val_accuracy", [], True),
        ("acc", [], True),
        ("val_auc", [], True),
        ("val_sparse_categorical_accuracy", [], True),
        ("val_mae", [FakeMetricsContainer([FakeMetric("mae", "down")])], False),
        ("r2", [FakeMetric("r2", "up")], True),
    ],
)
def test_monitor_mode_auto(monitor, metrics, maximize):
    model = FakeModel(metrics=metrics)
    callback = callbacks.EarlyStopping(monitor=monitor, patience=0)
    values = [0.5, 0.6] if maximize else [0.5, 0.4]  # both improve in the right direction
    assert fit_with(callback, model, values + [values[0]], monitor=monitor) == 3
    callback = callbacks.EarlyStopping(monitor=monitor, patience=0)
    assert fit_with(callback, model, values[::-1], monitor=monitor) == 2
    assert callback.min_delta == 0


def test_monitor_mode_explicit_and_min_delta_sign():
    callback = callbacks.EarlyStopping(monitor="val_accuracy", mode="min", min_delta=-0.1)
    assert callback.min_delta == 0.1
    model = FakeModel()
    assert fit_with(callback, model, [0.9, 0.7, 0.65], monitor="val_accuracy") == 3
    assert callback.min_delta == -0.1  # minimizing: the delta is subtracted from the reference
    callback = callbacks.EarlyStopping(monitor="loss", mode="max")
    assert fit_with(callback, FakeModel(), [0.1, 0.2, 0.1]) == 3
    assert callback.min_delta == 0


def test_monitor_mode_errors_and_warnings():
    callback = callbacks.EarlyStopping(monitor="val_custom")
    with pytest.raises(ValueError, match="received monitor=val_custom, but lamina isn't able"):
        fit_with(callback, FakeModel(), [1.0], monitor="val_custom")
    with pytest.warns(UserWarning, match="EarlyStopping mode 'sideways' is unknown, fallback to auto"):
        callback = callbacks.EarlyStopping(mode="sideways")
    assert callback.mode == "auto"
    with pytest.warns(UserWarning, match="ReduceLROnPlateau mode 'up' is unknown"):
        callbacks.ReduceLROnPlateau(mode="up")


def test_early_stopping_missing_monitor_warns_and_continues():
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="val_loss", patience=0)
    cbs = callbacks.CallbackList([callback], model=model)
    with pytest.warns(UserWarning, match=r"Early stopping conditioned on metric `val_loss` which "
                                         r"is not available. Available metrics are: accuracy,loss"):
        run = run_fit(cbs, model, [{"loss": 1.0, "accuracy": 0.5}, {"loss": 2.0, "accuracy": 0.1}])
    assert run == 2 and not model.stop_training and callback.best is None


def test_early_stopping_is_reset_between_fits():
    model = FakeModel()
    callback = callbacks.EarlyStopping(monitor="loss", patience=1, restore_best_weights=True)
    assert fit_with(callback, model, [0.1, 0.5, 0.6]) == 2
    assert callback.stopped_epoch == 1
    assert fit_with(callback, model, [0.9, 0.8, 0.7]) == 3
    assert callback.stopped_epoch == 0 and callback.best == 0.7 and callback.best_epoch == 2


def test_early_stopping_defaults():
    callback = callbacks.EarlyStopping()
    assert (callback.monitor, callback.patience, callback.verbose, callback.mode,
            callback.baseline, callback.restore_best_weights, callback.start_from_epoch) == (
        "val_loss", 0, 0, "auto", None, False, 0)
    assert callback.min_delta == 0 and callback.wait == 0 and callback.stopped_epoch == 0


# ----------------------------------------------------------------------------------------------
# LearningRateScheduler
# ----------------------------------------------------------------------------------------------

def test_learning_rate_scheduler_two_argument_schedule_and_logs():
    model = FakeModel(learning_rate=0.1)
    callback = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr)
    history = callbacks.History()
    cbs = callbacks.CallbackList([callback, history], model=model)
    run_fit(cbs, model, [{"loss": 1.0}] * 4)
    expected = 0.1 * 0.5 ** np.arange(4)  # the rate each epoch ran with
    np.testing.assert_allclose(history.history["learning_rate"], expected, rtol=1e-6)
    assert all(type(v) is float for v in history.history["learning_rate"])
    np.testing.assert_allclose(lr_of(model), 0.0125, rtol=1e-6)


def test_learning_rate_scheduler_one_argument_schedule_and_verbose(capsys):
    model = FakeModel()
    callback = callbacks.LearningRateScheduler(lambda epoch: 0.5 / (epoch + 1), verbose=1)
    cbs = callbacks.CallbackList([callback], model=model)
    cbs.on_epoch_begin(0)
    cbs.on_epoch_begin(1)
    np.testing.assert_allclose(lr_of(model), 0.25)
    assert model.optimizer.set_calls == [0.5, 0.25]
    assert all(type(v) is float for v in model.optimizer.set_calls)
    assert capsys.readouterr().out == (
        "\nEpoch 1: LearningRateScheduler setting learning rate to 0.5.\n"
        "\nEpoch 2: LearningRateScheduler setting learning rate to 0.25.\n"
    )


def test_learning_rate_scheduler_accepts_numpy_and_tensor_floats():
    model = FakeModel()
    for value in [np.float32(0.5), np.float64(0.25), ops.convert_to_tensor(np.float32(0.125))]:
        callback = callbacks.LearningRateScheduler(lambda epoch, lr, v=value: v)
        callback.set_model(model)
        callback.on_epoch_begin(0)
        assert model.optimizer.set_calls[-1] == float(np.asarray(value))
    np.testing.assert_allclose(lr_of(model), 0.125)


def test_learning_rate_scheduler_keyword_default_schedule():
    def schedule(epoch, lr=None):
        return 0.3 if lr is not None else 0.6

    model = FakeModel()
    callback = callbacks.LearningRateScheduler(schedule)
    callback.set_model(model)
    callback.on_epoch_begin(0)
    np.testing.assert_allclose(lr_of(model), 0.3)


def test_learning_rate_scheduler_multiple_optimizers(capsys):
    first, second = FakeOptimizer(0.1, name="first"), FakeOptimizer(0.2, name="second")
    model = FakeModel(optimizer=MultiOptimizer(first, second))
    callback = callbacks.LearningRateScheduler(lambda epoch, lr: lr / 2, verbose=1)
    callback.set_model(model)
    callback.on_epoch_begin(0)
    logs = {}
    callback.on_epoch_end(0, logs)
    np.testing.assert_allclose([lr_of(first), lr_of(second)], [0.05, 0.1], rtol=1e-6)
    assert sorted(logs) == ["learning_rate_first", "learning_rate_second"]
    np.testing.assert_allclose(logs["learning_rate_second"], 0.1, rtol=1e-6)
    assert "setting first learning rate to 0.05" in capsys.readouterr().out


def test_learning_rate_scheduler_errors():
    model = FakeModel()
    for bad in [1, "0.1", None, np.array([0.1, 0.2]), np.int64(3)]:
        callback = callbacks.LearningRateScheduler(lambda epoch, lr, b=bad: b)
        callback.set_model(model)
        with pytest.raises(ValueError, match="The output of the `schedule` function should be a "
                                             "float. Got: "):
            callback.on_epoch_begin(0)
    with pytest.raises(TypeError, match="must be a callable .* Received: schedule=0.1"):
        callbacks.LearningRateScheduler(0.1)
    callback = callbacks.LearningRateScheduler(lambda epoch: 0.1)
    callback.set_model(types.SimpleNamespace(optimizer=object()))
    with pytest.raises(ValueError, match='Optimizer must have a "learning_rate" attribute'):
        callback.on_epoch_begin(0)


# ----------------------------------------------------------------------------------------------
# ReduceLROnPlateau
# ----------------------------------------------------------------------------------------------

def reference_reduce_lr(values, lr, factor=0.1, patience=10, min_delta=1e-4, cooldown=0,
                        min_lr=0.0, maximize=False):
    """The rule restated in plain Python: the rate each epoch ran with."""
    sign = 1.0 if maximize else -1.0
    best, wait, cooling, rates = None, 0, 0, []
    for value in values:
        rates.append(lr)
        if cooling > 0:
            cooling -= 1
            wait = 0
        if best is None or sign * (value - best) > min_delta:
            best, wait = value, 0
        elif cooling == 0:
            wait += 1
            if wait >= patience and np.float32(lr) > np.float32(min_lr):
                lr = max(float(np.float32(lr)) * factor, min_lr)
                cooling, wait = cooldown, 0
    return rates, lr


def run_reduce(callback, values, lr=1.0, monitor="val_loss"):
    model = FakeModel(learning_rate=lr)
    history = callbacks.History()
    cbs = callbacks.CallbackList([callback, history], model=model)
    run_fit(cbs, model, [{monitor: v} for v in values])
    return history.history["learning_rate"], lr_of(model)


@pytest.mark.parametrize(
    "values, kwargs, expected_rates",
    [
        ([1.0, 1.0, 1.0, 1.0], {"patience": 1}, [1.0, 1.0, 0.1, 0.01]),
        ([1.0, 0.9, 0.8, 0.8, 0.8], {"patience": 2}, [1.0, 1.0, 1.0, 1.0, 1.0]),
        ([1.0, 0.9, 0.8, 0.8, 0.8, 0.8], {"patience": 2}, [1.0] * 5 + [0.1]),
        ([1.0, 0.99, 0.98, 0.97], {"patience": 1, "min_delta": 0.05}, [1.0, 1.0, 0.1, 0.01]),
        ([1.0] * 7, {"patience": 1, "cooldown": 2}, [1.0, 1.0, 0.1, 0.1, 0.01, 0.01, 0.001]),
        ([1.0] * 5, {"patience": 1, "factor": 0.5, "min_lr": 0.3}, [1.0, 1.0, 0.5, 0.3, 0.3]),
        ([0.1, 0.2, 0.2, 0.2], {"patience": 1, "mode": "max"}, [1.0, 1.0, 1.0, 0.1]),
    ],
)
def test_reduce_lr_on_plateau_branches(values, kwargs, expected_rates):
    callback = callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    rates, _ = run_reduce(callback, values)
    np.testing.assert_allclose(rates, expected_rates, rtol=1e-6)
    ref_kwargs = {k: v for k, v in kwargs.items() if k != "mode"}
    ref, _ = reference_reduce_lr(values, 1.0, maximize=kwargs.get("mode") == "max", **ref_kwargs)
    np.testing.assert_allclose(rates, ref, rtol=1e-6)


def test_reduce_lr_on_plateau_matches_reference_on_random_curves():
    for trial in range(40):
        values = list(np.round(RNG.uniform(0.0, 1.0, size=15), 2))
        kwargs = {
            "factor": float(RNG.choice([0.1, 0.5])),
            "patience": int(RNG.integers(0, 3)),
            "min_delta": float(RNG.choice([0.0, 1e-4, 0.1])),
            "cooldown": int(RNG.integers(0, 3)),
            "min_lr": float(RNG.choice([0.0, 0.01, 0.2])),
        }
        maximize = bool(trial % 2)
        monitor = "val_accuracy" if maximize else "val_loss"
        rates, final = run_reduce(callbacks.ReduceLROnPlateau(monitor=monitor, **kwargs), values,
                                  monitor=monitor)
        ref_rates, ref_final = reference_reduce_lr(values, 1.0, maximize=maximize, **kwargs)
        np.testing.assert_allclose(rates, ref_rates, rtol=1e-6, err_msg=str((values, kwargs)))
        np.testing.assert_allclose(final, ref_final, rtol=1e-6)


def test_reduce_lr_on_plateau_min_lr_floor_is_not_reduced_again(capsys):
    callback = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_lr=0.001,
                                           verbose=1)
    model = FakeModel(learning_rate=0.004)
    cbs = callbacks.CallbackList([callback], model=model)
    run_fit(cbs, model, [{"loss": 1.0}] * 6)
    np.testing.assert_allclose(lr_of(model), 0.001, rtol=1e-6)
    out = capsys.readouterr().out
    # 0.004 -> 0.002 -> 0.001, then the rate is at the floor: no more messages.
    assert out.count("ReduceLROnPlateau reducing learning rate to") == 2
    assert out.startswith("\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.002")
    np.testing.assert_allclose(model.optimizer.set_calls, [0.002, 0.001], rtol=1e-6)


def test_reduce_lr_on_plateau_multiple_optimizers_and_missing_monitor():
    first, second = FakeOptimizer(1.0, name="first"), FakeOptimizer(0.5, name="second")
    model = FakeModel(optimizer=MultiOptimizer(first, second))
    callback = callbacks.ReduceLROnPlateau(monitor="loss", patience=0)
    cbs = callbacks.CallbackList([callback], model=model)
    run_fit(cbs, model, [{"loss": 1.0}, {"loss": 1.0}])
    np.testing.assert_allclose([lr_of(first), lr_of(second)], [0.1, 0.05], rtol=1e-6)
    logs = {"loss": 1.0}
    callback.on_epoch_end(2, logs)
    assert set(logs) == {"loss", "learning_rate_first", "learning_rate_second"}

    model = FakeModel()
    callback = callbacks.ReduceLROnPlateau(monitor="val_loss", patience=0)
    callback.set_model(model)
    callback.on_train_begin()
    logs = {"loss": 1.0}
    with pytest.warns(UserWarning, match=r"Learning rate reduction is conditioned on metric "
                                         r"`val_loss` which is not available. Available metrics "
                                         r"are: loss,learning_rate\."):
        callback.on_epoch_end(0, logs)
    assert logs["learning_rate"] == lr_of(model)
    assert model.optimizer.set_calls == []


def test_reduce_lr_on_plateau_reset_defaults_and_errors():
    callback = callbacks.ReduceLROnPlateau()
    assert (callback.monitor, callback.factor, callback.patience, callback.verbose, callback.mode,
            callback.cooldown, callback.min_lr) == ("val_loss", 0.1, 10, 0, "auto", 0, 0.0)
    assert callback.min_delta == 1e-4
    callback.wait, callback.cooldown_counter, callback.best = 3, 2, 0.5
    assert callback.in_cooldown()
    callback.on_train_begin()
    assert (callback.wait, callback.cooldown_counter, callback.best) == (0, 0, None)
    assert not callback.in_cooldown()
    for factor in (1.0, 2.5):
        with pytest.raises(ValueError, match=rf"does not support a factor >= 1.0. Received "
                                             rf"factor={factor}"):
            callbacks.ReduceLROnPlateau(factor=factor)
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        callback = callbacks.ReduceLROnPlateau(epsilon=0.25)
    assert callback.min_delta == 0.25
    with pytest.raises(TypeError, match="Unrecognized keyword arguments .*'threshold'"):
        callbacks.ReduceLROnPlateau(threshold=0.1)


# ----------------------------------------------------------------------------------------------
# CSVLogger
# ----------------------------------------------------------------------------------------------

def read_rows(path, separator=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=separator))


def test_csv_logger_writes_header_and_rows(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    logger = callbacks.CSVLogger(str(path))
    cbs = callbacks.CallbackList([logger], model=model)
    run_fit(cbs, model, [{"loss": 0.5, "accuracy": 0.25, "val_loss": 0.75},
                         {"loss": 0.125, "accuracy": 0.5, "val_loss": 0.5}])
    assert read_rows(path) == [
        ["epoch", "accuracy", "loss", "val_loss"],
        ["0", "0.25", "0.5", "0.75"],
        ["1", "0.5", "0.125", "0.5"],
    ]
    assert path.read_bytes().startswith(b"epoch,accuracy,loss,val_loss\r\n")  # csv.excel lines
    assert logger.csv_file.closed


def test_csv_logger_append_and_overwrite(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    first = callbacks.CSVLogger(path, append=True)  # file absent: header written
    run_fit(callbacks.CallbackList([first], model=model), model, [{"loss": 1.0}])
    second = callbacks.CSVLogger(path, append=True)
    run_fit(callbacks.CallbackList([second], model=model), model, [{"loss": 0.5}, {"loss": 0.25}])
    assert read_rows(path) == [
        ["epoch", "loss", "val_loss"], ["0", "1.0", "NA"], ["0", "0.5", "NA"], ["1", "0.25", "NA"]]

    overwrite = callbacks.CSVLogger(path, append=False)
    run_fit(callbacks.CallbackList([overwrite], model=model), model, [{"loss": 2.0}])
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "2.0", "NA"]]

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    logger = callbacks.CSVLogger(empty, append=True)  # empty file: header written
    run_fit(callbacks.CallbackList([logger], model=model), model, [{"loss": 3.0}])
    assert read_rows(empty) == [["epoch", "loss", "val_loss"], ["0", "3.0", "NA"]]


def test_csv_logger_separator_iterables_and_reuse(tmp_path):
    path = tmp_path / "log.tsv"
    model = FakeModel()
    logger = callbacks.CSVLogger(pathlib.Path(path), separator="\t")
    cbs = callbacks.CallbackList([logger], model=model)
    run_fit(cbs, model, [{"loss": 1.5, "per_class": np.array([1.0, 2.0]), "tag": "a,b"}])
    text = path.read_text()
    assert text.splitlines()[0] == "epoch\tloss\tper_class\ttag\tval_loss\tval_per_class\tval_tag"
    row = read_rows(path, "\t")[1]
    assert row == ["0", "1.5", '"[1.0, 2.0]"', "a,b", "NA", "NA", "NA"]
    # A second fit with the same logger (not appending) rewrites the file with the new keys.
    run_fit(cbs, model, [{"loss": 0.5, "val_loss": 0.25}])
    assert read_rows(path, "\t") == [["epoch", "loss", "val_loss"], ["0", "0.5", "0.25"]]


def test_csv_logger_errors(tmp_path):
    with pytest.raises(TypeError, match="`filename` argument of CSVLogger must be a string or a "
                                        "path-like object. Received: filename=3"):
        callbacks.CSVLogger(3)
    with pytest.raises(TypeError, match="must be a 1-character string. Received: separator=';;'"):
        callbacks.CSVLogger(tmp_path / "x.csv", separator=";;")
    logger = callbacks.CSVLogger(tmp_path / "x.csv")
    with pytest.raises(ValueError, match="called before on_train_begin"):
        logger.on_epoch_end(0, {"loss": 1.0})
    assert logger.sep == "," and logger.append is False
    assert logger.filename == os.fspath(tmp_path / "x.csv")


# ----------------------------------------------------------------------------------------------
# LambdaCallback
# ----------------------------------------------------------------------------------------------

def test_lambda_callback_hooks():
    seen = []
    callback = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: seen.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: seen.append(("epoch_end", epoch, logs["loss"])),
        on_train_begin=lambda logs: seen.append(("train_begin",)),
        on_train_end=lambda logs: seen.append(("train_end", logs["loss"])),
        on_train_batch_begin=lambda batch, logs: seen.append(("batch_begin", batch)),
        on_train_batch_end=lambda batch, logs: seen.append(("batch_end", batch, logs["loss"])),
        on_test_end=lambda logs: seen.append(("test_end", logs["loss"])),
    )
    model = FakeModel()
    cbs = callbacks.CallbackList([callback], model=model)
    run_fit(cbs, model, [{"loss": 0.5}], batch_logs=[{"loss": 0.75}])
    cbs.on_test_begin()
    cbs.on_test_end({"loss": 0.25})
    assert seen == [("train_begin",), ("epoch_begin", 0), ("batch_begin", 0),
                    ("batch_end", 0, 0.75), ("epoch_end", 0, 0.5), ("train_end", 0.5),
                    ("test_end", 0.25)]
    # Hooks not given (or given as None) keep the base behaviour; other keywords become attributes.
    callback = callbacks.LambdaCallback(on_test_end=None, on_epoch_end=None, note="kept")
    assert callback.on_epoch_end(0, {}) is None and callback.on_test_end({}) is None
    assert callback.note == "kept"


def test_lambda_callback_errors():
    with pytest.raises(TypeError, match="`on_epoch_end` argument of LambdaCallback must be "
                                        "callable. Received: on_epoch_end=5"):
        callbacks.LambdaCallback(on_epoch_end=5)
    with pytest.raises(TypeError, match="on_predict_end=1"):
        callbacks.LambdaCallback(on_predict_end=1)


# ----------------------------------------------------------------------------------------------
# TerminateOnNaN
# ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), np.float32("nan")])
def test_terminate_on_nan_stops_training(bad, capsys):
    model = FakeModel()
    cbs = callbacks.CallbackList([callbacks.TerminateOnNaN()], model=model)
    cbs.on_train_begin()
    cbs.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cbs.on_train_batch_end(1, {"loss": ops.convert_to_tensor(np.float32(bad))})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"


def test_terminate_on_nan_ignores_finite_or_missing_loss_and_raise_error():
    model = FakeModel()
    callback = callbacks.TerminateOnNaN()
    callback.set_model(model)
    callback.on_batch_end(0, {"loss": 1e30})
    callback.on_batch_end(1, {"accuracy": float("nan")})
    callback.on_batch_end(2, None)
    assert not model.stop_training
    callback = callbacks.TerminateOnNaN(raise_error=True)
    callback.set_model(model)
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch 4. Loss value: "
                                           r"nan. Terminating training immediately."):
        callback.on_train_batch_end(4, {"loss": math.nan})
    assert not model.stop_training


def test_public_names():
    for name in ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping",
                 "LearningRateScheduler", "ReduceLROnPlateau", "CSVLogger", "LambdaCallback",
                 "TerminateOnNaN"]:
        assert name in callbacks.__all__
        assert issubclass(getattr(callbacks, name), callbacks.Callback)
