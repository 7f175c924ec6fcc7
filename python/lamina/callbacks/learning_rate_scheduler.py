"""``lamina.callbacks.LearningRateScheduler`` (Keras 3's
``keras.callbacks.LearningRateScheduler``)."""

import inspect

import numpy as np

from lamina.callbacks.callback import Callback
from lamina.callbacks.callback import print_msg


def current_learning_rate(optimizer):
    """The optimizer's current learning rate as a Python float."""
    from lamina import ops

    return float(ops.convert_to_numpy(optimizer.learning_rate))


def _accepts_two_arguments(schedule):
    """Whether `schedule(epoch, lr)` binds (None when the signature cannot be read)."""
    try:
        signature = inspect.signature(schedule)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


def _as_float_learning_rate(value):
    """`value` as a Python float if it is a floating point number (a Python/numpy float, or a
    0-d floating tensor or array), else None."""
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (bool, int, np.integer, str, bytes)) or value is None:
        return None
    from lamina import ops

    try:
        array = ops.convert_to_numpy(value)
    except (TypeError, ValueError, AttributeError):
        return None
    if getattr(array, "ndim", None) == 0 and array.dtype.kind == "f":
        return float(array)
    return None


class LearningRateScheduler(Callback):
    """Learning rate scheduler.

    At the beginning of every epoch, this callback gets the learning rate from the `schedule`
    function, called with the epoch index and the current learning rate (or with the epoch index
    alone, for a one-argument function), and sets it on the optimizer. At the end of the epoch the
    learning rate is written into the logs as `"learning_rate"`.

    Args:
        schedule: A function that takes an epoch index (integer, indexed from 0) and the current
            learning rate (float) as inputs and returns a new learning rate as output (float).
        verbose: Integer. 0: quiet, 1: log update messages. Defaults to `0`.

    Raises:
        TypeError: If `schedule` is not callable.
        ValueError: If `schedule` returns something other than a float (raised in
            `on_epoch_begin`), or if the optimizer has no `learning_rate`.

    Example:

    >>> def scheduler(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.9
    >>> callback = lamina.callbacks.LearningRateScheduler(scheduler)
    >>> history = model.fit(x, y, epochs=15, callbacks=[callback], verbose=0)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                "The `schedule` argument of LearningRateScheduler must be a callable "
                f"`schedule(epoch, lr)` or `schedule(epoch)`. Received: schedule={schedule!r}"
            )
        self.schedule = schedule
        self.verbose = verbose

    def _new_learning_rate(self, optimizer, epoch):
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        two_arguments = _accepts_two_arguments(self.schedule)
        if two_arguments is None:
            try:
                learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
            except TypeError:  # the older one-argument API
                learning_rate = self.schedule(epoch)
        elif two_arguments:
            learning_rate = self.schedule(epoch, current_learning_rate(optimizer))
        else:
            learning_rate = self.schedule(epoch)
        value = _as_float_learning_rate(learning_rate)
        if value is None:
            raise ValueError(
                f"The output of the `schedule` function should be a float. Got: {learning_rate}"
            )
        optimizer.learning_rate = value
        return value

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for opt in optimizer.optimizers:
                learning_rate = self._new_learning_rate(opt, epoch)
                if self.verbose > 0:
                    print_msg(
                        f"\nEpoch {epoch + 1}: LearningRateScheduler setting {opt.name} "
                        f"learning rate to {learning_rate}."
                    )
        else:
            learning_rate = self._new_learning_rate(optimizer, epoch)
            if self.verbose > 0:
                print_msg(
                    f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                    f"{learning_rate}."
                )

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        optimizer = self.model.optimizer
        if hasattr(optimizer, "optimizers"):
            for opt in optimizer.optimizers:
                logs[f"learning_rate_{opt.name}"] = current_learning_rate(opt)
        else:
            logs["learning_rate"] = current_learning_rate(optimizer)
