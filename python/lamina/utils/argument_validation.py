"""Argument checks shared by the built-in layers, with Keras 3's messages
(``keras/src/utils/argument_validation.py`` and ``backend.config.standardize_data_format``)."""


def standardize_tuple(value, n, name, allow_zero=False):
    """Turns an int or an iterable of ints into a tuple of `n` ints.

    Args:
        value: An int (repeated `n` times) or an iterable of `n` ints.
        n: The length of the tuple.
        name: The argument's name, for the error message.
        allow_zero: Whether 0 is accepted (negative values never are).

    Returns:
        A tuple of `n` ints.

    Raises:
        ValueError: naming the argument and echoing the value when it is not valid.
    """
    error_msg = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int):
        value_tuple = (value,) * n
    else:
        try:
            value_tuple = tuple(value)
        except TypeError:
            raise ValueError(error_msg) from None
        if len(value_tuple) != n:
            raise ValueError(error_msg)
        for single_value in value_tuple:
            if isinstance(single_value, bool) or not isinstance(single_value, int):
                try:
                    int(single_value)
                except (ValueError, TypeError):
                    raise ValueError(
                        error_msg + f"including element {single_value} of type {type(single_value)}"
                    ) from None
    if allow_zero:
        unqualified = {v for v in value_tuple if v < 0}
        req = ">= 0"
    else:
        unqualified = {v for v in value_tuple if v <= 0}
        req = "> 0"
    if unqualified:
        raise ValueError(
            error_msg + f", including values {unqualified} that do not satisfy `value {req}`"
        )
    return value_tuple


def standardize_data_format(data_format):
    """`None` gives ``lamina.config.image_data_format()``; otherwise the lower-cased value,
    which must be "channels_first" or "channels_last"."""
    if data_format is None:
        from lamina.backend.config import image_data_format

        return image_data_format()
    data_format = str(data_format).lower()
    if data_format not in {"channels_first", "channels_last"}:
        raise ValueError(
            "The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
            f"Received: data_format={data_format}"
        )
    return data_format


__all__ = ["standardize_data_format", "standardize_tuple"]
