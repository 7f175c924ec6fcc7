"""``lamina.KerasTensor``: a symbolic tensor — a shape (None for unknown sizes) and a dtype.

Calling a layer, a model or a ``lamina.ops`` function on KerasTensors records a node of a
functional graph (``lamina.ops.node.Node``) and returns new KerasTensors whose shape and dtype
are inferred. Python operators (``x + y``, ``x * 2``, ``x[:, 0]``, ``-x``, ``x @ w``, ...) are
recorded the same way, as op nodes that a functional model runs eagerly later.
"""

from lamina.backend.config import standardize_dtype
from lamina.backend.naming import auto_name

_SYMBOLIC_MESSAGE = (
    "A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't have "
    "any actual numerical value. You cannot convert it to {what}."
)


def _symbolic(fn_name, *args, **kwargs):
    from lamina.ops.operation import symbolic_op

    return symbolic_op(fn_name, *args, **kwargs)


class KerasTensor:
    """The shape and dtype of a tensor that is not computed (Keras 3's ``keras.KerasTensor``).

    KerasTensors are what ``lamina.Input`` returns and what layers return when called on
    KerasTensors; they are the edges of a functional model's graph.

    Args:
        shape: A tuple of ints, with None for sizes not known yet.
        dtype: The dtype name (default "float32").
        sparse: Must be False (lamina has no sparse tensors).
        ragged: Must be False.
        record_history: Whether nodes are recorded when the tensor is used (Keras' flag).
        name: A name (unique default "keras_tensor", "keras_tensor_1", ...).

    Example:

    >>> x = lamina.KerasTensor((None, 3))
    >>> y = lamina.layers.Dense(4)(x)
    >>> (y + 1.0).shape
    (None, 4)
    """

    # numpy defers to the reflected operators below (``np.ones(3) + x`` records an ``add``).
    __array_ufunc__ = None

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None):
        if sparse or ragged:
            raise ValueError("lamina has no sparse or ragged tensors. Received: "
                             f"sparse={sparse}, ragged={ragged}")
        if shape is None or isinstance(shape, (str, bytes)):
            raise ValueError(f"Cannot convert '{shape!r}' to a shape.")
        try:
            self._shape = tuple(None if d is None else int(d) for d in shape)
        except (TypeError, ValueError):
            raise ValueError(f"Cannot convert '{shape!r}' to a shape.") from None
        for d in self._shape:
            if d is not None and d < 0:
                raise ValueError(f"Negative dimensions are not allowed. Received: shape={shape}")
        self._dtype = standardize_dtype(dtype)
        self.record_history = record_history
        self.name = name or auto_name(self.__class__.__name__)

    @property
    def shape(self):
        """The shape (None for unknown sizes)."""
        return self._shape

    @shape.setter
    def shape(self, value):
        raise AttributeError(
            "The `shape` attribute of KerasTensor is immutable. One should create a new "
            "instance of KerasTensor for this."
        )

    @property
    def dtype(self):
        """The dtype name."""
        return self._dtype

    @dtype.setter
    def dtype(self, value):
        raise AttributeError(
            "The `dtype` attribute of KerasTensor is immutable. One should create a new "
            "instance of KerasTensor for this."
        )

    @property
    def sparse(self):
        """Always False (lamina has no sparse tensors)."""
        return False

    @property
    def ragged(self):
        """Always False (lamina has no ragged tensors)."""
        return False

    @property
    def ndim(self):
        """The rank."""
        return len(self._shape)

    def reshape(self, newshape):
        """Symbolic ``ops.reshape(self, newshape)``."""
        return _symbolic("reshape", self, newshape)

    def squeeze(self, axis=None):
        """Symbolic ``ops.squeeze(self, axis)``."""
        return _symbolic("squeeze", self, axis)

    # -- conversions a symbolic tensor cannot make ---------------------------------------------

    def __int__(self):
        raise ValueError(_SYMBOLIC_MESSAGE.format(what="an int"))

    def __float__(self):
        raise ValueError(_SYMBOLIC_MESSAGE.format(what="a float"))

    def __array__(self, dtype=None, copy=None):
        # lamina.ops functions that are not recorded symbolically reach this through their
        # argument conversion, and report it as a TypeError naming the op.
        raise ValueError(
            _SYMBOLIC_MESSAGE.format(what="a NumPy array or a lamina Tensor")
            + " Use it as input to a lamina layer or a lamina.ops function recorded "
            "symbolically, or wrap the computation in a layer (e.g. `lamina.layers.Lambda`)."
        )

    def __iter__(self):
        raise TypeError("Iterating over a symbolic KerasTensor is not supported.")

    def __bool__(self):
        raise TypeError("A symbolic KerasTensor cannot be used as a boolean.")

    def __len__(self):
        raise TypeError("A symbolic KerasTensor has no len(); use `.shape`.")

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged={self.ragged}, name={self.name}>")

    # Identity semantics for == and hashing (as in Keras); `!=` is the symbolic not_equal.
    __hash__ = object.__hash__

    # -- operators: recorded as op nodes -------------------------------------------------------

    def __add__(self, other):
        return _symbolic("add", self, other)

    def __radd__(self, other):
        return _symbolic("add", other, self)

    def __sub__(self, other):
        return _symbolic("subtract", self, other)

    def __rsub__(self, other):
        return _symbolic("subtract", other, self)

    def __mul__(self, other):
        return _symbolic("multiply", self, other)

    def __rmul__(self, other):
        return _symbolic("multiply", other, self)

    def __matmul__(self, other):
        return _symbolic("matmul", self, other)

    def __rmatmul__(self, other):
        return _symbolic("matmul", other, self)

    def __truediv__(self, other):
        return _symbolic("true_divide", self, other)

    def __rtruediv__(self, other):
        return _symbolic("true_divide", other, self)

    def __floordiv__(self, other):
        return _symbolic("floor_divide", self, other)

    def __rfloordiv__(self, other):
        return _symbolic("floor_divide", other, self)

    def __mod__(self, other):
        return _symbolic("mod", self, other)

    def __rmod__(self, other):
        return _symbolic("mod", other, self)

    def __pow__(self, other):
        return _symbolic("power", self, other)

    def __rpow__(self, other):
        return _symbolic("power", other, self)

    def __neg__(self):
        return _symbolic("negative", self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _symbolic("absolute", self)

    def __lt__(self, other):
        return _symbolic("less", self, other)

    def __le__(self, other):
        return _symbolic("less_equal", self, other)

    def __gt__(self, other):
        return _symbolic("greater", self, other)

    def __ge__(self, other):
        return _symbolic("greater_equal", self, other)

    def __ne__(self, other):
        return _symbolic("not_equal", self, other)

    def __and__(self, other):
        return _symbolic("logical_and", self, other)

    def __rand__(self, other):
        return _symbolic("logical_and", other, self)

    def __or__(self, other):
        return _symbolic("logical_or", self, other)

    def __ror__(self, other):
        return _symbolic("logical_or", other, self)

    def __xor__(self, other):
        return _symbolic("logical_xor", self, other)

    def __rxor__(self, other):
        return _symbolic("logical_xor", other, self)

    def __invert__(self):
        return _symbolic("logical_not", self)

    def __getitem__(self, key):
        return _symbolic("get_item", self, key)

    def __round__(self, ndigits=None):
        return _symbolic("round", self, ndigits or 0)


def any_symbolic_tensors(args=None, kwargs=None):
    """Whether any KerasTensor appears in `args` or `kwargs` (nested lists/tuples/dicts too)."""
    from lamina import tree

    for items in (args or (), kwargs.values() if kwargs else ()):
        for x in items:
            if isinstance(x, KerasTensor):
                return True
            if tree.is_nested(x) and any(isinstance(v, KerasTensor) for v in tree.flatten(x)):
                return True
    return False


def is_keras_tensor(x):
    """Whether `x` is a symbolic ``KerasTensor`` (Keras' ``keras.utils.is_keras_tensor``)."""
    return isinstance(x, KerasTensor)
