"""``lamina.layers.UpSampling2D`` (Keras 3's ``keras.layers.UpSampling2D``)."""

import numpy as np

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.argument_validation import standardize_data_format
from lamina.utils.argument_validation import standardize_tuple

# The interpolations Keras 3's `ops.image.resize` accepts.
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _triangle(d):
    return np.maximum(0.0, 1.0 - d)


def _keys_cubic(d):
    # Keys' cubic convolution kernel with a = -0.5 (tf/jax "bicubic").
    near = ((1.5 * d - 2.5) * d) * d + 1.0
    far = ((-0.5 * d + 2.5) * d - 4.0) * d + 2.0
    return np.where(d < 1.0, near, np.where(d < 2.0, far, 0.0))


def _lanczos(radius):
    def kernel(d):
        safe = np.where(d == 0.0, 1.0, d)
        value = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi * safe) ** 2
        return np.where(d <= 1e-3, 1.0, np.where(d > radius, 0.0, value))
    return kernel


# The separable kernels of `ops.image.resize` (weights as a function of the distance between a
# sample position and an input pixel centre).
_KERNELS = {"bilinear": _triangle, "bicubic": _keys_cubic, "lanczos3": _lanczos(3.0),
            "lanczos5": _lanczos(5.0)}


def _resize_matrix(in_size, scale, kernel, dtype):
    """The (in_size * scale, in_size) matrix of half-pixel-centre interpolation weights of
    `kernel` (``tf.image.resize``/``jax.image.resize`` when upsampling, without antialiasing):
    output pixel o samples the input at ``(o + 0.5) / scale - 0.5``, and each row of weights is
    normalized to sum to one (which also handles the borders)."""
    out_size = in_size * scale
    sample = (np.arange(out_size, dtype="float64") + 0.5) / scale - 0.5
    weights = kernel(np.abs(sample[:, None] - np.arange(in_size, dtype="float64")[None, :]))
    weights = weights / weights.sum(axis=1, keepdims=True)
    return ops.convert_to_tensor(weights.astype(dtype))


class UpSampling2D(Layer):
    """Upsampling layer for 2D inputs.

    The implementation uses interpolative resizing, given the resize method (specified by the
    `interpolation` argument). Use ``interpolation="nearest"`` to repeat the rows and columns
    of the data.

    Args:
        size: Int, or tuple of 2 integers. The upsampling factors for rows and columns.
            Defaults to ``(2, 2)``.
        data_format: ``"channels_last"`` (inputs ``(batch, height, width, channels)``) or
            ``"channels_first"`` (``(batch, channels, height, width)``). Defaults to
            ``lamina.config.image_data_format()``.
        interpolation: ``"nearest"`` (default), ``"bilinear"``, ``"bicubic"`` (Keys, a=-0.5),
            ``"lanczos3"``, ``"lanczos5"`` or ``"area"``, with half-pixel centres as
            ``tf.image.resize``/``jax.image.resize`` (no antialiasing is needed when
            upsampling; ``"area"`` equals ``"nearest"`` for integer factors).

    Example:

    >>> lamina.layers.UpSampling2D(size=(1, 2))(lamina.ops.ones((2, 2, 1, 3))).shape
    (2, 2, 2, 3)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.size = standardize_tuple(size, 2, "size")
        self.interpolation = interpolation.lower()
        self.input_spec = InputSpec(ndim=4)

    def compute_output_shape(self, input_shape):
        h_axis, w_axis = (2, 3) if self.data_format == "channels_first" else (1, 2)
        out = list(input_shape)
        out[h_axis] = self.size[0] * input_shape[h_axis] if input_shape[h_axis] is not None else None
        out[w_axis] = self.size[1] * input_shape[w_axis] if input_shape[w_axis] is not None else None
        return tuple(out)

    def call(self, inputs):
        h_axis, w_axis = (2, 3) if self.data_format == "channels_first" else (1, 2)
        if self.interpolation in ("nearest", "area"):
            x = inputs
            if self.size[0] != 1:
                x = ops.repeat(x, self.size[0], axis=h_axis)
            if self.size[1] != 1:
                x = ops.repeat(x, self.size[1], axis=w_axis)
            return x
        if self.interpolation not in _RESIZE_INTERPOLATIONS:
            raise ValueError(
                "Invalid value for argument `interpolation`. Expected of one "
                f"{_RESIZE_INTERPOLATIONS}. Received: interpolation={self.interpolation}"
            )
        # "area" averages the input pixels each output pixel covers: with an integer factor
        # that is exactly one pixel, i.e. nearest (handled above with it).
        kernel = _KERNELS[self.interpolation]
        dtype = inputs.dtype
        wh = _resize_matrix(inputs.shape[h_axis], self.size[0], kernel, dtype)
        ww = _resize_matrix(inputs.shape[w_axis], self.size[1], kernel, dtype)
        if self.data_format == "channels_first":
            x = ops.einsum("oh,bchw->bcow", wh, inputs)
            return ops.einsum("pw,bcow->bcop", ww, x)
        x = ops.einsum("oh,bhwc->bowc", wh, inputs)
        return ops.einsum("pw,bowc->bopc", ww, x)

    def get_config(self):
        config = {"size": self.size, "data_format": self.data_format,
                  "interpolation": self.interpolation}
        base_config = super().get_config()
        return {**base_config, **config}
