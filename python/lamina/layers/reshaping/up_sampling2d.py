"""``lamina.layers.UpSampling2D`` (Keras 3's ``keras.layers.UpSampling2D``)."""

import numpy as np

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.utils.argument_validation import standardize_data_format
from lamina.utils.argument_validation import standardize_tuple

# The interpolations Keras 3's `ops.image.resize` accepts; lamina computes the first two.
_RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic", "area")


def _bilinear_matrix(in_size, scale, dtype):
    """The (in_size * scale, in_size) matrix of half-pixel-centre linear interpolation
    weights (``tf.image.resize``/``jax.image.resize`` when upsampling)."""
    out_size = in_size * scale
    src = (np.arange(out_size, dtype="float64") + 0.5) / scale - 0.5
    src = np.clip(src, 0.0, in_size - 1)
    lo = np.floor(src).astype("int64")
    hi = np.minimum(lo + 1, in_size - 1)
    frac = src - lo
    weights = np.zeros((out_size, in_size), dtype="float64")
    rows = np.arange(out_size)
    np.add.at(weights, (rows, lo), 1.0 - frac)
    np.add.at(weights, (rows, hi), frac)
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
        interpolation: ``"nearest"`` (default) or ``"bilinear"`` (half-pixel centres, as
            ``tf.image.resize``). Keras' other methods (``"bicubic"``, ``"lanczos3"``,
            ``"lanczos5"``, ``"area"``) are not implemented by lamina yet.

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
        if self.interpolation == "nearest":
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
        if self.interpolation != "bilinear":
            raise NotImplementedError(
                f"UpSampling2D: interpolation={self.interpolation!r} is not implemented by "
                "lamina yet; use 'nearest' or 'bilinear'."
            )
        dtype = inputs.dtype
        wh = _bilinear_matrix(inputs.shape[h_axis], self.size[0], dtype)
        ww = _bilinear_matrix(inputs.shape[w_axis], self.size[1], dtype)
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
