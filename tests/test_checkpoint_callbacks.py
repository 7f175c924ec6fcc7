"""ModelCheckpoint and BackupAndRestore: Keras 3's callback contract, driven by hand (with a
recording model) and through `Model.fit` (files written, resumed training identical to an
uninterrupted run)."""

import json
import os

import numpy as np
import pytest

import lamina
from lamina import layers
from lamina.callbacks.backup_and_restore import BackupAndRestore
from lamina.callbacks.model_checkpoint import ModelCheckpoint


class RecordingModel:
    """Stands in for a model: records (and touches) every file it is asked to save."""

    def __init__(self):
        self.saved = []
        self.metrics = []

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))
        open(filepath, "w").close()

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))
        open(filepath, "w").close()


def _checkpoint(tmp_path, name="m.keras", **kwargs):
    callback = ModelCheckpoint(str(tmp_path / name), **kwargs)
    model = RecordingModel()
    callback.set_model(model)
    return callback, model


def _epochs(callback, values, key="val_loss"):
    for epoch, value in enumerate(values):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {key: value, "loss": 1.0})


# ----------------------------------------------------------------------------------------------
# ModelCheckpoint
# ----------------------------------------------------------------------------------------------


def test_model_checkpoint_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Unrecognized save_freq: often. Expected save_freq are 'epoch' or integer values"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq="often")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=2.5)
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`.*Received: filepath=.*m\.keras"):
        ModelCheckpoint(str(tmp_path / "m.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match=r"must end in `\.keras`.*Received: filepath=.*m\.weights\.h5"):
        ModelCheckpoint(str(tmp_path / "m.weights.h5"))
    with pytest.warns(UserWarning, match="mode 'sideways' is unknown, fallback to auto mode"):
        callback = ModelCheckpoint(str(tmp_path / "m.keras"), mode="sideways")
    assert callback.mode == "auto"
    callback = ModelCheckpoint(tmp_path / "p.keras")  # PathLike accepted
    assert callback.filepath == str(tmp_path / "p.keras")


def test_model_checkpoint_formats_epoch_and_logs(tmp_path):
    callback, model = _checkpoint(tmp_path, "e{epoch:02d}-{val_loss:.3f}-{acc:.1f}.keras")
    for epoch, value in enumerate([0.5, 0.25]):
        callback.on_epoch_begin(epoch)
        callback.on_epoch_end(epoch, {"val_loss": np.float32(value), "acc": 0.75})
    assert model.saved == [("model", str(tmp_path / "e01-0.500-0.8.keras")),
                           ("model", str(tmp_path / "e02-0.250-0.8.keras"))]
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        bad, _ = _checkpoint(tmp_path, "{unknown}.keras")
        bad.on_epoch_end(0, {"val_loss": 1.0})


def test_model_checkpoint_save_best_only_min_and_max(tmp_path):
    callback, model = _checkpoint(tmp_path, "{epoch}.keras", save_best_only=True)
    _epochs(callback, [0.9, 0.7, 0.8, 0.3, 0.3])
    assert [os.path.basename(p) for _, p in model.saved] == ["1.keras", "2.keras", "4.keras"]
    assert callback.best == pytest.approx(0.3)
    callback, model = _checkpoint(tmp_path, "{epoch}.keras", save_best_only=True,
                                  monitor="val_acc")  # auto -> max
    _epochs(callback, [0.5, 0.4, 0.6], key="val_acc")
    assert [os.path.basename(p) for _, p in model.saved] == ["1.keras", "3.keras"]
    callback, model = _checkpoint(tmp_path, "{epoch}.keras", save_best_only=True,
                                  monitor="val_score", mode="max")
    _epochs(callback, [1.0, 2.0, 1.5], key="val_score")
    assert [os.path.basename(p) for _, p in model.saved] == ["1.keras", "2.keras"]


def test_model_checkpoint_initial_value_threshold(tmp_path):
    callback, model = _checkpoint(tmp_path, "{epoch}.keras", save_best_only=True,
                                  initial_value_threshold=0.5)
    _epochs(callback, [0.9, 0.6, 0.4, 0.45])
    assert [os.path.basename(p) for _, p in model.saved] == ["3.keras"]


def test_model_checkpoint_missing_or_vector_monitor_warns_and_saves(tmp_path):
    callback, model = _checkpoint(tmp_path, save_best_only=True, monitor="val_loss")
    callback.on_epoch_begin(0)
    with pytest.warns(UserWarning, match="Can save best model only with val_loss available"):
        callback.on_epoch_end(0, {"loss": 1.0})
    callback.on_epoch_begin(1)
    with pytest.warns(UserWarning, match="only when `monitor` is a scalar value"):
        callback.on_epoch_end(1, {"val_loss": np.array([0.1, 0.2])})
    assert len(model.saved) == 2


def test_model_checkpoint_save_freq_batches(tmp_path):
    callback, model = _checkpoint(tmp_path, "e{epoch}-b{batch}.weights.h5",
                                  save_weights_only=True, save_freq=3)
    for epoch in range(2):
        callback.on_epoch_begin(epoch)
        for batch in range(4):
            callback.on_train_batch_end(batch, {"loss": 0.5})
        callback.on_epoch_end(epoch, {"loss": 0.5})
    # Batches counted across epochs: saves after the 3rd, 6th (epoch 2, batch 2) batches.
    assert [(kind, os.path.basename(p)) for kind, p in model.saved] == [
        ("weights", "e1-b3.weights.h5"), ("weights", "e2-b2.weights.h5")]


def test_model_checkpoint_verbose_messages(tmp_path, capsys):
    callback, _ = _checkpoint(tmp_path, "m.keras", save_best_only=True, verbose=1)
    _epochs(callback, [0.5, 0.6])
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from None to 0.50000, saving model to" in out
    assert "Epoch 1: finished saving model to" in out
    assert "Epoch 2: val_loss did not improve from 0.50000" in out
    callback, _ = _checkpoint(tmp_path, "n.keras", verbose=1)
    _epochs(callback, [0.5])
    assert "Epoch 1: saving model to " + str(tmp_path / "n.keras") in capsys.readouterr().out


def test_model_checkpoint_directory_path_and_new_folders(tmp_path):
    (tmp_path / "d.keras").mkdir()
    callback, _ = _checkpoint(tmp_path, "d.keras")
    with pytest.raises(IOError, match="non-directory filepath"):
        _epochs(callback, [0.1])
    callback, model = _checkpoint(tmp_path, "sub/dir/{epoch}.keras")
    _epochs(callback, [0.1])
    assert os.path.exists(tmp_path / "sub" / "dir" / "1.keras")


def test_model_checkpoint_most_recent_file(tmp_path):
    callback, _ = _checkpoint(tmp_path, "b{batch:02d}e{epoch:02d}.keras")
    pattern = str(tmp_path / "b{batch:02d}e{epoch:02d}.keras")
    assert callback._get_most_recently_modified_file_matching_pattern(pattern) is None
    names = ["b03e02.keras", "b02e02.keras", "b01e01.keras"]
    for i, name in enumerate(names):
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, (1000 + i, 1000 + i))
    assert callback._get_most_recently_modified_file_matching_pattern(pattern) == str(
        tmp_path / "b01e01.keras")
    for name in names:
        os.utime(tmp_path / name, (5000, 5000))
    assert callback._get_most_recently_modified_file_matching_pattern(pattern) == str(
        tmp_path / "b03e02.keras")


# ----------------------------------------------------------------------------------------------
# Through fit
# ----------------------------------------------------------------------------------------------


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]], np.float32) + 0.1).astype("float32")
    return x, y


def _model(seed=0):
    model = lamina.Sequential([layers.Input((4,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(1)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.5
                       for w in model.get_weights()])
    model.compile(optimizer=lamina.optimizers.Adam(learning_rate=0.05), loss="mse",
                  metrics=["mae"])
    return model


def test_model_checkpoint_in_fit_keras_and_weights(tmp_path):
    x, y = _data()
    model = _model()
    full = ModelCheckpoint(str(tmp_path / "full-{epoch:02d}-{loss:.4f}.keras"), monitor="loss")
    best = ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="val_loss",
                           save_best_only=True, save_weights_only=True)
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0, shuffle=False,
                        validation_split=0.25, callbacks=[full, best])
    losses = history.history["loss"]
    for epoch, loss in enumerate(losses):
        path = tmp_path / f"full-{epoch + 1:02d}-{loss:.4f}.keras"
        assert path.exists(), sorted(os.listdir(tmp_path))
    last = lamina.saving.load_model(tmp_path / f"full-03-{losses[-1]:.4f}.keras")
    np.testing.assert_allclose(np.asarray(last(x)), np.asarray(model(x)), rtol=1e-6, atol=1e-6)
    assert best.best == pytest.approx(min(history.history["val_loss"]))
    restored = _model(seed=1)
    restored.load_weights(tmp_path / "best.weights.h5")
    assert os.path.exists(tmp_path / "best.weights.h5")


# ----------------------------------------------------------------------------------------------
# BackupAndRestore
# ----------------------------------------------------------------------------------------------


class InterruptAt(lamina.callbacks.Callback):
    def __init__(self, epoch=None, batch=None):
        super().__init__()
        self.epoch = epoch
        self.batch = batch
        self.current = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch:
            raise RuntimeError("Interrupting!")

    def on_train_batch_end(self, batch, logs=None):
        if self.batch is not None and (self.current, batch) == self.batch:
            raise RuntimeError("Interrupting!")


def test_backup_and_restore_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="Empty `backup_dir` argument passed"):
        BackupAndRestore("")
    with pytest.raises(ValueError, match="Invalid value for argument `save_freq`. Received: save_freq=often"):
        BackupAndRestore(str(tmp_path), save_freq="often")
    callback = BackupAndRestore(str(tmp_path / "b"))
    model = lamina.Sequential([layers.Dense(2)])
    callback.set_model(model)
    with pytest.raises(ValueError, match="you model must be built before you call `fit\\(\\)`"):
        callback.on_train_begin()


def test_backup_and_restore_resumes_exactly(tmp_path):
    x, y = _data()
    reference = _model()
    ref_history = reference.fit(x, y, batch_size=4, epochs=6, verbose=0, shuffle=False)

    backup_dir = str(tmp_path / "backup")
    first = _model()
    with pytest.raises(RuntimeError, match="Interrupting"):
        first.fit(x, y, batch_size=4, epochs=6, verbose=0, shuffle=False,
                  callbacks=[BackupAndRestore(backup_dir), InterruptAt(epoch=3)])
    metadata = json.loads(open(os.path.join(backup_dir, "training_metadata.json")).read())
    assert metadata == {"epoch": 3, "batch": 0}
    # A new process: a fresh model (other initial weights), compiled the same way.
    second = _model(seed=5)
    history = second.fit(x, y, batch_size=4, epochs=6, verbose=0, shuffle=False,
                         callbacks=[BackupAndRestore(backup_dir)])
    assert len(history.history["loss"]) == 3
    np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"][3:],
                               rtol=1e-5)
    for a, b in zip(second.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert int(np.asarray(second.optimizer.iterations)) == int(
        np.asarray(reference.optimizer.iterations))
    assert not os.path.exists(backup_dir)  # deleted at the end of a complete run


def test_backup_and_restore_batch_frequency_and_keep(tmp_path):
    x, y = _data()
    backup_dir = str(tmp_path / "backup")
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, batch_size=4, epochs=4, verbose=0, shuffle=False,
                  callbacks=[BackupAndRestore(backup_dir, save_freq=3), InterruptAt(batch=(1, 2))])
    metadata = json.loads(open(os.path.join(backup_dir, "training_metadata.json")).read())
    assert metadata == {"epoch": 1, "batch": 1}  # saved after the 6th batch (epoch 1, batch 1)
    model = _model(seed=3)
    history = model.fit(x, y, batch_size=4, epochs=4, verbose=0, shuffle=False,
                        callbacks=[BackupAndRestore(backup_dir, delete_checkpoint=False)])
    assert len(history.history["loss"]) == 3  # epochs 1, 2 and 3
    assert sorted(os.listdir(backup_dir)) == ["latest.weights.h5", "training_metadata.json"]


def test_backup_and_restore_double_checkpoint_falls_back(tmp_path):
    x, y = _data()
    backup_dir = str(tmp_path / "backup")
    model = _model()
    with pytest.raises(RuntimeError):
        model.fit(x, y, batch_size=4, epochs=5, verbose=0, shuffle=False,
                  callbacks=[BackupAndRestore(backup_dir, double_checkpoint=True),
                             InterruptAt(epoch=3)])
    assert sorted(os.listdir(backup_dir)) == [
        "latest.weights.h5", "latest.weights.h5.bkp", "training_metadata.json",
        "training_metadata.json.bkp"]
    assert json.loads(open(os.path.join(backup_dir, "training_metadata.json.bkp")).read())["epoch"] == 2
    # The latest backup is damaged: the previous one (after epoch 2) is used.
    with open(os.path.join(backup_dir, "latest.weights.h5"), "r+b") as f:
        f.truncate(100)
    model = _model(seed=4)
    history = model.fit(x, y, batch_size=4, epochs=5, verbose=0, shuffle=False,
                        callbacks=[BackupAndRestore(backup_dir, double_checkpoint=True)])
    assert len(history.history["loss"]) == 3  # epochs 2, 3, 4


def test_backup_and_restore_no_saving_with_save_freq_false(tmp_path):
    x, y = _data()
    backup_dir = str(tmp_path / "backup")
    model = _model()
    model.fit(x, y, batch_size=4, epochs=2, verbose=0,
              callbacks=[BackupAndRestore(backup_dir, save_freq=False, delete_checkpoint=False)])
    assert not os.path.exists(backup_dir)
