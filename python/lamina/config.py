"""``lamina.config``: Keras 3's ``keras.config`` global settings."""

from lamina.backend.config import backend
from lamina.backend.config import dtype_policy
from lamina.backend.config import epsilon
from lamina.backend.config import floatx
from lamina.backend.config import image_data_format
from lamina.backend.config import set_dtype_policy
from lamina.backend.config import set_epsilon
from lamina.backend.config import set_floatx
from lamina.backend.config import set_image_data_format


def enable_unsafe_deserialization():
    """Disables safe mode globally, allowing the deserialization of lambdas."""
    from lamina.saving import serialization_lib

    serialization_lib.enable_unsafe_deserialization()


__all__ = ["backend", "enable_unsafe_deserialization", "dtype_policy", "epsilon", "set_dtype_policy", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format"]
