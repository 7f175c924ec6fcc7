"""``lamina.layers``: the Layer base class and the built-in layers (Keras 3's ``keras.layers``)."""

from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer

__all__ = ["InputSpec", "Layer"]
