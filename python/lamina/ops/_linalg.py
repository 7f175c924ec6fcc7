"""Linear algebra ops (``keras.ops.linalg`` names, also exported from ``keras.ops``)."""

from lamina._lamina import qr

__all__ = ["qr"]
