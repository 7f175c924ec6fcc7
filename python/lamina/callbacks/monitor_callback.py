"""``MonitorCallback``: the monitored-quantity logic shared by `EarlyStopping`,
`ReduceLROnPlateau` and `ModelCheckpoint` (Keras 3's ``keras.src.callbacks.MonitorCallback``)."""

import operator
import warnings

from lamina.callbacks.callback import Callback

_MAX_NAME_HINTS = ("acc", "auc")


def _model_metric_directions(model):
    """``{metric name: "up" | "down"}`` for the model's metrics that declare a `_direction`,
    looking inside metric containers (objects with a `metrics` list) too."""
    directions = {}
    pending = list(getattr(model, "metrics", None) or [])
    visited = set()
    while pending:
        metric = pending.pop(0)
        if id(metric) in visited:
            continue
        visited.add(id(metric))
        inner = getattr(metric, "metrics", None)
        if isinstance(inner, (list, tuple)):
            pending.extend(inner)
        direction = getattr(metric, "_direction", None)
        name = getattr(metric, "name", None)
        if direction in ("up", "down") and isinstance(name, str):
            directions.setdefault(name, direction)
    return directions


class MonitorCallback(Callback):
    """Base class of callbacks that monitor a quantity and decide whether it improved.

    Args:
        monitor: Quantity to be monitored. Defaults to `"val_loss"`.
        mode: One of `{"auto", "min", "max"}`. In `"min"` mode a decrease is an improvement, in
            `"max"` mode an increase; in `"auto"` mode the direction comes from the name of the
            monitored quantity: losses are minimized; a model metric that declares a direction
            (`metric._direction`, `"up"` or `"down"`) follows it; names containing `"acc"` or
            `"auc"` (or starting with `"fmeasure"`) are maximized. An unknown mode warns and falls
            back to `"auto"`. Defaults to `"auto"`.
        baseline: Floating point initial "best" value of the monitored quantity. If `None`
            (default), the first monitored value is used.
        min_delta: Minimum change in the monitored quantity to qualify as an improvement, i.e. an
            absolute change of less than `min_delta` counts as no improvement. Defaults to `0`.

    Raises:
        ValueError: If `mode="auto"` and the direction of the monitored quantity cannot be
            inferred (raised when monitoring starts).
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(
                f"{self.__class__.__name__} mode '{mode}' is unknown, fallback to auto mode.",
                stacklevel=3,
            )
            mode = "auto"
        self.monitor = monitor
        self.mode = mode
        self.best = baseline
        self.min_delta = abs(min_delta)
        self.monitor_op = None

    def _set_monitor_op(self):
        """Chooses `monitor_op` (`operator.lt` to minimize, `operator.gt` to maximize) and gives
        `min_delta` the matching sign."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            direction = _model_metric_directions(self.model).get(name)
            if name == "loss" or name.endswith("_loss"):
                self.monitor_op = operator.lt
            elif direction is not None:
                self.monitor_op = operator.gt if direction == "up" else operator.lt
            elif any(hint in name for hint in _MAX_NAME_HINTS) or name.startswith("fmeasure"):
                self.monitor_op = operator.gt
            else:
                raise ValueError(
                    f"{self.__class__.__name__} callback received monitor={self.monitor}, but "
                    "lamina isn't able to automatically determine whether that metric should be "
                    "maximized or minimized. Pass `mode='max'` in order to monitor based on the "
                    "highest metric value, or pass `mode='min'` in order to use the lowest value."
                )
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)
        else:
            self.min_delta = abs(self.min_delta)

    def _is_improvement(self, monitor_value, reference_value):
        """Whether `monitor_value` improves on `reference_value` by more than `min_delta` (always
        true when there is no reference yet)."""
        if reference_value is None:
            return True
        return bool(self.monitor_op(monitor_value - self.min_delta, reference_value))
