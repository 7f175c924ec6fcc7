"""``lamina.optimizers.Adamax``: Adam based on the infinity norm."""

from lamina.optimizers import optimizer


class Adamax(optimizer.Optimizer):
    """Optimizer that implements the Adamax algorithm.

    Adamax, a variant of Adam based on the infinity norm, is a first-order gradient-based
    optimization method (section 7.1 of [Kingma et al., 2014](http://arxiv.org/abs/1412.6980)).
    At step ``t`` (from 1):

    ```python
    m = beta_1 * m + (1 - beta_1) * g
    u = max(beta_2 * u, abs(g))
    w = w - learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        beta_1: A float, the exponential decay rate for the 1st moment estimates. Defaults to
            `0.9`.
        beta_2: A float, the exponential decay rate for the exponentially weighted infinity
            norm. Defaults to `0.999`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.Adamax(learning_rate=0.01)
    """

    _kernel = "adamax"
    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
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
        """Creates the momentums (m) and the exponentially weighted infinity norms (u).

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])
        self._slot_lists = optimizer.group_slots(self._m, self._u)

    def _kernel_hyper(self, learning_rate):
        t = self._iteration_value() + 1
        beta_1 = float(self.beta_1)
        return [learning_rate, beta_1, float(self.beta_2), float(self.epsilon), beta_1**t]


Adamax.__doc__ = Adamax.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
