"""Neural-network activation ops (``keras.ops`` / ``keras.ops.nn`` names) composed from lamina.ops.

Each function here is a short composition of engine ops (``where``, ``clip``, ``exp``, ``sort``,
``cumsum``...), so it runs in the Rust engine and is differentiated by ``lamina.GradientTape``
without a backward rule of its own. Python scalars enter as weak operands, so ``float16`` and
``bfloat16`` inputs stay in their dtype; integer and bool inputs are computed in ``floatx()``
(``float32``) except where the result is exactly representable in the input dtype
(``relu6``, ``hard_tanh``, ``hard_shrink``, ``threshold``).

Where a branch of ``where`` could overflow (``exp`` of a large input), the branch's argument is
itself masked with ``where`` first, so that the branch not taken contributes a zero gradient,
never ``0 * inf = nan``.
"""

import math

from lamina.backend.config import floatx
from lamina.ops._core import arange
from lamina.ops._core import cast
from lamina.ops._core import convert_to_tensor
from lamina.ops._elementwise import abs as _abs
from lamina.ops._elementwise import clip
from lamina.ops._elementwise import erf
from lamina.ops._elementwise import expm1
from lamina.ops._elementwise import maximum
from lamina.ops._elementwise import sigmoid
from lamina.ops._elementwise import softplus
from lamina.ops._elementwise import sqrt
from lamina.ops._elementwise import square
from lamina.ops._elementwise import tanh
from lamina.ops._elementwise import where
from lamina.ops._reduce import cumsum
from lamina.ops._reduce import sort
from lamina.ops._reduce import sum as _sum
from lamina.ops._shape import reshape
from lamina.ops._shape import split

_FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")

# SELU's constants (Klambauer et al., 2017), as in Keras.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(x):
    return convert_to_tensor(x)


def _float_tensor(x):
    """`x` as a Tensor of a floating dtype (integers and bool become `floatx()`)."""
    x = convert_to_tensor(x)
    if x.dtype not in _FLOAT_DTYPES:
        x = cast(x, floatx())
    return x


def relu6(x):
    """Rectified linear unit activation function with upper bound of 6.

    It is defined as `f(x) = np.clip(x, 0, 6)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.

    Example:

    >>> x = lamina.ops.convert_to_tensor([-3.0, -2.0, 0.1, 0.2, 6.0, 8.0])
    >>> lamina.ops.relu6(x)
    tensor([0. , 0. , 0.1, 0.2, 6. , 6. ], shape=(6,), dtype=float32)
    """
    return clip(_tensor(x), 0, 6)


def sparse_sigmoid(x):
    """Sparse sigmoid activation function.

    It is defined as `f(x) = 0` for `x <= -1`, `f(x) = 0.5 * (x + 1)` for `-1 < x < 1`,
    `f(x) = 1` for `x >= 1`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return where(x <= -1.0, 0.0, where(x >= 1.0, 1.0, 0.5 * (x + 1.0)))


def softsign(x):
    """Softsign activation function, `f(x) = x / (abs(x) + 1)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return x / (_abs(x) + 1.0)


def soft_shrink(x, threshold=0.5):
    """Soft Shrink activation function.

    It is defined as `f(x) = x - threshold` if `x > threshold`, `f(x) = x + threshold` if
    `x < -threshold`, `f(x) = 0` otherwise.

    Args:
        x: Input tensor.
        threshold: Threshold value. Defaults to 0.5.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return where(x > threshold, x - threshold, where(x < -threshold, x + threshold, 0.0))


def sparse_plus(x):
    """SparsePlus activation function.

    It is defined as `f(x) = 0` for `x <= -1`, `f(x) = (1/4) * (x + 1)^2` for `-1 < x < 1`,
    `f(x) = x` for `x >= 1`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return where(x <= -1.0, 0.0, where(x < 1.0, 0.25 * square(x + 1.0), x))


def silu(x):
    """Sigmoid Linear Unit (SiLU) activation function, also known as Swish.

    It is defined as `f(x) = x * sigmoid(x)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.

    Example:

    >>> lamina.ops.silu(lamina.ops.convert_to_tensor([-6.0, 1.0, 0.0, 1.0, 6.0]))
    tensor([-0.01483574,  0.7310586 ,  0.        ,  0.7310586 ,  5.9851646 ], shape=(5,), dtype=float32)
    """
    x = _float_tensor(x)
    return x * sigmoid(x)


swish = silu


def squareplus(x, b=4):
    """Squareplus activation function, `f(x) = (x + sqrt(x^2 + b)) / 2`.

    Args:
        x: Input tensor.
        b: Smoothness parameter. Defaults to 4.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    b = convert_to_tensor(b, dtype=x.dtype)
    return (x + sqrt(square(x) + b)) / 2.0


def log_sigmoid(x):
    """Logarithm of the sigmoid activation function, `f(x) = log(1 / (1 + exp(-x)))`.

    Computed as `-softplus(-x)`, which is finite for every finite `x`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return -softplus(-x)


def leaky_relu(x, negative_slope=0.2):
    """Leaky version of a Rectified Linear Unit activation function.

    It is defined as `f(x) = negative_slope * x` for `x < 0` and `f(x) = x` for `x >= 0`.

    Args:
        x: Input tensor.
        negative_slope: Slope of the activation function at `x < 0`. Defaults to `0.2`.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return where(x >= 0.0, x, negative_slope * x)


def hard_sigmoid(x):
    """Hard sigmoid activation function.

    It is defined as `0` if `x <= -3`, `1` if `x >= 3`, `x / 6 + 0.5` if `-3 < x < 3`
    (`relu6(x + 3) / 6`, as Keras 3 computes it).

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return clip(x + 3.0, 0.0, 6.0) / 6.0


def hard_silu(x):
    """Hard SiLU activation function, also known as Hard Swish.

    It is defined as `0` if `x < -3`, `x` if `x > 3`, `x * (x + 3) / 6` if `-3 <= x <= 3`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def elu(x, alpha=1.0):
    """Exponential Linear Unit activation function.

    It is defined as `f(x) = alpha * (exp(x) - 1.)` for `x < 0`, `f(x) = x` for `x >= 0`.

    Args:
        x: Input tensor.
        alpha: A scalar, slope of positive section. Defaults to `1.0`.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    # expm1 only ever sees non-positive values, so the unused branch cannot overflow; at x = 0 the
    # gradient is the left derivative `alpha`, as in JAX.
    return where(x > 0.0, x, alpha * expm1(where(x > 0.0, 0.0, x)))


def selu(x):
    """Scaled Exponential Linear Unit (SELU) activation function.

    It is defined as `f(x) = scale * alpha * (exp(x) - 1.)` for `x < 0` and
    `f(x) = scale * x` for `x >= 0`, with `alpha=1.67326324` and `scale=1.05070098`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    return _SELU_SCALE * elu(x, alpha=_SELU_ALPHA)


def gelu(x, approximate=True):
    """Gaussian Error Linear Unit (GELU) activation function.

    If `approximate` is `True`, it is defined as
    `f(x) = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`;
    otherwise `f(x) = x * P(X <= x) = 0.5 * x * (1 + erf(x / sqrt(2)))`, where `P(X) ~ N(0, 1)`.

    Args:
        x: Input tensor.
        approximate: Approximate version of GELU activation. Defaults to `True`.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    if approximate:
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * (x * x * x))
        return 0.5 * x * (1.0 + tanh(inner))
    return 0.5 * x * (1.0 + erf(x * (1.0 / math.sqrt(2.0))))


def celu(x, alpha=1.0):
    """Continuously-differentiable exponential linear unit.

    It is defined as `f(x) = alpha * (exp(x / alpha) - 1)` for `x < 0`, `f(x) = x` for `x >= 0`.

    Args:
        x: Input tensor.
        alpha: the α value for the CELU formulation. Defaults to `1.0`.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return where(x > 0.0, x, alpha * expm1(where(x > 0.0, 0.0, x) / alpha))


def glu(x, axis=-1):
    """Gated Linear Unit (GLU) activation function.

    It is defined as `f(x) = a * sigmoid(b)`, where `x` is split into two halves `a` and `b`
    along `axis`.

    Args:
        x: Input tensor.
        axis: The axis along which to split the input tensor. Defaults to `-1`.

    Returns:
        A tensor with the same shape as half of the input.

    Raises:
        ValueError: if the size of `axis` is odd.
    """
    x = _float_tensor(x)
    if x.shape[axis] % 2 != 0:
        raise ValueError(
            "axis size must be divisible by 2. "
            f"Received: x.shape={x.shape} with axis={axis}"
        )
    a, b = split(x, 2, axis=axis)
    return a * sigmoid(b)


def tanh_shrink(x):
    """Applies the tanh shrink function element-wise, `f(x) = x - tanh(x)`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _float_tensor(x)
    return x - tanh(x)


def hard_tanh(x):
    """Applies the HardTanh function element-wise.

    It is defined as `f(x) = -1` for `x < -1`, `f(x) = x` for `-1 <= x <= 1`, `f(x) = 1` for `x > 1`.

    Args:
        x: Input tensor.

    Returns:
        A tensor with the same shape as `x`, with values clamped between -1 and 1.
    """
    return clip(_tensor(x), -1, 1)


def hard_shrink(x, threshold=0.5):
    """Hard Shrink activation function.

    It is defined as `f(x) = x` if `|x| > threshold`, `f(x) = 0` otherwise.

    Args:
        x: Input tensor.
        threshold: Threshold value. Defaults to 0.5.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _tensor(x)
    return where(_abs(x) > threshold, x, 0)


def threshold(x, threshold, default_value):
    """Threshold activation function.

    It is defined as `f(x) = x` if `x > threshold`, `f(x) = default_value` otherwise.

    Args:
        x: Input tensor.
        threshold: The value that decides when to retain or replace x.
        default_value: Value to assign when `x <= threshold`.

    Returns:
        A tensor with the same shape as `x`.
    """
    x = _tensor(x)
    return where(x > threshold, x, default_value)


def sparsemax(x, axis=-1):
    """Sparsemax activation function.

    For each batch `i` and class `j`, `sparsemax(x)[i, j] = max(x[i, j] - τ(x[i, :]), 0)`,
    the Euclidean projection of `x` onto the probability simplex along `axis`. The threshold τ is
    `(sum of the k largest entries - 1) / k`, with `k` the size of the support.

    Args:
        x: Input tensor.
        axis: `int`, axis along which the sparsemax operation is applied.

    Returns:
        A tensor, output of sparsemax transformation. Has the same type and shape as `x`.

    Note: Keras 3 releases before the fix of keras-team/keras#23425 computed τ from the sum of
    the support's cumulative sums, wrong whenever the support has more than one element; lamina
    computes the published algorithm (outputs sum to 1 along `axis`).
    """
    x = _float_tensor(x)
    n = x.shape[axis]
    z = -sort(-x, axis=axis)  # descending along `axis`
    csum = cumsum(z, axis=axis)
    rank_shape = [1] * x.ndim
    rank_shape[axis] = n
    rank = reshape(arange(1, n + 1, dtype=x.dtype), rank_shape)
    support = (z - (csum - 1.0) / rank) > 0.0
    k = _sum(cast(support, x.dtype), axis=axis, keepdims=True)
    tau = (_sum(where(support, z, 0.0), axis=axis, keepdims=True) - 1.0) / k
    return maximum(x - tau, 0.0)


__all__ = [
    "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "log_sigmoid", "relu6", "selu", "silu", "soft_shrink", "softsign",
    "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold",
]
