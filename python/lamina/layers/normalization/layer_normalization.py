"""``LayerNormalization`` (Keras 3's ``keras.layers.LayerNormalization``)."""

import warnings

from lamina import _lamina
from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.normalization._utils import beta_gamma_config
from lamina.layers.normalization._utils import set_beta_gamma_arguments
from lamina.layers.normalization._utils import standardize_axis


class LayerNormalization(Layer):
    """Layer normalization layer (Ba et al., 2016).

    Normalizes the activations of the previous layer for each given example in a batch
    independently, rather than across a batch like Batch Normalization: for each sample,

    ```python
    x_normalized = (x - mean(x)) / sqrt(var(x) + epsilon)
    output = x_normalized * gamma + beta
    ```

    with the statistics taken over `axis`. `gamma` and `beta` span the axes of `axis`.

    Example:

    >>> layer = lamina.layers.LayerNormalization(axis=[1, 2, 3])
    >>> layer.build([5, 20, 30, 40])
    >>> layer.beta.shape
    (20, 30, 40)

    Args:
        axis: Integer or List/Tuple. The axis or axes to normalize across. Defaults to `-1`.
        epsilon: Small float added to variance to avoid dividing by zero. Defaults to 1e-3.
        center: If True, add offset of `beta` to normalized tensor. Defaults to `True`.
        scale: If True, multiply by `gamma`. Defaults to `True`.
        rms_scaling: Deprecated (Keras 3.15 warns). If True, `center` and `scale` are
            ignored, and the inputs are scaled by `gamma` and the inverse square root of their
            variance (plus `epsilon`), without subtracting the mean -- Keras' definition, which
            is not a root-mean-square normalization.
        beta_initializer: Initializer for the beta weight. Defaults to zeros.
        gamma_initializer: Initializer for the gamma weight. Defaults to ones.
        beta_regularizer: Optional regularizer for the beta weight.
        gamma_regularizer: Optional regularizer for the gamma weight.
        beta_constraint: Optional constraint for the beta weight.
        gamma_constraint: Optional constraint for the gamma weight.
        **kwargs: Base layer keyword arguments (e.g. `name` and `dtype`).
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        if rms_scaling:
            warnings.warn(
                "You passed `rms_scaling=True`, which is deprecated. This argument incorrectly "
                "scales the input by the variance, not the root mean square. To correctly use "
                "RMS Normalization, please use `keras.layers.RMSNormalization` instead.",
                stacklevel=2,
            )
        super().__init__(**kwargs)
        self.axis = standardize_axis(
            axis,
            "Expected an int or a list/tuple of ints for the argument 'axis', but "
            "received: {axis!r}",
        )
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        set_beta_gamma_arguments(self, beta_initializer, gamma_initializer, beta_regularizer,
                                 gamma_regularizer, beta_constraint, gamma_constraint)
        self.supports_masking = True
        self.autocast = False

    def _check_axes(self, input_shape):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for axis in axes:
            if axis >= len(input_shape) or axis < -len(input_shape):
                raise ValueError(
                    f"Axis {axis} is out of bounds for input shape {tuple(input_shape)}. "
                    "Ensure axis is within the range of input dimensions."
                )
        return axes

    def build(self, input_shape):
        axes = self._check_axes(input_shape)
        shape = tuple(input_shape[dim] for dim in axes)
        if not isinstance(self.axis, list):
            self.axis = [self.axis]
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(name="gamma", shape=shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True,
                                         autocast=False)
        else:
            self.gamma = None
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(name="beta", shape=shape, initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True,
                                        autocast=False)
        else:
            self.beta = None

    def call(self, inputs):
        inputs = ops.cast(inputs, self.compute_dtype)
        ndims = inputs.ndim
        self._check_axes(inputs.shape)
        axes = tuple(sorted(a % ndims for a in self.axis))
        broadcast_shape = [1] * ndims
        for dim in axes:
            broadcast_shape[dim] = inputs.shape[dim]

        def _broadcast(v, dtype):
            if v is None:
                return None
            v = ops.cast(v, dtype)
            if axes != (ndims - 1,):
                # gamma/beta are stored in the order of `axis`; bring them to input order.
                order = [a % ndims for a in self.axis]
                if order != sorted(order):
                    v = ops.transpose(v, [order.index(a) for a in sorted(order)])
                v = ops.reshape(v, broadcast_shape)
            return v

        input_dtype = inputs.dtype
        if input_dtype in ("float16", "bfloat16") and self.dtype == "float32":
            # Mixed precision: normalize in float32 for stability.
            inputs = ops.cast(inputs, "float32")
        dtype = inputs.dtype
        if not self.rms_scaling and axes == (ndims - 1,) and dtype in ("float32", "float64"):
            # Normalizing over the last axis: one engine kernel forward and one backward.
            gamma = None if self.gamma is None else ops.cast(self.gamma, dtype)
            beta = None if self.beta is None else ops.cast(self.beta, dtype)
            outputs = _lamina._layer_norm(inputs, gamma, beta, self.epsilon)
        elif self.rms_scaling:
            variance = ops.var(inputs, axis=axes, keepdims=True)
            outputs = inputs * ops.rsqrt(variance + self.epsilon) * _broadcast(self.gamma, dtype)
        else:
            mean = ops.mean(inputs, axis=axes, keepdims=True)
            variance = ops.mean(ops.square(inputs - mean), axis=axes, keepdims=True)
            inv = ops.rsqrt(variance + self.epsilon)
            gamma = _broadcast(self.gamma, dtype)
            beta = _broadcast(self.beta, dtype)
            if gamma is not None:
                inv = inv * gamma
            res = -mean * inv
            if beta is not None:
                res = res + beta
            outputs = inputs * inv + res
        return ops.cast(outputs, input_dtype)

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)):
            raise TypeError(
                f"Invalid input shape type: expected tuple or list. Received: {type(input_shape)}"
            )
        self._check_axes(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **beta_gamma_config(self),
        })
        return config
