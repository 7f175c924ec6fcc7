"""``lamina.callbacks.CSVLogger`` (Keras 3's ``keras.callbacks.CSVLogger``)."""

import collections.abc
import csv
import os

import numpy as np

from lamina.callbacks.callback import Callback


def _csv_value(value):
    """A log value as written in a CSV cell: strings as-is, iterables (arrays, lists) as
    `"[a, b, c]"`, anything else as the csv module writes it."""
    if isinstance(value, str):
        return value
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value
    if isinstance(value, collections.abc.Iterable):
        return f'"[{", ".join(map(str, value))}]"'
    return value


class CSVLogger(Callback):
    """Callback that streams epoch results to a CSV file.

    The first row is the header: `epoch` then the sorted log keys (with the `val_` keys added
    when the first epoch had no validation, so later validation values have a column). Missing
    values are written `NA`. Supports every value that can be represented as a string, including
    1D iterables such as `np.ndarray`.

    Args:
        filename: Filename of the CSV file, e.g. `"run/log.csv"` (a string or a path-like).
        separator: String used to separate elements in the CSV file. Defaults to `","`.
        append: Boolean. `True`: append if the file exists (useful for continuing training; the
            header is only written to an empty file). `False`: overwrite the existing file.
            Defaults to `False`.

    Example:

    >>> csv_logger = lamina.callbacks.CSVLogger("training.log")
    >>> model.fit(x_train, y_train, callbacks=[csv_logger])
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        try:
            self.filename = os.fspath(filename)
        except TypeError:
            raise TypeError(
                "The `filename` argument of CSVLogger must be a string or a path-like object. "
                f"Received: filename={filename!r} of type {type(filename).__name__}"
            ) from None
        if not isinstance(separator, str) or len(separator) != 1:
            raise TypeError(
                "The `separator` argument of CSVLogger must be a 1-character string. "
                f"Received: separator={separator!r}"
            )
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, "r", newline="") as f:
                    self.append_header = not bool(len(f.readline()))
            else:
                self.append_header = True
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys.extend([f"val_{key}" for key in self.keys])

        if self.writer is None:
            if self.csv_file is None or self.csv_file.closed:
                raise ValueError(
                    "CSVLogger.on_epoch_end was called before on_train_begin opened the file "
                    f"{self.filename!r}."
                )

            class _Dialect(csv.excel):
                delimiter = self.sep

            self.writer = csv.DictWriter(
                self.csv_file, fieldnames=["epoch"] + (self.keys or []), dialect=_Dialect
            )
            if self.append_header:
                self.writer.writeheader()

        row = {"epoch": epoch}
        row.update((key, _csv_value(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
