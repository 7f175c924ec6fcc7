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
from lamina import activations
from lamina import random
from lamina import tree
from lamina import backend
from lamina import config
from lamina.backend import GradientTape
from lamina.backend import UnconnectedGradients
from lamina.backend import Variable
from lamina.backend import name_scope
from lamina.backend.keras_tensor import KerasTensor
from lamina import saving
from lamina import utils
from lamina import initializers
from lamina import regularizers
from lamina import constraints
from lamina.initializers import Initializer
from lamina.regularizers import Regularizer
from lamina import dtype_policies
from lamina.dtype_policies import DTypePolicy
from lamina import layers
from lamina import metrics
from lamina.metrics import Metric
from lamina import testing
from lamina import losses
from lamina.losses import Loss
from lamina import optimizers
from lamina.optimizers import Optimizer
from lamina import callbacks
from lamina import models
from lamina import datasets
from lamina.layers import Input
from lamina.layers import InputSpec
from lamina.layers import Layer
from lamina.models import Model
from lamina.models import Sequential

__version__ = "0.1.0"

__all__ = [
    "DTypePolicy", "GradientTape", "Initializer", "Input", "InputSpec", "KerasTensor", "Layer", "Loss",
    "Metric", "Model", "Optimizer", "Regularizer", "Sequential", "Tensor",
    "UnconnectedGradients", "Variable", "activations", "backend", "callbacks", "config", "constraints", "datasets",
    "dtype_policies", "errors", "initializers", "layers", "losses", "metrics", "models", "name_scope", "ops",
    "optimizers", "random",
    "regularizers", "saving", "testing", "tree", "utils", "__version__",
]
