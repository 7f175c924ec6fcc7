"""The 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits", test set).

1,797 grey-scale images of the digits 0-9, 8x8 pixels with integer intensities 0..16, made by
E. Alpaydin and C. Kaynak (1998) from NIST forms. The copy shipped here is the one scikit-learn
distributes (``sklearn/datasets/data/digits.csv.gz``, BSD-3-Clause), converted to
``data/digits.npz``; the original is licensed CC BY 4.0 by the UCI Machine Learning Repository
(https://archive.ics.uci.edu/dataset/80). Nothing is downloaded.
"""

import os

import numpy as np

_PATH = os.path.join(os.path.dirname(__file__), "data", "digits.npz")


def load_data(test_split=0.2, seed=113):
    """Loads the digits dataset, shuffled and split as Keras' dataset loaders do.

    Args:
        test_split: Fraction of the 1,797 samples kept for the test set, in ``[0, 1)``.
            Defaults to `0.2`.
        seed: Seed of the shuffle before the split, so the split is reproducible.
            Defaults to `113`.

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``. ``x`` are uint8 arrays of
        shape ``(num_samples, 8, 8)`` with values 0..16; ``y`` are uint8 labels 0..9.

    Example:

    >>> (x_train, y_train), (x_test, y_test) = lamina.datasets.digits.load_data()
    >>> x_train.shape, x_test.shape
    ((1437, 8, 8), (360, 8, 8))
    """
    if not isinstance(test_split, (int, float)) or not 0 <= test_split < 1:
        raise ValueError("`test_split` must be a number in [0, 1). "
                         f"Received: test_split={test_split!r}")
    with np.load(_PATH) as data:
        x, y = data["x"], data["y"]
    order = np.random.RandomState(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(len(x) * (1 - test_split))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])
