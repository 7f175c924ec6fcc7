"""``lamina.utils.set_random_seed`` (Keras 3's ``keras.utils.set_random_seed``)."""

import random as _py_random

import numpy as np

from lamina import random as lamina_random


def set_random_seed(seed):
    """Sets every random seed a program uses: Python's `random`, NumPy's global generator and
    lamina's global `SeedGenerator` (which unseeded initializers, dropout and `lamina.random`
    draws use), so a script run twice gives the same numbers.

    Args:
        seed: A non-negative integer.

    Example:

    >>> lamina.utils.set_random_seed(1337)
    >>> a = lamina.random.normal((2,))
    >>> lamina.utils.set_random_seed(1337)
    >>> bool(lamina.ops.all(a == lamina.random.normal((2,))))
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(
            f"Expected `seed` argument to be a non-negative integer. Received: seed={seed!r}"
        )
    _py_random.seed(seed)
    np.random.seed(seed % (1 << 32))
    lamina_random._global_generator = lamina_random.SeedGenerator(seed)
