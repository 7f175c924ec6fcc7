"""``BaseOptimizer``: the engine-agnostic half of Keras 3's optimizer base class.

It owns everything an optimizer does around the update rule itself: the `iterations` counter,
the learning rate (a float Variable, a schedule or a callable), optimizer variables, building,
gradient filtering, unscaling and clipping, decoupled weight decay, gradient accumulation,
weight EMA, constraints, configs and state saving. `lamina.optimizers.Optimizer` (optimizer.py)
adds the fused Rust update used by the built-in optimizers.
"""

import re
import warnings

from lamina import initializers
from lamina import ops
from lamina._lamina import Tensor
from lamina.backend import config as backend_config
from lamina.backend.naming import auto_name
from lamina.backend.naming import name_scope
from lamina.backend.variables import Variable
from lamina.optimizers.schedules import learning_rate_schedule
from lamina.saving import serialization_lib

# Attributes holding the *model's* variables (or other bookkeeping): never tracked as
# optimizer variables by `__setattr__`.
_UNTRACKED_ATTRIBUTES = frozenset(
    {"_trainable_variables", "_variables", "_tracked_ids", "_exclude_from_weight_decay_variables"}
)
# Bookkeeping keyed by `id(variable)`: rebuilt from the variables themselves after a copy or
# unpickling (where the ids change).
_ID_KEYED_ATTRIBUTES = (
    "_tracked_ids", "_trainable_variables_indices", "_exclude_from_weight_decay",
    "_exclude_from_weight_decay_cache",
)


class BaseOptimizer:
    """Abstract optimizer base class.

    To write your own optimization algorithm, subclass `lamina.optimizers.Optimizer` and
    override:

    - `build`: create the optimizer variables (e.g. momentums) with `add_variable` /
      `add_variable_from_reference` / `add_optimizer_variables`;
    - `update_step`: the update of one variable from its gradient;
    - `get_config`: the optimizer's hyperparameters, for serialization.

    Example:

    >>> class MomentumSGD(lamina.optimizers.Optimizer):
    ...     def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
    ...         super().__init__(learning_rate=learning_rate, **kwargs)
    ...         self.momentum = momentum
    ...     def build(self, variables):
    ...         super().build(variables)
    ...         self.momentums = self.add_optimizer_variables(variables, "momentum")
    ...     def update_step(self, gradient, variable, learning_rate):
    ...         m = self.momentums[self._get_variable_index(variable)]
    ...         self.assign(m, m * self.momentum - gradient * learning_rate)
    ...         self.assign_add(variable, m)
    ...     def get_config(self):
    ...         return {**super().get_config(), "momentum": self.momentum}
    """

    def __init__(
        self,
        learning_rate,
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
        self._lock = False

        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.")
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")

        if name is None:
            name = auto_name(self.__class__.__name__)
        self.name = name
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps

        if gradient_accumulation_steps:
            if not gradient_accumulation_steps >= 2:
                raise ValueError(
                    "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                    f"gradient_accumulation_steps={gradient_accumulation_steps}"
                )

        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(f"`ema_momentum` must be in the range [0, 1]. Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency

        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        self.built = False

        # Optimizer variables, in creation order (Keras' order: it fixes the saved layout).
        self._variables = []
        self._tracked_ids = set()
        self._trainable_variables = []
        self._trainable_variables_indices = {}

        with name_scope(self.name, caller=self):
            iterations = Variable(0, name="iteration", dtype="int64", trainable=False,
                                  aggregation="only_first_replica")
        self._track_variable(iterations)
        self._iterations = iterations

        if isinstance(learning_rate, learning_rate_schedule.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if not isinstance(learning_rate, float):
                raise ValueError(
                    "Argument `learning_rate` should be float, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current iteration value "
                    "and returns the corresponding learning rate value). Received instead: "
                    f"learning_rate={learning_rate}"
                )
            self._learning_rate = self._create_learning_rate_variable(learning_rate)

    # -----------------------------------------------------------------------------------------
    # Attribute tracking
    # -----------------------------------------------------------------------------------------

    def __setattr__(self, name, value):
        # State attached before `super().__init__()` would silently not be tracked.
        if name != "_lock":
            self._check_super_called()
        if name not in _UNTRACKED_ATTRIBUTES and "_tracked_ids" in self.__dict__:
            self._track_value(value)
        object.__setattr__(self, name, value)

    def _track_value(self, value):
        if isinstance(value, Variable):
            self._track_variable(value)
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, Variable):
                    self._track_variable(item)
        elif isinstance(value, dict):
            for item in value.values():
                if isinstance(item, Variable):
                    self._track_variable(item)

    def _track_variable(self, variable):
        if id(variable) not in self._tracked_ids:
            self._tracked_ids.add(id(variable))
            self._variables.append(variable)

    def _untrack_variable(self, variable):
        if id(variable) in self._tracked_ids:
            self._tracked_ids.discard(id(variable))
            self._variables = [v for v in self._variables if v is not variable]

    def __getstate__(self):
        state = dict(self.__dict__)
        for key in _ID_KEYED_ATTRIBUTES:
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        d = self.__dict__
        d.update(state)
        d["_tracked_ids"] = {id(v) for v in d["_variables"]}
        d["_trainable_variables_indices"] = {id(v): i for i, v in enumerate(d["_trainable_variables"])}
        if "_exclude_from_weight_decay_variables" in d:
            d["_exclude_from_weight_decay"] = {id(v) for v in d["_exclude_from_weight_decay_variables"]}

    def _check_super_called(self):
        if "_lock" not in self.__dict__:
            raise RuntimeError(
                f"In optimizer '{self.__class__.__name__}', you forgot to call `super().__init__()` as "
                "the first statement in the `__init__()` method. Go add it!"
            )

    def _create_learning_rate_variable(self, value):
        with name_scope(self.name, caller=self):
            variable = Variable(value, name="learning_rate", dtype=backend_config.floatx(), trainable=False,
                                aggregation="only_first_replica")
        self._track_variable(variable)
        return variable

    # -----------------------------------------------------------------------------------------
    # Properties
    # -----------------------------------------------------------------------------------------

    @property
    def iterations(self):
        """The number of optimizer steps taken (an int64 Variable).

        With `gradient_accumulation_steps`, the number of actual updates:
        ``optimizer steps // gradient_accumulation_steps`` (a Tensor).
        """
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations, self.gradient_accumulation_steps)
        return self._iterations

    def _iteration_value(self):
        """`iterations` as a Python int."""
        count = int(self._iterations)
        if self.gradient_accumulation_steps:
            return count // self.gradient_accumulation_steps
        return count

    @property
    def variables(self):
        """The optimizer's variables (iterations, learning rate, then its state), a new list."""
        return self._variables[:]

    @property
    def learning_rate(self):
        """The current learning rate: the float32 learning-rate Variable, or the value of the
        schedule (or callable) at the current step.

        Set it to a float (or a scalar tensor) to change the rate, or to a
        `LearningRateSchedule` or a callable to replace it. A float cannot be set when the
        optimizer was created with a schedule (TypeError).
        """
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        previous_variable = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(learning_rate, learning_rate_schedule.LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        else:
            if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
                raise TypeError(
                    "This optimizer was created with a `LearningRateSchedule` object as its "
                    "`learning_rate` constructor argument, hence its learning rate is not settable. "
                    "If you need the learning rate to be settable, you should instantiate the "
                    "optimizer with a float `learning_rate` argument."
                )
            if previous_variable is None:
                # The rate was a callable: a number makes it a variable again.
                self._learning_rate = self._create_learning_rate_variable(float(learning_rate))
            else:
                previous_variable.assign(learning_rate)
        if previous_variable is not None and not isinstance(self._learning_rate, Variable):
            self._untrack_variable(previous_variable)

    def _get_current_learning_rate(self):
        if isinstance(self._learning_rate, learning_rate_schedule.LearningRateSchedule):
            return self._learning_rate(self._iterations)
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        if callable(self._learning_rate):
            return self._learning_rate()
        return self._learning_rate

    def _learning_rate_value(self):
        """The current learning rate as a Python float."""
        return float(self._get_current_learning_rate())

    # -----------------------------------------------------------------------------------------
    # Building and variables
    # -----------------------------------------------------------------------------------------

    def build(self, variables):
        """Creates the optimizer's state for `variables` (the model's trainable variables).

        Subclasses create their own variables after calling ``super().build(variables)``.

        Args:
            variables: The list of variables the optimizer will update.
        """
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = [
                self.add_variable_from_reference(v, name="gradient_accumulator") for v in variables
            ]
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[self._var_key(variable)] = i
        self._trainable_variables = variables
        self.built = True

    def _var_key(self, variable):
        return id(variable)

    def _get_variable_index(self, variable):
        return self._trainable_variables_indices[self._var_key(variable)]

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", layout=None,
                     name=None):
        """Adds a (non-trainable) variable to the optimizer.

        Args:
            shape: The variable's shape (fully defined).
            initializer: An initializer or its name (e.g. `"random_normal"`). Defaults to
                `"zeros"`.
            dtype: The dtype, e.g. `"float32"`. Defaults to ``lamina.config.floatx()``.
            aggregation: One of `"none"`, `"mean"`, `"sum"` or `"only_first_replica"`.
                Defaults to `"none"`.
            layout: A tensor layout (accepted for Keras compatibility, unused).
            name: The variable's name.

        Returns:
            The new `lamina.Variable`, tracked in `optimizer.variables`.
        """
        del layout
        self._check_super_called()
        initializer = initializers.get(initializer)
        with name_scope(self.name, caller=self):
            variable = Variable(initializer=initializer, shape=shape, dtype=dtype, trainable=False,
                                aggregation=aggregation, name=name)
        self._track_variable(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """Adds an optimizer variable shaped like a model variable.

        The new variable has the shape and dtype of `reference_variable` and is named
        ``{reference path with "/" replaced by "_"}_{name}`` (e.g. ``dense_kernel_momentum``).

        Args:
            reference_variable: The model variable the new variable corresponds to.
            name: The name suffix. Defaults to `"var"`.
            initializer: An initializer or its name. Defaults to `"zeros"`.

        Returns:
            The new `lamina.Variable`.
        """
        name = name or "var"
        if hasattr(reference_variable, "path"):
            name = f"{reference_variable.path.replace('/', '_')}_{name}"
        else:
            name = f"{str(reference_variable.name).replace('/', '_').replace(':', '_')}_{name}"
        return self.add_variable(shape=reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Adds optimizer variables for each of `trainable_variables`.

        Variables with ``overwrite_with_gradient=True`` get None instead (the optimizer never
        uses state for them). With several names, the variables are created interleaved
        (``a_0, b_0, a_1, b_1, ...``), as Keras does.

        Args:
            trainable_variables: The model variables.
            name: A name suffix, or a list of them.
            initializer: An initializer (or name), or a list of them (one per name).

        Returns:
            A list of variables for one name; a tuple of lists for a list of names.

        Raises:
            ValueError: if the numbers of names and initializers differ.
        """
        if isinstance(name, str):
            names, inits = [name], [initializer]
        else:
            names = list(name)
            if isinstance(initializer, (str, initializers.Initializer)) or not isinstance(initializer, (list, tuple)):
                inits = [initializer] * len(names)
            else:
                inits = list(initializer)
        if len(names) != len(inits):
            raise ValueError(
                "The number of provided names must match the number of provided initializers.  "
                f"Received name='{name}', initializer='{initializer}'"
            )
        out = tuple([] for _ in names)
        for variable in trainable_variables:
            overwrite = getattr(variable, "overwrite_with_gradient", False)
            for i, (var_name, var_init) in enumerate(zip(names, inits)):
                out[i].append(
                    None if overwrite
                    else self.add_variable_from_reference(variable, name=var_name, initializer=var_init)
                )
        return out[0] if isinstance(name, str) else out

    def assign(self, variable, value):
        """Assigns `value` to `variable` (a model or optimizer variable)."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """Adds `value` to `variable`."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """Subtracts `value` from `variable`."""
        variable.assign_sub(value)

    def _check_variables_are_known(self, variables):
        known = self._trainable_variables_indices
        for v in variables:
            if id(v) not in known:
                raise ValueError(
                    f"Unknown variable: {v}. This optimizer can only be called for the variables it "
                    "was originally built with. When working with a new set of variables, you "
                    "should recreate a new optimizer instance."
                )

    # -----------------------------------------------------------------------------------------
    # Applying gradients
    # -----------------------------------------------------------------------------------------

    def update_step(self, gradient, variable, learning_rate):
        """Updates one variable from its gradient (override in custom optimizers).

        Args:
            gradient: The gradient of `variable`.
            variable: The variable to update.
            learning_rate: The current learning rate.
        """
        raise NotImplementedError(
            f"Optimizer '{self.__class__.__name__}' must override `update_step(gradient, variable, "
            "learning_rate)`."
        )

    def apply_gradients(self, grads_and_vars):
        """Applies gradients to variables.

        Args:
            grads_and_vars: A list of ``(gradient, variable)`` pairs.

        Returns:
            The `iterations` Variable (for tf.keras compatibility).
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, trainable_variables = zip(*pairs)
            self.apply(grads, trainable_variables)
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """Updates the variables from their gradients (one optimizer step).

        Gradients that are None are skipped (with a warning); gradients are unscaled by
        `loss_scale_factor`, clipped, then weight decay and the update rule are applied, then
        the variables' constraints, the EMA, and `iterations` is incremented.

        Args:
            grads: The gradients, one per variable.
            trainable_variables: The variables to update. On the first call this builds the
                optimizer; later calls must pass variables it was built with. If None, the
                optimizer must be built and `grads` matches its variables one to one.

        Raises:
            ValueError: if the optimizer is not built and no variables are given, if the numbers
                of gradients and variables differ, for a variable it was not built with, or if
                every gradient is None.
        """
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be built "
                    "on a list of variables. Call `optimizer.build(trainable_variables)` first. "
                )
            if len(grads) != len(self._trainable_variables_indices):
                raise ValueError(
                    "When passing `grads` as a list of gradient tensors, the gradients must match "
                    f"`optimizer.variables` one-to-on. Received a list of {len(grads)} gradients, but "
                    f"the optimizer is tracking {len(self._trainable_variables)} trainable variables."
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(
                    "The number of gradients must match the number of variables. Received "
                    f"{len(grads)} gradients and {len(trainable_variables)} variables."
                )
            if not self.built:
                with name_scope(self.name, caller=self):
                    self.build(trainable_variables)
                self.built = True
            self._check_variables_are_known(trainable_variables)

        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        grads, trainable_variables = self._overwrite_variables_directly_with_gradients(grads, trainable_variables)
        if grads:
            scale = self.loss_scale_factor
            if scale is not None:
                grads = [ops.divide(g, scale) for g in grads]
            self._backend_apply_gradients(grads, trainable_variables)
            for variable in trainable_variables:
                constraint = variable.constraint
                if constraint is not None:
                    variable.assign(constraint(variable))
        _increment(self._iterations)

    def _backend_apply_gradients(self, grads, trainable_variables):
        """The step proper: gradient accumulation, clipping, weight decay and the update rule,
        then the EMA of the weights."""
        if self.gradient_accumulation_steps:
            steps = self.gradient_accumulation_steps
            is_update_step = (int(self._iterations) + 1) % steps == 0
            acc_grads = [self._accumulated_gradients[self._get_variable_index(v)] for v in trainable_variables]
            if is_update_step:
                grads = [ops.divide(ops.add(g, acc), steps) for g, acc in zip(grads, acc_grads)]
                grads = self._clip_gradients(grads)
                self._apply_weight_decay_and_update(grads, trainable_variables)
                for acc in self._accumulated_gradients:
                    if acc is not None:
                        acc.assign(ops.zeros(acc.shape, dtype=acc.dtype))
            else:
                for g, acc in zip(grads, acc_grads):
                    acc.assign(ops.add(g, acc))
        else:
            grads = self._clip_gradients(grads)
            self._apply_weight_decay_and_update(grads, trainable_variables)

        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            if self.ema_overwrite_frequency:
                if (self._iteration_value() + 1) % self.ema_overwrite_frequency == 0:
                    self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _apply_weight_decay_and_update(self, grads, trainable_variables):
        """Decoupled weight decay, then the update rule of every variable."""
        self._apply_weight_decay(trainable_variables)
        self._backend_update_step(grads, trainable_variables, self.learning_rate)

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        """Runs `update_step` for each (gradient, variable) pair."""
        for grad, var in zip(grads, trainable_variables):
            self.update_step(grad, var, learning_rate)

    def _filter_empty_gradients(self, grads, variables):
        if all(g is not None for g in grads):
            return grads, variables
        kept_grads, kept_vars, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", None) or v.name)
            else:
                kept_grads.append(g)
                kept_vars.append(v)
        if not kept_grads:
            raise ValueError("No gradients provided for any variable.")
        warnings.warn(
            f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
            "`model.compile()`, did you forget to provide a `loss` argument?",
            stacklevel=3,
        )
        return kept_grads, kept_vars

    def _overwrite_variables_directly_with_gradients(self, grads, variables):
        """Variables with ``overwrite_with_gradient=True`` take their gradient as their new value
        (with gradient accumulation: the maximum over the accumulated steps) and leave the normal
        update path."""
        if not any(getattr(v, "overwrite_with_gradient", False) for v in variables):
            return grads, variables
        kept_grads, kept_vars = [], []
        for g, v in zip(grads, variables):
            if not getattr(v, "overwrite_with_gradient", False):
                kept_grads.append(g)
                kept_vars.append(v)
                continue
            if self.gradient_accumulation_steps:
                steps = self.gradient_accumulation_steps
                acc = self._accumulated_gradients[self._get_variable_index(v)]
                if (int(self._iterations) + 1) % steps == 0:
                    v.assign(ops.maximum(g, acc))
                    acc.assign(ops.zeros(acc.shape, dtype=acc.dtype))
                else:
                    acc.assign(ops.maximum(g, acc))
            else:
                v.assign(g)
        return kept_grads, kept_vars

    def _clip_gradients(self, grads):
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) if g is not None else g for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue and self.clipvalue > 0:
            v = self.clipvalue
            return [ops.clip(g, -v, v) if g is not None else g for g in grads]
        return grads

    def _clip_by_norm(self, values, axes=None):
        """`values` scaled so that its L2 norm (over `axes`) is at most `clipnorm`."""
        if axes is None:
            l2norm = ops.sqrt(_squared_norm(values))
        else:
            l2norm = ops.sqrt(ops.sum(ops.square(values), axis=axes, keepdims=True))
        return ops.multiply(values, ops.divide(self.clipnorm, ops.maximum(l2norm, self.clipnorm)))

    # -----------------------------------------------------------------------------------------
    # Weight decay
    # -----------------------------------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Excludes variables from weight decay.

        Call it before the optimizer is built. Variables are excluded if they are in
        `var_list`, or if any string of `var_names` occurs in their name.

        Args:
            var_list: A list of variables to exclude.
            var_names: A list of strings; e.g. ``var_names=["bias"]`` excludes every variable
                whose name contains "bias".
        """
        self._exclude_from_weight_decay_variables = list(var_list) if var_list else []
        self._exclude_from_weight_decay = {self._var_key(v) for v in self._exclude_from_weight_decay_variables}
        if var_names and len(var_names) > 0:
            self._exclude_from_weight_decay_pattern = re.compile("|".join(set(var_names)))
        else:
            self._exclude_from_weight_decay_pattern = None
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable):
        cache = self.__dict__.get("_exclude_from_weight_decay_cache")
        if cache is None:
            cache = self._exclude_from_weight_decay_cache = {}
        key = self._var_key(variable)
        use = cache.get(key)
        if use is None:
            use = True
            if key in self.__dict__.get("_exclude_from_weight_decay", ()):
                use = False
            pattern = self.__dict__.get("_exclude_from_weight_decay_pattern")
            if use and pattern is not None and re.search(pattern, variable.name) is not None:
                use = False
            cache[key] = use
        return use

    def _apply_weight_decay(self, variables):
        if self.weight_decay is None:
            return
        lr = None
        for variable in variables:
            if self._use_weight_decay(variable):
                if lr is None:
                    lr = self._learning_rate_value()
                variable.assign(ops.subtract(variable, ops.multiply(variable, self.weight_decay * lr)))

    # -----------------------------------------------------------------------------------------
    # Exponential moving average of the weights
    # -----------------------------------------------------------------------------------------

    def _update_model_variables_moving_average(self, trainable_variables):
        """``average = m * average + (1 - m) * variable`` (m is 0 at the first step)."""
        if not self.use_ema:
            return
        momentum = self.ema_momentum if self._iteration_value() != 0 else 0.0
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is None:
                continue
            if momentum == 0.0:
                average.assign(var)
            else:
                average.assign(ops.add(ops.multiply(momentum, average), ops.multiply(1.0 - momentum, var)))

    def _overwrite_model_variables_with_average_value(self, trainable_variables):
        """Overwrites the model variables with their moving averages."""
        if len(trainable_variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The length of model variables ({len(trainable_variables)}) to override does not "
                "match the length of model variables stored in the optimizer "
                f"({len(self._model_variables_moving_average)}). Please check if the optimizer was "
                "called on your model."
            )
        for var, average in zip(trainable_variables, self._model_variables_moving_average):
            if average is not None:
                var.assign(average)

    def finalize_variable_values(self, var_list):
        """Sets the final values of the model's trainable variables.

        With `use_ema=True`, the variables are overwritten with their moving averages (``fit``
        does this after the last epoch).

        Args:
            var_list: The model's trainable variables.
        """
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))

    # -----------------------------------------------------------------------------------------
    # Loss scaling, stateless application
    # -----------------------------------------------------------------------------------------

    def scale_loss(self, loss):
        """Scales the loss before gradients are computed (by `loss_scale_factor` if set).

        Args:
            loss: The loss.

        Returns:
            The scaled loss (`loss` itself when no scale factor is set).
        """
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """`apply` on given values instead of the variables' own state.

        Args:
            optimizer_variables: Values for `optimizer.variables`, one per variable.
            grads: The gradients.
            trainable_variables: Values for the variables the optimizer was built with.

        Returns:
            A tuple ``(trainable_variables, optimizer_variables)`` of the updated values
            (Tensors); the optimizer's and the model's variables are left unchanged.

        Raises:
            ValueError: if the optimizer is not built or the lists have the wrong lengths.
        """
        self._check_super_called()
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {self.__class__.__name__} must be built (i.e. its "
                "variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        own = self.variables
        if len(optimizer_variables) != len(own):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to "
                f"{self.__class__.__name__}().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(own)} variables."
            )
        if len(trainable_variables) != len(self._trainable_variables):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 to the "
                "trainable variables list that the optimizer was built with. Received "
                f"len(trainable_variables) == {len(trainable_variables)} whereas the optimizer was "
                f"built with {len(self._trainable_variables)} variables."
            )
        targets = list(self._trainable_variables) + own
        saved = [v.value for v in targets]
        try:
            for v, value in zip(targets, list(trainable_variables) + list(optimizer_variables)):
                v.assign(value)
            self.apply(grads)
            new_trainable = [v.value for v in self._trainable_variables]
            new_optimizer = [v.value for v in own]
        finally:
            for v, value in zip(targets, saved):
                v.assign(value)
        return new_trainable, new_optimizer

    # -----------------------------------------------------------------------------------------
    # State and config
    # -----------------------------------------------------------------------------------------

    def set_weights(self, weights):
        """Sets the values of the optimizer's variables (in `variables` order)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                "calling `set_weights()`."
            )
        for variable, weight in zip(self._variables, weights):
            shape = tuple(getattr(weight, "shape", ()))
            if tuple(variable.shape) != shape:
                raise ValueError(
                    f"Optimizer variable {self._var_key(variable)} has shape {variable.shape} not "
                    f"compatible with provided weight shape {shape}."
                )
            variable.assign(weight)

    def save_own_variables(self, store):
        """Writes the optimizer's variables into `store` (a dict-like), under "0", "1", ..."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Loads the optimizer's variables from `store` (written by `save_own_variables`)."""
        if len(store.keys()) != len(self.variables):
            msg = (
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self.variables)} variables whereas the saved optimizer has {len(store.keys())} "
                "variables. "
            )
            if len(self.variables) == 0:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, variable in enumerate(self.variables):
            variable.assign(store[str(i)])

    def _obj_type(self):
        return "Optimizer"

    def get_config(self):
        """Returns the config of the optimizer (a JSON-serializable dict of hyperparameters).

        The optimizer can be re-created (without its state) from it with `from_config`.
        Subclasses add their own hyperparameters.
        """
        lr = self._learning_rate
        if isinstance(lr, learning_rate_schedule.LearningRateSchedule):
            learning_rate = learning_rate_schedule.serialize(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        elif isinstance(lr, Tensor):
            learning_rate = float(lr)
        elif callable(lr):
            learning_rate = serialization_lib.serialize_keras_object(lr)
        else:
            learning_rate = 0.5
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates an optimizer from its config (the output of `get_config`).

        Args:
            config: The config dict.
            custom_objects: Optional dict of custom objects needed to rebuild a custom schedule.

        Returns:
            An optimizer instance.
        """
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = serialization_lib.deserialize_keras_object(
                config["learning_rate"], custom_objects=custom_objects
            )
        return cls(**config)


def _increment(variable):
    """``variable += 1`` for an integer variable."""
    variable.assign(ops.add(variable, 1))


def _squared_norm(x):
    """``sum(x ** 2)`` as one dot product of the flattened tensor (a single pass, no temporary)."""
    flat = ops.ravel(x)
    return ops.matmul(flat, flat)


def global_norm(value_list):
    """The global L2 norm of a list of tensors (None entries are skipped)."""
    total = None
    for v in value_list:
        if v is None:
            continue
        s = _squared_norm(v)
        total = s if total is None else ops.add(total, s)
    return ops.sqrt(total)


def clip_by_global_norm(value_list, clip_norm):
    """Scales every tensor of `value_list` by ``clip_norm / max(global_norm, clip_norm)``; a
    non-finite global norm makes every value NaN (as in Keras)."""
    use_norm = global_norm(value_list)
    scale = ops.multiply(clip_norm, ops.minimum(ops.divide(1.0, use_norm), 1.0 / clip_norm))
    # A no-op for a finite norm; NaN for inf/NaN norms.
    scale = ops.add(scale, ops.subtract(use_norm, use_norm))
    return [ops.multiply(v, scale) if v is not None else v for v in value_list]


base_optimizer_keyword_args = """name: String. The name to use for momentum accumulator weights
            created by the optimizer.
        weight_decay: Float. If set, weight decay is applied.
        clipnorm: Float. If set, the gradient of each weight is individually clipped so that its
            norm is no higher than this value.
        clipvalue: Float. If set, the gradient of each weight is clipped to be no higher than
            this value.
        global_clipnorm: Float. If set, the gradient of all weights is clipped so that their
            global norm is no higher than this value.
        use_ema: Boolean, defaults to `False`. If `True`, exponential moving average (EMA) is
            applied: an EMA of the model's weights is kept (updated after each step) and the
            weights are periodically overwritten with it.
        ema_momentum: Float, defaults to 0.99. Only used if `use_ema=True`. The momentum of the
            EMA: ``new_average = ema_momentum * old_average + (1 - ema_momentum) * value``.
        ema_overwrite_frequency: Int or None, defaults to None. Only used if `use_ema=True`.
            Every `ema_overwrite_frequency` steps the model variables are overwritten with their
            moving average. If None, they are overwritten only by
            `optimizer.finalize_variable_values()` (which `fit()` calls after the last epoch).
        loss_scale_factor: Float or `None`. If a float, the loss is multiplied by it before
            gradients are computed (`scale_loss`) and the gradients are divided by it before the
            update, to prevent underflow in mixed precision training.
        gradient_accumulation_steps: Int or `None`. If an int, variables are updated only every
            `gradient_accumulation_steps` steps, with the average of the gradients since the
            last update. EMA frequency looks at the accumulated iterations
            (optimizer steps // gradient_accumulation_steps); learning-rate schedules look at the
            real optimizer steps."""
