"""``lamina.callbacks.BackupAndRestore``: backs up the training state so an interrupted `fit`
resumes where it stopped (Keras 3's ``keras.callbacks.BackupAndRestore``)."""

import json
import os
import shutil

from lamina.callbacks.callback import Callback
from lamina.callbacks.model_checkpoint import batch_save_due
from lamina.saving import file_utils


class BackupAndRestore(Callback):
    """Callback to back up and restore the training state.

    `BackupAndRestore` recovers training from an interruption that happened in the middle of a
    `Model.fit` run, by backing up the training state (the model's weights, the optimizer's
    state and the epoch number) in a checkpoint at the end of each epoch (or every `save_freq`
    batches). Each backup overwrites the previous one, atomically: an interruption while
    writing leaves the previous backup intact.

    If training restarts before completion, the training state is restored from the last backup
    at the beginning of the new `Model.fit` run, which continues from the epoch that was
    running. At the end of a complete `Model.fit` run, the backup is deleted (unless
    `delete_checkpoint=False`).

    The model restored from a backup is expected to be the same as the one backed up (same
    architecture, same `compile` arguments), and it must be built before `fit` is called.

    Args:
        backup_dir: String, path of the folder where the data needed to restore the model is
            stored. It cannot be used elsewhere to store other files (by the
            `BackupAndRestore` callback of another training run, or by another callback such
            as `ModelCheckpoint`).
        save_freq: `"epoch"`, integer, or `False`. With `"epoch"` the callback saves the
            training state at the end of each epoch; with an integer, every `save_freq`
            batches; with `False`, never (the state is then only restored). Defaults to
            `"epoch"`.
        double_checkpoint: Boolean. If enabled, the last two training states (current and
            previous) are kept; if the current one cannot be loaded (e.g. the file is
            corrupt), the previous one is restored. Defaults to `False`.
        delete_checkpoint: Boolean. Whether the backup is deleted after training finishes.
            Use `False` to keep it. Defaults to `True`.

    Example:

    >>> class InterruptingCallback(lamina.callbacks.Callback):
    ...     def on_epoch_begin(self, epoch, logs=None):
    ...         if epoch == 4:
    ...             raise RuntimeError("Interrupting!")
    >>> callback = lamina.callbacks.BackupAndRestore(backup_dir="/tmp/backup")
    >>> model = lamina.models.Sequential([lamina.layers.Dense(10)])
    >>> model.compile(lamina.optimizers.SGD(), loss="mse")
    >>> model.build(input_shape=(None, 20))
    >>> try:
    ...     model.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=10, batch_size=1,
    ...               callbacks=[callback, InterruptingCallback()], verbose=0)
    ... except RuntimeError:
    ...     pass
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros(5), epochs=10,
    ...                     batch_size=1, callbacks=[callback], verbose=0)
    >>> len(history.history["loss"])  # epochs 4 to 9 were run
    6
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        self.backup_dir = file_utils.path_to_string(backup_dir)
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._training_metadata_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._prev_weights_path = f"{self._weights_path}.bkp"
        self._prev_training_metadata_path = f"{self._training_metadata_path}.bkp"
        if save_freq != "epoch" and save_freq is not False and (
            not isinstance(save_freq, int) or isinstance(save_freq, bool)
        ):
            raise ValueError(
                "Invalid value for argument `save_freq`. "
                f"Received: save_freq={save_freq}. "
                "Expected either 'epoch' or an integer value."
            )

    def on_train_begin(self, logs=None):
        try:
            self._load_model()
        except (OSError, ValueError) as e:
            # The latest backup cannot be read: fall back on the previous one, if kept.
            if not os.path.exists(self._prev_weights_path):
                raise e
            file_utils.atomic_copy(self._prev_weights_path, self._weights_path)
            if os.path.exists(self._prev_training_metadata_path):
                file_utils.atomic_copy(self._prev_training_metadata_path,
                                       self._training_metadata_path)
            elif os.path.exists(self._training_metadata_path):
                os.remove(self._training_metadata_path)
            self._load_model()

    def _load_model(self):
        """Restores the weights, the optimizer state and the epoch from the backup."""
        if not self.model.built:
            raise ValueError(
                "To use the BackupAndRestore callback, you model must be built before you call "
                f"`fit()`. Model {self.model} is unbuilt. You can build it beforehand by "
                "calling it on a batch of data."
            )
        if os.path.exists(self._weights_path):
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and not getattr(optimizer, "built", True):
                # The optimizer's variables must exist before its state is loaded.
                optimizer.build(self.model.trainable_variables)
            self.model.load_weights(self._weights_path)
        if os.path.exists(self._training_metadata_path):
            with open(self._training_metadata_path, "r", encoding="utf-8") as f:
                try:
                    training_metadata = json.loads(f.read())
                    epoch = int(training_metadata["epoch"])
                except (ValueError, KeyError, TypeError) as e:
                    raise ValueError(
                        f"The training metadata '{self._training_metadata_path}' is corrupt: "
                        f"{e}"
                    ) from e
            self.model._initial_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save_model()

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model()

    def _save_model(self):
        """Writes the training state: the weights (with the optimizer's state), then the
        epoch; with `double_checkpoint`, the previous state is kept first."""
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._weights_path):
            file_utils.atomic_copy(self._weights_path, self._prev_weights_path)
        if self.double_checkpoint and os.path.exists(self._training_metadata_path):
            file_utils.atomic_copy(self._training_metadata_path, self._prev_training_metadata_path)
        self.model.save_weights(filepath=self._weights_path, overwrite=True)
        with file_utils.atomic_write(self._training_metadata_path, "w") as f:
            f.write(json.dumps({"epoch": self._current_epoch, "batch": self._last_batch_seen}))

    def _should_save_on_batch(self, batch):
        """Counts batches (across epochs) and says when `save_freq` of them have passed."""
        if self.save_freq == "epoch" or self.save_freq is False:
            return False
        return batch_save_due(self, batch)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self.backup_dir):
            shutil.rmtree(self.backup_dir)


__all__ = ["BackupAndRestore"]
