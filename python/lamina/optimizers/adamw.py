"""``lamina.optimizers.AdamW``: Adam with decoupled weight decay."""

from lamina.optimizers import adam
from lamina.optimizers import optimizer


class AdamW(adam.Adam):
    """Optimizer that implements the AdamW algorithm.

    AdamW is Adam with the decoupled weight decay of
    [Loshchilov & Hutter, 2019](https://arxiv.org/abs/1711.05101): before each Adam update,
    ``w = w - w * weight_decay * learning_rate`` (variables excluded with
    `exclude_from_weight_decay` are not decayed).

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        weight_decay: A float, the weight decay rate. Defaults to `0.004`.
        beta_1: A float, the exponential decay rate for the 1st moment estimates. Defaults to
            `0.9`.
        beta_2: A float, the exponential decay rate for the 2nd moment estimates. Defaults to
            `0.999`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        amsgrad: Boolean. Whether to apply the AMSGrad variant. Defaults to `False`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> opt.exclude_from_weight_decay(var_names=["bias"])
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
        if self.weight_decay is None:
            raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")


AdamW.__doc__ = AdamW.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
