"""lamina's exception classes. Each also subclasses the built-in a Keras user expects:

- ``ShapeError(ValueError)``: incompatible shapes ("matmul: cannot multiply shapes (2, 3) and (4, 5)").
- ``DTypeError(TypeError)``: an unsupported or wrong dtype.
- ``AxisError(ValueError, IndexError)``: an axis outside ``[-ndim, ndim)``.
- ``LaminaIndexError(IndexError)``: an index out of range.
- ``InternalError(RuntimeError)``: a bug in lamina, caught at the engine boundary.
"""

from lamina._lamina import AxisError
from lamina._lamina import DTypeError
from lamina._lamina import InternalError
from lamina._lamina import LaminaIndexError
from lamina._lamina import ShapeError

__all__ = ["ShapeError", "DTypeError", "AxisError", "LaminaIndexError", "InternalError"]
