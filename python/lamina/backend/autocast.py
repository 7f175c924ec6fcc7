"""``AutocastScope``: inside it, float variables (with ``autocast=True``) read as another dtype."""

from lamina import _lamina
from lamina.backend.config import standardize_dtype


class AutocastScope:
    """Reads float variables as `dtype` on this thread (None: as stored) while active.

    Layers open one around ``call`` when their compute dtype differs from their variable dtype
    (mixed precision); the cast is recorded on gradient tapes, so gradients come back in the
    variable's own dtype.
    """

    def __init__(self, dtype):
        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        self._previous = None

    def __enter__(self):
        self._previous = _lamina._set_autocast(self.dtype)
        return self

    def __exit__(self, *exc):
        _lamina._set_autocast(self._previous)
        return False
