"""``lamina.optimizers.Ftrl``: Follow The Regularized Leader."""

import numpy as np

from lamina import initializers
from lamina.optimizers import optimizer


class Ftrl(optimizer.Optimizer):
    r"""Optimizer that implements the FTRL algorithm.

    "Follow The Regularized Leader" (FTRL) is an optimization algorithm developed at Google for
    click-through rate prediction in the early 2010s. It is most suitable for shallow models
    with large and sparse feature spaces
    ([McMahan et al., 2013](https://research.google.com/pubs/archive/41159.pdf)). This version
    supports both online L2 regularization (the penalty of the paper) and shrinkage-type L2
    regularization (a penalty added to the loss). With ``p = -learning_rate_power``,
    ``l2 = l2_regularization_strength + beta / (2 * learning_rate)`` and
    ``g' = g + 2 * l2_shrinkage_regularization_strength * w``:

    ```python
    new_accum = accum + g ** 2
    linear = linear + g' - (new_accum ** p - accum ** p) / learning_rate * w
    quadratic = new_accum ** p / learning_rate + 2 * l2
    w = (clip(linear, -l1, l1) - linear) / quadratic
    accum = new_accum
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        learning_rate_power: A float value, must be less or equal to zero. Controls how the
            learning rate decreases during training. Use zero for a fixed learning rate.
            Defaults to `-0.5`.
        initial_accumulator_value: The starting value for accumulators. Only zero or positive
            values are allowed. Defaults to `0.1`.
        l1_regularization_strength: A float value, must be greater than or equal to zero.
            Defaults to `0.0`.
        l2_regularization_strength: A float value, must be greater than or equal to zero.
            Defaults to `0.0`.
        l2_shrinkage_regularization_strength: A float value, must be greater than or equal to
            zero. This differs from L2 above in that the L2 above is a stabilization penalty,
            whereas this L2 shrinkage is a magnitude penalty. Defaults to `0.0`.
        beta: A float value, representing the beta value from the paper. Defaults to `0.0`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01)
    """

    _kernel = "ftrl"
    _hyperparameters = (
        "learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
        "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta",
    )

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power=-0.5,
        initial_accumulator_value=0.1,
        l1_regularization_strength=0.0,
        l2_regularization_strength=0.0,
        l2_shrinkage_regularization_strength=0.0,
        beta=0.0,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        super().__init__(**optimizer.constructor_arguments(locals()))
        # Keras' checks, in its order: the power must be <= 0, the others >= 0.
        for arg, must_be_negative in (
            ("initial_accumulator_value", False), ("learning_rate_power", True),
            ("l1_regularization_strength", False), ("l2_regularization_strength", False),
            ("l2_shrinkage_regularization_strength", False),
        ):
            value = getattr(self, arg)
            if value > 0.0 if must_be_negative else value < 0.0:
                sign = "negative" if must_be_negative else "positive"
                raise ValueError(f"`{arg}` needs to be {sign} or zero. Received: {arg}={value}.")

    def build(self, var_list):
        """Creates the accumulators (filled with `initial_accumulator_value`) and the linear
        terms.

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        accumulator_initializer = initializers.Constant(self.initial_accumulator_value)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"], initializer=[accumulator_initializer, "zeros"]
        )
        self._slot_lists = optimizer.group_slots(self._accumulators, self._linears)

    def _kernel_hyper(self, learning_rate):
        # beta / (2 * lr) with IEEE semantics (inf or nan at lr == 0, as Keras computes it).
        with np.errstate(divide="ignore", invalid="ignore"):
            l2 = float(self.l2_regularization_strength) + float(
                np.float64(self.beta) / np.float64(2.0 * learning_rate)
            )
        return [learning_rate, float(self.learning_rate_power), float(self.l1_regularization_strength), l2,
                float(self.l2_shrinkage_regularization_strength)]


Ftrl.__doc__ = Ftrl.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
