"""Reductions, softmax, sorting and cumulative ops (``keras.ops`` names)."""

from lamina._lamina import all  # noqa: A004
from lamina._lamina import any  # noqa: A004
from lamina._lamina import argmax
from lamina._lamina import argmin
from lamina._lamina import argsort
from lamina._lamina import cumprod
from lamina._lamina import cumsum
from lamina._lamina import log_softmax
from lamina._lamina import logsumexp
from lamina._lamina import max  # noqa: A004
from lamina._lamina import mean
from lamina._lamina import min  # noqa: A004
from lamina._lamina import prod
from lamina._lamina import softmax
from lamina._lamina import sort
from lamina._lamina import std
from lamina._lamina import sum  # noqa: A004
from lamina._lamina import top_k
from lamina._lamina import var

__all__ = [
    "all",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "cumprod",
    "cumsum",
    "log_softmax",
    "logsumexp",
    "max",
    "mean",
    "min",
    "prod",
    "softmax",
    "sort",
    "std",
    "sum",
    "top_k",
    "var",
]
