"""Keras 3's built-in losses: the `LossFunctionWrapper` classes (``MeanSquaredError``...) and
the function forms they wrap (``mean_squared_error``...), which return per-sample losses.

Every computation is made of `lamina.ops`, so each loss is differentiable through
`lamina.GradientTape`. Cross-entropies from logits are computed stably (``log_softmax``; for the
binary case ``max(x, 0) - x * z + log1p(exp(-|x|))``); from probabilities they clip to
``[epsilon, 1 - epsilon]`` with `lamina.backend.epsilon()`, as Keras does.
"""

import math
import warnings

from lamina import ops
from lamina import tree
from lamina.backend.config import epsilon as _epsilon
from lamina.losses.loss import Loss
from lamina.losses.loss import squeeze_or_expand_to_same_rank

_LOG_2 = math.log(2.0)


# ---------------------------------------------------------------------------------------------
# LossFunctionWrapper
# ---------------------------------------------------------------------------------------------


class LossFunctionWrapper(Loss):
    """A `Loss` that calls a function ``fn(y_true, y_pred, **kwargs)`` for its per-sample losses.

    Before calling `fn`, `y_true` and `y_pred` are brought to the same rank with
    `squeeze_or_expand_to_same_rank` (so ``(n,)`` labels work with ``(n, 1)`` predictions).

    Args:
        fn: The loss function, ``fn(y_true, y_pred, **kwargs)``.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).
        **kwargs: Keyword arguments passed to `fn` on each call.

    Example:

    >>> loss = lamina.losses.LossFunctionWrapper(lamina.losses.huber, delta=0.5)
    >>> loss([[0.0, 2.0]], [[0.2, 0.0]])
    tensor(0.4475, shape=(), dtype=float32)
    """

    # A built-in subclass's config, as Keras 3 writes it: `name` and `reduction`, then these `fn`
    # arguments (each also kept as an attribute of the same name). None: the wrapper's own config,
    # with the serialized `fn` and all its arguments.
    _config_attributes = None

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs
        for key in self._config_attributes or ():
            if key in kwargs:
                setattr(self, key, kwargs[key])

    def call(self, y_true, y_pred):
        """Returns ``fn(y_true, y_pred, **kwargs)`` once their ranks are matched."""
        if tree.is_nested(y_true) or tree.is_nested(y_pred):
            tree.assert_same_structure(y_true, y_pred)
            pairs = [
                squeeze_or_expand_to_same_rank(t, p) for t, p in zip(tree.flatten(y_true), tree.flatten(y_pred))
            ]
            y_true = tree.pack_sequence_as(y_true, [t for t, _ in pairs])
            y_pred = tree.pack_sequence_as(y_pred, [p for _, p in pairs])
        else:
            y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        """Returns the config: name, reduction, the serialized `fn` and its keyword arguments (for
        a built-in subclass: name, reduction and the arguments Keras 3 saves)."""
        from lamina.saving import serialization_lib

        config = super().get_config()
        if self._config_attributes is not None:
            config.update({key: getattr(self, key) for key in self._config_attributes})
            return config
        config.update({"fn": serialization_lib.serialize_keras_object(self.fn)})
        config.update(serialization_lib.serialize_keras_object(self._fn_kwargs))
        return config

    @classmethod
    def from_config(cls, config):
        """Creates the loss from its config (deserializing `fn` when present)."""
        if "fn" in config:
            from lamina.saving import serialization_lib

            config = serialization_lib.deserialize_keras_object(config)
        return cls(**config)

    def __repr__(self):
        return f"<LossFunctionWrapper({self.fn}, kwargs={self._fn_kwargs})>"


# ---------------------------------------------------------------------------------------------
# Regression losses
# ---------------------------------------------------------------------------------------------


class MeanSquaredError(LossFunctionWrapper):
    """Computes the mean of squares of errors between labels and predictions.

    Formula: ``loss = mean(square(y_true - y_pred))``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"mean_squared_error"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.MeanSquaredError()
    >>> loss([1.0, 0.0, 1.0], [0.9, 0.1, 0.8])
    tensor(0.02, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Computes the mean of absolute differences between labels and predictions.

    Formula: ``loss = mean(abs(y_true - y_pred))``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"mean_absolute_error"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.MeanAbsoluteError()
    >>> loss([1.0, 0.3, 1.0], [1.9, 0.3, 1.8])
    tensor(0.56666666, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Computes the mean absolute percentage error between `y_true` and `y_pred`.

    Formula: ``loss = 100 * mean(abs((y_true - y_pred) / y_true))`` (the denominator is at
    least `lamina.backend.epsilon()`).

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to
            `"mean_absolute_percentage_error"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.MeanAbsolutePercentageError()
    >>> loss([100.0, 200.0, 300.0], [90.0, 210.0, 310.0])
    tensor(6.111111, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Computes the mean squared logarithmic error between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(log(y_true + 1) - log(y_pred + 1)))`` (values below
    `lamina.backend.epsilon()` are raised to it first).

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to
            `"mean_squared_logarithmic_error"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.MeanSquaredLogarithmicError()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    tensor(0.24022643, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Computes the cosine similarity between `y_true` and `y_pred`, negated.

    The loss is a number between -1 and 1: -1 for identical directions, 0 for orthogonal
    vectors (and whenever one of them is a zero vector), 1 for opposite ones, so minimising it
    maximises the proximity of predictions and targets.

    Formula: ``loss = -sum(l2_norm(y_true) * l2_norm(y_pred))``.

    Args:
        axis: The axis along which the cosine similarity is computed (the features axis).
            Defaults to `-1`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"cosine_similarity"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    As in Keras 3, `get_config` holds only `name` and `reduction`.

    Example:

    >>> loss = lamina.losses.CosineSimilarity()
    >>> loss([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    tensor(-0.49999997, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity", dtype=None):
        super().__init__(cosine_similarity, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Huber(LossFunctionWrapper):
    """Computes the Huber loss between `y_true` and `y_pred`.

    Formula, for each error ``x = y_pred - y_true``: ``0.5 * x**2`` when ``|x| <= delta``, else
    ``delta * |x| - 0.5 * delta**2``; the loss is the mean over the last axis.

    Args:
        delta: A float, the point where the Huber loss changes from quadratic to linear.
            Defaults to `1.0`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"huber_loss"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    As in Keras 3, `get_config` holds only `name` and `reduction`.

    Example:

    >>> loss = lamina.losses.Huber()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(0.155, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        super().__init__(huber, name=name, reduction=reduction, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Computes the logarithm of the hyperbolic cosine of the prediction error.

    Formula: ``loss = mean(log(cosh(y_pred - y_true)), axis=-1)``, computed stably as
    ``x + softplus(-2 * x) - log(2)``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"log_cosh"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.LogCosh()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor(0.1084452, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)



# ---------------------------------------------------------------------------------------------
# Hinge losses
# ---------------------------------------------------------------------------------------------


class Hinge(LossFunctionWrapper):
    """Computes the hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(maximum(1 - y_true * y_pred, 0), axis=-1)``. `y_true` values are
    expected to be -1 or 1; binary (0 or 1) labels are converted to -1 or 1.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"hinge"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.Hinge()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(1.3, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Computes the squared hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``. `y_true` values
    are expected to be -1 or 1; binary (0 or 1) labels are converted to -1 or 1.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"squared_hinge"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.SquaredHinge()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(1.86, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Computes the categorical hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = maximum(neg - pos + 1, 0)`` where ``pos = sum(y_true * y_pred)`` and
    ``neg = maximum((1 - y_true) * y_pred)`` along the last axis.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"categorical_hinge"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.CategoricalHinge()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(1.4000001, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)



# ---------------------------------------------------------------------------------------------
# Probabilistic losses
# ---------------------------------------------------------------------------------------------


class KLDivergence(LossFunctionWrapper):
    """Computes the Kullback-Leibler divergence between `y_true` and `y_pred`.

    Formula: ``loss = sum(y_true * log(y_true / y_pred), axis=-1)``, with both clipped to
    ``[epsilon, 1]``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"kl_divergence"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.KLDivergence()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor(0.45814306, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Computes the Poisson loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"poisson"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.Poisson()
    >>> loss([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    tensor(0.49999997, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)


class BinaryCrossentropy(LossFunctionWrapper):
    """Computes the cross-entropy loss between true labels and predicted labels.

    Use it for binary (0 or 1) classification: `y_true` holds the labels, `y_pred` a single
    floating-point value per label, either a logit (`from_logits=True`) or a probability.

    Args:
        from_logits: Whether to interpret `y_pred` as logits. Defaults to `False`
            (probabilities, clipped to ``[epsilon, 1 - epsilon]``).
        label_smoothing: Float in ``[0, 1]``. When > 0, the labels are squeezed towards 0.5:
            ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``. Defaults to `0.0`.
        axis: The axis along which the mean is computed (the features axis). Defaults to `-1`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"binary_crossentropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.BinaryCrossentropy(from_logits=True)
    >>> loss([0.0, 1.0, 0.0, 0.0], [-18.6, 0.51, 2.94, -12.8])
    tensor(0.865458, shape=(), dtype=float32)
    """

    _config_attributes = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Computes the focal cross-entropy loss between true labels and predictions.

    The binary cross-entropy of each entry is multiplied by the focal factor
    ``(1 - p_t) ** gamma`` (``p_t`` is the predicted probability of the true class), which
    down-weights easy examples ([Lin et al., 2018](https://arxiv.org/pdf/1708.02002.pdf)).
    With `apply_class_balancing`, it is also weighted by `alpha` for class 1 and
    ``1 - alpha`` for class 0.

    Args:
        apply_class_balancing: Whether to apply weight balancing on the binary classes 0 and 1.
            Defaults to `False`.
        alpha: The weight of class 1 when `apply_class_balancing` (class 0 gets
            ``1 - alpha``). Defaults to `0.25`.
        gamma: The focusing parameter of the focal factor. Defaults to `2.0`.
        from_logits: Whether to interpret `y_pred` as logits. Defaults to `False`.
        label_smoothing: Float in ``[0, 1]``; squeezes the labels towards 0.5. Defaults to
            `0.0`.
        axis: The axis along which the mean is computed. Defaults to `-1`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"binary_focal_crossentropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.BinaryFocalCrossentropy(gamma=2, from_logits=True)
    >>> loss([0.0, 1.0, 1.0, 0.0], [-0.6, 0.3, -0.5, -1.2])
    tensor(0.13671061, shape=(), dtype=float32)
    """

    _config_attributes = ("from_logits", "label_smoothing", "axis", "apply_class_balancing", "alpha", "gamma")

    def __init__(
        self,
        apply_class_balancing=False,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="binary_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            binary_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            apply_class_balancing=apply_class_balancing,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalCrossentropy(LossFunctionWrapper):
    """Computes the cross-entropy loss between one-hot labels and predictions.

    Use it when there are two or more classes and the labels are one-hot: `y_true` and
    `y_pred` both have shape ``(batch_size, num_classes)`` (the classes along `axis`). For
    integer labels use `SparseCategoricalCrossentropy`.

    Args:
        from_logits: Whether `y_pred` holds logits. Defaults to `False` (a probability
            distribution: it is normalised to sum to 1 and clipped to
            ``[epsilon, 1 - epsilon]``).
        label_smoothing: Float in ``[0, 1]``. When > 0, labels are smoothed: with `0.1`,
            ``0.1 / num_classes`` for non-target labels and ``0.9 + 0.1 / num_classes`` for
            target labels. Defaults to `0.0`.
        axis: The axis along which to compute the cross-entropy (the features axis). Defaults
            to `-1`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"categorical_crossentropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> cce = lamina.losses.CategoricalCrossentropy()
    >>> cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(1.1769392, shape=(), dtype=float32)
    >>> cce([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], sample_weight=[0.3, 0.7])
    tensor(0.8135988, shape=(), dtype=float32)
    """

    _config_attributes = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Computes the alpha-balanced focal cross-entropy loss with one-hot labels.

    ``FL(p_t) = alpha * (1 - p_t) ** gamma * CategoricalCE(y_true, y_pred)``
    ([Lin et al., 2018](https://arxiv.org/pdf/1708.02002.pdf)): the focal factor down-weights
    easy examples, `alpha` balances the classes.

    Args:
        alpha: A weight balancing factor for all classes: a float or a list with one float per
            class. Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Float in ``[0, 1]`` (see `CategoricalCrossentropy`). Defaults to `0.0`.
        axis: The axis along which to compute the cross-entropy. Defaults to `-1`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to
            `"categorical_focal_crossentropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> cfce = lamina.losses.CategoricalFocalCrossentropy()
    >>> cfce([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(0.23315276, shape=(), dtype=float32)
    """

    _config_attributes = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha=0.25,
        gamma=2.0,
        from_logits=False,
        label_smoothing=0.0,
        axis=-1,
        reduction="sum_over_batch_size",
        name="categorical_focal_crossentropy",
        dtype=None,
    ):
        super().__init__(
            categorical_focal_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            alpha=alpha,
            gamma=gamma,
            from_logits=from_logits,
            label_smoothing=label_smoothing,
            axis=axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Computes the cross-entropy loss between integer labels and predictions.

    Use it when there are two or more classes and the labels are integers: `y_true` has shape
    ``(batch_size,)`` (or ``(batch_size, 1)``) and `y_pred` ``(batch_size, num_classes)``. For
    one-hot labels use `CategoricalCrossentropy`.

    Args:
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: Optional integer: the label to ignore (e.g. a "void" class in
            segmentation). Entries with this label contribute 0 and are excluded from the mean.
            Defaults to `None`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        axis: The axis along which to compute the cross-entropy (the class axis of `y_pred`).
            Defaults to `-1`.
        name: Optional name for the loss instance. Defaults to
            `"sparse_categorical_crossentropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    As in Keras 3, `get_config` holds `name`, `reduction`, `from_logits` and `ignore_class`.

    Example:

    >>> scce = lamina.losses.SparseCategoricalCrossentropy()
    >>> scce([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor(1.1769392, shape=(), dtype=float32)
    """

    _config_attributes = ("from_logits", "ignore_class")

    def __init__(
        self,
        from_logits=False,
        ignore_class=None,
        reduction="sum_over_batch_size",
        axis=-1,
        name="sparse_categorical_crossentropy",
        dtype=None,
    ):
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            reduction=reduction,
            dtype=dtype,
            from_logits=from_logits,
            ignore_class=ignore_class,
            axis=axis,
        )


class CTC(LossFunctionWrapper):
    """Computes the Connectionist Temporal Classification (CTC) loss.

    `y_true` holds integer label sequences of shape ``(batch_size, max_label_length)``, padded
    with 0 (class 0 is the blank); `y_pred` holds logits of shape
    ``(batch_size, max_length, num_classes)``.

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"ctc"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.CTC()
    >>> loss([[1, 2]], lamina.ops.zeros((1, 3, 3)))
    tensor(1.686399, shape=(), dtype=float32)
    """

    _config_attributes = ()

    def __init__(self, reduction="sum_over_batch_size", name="ctc", dtype=None):
        super().__init__(ctc, name=name, reduction=reduction, dtype=dtype)


class Dice(LossFunctionWrapper):
    """Computes the Dice loss between `y_true` and `y_pred`.

    Formula: ``loss = 1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)``,
    the sums taken over `axis` (over everything when `axis` is None).

    Args:
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"dice"`.
        axis: The axis or tuple of axes to sum over. Defaults to `None` (all of them).
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.Dice()
    >>> loss([[1.0, 0.0], [1.0, 1.0]], [[0.8, 0.2], [0.6, 0.9]])
    tensor(0.16363639, shape=(), dtype=float32)
    """

    _config_attributes = ("axis",)

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, name=name, reduction=reduction, dtype=dtype, axis=axis)


class Tversky(LossFunctionWrapper):
    """Computes the Tversky loss between `y_true` and `y_pred`.

    Formula: ``loss = 1 - TP / (TP + alpha * FP + beta * FN + epsilon)`` with
    ``TP = sum(y_true * y_pred)``, ``FP = sum((1 - y_pred) * y_true)`` and
    ``FN = sum(y_pred * (1 - y_true))`` over `axis`. With ``alpha = beta = 0.5`` it is the
    Dice loss.

    Args:
        alpha: The weight of the false positives. Defaults to `0.5`.
        beta: The weight of the false negatives. Defaults to `0.5`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"tversky"`.
        axis: The axis or tuple of axes to sum over. Defaults to `None` (all of them).
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Example:

    >>> loss = lamina.losses.Tversky(alpha=0.3, beta=0.7)
    >>> loss([[1.0, 0.0], [1.0, 1.0]], [[0.8, 0.2], [0.6, 0.9]])
    tensor(0.13207555, shape=(), dtype=float32)
    """

    _config_attributes = ("alpha", "beta", "axis")

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None, dtype=None):
        super().__init__(tversky, name=name, reduction=reduction, dtype=dtype, alpha=alpha, beta=beta, axis=axis)


class Circle(LossFunctionWrapper):
    """Computes the Circle loss, a metric-learning loss on embeddings.

    Pulls embeddings of the same class together and pushes those of different classes apart,
    weighting each pair by how far it is from its optimum
    ([Sun et al., 2020](https://arxiv.org/abs/2002.10857)). `y_true` holds integer class
    labels of shape ``(batch_size,)``; `y_pred` L2-normalised embeddings of shape
    ``(batch_size, embedding_dim)``.

    Args:
        gamma: The scale factor of the pair similarities. Defaults to `80.0`.
        margin: The relaxation factor (below 0.5). Defaults to `0.4`.
        remove_diagonal: Whether to leave out each embedding's pairing with itself. Defaults
            to `True`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to `"circle"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    The per-sample losses carry a mask of the entries that are above 0, so the default
    reduction averages over those only.

    Example:

    >>> emb = lamina.ops.convert_to_tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> lamina.losses.Circle()([0, 0, 1], emb).shape
    ()
    """

    _config_attributes = ("gamma", "margin", "remove_diagonal")

    def __init__(
        self,
        gamma=80.0,
        margin=0.4,
        remove_diagonal=True,
        reduction="sum_over_batch_size",
        name="circle",
        dtype=None,
    ):
        super().__init__(
            circle,
            name=name,
            reduction=reduction,
            dtype=dtype,
            gamma=gamma,
            margin=margin,
            remove_diagonal=remove_diagonal,
        )


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """Computes the Generalized Cross Entropy loss, robust to noisy labels.

    Formula: ``loss = (1 - p ** q) / q`` where ``p`` is the predicted probability of the true
    class ([Zhang & Sabuncu, 2018](https://arxiv.org/abs/1805.07836)); it interpolates between
    the cross-entropy (``q -> 0``) and the mean absolute error (``q = 1``). `y_true` holds
    integer labels, `y_pred` probabilities of shape ``(batch_size, num_classes)``.

    Args:
        q: Float in ``(0, 1)``, the robustness parameter. Defaults to `0.5`.
        reduction: Type of reduction to apply to the loss (see `Loss`). Defaults to
            `"sum_over_batch_size"`.
        name: Optional name for the loss instance. Defaults to
            `"categorical_generalized_cross_entropy"`.
        dtype: The dtype of the loss's computations (see `Loss`). Defaults to `None`
            (`lamina.backend.floatx()`).

    Raises:
        ValueError: if `q` is not in ``(0, 1)``.

    Example:

    >>> loss = lamina.losses.CategoricalGeneralizedCrossEntropy(q=0.5)
    >>> loss([0, 1], [[0.25, 0.75], [0.64, 0.36]])
    tensor(0.9, shape=(), dtype=float32)
    """

    _config_attributes = ("q",)

    def __init__(
        self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy", dtype=None
    ):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError(f"q must be in the interval (0, 1). Received: q={q}")
        super().__init__(categorical_generalized_cross_entropy, name=name, reduction=reduction, dtype=dtype, q=q)


# ---------------------------------------------------------------------------------------------
# Shared numerics
# ---------------------------------------------------------------------------------------------


def _float_pair(y_true, y_pred):
    """`y_pred` as a Tensor (ints become floatx) and `y_true` cast to its dtype."""
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        from lamina.backend.config import floatx

        y_pred = ops.cast(y_pred, floatx())
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    return y_true, y_pred


def _check_axis(axis):
    if isinstance(axis, bool) or not isinstance(axis, int):
        raise ValueError(f"`axis` must be of type `int`. Received: axis={axis} of type {type(axis)}")


def _check_same_shape(loss_name, target, output):
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError(
            f"In loss `{loss_name}`, arguments `target` (y_true) and `output` (y_pred) must have "
            f"the same shape. Received: target.shape={tuple(target.shape)}, "
            f"output.shape={tuple(output.shape)}"
        )


def _warn_single_class(loss_name, y_pred):
    if len(y_pred.shape) and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {loss_name}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _canonical_axis(axis, ndim, loss_name):
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"In loss `{loss_name}`, `axis` is out of range for `y_pred` of rank {ndim}. "
            f"Received: axis={axis}"
        )
    return axis % ndim


def _binary_crossentropy_values(target, output, from_logits, loss_name):
    """Elementwise binary cross-entropy (Keras' ``ops.binary_crossentropy``)."""
    _check_same_shape(loss_name, target, output)
    if from_logits:
        # -[z log sigmoid(x) + (1 - z) log(1 - sigmoid(x))], free of overflow for any x.
        return ops.maximum(output, 0.0) - output * target + ops.log1p(ops.exp(-ops.abs(output)))
    eps = _epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    return -(target * ops.log(output) + (1.0 - target) * ops.log(1.0 - output))


def _clipped_log_probs(output, axis):
    """``log`` of `output` normalised to sum to 1 along `axis` and clipped to
    ``[epsilon, 1 - epsilon]``."""
    eps = _epsilon()
    output = output / ops.sum(output, axis=axis, keepdims=True)
    return ops.log(ops.clip(output, eps, 1.0 - eps))


def _categorical_crossentropy_values(target, output, from_logits, axis, loss_name):
    """Categorical cross-entropy along `axis` (Keras' ``ops.categorical_crossentropy``)."""
    _check_same_shape(loss_name, target, output)
    if len(target.shape) < 1:
        raise ValueError(
            f"In loss `{loss_name}`, arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}"
        )
    _canonical_axis(axis, len(output.shape), loss_name)
    log_prob = ops.log_softmax(output, axis=axis) if from_logits else _clipped_log_probs(output, axis)
    return -ops.sum(target * log_prob, axis=axis)


def _l2_normalize(x, axis):
    """``x / max(norm(x), epsilon)`` along `axis` (Keras' ``ops.normalize``), with a finite
    gradient at zero vectors."""
    eps = _epsilon()
    if len(x.shape) == 0:
        x = ops.expand_dims(x, 0)
    square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
    inv_norm = ops.minimum(ops.rsqrt(ops.maximum(square_sum, eps * eps)), 1.0 / eps)
    return x * inv_norm


def _logaddexp(a, b):
    """``log(exp(a) + exp(b))`` without overflow."""
    return ops.maximum(a, b) + ops.log1p(ops.exp(-ops.abs(a - b)))


def _masked_logsumexp(x, mask, axis):
    """``log(sum(exp(x)))`` over the entries where `mask` holds; ``-inf`` (with a zero
    gradient) where none does."""
    lowest = ops.full((), -3.0e38 if x.dtype != "float16" else -6.0e4, dtype=x.dtype)
    shifted = ops.where(mask, x, lowest)
    m = ops.stop_gradient(ops.max(shifted, axis=axis, keepdims=True))
    total = ops.sum(ops.where(mask, ops.exp(shifted - m), 0.0), axis=axis)
    empty = ops.equal(total, 0.0)
    value = ops.squeeze(m, axis=axis) + ops.log(ops.where(empty, 1.0, total))
    return ops.where(empty, float("-inf"), value)


def convert_binary_labels_to_hinge(y_true):
    """Converts binary (0/1) labels into -1/1 for hinge losses; other labels are returned
    unchanged.

    Args:
        y_true: The labels (a float Tensor).

    Returns:
        ``2 * y_true - 1`` when every label is 0 or 1, else `y_true`.
    """
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, 2.0 * y_true - 1.0, y_true)


# ---------------------------------------------------------------------------------------------
# Function forms
# ---------------------------------------------------------------------------------------------


def hinge(y_true, y_pred):
    """Computes the hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Args:
        y_true: The ground truth values, expected to be -1 or 1 (binary 0/1 labels are
            converted to -1/1), of shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values, of shape ``[batch_size, d0, .. dN]``.

    Returns:
        Hinge loss values of shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.hinge([[0.0, 1.0]], [[0.6, 0.4]])
    tensor([1.1], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """Computes the squared hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``.

    Args:
        y_true: The ground truth values, expected to be -1 or 1 (binary 0/1 labels are
            converted to -1/1), of shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values, of shape ``[batch_size, d0, .. dN]``.

    Returns:
        Squared hinge loss values of shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.squared_hinge([[0.0, 1.0]], [[0.6, 0.4]])
    tensor([1.46], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true = convert_binary_labels_to_hinge(y_true)
    return ops.mean(ops.square(ops.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """Computes the categorical hinge loss between `y_true` and `y_pred`.

    Formula: ``loss = maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred, axis=-1)``
    and ``neg = max((1 - y_true) * y_pred, axis=-1)``.

    Args:
        y_true: The ground truth values (one-hot, or -1/1).
        y_pred: The predicted values.

    Returns:
        Categorical hinge loss values of shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.categorical_hinge([[0.0, 1.0]], [[0.6, 0.4]])
    tensor([1.2], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    pos = ops.sum(y_true * y_pred, axis=-1)
    neg = ops.max((1.0 - y_true) * y_pred, axis=-1)
    return ops.maximum(neg - pos + 1.0, 0.0)


def mean_squared_error(y_true, y_pred):
    """Computes the mean squared error between labels and predictions.

    Formula: ``loss = mean(square(y_true - y_pred), axis=-1)``.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Mean squared error values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.mean_squared_error([[0.0, 1.0], [1.0, 1.0]], [[1.0, 1.0], [1.0, 0.0]])
    tensor([0.5, 0.5], shape=(2,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """Computes the mean absolute error between labels and predictions.

    Formula: ``loss = mean(abs(y_true - y_pred), axis=-1)``.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Mean absolute error values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]])
    tensor([0.5], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return ops.mean(ops.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Computes the mean absolute percentage error between `y_true` and `y_pred`.

    Formula: ``loss = 100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon)),
    axis=-1)``.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Mean absolute percentage error values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.mean_absolute_percentage_error([[100.0, 200.0]], [[90.0, 210.0]])
    tensor([7.5000005], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    diff = ops.abs((y_true - y_pred) / ops.maximum(ops.abs(y_true), _epsilon()))
    return 100.0 * ops.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """Computes the mean squared logarithmic error between `y_true` and `y_pred`.

    Formula: ``loss = mean(square(log(y_true + 1) - log(y_pred + 1)), axis=-1)``; values below
    `lamina.backend.epsilon()` are raised to it first.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Mean squared logarithmic error values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]])
    tensor([0.24022643], shape=(1,), dtype=float32)
    """
    eps = _epsilon()
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    first_log = ops.log(ops.maximum(y_pred, eps) + 1.0)
    second_log = ops.log(ops.maximum(y_true, eps) + 1.0)
    return ops.mean(ops.square(first_log - second_log), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Computes the cosine similarity between labels and predictions, negated.

    Formula: ``loss = -sum(l2_norm(y_true) * l2_norm(y_pred), axis=axis)``. The result is
    between -1 (same direction) and 1 (opposite); 0 when either vector is zero.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: The axis along which the cosine similarity is computed. Defaults to `-1`.

    Returns:
        Cosine similarity values, of the shape of `y_true` without `axis`.

    Example:

    >>> lamina.losses.cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    tensor([-0.        , -0.99999994], shape=(2,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    y_pred = _l2_normalize(y_pred, axis=axis)
    y_true = _l2_normalize(y_true, axis=axis)
    return -ops.sum(y_true * y_pred, axis=axis)


def huber(y_true, y_pred, delta=1.0):
    """Computes the Huber loss between `y_true` and `y_pred`.

    For each error ``x = y_pred - y_true``: ``0.5 * x**2`` if ``|x| <= delta``, else
    ``delta * |x| - 0.5 * delta**2``; the loss is their mean over the last axis.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        delta: A float, the point where the Huber loss changes from quadratic to linear.
            Defaults to `1.0`.

    Returns:
        Huber loss values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.huber([[0.0, 1.0]], [[0.6, 0.4]])
    tensor([0.18], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    delta = ops.convert_to_tensor(delta, dtype=y_pred.dtype)
    error = y_pred - y_true
    abs_error = ops.abs(error)
    return ops.mean(
        ops.where(
            ops.less_equal(abs_error, delta),
            0.5 * ops.square(error),
            delta * abs_error - 0.5 * ops.square(delta),
        ),
        axis=-1,
    )


def log_cosh(y_true, y_pred):
    """Logarithm of the hyperbolic cosine of the prediction error.

    Formula: ``loss = mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2 * x) - log(2)`` so that it never overflows. ``log(cosh(x))`` is about
    ``x**2 / 2`` for small ``x`` and ``abs(x) - log(2)`` for large ``x``: like the mean squared
    error, but less sensitive to the occasional wildly wrong prediction.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Logcosh error values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.log_cosh([[0.0, 1.0]], [[1.0, 1.0]])
    tensor([0.2168904], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    x = y_pred - y_true
    return ops.mean(x + ops.softplus(x * -2.0) - _LOG_2, axis=-1)


def kl_divergence(y_true, y_pred):
    """Computes the Kullback-Leibler divergence between `y_true` and `y_pred`.

    Formula: ``loss = sum(y_true * log(y_true / y_pred), axis=-1)``, with `y_true` and `y_pred`
    clipped to ``[epsilon, 1]``.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.

    Returns:
        KL divergence values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.kl_divergence([[0.0, 1.0]], [[0.6, 0.4]])
    tensor([0.9162892], shape=(1,), dtype=float32)
    """
    eps = _epsilon()
    y_true, y_pred = _float_pair(y_true, y_pred)
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(y_true * ops.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """Computes the Poisson loss between `y_true` and `y_pred`.

    Formula: ``loss = mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    Args:
        y_true: Ground truth values with shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values with shape ``[batch_size, d0, .. dN]``.

    Returns:
        Poisson loss values with shape ``[batch_size, d0, .. dN-1]``.

    Example:

    >>> lamina.losses.poisson([[0.0, 1.0]], [[1.0, 1.0]])
    tensor([0.99999994], shape=(1,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    return ops.mean(y_pred - y_true * ops.log(y_pred + _epsilon()), axis=-1)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Computes the categorical cross-entropy loss.

    Args:
        y_true: Tensor of one-hot true targets.
        y_pred: Tensor of predicted targets, of the same shape.
        from_logits: Whether `y_pred` holds logits (then ``log_softmax`` is used). Defaults to
            `False`: `y_pred` is a probability distribution, normalised to sum to 1 and
            clipped to ``[epsilon, 1 - epsilon]``.
        label_smoothing: Float in ``[0, 1]``. If > 0, smooth the labels: with `0.1`,
            ``0.1 / num_classes`` for non-target labels and ``0.9 + 0.1 / num_classes`` for
            target labels. Defaults to `0.0`.
        axis: The axis along which the cross-entropy is computed. Defaults to `-1`.

    Returns:
        Categorical cross-entropy values, of the shape of `y_pred` without `axis`.

    Raises:
        ValueError: if `axis` is not an int, or `y_true` and `y_pred` differ in shape.

    Example:

    >>> lamina.losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]],
    ...                                        [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor([0.05129331, 2.3025851 ], shape=(2,), dtype=float32)
    """
    _check_axis(axis)
    y_true, y_pred = _float_pair(y_true, y_pred)
    _warn_single_class("categorical_crossentropy", y_pred)
    if label_smoothing:
        _check_same_shape("categorical_crossentropy", y_true, y_pred)
        num_classes = y_true.shape[_canonical_axis(axis, len(y_true.shape), "categorical_crossentropy")]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    return _categorical_crossentropy_values(y_true, y_pred, from_logits, axis, "categorical_crossentropy")


def categorical_focal_crossentropy(
    y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1
):
    """Computes the categorical focal cross-entropy loss.

    ``loss = sum(alpha * (1 - p) ** gamma * -y_true * log(p), axis=axis)`` with ``p`` the
    predicted probabilities (normalised to sum to 1, clipped to ``[epsilon, 1 - epsilon]``).

    Args:
        y_true: Tensor of one-hot true targets.
        y_pred: Tensor of predicted targets, of the same shape.
        alpha: A weight balancing factor for all classes: a float or a list with one float per
            class. Defaults to `0.25`.
        gamma: The focusing parameter; with `0` there is no focal effect. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Float in ``[0, 1]`` (see `categorical_crossentropy`). Defaults to
            `0.0`.
        axis: The axis along which the cross-entropy is computed. Defaults to `-1`.

    Returns:
        Categorical focal cross-entropy values, of the shape of `y_pred` without `axis`.

    Raises:
        ValueError: if `axis` is not an int, or `y_true` and `y_pred` differ in shape.

    Example:

    >>> lamina.losses.categorical_focal_crossentropy([[0, 1, 0], [0, 0, 1]],
    ...                                              [[0.05, 0.9, 0.05], [0.1, 0.85, 0.05]])
    tensor([2.6340148e-04, 6.7591208e-01], shape=(2,), dtype=float32)
    """
    name = "categorical_focal_crossentropy"
    _check_axis(axis)
    y_true, y_pred = _float_pair(y_true, y_pred)
    _warn_single_class(name, y_pred)
    _check_same_shape(name, y_true, y_pred)
    axis_index = _canonical_axis(axis, len(y_pred.shape), name)
    if label_smoothing:
        num_classes = y_true.shape[axis_index]
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        y_pred = ops.softmax(y_pred, axis=axis)

    eps = _epsilon()
    output = ops.clip(y_pred / ops.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    cce = -y_true * ops.log(output)
    if not isinstance(alpha, (int, float)):
        alpha = ops.convert_to_tensor(alpha, dtype=output.dtype)
    weighting_factor = ops.multiply(ops.power(1.0 - output, gamma), alpha)
    return ops.sum(ops.multiply(weighting_factor, cce), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Computes the sparse categorical cross-entropy loss (integer labels).

    Args:
        y_true: Integer labels, of the shape of `y_pred` without `axis` (a trailing unit
            dimension in place of the class axis is accepted: ``(n,)`` or ``(n, 1)``).
        y_pred: The predictions, with the classes along `axis`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: Optional integer label to ignore: those entries give 0, and the result
            carries a mask (``_keras_mask``) that excludes them from a `Loss`'s reduction.
            Defaults to `None`.
        axis: The class axis of `y_pred`. Defaults to `-1`.

    Returns:
        Sparse categorical cross-entropy values, of the shape of `y_pred` without `axis`.
        Labels outside ``[0, num_classes)`` (other than `ignore_class`) give 0, as Keras'
        one-hot does.

    Raises:
        ValueError: if `y_true`'s shape does not match `y_pred`'s without the class axis.

    Example:

    >>> lamina.losses.sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    tensor([0.05129331, 2.3025851 ], shape=(2,), dtype=float32)
    """
    name = "sparse_categorical_crossentropy"
    _check_axis(axis)
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        from lamina.backend.config import floatx

        y_pred = ops.cast(y_pred, floatx())
    y_true = ops.convert_to_tensor(y_true)
    if len(y_pred.shape) < 1:
        raise ValueError(
            f"In loss `{name}`, argument `output` (y_pred) must be at least rank 1. "
            f"Received: output.shape={tuple(y_pred.shape)}"
        )
    class_axis = _canonical_axis(axis, len(y_pred.shape), name)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[class_axis] == 1:
        y_true = ops.squeeze(y_true, axis=class_axis)
    res_shape = tuple(d for i, d in enumerate(y_pred.shape) if i != class_axis)
    if tuple(y_true.shape) != res_shape:
        raise ValueError(
            f"In loss `{name}`, arguments `target` (y_true) and `output` (y_pred) must have the "
            "same shape up until the last dimension (the class axis of `output` removed): "
            f"target.shape={tuple(y_true.shape)}, output.shape={tuple(y_pred.shape)}"
        )

    valid_mask = None
    if ignore_class is not None:
        valid_mask = ops.not_equal(y_true, ops.cast(ignore_class, y_true.dtype))
        y_true = ops.where(valid_mask, y_true, ops.zeros((), dtype=y_true.dtype))
        # Ignored rows get a harmless distribution (uniform), so nothing turns into NaN.
        filler = 0.0 if from_logits else 1.0
        y_pred = ops.where(ops.expand_dims(valid_mask, class_axis), y_pred, filler)

    labels = ops.cast(y_true, "int32")
    num_classes = y_pred.shape[class_axis]
    log_prob = ops.log_softmax(y_pred, axis=axis) if from_logits else _clipped_log_probs(y_pred, axis)
    target = ops.one_hot(labels, num_classes, axis=class_axis, dtype=log_prob.dtype)
    res = -ops.sum(target * log_prob, axis=axis)

    if valid_mask is not None:
        valid_mask = ops.reshape(valid_mask, res.shape)
        res = ops.where(valid_mask, res, 0.0)
        res._keras_mask = valid_mask
    return res


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Computes the binary cross-entropy loss.

    From logits it is computed as ``max(x, 0) - x * z + log1p(exp(-|x|))``, which never
    overflows; probabilities are clipped to ``[epsilon, 1 - epsilon]``.

    Args:
        y_true: Ground truth values, of shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values, of the same shape.
        from_logits: Whether `y_pred` holds logits. Defaults to `False` (probabilities).
        label_smoothing: Float in ``[0, 1]``. If > 0, smooth the labels by squeezing them
            towards 0.5: ``y_true * (1 - label_smoothing) + 0.5 * label_smoothing``. Defaults
            to `0.0`.
        axis: The axis along which the mean is computed. Defaults to `-1`.

    Returns:
        Binary cross-entropy values, of shape ``[batch_size, d0, .. dN-1]``.

    Raises:
        ValueError: if `y_true` and `y_pred` differ in shape.

    Example:

    >>> lamina.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]])
    tensor([0.91629076, 0.7135582 ], shape=(2,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    values = _binary_crossentropy_values(y_true, y_pred, from_logits, "binary_crossentropy")
    return ops.mean(values, axis=axis)


def binary_focal_crossentropy(
    y_true,
    y_pred,
    apply_class_balancing=False,
    alpha=0.25,
    gamma=2.0,
    from_logits=False,
    label_smoothing=0.0,
    axis=-1,
):
    """Computes the binary focal cross-entropy loss.

    ``focal_factor = (1 - p_t) ** gamma`` multiplies the binary cross-entropy, with ``p_t`` the
    predicted probability of the true class (``y_pred`` where ``y_true == 1``, else
    ``1 - y_pred``). With `apply_class_balancing`, class 1 is further weighted by `alpha` and
    class 0 by ``1 - alpha``. Logits are passed through a sigmoid first.

    Args:
        y_true: Ground truth values, of shape ``[batch_size, d0, .. dN]``.
        y_pred: The predicted values, of the same shape.
        apply_class_balancing: Whether to weight the classes by `alpha`. Defaults to `False`.
        alpha: The weight of class 1 (class 0 gets ``1 - alpha``). Defaults to `0.25`.
        gamma: The focusing parameter. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: Float in ``[0, 1]``; squeezes the labels towards 0.5. Defaults to
            `0.0`.
        axis: The axis along which the mean is computed. Defaults to `-1`.

    Returns:
        Binary focal cross-entropy values, of shape ``[batch_size, d0, .. dN-1]``.

    Raises:
        ValueError: if `y_true` and `y_pred` differ in shape.

    Example:

    >>> lamina.losses.binary_focal_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], gamma=2)
    tensor([0.32986468, 0.20579839], shape=(2,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        y_pred = ops.sigmoid(y_pred)
    bce = _binary_crossentropy_values(y_true, y_pred, False, "binary_focal_crossentropy")
    p_t = y_true * y_pred + (1.0 - y_true) * (1.0 - y_pred)
    focal_bce = ops.power(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        weight = y_true * alpha + (1.0 - y_true) * (1.0 - alpha)
        focal_bce = weight * focal_bce
    return ops.mean(focal_bce, axis=axis)


def ctc(y_true, y_pred):
    """Computes the CTC (Connectionist Temporal Classification) loss.

    Every sequence of `y_pred` is taken at its full length; the length of each label sequence
    is its number of non-zero labels (0 is the blank and the padding).

    Args:
        y_true: Integer label sequences of shape ``(batch_size, max_label_length)``, padded
            with 0.
        y_pred: Logits of shape ``(batch_size, max_length, num_classes)``.

    Returns:
        The negative log-likelihood of each label sequence, of shape ``(batch_size,)``.

    Raises:
        ValueError: if `y_true` is not of rank 2 or `y_pred` not of rank 3.

    Example:

    >>> lamina.losses.ctc([[1, 2]], lamina.ops.zeros((1, 3, 3)))
    tensor([1.686399], shape=(1,), dtype=float32)
    """
    y_true = ops.convert_to_tensor(y_true)
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_true.shape) != 2:
        raise ValueError(
            "Targets `y_true` are expected to be a tensor of shape `(batch_size, max_length)` in "
            f"integer format. Received: y_true.shape={tuple(y_true.shape)}"
        )
    if len(y_pred.shape) != 3:
        raise ValueError(
            "Logits `y_pred` are expected to be a tensor of shape "
            f"`(batch_size, max_length, num_classes)`. Received: y_pred.shape={tuple(y_pred.shape)}"
        )
    mask_index = 0
    batch_size, max_length = y_pred.shape[0], y_pred.shape[1]
    input_length = ops.full((batch_size,), max_length, dtype="int32")
    label_length = ops.sum(ops.cast(ops.not_equal(y_true, mask_index), "int32"), axis=-1)
    return _ctc_loss(y_true, y_pred, label_length, input_length, mask_index=mask_index)


def _ctc_loss(target, output, target_length, output_length, mask_index=0):
    """The CTC negative log-likelihood by the forward algorithm in log space.

    The recursion runs over the time steps (one batched update per step, as a recurrent layer
    does); everything within a step is computed by whole-tensor ops.
    """
    target = ops.cast(target, "int32")
    output = ops.convert_to_tensor(output)
    if output.dtype not in ("float32", "float64"):
        output = ops.cast(output, "float32")
    dtype = output.dtype
    batch_size, max_input_length, num_classes = output.shape
    max_label_length = target.shape[1]
    log_epsilon = -1e5

    def paddings(lengths, max_length):
        positions = ops.expand_dims(ops.arange(max_length, dtype="int32"), 0)
        return ops.cast(ops.greater_equal(positions, ops.expand_dims(lengths, -1)), dtype)

    output_paddings = paddings(ops.cast(output_length, "int32"), max_input_length)  # [B, T]
    target_paddings = paddings(ops.cast(target_length, "int32"), max_label_length)  # [B, N]

    logprobs = ops.log_softmax(output, axis=-1)  # [B, T, K]
    label_lengths = ops.cast(max_label_length - ops.sum(target_paddings, axis=1), "int32")

    # repeat[b, n] is 1 when label n equals label n + 1 (the last column is 0).
    if max_label_length > 1:
        repeat = ops.cast(ops.equal(target[:, :-1], target[:, 1:]), dtype)
        repeat = ops.concatenate([repeat, ops.zeros((batch_size, 1), dtype=dtype)], axis=1)
    else:
        repeat = ops.zeros((batch_size, max_label_length), dtype=dtype)

    logprobs_phi = logprobs[:, :, mask_index : mask_index + 1]  # [B, T, 1]
    one_hot_labels = ops.one_hot(target, num_classes, dtype=dtype)  # [B, N, K]
    logprobs_emit = ops.matmul(logprobs, ops.transpose(one_hot_labels, (0, 2, 1)))  # [B, T, N]

    init_column = ops.zeros((batch_size, 1), dtype=dtype)
    phi = ops.concatenate([init_column, ops.full((batch_size, max_label_length), log_epsilon, dtype=dtype)], axis=1)
    emit = ops.full((batch_size, max_label_length), log_epsilon, dtype=dtype)

    def update_phi_score(phi, added_score):
        # phi[:, 1:] += added_score, in log space.
        return ops.concatenate([phi[:, :1], _logaddexp(phi[:, 1:], added_score)], axis=1)

    for t in range(max_input_length):
        logprob_emit = logprobs_emit[:, t, :]
        logprob_phi = logprobs_phi[:, t, :]
        pad = output_paddings[:, t : t + 1]
        prev_phi_orig = phi
        # emit-to-phi epsilon transition, except when the next label is a repetition
        prev_phi = update_phi_score(phi, emit + log_epsilon * repeat)
        # phi-to-emit transition
        next_emit = _logaddexp(prev_phi[:, :-1] + logprob_emit, emit + logprob_emit)
        # self-loop transition
        next_phi = prev_phi + logprob_phi
        # emit-to-phi blank transition only when the next label is a repetition
        next_phi = update_phi_score(next_phi, emit + logprob_phi + log_epsilon * (1.0 - repeat))
        emit = pad * emit + (1.0 - pad) * next_emit
        phi = pad * prev_phi_orig + (1.0 - pad) * next_phi

    # The last step needs the final epsilon transition.
    phi_last = update_phi_score(phi, emit)
    last = ops.one_hot(label_lengths, max_label_length + 1, dtype=dtype)
    return -ops.sum(phi_last * last, axis=1)


def dice(y_true, y_pred, axis=None):
    """Computes the Dice loss value between `y_true` and `y_pred`.

    Formula: ``loss = 1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)``.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        axis: The axis or tuple of axes to sum over. Defaults to `None` (all).

    Returns:
        The Dice loss (a scalar when `axis` is None).

    Example:

    >>> lamina.losses.dice([[1.0, 0.0], [1.0, 1.0]], [[0.8, 0.2], [0.6, 0.9]], axis=1)
    tensor([0.19999999, 0.14285713], shape=(2,), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    score = ops.divide(
        2.0 * intersection, ops.sum(y_true, axis=axis) + ops.sum(y_pred, axis=axis) + _epsilon()
    )
    return 1.0 - score


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Computes the Tversky loss value between `y_true` and `y_pred`.

    Formula: ``loss = 1 - TP / (TP + alpha * FP + beta * FN + epsilon)`` with
    ``TP = sum(y_true * y_pred)``, ``FP = sum((1 - y_pred) * y_true)``,
    ``FN = sum(y_pred * (1 - y_true))``.

    Args:
        y_true: Tensor of true targets.
        y_pred: Tensor of predicted targets.
        alpha: The weight of the false positives. Defaults to `0.5`.
        beta: The weight of the false negatives. Defaults to `0.5`.
        axis: The axis or tuple of axes to sum over. Defaults to `None` (all).

    Returns:
        The Tversky loss (a scalar when `axis` is None).

    Example:

    >>> lamina.losses.tversky([[1.0, 0.0], [1.0, 1.0]], [[0.8, 0.2], [0.6, 0.9]], 0.3, 0.7)
    tensor(0.13207555, shape=(), dtype=float32)
    """
    y_true, y_pred = _float_pair(y_true, y_pred)
    intersection = ops.sum(y_true * y_pred, axis=axis)
    fp = ops.sum((1.0 - y_pred) * y_true, axis=axis)
    fn = ops.sum(y_pred * (1.0 - y_true), axis=axis)
    score = ops.divide(intersection, intersection + fp * alpha + fn * beta + _epsilon())
    return 1.0 - score


def _pos_neg_masks(query_labels, key_labels, remove_diagonal=True):
    """Boolean masks of the (query, key) pairs with the same / a different label."""
    if len(query_labels.shape) == 1:
        query_labels = ops.reshape(query_labels, (-1, 1))
    if len(key_labels.shape) == 1:
        key_labels = ops.reshape(key_labels, (-1, 1))
    positive_mask = ops.equal(query_labels, ops.transpose(key_labels))
    negative_mask = ops.logical_not(positive_mask)
    if remove_diagonal:
        n, m = query_labels.shape[0] * query_labels.shape[1], key_labels.shape[0] * key_labels.shape[1]
        positive_mask = ops.logical_and(positive_mask, ops.logical_not(ops.eye(n, m, k=0, dtype="bool")))
    return positive_mask, negative_mask


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Computes the Circle loss.

    Args:
        y_true: Integer labels of the query embeddings, of shape ``(batch_size,)``.
        y_pred: L2-normalised query embeddings, of shape ``(batch_size, embedding_dim)``.
        ref_labels: Integer labels of the reference embeddings. Defaults to `y_true`.
        ref_embeddings: L2-normalised reference embeddings. Defaults to `y_pred`.
        remove_diagonal: Whether to leave out the pairing of each query with the same index of
            the references. Defaults to `True`.
        gamma: The scale factor. Defaults to `80`.
        margin: The relaxation factor. Defaults to `0.4`.

    Returns:
        The Circle loss of each query, of shape ``(batch_size,)``, carrying a mask
        (``_keras_mask``) of the entries above 0.

    Example:

    >>> emb = lamina.ops.convert_to_tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    >>> lamina.losses.circle([0, 0, 1], emb).shape
    (3,)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        from lamina.backend.config import floatx

        y_pred = ops.cast(y_pred, floatx())
    y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
    ref_embeddings = y_pred if ref_embeddings is None else ops.cast(ops.convert_to_tensor(ref_embeddings), y_pred.dtype)
    ref_labels = y_true if ref_labels is None else ops.cast(ops.convert_to_tensor(ref_labels), "int32")

    optim_pos = margin
    optim_neg = 1.0 + margin
    delta_pos = margin
    delta_neg = 1.0 - margin

    distances = ops.maximum(1.0 - ops.matmul(y_pred, ops.transpose(ref_embeddings)), 0.0)
    positive_mask, negative_mask = _pos_neg_masks(y_true, ref_labels, remove_diagonal=remove_diagonal)
    pos_float = ops.cast(positive_mask, distances.dtype)
    neg_float = ops.cast(negative_mask, distances.dtype)

    pos_weights = ops.maximum((optim_pos + distances) * pos_float, 0.0)
    neg_weights = ops.maximum((optim_neg - distances) * neg_float, 0.0)
    pos_wdists = -1.0 * gamma * pos_weights * (delta_pos - distances)
    neg_wdists = gamma * neg_weights * (delta_neg - distances)

    p_loss = _masked_logsumexp(pos_wdists, positive_mask, axis=1)
    n_loss = _masked_logsumexp(neg_wdists, negative_mask, axis=1)
    circle_loss = ops.softplus(p_loss + n_loss)
    circle_loss._keras_mask = ops.greater(circle_loss, 0.0)
    return circle_loss


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Computes the Generalized Cross Entropy loss.

    Formula: ``loss = (1 - p ** q) / q`` with ``p`` the predicted probability of the true class.

    Args:
        y_true: Integer labels, of shape ``(batch_size,)``.
        y_pred: Predicted probabilities, of shape ``(batch_size, num_classes)``.
        q: Float in ``(0, 1)``, the robustness parameter.

    Returns:
        The loss of each sample, of shape ``(batch_size,)``.

    Example:

    >>> lamina.losses.categorical_generalized_cross_entropy([0, 1], [[0.25, 0.75], [0.64, 0.36]], q=0.5)
    tensor([1.        , 0.79999995], shape=(2,), dtype=float32)
    """
    y_pred = ops.convert_to_tensor(y_pred)
    if y_pred.dtype not in ("float16", "bfloat16", "float32", "float64"):
        from lamina.backend.config import floatx

        y_pred = ops.cast(y_pred, floatx())
    labels = ops.cast(ops.convert_to_tensor(y_true), "int32")
    one_hot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
    p = ops.sum(y_pred * one_hot, axis=-1)
    return (1.0 - ops.power(p, q)) / q


# Keras' legacy short names: the same function objects, so they serialize under the full name.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
bce = BCE = binary_crossentropy
