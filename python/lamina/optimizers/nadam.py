"""``lamina.optimizers.Nadam``: Adam with Nesterov momentum."""

from lamina.optimizers import optimizer


class Nadam(optimizer.Optimizer):
    """Optimizer that implements the Nadam algorithm.

    Much like Adam is essentially RMSprop with momentum, Nadam is Adam with Nesterov momentum
    ([Dozat, 2015](http://cs229.stanford.edu/proj2015/054_report.pdf)). At step ``t`` (from 1),
    with the momentum schedule ``u_t = beta_1 * (1 - 0.5 * 0.96 ** t)`` and
    ``u_product = u_1 * ... * u_t`` (kept in a variable):

    ```python
    m = m + (g - m) * (1 - beta_1)
    v = v + (g ** 2 - v) * (1 - beta_2)
    m_hat = u_{t+1} * m / (1 - u_product * u_{t+1}) + (1 - u_t) * g / (1 - u_product)
    v_hat = v / (1 - beta_2 ** t)
    w = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.001`.
        beta_1: A float, the exponential decay rate for the 1st moment estimates. Defaults to
            `0.9`.
        beta_2: A float, the exponential decay rate for the 2nd moment estimates. Defaults to
            `0.999`.
        epsilon: A small constant for numerical stability. Defaults to `1e-7`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.Nadam(learning_rate=0.01)
    """

    _kernel = "nadam"
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
        """Creates the momentums and velocities, and the momentum-schedule product.

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        var_list = list(var_list)
        dtype = var_list[0].dtype if var_list else None
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        self._slot_lists = optimizer.group_slots(self._momentums, self._velocities)
        self._u_product = self.add_variable(shape=(), initializer="ones", dtype=dtype, name="u_product")

    def _kernel_prepare_step(self):
        # u_product *= u_t, once per step (before the variables are updated).
        t = self._iteration_value() + 1
        u_t = float(self.beta_1) * (1.0 - 0.5 * 0.96**t)
        self._u_product.assign(float(self._u_product) * u_t)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        self._kernel_prepare_step()
        super()._backend_update_step(grads, trainable_variables, learning_rate)

    def _kernel_hyper(self, learning_rate):
        t = self._iteration_value() + 1
        beta_1, beta_2 = float(self.beta_1), float(self.beta_2)
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t = float(self._u_product)
        u_product_t_1 = u_product_t * u_t_1
        return [learning_rate, beta_1, beta_2, float(self.epsilon), u_t, u_t_1, u_product_t, u_product_t_1,
                beta_2**t]


Nadam.__doc__ = Nadam.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
