"""lamina.datasets: small real datasets shipped inside the package, loaded as Keras' loaders do."""

from lamina.datasets import digits

__all__ = ["digits"]
