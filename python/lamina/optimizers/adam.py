"""``lamina.optimizers.Adam``: the Adam algorithm (with optional AMSGrad)."""

from lamina.optimizers import optimizer


class Adam(optimizer.Optimizer):
    """Optimizer that implements the Adam algorithm.

    Adam optimization is a stochastic gradient descent method that is based on adaptive
    estimation of first-order and second-order moments
    ([Kingma et al., 2014](http://arxiv.org/abs/1412.6980)). At step ``t`` (from 1):

    ```python
    m = m + (g - m) * (1 - beta_1)
    v = v + (g ** 2 - v) * (1 - beta_2)
    alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    w = w - alpha * m / (sqrt(v) + epsilon)
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        beta_1: A float, the exponential decay rate for the 1st moment estimates. Defaults to
            `0.9`.
        beta_2: A float, the exponential decay rate for the 2nd moment estimates. Defaults to
            `0.999`.
        epsilon: A small constant for numerical stability ("epsilon hat" in the Kingma and Ba
            paper, not the epsilon in Algorithm 1). Defaults to `1e-7`.
        amsgrad: Boolean. Whether to apply the AMSGrad variant of this algorithm from the paper
            "On the Convergence of Adam and beyond" (the running maximum of `v` is used).
            Defaults to `False`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.Adam(learning_rate=0.1)
    >>> var = lamina.Variable([1.0, 2.0])
    >>> opt.apply([lamina.ops.convert_to_tensor([0.5, -0.5])], [var])
    >>> var.numpy().round(4)
    array([0.9, 2.1], dtype=float32)
    """

    _kernel = "adam"
    _hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
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
        """Creates the momentums and velocities (and, with `amsgrad`, the velocity maxima).

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        slots = [self._momentums, self._velocities]
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")
            slots.append(self._velocity_hats)
        self._slot_lists = optimizer.group_slots(*slots)

    def _kernel_hyper(self, learning_rate):
        t = self._iteration_value() + 1
        beta_1, beta_2 = float(self.beta_1), float(self.beta_2)
        return [learning_rate, beta_1, beta_2, float(self.epsilon), beta_1**t, beta_2**t]


Adam.__doc__ = Adam.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
