"""``lamina.InputSpec``: constraints on a layer's inputs, checked at each call."""

from lamina import tree
from lamina._lamina import Tensor as _Tensor

# How many input shapes an InputSpec remembers as passed (a bound for inputs of many shapes).
_MAX_PASSED = 64


class InputSpec:
    """The rank, dtype and shape every input of a layer must have.

    Args:
        dtype: Expected dtype of the input.
        shape: Expected shape (None entries match any size).
        ndim: Expected rank.
        max_ndim: Maximum rank.
        min_ndim: Minimum rank.
        axes: Dict mapping axes to a required size (or None).
        allow_last_axis_squeeze: Accept a rank one lower or higher when the last axis is 1.
        name: Expected name of the input (for dict inputs).
        optional: Whether the input may be None.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        from lamina.backend.config import standardize_dtype

        self.dtype = standardize_dtype(dtype) if dtype is not None else None
        if shape is not None:
            self.shape = tuple(None if d is None else int(d) for d in shape)
            self.ndim = len(self.shape)
        else:
            self.shape = None
            self.ndim = ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.optional = optional
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): axes[k] for k in axes}
        except (ValueError, TypeError):
            raise TypeError(
                "Argument `axes` must be a dict with integer keys. " f"Received: axes={axes}"
            ) from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(
                    f"Axis {max_axis} is greater than the maximum allowed value: {max_dim}"
                )

    def __setattr__(self, name, value):
        # Shapes that passed `assert_input_compatibility` are remembered until the spec changes
        # (`axes` changed in place is noticed there, by comparing it with a copy).
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_passed", None)

    def __repr__(self):
        spec = [
            ("dtype=" + str(self.dtype)) if self.dtype else "",
            ("shape=" + str(self.shape)) if self.shape else "",
            ("ndim=" + str(self.ndim)) if self.ndim else "",
            ("max_ndim=" + str(self.max_ndim)) if self.max_ndim else "",
            ("min_ndim=" + str(self.min_ndim)) if self.min_ndim else "",
            ("axes=" + str(self.axes)) if self.axes else "",
        ]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {
            "dtype": self.dtype,
            "shape": self.shape,
            "ndim": self.ndim,
            "max_ndim": self.max_ndim,
            "min_ndim": self.min_ndim,
            "axes": self.axes,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raises ValueError (naming the layer and input index) when `inputs` break `input_spec`."""
    if not input_spec:
        return
    if type(input_spec) is InputSpec and type(inputs) is _Tensor:
        # The common case, one spec and one tensor: no structures to flatten, and a shape
        # that passed before passes again (while the spec is unchanged).
        shape = inputs.shape
        passed = input_spec._passed
        if passed is not None and shape in passed[1] and passed[0] == input_spec.axes:
            return
        _check_input(0, inputs, input_spec, layer_name)
        if input_spec.dtype is None:
            if passed is None or passed[0] != input_spec.axes:
                passed = (dict(input_spec.axes), set())
                object.__setattr__(input_spec, "_passed", passed)
            if len(passed[1]) < _MAX_PASSED:
                passed[1].add(shape)
        return
    specs = tree.flatten(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in specs]
        if all(names):
            inputs = [inputs.get(n) for n in names]
    flat = tree.flatten(inputs)
    if len(specs) != len(flat):
        raise ValueError(
            f"Layer '{layer_name}' expects {len(specs)} input(s), but it received {len(flat)} input "
            f"tensors. Inputs received: {inputs}"
        )
    for index, (x, spec) in enumerate(zip(flat, specs)):
        _check_input(index, x, spec, layer_name)


def _check_input(index, x, spec, layer_name):
    """Checks input number `index` against its spec (None: no constraint)."""
    if spec is None:
        return
    if x is None:
        if spec.optional:
            return
        raise ValueError(f"Input {index} of layer '{layer_name}' is None, which is not allowed.")
    if not hasattr(x, "shape"):
        raise ValueError(
            f"Inputs to a layer should be tensors. Got '{x}' (of type {type(x)}) as input for "
            f"layer '{layer_name}'."
        )
    shape = tuple(x.shape)
    ndim = len(shape)
    if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
        raise ValueError(
            f"Input {index} of layer '{layer_name}' is incompatible with the layer: expected "
            f"ndim={spec.ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.max_ndim is not None and ndim > spec.max_ndim:
        raise ValueError(
            f"Input {index} of layer '{layer_name}' is incompatible with the layer: expected "
            f"max_ndim={spec.max_ndim}, found ndim={ndim}"
        )
    if spec.min_ndim is not None and ndim < spec.min_ndim:
        raise ValueError(
            f"Input {index} of layer '{layer_name}' is incompatible with the layer: expected "
            f"min_ndim={spec.min_ndim}, found ndim={ndim}. Full shape received: {shape}"
        )
    if spec.dtype is not None:
        dtype = getattr(x, "dtype", None)
        dtype = getattr(dtype, "name", dtype)
        if dtype != spec.dtype:
            raise ValueError(
                f"Input {index} of layer '{layer_name}' is incompatible with the layer: "
                f"expected dtype={spec.dtype}, found dtype={dtype}"
            )
    if spec.axes:
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if axis >= ndim or axis < -ndim or shape[axis] not in (value, None):
                raise ValueError(
                    f"Input {index} of layer '{layer_name}' is incompatible with the layer: "
                    f"expected axis {axis} of input shape to have value {value}, but received "
                    f"input with shape {shape}"
                )
    if spec.shape is not None:
        want = spec.shape
        got = shape
        if spec.allow_last_axis_squeeze:
            if got and got[-1] == 1:
                got = got[:-1]
            if want and want[-1] == 1:
                want = want[:-1]
        if len(want) != len(got) or any(w is not None and w != g for w, g in zip(want, got)):
            raise ValueError(
                f"Input {index} of layer '{layer_name}' is incompatible with the layer: "
                f"expected shape={spec.shape}, found shape={shape}"
            )
