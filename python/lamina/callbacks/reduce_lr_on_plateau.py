"""``lamina.callbacks.ReduceLROnPlateau`` (Keras 3's ``keras.callbacks.ReduceLROnPlateau``)."""

import warnings

import numpy as np

from lamina.callbacks.callback import print_msg
from lamina.callbacks.learning_rate_scheduler import current_learning_rate
from lamina.callbacks.monitor_callback import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
    """Reduce learning rate when a metric has stopped improving.

    Models often benefit from reducing the learning rate by a factor of 2-10 once learning
    stagnates. This callback monitors a quantity and if no improvement is seen for `patience`
    epochs, the learning rate is multiplied by `factor` (never below `min_lr`). At the end of each
    epoch the learning rate (before any reduction) is written into the logs as `"learning_rate"`.

    Args:
        monitor: String. Quantity to be monitored. Defaults to `"val_loss"`.
        factor: Float. Factor by which the learning rate will be reduced:
            `new_lr = lr * factor`. Must be below 1. Defaults to `0.1`.
        patience: Integer. Number of epochs with no improvement after which the learning rate
            will be reduced. Defaults to `10`.
        verbose: Integer. 0: quiet, 1: update messages. Defaults to `0`.
        mode: String. One of `{"auto", "min", "max"}`. In `"min"` mode, the learning rate will be
            reduced when the quantity monitored has stopped decreasing; in `"max"` mode when it
            has stopped increasing; in `"auto"` mode, the direction is inferred from the name of
            the monitored quantity. Defaults to `"auto"`.
        min_delta: Float. Threshold for measuring the new optimum, to only focus on significant
            changes. Defaults to `1e-4`.
        cooldown: Integer. Number of epochs to wait before resuming normal operation after the
            learning rate has been reduced. Defaults to `0`.
        min_lr: Float. Lower bound on the learning rate. Defaults to `0.0`.
        **kwargs: The legacy `epsilon` argument (an alias of `min_delta`, with a warning).

    Raises:
        ValueError: If `factor >= 1.0`.

    Example:

    >>> reduce_lr = lamina.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
    ...                                                patience=5, min_lr=0.001)
    >>> model.fit(x_train, y_train, callbacks=[reduce_lr])
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        if "epsilon" in kwargs:
            min_delta = kwargs.pop("epsilon")
            warnings.warn(
                "`epsilon` argument is deprecated and will be removed, use `min_delta` instead.",
                stacklevel=2,
            )
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to ReduceLROnPlateau: {kwargs}"
            )
        super().__init__(monitor, mode, min_delta=min_delta)
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        """Resets the wait counter, the cooldown counter and the best value."""
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def _reduce_optimizer_lr(self, optimizer, epoch, name=""):
        """Multiplies the optimizer's learning rate by `factor` (floored at `min_lr`); returns
        whether it changed (not when the rate is already at `min_lr`)."""
        old_lr = current_learning_rate(optimizer)
        # The rate is stored in float32: compare in float32, so a rate already floored at
        # `min_lr` is not "reduced" again.
        if old_lr > float(np.float32(self.min_lr)):
            new_lr = max(old_lr * self.factor, self.min_lr)
            optimizer.learning_rate = new_lr
            if self.verbose > 0:
                name_text = f" {name}" if name else ""
                print_msg(
                    f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{name_text} learning rate "
                    f"to {new_lr}."
                )
            return True
        return False

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            # Set up lazily, once the model's metrics are built.
            self._set_monitor_op()
        logs = {} if logs is None else logs
        optimizer = self.model.optimizer
        optimizers = list(optimizer.optimizers) if hasattr(optimizer, "optimizers") else None
        if optimizers is not None:
            for opt in optimizers:
                logs[f"learning_rate_{opt.name}"] = current_learning_rate(opt)
        else:
            logs["learning_rate"] = current_learning_rate(optimizer)

        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(list(logs.keys()))}.",
                stacklevel=2,
            )
            return

        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0

        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                if optimizers is not None:
                    reduced = False
                    for opt in optimizers:
                        reduced = self._reduce_optimizer_lr(opt, epoch, f"{opt.name}") or reduced
                else:
                    reduced = self._reduce_optimizer_lr(optimizer, epoch)
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        """Whether the callback is in its cooldown period after a reduction."""
        return self.cooldown_counter > 0
