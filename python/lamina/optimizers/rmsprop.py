"""``lamina.optimizers.RMSprop``: the RMSprop algorithm (optionally centered, with momentum)."""

from lamina.optimizers import optimizer


class RMSprop(optimizer.Optimizer):
    """Optimizer that implements the RMSprop algorithm.

    The gist of RMSprop is to maintain a moving (discounted) average of the square of gradients
    and divide the gradient by the root of this average:

    ```python
    velocity = rho * velocity + (1 - rho) * g ** 2
    increment = learning_rate * g / sqrt(velocity + epsilon)
    w = w - increment                    # momentum = 0
    ```

    This implementation uses plain momentum, not Nesterov momentum
    (``momentum_slot = momentum * momentum_slot + increment; w = w - momentum_slot``). The
    centered version additionally maintains a moving average of the gradients and uses it to
    estimate the variance (``velocity - average_gradient ** 2 + epsilon`` under the root).

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        rho: float, defaults to 0.9. Discounting factor for the old gradients.
        momentum: float, defaults to 0.0. If not 0.0, the optimizer tracks the momentum value,
            with a decay rate equal to `1 - momentum`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        centered: Boolean. If `True`, gradients are normalized by the estimated variance of the
            gradient; if `False`, by the uncentered second moment. Defaults to `False`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.RMSprop(learning_rate=0.1)
    >>> var = lamina.Variable(10.0)
    >>> opt.apply([lamina.ops.convert_to_tensor(10.0)], [var])  # d(var**2 / 2) / d(var) = var
    >>> round(float(var), 4)
    9.6838
    """

    _kernel = "rmsprop"
    _hyperparameters = ("rho", "momentum", "epsilon", "centered")

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.9,
        momentum=0.0,
        epsilon=1e-7,
        centered=False,
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

    def build(self, var_list):
        """Creates the velocities, then the momentums (if `momentum` > 0), then the average
        gradients (if `centered`).

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        slots = [self._velocities]
        self._momentums = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
            slots.append(self._momentums)
        self._average_gradients = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")
            slots.append(self._average_gradients)
        self._slot_lists = optimizer.group_slots(*slots)

    def _kernel_hyper(self, learning_rate):
        return [learning_rate, float(self.rho), float(self.momentum), float(self.epsilon),
                1.0 if self.centered else 0.0]


RMSprop.__doc__ = RMSprop.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
