"""``lamina.callbacks.Callback``: the base class of training callbacks (Keras 3's
``keras.callbacks.Callback``)."""

import sys


def print_msg(message, line_break=True):
    """Writes `message` to the current `sys.stdout` (with a line break unless `line_break=False`)
    and flushes it."""
    message = str(message)
    sys.stdout.write(f"{message}\n" if line_break else message)
    sys.stdout.flush()


def _default(method):
    """Marks a base-class hook, so a caller can tell whether a subclass overrides it."""
    method._is_default = True
    return method


def is_default(method):
    """Whether `method` is `Callback`'s own (not overridden) implementation of a hook."""
    return getattr(method, "_is_default", False)


class Callback:
    """Base class used to build new callbacks.

    Callbacks can be passed to `fit()`, `evaluate()` and `predict()` to hook into the stages of
    training, evaluation and inference. Subclass `Callback` and override the hooks you need; the
    base class's hooks do nothing (except `on_train_batch_begin`/`on_train_batch_end`, which call
    the backwards-compatible `on_batch_begin`/`on_batch_end`).

    In a custom training loop, wrap the callbacks in a `lamina.callbacks.CallbackList` and call
    its hooks at the matching places:

    ```python
    callbacks = lamina.callbacks.CallbackList([...], model=model)
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step, batch in enumerate(dataset):
            callbacks.on_train_batch_begin(step)
            logs = model.train_step(batch)
            callbacks.on_train_batch_end(step, logs)
        callbacks.on_epoch_end(epoch, epoch_logs)
    callbacks.on_train_end(final_logs)
    ```

    Attributes:
        params: Dict of training parameters (`verbose`, `epochs`, `steps`).
        model: The `Model` being trained, evaluated or used for inference.

    The `logs` dict passed to each hook holds the quantities of the current batch or epoch
    (see each hook's docstring).

    Example:

    >>> class Finished(lamina.callbacks.Callback):
    ...     def on_train_end(self, logs=None):
    ...         print("training finished, final loss:", logs["loss"])
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        """Sets the training parameters (a dict: `verbose`, `epochs`, `steps`)."""
        self.params = params

    def set_model(self, model):
        """Sets the model the callback is used with."""
        self._model = model

    @property
    def model(self):
        """The model the callback is used with (set by `set_model`)."""
        return self._model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_begin`."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_end`."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of an epoch (only during training).

        Args:
            epoch: Integer, index of the epoch.
            logs: Dict. Currently empty.
        """

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch (only during training).

        Args:
            epoch: Integer, index of the epoch.
            logs: Dict, metric results for this training epoch, and for the validation epoch if
                validation is performed (keys prefixed with `val_`), e.g.
                `{'loss': 0.2, 'accuracy': 0.7}`.
        """

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called at the beginning of a training batch in `fit`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict. Currently empty.
        """
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called at the end of a training batch in `fit`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict, metric results aggregated up to this batch.
        """
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `evaluate`, and of a validation batch in `fit`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict. Currently empty.
        """

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `evaluate`, and of a validation batch in `fit`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict, metric results aggregated up to this batch.
        """

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called at the beginning of a batch in `predict`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict. Currently empty.
        """

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called at the end of a batch in `predict`.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict, aggregated metric results up to this batch.
        """

    @_default
    def on_train_begin(self, logs=None):
        """Called at the beginning of training.

        Args:
            logs: Dict. Currently empty.
        """

    @_default
    def on_train_end(self, logs=None):
        """Called at the end of training.

        Args:
            logs: Dict. The last `on_epoch_end` logs.
        """

    @_default
    def on_test_begin(self, logs=None):
        """Called at the beginning of evaluation or validation.

        Args:
            logs: Dict. Currently empty.
        """

    @_default
    def on_test_end(self, logs=None):
        """Called at the end of evaluation or validation.

        Args:
            logs: Dict. The last `on_test_batch_end` logs.
        """

    @_default
    def on_predict_begin(self, logs=None):
        """Called at the beginning of prediction.

        Args:
            logs: Dict. Currently empty.
        """

    @_default
    def on_predict_end(self, logs=None):
        """Called at the end of prediction.

        Args:
            logs: Dict. Currently empty.
        """
