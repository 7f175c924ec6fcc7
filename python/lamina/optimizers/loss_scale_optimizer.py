"""``lamina.optimizers.LossScaleOptimizer``: dynamic loss scaling around another optimizer."""

from lamina import initializers
from lamina import ops
from lamina.backend.naming import name_scope
from lamina.optimizers import base_optimizer
from lamina.optimizers import optimizer
from lamina.saving import serialization_lib


class LossScaleOptimizer(optimizer.Optimizer):
    """An optimizer that dynamically scales the loss to prevent underflow.

    Loss scaling is a technique to prevent numeric underflow in intermediate gradients when
    float16 is used. To prevent underflow, the loss is multiplied (or "scaled") by a certain
    factor called the "loss scale", which causes intermediate gradients to be scaled by the loss
    scale as well. The final gradients are divided (or "unscaled") by the loss scale to bring
    them back to their original value.

    `LossScaleOptimizer` wraps another optimizer and applies dynamic loss scaling to it. This
    loss scale is dynamically updated over time as follows:

    - On any train step, if a nonfinite gradient is encountered, the loss scale is halved, and
      the train step is skipped.
    - If `dynamic_growth_steps` have occurred since the last time the loss scale was updated,
      and no nonfinite gradients have occurred, the loss scale is doubled.

    Args:
        inner_optimizer: The `lamina.optimizers.Optimizer` instance to wrap.
        initial_scale: Float. The initial loss scale. This scale will be updated during
            training. It is recommended for this to be a very high number, because a loss scale
            that is too high gets lowered far more quickly than a loss scale that is too low
            gets raised. Defaults to `2.0 ** 15`.
        dynamic_growth_steps: Int. How often to update the scale upwards. After every
            `dynamic_growth_steps` steps with finite gradients, the loss scale is doubled.
            Defaults to `2000`.
        name: String. The optimizer's name.

    Example:

    >>> opt = lamina.optimizers.LossScaleOptimizer(lamina.optimizers.SGD(0.1), initial_scale=8.0)
    >>> var = lamina.Variable(1.0)
    >>> grad = lamina.ops.convert_to_tensor(8.0)  # the gradient of the scaled loss
    >>> opt.apply([grad], [var])
    >>> round(float(var), 4)
    0.9
    """

    def __init__(self, inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000, name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError(
                "LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                "`loss_scale_factor` directly on the `inner_optimizer`."
            )
        # Older configs carried the base optimizer's arguments: their defaults are accepted.
        base_optimizer_defaults = {
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
        }
        for arg_name, default_value in base_optimizer_defaults.items():
            if arg_name not in kwargs:
                continue
            arg_value = kwargs.pop(arg_name)
            if (default_value is None and arg_value is not None) or arg_value != default_value:
                raise ValueError(
                    f"LossScaleOptimizer does not support `{arg_name}`. Instead, set `{arg_name}` on "
                    "the `inner_optimizer`."
                )
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs.keys())}`.")
        if not isinstance(inner_optimizer, base_optimizer.BaseOptimizer):
            raise ValueError(
                "Argument `inner_optimizer` must be an optimizer instance. Received: "
                f"inner_optimizer={inner_optimizer!r}"
            )

        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        # The inner optimizer must not unscale the gradients a second time.
        self.inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        """Creates the step counter and the dynamic scale, and builds the inner optimizer.

        Args:
            var_list: The model variables to build the optimizer on.
        """
        var_list = list(var_list)
        self.step_counter = self.add_variable(shape=(), dtype="int64", initializer=initializers.Zeros(),
                                              aggregation="none", name="step_counter")
        self.dynamic_scale = self.add_variable(shape=(), dtype="float32",
                                               initializer=initializers.Constant(self.initial_scale),
                                               aggregation="none", name="dynamic_scale")
        self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        """The optimizer's own variables, then the inner optimizer's."""
        return self._variables + self.inner_optimizer.variables

    def check_finite(self, grads):
        """Whether every gradient is finite (a scalar bool Tensor); None gradients are skipped."""
        checks = [ops.all(ops.isfinite(g)) for g in grads if g is not None]
        if not checks:
            return ops.convert_to_tensor(True)
        return ops.all(ops.stack(checks))

    def apply(self, grads, trainable_variables=None):
        """Applies the unscaled gradients with the inner optimizer if they are all finite, and
        updates the loss scale (see the class description).

        Args:
            grads: The gradients of the scaled loss.
            trainable_variables: The variables (needed on the first call, which builds the
                optimizer).

        Raises:
            ValueError: if the optimizer is not built and no variables are given.
        """
        grads = list(grads)
        if not self.built:
            if trainable_variables is None:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built "
                    "on a list of variables. Call `optimizer.build(trainable_variables)` first. "
                )
            trainable_variables = list(trainable_variables)
            with name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        if bool(self.check_finite(grads)):
            self._stateful_handle_finite_grads(grads, trainable_variables)
        else:
            self._stateful_handle_non_finite_grads()

    def _stateful_handle_finite_grads(self, grads, trainable_variables):
        scale = self.dynamic_scale
        variables = trainable_variables if trainable_variables is not None else self._trainable_variables
        unscaled = [
            g if g is None or getattr(v, "overwrite_with_gradient", False) else ops.divide(g, scale)
            for g, v in zip(grads, variables)
        ]
        self.inner_optimizer.apply(unscaled, trainable_variables=trainable_variables)
        # Double the scale after `dynamic_growth_steps` finite steps in a row.
        if int(self.step_counter) == self.dynamic_growth_steps - 1:
            self.step_counter.assign(0)
            self.dynamic_scale.assign(ops.multiply(self.dynamic_scale, 2.0))
        else:
            self.step_counter.assign(ops.add(self.step_counter, 1))

    def _stateful_handle_non_finite_grads(self):
        # Skip the step, halve the scale and restart the count.
        self.step_counter.assign(0)
        self.dynamic_scale.assign(ops.multiply(self.dynamic_scale, 0.5))

    @property
    def learning_rate(self):
        """The inner optimizer's learning rate (settable)."""
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        """The inner optimizer's `iterations` (steps skipped for non-finite gradients do not
        count)."""
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        """Multiplies the loss by the current loss scale (`initial_scale` before building).

        Args:
            loss: The loss.

        Returns:
            The scaled loss (a Tensor).
        """
        scale = self.dynamic_scale if self.built else self.initial_scale
        return ops.multiply(loss, scale)

    def finalize_variable_values(self, var_list):
        """Delegates to the inner optimizer (e.g. the EMA overwrite)."""
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "inner_optimizer": serialization_lib.serialize_keras_object(self.inner_optimizer),
            "initial_scale": self.initial_scale,
            "dynamic_growth_steps": self.dynamic_growth_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        inner_optimizer = serialization_lib.deserialize_keras_object(
            config.pop("inner_optimizer"), custom_objects=custom_objects
        )
        return cls(inner_optimizer, **config)
