"""``lamina.callbacks.History``: records each epoch's logs (Keras 3's ``keras.callbacks.History``)."""

from lamina.callbacks.callback import Callback


class History(Callback):
    """Callback that records events into a `History` object.

    `fit()` adds one to its callbacks and returns it. `history` maps each log name to the list of
    its values, one per epoch; `epoch` lists the epoch indices seen; `params` holds the training
    parameters. After each epoch the callback sets itself as `model.history`.

    Example:

    >>> history = model.fit(x, y, epochs=3, verbose=0)
    >>> history.params
    {'verbose': 0, 'epochs': 3, 'steps': 1}
    >>> history.history.keys()
    dict_keys(['loss'])
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        # Set after each epoch, so the model always holds the latest state.
        if self.model is not None:
            self.model.history = self
