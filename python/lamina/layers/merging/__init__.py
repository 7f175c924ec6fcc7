"""Merging layers (Keras 3's ``keras.layers`` merging family) and their functional forms."""

from lamina.layers.merging.add import Add
from lamina.layers.merging.add import add
from lamina.layers.merging.average import Average
from lamina.layers.merging.average import average
from lamina.layers.merging.base_merge import Merge
from lamina.layers.merging.concatenate import Concatenate
from lamina.layers.merging.concatenate import concatenate
from lamina.layers.merging.dot import Dot
from lamina.layers.merging.dot import dot
from lamina.layers.merging.maximum import Maximum
from lamina.layers.merging.maximum import maximum
from lamina.layers.merging.minimum import Minimum
from lamina.layers.merging.minimum import minimum
from lamina.layers.merging.multiply import Multiply
from lamina.layers.merging.multiply import multiply
from lamina.layers.merging.subtract import Subtract
from lamina.layers.merging.subtract import subtract

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Merge", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
