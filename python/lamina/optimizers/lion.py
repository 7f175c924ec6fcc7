"""``lamina.optimizers.Lion``: the Lion (EvoLved Sign Momentum) algorithm."""

from lamina.optimizers import optimizer


class Lion(optimizer.Optimizer):
    """Optimizer that implements the Lion algorithm.

    The Lion optimizer is a stochastic-gradient-descent method that uses the sign operator to
    control the magnitude of the update, unlike other adaptive optimizers such as Adam that
    rely on second-order moments. This makes Lion more memory-efficient as it only keeps track
    of the momentum. According to the authors (see reference), its performance gain over Adam
    grows with the batch size. Because the update of Lion is produced through the sign
    operation, resulting in a larger norm, a suitable learning rate for Lion is typically 3-10x
    smaller than that for AdamW.

    ```python
    w = w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
    m = beta_2 * m + (1 - beta_2) * g
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        beta_1: A float, the rate to combine the current gradient and the 1st moment estimate.
            Must be in (0, 1]. Defaults to `0.9`.
        beta_2: A float, the exponential decay rate for the 1st moment estimate. Defaults to
            `0.99`.
        {{base_optimizer_keyword_args}}

    References:

    - [Chen et al., 2023](http://arxiv.org/abs/2302.06675)

    Example:

    >>> opt = lamina.optimizers.Lion(learning_rate=1e-4)
    """

    _kernel = "lion"
    _hyperparameters = ("beta_1", "beta_2")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.99,
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
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates "
                f"to SignSGD. Received: beta_1={beta_1}."
            )

    def build(self, var_list):
        """Creates the momentums.

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._slot_lists = optimizer.group_slots(self._momentums)

    def _kernel_hyper(self, learning_rate):
        return [learning_rate, float(self.beta_1), float(self.beta_2)]


Lion.__doc__ = Lion.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
