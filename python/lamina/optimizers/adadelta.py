"""``lamina.optimizers.Adadelta``: adaptive learning rates from moving windows of gradient
updates."""

from lamina.optimizers import optimizer


class Adadelta(optimizer.Optimizer):
    """Optimizer that implements the Adadelta algorithm.

    Adadelta optimization is a stochastic gradient descent method that is based on adaptive
    learning rate per dimension, addressing the continual decay of learning rates throughout
    training and the need for a manually selected global learning rate:

    ```python
    accumulated_grad = rho * accumulated_grad + (1 - rho) * g ** 2
    delta = -sqrt(accumulated_delta_var + epsilon) * g / sqrt(accumulated_grad + epsilon)
    accumulated_delta_var = rho * accumulated_delta_var + (1 - rho) * delta ** 2
    w = w + learning_rate * delta
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Note that `Adadelta` tends to benefit from higher initial learning
            rate values compared to other optimizers; to match the exact form in the original
            paper, use 1.0. Defaults to `0.001`.
        rho: A floating point value. The decay rate. Defaults to `0.95`.
        epsilon: Small floating point value for maintaining numerical stability. Defaults to
            `1e-7`.
        {{base_optimizer_keyword_args}}

    Reference:

    - [Zeiler, 2012](http://arxiv.org/abs/1212.5701)

    Example:

    >>> opt = lamina.optimizers.Adadelta(learning_rate=1.0)
    """

    _kernel = "adadelta"
    _hyperparameters = ("rho", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        rho=0.95,
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
        """Creates the accumulated squared gradients and squared updates.

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"]
        )
        self._slot_lists = optimizer.group_slots(self._accumulated_grads, self._accumulated_delta_vars)

    def _kernel_hyper(self, learning_rate):
        return [learning_rate, float(self.rho), float(self.epsilon)]


Adadelta.__doc__ = Adadelta.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
