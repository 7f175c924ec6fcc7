"""``lamina.callbacks.TerminateOnNaN`` (Keras 3's ``keras.callbacks.TerminateOnNaN``)."""

import math

from lamina.callbacks.callback import Callback
from lamina.callbacks.callback import print_msg


class TerminateOnNaN(Callback):
    """Callback that terminates training when a NaN or Inf loss is encountered.

    By default training stops gracefully: the callback sets `model.stop_training = True` at the
    end of the batch, so every callback's `on_train_end()` still runs. With `raise_error=True` it
    raises a `RuntimeError` at once instead, so no cleanup hook runs (useful to keep a backup
    state).

    Args:
        raise_error: Boolean. If `False`, stop gracefully via `model.stop_training = True`; if
            `True`, raise a `RuntimeError` on a NaN/Inf loss. Defaults to `False`.

    Example:

    >>> callback = lamina.callbacks.TerminateOnNaN()
    >>> model.fit(x, y, callbacks=[callback])
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        """Checks the batch's loss; stops (or raises) if it is NaN or infinite.

        Args:
            batch: Integer, index of the batch within the current epoch.
            logs: Dict, the batch's logs (the `"loss"` key is checked).

        Raises:
            RuntimeError: If the loss is NaN/Inf and `raise_error=True`.
        """
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        try:
            value = float(loss)
        except (TypeError, ValueError):
            return
        if math.isnan(value) or math.isinf(value):
            if self.raise_error:
                raise RuntimeError(
                    f"NaN or Inf loss encountered at batch {batch}. Loss value: {loss}. "
                    "Terminating training immediately."
                )
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
