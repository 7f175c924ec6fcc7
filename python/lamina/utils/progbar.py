"""``lamina.utils.Progbar``: Keras 3's text progress bar (``keras.utils.Progbar``).

On a terminal (or in a notebook, or under PyCharm) the bar is redrawn in place, with Keras 3's
colours and bold text. When ``sys.stdout`` is anything else (a pipe, a log file, a test's capture)
the output stays readable: no ANSI escape codes and no carriage-return redraws; only the final line
of each bar is written.
"""

import math
import numbers
import os
import sys
import time

_BOLD = "\x1b[1m"
_GREEN = "\x1b[32m"
_WHITE = "\x1b[37m"
_RESET = "\x1b[0m"
_BAR_CHAR = "\u2501"


def _stdout_is_dynamic():
    """Whether `sys.stdout` can redraw a line in place (a tty, a notebook or PyCharm's console)."""
    stream = sys.stdout
    try:
        isatty = bool(stream.isatty()) if hasattr(stream, "isatty") else False
    except (ValueError, OSError):  # a closed or detached stream
        isatty = False
    return isatty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _write(message):
    """Writes `message` to the current `sys.stdout` and flushes it (ASCII fallback if the stream's
    encoding cannot hold the bar characters)."""
    stream = sys.stdout
    try:
        stream.write(message)
    except UnicodeEncodeError:
        encoding = getattr(stream, "encoding", None) or "utf-8"
        message = message.replace(_BAR_CHAR, "=")
        stream.write(message.encode(encoding, errors="ignore").decode(encoding))
    stream.flush()


def _as_number(value):
    """A logged value as a Python float when it is numeric (a mean for non-scalar arrays), else the
    value itself (shown as-is)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return value
    from lamina import ops

    try:
        tensor = ops.convert_to_tensor(value, dtype="float64")
    except (TypeError, ValueError):
        return value
    if len(tensor.shape) == 0:
        return float(ops.convert_to_numpy(tensor))
    return float(ops.convert_to_numpy(ops.mean(tensor)))


def _format_value(value):
    """Keras' number format: 4 decimals, or scientific notation for magnitudes <= 1e-3."""
    if not isinstance(value, float):
        return f" {value}"
    if abs(value) > 1e-3:
        return f" {value:.4f}"
    return f" {value:.4e}"


class Progbar:
    """Displays a progress bar.

    If neither of `stateful_metrics` and `stateless_metrics` is provided, all metrics are treated
    as stateless (averaged by the progress bar before display).

    Args:
        target: Total number of steps expected, `None` if unknown.
        width: Progress bar width on screen. Defaults to `20`.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (semi-verbose: one line when the bar
            completes). Defaults to `1`.
        interval: Minimum visual progress update interval (in seconds). Defaults to `0.05`.
        stateful_metrics: Iterable of string names of metrics that should *not* be averaged over
            time. Metrics in this list are displayed as-is. If provided, do not provide
            `stateless_metrics`.
        stateless_metrics: Iterable of string names of metrics that *should* be averaged over
            time; every other metric is displayed as-is. If provided, do not provide
            `stateful_metrics`.
        unit_name: Display name for step counts (usually `"step"` or `"sample"`). Defaults to
            `"step"`.

    Example:

    >>> bar = lamina.utils.Progbar(target=50)
    >>> for step in range(1, 51):
    ...     bar.update(step, values=[("loss", 0.5)])
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided to "
                "Progbar: `stateful_metrics` lists the metrics shown as-is (all others are "
                "averaged), `stateless_metrics` lists the metrics that are averaged (all others "
                f"are shown as-is). Received: stateful_metrics={stateful_metrics}, "
                f"stateless_metrics={stateless_metrics}"
            )
        if target is not None and (isinstance(target, bool) or not isinstance(target, numbers.Real)
                                   or target < 0):
            raise ValueError(
                "Received an invalid value for `target` of Progbar, expected a non-negative "
                f"number of steps or None. Received: target={target}"
            )
        if not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(
                "Received an invalid value for `width` of Progbar, expected a positive integer. "
                f"Received: width={width}"
            )
        if verbose not in (0, 1, 2):
            raise ValueError(
                "Received an invalid value for `verbose` of Progbar, expected 0, 1 or 2. "
                f"Received: verbose={verbose}"
            )
        self.target = target
        self.width = int(width)
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateful_metrics is not None:
            self.stateful_metrics = set(stateful_metrics)
            self.stateless_metrics = None
        elif stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set()
            self.stateless_metrics = None

        self._dynamic_display = _stdout_is_dynamic()
        self._seen_so_far = 0
        self._values = {}  # name -> [weighted sum, weight] or [value, 1]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Updates the progress bar.

        Args:
            current: Index of the current step (the number of steps done).
            values: List of `(name, value_for_last_step)` tuples (or a dict). A stateful metric's
                value is displayed as-is; any other is averaged over the steps seen, each update
                weighted by the number of steps it covers.
            finalize: Whether this is the last update of the bar. If `None`, defaults to
                `current >= self.target` (never, when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target

        if isinstance(values, dict):
            values = list(values.items())
        for name, value in values or []:
            if name not in self._values_order:
                self._values_order.append(name)
            value = _as_number(value)
            if self._is_stateless(name) and isinstance(value, float):
                if finalize:
                    # The final update carries the epoch's value: it replaces the running mean
                    # (when the target was unknown, `current` equals the steps already seen).
                    self._values[name] = [value, 1]
                else:
                    weight = max(current - self._seen_so_far, 1)
                    if name in self._values and isinstance(self._values[name][0], float):
                        self._values[name][0] += value * weight
                        self._values[name][1] += weight
                    else:
                        self._values[name] = [value * weight, weight]
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)

        if self.verbose == 1:
            if self._dynamic_display:
                if now - self._last_update < self.interval and not finalize:
                    return
                line, total_width = self._verbose_line(current, finalize, now, time_per_unit,
                                                       styled=True)
                message = "\b" * self._prev_total_width + "\r" + line
                if self._prev_total_width > total_width:
                    message += " " * (self._prev_total_width - total_width)
                if finalize:
                    message += "\n"
                _write(message)
                self._prev_total_width = total_width
            elif finalize:
                line, _ = self._verbose_line(current, finalize, now, time_per_unit, styled=False)
                _write(line + "\n")
        elif self.verbose == 2:
            if finalize and self.target is not None and self.target > 0:
                numdigits = int(math.log10(self.target)) + 1
                line = "%*d/%d" % (numdigits, current, self.target)
                line += f" - {now - self._start:.0f}s -"
                line += self._format_time(time_per_unit, self.unit_name)
                line += self._metrics_text()
                _write(line + "\n")

        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by `n` steps (`update(seen_so_far + n, values)`).

        Args:
            n: Number of steps to add.
            values: As in `update`.
        """
        self.update(self._seen_so_far + n, values)

    def _metrics_text(self):
        text = ""
        for name in self._values_order:
            total, count = self._values[name]
            text += f" - {name}:"
            if isinstance(total, float):
                text += _format_value(total / max(1, count))
            else:
                text += f" {total}"
        return text

    def _verbose_line(self, current, finalize, now, time_per_unit, styled):
        """The verbose=1 line and its printed width (without escape codes)."""

        def style(code, text):
            return f"{code}{text}{_RESET}" if styled else text

        if self.target is not None and self.target > 0:
            numdigits = int(math.log10(self.target)) + 1
            bar = style(_BOLD, "%*d/%d" % (numdigits, current, self.target)) + " "
            done = int(self.width * float(current) / self.target)
            done = min(max(done, 0), self.width)
            if done > 0:
                bar += style(_GREEN, _BAR_CHAR * done)
            bar += style(_WHITE, _BAR_CHAR * (self.width - done))
        else:
            bar = "%7d/Unknown" % current

        if self.target is not None and self.target > 0 and not finalize:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_text = f"{int(eta // 3600)}:{int((eta % 3600) // 60):02d}:{int(eta % 60):02d}"
            elif eta > 60:
                eta_text = f"{int(eta // 60)}:{int(eta % 60):02d}"
            else:
                eta_text = f"{int(eta)}s"
            info = " " + style(_BOLD, eta_text)
        else:
            info = " " + style(_BOLD, f"{now - self._start:.0f}s")
        info += self._format_time(time_per_unit, self.unit_name)
        info += self._metrics_text()

        line = bar + info
        plain_width = len(line)
        if styled:
            for code in (_BOLD, _GREEN, _WHITE, _RESET):
                plain_width -= line.count(code) * len(code)
        return line, plain_width

    @staticmethod
    def _format_time(time_per_unit, unit_name):
        """A step duration as `" 23ms/step"` (seconds, milliseconds or microseconds)."""
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
        return f" {time_per_unit * 1e6:.0f}us/{unit_name}"

    def _estimate_step_duration(self, current, now):
        """The duration of one step: after the first step, the first step's (often slower) time
        is left out of the estimate."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
