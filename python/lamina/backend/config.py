"""Global settings of the Keras 3 ``keras.config`` API: default float dtype, epsilon, image layout."""

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def floatx():
    """The default float dtype, ``"float32"`` unless changed with `set_floatx`."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float dtype (one of float16, bfloat16, float32, float64)."""
    global _FLOATX
    value = str(value)
    if value not in _FLOAT_DTYPES:
        raise ValueError(f"Unknown `floatx` value: {value}. Expected one of {set(_FLOAT_DTYPES)}")
    _FLOATX = value


def epsilon():
    """The fuzz factor used in numeric expressions (``1e-7``)."""
    return _EPSILON


def set_epsilon(value):
    """Sets the fuzz factor."""
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """``"channels_last"`` or ``"channels_first"``."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    """Sets the default image layout."""
    global _IMAGE_DATA_FORMAT
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    _IMAGE_DATA_FORMAT = fmt


def backend():
    """The name of the engine (``"lamina"``)."""
    return "lamina"


_DTYPE_ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "int": "int32", "uint8": "uint8",
}
_KNOWN = ("bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64")


def standardize_dtype(dtype=None):
    """A dtype name from None (floatx), a string, a Python or numpy type, or a Tensor dtype."""
    if dtype is None:
        return floatx()
    if dtype is float:
        return "float32"
    if dtype is int:
        return "int32"
    if dtype is bool:
        return "bool"
    if isinstance(dtype, str):
        name = dtype
    elif hasattr(dtype, "name") and isinstance(dtype.name, str):
        name = dtype.name
    else:
        import numpy as np

        try:
            name = np.dtype(dtype).name
        except TypeError:
            raise ValueError(f"Invalid dtype: {dtype!r}") from None
    name = _DTYPE_ALIASES.get(name, name)
    if name not in _KNOWN:
        raise ValueError(f"Invalid dtype: {dtype!r}. lamina supports: {', '.join(_KNOWN)}")
    return name


def dtype_policy():
    """The global dtype policy (Keras' ``keras.config.dtype_policy``)."""
    from lamina.dtype_policies import dtype_policy as _get

    return _get()


def set_dtype_policy(policy):
    """Sets the global dtype policy (Keras' ``keras.config.set_dtype_policy``)."""
    from lamina.dtype_policies import set_dtype_policy as _set

    _set(policy)
