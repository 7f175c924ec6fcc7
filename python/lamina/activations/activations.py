"""Built-in activation functions (Keras 3's ``keras.activations``), computed by lamina.ops."""

from lamina import ops


def _with_logits(output, x):
    """`output` of `softmax`/`sigmoid`, with its logits `x` cached on it where it can hold them.

    Keras caches the logits on the output for crossentropy losses; lamina.Tensor has no attribute
    dict, so (like Keras with C-typed tensors) nothing is cached.
    """
    try:
        output._keras_logits = x
    except AttributeError:
        pass
    return output


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Applies the rectified linear unit activation function.

    With default values, this returns the standard ReLU activation: `max(x, 0)`, the element-wise
    maximum of 0 and the input tensor.

    Modifying default parameters allows you to use non-zero thresholds, change the max value of
    the activation, and to use a non-zero multiple of the input for values below the threshold.

    Examples:

    >>> x = [-10, -5, 0.0, 5, 10]
    >>> lamina.activations.relu(x)
    tensor([ 0.,  0.,  0.,  5., 10.], shape=(5,), dtype=float32)
    >>> lamina.activations.relu(x, negative_slope=0.5)
    tensor([-5. , -2.5,  0. ,  5. , 10. ], shape=(5,), dtype=float32)
    >>> lamina.activations.relu(x, max_value=5.)
    tensor([0., 0., 0., 5., 5.], shape=(5,), dtype=float32)
    >>> lamina.activations.relu(x, threshold=5.)
    tensor([-0., -0.,  0.,  0., 10.], shape=(5,), dtype=float32)

    Args:
        x: Input tensor.
        negative_slope: A `float` that controls the slope for values lower than the threshold.
        max_value: A `float` that sets the saturation threshold (the largest value the function
            will return).
        threshold: A `float` giving the threshold value of the activation function below which
            values will be damped or set to zero.

    Returns:
        A tensor with the same shape and dtype as input `x`.
    """
    x = ops.convert_to_tensor(x)
    if negative_slope != 0.0:
        if max_value is None and threshold == 0:
            return ops.leaky_relu(x, negative_slope=negative_slope)
        # The part below the threshold, scaled by -negative_slope and added back at the end.
        if threshold != 0:
            negative_part = ops.relu(-x + threshold)
        else:
            negative_part = ops.relu(-x)

    clip_max = max_value is not None
    if threshold != 0:
        # x where x > threshold, else (signed) zero.
        above = ops.greater(x, ops.cast(threshold, x.dtype))
        x = x * ops.cast(above, x.dtype)
    elif max_value == 6:
        x = ops.relu6(x)
        clip_max = False
    else:
        x = ops.relu(x)

    if clip_max:
        x = ops.clip(x, ops.cast(0.0, x.dtype), ops.cast(max_value, x.dtype))

    if negative_slope != 0.0:
        x = x - negative_slope * negative_part
    return x


def leaky_relu(x, negative_slope=0.2):
    """Leaky relu activation function.

    Args:
        x: Input tensor.
        negative_slope: A `float` that controls the slope for values lower than the threshold.
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x):
    """Relu6 activation function.

    It's the ReLU function, but truncated to a maximum value of 6.

    Args:
        x: Input tensor.
    """
    return ops.relu6(x)


def softmax(x, axis=-1):
    """Softmax converts a vector of values to a probability distribution.

    The elements of the output vector are in range `[0, 1]` and sum to 1. Each input vector is
    handled independently; `axis` sets which axis of the input the function is applied along.
    The softmax of each vector x is computed as `exp(x) / sum(exp(x))`.

    Args:
        x: Input tensor.
        axis: Integer, axis along which the softmax is applied.
    """
    return _with_logits(ops.softmax(x, axis=axis), x)


def elu(x, alpha=1.0):
    """Exponential Linear Unit.

    The exponential linear unit (ELU) with `alpha > 0` is defined as `x` if `x > 0` and
    `alpha * (exp(x) - 1)` if `x < 0`.

    Args:
        x: Input tensor.
        alpha: A scalar, slope of positive section. Defaults to `1.0`.

    Reference:

    - [Clevert et al., 2016](https://arxiv.org/abs/1511.07289)
    """
    return ops.elu(x, alpha=alpha)


def selu(x):
    """Scaled Exponential Linear Unit (SELU).

    `scale * x` if `x > 0` and `scale * alpha * (exp(x) - 1)` if `x < 0`, where `alpha` and
    `scale` are pre-defined constants (`alpha=1.67326324` and `scale=1.05070098`).

    Args:
        x: Input tensor.

    Reference:

    - [Klambauer et al., 2017](https://arxiv.org/abs/1706.02515)
    """
    return ops.selu(x)


def softplus(x):
    """Softplus activation function, `softplus(x) = log(exp(x) + 1)`.

    Args:
        x: Input tensor.
    """
    return ops.softplus(x)


def softsign(x):
    """Softsign activation function, `softsign(x) = x / (abs(x) + 1)`.

    Args:
        x: Input tensor.
    """
    return ops.softsign(x)


def soft_shrink(x, threshold=0.5):
    """Soft Shrink activation function.

    `soft_shrink(x) = x - threshold` if `x > threshold`, `x + threshold` if `x < -threshold`,
    `0` otherwise.

    Args:
        x: Input tensor.
        threshold: Threshold value. Defaults to 0.5.
    """
    return ops.soft_shrink(x, threshold=threshold)


def sparse_plus(x):
    """SparsePlus activation function.

    `0` for `x <= -1`, `(1/4) * (x + 1)^2` for `-1 < x < 1`, `x` for `x >= 1`.

    Args:
        x: Input tensor.
    """
    return ops.sparse_plus(x)


def silu(x):
    """Swish (or Silu) activation function, `swish(x) = x * sigmoid(x)`.

    Args:
        x: Input tensor.

    Reference:

    - [Ramachandran et al., 2017](https://arxiv.org/abs/1710.05941)
    """
    return ops.silu(x)


swish = silu


def squareplus(x, b=4):
    """Squareplus activation function, `f(x) = (x + sqrt(x^2 + b)) / 2`.

    Args:
        x: Input tensor.
        b: Smoothness parameter. Defaults to 4.

    Reference:

    - [Ramachandran et al., 2021](https://arxiv.org/abs/2112.11687)
    """
    return ops.squareplus(x, b=b)


def gelu(x, approximate=False):
    """Gaussian error linear unit (GELU) activation function.

    `gelu(x) = x * P(X <= x)` where `P(X) ~ N(0, 1)`, i.e.
    `gelu(x) = 0.5 * x * (1 + erf(x / sqrt(2)))`.

    Args:
        x: Input tensor.
        approximate: A `bool`, whether to enable approximation.

    Reference:

    - [Hendrycks et al., 2016](https://arxiv.org/abs/1606.08415)
    """
    return ops.gelu(x, approximate=approximate)


def celu(x, alpha=1.0):
    """Continuously Differentiable Exponential Linear Unit.

    `celu(x) = alpha * (exp(x / alpha) - 1)` for `x < 0`, `celu(x) = x` for `x >= 0`.

    Args:
        x: Input tensor.
        alpha: The α value for the CeLU formulation. Defaults to `1.0`.

    Reference:

    - [Barron, J. T., 2017](https://arxiv.org/abs/1704.07483)
    """
    return ops.celu(x, alpha=alpha)


def glu(x, axis=-1):
    """Gated Linear Unit (GLU) activation function.

    `glu(x) = a * sigmoid(b)`, where `x` is split into two equal parts `a` and `b` along `axis`.

    Args:
        x: Input tensor.
        axis: The axis along which to split the input tensor. Defaults to `-1`.

    Reference:

    - [Dauphin et al., 2017](https://arxiv.org/abs/1612.08083)
    """
    return ops.glu(x, axis=axis)


def tanh(x):
    """Hyperbolic tangent activation function, `tanh(x) = sinh(x) / cosh(x)`.

    Args:
        x: Input tensor.
    """
    return ops.tanh(x)


def tanh_shrink(x):
    """Tanh shrink activation function, `f(x) = x - tanh(x)`.

    Args:
        x: Input tensor.
    """
    return ops.tanh_shrink(x)


def hard_tanh(x):
    """HardTanh activation function.

    `-1` for `x < -1`, `x` for `-1 <= x <= 1`, `1` for `x > 1`.

    Args:
        x: Input tensor.
    """
    return ops.hard_tanh(x)


def hard_shrink(x, threshold=0.5):
    """Hard Shrink activation function.

    `hard_shrink(x) = x` if `|x| > threshold`, `0` otherwise.

    Args:
        x: Input tensor.
        threshold: Threshold value. Defaults to 0.5.
    """
    return ops.hard_shrink(x, threshold=threshold)


def threshold(x, threshold, default_value):
    """Threshold activation function.

    `threshold(x) = x` if `x > threshold`, `default_value` otherwise.

    Args:
        x: Input tensor.
        threshold: The value that decides when to retain or replace x.
        default_value: Value to assign when `x <= threshold`.
    """
    return ops.threshold(x, threshold, default_value)


def sigmoid(x):
    """Sigmoid activation function, `sigmoid(x) = 1 / (1 + exp(-x))`.

    For small values (<-5), `sigmoid` returns a value close to zero, and for large values (>5)
    the result of the function gets close to 1. It always returns a value between 0 and 1.

    Args:
        x: Input tensor.
    """
    return _with_logits(ops.sigmoid(x), x)


def exponential(x):
    """Exponential activation function.

    Args:
        x: Input tensor.
    """
    return ops.exp(x)


def hard_sigmoid(x):
    """Hard sigmoid activation function.

    `0` if `x <= -3`, `1` if `x >= 3`, `(x/6) + 0.5` if `-3 < x < 3`.

    Args:
        x: Input tensor.
    """
    return ops.hard_sigmoid(x)


def hard_silu(x):
    """Hard SiLU activation function, also known as Hard Swish.

    `0` if `x < -3`, `x` if `x > 3`, `x * (x + 3) / 6` if `-3 <= x <= 3`.

    Args:
        x: Input tensor.

    Reference:

    - [A Howard, 2019](https://arxiv.org/abs/1905.02244)
    """
    x = ops.convert_to_tensor(x)
    return ops.hard_silu(x)


hard_swish = hard_silu


def linear(x):
    """Linear activation function (pass-through): returns the input, unmodified.

    Args:
        x: Input tensor.
    """
    return x


def mish(x):
    """Mish activation function, `mish(x) = x * tanh(softplus(x))`.

    Args:
        x: Input tensor.

    Reference:

    - [Misra, 2019](https://arxiv.org/abs/1908.08681)
    """
    x = ops.convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


def log_softmax(x, axis=-1):
    """Log-Softmax activation function.

    Each input vector is handled independently; `axis` sets which axis of the input the function
    is applied along.

    Args:
        x: Input tensor.
        axis: Integer, axis along which the softmax is applied.
    """
    return ops.log_softmax(x, axis=axis)


def log_sigmoid(x):
    """Logarithm of the sigmoid activation function, `f(x) = log(1 / (1 + exp(-x)))`.

    Args:
        x: Input tensor.
    """
    return ops.log_sigmoid(x)


def sparse_sigmoid(x):
    """Sparse sigmoid activation function.

    `0` for `x <= -1`, `0.5 * (x + 1)` for `-1 < x < 1`, `1` for `x >= 1`.

    Args:
        x: Input tensor.

    Reference:

    - [M. Blondel, A. F. T. Martins, V. Niculae, 2019](https://arxiv.org/pdf/1901.02324)
    """
    return ops.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    """Sparsemax activation function.

    For each batch `i`, and class `j`, `sparsemax(x)[i, j] = max(x[i, j] - τ(x[i, :]), 0)`.

    Args:
        x: Input tensor.
        axis: `int`, axis along which the sparsemax operation is applied.

    Returns:
        A tensor, output of sparsemax transformation. Has the same type and shape as `x`.

    Reference:

    - [Martins et.al., 2016](https://arxiv.org/abs/1602.02068)
    """
    x = ops.convert_to_tensor(x)
    return ops.sparsemax(x, axis=axis)
