"""``lamina.callbacks.EarlyStopping`` (Keras 3's ``keras.callbacks.EarlyStopping``)."""

import warnings

from lamina.callbacks.callback import print_msg
from lamina.callbacks.monitor_callback import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when a monitored metric has stopped improving.

    At the end of every epoch the callback checks whether the monitored quantity improved (by
    more than `min_delta`); after `patience` epochs without improvement it sets
    `model.stop_training = True`. The quantity must be in the epoch logs (pass the loss or metrics
    at `model.compile()`); when it is missing, the callback warns and does nothing.

    Args:
        monitor: Quantity to be monitored. Defaults to `"val_loss"`.
        min_delta: Minimum change in the monitored quantity to qualify as an improvement, i.e. an
            absolute change of less than `min_delta` counts as no improvement. Defaults to `0`.
        patience: Number of epochs with no improvement after which training will be stopped.
            Defaults to `0`.
        verbose: Verbosity mode, 0 or 1. Mode 0 is silent, and mode 1 displays messages when the
            callback takes an action. Defaults to `0`.
        mode: One of `{"auto", "min", "max"}`. In `"min"` mode, training stops when the quantity
            monitored has stopped decreasing; in `"max"` mode when it has stopped increasing; in
            `"auto"` mode, the direction is inferred from the name of the monitored quantity
            (losses: min; `"acc"`/`"auc"` and metrics that go up: max). Defaults to `"auto"`.
        baseline: Baseline value for the monitored quantity. If not `None`, the patience counter
            only restarts on epochs that beat both the previous best and the baseline, so training
            stops after `patience` epochs if the model never improves over the baseline. Defaults
            to `None`.
        restore_best_weights: Whether to restore model weights from the epoch with the best value
            of the monitored quantity (at the end of training). If `False`, the weights of the last
            step are kept. The best epoch's weights are restored whatever its value relative to
            `baseline`. Defaults to `False`.
        start_from_epoch: Number of epochs to wait before starting to monitor improvement (a
            warm-up period in which no improvement is expected). Defaults to `0`.

    Example:

    >>> callback = lamina.callbacks.EarlyStopping(monitor="loss", patience=3)
    >>> # Training stops when the loss has not improved for three consecutive epochs.
    >>> history = model.fit(x, y, epochs=10, callbacks=[callback], verbose=0)
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.wait = 0
        self.stopped_epoch = 0
        self.restore_best_weights = restore_best_weights
        self.best_weights = None
        self.best_epoch = 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, logs=None):
        # Reset, so that an instance can be reused across `fit()` calls.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Set up lazily, once the model's metrics are built.
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until an epoch improves, the current weights are the best.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch

        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The patience counter restarts only when both the baseline and the previous best
            # are beaten.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return

        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print_msg(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print_msg(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs):
        """The monitored value in `logs` (None, with a warning, when it is missing)."""
        logs = logs or {}
        monitor_value = logs.get(self.monitor)
        if monitor_value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                f"Available metrics are: {','.join(list(logs.keys()))}",
                stacklevel=2,
            )
        return monitor_value
