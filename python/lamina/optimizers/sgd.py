"""``lamina.optimizers.SGD``: gradient descent, with optional (Nesterov) momentum."""

from lamina.optimizers import optimizer


class SGD(optimizer.Optimizer):
    """Gradient descent (with momentum) optimizer.

    Update rule for parameter `w` with gradient `g` when `momentum` is 0:

    ```python
    w = w - learning_rate * g
    ```

    Update rule when `momentum` is larger than 0:

    ```python
    velocity = momentum * velocity - learning_rate * g
    w = w + velocity
    ```

    When `nesterov=True`, this rule becomes:

    ```python
    velocity = momentum * velocity - learning_rate * g
    w = w + momentum * velocity - learning_rate * g
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Defaults to `0.01`.
        momentum: float hyperparameter in [0, 1] that accelerates gradient descent in the
            relevant direction and dampens oscillations. 0 is vanilla gradient descent.
            Defaults to `0.0`.
        nesterov: boolean. Whether to apply Nesterov momentum. Defaults to `False`.
        {{base_optimizer_keyword_args}}

    Example:

    >>> opt = lamina.optimizers.SGD(learning_rate=0.1)
    >>> var = lamina.Variable(1.0)
    >>> opt.apply([lamina.ops.convert_to_tensor(1.0)], [var])
    >>> round(float(var), 4)
    0.9
    """

    _kernel = "sgd"
    _hyperparameters = ("momentum", "nesterov")

    def __init__(
        self,
        learning_rate=0.01,
        momentum=0.0,
        nesterov=False,
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
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError(f"`momentum` must be a float between [0, 1]. Received: momentum={momentum}")

    def build(self, variables):
        """Creates the `momentums` (one per variable, only when `momentum` is not 0).

        Args:
            variables: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")
            self._slot_lists = [[m] for m in self.momentums]
        else:
            self._slot_lists = [[] for _ in variables]

    def _kernel_hyper(self, learning_rate):
        return [learning_rate, float(self.momentum), 1.0 if self.nesterov else 0.0]


SGD.__doc__ = SGD.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
