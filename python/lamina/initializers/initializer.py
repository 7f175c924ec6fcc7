"""``lamina.initializers.Initializer``: the base class of every initializer (also ``lamina.Initializer``)."""


class Initializer:
    """Initializer base class: all lamina (Keras) initializers inherit from it.

    An initializer is called as ``initializer(shape, dtype=None)`` and returns a Tensor of that
    shape and dtype (``lamina.config.floatx()`` when `dtype` is None).

    Subclasses implement ``__call__`` and, to be serializable, ``get_config()`` (the default
    `from_config` passes the config to the constructor).

    Example:

    >>> class ExampleRandomNormal(lamina.initializers.Initializer):
    ...     def __init__(self, mean, stddev):
    ...         self.mean = mean
    ...         self.stddev = stddev
    ...     def __call__(self, shape, dtype=None, **kwargs):
    ...         return lamina.random.normal(shape, mean=self.mean, stddev=self.stddev, dtype=dtype)
    ...     def get_config(self):
    ...         return {"mean": self.mean, "stddev": self.stddev}
    """

    def __call__(self, shape, dtype=None):
        """Returns a tensor of `shape` and `dtype` initialized as specified by the initializer.

        Args:
            shape: Shape of the tensor.
            dtype: Optional dtype of the tensor.
        """
        raise NotImplementedError("Initializer subclasses must implement the `__call__()` method.")

    def get_config(self):
        """Returns the initializer's configuration as a JSON-serializable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Instantiates an initializer from a configuration dictionary (the output of
        `get_config()`).

        Args:
            config: A Python dictionary.

        Returns:
            An `Initializer` instance.
        """
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration."""
        return self.__class__.from_config(self.get_config())


__all__ = ["Initializer"]
