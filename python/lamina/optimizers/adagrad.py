"""``lamina.optimizers.Adagrad``: per-parameter learning rates from accumulated squared
gradients."""

from lamina import initializers
from lamina.optimizers import optimizer


class Adagrad(optimizer.Optimizer):
    """Optimizer that implements the Adagrad algorithm.

    Adagrad is an optimizer with parameter-specific learning rates, which are adapted relative
    to how frequently a parameter gets updated during training: the more updates a parameter
    receives, the smaller the updates.

    ```python
    accumulator = accumulator + g ** 2
    w = w - learning_rate * g / sqrt(accumulator + epsilon)
    ```

    Args:
        learning_rate: A float, a `lamina.optimizers.schedules.LearningRateSchedule` instance,
            or a callable that takes no arguments and returns the actual value to use. The
            learning rate. Note that `Adagrad` tends to benefit from higher initial learning
            rate values compared to other optimizers; to match the exact form in the original
            paper, use `1.0`. Defaults to `0.001`.
        initial_accumulator_value: Floating point value. Starting value for the accumulators
            (per-parameter momentum values). Must be non-negative. Defaults to `0.1`.
        epsilon: Small floating point value for maintaining numerical stability. Defaults to
            `1e-7`.
        {{base_optimizer_keyword_args}}

    Reference:

    - [Duchi et al., 2011](http://www.jmlr.org/papers/volume12/duchi11a/duchi11a.pdf).

    Example:

    >>> opt = lamina.optimizers.Adagrad(learning_rate=0.1)
    """

    _kernel = "adagrad"
    _hyperparameters = ("initial_accumulator_value", "epsilon")

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value=0.1,
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
        """Creates the accumulators (filled with `initial_accumulator_value`).

        Args:
            var_list: The model variables to build the optimizer on.
        """
        if self.built:
            return
        super().build(var_list)
        initializer = initializers.Constant(self.initial_accumulator_value)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator", initializer=initializer)
        self._slot_lists = optimizer.group_slots(self._accumulators)

    def _kernel_hyper(self, learning_rate):
        return [learning_rate, float(self.epsilon)]


Adagrad.__doc__ = Adagrad.__doc__.replace("{{base_optimizer_keyword_args}}", optimizer.base_optimizer_keyword_args)
