"""``lamina.layers.Dense`` (Keras 3's ``keras.layers.Dense``)."""

from lamina import _lamina
from lamina import activations
from lamina import constraints
from lamina import initializers
from lamina import ops
from lamina import regularizers
from lamina.layers import _unsupported
from lamina.layers.core import _lora
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer


class Dense(Layer):
    """Just your regular densely-connected NN layer.

    `Dense` implements the operation ``output = activation(dot(input, kernel) + bias)``, where
    `kernel` is a weights matrix created by the layer and `bias` a bias vector (only when
    `use_bias` is `True`). On inputs of rank greater than 2 the dot product runs along the last
    axis of the inputs: ``(batch_size, d0, d1)`` inputs give ``(batch_size, d0, units)`` outputs.

    Args:
        units: Positive integer, dimensionality of the output space.
        activation: Activation function to use. Defaults to no activation (``"linear"``).
        use_bias: Boolean, whether the layer uses a bias vector. Defaults to `True`.
        kernel_initializer: Initializer for the `kernel` weights matrix.
            Defaults to ``"glorot_uniform"``.
        bias_initializer: Initializer for the bias vector. Defaults to ``"zeros"``.
        kernel_regularizer: Regularizer function applied to the `kernel` weights matrix.
        bias_regularizer: Regularizer function applied to the bias vector.
        activity_regularizer: Regularizer function applied to the output of the layer.
        kernel_constraint: Constraint function applied to the `kernel` weights matrix.
        bias_constraint: Constraint function applied to the bias vector.
        lora_rank: Optional integer. If set, the forward pass implements LoRA (Low-Rank
            Adaptation) with this rank: the kernel becomes non-trainable and the effective
            kernel is ``kernel + (lora_alpha / lora_rank) * lora_kernel_a @ lora_kernel_b``.
            LoRA can also be enabled on a built layer with `enable_lora(rank)`.
        lora_alpha: Optional scale of the LoRA delta (``lora_alpha / lora_rank``).
            Defaults to `lora_rank`.
        quantization_config: Accepted for Keras 3 compatibility: only `None` (no quantization,
            the default). lamina has no quantized layers, so any other value raises a
            `ValueError`.

    Input shape:
        N-D tensor with shape ``(batch_size, ..., input_dim)``.

    Output shape:
        N-D tensor with shape ``(batch_size, ..., units)``.

    Example:

    >>> layer = lamina.layers.Dense(4, activation="relu")
    >>> layer(lamina.ops.ones((2, 3))).shape
    (2, 4)
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 lora_rank=None, lora_alpha=None, quantization_config=None, **kwargs):
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        _unsupported.check_quantization_config(self, quantization_config)
        self.quantization_config = quantization_config
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        _lora.init_lora(self, lora_rank, lora_alpha)
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape):
        kernel_shape = (input_shape[-1], self.units)
        self._kernel = self.add_weight(
            name="kernel",
            shape=kernel_shape,
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_shape[-1]})
        _lora.finish_build(self)

    @property
    def kernel(self):
        """The effective kernel: the stored one, plus the scaled LoRA delta when enabled."""
        return _lora.effective_weight(self, "kernel", cast=True)

    def call(self, inputs, training=None):
        # One engine kernel computes matmul, bias and a linear/relu activation together (one
        # output buffer, one recorded op); other activations are applied after it.
        activation = self.activation
        if self.lora_enabled or not self.built or type(self).kernel is not _DENSE_KERNEL:
            kernel = self.kernel
        else:
            kernel = self._kernel  # what the `kernel` property returns, without its call
        if activation is activations.relu:
            return _lamina._dense(inputs, kernel, self.bias, "relu")
        x = _lamina._dense(inputs, kernel, self.bias, "linear")
        if activation is not None and activation is not activations.linear:
            x = activation(x)
        return x

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[-1] = self.units
        return tuple(output_shape)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Turns on LoRA: freezes `kernel` and adds the trainable `lora_kernel_a` (input_dim,
        rank) and `lora_kernel_b` (rank, units), float32, initialized with `a_initializer` and
        `b_initializer` (so the effective kernel starts equal to the kernel)."""
        _lora.enable_lora(
            self, "kernel", rank, lora_alpha, a_initializer, b_initializer,
            constraint=self.kernel_constraint,
            constraint_error=(
                "Lora is incompatible with kernel constraints. In order to enable lora on this "
                "layer, remove the `kernel_constraint` argument."
            ),
            regularizer=self.kernel_regularizer,
            dtype="float32",
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": self.quantization_config,
        }
        return {**base_config, **_lora.add_lora_config(self, config)}

    @classmethod
    def from_config(cls, config):
        """Creates the layer from its config (Keras 3's included); refuses, with a ValueError
        naming the layer, a `quantization_config` or a quantized dtype policy."""
        _unsupported.check_config(
            cls, config, {"quantization_config": _unsupported.NO_QUANTIZATION}
        )
        return super().from_config(config)


_DENSE_KERNEL = Dense.kernel
