"""``BatchNormalization`` (Keras 3's ``keras.layers.BatchNormalization``)."""

from lamina import _lamina
from lamina import constraints
from lamina import initializers
from lamina import ops
from lamina import regularizers
from lamina.backend import config as backend_config
from lamina.layers import _unsupported
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.normalization._utils import set_beta_gamma_arguments


def _normalize(x, mean, variance, offset, scale, epsilon):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset``, as one scale and one shift."""
    inv = ops.rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    res = -mean * inv
    if offset is not None:
        res = res + offset
    return x * inv + res


class BatchNormalization(Layer):
    """Layer that normalizes its inputs.

    Batch normalization applies a transformation that maintains the mean output close to 0 and
    the output standard deviation close to 1. It works differently during training and during
    inference.

    **During training** (`training=True`), the layer normalizes its output using the mean and
    variance of the current batch of inputs:
    `gamma * (batch - mean(batch)) / sqrt(var(batch) + epsilon) + beta`, and updates the
    non-trainable moving statistics:

    - `moving_mean = moving_mean * momentum + mean(batch) * (1 - momentum)`
    - `moving_var = moving_var * momentum + var(batch) * (1 - momentum)`

    **During inference** (the default), it uses the moving statistics:
    `gamma * (batch - moving_mean) / sqrt(moving_var + epsilon) + beta`.

    Setting `layer.trainable = False` freezes the layer *and* makes it run in inference mode,
    as in Keras 3.

    Args:
        axis: Integer, the axis that should be normalized (typically the features axis).
        momentum: Momentum for the moving average.
        epsilon: Small float added to variance to avoid dividing by zero.
        center: If `True`, add offset of `beta` to normalized tensor.
        scale: If `True`, multiply by `gamma`.
        beta_initializer: Initializer for the beta weight.
        gamma_initializer: Initializer for the gamma weight.
        moving_mean_initializer: Initializer for the moving mean.
        moving_variance_initializer: Initializer for the moving variance.
        beta_regularizer: Optional regularizer for the beta weight.
        gamma_regularizer: Optional regularizer for the gamma weight.
        beta_constraint: Optional constraint for the beta weight.
        gamma_constraint: Optional constraint for the gamma weight.
        renorm: Whether to use Batch Renormalization, which lamina does not implement: only
            `False` (the default) is accepted; `True` raises a `ValueError`.
        renorm_clipping: Keras 3's clipping of the renormalization corrections (a dict with
            keys among ``"rmax"``, ``"rmin"``, ``"dmax"``). Only used with `renorm=True`, so it
            has no effect; it is kept for the config.
        renorm_momentum: Keras 3's momentum of the renormalization statistics. Only used with
            `renorm=True`, so it has no effect; it is kept for the config. Defaults to `0.99`.
        synchronized: Only meaningful for multi-device training, which lamina does not have:
            `True` is rejected as Keras rejects it outside the TensorFlow backend.
        **kwargs: Base layer keyword arguments (e.g. `name` and `dtype`).

    Call arguments:
        inputs: Input tensor (of any rank).
        training: Whether to normalize with the batch statistics (and update the moving ones).
        mask: Boolean tensor of the input's shape without the normalized axis; masked-out
            positions are left out of the batch statistics.
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, renorm=False, renorm_clipping=None,
                 renorm_momentum=0.99, synchronized=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)
        for option, value in (("synchronized", synchronized), ("renorm", renorm)):
            ok, reason = _SUPPORTED[option](value)
            if not ok:
                raise _unsupported.unsupported_option(
                    "BatchNormalization", self.name, option, value, reason
                )
        self.synchronized = synchronized
        self.renorm = renorm
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        set_beta_gamma_arguments(self, beta_initializer, gamma_initializer, beta_regularizer,
                                 gamma_regularizer, beta_constraint, gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): invalid `axis` for an input of "
                f"rank {rank}. Received: axis={self.axis}, input_shape={tuple(input_shape)}"
            )
        axis = self.axis % rank
        if input_shape[axis] is None:
            raise ValueError(
                f"Layer '{self.name}' (BatchNormalization): axis {self.axis} of the input should "
                f"have a defined dimension. Received: input_shape={tuple(input_shape)}"
            )
        shape = (input_shape[axis],)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True,
                                         autocast=False)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True,
                                        autocast=False)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: input_shape[axis]})
        self._reduction_axes = [i for i in range(rank) if i != axis]
        self._broadcast_shape = [1] * rank
        self._broadcast_shape[axis] = input_shape[axis]

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, inputs, training=None, mask=None):
        if mask is not None:
            mask = ops.convert_to_tensor(mask)
            if mask.ndim != inputs.ndim - 1:
                raise ValueError(
                    "The mask provided should be one dimension less than the inputs. "
                    f"Received: mask.shape={tuple(mask.shape)}, inputs.shape={tuple(inputs.shape)}"
                )
        input_dtype = inputs.dtype
        if input_dtype in ("float16", "bfloat16"):
            # Float16 statistics overflow easily: BN computes in float32 (as Keras does).
            inputs = ops.cast(inputs, "float32")
        dtype = inputs.dtype
        gamma = ops.cast(self.gamma, dtype) if self.scale else None
        beta = ops.cast(self.beta, dtype) if self.center else None
        if training and self.trainable:
            if mask is None and self.axis % inputs.ndim == inputs.ndim - 1:
                # Features on the last axis: statistics, normalization and (under a tape) the
                # backward are each one engine kernel.
                outputs, mean, variance = _lamina._batch_norm(inputs, gamma, beta, self.epsilon)
                self._update_moving_statistics(mean, variance, dtype)
                return outputs if dtype == input_dtype else ops.cast(outputs, input_dtype)
            mean, variance = self._moments(inputs, mask)
            self._update_moving_statistics(mean, variance, dtype)
        else:
            mean = ops.cast(self.moving_mean, dtype)
            variance = ops.cast(self.moving_variance, dtype)
        mean = ops.reshape(mean, self._broadcast_shape)
        variance = ops.reshape(variance, self._broadcast_shape)
        if gamma is not None:
            gamma = ops.reshape(gamma, self._broadcast_shape)
        if beta is not None:
            beta = ops.reshape(beta, self._broadcast_shape)
        outputs = _normalize(inputs, mean, variance, beta, gamma, self.epsilon)
        if input_dtype in ("float16", "bfloat16"):
            outputs = ops.cast(outputs, input_dtype)
        return outputs

    def _update_moving_statistics(self, mean, variance, dtype):
        """moving = moving * momentum + batch statistic * (1 - momentum)."""
        moving_mean = ops.cast(self.moving_mean, dtype)
        moving_variance = ops.cast(self.moving_variance, dtype)
        new_mean = moving_mean * self.momentum + ops.stop_gradient(mean) * (1.0 - self.momentum)
        new_var = (moving_variance * self.momentum
                   + ops.stop_gradient(variance) * (1.0 - self.momentum))
        self.moving_mean.assign(ops.cast(new_mean, self.moving_mean.dtype))
        self.moving_variance.assign(ops.cast(new_var, self.moving_variance.dtype))

    def _moments(self, inputs, mask):
        axes = tuple(self._reduction_axes)
        if mask is None:
            mean = ops.mean(inputs, axis=axes, keepdims=True)
            variance = ops.mean(ops.square(inputs - mean), axis=axes, keepdims=True)
            return ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))
        # Masked moments: each position weighted by its mask value.
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), self.axis % inputs.ndim)
        eps = backend_config.epsilon()
        weighted = weights * inputs
        total = ops.sum(weights * ops.ones_like(inputs), axis=axes, keepdims=True)
        mean = ops.sum(weighted, axis=axes, keepdims=True) / (total + eps)
        variance = ops.sum(weights * ops.square(inputs - mean), axis=axes, keepdims=True) / (total + eps)
        return ops.reshape(mean, (-1,)), ops.reshape(variance, (-1,))

    def get_config(self):
        config = super().get_config()
        config.update({
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return config

    @classmethod
    def from_config(cls, config):
        """Creates the layer from its config (Keras 3's included); refuses, with a ValueError
        naming the layer, `renorm=True` and `synchronized=True`."""
        _unsupported.check_config(cls, config, _SUPPORTED)
        return super().from_config(config)


# The Keras 3 options lamina honours only at their no-op value: (value is honoured, reason).
_SUPPORTED = {
    "synchronized": lambda value: (
        not value,
        "synchronized=True is only supported with the TensorFlow backend; lamina trains on one "
        "device",
    ),
    "renorm": lambda value: (not value, "Batch Renormalization is not implemented"),
}
