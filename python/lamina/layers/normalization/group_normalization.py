"""``GroupNormalization`` (Keras 3's ``keras.layers.GroupNormalization``)."""

from lamina import ops
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer
from lamina.layers.normalization._utils import beta_gamma_config
from lamina.layers.normalization._utils import set_beta_gamma_arguments


class GroupNormalization(Layer):
    """Group normalization layer.

    Group Normalization divides the channels into groups and computes within each group the
    mean and variance for normalization. Empirically, its accuracy is more stable than batch
    norm in a wide range of small batch sizes, if learning rate is adjusted linearly with batch
    sizes. With `groups` equal to the number of channels it is Instance Normalization; with
    `groups=1` it is close to Layer Normalization.

    Args:
        groups: Integer, the number of groups for Group Normalization. Can be in the range
            `[1, N]` where N is the input dimension. The input dimension must be divisible by
            the number of groups. Defaults to 32.
        axis: Integer, the axis along which to normalize (the channels). Defaults to -1.
        epsilon: Small float added to variance to avoid dividing by zero. Defaults to 1e-3.
        center: If `True`, add offset of `beta` to normalized tensor.
        scale: If `True`, multiply by `gamma`.
        beta_initializer: Initializer for the beta weight.
        gamma_initializer: Initializer for the gamma weight.
        beta_regularizer: Optional regularizer for the beta weight.
        gamma_regularizer: Optional regularizer for the gamma weight.
        beta_constraint: Optional constraint for the beta weight.
        gamma_constraint: Optional constraint for the gamma weight.
        **kwargs: Base layer keyword arguments (e.g. `name` and `dtype`).

    Reference:

    - [Yuxin Wu & Kaiming He, 2018](https://arxiv.org/abs/1803.08494)
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        set_beta_gamma_arguments(self, beta_initializer, gamma_initializer, beta_regularizer,
                                 gamma_regularizer, beta_constraint, gamma_constraint)

    def build(self, input_shape):
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(
                f"Layer '{self.name}' (GroupNormalization): invalid `axis` for an input of rank "
                f"{rank}. Received: axis={self.axis}, input_shape={tuple(input_shape)}"
            )
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(
                f"Axis {self.axis} of input tensor should have a defined dimension but the "
                f"layer received an input with shape {tuple(input_shape)}."
            )
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(
                f"Number of groups ({self.groups}) cannot be more than the number of channels "
                f"({dim})."
            )
        if dim % self.groups != 0:
            raise ValueError(
                f"Number of groups ({self.groups}) must be a multiple of the number of channels "
                f"({dim})."
            )
        self.input_spec = InputSpec(ndim=rank, axes={self.axis: dim})
        if self.scale:
            self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        else:
            self.gamma = None
        if self.center:
            self.beta = self.add_weight(shape=(dim,), name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        else:
            self.beta = None

    def _grouped_shape(self, shape):
        """`shape` with the channel axis split into (groups, channels // groups)."""
        axis = self.axis % len(shape)
        return (list(shape[:axis]) + [self.groups, shape[axis] // self.groups]
                + list(shape[axis + 1:]))

    def call(self, inputs):
        input_dtype = inputs.dtype
        x = inputs
        if input_dtype in ("float16", "bfloat16"):
            x = ops.cast(x, "float32")
        shape = tuple(x.shape)
        axis = self.axis % len(shape)
        grouped = ops.reshape(x, self._grouped_shape(shape))
        # Statistics over everything but the batch axis and the group axis.
        reduction_axes = tuple(i for i in range(1, len(shape) + 1) if i != axis)
        mean = ops.mean(grouped, axis=reduction_axes, keepdims=True)
        variance = ops.mean(ops.square(grouped - mean), axis=reduction_axes, keepdims=True)
        inv = ops.rsqrt(variance + self.epsilon)
        broadcast_shape = [1] * len(shape)
        broadcast_shape[axis] = shape[axis]
        broadcast_shape = self._grouped_shape(broadcast_shape)
        broadcast_shape[axis] = self.groups
        if self.scale:
            inv = inv * ops.reshape(ops.cast(self.gamma, x.dtype), broadcast_shape)
        res = -mean * inv
        if self.center:
            res = res + ops.reshape(ops.cast(self.beta, x.dtype), broadcast_shape)
        outputs = ops.reshape(grouped * inv + res, shape)
        return ops.cast(outputs, input_dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **beta_gamma_config(self),
        })
        return config
