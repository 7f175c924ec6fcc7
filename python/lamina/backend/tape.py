"""``lamina.GradientTape``: reverse-mode differentiation, with TensorFlow's ``tf.GradientTape`` contract.

The recording and the backward pass run in the Rust engine; this class handles the Python
structures (nested lists/tuples/dicts of sources, targets and output gradients).
"""

import contextlib
import enum

from lamina import tree
from lamina._lamina import _Tape
from lamina.backend.variables import _variable_by_id


class UnconnectedGradients(enum.Enum):
    """What `GradientTape.gradient` returns for sources the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations for automatic differentiation.

    Ops run inside the ``with`` block on tensors the tape watches are recorded; trainable
    variables read inside it are watched automatically. ``tape.gradient(target, sources)`` then
    differentiates. Tapes nest: computing a gradient inside an outer tape records the gradient's
    own computation, which gives higher derivatives.

    Args:
        persistent: Allow several ``gradient()`` calls (a non-persistent tape frees its record
            after the first one).
        watch_accessed_variables: Watch trainable variables read while recording.

    Example:

    >>> x = lamina.ops.convert_to_tensor(3.0)
    >>> with lamina.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> tape.gradient(y, x)
    tensor(6., shape=(), dtype=float32)
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self._tape = _Tape(bool(persistent), bool(watch_accessed_variables))
        self._persistent = bool(persistent)
        self._watch_accessed_variables = bool(watch_accessed_variables)
        self._active = False

    @property
    def persistent(self):
        """Whether `gradient` may be called several times."""
        return self._persistent

    def __enter__(self):
        self._tape._push()
        self._active = True
        return self

    def __exit__(self, exc_type, exc, tb):
        self._active = False
        self._tape._pop()
        return False

    def watch(self, tensor):
        """Tracks a Tensor or Variable (or a nested structure of them)."""
        for t in tree.flatten(tensor):
            self._tape._watch(t)

    @contextlib.contextmanager
    def stop_recording(self):
        """A context in which ops are not recorded (the tape must be active)."""
        if not self._active:
            raise RuntimeError(
                "GradientTape.stop_recording: the tape is not recording. Use it inside the "
                "tape's `with` block."
            )
        self._tape._set_recording(False)
        try:
            yield
        finally:
            self._tape._set_recording(True)

    def reset(self):
        """Clears everything recorded and watched so far."""
        self._tape._reset()

    def watched_variables(self):
        """The variables watched so far, in the order they were first watched."""
        out = []
        for i in self._tape._watched_variable_ids():
            v = _variable_by_id(i)
            if v is not None:
                out.append(v)
        return tuple(out)

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients=UnconnectedGradients.NONE):
        """Gradients of `target` with respect to `sources`.

        Args:
            target: A tensor or a nested structure of tensors; a non-scalar target is summed
                (each element weighted by `output_gradients` when given).
            sources: A Tensor or Variable, or a nested list/tuple/dict of them.
            output_gradients: The gradient of something with respect to each target (same
                structure and shapes as `target`), or None for ones.
            unconnected_gradients: "none" (give None) or "zero" (give zeros) for sources the
                target does not depend on.

        Returns:
            The gradients, in the structure of `sources`.
        """
        if isinstance(unconnected_gradients, UnconnectedGradients):
            mode = unconnected_gradients.value
        else:
            mode = unconnected_gradients
        if mode not in ("none", "zero"):
            raise ValueError(
                "Unknown value for unconnected_gradients: expected 'none' or 'zero'. "
                f"Received: unconnected_gradients={unconnected_gradients!r}"
            )
        flat_targets = tree.flatten(target)
        flat_sources = tree.flatten(sources)
        flat_og = None
        if output_gradients is not None:
            flat_og = tree.flatten(output_gradients)
            if len(flat_og) != len(flat_targets):
                raise ValueError(
                    "GradientTape.gradient: `output_gradients` must have the structure of `target`: "
                    f"{len(flat_targets)} target(s), received {len(flat_og)} output gradient(s)."
                )
        grads = self._tape._gradient(flat_targets, flat_sources, flat_og)
        if mode == "zero":
            from lamina import ops

            grads = [ops.zeros_like(s) if g is None else g for g, s in zip(grads, flat_sources)]
        return tree.pack_sequence_as(sources, grads)
