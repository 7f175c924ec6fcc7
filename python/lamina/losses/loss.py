"""``lamina.losses.Loss``: the base of every loss (Keras 3's ``keras.Loss``), and the helpers
that weight, mask and reduce per-sample losses.

A loss is called as ``loss(y_true, y_pred, sample_weight=None)``. It casts both to its dtype,
computes per-sample values with `call`, merges the mask carried by `y_pred` (``_keras_mask``) and
the one `call` attached to its result into `sample_weight`, weights the values and reduces them
(by default to their mean over every element: ``"sum_over_batch_size"``).
"""

import math

import numpy as np

from lamina import dtype_policies
from lamina import ops
from lamina import tree
from lamina.backend import config as backend_config
from lamina.backend.naming import auto_name

# The reductions Keras 3 accepts (a set, so that the error message lists it as Keras does).
ALLOWED_REDUCTIONS = {"sum_over_batch_size", "sum", None, "none", "mean", "mean_with_sample_weight"}


class Loss:
    """Loss base class (also ``lamina.losses.Loss``).

    Subclass it and implement ``call(y_true, y_pred)``, which returns the per-sample losses;
    calling the loss then weights, masks and reduces them.

    Args:
        name: Optional name for the loss instance. Defaults to a unique snake_case name derived
            from the class name (``"loss"``, ``"loss_1"``...).
        reduction: Type of reduction to apply to the loss. In almost all cases this should be
            `"sum_over_batch_size"`. Supported options are `"sum"`, `"sum_over_batch_size"`,
            `"mean"`, `"mean_with_sample_weight"`, `"none"` or `None`. `"sum"` sums the loss,
            `"sum_over_batch_size"` and `"mean"` sum the loss and divide by the number of
            elements, `"mean_with_sample_weight"` sums the loss and divides by the sum of the
            sample weights. `"none"` and `None` perform no aggregation. Defaults to
            `"sum_over_batch_size"`.
        dtype: The dtype of the loss's computations: a dtype name or a `lamina.DTypePolicy`
            (its `compute_dtype` is used). Defaults to `None`, which means
            `lamina.backend.floatx()` (`"float32"` unless changed).

    Example:

    >>> class MeanSquaredError(lamina.losses.Loss):
    ...     def call(self, y_true, y_pred):
    ...         return lamina.ops.mean(lamina.ops.square(y_pred - y_true), axis=-1)
    >>> MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]])
    tensor(0.5, shape=(), dtype=float32)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(self.__class__.__name__)
        self.reduction = standardize_reduction(reduction)
        self._dtype_policy = dtype_policies.get(dtype or backend_config.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    @property
    def dtype(self):
        """The dtype the loss computes in (and returns)."""
        return self._dtype

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Computes the weighted, reduced loss.

        Args:
            y_true: Ground truth values (a tensor, array, or nested structure of them).
            y_pred: The predicted values, of the same structure. A mask attached to it as
                ``y_pred._keras_mask`` excludes the masked entries.
            sample_weight: Optional weights, broadcast over the per-sample losses (a trailing
                unit dimension is squeezed or added to match their rank).

        Returns:
            The loss: a scalar Tensor, or the per-sample losses for reduction `"none"`/`None`.
        """
        in_mask = getattr(y_pred, "_keras_mask", None)
        dtype = self._dtype
        y_pred = convert_structure(y_pred, dtype)
        y_true = convert_structure(y_true, dtype)

        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)

        if in_mask is not None and out_mask is not None:
            mask = ops.logical_and(ops.cast(in_mask, "bool"), ops.cast(out_mask, "bool"))
        elif in_mask is not None:
            mask = in_mask
        else:
            mask = out_mask

        return reduce_weighted_values(
            losses, sample_weight=sample_weight, mask=mask, reduction=self.reduction, dtype=dtype
        )

    def call(self, y_true, y_pred):
        """Returns the per-sample losses (implement in subclasses).

        Args:
            y_true: Ground truth values, already converted to the loss dtype.
            y_pred: The predicted values, already converted to the loss dtype.

        Returns:
            A Tensor of per-sample losses.
        """
        raise NotImplementedError(f"{self.__class__.__name__} must implement `call(y_true, y_pred)`.")

    def get_config(self):
        """Returns the loss's config: ``{"name": ..., "reduction": ...}`` (as Keras 3, the dtype
        is not part of it)."""
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        """Creates a loss from its config (the output of `get_config`)."""
        return cls(**config)

    def _obj_type(self):
        return "Loss"


_NUMBER_TYPES = (bool, int, float, np.number, np.bool_)


def convert_structure(x, dtype=None):
    """Converts `x`, a tensor-like value or a nested structure of them, to Tensors of `dtype`.

    A list or tuple made only of numbers (``[[0.0, 1.0], [1.0, 0.0]]``) is one tensor, not a
    structure; dicts, and lists holding tensors or arrays, are structures whose leaves are
    converted one by one.

    Args:
        x: The value to convert.
        dtype: The dtype of the Tensors. Defaults to `None` (inferred).

    Returns:
        A Tensor, or the structure of `x` with Tensors as leaves.
    """
    if isinstance(x, (list, tuple)) and all(isinstance(leaf, _NUMBER_TYPES) for leaf in tree.flatten(x)):
        return ops.convert_to_tensor(np.asarray(x), dtype=dtype)
    if tree.is_nested(x):
        return tree.map_structure(lambda leaf: ops.convert_to_tensor(leaf, dtype=dtype), x)
    return ops.convert_to_tensor(x, dtype=dtype)


def standardize_reduction(reduction):
    """Checks that `reduction` is one Keras 3 accepts and returns it.

    Args:
        reduction: `"sum_over_batch_size"`, `"sum"`, `"mean"`, `"mean_with_sample_weight"`,
            `"none"` or `None`.

    Returns:
        `reduction`.

    Raises:
        ValueError: for any other value, listing the allowed ones.
    """
    try:
        allowed = reduction in ALLOWED_REDUCTIONS
    except TypeError:  # unhashable
        allowed = False
    if not allowed:
        raise ValueError(
            "Invalid value for argument `reduction`. "
            f"Expected one of {ALLOWED_REDUCTIONS}. Received: reduction={reduction}"
        )
    return reduction


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Makes the ranks of `x1` and `x2` equal when they differ by one trailing unit dimension.

    When one tensor has one more dimension than the other and that dimension is 1, it is
    squeezed away; except that a rank-1 partner is expanded instead (``(n,)`` with ``(n, 1)``
    gives two ``(n, 1)`` tensors) when `expand_rank_1` is true. Other rank differences are left
    to broadcasting.

    Args:
        x1: A tensor.
        x2: A tensor.
        expand_rank_1: Whether a rank-1 tensor is expanded rather than its partner squeezed.
            Defaults to `True`.

    Returns:
        The pair ``(x1, x2)``, reshaped as described.
    """
    x1_rank = len(x1.shape)
    x2_rank = len(x2.shape)
    if x1_rank == x2_rank:
        return x1, x2
    if x1_rank == x2_rank + 1 and x1.shape[-1] == 1:
        if x2_rank == 1 and expand_rank_1:
            x2 = ops.expand_dims(x2, axis=-1)
        else:
            x1 = ops.squeeze(x1, axis=-1)
    if x2_rank == x1_rank + 1 and x2.shape[-1] == 1:
        if x1_rank == 1 and expand_rank_1:
            x1 = ops.expand_dims(x1, axis=-1)
        else:
            x2 = ops.squeeze(x2, axis=-1)
    return x1, x2


def _divide_no_nan(x, y):
    """``x / y``, with 0 where `y` is 0 (and a finite gradient there)."""
    zero = ops.equal(y, 0)
    return ops.where(zero, 0.0, ops.divide(x, ops.where(zero, 1.0, y)))


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduces (already weighted) per-sample losses.

    Values of shape ``()`` or ``(0,)`` and reductions `"none"`/`None` are returned unchanged.
    `"sum"` sums; `"sum_over_batch_size"` and `"mean"` divide the sum by the number of elements
    of `values`; `"mean_with_sample_weight"` divides it by the sum of `sample_weight` (by the
    number of elements when there is none). A zero divisor gives 0.

    Args:
        values: The weighted per-sample losses.
        sample_weight: The weights that were applied (for `"mean_with_sample_weight"`).
        reduction: The reduction. Defaults to `"sum_over_batch_size"`.

    Returns:
        The reduced loss.
    """
    shape = tuple(values.shape)
    if reduction is None or reduction == "none" or shape == () or shape == (0,):
        return values
    loss = ops.sum(values)
    if reduction in ("sum_over_batch_size", "mean", "mean_with_sample_weight"):
        if reduction == "mean_with_sample_weight" and sample_weight is not None:
            divisor = ops.cast(ops.sum(sample_weight), loss.dtype)
            loss = _divide_no_nan(loss, divisor)
        else:
            count = math.prod(shape)
            loss = ops.divide(loss, float(count)) if count else ops.zeros_like(loss)
        loss = scale_loss_for_distribution(loss)
    return loss


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size", dtype=None):
    """Weights per-sample losses by `sample_weight` and `mask`, then reduces them.

    The mask is merged into the sample weights with `apply_mask`; the weights are matched to
    the values' rank with `squeeze_or_expand_to_same_rank` and multiplied in; `reduce_values`
    reduces the result.

    Args:
        values: The per-sample losses.
        sample_weight: Optional weights (broadcastable to `values`).
        mask: Optional boolean mask of the valid entries (broadcastable to `values`).
        reduction: The reduction (see `Loss`). Defaults to `"sum_over_batch_size"`.
        dtype: The dtype to compute in. Defaults to that of `values`.

    Returns:
        The reduced loss.
    """
    reduction = standardize_reduction(reduction)
    values = ops.convert_to_tensor(values, dtype=dtype)
    if sample_weight is not None:
        sample_weight = ops.convert_to_tensor(sample_weight, dtype=dtype)
    if mask is not None:
        mask = ops.convert_to_tensor(mask, dtype=dtype)

    sample_weight = apply_mask(sample_weight, mask, dtype=values.dtype, reduction=reduction)

    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, values.dtype)
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        values = ops.multiply(values, sample_weight)

    return reduce_values(values, sample_weight, reduction)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Merges a mask of the valid entries into the sample weights.

    For the averaging reductions `"sum_over_batch_size"` and `"mean"`, valid entries get the
    weight ``total / valid`` (invalid ones 0), so that dividing the weighted sum by the number of
    elements averages over the valid entries only. Otherwise the mask weights entries by 1/0.

    Args:
        sample_weight: The sample weights, or None.
        mask: The mask, or None (then `sample_weight` is returned as is).
        dtype: The dtype of the weights.
        reduction: The reduction the weights are for.

    Returns:
        The merged weights (None when both are None).
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        total = float(math.prod(tuple(mask.shape)))
        valid = ops.sum(ops.cast(mask, dtype))  # may be 0
        mask_weight = _divide_no_nan(ops.cast(total, dtype), valid)
        float_mask = ops.where(ops.cast(mask, "bool"), mask_weight, ops.zeros((), dtype=dtype))
    else:
        float_mask = ops.cast(mask, dtype)

    if sample_weight is not None:
        sample_weight = ops.cast(sample_weight, dtype)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
        return ops.multiply(sample_weight, float_mask)
    return float_mask


def scale_loss_for_distribution(value):
    """Scales a loss by ``1 / num_replicas`` of the active distribution strategy.

    lamina trains on a single replica (its engine parallelises inside each op), so the value is
    returned unchanged; the function exists so that code written against Keras' trainers calls
    the same helper.

    Args:
        value: The loss.

    Returns:
        `value`.
    """
    return value


def unscale_loss_for_distribution(value):
    """Undoes `scale_loss_for_distribution` (multiplies by the number of replicas, here one).

    Args:
        value: The scaled loss.

    Returns:
        `value`.
    """
    return value


__all__ = [
    "Loss", "apply_mask", "convert_structure", "reduce_values", "reduce_weighted_values", "scale_loss_for_distribution",
    "squeeze_or_expand_to_same_rank", "standardize_reduction", "unscale_loss_for_distribution",
]
