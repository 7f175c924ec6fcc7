"""``lamina.layers.EinsumDense`` (Keras 3's ``keras.layers.EinsumDense``)."""

import re

from lamina import activations
from lamina import constraints
from lamina import initializers
from lamina import ops
from lamina import regularizers
from lamina.initializers.random_initializers import VarianceScaling
from lamina.layers import _unsupported
from lamina.layers.core import _lora
from lamina.layers.input_spec import InputSpec
from lamina.layers.layer import Layer


class EinsumDense(Layer):
    """A layer that uses `einsum` as the backing computation.

    This layer can perform einsum calculations of arbitrary dimensionality.

    Args:
        equation: An equation describing the einsum to perform, of the form ``ab,bc->ac``,
            ``...ab,bc->...ac`` or ``ab...,bc->ac...``.
        output_shape: The expected shape of the output tensor (excluding the batch dimension
            and any dimensions represented by ellipses). `None` for any dimension that is
            unknown or can be inferred from the input shape.
        activation: Activation function to use. Defaults to no activation.
        bias_axes: A string containing the output dimension(s) to apply a bias to. Each
            character must be a character of the output part of `equation`.
        kernel_initializer: Initializer for the `kernel` weights matrix.
        bias_initializer: Initializer for the bias vector.
        kernel_regularizer: Regularizer function applied to the `kernel` weights matrix.
        bias_regularizer: Regularizer function applied to the bias vector.
        kernel_constraint: Constraint function applied to the `kernel` weights matrix.
        bias_constraint: Constraint function applied to the bias vector.
        lora_rank: Optional integer: LoRA on the kernel (factorized on its last dimension).
        lora_alpha: Optional scale of the LoRA delta (``lora_alpha / lora_rank``).
        gptq_unpacked_column_size: Keras 3's column count of a GPTQ-packed kernel. Only
            meaningful for a GPTQ-quantized layer; lamina has none, so it is kept (and written
            back to the config) but has no effect.
        quantization_config: Accepted for Keras 3 compatibility: only `None` (no quantization,
            the default). lamina has no quantized layers, so any other value raises a
            `ValueError`.
        **kwargs: Base layer keyword arguments, such as `name` and `dtype`.

    A VarianceScaling kernel initializer (``"glorot_uniform"``, the default, among them) without
    `input_axes`/`output_axes` computes its fans from the kernel axes the equation contracts with
    the input (fan in) and the ones it carries to the output (fan out), as in Keras 3.

    Example:

    >>> layer = lamina.layers.EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
    >>> layer(lamina.ops.ones((2, 32, 128))).shape
    (2, 32, 64)
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        _unsupported.check_quantization_config(self, quantization_config)
        self.quantization_config = quantization_config
        self.gptq_unpacked_column_size = gptq_unpacked_column_size
        self.equation = equation
        if isinstance(output_shape, int):
            self.partial_output_shape = (output_shape,)
        else:
            self.partial_output_shape = tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        _lora.init_lora(self, lora_rank, lora_alpha)

    def build(self, input_shape):
        kernel_shape, bias_shape, full_output_shape, input_axes, output_axes = (
            _analyze_einsum_string(
                self.equation, self.bias_axes, input_shape, self.partial_output_shape
            )
        )
        self.full_output_shape = tuple(full_output_shape)
        self.input_spec = InputSpec(ndim=len(input_shape))
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, VarianceScaling) and (
            kernel_initializer.input_axes is None or kernel_initializer.output_axes is None
        ):
            kernel_initializer = _with_fan_axes(kernel_initializer, input_axes, output_axes)
        self._kernel = self.add_weight(
            name="kernel",
            shape=tuple(kernel_shape),
            initializer=kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
            dtype=self.dtype,
            trainable=True,
        )
        if bias_shape is not None:
            self.bias = self.add_weight(
                name="bias",
                shape=tuple(bias_shape),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
                dtype=self.dtype,
                trainable=True,
            )
        else:
            self.bias = None
        _lora.finish_build(self)

    @property
    def kernel(self):
        """The effective kernel: the stored one, plus the scaled LoRA delta when enabled."""
        return _lora.effective_weight(self, "kernel")

    def compute_output_shape(self, _):
        return self.full_output_shape

    def call(self, inputs, training=None):
        x = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        if self.activation is not None:
            x = self.activation(x)
        return x

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform", b_initializer="zeros"):
        """Turns on LoRA: freezes `kernel` and adds `lora_kernel_a` (kernel.shape[:-1] + (rank,))
        and `lora_kernel_b` (rank, kernel.shape[-1])."""
        _lora.enable_lora(
            self, "kernel", rank, lora_alpha, a_initializer, b_initializer,
            constraint=self.kernel_constraint,
            constraint_error=(
                "Lora is incompatible with kernel constraints. In order to enable lora on this "
                "layer, remove the `kernel_constraint` argument."
            ),
            regularizer=self.kernel_regularizer,
        )

    def get_config(self):
        base_config = super().get_config()
        config = {
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": self.quantization_config,
        }
        config = _lora.add_lora_config(self, config)
        if self.gptq_unpacked_column_size:
            config["gptq_unpacked_column_size"] = self.gptq_unpacked_column_size
        return {**base_config, **config}

    @classmethod
    def from_config(cls, config):
        """Creates the layer from its config (Keras 3's included); refuses, with a ValueError
        naming the layer, a `quantization_config` or a quantized dtype policy."""
        _unsupported.check_config(
            cls, config, {"quantization_config": _unsupported.NO_QUANTIZATION}
        )
        return super().from_config(config)


def _with_fan_axes(initializer, input_axes, output_axes):
    """A copy of the VarianceScaling `initializer` whose fans come from `input_axes` and
    `output_axes` of the kernel; it keeps the concrete seed, so an unseeded initializer draws
    what it would have drawn itself."""
    config = initializer.get_config()
    config["seed"] = initializer.seed
    config["input_axes"] = input_axes
    config["output_axes"] = output_axes
    return type(initializer).from_config(config)


def _analyze_einsum_string(equation, bias_axes, input_shape, output_shape):
    """The kernel, bias and full output shapes an EinsumDense equation needs, and the kernel
    axes that meet the input (`input_axes`) and the output (`output_axes`)."""
    dot_replaced = re.sub(r"\.\.\.", "0", equation)
    # No ellipsis.
    split = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dot_replaced)
    if split:
        return _analyze_split_string(split, bias_axes, input_shape, output_shape)
    # Ellipsis on the left.
    split = re.match("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dot_replaced)
    if split:
        return _analyze_split_string(split, bias_axes, input_shape, output_shape, left_elided=True)
    # Ellipsis on the right.
    split = re.match("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dot_replaced)
    if split:
        return _analyze_split_string(split, bias_axes, input_shape, output_shape)
    raise ValueError(
        f"Invalid einsum equation '{equation}'. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]...."
    )


def _analyze_split_string(split, bias_axes, input_shape, output_shape, left_elided=False):
    input_spec = split.group(1)
    weight_spec = split.group(2)
    output_spec = split.group(3)
    input_shape = tuple(input_shape)
    elided = len(input_shape) - len(input_spec)
    output_shape = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    # The batch dimension comes first, then the elided dimensions on their side.
    output_shape.insert(0, input_shape[0])
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output_shape.insert(1, input_shape[i])
    elif elided > 0:
        output_shape.extend(input_shape[len(input_shape) - elided:])

    if left_elided:
        # Leading dimensions are elided: input positions count from the end.
        input_dim_map = {dim: (i + elided) - len(input_shape) for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i + elided for i, dim in enumerate(output_spec)}
    else:
        input_dim_map = {dim: i for i, dim in enumerate(input_spec)}
        output_dim_map = {dim: i for i, dim in enumerate(output_spec)}

    for dim in input_spec:
        in_size = input_shape[input_dim_map[dim]]
        if dim in output_dim_map:
            out_size = output_shape[output_dim_map[dim]]
            if out_size is not None and out_size != in_size:
                raise ValueError(
                    f"Input shape and output shape do not match at shared dimension '{dim}'. "
                    f"Input shape is {in_size}, and output shape is {out_size}."
                )

    for dim in output_spec:
        if dim not in input_spec and dim not in weight_spec:
            raise ValueError(
                f"Dimension '{dim}' was specified in the output '{output_spec}' but has no "
                f"corresponding dim in the input spec '{input_spec}' or weight spec "
                f"'{output_spec}'"
            )

    weight_shape = []
    input_axes, output_axes = [], []
    for i, dim in enumerate(weight_spec):
        # A kernel dimension carried to the output is an output axis (even when the input has
        # it too); one the input contracts away is an input axis.
        if dim in output_dim_map:
            size = output_shape[output_dim_map[dim]]
            if size is None and dim in input_dim_map:
                size = input_shape[input_dim_map[dim]]
            weight_shape.append(size)
            output_axes.append(i)
        elif dim in input_dim_map:
            weight_shape.append(input_shape[input_dim_map[dim]])
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{dim}' did not have a match in either the input spec "
                f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                "must be fully specified."
            )

    if bias_axes is not None:
        num_left_elided = elided if left_elided else 0
        idx_map = {char: output_shape[i + num_left_elided] for i, char in enumerate(output_spec)}
        for char in bias_axes:
            if char not in output_spec:
                raise ValueError(
                    f"Bias dimension '{char}' was requested, but is not part of the output spec "
                    f"'{output_spec}'"
                )
        first_bias_location = min(output_spec.find(char) for char in bias_axes)
        bias_output_spec = output_spec[first_bias_location:]
        bias_shape = [idx_map[char] if char in bias_axes else 1 for char in bias_output_spec]
        if not left_elided:
            bias_shape.extend([1] * elided)
    else:
        bias_shape = None
    return weight_shape, bias_shape, output_shape, input_axes, output_axes
