"""``lamina.callbacks.ProgbarLogger``: prints progress and metrics to stdout (Keras 3's
``keras.callbacks.ProgbarLogger``)."""

from lamina.callbacks.callback import Callback
from lamina.callbacks.callback import print_msg
from lamina.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Callback that prints metrics to stdout.

    `fit()`, `evaluate()` and `predict()` add one when `verbose` is not 0. With `verbose=1` each
    epoch shows a progress bar (`12/50 ━━━━ 1s 23ms/step - loss: 0.4321`), preceded by an
    `Epoch 1/5` header when there are several epochs; with `verbose=2` each epoch prints one line
    when it ends. Inside `fit`, validation is silent.

    Args:
        count_mode: One of `"steps"` or `"samples"`: whether the progress bar counts steps
            (batches, Keras 3's behaviour) or samples (each batch counts `logs["size"]`, or the
            `batch_size` parameter, samples). Defaults to `"steps"`.

    Raises:
        ValueError: In case of invalid `count_mode`.
    """

    def __init__(self, count_mode="steps"):
        super().__init__()
        if count_mode not in ("steps", "samples"):
            raise ValueError(
                'Unknown `count_mode` for ProgbarLogger, expected "steps" or "samples". '
                f"Received: count_mode={count_mode}"
            )
        self.count_mode = count_mode
        self.seen = 0
        self.progbar = None
        self.target = None
        self.verbose = 1
        self.epochs = 1
        self._called_in_fit = False

    def set_params(self, params):
        super().set_params(params)
        params = params or {}
        verbose = params.get("verbose", 1)
        if verbose == "auto":
            verbose = 1
        self.verbose = verbose
        self.epochs = params.get("epochs", 1)
        if self.count_mode == "steps":
            self.target = params.get("steps")
        else:
            self.target = params.get("samples")

    def on_train_begin(self, logs=None):
        # Inside `fit`, validation is silent.
        self._called_in_fit = True

    def on_test_begin(self, logs=None):
        if not self._called_in_fit:
            self._reset_progbar()
            self._maybe_init_progbar()

    def on_predict_begin(self, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()

    def on_epoch_begin(self, epoch, logs=None):
        self._reset_progbar()
        self._maybe_init_progbar()
        if self.verbose and self.epochs > 1:
            print_msg(f"Epoch {epoch + 1}/{self.epochs}")

    def on_train_batch_end(self, batch, logs=None):
        self._update_progbar(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        if not self._called_in_fit:
            self._update_progbar(batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        # Prediction results are not metrics: they are not shown.
        self._update_progbar(batch, None, size_logs=logs)

    def on_epoch_end(self, epoch, logs=None):
        self._finalize_progbar(logs)

    def on_test_end(self, logs=None):
        if not self._called_in_fit:
            self._finalize_progbar(logs)

    def on_predict_end(self, logs=None):
        self._finalize_progbar(logs)

    def _reset_progbar(self):
        self.seen = 0
        self.progbar = None

    def _maybe_init_progbar(self):
        if self.progbar is None:
            self.progbar = Progbar(
                target=self.target,
                verbose=self.verbose,
                unit_name="step" if self.count_mode == "steps" else "sample",
                stateless_metrics=set(),  # logs hold running results: shown as-is
            )

    def _update_progbar(self, batch, logs=None, size_logs=None):
        logs = logs or {}
        self._maybe_init_progbar()
        if self.count_mode == "steps":
            self.seen = batch + 1  # one-indexed
        else:
            size_logs = logs if size_logs is None else (size_logs or {})
            size = size_logs.get("size") if isinstance(size_logs, dict) else None
            if size is None:
                size = (self.params or {}).get("batch_size") or 1
            self.seen += int(size)
        if self.verbose == 1:
            shown = [(k, v) for k, v in logs.items() if not (self.count_mode == "samples" and k == "size")]
            self.progbar.update(self.seen, shown, finalize=False)

    def _finalize_progbar(self, logs):
        logs = logs or {}
        self._maybe_init_progbar()
        if self.target is None:
            self.target = self.seen
            self.progbar.target = self.target
        self.progbar.update(self.target, list(logs.items()), finalize=True)
