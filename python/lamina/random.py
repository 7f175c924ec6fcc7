"""``lamina.random``: Keras 3's ``keras.random`` on lamina's counter-based generator.

A draw is a pure function of ``(seed, offset)``, so the same seed gives the same numbers at any
thread count. Seeds follow Keras: an int seed gives the same numbers on every call; a
``SeedGenerator`` advances on every call; ``None`` draws from a global generator.
"""

import random as _py_random

from lamina import _lamina

_MASK64 = (1 << 64) - 1


def _mix(x):
    """splitmix64: spreads a (seed, counter) pair over the 64-bit key space."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK64
    return x ^ (x >> 31)


class SeedGenerator:
    """A stateful seed source: each call to ``next()`` yields a new key.

    Args:
        seed: Initial seed (int). Defaults to a random seed when None.
        name: Optional name.

    Example:

    >>> gen = lamina.random.SeedGenerator(1337)
    >>> a = lamina.random.normal((2,), seed=gen)
    >>> b = lamina.random.normal((2,), seed=gen)  # different from `a`
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments for SeedGenerator: {sorted(kwargs)}")
        if seed is None:
            seed = _py_random.randrange(1 << 31)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        self._initial_seed = seed
        self._counter = 0
        self.name = name or "seed_generator"

    def next(self):
        key = _mix(_mix(self._initial_seed & _MASK64) ^ self._counter)
        self._counter += 1
        return key

    def get_config(self):
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_global_generator = None


def _key(seed):
    global _global_generator
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        if _global_generator is None:
            _global_generator = SeedGenerator()
        return _global_generator.next()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(
            "Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
            f"Received: seed={seed!r} (of type {type(seed)})"
        )
    return _mix(seed & _MASK64)


def _float_dtype(dtype, op):
    from lamina.ops import convert_to_tensor

    dtype = "float32" if dtype is None else dtype
    name = convert_to_tensor(0, dtype=dtype).dtype
    if not name.startswith(("float", "bfloat")):
        raise ValueError(f"{op}: expected a float dtype. Received: dtype={dtype}")
    return name


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws values uniformly from ``[minval, maxval)``. dtype defaults to float32."""
    return _lamina._random_uniform(shape, float(minval), float(maxval), _float_dtype(dtype, "uniform"), _key(seed))


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws values from a normal distribution. dtype defaults to float32."""
    return _lamina._random_normal(shape, float(mean), float(stddev), _float_dtype(dtype, "normal"), _key(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values, redrawn when more than two standard deviations from the mean."""
    return _lamina._random_truncated_normal(
        shape, float(mean), float(stddev), _float_dtype(dtype, "truncated_normal"), _key(seed)
    )


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Draws integers uniformly from ``[minval, maxval)``."""
    return _lamina._random_randint(shape, int(minval), int(maxval), dtype, _key(seed))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Bernoulli draws for ``counts == 1`` (the case lamina supports): 1 with ``probabilities``."""
    if counts != 1:
        raise ValueError(f"binomial: lamina supports counts=1 (Bernoulli) only. Received: counts={counts}")
    return _lamina._random_bernoulli(shape, float(probabilities), _float_dtype(dtype, "binomial"), _key(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes each element with probability ``rate`` and scales the rest by ``1 / (1 - rate)``."""
    from lamina import ops

    if not 0 <= rate < 1:
        raise ValueError(f"dropout: `rate` must be in [0, 1). Received: rate={rate}")
    x = ops.convert_to_tensor(inputs)
    if noise_shape is None:
        noise_shape = x.shape
    keep = _lamina._random_bernoulli(tuple(noise_shape), 1.0 - rate, "bool", _key(seed))
    scale = 1.0 / (1.0 - rate)
    return ops.where(keep, ops.multiply(x, scale), ops.zeros_like(x))


__all__ = ["SeedGenerator", "binomial", "dropout", "normal", "randint", "truncated_normal", "uniform"]
