"""lamina.utils.Progbar: Keras 3's text format on a terminal (exact strings, escape codes and
in-place redraws) and on a non-terminal stream (one plain final line), with the clock controlled;
averaging of stateless values; time formats; errors."""

import io
import sys
import types

import numpy as np
import pytest

from lamina import ops
from lamina.utils import progbar as progbar_module
from lamina.utils.progbar import Progbar

B, G, W, R = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"
CH = "\u2501"


class Clock:
    def __init__(self, now=100.0):
        self.now = now

    def time(self):
        return self.now


class TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(progbar_module, "time", types.SimpleNamespace(time=clock.time))
    monkeypatch.delenv("PYCHARM_HOSTED", raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    return clock


def use_tty(monkeypatch):
    """Replaces `sys.stdout` with a terminal-like stream (inside the test body: pytest's own
    capture resets `sys.stdout` between fixture setup and the test)."""
    stream = TTY()
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


def styled_bar(current, target, width=20):
    digits = len(str(target))
    done = int(width * current / target)
    bar = f"{B}{current:>{digits}}/{target}{R} "
    if done:
        bar += f"{G}{CH * done}{R}"
    return bar + f"{W}{CH * (width - done)}{R}"


def plain_bar(current, target, width=20):
    digits = len(str(target))
    return f"{current:>{digits}}/{target} " + CH * width


# ----------------------------------------------------------------------------------------------
# Terminal
# ----------------------------------------------------------------------------------------------

def test_terminal_exact_output(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(50)
    clock.now += 0.1
    bar.update(1, [("loss", 0.5), ("accuracy", 0.5)])
    line1 = f"\r{styled_bar(1, 50)} {B}4s{R} 100ms/step - loss: 0.5000 - accuracy: 0.5000"
    assert tty.getvalue() == line1
    width1 = len(" 1/50 ") + 20 + len(" 4s 100ms/step - loss: 0.5000 - accuracy: 0.5000")

    clock.now += 11 * 0.03
    bar.update(12, [("loss", 0.4), ("accuracy", 0.8)])
    # 12 steps: loss averaged over steps (1 x 0.5, 11 x 0.4); the first step is left out of the
    # time per step; ETA = 38 steps x 30 ms.
    loss = np.average([0.5, 0.4], weights=[1, 11])
    accuracy = np.average([0.5, 0.8], weights=[1, 11])
    line2 = (f"{styled_bar(12, 50)} {B}1s{R} 30ms/step - loss: {loss:.4f} - "
             f"accuracy: {accuracy:.4f}")
    assert line2 == f"{styled_bar(12, 50)} {B}1s{R} 30ms/step - loss: 0.4083 - accuracy: 0.7750"
    # The new line is one character narrower ("1s 30ms" vs "4s 100ms"): padded with a space.
    assert tty.getvalue() == line1 + "\b" * width1 + "\r" + line2 + " "
    width2 = len("12/50 ") + 20 + len(" 1s 30ms/step - loss: 0.4083 - accuracy: 0.7750")

    tty.seek(0)
    tty.truncate()
    clock.now += 38 * 0.03
    bar.update(50, [("loss", 0.25), ("accuracy", 0.75)])
    # The last update shows its values and the total time.
    line3 = f"{styled_bar(50, 50)} {B}2s{R} 30ms/step - loss: 0.2500 - accuracy: 0.7500\n"
    assert tty.getvalue() == "\b" * width2 + "\r" + line3
    assert f"{G}{CH * 4}{R}{W}{CH * 16}{R}" in line2  # 12/50 of 20 characters done


def test_terminal_interval_throttles_but_final_update_always_prints(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(10, interval=1.0)
    clock.now += 2.0
    bar.update(1)
    first = tty.getvalue()
    clock.now += 0.5
    bar.update(2)  # under 1 s since the last draw: skipped
    assert tty.getvalue() == first
    clock.now += 0.1
    bar.update(10)  # final: drawn
    assert tty.getvalue().endswith(f"{styled_bar(10, 10)} {B}3s{R} 67ms/step\n")


def test_terminal_shorter_line_is_padded(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(10, stateful_metrics=["note"])
    clock.now += 1.0
    bar.update(1, [("note", "a long piece of text")])
    long_width = len(" 1/10 ") + 20 + len(" 9s 1s/step - note: a long piece of text")
    tty.seek(0)
    tty.truncate()
    clock.now += 1.0
    bar.update(2, [("note", "x")])
    short = f"{styled_bar(2, 10)} {B}8s{R} 1s/step - note: x"
    short_width = len(" 2/10 ") + 20 + len(" 8s 1s/step - note: x")
    assert tty.getvalue() == "\b" * long_width + "\r" + short + " " * (long_width - short_width)


def test_unknown_target_on_terminal(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(None)
    clock.now += 2.0
    bar.update(3, [("loss", 1.0)])
    assert tty.getvalue() == f"\r      3/Unknown {B}2s{R} 667ms/step - loss: 1.0000"
    bar.update(3, [("loss", 0.5)], finalize=True)
    assert tty.getvalue().endswith(f"\r      3/Unknown {B}2s{R} 667ms/step - loss: 0.5000\n")


# ----------------------------------------------------------------------------------------------
# Not a terminal
# ----------------------------------------------------------------------------------------------

def test_non_terminal_prints_only_the_final_line(capsys, clock):
    bar = Progbar(50)
    for step in range(1, 50):
        clock.now += 0.023
        bar.update(step, [("loss", 0.5), ("accuracy", 0.8)])
    assert capsys.readouterr().out == ""
    clock.now += 0.023
    bar.update(50, [("loss", 0.4321), ("accuracy", 0.8)])
    out = capsys.readouterr().out
    assert out == f"{plain_bar(50, 50)} 1s 23ms/step - loss: 0.4321 - accuracy: 0.8000\n"
    assert "\r" not in out and "\b" not in out and "\x1b" not in out


def test_non_terminal_unknown_target_and_explicit_finalize(capsys, clock):
    bar = Progbar(None, unit_name="sample")
    clock.now += 0.5
    bar.update(100, [("loss", 1.0)])
    assert capsys.readouterr().out == ""
    bar.update(100, [("loss", 0.75)], finalize=True)
    assert capsys.readouterr().out == "    100/Unknown 0s 5ms/sample - loss: 0.7500\n"
    bar = Progbar(10)
    bar.update(10, finalize=False)  # at the target but not final: nothing
    bar.update(4, finalize=True)
    assert capsys.readouterr().out == f"{' 4/10 ' + CH * 8 + CH * 12} 0s 0s/step\n"


def test_notebook_and_pycharm_count_as_dynamic(monkeypatch, capsys, clock):
    assert Progbar(5)._dynamic_display is False
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert Progbar(5)._dynamic_display is True
    monkeypatch.delitem(sys.modules, "ipykernel")
    monkeypatch.setenv("PYCHARM_HOSTED", "1")
    assert Progbar(5)._dynamic_display is True


def test_stream_that_cannot_encode_the_bar(monkeypatch, clock):
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stream)
    Progbar(2).update(2, [("loss", 0.5)])
    stream.flush()
    assert raw.getvalue() == b"2/2 " + b"=" * 20 + b" 0s 0s/step - loss: 0.5000\n"


# ----------------------------------------------------------------------------------------------
# verbose=2 and verbose=0
# ----------------------------------------------------------------------------------------------

def test_verbose_2_prints_one_line_at_the_end(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(100, verbose=2)
    for step in range(1, 101):
        clock.now += 0.0005
        bar.update(step, [("loss", 0.25), ("mae", -0.5)])
    assert tty.getvalue() == "100/100 - 0s - 500us/step - loss: 0.2500 - mae: -0.5000\n"
    bar = Progbar(None, verbose=2)
    bar.update(5, finalize=True)  # unknown target: verbose=2 prints nothing
    assert tty.getvalue().count("\n") == 1


def test_verbose_0_is_silent(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(3, verbose=0)
    for step in range(1, 4):
        bar.update(step, [("loss", 1.0)])
    assert tty.getvalue() == ""


# ----------------------------------------------------------------------------------------------
# Values
# ----------------------------------------------------------------------------------------------

def test_stateless_values_are_averaged_over_steps(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    rng = np.random.default_rng(0)
    bar = Progbar(1000, stateful_metrics=["lr"])
    currents = np.cumsum(rng.integers(1, 7, size=20))
    losses = rng.uniform(0, 2, size=20)
    for current, loss in zip(currents, losses):
        clock.now += 0.1  # past the redraw interval: every update is drawn
        bar.update(int(current), [("loss", float(loss)), ("lr", float(loss) * 10)])
    weights = np.diff(np.concatenate([[0], currents]))
    total, count = bar._values["loss"]
    np.testing.assert_allclose(total / count, np.average(losses, weights=weights), rtol=1e-12)
    assert count == currents[-1]
    assert bar._values["lr"] == [losses[-1] * 10, 1]
    line = tty.getvalue().split("\r")[-1]
    assert f"- loss: {np.average(losses, weights=weights):.4f} - lr: {losses[-1] * 10:.4f}" in line


def test_repeated_step_counts_once_and_add(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(10)
    bar.update(2, [("loss", 1.0)])
    bar.update(2, [("loss", 3.0)])  # no new step: weighted as one
    assert bar._values["loss"] == [5.0, 3]
    bar.add(3, [("loss", 2.0)])
    assert bar._seen_so_far == 5
    assert bar._values["loss"] == [11.0, 6]
    bar.add(5, {"loss": 9.0})  # reaches the target: final, its value shown as-is
    assert bar._values["loss"] == [9.0, 1]
    assert tty.getvalue().endswith(" - loss: 9.0000\n")


def test_stateless_metrics_argument(capsys, clock):
    bar = Progbar(4, stateless_metrics=["loss"])
    bar.update(2, [("loss", 1.0), ("accuracy", 0.5)])
    bar.update(3, [("loss", 4.0), ("accuracy", 0.25)])
    assert bar._values["loss"] == [6.0, 3]
    assert bar._values["accuracy"] == [0.25, 1]
    assert bar.stateful_metrics is None and bar.stateless_metrics == {"loss"}


def test_tensor_and_array_values(capsys, clock):
    bar = Progbar(2, stateful_metrics=["vec", "t"])
    bar.update(2, [("vec", np.array([1.0, 2.0, 6.0])), ("t", ops.convert_to_tensor(np.float32(0.5))),
                   ("n", np.int64(3)), ("b", True)])
    assert capsys.readouterr().out == (
        f"{plain_bar(2, 2)} 0s 0s/step - vec: 3.0000 - t: 0.5000 - n: 3.0000 - b: 1.0000\n")


def test_number_formats(capsys, clock):
    bar = Progbar(1, stateful_metrics=["a", "b", "c", "d", "e"])
    bar.update(1, [("a", 1e-5), ("b", -2e-4), ("c", 0.0), ("d", -12.5), ("e", 0.0011)])
    assert capsys.readouterr().out.endswith(
        " - a: 1.0000e-05 - b: -2.0000e-04 - c: 0.0000e+00 - d: -12.5000 - e: 0.0011\n")


@pytest.mark.parametrize(
    "seconds_per_step, expected",
    [(0.0, " 0s/step"), (2.4, " 2s/step"), (0.0456, " 46ms/step"), (0.00025, " 250us/step")],
)
def test_time_per_step_formats(seconds_per_step, expected):
    assert Progbar._format_time(seconds_per_step, "step") == expected


@pytest.mark.parametrize(
    "seconds_per_step, eta",
    [(0.5, "4s"), (65.0 / 9, "1:05"), (3665.0 / 9, "1:01:05"), (7322.0 / 9, "2:02:02")],
)
def test_eta_formats(monkeypatch, clock, seconds_per_step, eta):
    tty = use_tty(monkeypatch)
    bar = Progbar(10)
    clock.now += seconds_per_step
    bar.update(1)
    assert f" {B}{eta}{R} " in tty.getvalue()


def test_eta_excludes_the_first_step(monkeypatch, clock):
    tty = use_tty(monkeypatch)
    bar = Progbar(5)
    clock.now += 10.0  # slow first step (compilation, warm-up)
    bar.update(1)
    clock.now += 2.0
    bar.update(3)  # two steps in 2 s: 1 s/step, 2 steps left
    # "40s 10s/step" was two characters wider than "2s 1s/step": padded with spaces.
    assert tty.getvalue().endswith(f"\r{styled_bar(3, 5)} {B}2s{R} 1s/step  ")


# ----------------------------------------------------------------------------------------------
# Errors and defaults
# ----------------------------------------------------------------------------------------------

def test_defaults():
    bar = Progbar(7)
    assert (bar.target, bar.width, bar.verbose, bar.interval, bar.unit_name) == (7, 20, 1, 0.05, "step")
    assert bar.stateful_metrics == set() and bar.stateless_metrics is None


def test_errors():
    with pytest.raises(ValueError, match="Only one of `stateful_metrics` or `stateless_metrics`"):
        Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])
    with pytest.raises(ValueError, match="invalid value for `target`.*Received: target=-1"):
        Progbar(-1)
    with pytest.raises(ValueError, match="Received: target=ten"):
        Progbar("ten")
    with pytest.raises(ValueError, match="invalid value for `width`.*Received: width=0"):
        Progbar(3, width=0)
    with pytest.raises(ValueError, match="invalid value for `verbose`.*Received: verbose=3"):
        Progbar(3, verbose=3)
