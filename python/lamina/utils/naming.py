"""Name helpers with Keras 3's exact rules (``keras.src.utils.naming``)."""

from lamina.backend.naming import auto_name
from lamina.backend.naming import to_snake_case
from lamina.backend.naming import uniquify

__all__ = ["auto_name", "to_snake_case", "uniquify"]
