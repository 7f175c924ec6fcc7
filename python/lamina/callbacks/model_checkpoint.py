"""``lamina.callbacks.ModelCheckpoint``: saves the model or its weights during training (Keras 3's
``keras.callbacks.ModelCheckpoint``)."""

import os
import re
import warnings

import numpy as np

from lamina.callbacks.callback import print_msg
from lamina.callbacks.monitor_callback import MonitorCallback
from lamina.saving import file_utils


def _log_value(value):
    """A log value as a Python number when it is a scalar (for path formatting and messages)."""
    if isinstance(value, (int, float, str)):
        return value
    try:
        array = np.asarray(value)
    except Exception:
        return value
    if array.ndim == 0 and array.dtype.kind in "biuf":
        return array.item()
    return value


def batch_save_due(callback, batch):
    """Counts the batches a saving callback has seen (across epochs) and says when its integer
    `save_freq` of them have passed since its last save.

    Shared by `ModelCheckpoint` and `BackupAndRestore`: the count lives in the callback's
    `_batches_seen_since_last_saving`, the last batch index in its `_last_batch_seen` (None
    before the first batch); a batch index not above the last one starts a new epoch.

    Args:
        callback: The saving callback.
        batch: The index of the batch that just ended, within its epoch.

    Returns:
        Whether to save now (the count then starts again from 0).
    """
    last = callback._last_batch_seen
    added = batch + 1 if last is None or batch <= last else batch - last
    callback._batches_seen_since_last_saving += added
    callback._last_batch_seen = batch
    if callback._batches_seen_since_last_saving >= callback.save_freq:
        callback._batches_seen_since_last_saving = 0
        return True
    return False


def _is_vector(value):
    """Whether a monitored value is an array with at least one dimension."""
    shape = getattr(value, "shape", None)
    return shape is not None and len(tuple(shape)) > 0


class ModelCheckpoint(MonitorCallback):
    """Callback to save the model or model weights at some frequency.

    `ModelCheckpoint` is used with `model.fit()` to save a model or weights (in a checkpoint
    file) at some interval, so the model or weights can be loaded later to continue the
    training from the state saved. Every checkpoint is written atomically: an interruption
    while saving leaves the previous checkpoint intact.

    A few options this callback provides include:

    - Whether to only keep the model that has achieved the "best performance" so far, or
      whether to save the model at the end of every epoch regardless of performance.
    - Definition of "best"; which quantity to monitor and whether it should be maximized or
      minimized.
    - The frequency it should save at: at the end of every epoch, or after a fixed number of
      training batches.
    - Whether only weights are saved, or the whole model is saved.

    When `save_weights_only=True`, the weights file includes the optimizer's state (iteration
    count, slot variables) if the model is compiled; compile the model before loading the
    weights to resume training where it stopped.

    Args:
        filepath: string or `PathLike`, path to save the model file. `filepath` can contain
            named formatting options, which are filled with the value of `epoch` (1-based),
            `batch` (1-based, with an integer `save_freq`) and the keys of `logs` (passed in
            `on_epoch_end`). It must end with `".weights.h5"` when `save_weights_only=True`
            and with `".keras"` otherwise. For example, with
            `"{epoch:02d}-{val_loss:.2f}.keras"` the checkpoints are saved with the epoch number
            and the validation loss in the file name. The folder of `filepath` should not be
            used by other callbacks.
        monitor: The metric name to monitor (`"val_"` prefix for validation metrics; `"loss"`
            or `"val_loss"` for the total loss). Defaults to `"val_loss"`.
        verbose: Verbosity mode, 0 or 1. Mode 0 is silent, and mode 1 displays messages when
            the callback takes an action.
        save_best_only: If `True`, it only saves when the model is considered the "best"
            according to the monitored quantity. If `filepath` has no formatting options, the
            file is overwritten by each new better model.
        save_weights_only: If `True`, only the model's weights are saved
            (`model.save_weights(filepath)`), else the full model is saved
            (`model.save(filepath)`).
        mode: One of {`"auto"`, `"min"`, `"max"`}. If `save_best_only=True`, whether the
            monitored quantity is minimized or maximized; `"auto"` infers it from its name.
        save_freq: `"epoch"` or integer. With `"epoch"` the model is saved after each epoch;
            with an integer, at the end of this many batches (counted across epochs).
            Defaults to `"epoch"`.
        initial_value_threshold: Floating point initial "best" value of the monitored
            quantity. Only applies if `save_best_only=True`: the model is only saved when it
            is better than this value.

    Example:

    >>> checkpoint = lamina.callbacks.ModelCheckpoint(
    ...     filepath="/tmp/ckpt/checkpoint.keras", monitor="val_accuracy", mode="max",
    ...     save_best_only=True)
    >>> model.fit(x_train, y_train, epochs=10, validation_split=0.2, callbacks=[checkpoint])
    >>> best = lamina.models.load_model("/tmp/ckpt/checkpoint.keras")
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = file_utils.path_to_string(filepath)
        if not isinstance(self.filepath, str):
            raise TypeError(
                "Argument `filepath` must be a string or a path-like object. "
                f"Received: filepath={filepath!r} (of type {type(filepath)})"
            )
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._current_epoch = 0
        if self.save_freq != "epoch" and (
            not isinstance(self.save_freq, int) or isinstance(self.save_freq, bool)
        ):
            raise ValueError(
                f"Unrecognized save_freq: {self.save_freq}. Expected save_freq are 'epoch' or "
                "integer values"
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath}"
                )
        elif not self.filepath.endswith(".keras"):
            raise ValueError(
                "The filepath provided must end in `.keras` (Keras model format). Received: "
                f"filepath={self.filepath}"
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Set up once the model's metrics exist.
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        """Counts batches (across epochs) and says when `save_freq` of them have passed."""
        if self.save_freq == "epoch":
            return False
        return batch_save_due(self, batch)

    def _should_save_model(self, epoch, batch, logs, filepath):
        """Whether to save now: always without `save_best_only` (or when the monitored value
        is missing or not a scalar), else when the monitored value improved."""
        logs = logs or {}
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available.", stacklevel=2
            )
            return True
        if _is_vector(current):
            warnings.warn(
                "Can save best model only when `monitor` is a scalar value. "
                f"Received: {current}. Falling back to `save_best_only=False`.",
                stacklevel=2,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = float(_log_value(current))
        best_str = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best_str} to "
                    f"{current:.5f}, saving model to {filepath}"
                )
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best_str}")
        return False

    def _save_model(self, epoch, batch, logs):
        """Saves the model (or its weights) to the formatted file path, when it should."""
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if os.path.isdir(filepath):
            raise IOError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        if not self._should_save_model(epoch, batch, logs, filepath):
            return
        dirname = os.path.dirname(filepath)
        if dirname and not os.path.exists(dirname):
            os.makedirs(dirname, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        """The checkpoint path: `filepath` formatted with `epoch`, `batch` and the logs."""
        values = {k: _log_value(v) for k, v in (logs or {}).items()}
        try:
            if batch is None or "batch" in values:
                return self.filepath.format(epoch=epoch + 1, **values)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **values)
        except KeyError as e:
            raise KeyError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {e}'
            ) from e

    def _checkpoint_exists(self, filepath):
        """Whether the checkpoint `filepath` exists."""
        return os.path.exists(filepath)

    def _get_most_recently_modified_file_matching_pattern(self, pattern):
        """The most recently modified file matching `pattern` (a `filepath` whose formatting
        options match anything); among files modified at the same latest time, the largest
        path. None when nothing matches.

        Args:
            pattern: The file pattern, possibly with placeholders such as `{epoch:02d}`.

        Returns:
            The path of the matching file, or None.
        """
        dir_name = os.path.dirname(pattern)
        base_name = os.path.basename(pattern)
        base_name_regex = f"^{re.sub(r'{.*}', r'.*', base_name)}$"
        latest_time = 0
        latest_path = None
        latest_count = 0
        largest_path = None
        if os.path.exists(dir_name or "."):
            for file_name in os.listdir(dir_name or "."):
                if not re.match(base_name_regex, file_name):
                    continue
                file_path = os.path.join(dir_name, file_name)
                mod_time = os.path.getmtime(file_path)
                if largest_path is None or file_path > largest_path:
                    largest_path = file_path
                if mod_time > latest_time:
                    latest_time = mod_time
                    latest_path = file_path
                    latest_count = 1
                elif mod_time == latest_time:
                    latest_count += 1
        if latest_count == 1:
            return latest_path
        return largest_path


__all__ = ["ModelCheckpoint"]
