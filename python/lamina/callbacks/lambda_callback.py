"""``lamina.callbacks.LambdaCallback`` (Keras 3's ``keras.callbacks.LambdaCallback``)."""

from lamina.callbacks.callback import Callback

_HOOKS = frozenset(
    ["on_batch_begin", "on_batch_end", "on_epoch_begin", "on_epoch_end"]
    + [f"on_{mode}_{when}" for mode in ("train", "test", "predict") for when in ("begin", "end")]
    + [f"on_{mode}_batch_{when}" for mode in ("train", "test", "predict") for when in ("begin", "end")]
)


class LambdaCallback(Callback):
    """Callback for creating simple, custom callbacks on-the-fly.

    The functions are called with positional arguments, as the hooks they replace:

    - `on_epoch_begin` and `on_epoch_end`: `epoch`, `logs`.
    - `on_train_begin` and `on_train_end`: `logs`.
    - `on_train_batch_begin` and `on_train_batch_end`: `batch` and the keyword argument `logs`.
    - Any other `Callback` hook, passed by name in `kwargs`, with that hook's arguments.

    Args:
        on_epoch_begin: Called at the beginning of every epoch.
        on_epoch_end: Called at the end of every epoch.
        on_train_begin: Called at the beginning of model training.
        on_train_end: Called at the end of model training.
        on_train_batch_begin: Called at the beginning of every train batch.
        on_train_batch_end: Called at the end of every train batch.
        **kwargs: Any other function of `Callback` to override, as `function_name=function`,
            for example `LambdaCallback(on_test_end=test_end_fn)`.

    Example:

    >>> batch_print_callback = lamina.callbacks.LambdaCallback(
    ...     on_train_batch_begin=lambda batch, logs: print(batch))
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None,
                 on_train_end=None, on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = {
            "on_epoch_begin": on_epoch_begin,
            "on_epoch_end": on_epoch_end,
            "on_train_begin": on_train_begin,
            "on_train_end": on_train_end,
            "on_train_batch_begin": on_train_batch_begin,
            "on_train_batch_end": on_train_batch_end,
        }
        given.update(kwargs)
        for name, function in given.items():
            if name in _HOOKS:
                if function is None:
                    continue  # the base class's hook stays
                if not callable(function):
                    raise TypeError(
                        f"The `{name}` argument of LambdaCallback must be callable. "
                        f"Received: {name}={function!r}"
                    )
            setattr(self, name, function)
