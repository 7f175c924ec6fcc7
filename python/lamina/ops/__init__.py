"""``lamina.ops``: Keras 3's ``keras.ops`` names, each a direct call into the Rust engine.

Every op accepts Tensors, numpy arrays, Python scalars and nested lists wherever a tensor is
expected. Python scalars are "weak": ``ops.add(float16_tensor, 1.5)`` stays float16.
"""

from lamina.ops._core import *  # noqa: F401,F403
from lamina.ops._einsum import *  # noqa: F401,F403
from lamina.ops._elementwise import *  # noqa: F401,F403
from lamina.ops._linalg import *  # noqa: F401,F403
from lamina.ops._nn import *  # noqa: F401,F403
from lamina.ops._reduce import *  # noqa: F401,F403
from lamina.ops._shape import *  # noqa: F401,F403
from lamina.ops import _core, _einsum, _elementwise, _linalg, _nn, _reduce, _shape

__all__ = sorted(
    set(_core.__all__) | set(_einsum.__all__) | set(_elementwise.__all__) | set(_linalg.__all__) | set(_nn.__all__) | set(_reduce.__all__) | set(_shape.__all__)
)

# Ops called on symbolic KerasTensors (a functional model being built) record themselves as graph
# nodes; on tensors they run directly (the KerasTensor check only happens when the engine refuses
# its arguments).
from lamina.ops import operation as _operation  # noqa: E402

_operation.install_symbolic_dispatch(globals(), __all__)
