"""``lamina.KerasTensor``: a symbolic tensor — a shape (None for unknown sizes) and a dtype."""

from lamina.backend.config import standardize_dtype
from lamina.backend.naming import auto_name


class KerasTensor:
    """The shape and dtype of a tensor that is not computed (Keras 3's ``keras.KerasTensor``).

    Args:
        shape: A tuple of ints, with None for sizes not known yet.
        dtype: The dtype name (default "float32").
        sparse: Must be False (lamina has no sparse tensors).
        ragged: Must be False.
        name: A name (unique default "keras_tensor", "keras_tensor_1", ...).
    """

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None):
        if sparse or ragged:
            raise ValueError("lamina has no sparse or ragged tensors. Received: "
                             f"sparse={sparse}, ragged={ragged}")
        try:
            self._shape = tuple(None if d is None else int(d) for d in shape)
        except TypeError:
            raise ValueError(f"Cannot convert '{shape!r}' to a shape.") from None
        self._dtype = standardize_dtype(dtype)
        self.sparse = False
        self.ragged = False
        self.record_history = record_history
        self.name = name or auto_name(self.__class__.__name__)

    @property
    def shape(self):
        """The shape (None for unknown sizes)."""
        return self._shape

    @property
    def dtype(self):
        """The dtype name."""
        return self._dtype

    @property
    def ndim(self):
        """The rank."""
        return len(self._shape)

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"name={self.name}>")
