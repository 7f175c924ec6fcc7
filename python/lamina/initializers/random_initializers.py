"""Random initializers (Keras 3's random_initializers): RandomNormal, RandomUniform,
TruncatedNormal, VarianceScaling and its Glorot/He/Lecun presets, Orthogonal.

Seeds follow Keras 3: an int seed, or None (a random int chosen at construction), gives the
same values on every call; a `lamina.random.SeedGenerator` gives new values on each call.
"""

import math
import random as _py_random
import sys
import textwrap

from lamina import ops
from lamina import random
from lamina.backend.config import standardize_dtype
from lamina.initializers.initializer import Initializer
from lamina.saving import serialization_lib

# Standard deviation of the unit normal truncated to [-2, 2]: dividing by it makes the
# truncated draws have the requested standard deviation.
_TRUNCATED_NORMAL_STDDEV = 0.87962566103423978


def _make_default_seed():
    return _py_random.randint(1, int(1e9))


class RandomInitializer(Initializer):
    """Base of the seeded initializers: validates and stores `seed`.

    Args:
        seed: An int, a `lamina.random.SeedGenerator`, a serialized SeedGenerator dict, or None.
    """

    def __init__(self, seed=None):
        self._init_seed = seed
        if seed is None:
            seed = _make_default_seed()
        elif isinstance(seed, dict):
            seed = serialization_lib.deserialize_keras_object(seed)
        elif isinstance(seed, bool) or not isinstance(seed, (int, random.SeedGenerator)):
            raise ValueError(
                "`seed` argument should be an instance of `lamina.random.SeedGenerator()` or an "
                f"integer. Received: seed={seed}"
            )
        self.seed = seed

    def get_config(self):
        return {"seed": serialization_lib.serialize_keras_object(self._init_seed)}


class _MeanStddevInitializer(RandomInitializer):
    """Base of RandomNormal and TruncatedNormal: draws with `_sample` (a `lamina.random`
    function) from a distribution given by `mean` and `stddev`."""

    _sample = None

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return self._sample(
            tuple(shape), mean=self.mean, stddev=self.stddev, dtype=standardize_dtype(dtype), seed=self.seed
        )

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomNormal(_MeanStddevInitializer):
    """Random normal initializer: samples from a normal distribution.

    Args:
        mean: Mean of the random values. Defaults to `0.0`.
        stddev: Standard deviation of the random values. Defaults to `0.05`.
        seed: An int or a `lamina.random.SeedGenerator`. An int (or None, unseeded) gives the
            same values on every call; a SeedGenerator gives new values on each call.

    Example:

    >>> initializer = lamina.initializers.RandomNormal(mean=0.0, stddev=1.0)
    >>> values = initializer(shape=(2, 2))
    """

    _sample = staticmethod(random.normal)


class TruncatedNormal(_MeanStddevInitializer):
    """Truncated normal initializer: normal samples, redrawn when more than two standard
    deviations from the mean.

    Args:
        mean: Mean of the random values. Defaults to `0.0`.
        stddev: Standard deviation of the normal before truncation. Defaults to `0.05`.
        seed: An int or a `lamina.random.SeedGenerator` (see `RandomNormal`).

    Example:

    >>> initializer = lamina.initializers.TruncatedNormal(mean=0.0, stddev=1.0)
    >>> values = initializer(shape=(2, 2))
    """

    _sample = staticmethod(random.truncated_normal)


class RandomUniform(RandomInitializer):
    """Random uniform initializer: samples from ``[minval, maxval)``.

    Args:
        minval: Lower bound of the range (inclusive). Defaults to `-0.05`.
        maxval: Upper bound of the range (exclusive). Defaults to `0.05`.
        seed: An int or a `lamina.random.SeedGenerator` (see `RandomNormal`).

    Example:

    >>> initializer = lamina.initializers.RandomUniform(minval=0.0, maxval=1.0)
    >>> values = initializer(shape=(2, 2))
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        return random.uniform(
            tuple(shape), minval=self.minval, maxval=self.maxval, dtype=standardize_dtype(dtype), seed=self.seed
        )

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """The number of input and output units ``(fan_in, fan_out)`` of a weight shape.

    With both `input_axes` and `output_axes` given, the fans are the products of the sizes of
    those axes (``EinsumDense`` kernels). Otherwise: rank 0 gives (1, 1); rank 1 (n, n); rank 2
    (rows, cols); higher ranks are convolution kernels ``(..., input_depth, depth)`` whose
    leading dimensions (the receptive field) multiply both.

    Args:
        shape: The weight shape (a tuple of ints).
        input_axes: Optional list of ints, the axes holding input units.
        output_axes: Optional list of ints, the axes holding output units.

    Returns:
        A tuple of ints ``(fan_in, fan_out)``.

    Example:

    >>> compute_fans((3, 4, 5), input_axes=[0, 1], output_axes=[2])
    (12, 5)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = 1
        for axis in input_axes:
            fan_in *= shape[axis]
        fan_out = 1
        for axis in output_axes:
            fan_out *= shape[axis]
        return int(fan_in), int(fan_out)
    if len(shape) < 1:
        fan_in = fan_out = 1
    elif len(shape) == 1:
        fan_in = fan_out = shape[0]
    elif len(shape) == 2:
        fan_in, fan_out = shape
    else:
        receptive_field_size = 1
        for dim in shape[:-2]:
            receptive_field_size *= dim
        fan_in = shape[-2] * receptive_field_size
        fan_out = shape[-1] * receptive_field_size
    return int(fan_in), int(fan_out)


def _check_axes(value, name):
    """`input_axes`/`output_axes`: None or a list/tuple of ints, returned as given."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or not all(
        isinstance(a, int) and not isinstance(a, bool) for a in value
    ):
        raise ValueError(
            f"Argument `{name}` must be None or a list of integers (axes of the weight shape). "
            f"Received: {name}={value!r}"
        )
    return value


class VarianceScaling(RandomInitializer):
    """Initializer that adapts its scale to the shape of the tensor it initializes.

    With ``distribution="truncated_normal"`` or ``"untruncated_normal"``, samples are drawn from
    a (truncated) normal distribution with mean 0 and standard deviation (after truncation)
    ``sqrt(scale / n)``; with ``distribution="uniform"``, from ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)``, where `n` is ``fan_in``, ``fan_out`` or their average
    according to `mode`.

    Args:
        scale: Scaling factor (positive float). Defaults to `1.0`.
        mode: One of ``"fan_in"``, ``"fan_out"``, ``"fan_avg"``. Defaults to ``"fan_in"``.
        distribution: One of ``"truncated_normal"``, ``"untruncated_normal"``, ``"uniform"``
            (``"normal"`` means ``"truncated_normal"``). Defaults to ``"truncated_normal"``.
        seed: An int or a `lamina.random.SeedGenerator` (see `RandomNormal`).
        input_axes: Optional list of ints: the axes of the weight shape whose sizes multiply
            to ``fan_in``. Used (with `output_axes`) instead of the rank-based rule of
            `compute_fans` when both are given; ``EinsumDense`` sets them for its kernel.
        output_axes: Optional list of ints: the axes whose sizes multiply to ``fan_out``.

    Example:

    >>> initializer = lamina.initializers.VarianceScaling(scale=0.1, mode="fan_in",
    ...                                                   distribution="uniform")
    >>> values = initializer(shape=(2, 2))
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        allowed_modes = {"fan_in", "fan_out", "fan_avg"}
        if mode not in allowed_modes:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {allowed_modes}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        allowed_distributions = {"uniform", "truncated_normal", "untruncated_normal"}
        if distribution not in allowed_distributions:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. "
                f"Please use one of {allowed_distributions}"
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        self.input_axes = _check_axes(input_axes, "input_axes")
        self.output_axes = _check_axes(output_axes, "output_axes")
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        dtype = standardize_dtype(dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        if self.mode == "fan_in":
            n = max(1.0, fan_in)
        elif self.mode == "fan_out":
            n = max(1.0, fan_out)
        else:
            n = max(1.0, (fan_in + fan_out) / 2.0)
        scale = self.scale / n
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATED_NORMAL_STDDEV
            return random.truncated_normal(shape, mean=0.0, stddev=stddev, dtype=dtype, seed=self.seed)
        if self.distribution == "untruncated_normal":
            return random.normal(shape, mean=0.0, stddev=math.sqrt(scale), dtype=dtype, seed=self.seed)
        limit = math.sqrt(3.0 * scale)
        return random.uniform(shape, minval=-limit, maxval=limit, dtype=dtype, seed=self.seed)

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _VarianceScalingPreset(VarianceScaling):
    """A VarianceScaling with fixed scale/mode/distribution: only the seed and the fan axes
    are configurable."""

    _preset = None  # (scale, mode, distribution)

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        # Scale, mode and distribution are fixed by the class.
        return {
            **RandomInitializer.get_config(self),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


# What every preset's docstring says after its summary. Python 3.13 strips the indentation of
# docstrings when compiling, so the sections are indented as the summary's own lines are.
_PRESET_DOC_SECTIONS = """

Args:
    seed: An int or a `lamina.random.SeedGenerator` (see `RandomNormal`).
    input_axes: Optional list of ints, the axes giving ``fan_in`` (see `VarianceScaling`).
    output_axes: Optional list of ints, the axes giving ``fan_out`` (see `VarianceScaling`).

Example:

>>> values = lamina.initializers.{name}()(shape=(2, 2))

Reference: {reference}
"""
_DOC_INDENT = "" if sys.version_info >= (3, 13) else "    "


def _variance_scaling_preset(scale, mode, distribution, reference):
    """Class decorator of the VarianceScaling presets (GlorotUniform, ...): fixes their `scale`,
    `mode` and `distribution` and completes their docstring (the summary) with the sections they
    share, `reference` naming the paper."""

    def decorate(cls):
        cls._preset = (scale, mode, distribution)
        if cls.__doc__ is not None:  # None under `python -OO`
            sections = _PRESET_DOC_SECTIONS.format(name=cls.__name__, reference=reference)
            cls.__doc__ += textwrap.indent(sections, _DOC_INDENT) + _DOC_INDENT
        return cls

    return decorate


_GLOROT_2010 = "[Glorot et al., 2010](http://proceedings.mlr.press/v9/glorot10a.html)"
_KLAMBAUER_2017 = "[Klambauer et al., 2017](https://arxiv.org/abs/1706.02515)"
_HE_2015 = "[He et al., 2015](https://arxiv.org/abs/1502.01852)"


@_variance_scaling_preset(1.0, "fan_avg", "uniform", reference=_GLOROT_2010)
class GlorotUniform(_VarianceScalingPreset):
    """The Glorot (Xavier) uniform initializer: uniform in ``[-limit, limit]`` with
    ``limit = sqrt(6 / (fan_in + fan_out))``."""


@_variance_scaling_preset(1.0, "fan_avg", "truncated_normal", reference=_GLOROT_2010)
class GlorotNormal(_VarianceScalingPreset):
    """The Glorot (Xavier) normal initializer: truncated normal with
    ``stddev = sqrt(2 / (fan_in + fan_out))``."""


@_variance_scaling_preset(1.0, "fan_in", "truncated_normal", reference=_KLAMBAUER_2017)
class LecunNormal(_VarianceScalingPreset):
    """Lecun normal initializer: truncated normal with ``stddev = sqrt(1 / fan_in)``."""


@_variance_scaling_preset(1.0, "fan_in", "uniform", reference=_KLAMBAUER_2017)
class LecunUniform(_VarianceScalingPreset):
    """Lecun uniform initializer: uniform in ``[-limit, limit]`` with
    ``limit = sqrt(3 / fan_in)``."""


@_variance_scaling_preset(2.0, "fan_in", "truncated_normal", reference=_HE_2015)
class HeNormal(_VarianceScalingPreset):
    """He normal initializer: truncated normal with ``stddev = sqrt(2 / fan_in)``."""


@_variance_scaling_preset(2.0, "fan_in", "uniform", reference=_HE_2015)
class HeUniform(_VarianceScalingPreset):
    """He uniform initializer: uniform in ``[-limit, limit]`` with ``limit = sqrt(6 / fan_in)``."""


class Orthogonal(RandomInitializer):
    """Initializer that generates an orthogonal matrix.

    For a 2D shape, the matrix is the Q factor of the QR decomposition of a matrix of normal
    samples (with the signs of R's diagonal folded in, so Q is uniformly distributed). With fewer
    rows than columns the rows are orthogonal, otherwise the columns. Shapes of rank > 2 are
    initialized as a ``(shape[0] * ... * shape[-2], shape[-1])`` matrix, then reshaped.

    Args:
        gain: Multiplicative factor to apply to the orthogonal matrix. Defaults to `1.0`.
        seed: An int or a `lamina.random.SeedGenerator` (see `RandomNormal`).

    Example:

    >>> values = lamina.initializers.Orthogonal()(shape=(3, 3))

    Reference: [Saxe et al., 2014](https://openreview.net/forum?id=_wzZwKpTDF_9C)
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        if len(shape) < 2:
            raise ValueError(
                "The tensor to initialize must be at least two-dimensional. "
                f"Received: shape={shape} of rank {len(shape)}."
            )
        shape = tuple(shape)
        dtype = standardize_dtype(dtype)
        num_rows = 1
        for dim in shape[:-1]:
            num_rows *= dim
        num_cols = shape[-1]
        flat_shape = (max(num_cols, num_rows), min(num_cols, num_rows))

        a = random.normal(flat_shape, seed=self.seed, dtype=dtype)
        q, r = ops.qr(a, mode="reduced")
        # Multiply each column of q by the sign of r's diagonal entry (d = diag(r)).
        d = ops.sum(ops.multiply(r, ops.eye(flat_shape[1], dtype=r.dtype)), axis=0)
        q = ops.multiply(q, ops.sign(d))
        if num_rows < num_cols:
            q = ops.transpose(q)
        return ops.multiply(self.gain, ops.reshape(q, shape))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}


__all__ = [
    "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "LecunNormal", "LecunUniform",
    "Orthogonal", "RandomInitializer", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "compute_fans",
]
