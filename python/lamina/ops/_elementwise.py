"""Elementwise ops, matmul, where and clip."""

from lamina._lamina import abs  # noqa: A004
from lamina._lamina import absolute
from lamina._lamina import add
from lamina._lamina import arccos
from lamina._lamina import arccosh
from lamina._lamina import arcsin
from lamina._lamina import arcsinh
from lamina._lamina import arctan
from lamina._lamina import arctanh
from lamina._lamina import ceil
from lamina._lamina import clip
from lamina._lamina import cos
from lamina._lamina import cosh
from lamina._lamina import divide
from lamina._lamina import equal
from lamina._lamina import erf
from lamina._lamina import exp
from lamina._lamina import expm1
from lamina._lamina import floor
from lamina._lamina import floor_divide
from lamina._lamina import greater
from lamina._lamina import greater_equal
from lamina._lamina import isfinite
from lamina._lamina import isinf
from lamina._lamina import isnan
from lamina._lamina import less
from lamina._lamina import less_equal
from lamina._lamina import log
from lamina._lamina import log1p
from lamina._lamina import log2
from lamina._lamina import log10
from lamina._lamina import logical_and
from lamina._lamina import logical_not
from lamina._lamina import logical_or
from lamina._lamina import logical_xor
from lamina._lamina import matmul
from lamina._lamina import maximum
from lamina._lamina import minimum
from lamina._lamina import multiply
from lamina._lamina import negative
from lamina._lamina import nonzero
from lamina._lamina import not_equal
from lamina._lamina import power
from lamina._lamina import reciprocal
from lamina._lamina import relu
from lamina._lamina import round  # noqa: A004
from lamina._lamina import rsqrt
from lamina._lamina import sigmoid
from lamina._lamina import sign
from lamina._lamina import sin
from lamina._lamina import sinh
from lamina._lamina import softplus
from lamina._lamina import sqrt
from lamina._lamina import square
from lamina._lamina import subtract
from lamina._lamina import tan
from lamina._lamina import tanh
from lamina._lamina import true_divide
from lamina._lamina import trunc
from lamina._lamina import where
from lamina import _lamina

mod = getattr(_lamina, "mod")

__all__ = [
    "abs", "absolute", "add", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctanh", "ceil",
    "clip", "cos", "cosh", "divide", "equal", "erf", "exp", "expm1", "floor", "floor_divide",
    "greater", "greater_equal", "isfinite", "isinf", "isnan", "less", "less_equal", "log", "log1p",
    "log2", "log10", "logical_and", "logical_not", "logical_or", "logical_xor", "matmul", "maximum",
    "minimum", "mod", "multiply", "negative", "nonzero", "not_equal", "power", "reciprocal", "relu",
    "round", "rsqrt", "sigmoid", "sign", "sin", "sinh", "softplus", "sqrt", "square", "subtract",
    "tan", "tanh", "true_divide", "trunc", "where",
]
