"""``lamina.callbacks.CallbackList``: calls a list of callbacks together (Keras 3's
``keras.callbacks.CallbackList``)."""

import numbers

import numpy as np

from lamina import tree
from lamina.callbacks.callback import Callback
from lamina.callbacks.history import History
from lamina.callbacks.progbar_logger import ProgbarLogger


def _to_python(value):
    """A log value as a Python float when it is a number or a 0-d tensor/array; other tensors
    become numpy arrays; any other value is unchanged."""
    if isinstance(value, numbers.Real):
        return float(value)
    from lamina._lamina import Tensor
    from lamina.backend.variables import Variable

    if isinstance(value, (Tensor, Variable)):
        from lamina import ops

        value = ops.convert_to_numpy(value)
    if isinstance(value, (np.ndarray, np.generic)) and value.ndim == 0 and value.dtype.kind in "biuf":
        return float(value.reshape(()))
    return value


def pythonify_logs(logs):
    """Flattens `logs` (nested dicts are merged in) with sorted keys, and converts each value to a
    Python float where possible, as Keras 3 does before calling the callbacks.

    Args:
        logs: A dict of log values, or None.

    Returns:
        A new flat dict.
    """
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _to_python(value)
    return result


class CallbackList(Callback):
    """Container abstracting a list of callbacks: each hook calls the hook of every callback, in
    order, with the logs converted to Python floats.

    Args:
        callbacks: List of `Callback` instances (nested lists are flattened).
        add_history: Whether a `History` callback should be added, if one does not already exist
            in the `callbacks` list. Defaults to `False`.
        add_progbar: Whether a `ProgbarLogger` callback should be added, if one does not already
            exist in the `callbacks` list. Defaults to `False`.
        model: The `Model` these callbacks are used with.
        **params: If provided, parameters passed to each callback via `Callback.set_params`
            (`fit` passes `verbose`, `epochs` and `steps`).

    Example:

    >>> callbacks = lamina.callbacks.CallbackList(
    ...     [lamina.callbacks.TerminateOnNaN()], add_history=True, model=model,
    ...     verbose=0, epochs=2, steps=10)
    >>> callbacks.on_train_begin()
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = list(tree.flatten(callbacks)) if callbacks else []
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "All elements of `callbacks` must be `lamina.callbacks.Callback` instances. "
                    f"Received: {callback!r} of type {type(callback).__name__}"
                )
        self._in_begin_end_block_count = 0
        self._add_default_callbacks(add_history, add_progbar)
        self.set_model(model)
        self.set_params(params)

    def _add_default_callbacks(self, add_history, add_progbar):
        """Adds the `History` and `ProgbarLogger` callbacks that were asked for and are absent."""
        self._progbar = None
        self._history = None
        for callback in self.callbacks:
            if isinstance(callback, ProgbarLogger):
                self._progbar = callback
            elif isinstance(callback, History):
                self._history = callback
        if self._history is None and add_history:
            self._history = History()
            self.callbacks.append(self._history)
        if self._progbar is None and add_progbar:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)

    def append(self, callback):
        """Adds `callback` at the end of the list (given this list's model and params)."""
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)

    def set_params(self, params):
        self.params = params
        if params:
            for callback in self.callbacks:
                callback.set_params(params)

    def set_model(self, model):
        if model is None:
            return
        super().set_model(model)
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def _on_begin(self):
        self._in_begin_end_block_count += 1

    def _on_end(self):
        self._in_begin_end_block_count -= 1
        if self._in_begin_end_block_count < 0:
            self._in_begin_end_block_count = 0
            raise ValueError("`on_xxx_end` called without corresponding `on_xxx_begin`")

    def _call_batch_hook(self, hook, batch, logs):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(batch, logs=logs)

    def _call_hook(self, hook, logs, *args):
        logs = pythonify_logs(logs)
        for callback in self.callbacks:
            getattr(callback, hook)(*args, logs)

    def on_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_batch_begin", batch, logs)

    def on_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_batch_end", batch, logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call_hook("on_epoch_begin", logs, epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._call_hook("on_epoch_end", logs, epoch)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_train_batch_end", batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_test_batch_end", batch, logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch_hook("on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch_hook("on_predict_batch_end", batch, logs)

    def on_train_begin(self, logs=None):
        self._on_begin()
        self._call_hook("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call_hook("on_train_end", logs)
        self._on_end()

    def on_test_begin(self, logs=None):
        self._on_begin()
        self._call_hook("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call_hook("on_test_end", logs)
        self._on_end()

    def on_predict_begin(self, logs=None):
        self._on_begin()
        self._call_hook("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call_hook("on_predict_end", logs)
        self._on_end()
