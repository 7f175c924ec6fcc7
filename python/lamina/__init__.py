"""lamina: Keras 3's Layer API on a Rust engine.

Every number is computed by lamina's Rust extension (``lamina._lamina``); this package is the thin
Keras-3-shaped API on top of it.

Example:

>>> import lamina
>>> from lamina import ops
>>> x = ops.ones((2, 2))
>>> ops.matmul(x, x)
tensor([[2., 2.],
        [2., 2.]], shape=(2, 2), dtype=float32)
"""

from lamina._lamina import Tensor
from lamina import errors
from lamina import ops
from lamina import random

__version__ = "0.1.0"

__all__ = ["Tensor", "errors", "ops", "random", "__version__"]
