"""``lamina.backend``: the engine-facing core of the Keras API — variables, gradient tapes, name
scopes and global configuration."""

from lamina.backend.config import backend
from lamina.backend.config import epsilon
from lamina.backend.config import floatx
from lamina.backend.config import image_data_format
from lamina.backend.config import set_epsilon
from lamina.backend.config import set_floatx
from lamina.backend.config import set_image_data_format
from lamina.backend.config import standardize_dtype
from lamina.backend.legacy import dot
from lamina.backend.legacy import get_value
from lamina.backend.legacy import int_shape
from lamina.backend.legacy import set_value
from lamina.backend.legacy import variable
from lamina.backend.naming import name_scope
from lamina.backend.tape import GradientTape
from lamina.backend.tape import UnconnectedGradients
from lamina.backend.variables import Variable

__all__ = [
    "GradientTape", "UnconnectedGradients", "Variable", "backend", "dot", "epsilon", "floatx",
    "get_value", "image_data_format", "int_shape", "name_scope", "set_epsilon", "set_floatx",
    "set_image_data_format", "set_value", "standardize_dtype", "variable",
]
