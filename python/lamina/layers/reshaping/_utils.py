"""Argument handling shared by the 2D reshaping layers (`Cropping2D`, `ZeroPadding2D`)."""

from lamina.utils.argument_validation import standardize_tuple


def standardize_2d_pairs(value, name, reject_negative_int=False):
    """An int, a tuple of 2 ints or a tuple of 2 tuples of 2 ints, as
    ``((top, bottom), (left, right))`` (Keras 3's messages, naming the argument `name`)."""
    if isinstance(value, int):
        if reject_negative_int and value < 0:
            raise ValueError(f"`{name}` cannot be negative. Received: {name}={value}.")
        return ((value, value), (value, value))
    if hasattr(value, "__len__"):
        if len(value) != 2:
            raise ValueError(f"`{name}` should have two elements. Received: {name}={value}.")
        height = standardize_tuple(value[0], 2, f"1st entry of {name}", allow_zero=True)
        width = standardize_tuple(value[1], 2, f"2nd entry of {name}", allow_zero=True)
        return (height, width)
    raise ValueError(
        f"`{name}` should be either an int, a tuple of 2 ints (symmetric_height_crop, "
        "symmetric_width_crop), or a tuple of 2 tuples of 2 ints ((top_crop, bottom_crop), "
        f"(left_crop, right_crop)). Received: {name}={value}."
    )
