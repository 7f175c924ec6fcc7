"""Errors for the Keras 3 options lamina cannot honour (quantization, batch renormalization, ...).

A Keras 3 config may carry options whose machinery lamina does not have. A layer accepts such an
option only at its no-op value (``quantization_config=None``, ``renorm=False``) and refuses any
other value with a ValueError naming the layer and the option, from its constructor and, before
anything is built, from its ``from_config`` (which would otherwise turn the error into the
generic TypeError of a failed deserialization).
"""

from lamina import dtype_policies


def unsupported_option(class_name, layer_name, option, value, reason):
    """The ValueError for an option lamina cannot honour.

    Args:
        class_name: The layer class name (``"Dense"``).
        layer_name: The layer's name (None when unknown).
        option: The argument name (``"quantization_config"``).
        value: The value received.
        reason: Why lamina cannot honour it.

    Returns:
        A ValueError to raise.

    Example:

    >>> raise unsupported_option("Dense", "d", "quantization_config", {}, "no quantized layers")
    Traceback (most recent call last):
    ValueError: Layer 'd' (Dense): `quantization_config` is not supported by lamina ...
    """
    layer = f"Layer '{layer_name}' ({class_name})" if layer_name else f"Layer {class_name}"
    return ValueError(
        f"{layer}: `{option}` is not supported by lamina ({reason}). Received: {option}={value!r}"
    )


_NO_QUANTIZATION = "lamina has no quantized layers; load the float model instead"


def check_quantization_config(layer, quantization_config):
    """Refuses a `quantization_config` other than None on `layer` (Dense, EinsumDense,
    Embedding): only None, the no-op, is accepted."""
    if quantization_config is not None:
        raise unsupported_option(type(layer).__name__, layer.name, "quantization_config",
                                 quantization_config, _NO_QUANTIZATION)


def check_config(cls, config, unsupported=None):
    """Checks a Keras config before `cls.from_config` builds the layer.

    Args:
        cls: The layer class.
        config: The layer config.
        unsupported: ``{option: accepted}`` where ``accepted(value)`` tells whether the value is
            one lamina honours, and the reason when not: ``(ok, reason)``.

    Raises:
        ValueError: naming the layer and the option, for a value lamina cannot honour or a
            dtype policy lamina does not have (a quantized one).
    """
    name = config.get("name")
    for option, accepted in (unsupported or {}).items():
        if option in config:
            ok, reason = accepted(config[option])
            if not ok:
                raise unsupported_option(cls.__name__, name, option, config[option], reason)
    if "dtype" in config:
        try:
            dtype_policies.get(config["dtype"])
        except ValueError as e:
            layer = f"Layer '{name}' ({cls.__name__})" if name else f"Layer {cls.__name__}"
            raise ValueError(f"{layer}: {e}") from None


def none_only(reason):
    """An ``accepted`` check for `check_config`: only None is honoured."""
    return lambda value: (value is None, reason)


NO_QUANTIZATION = none_only(_NO_QUANTIZATION)
