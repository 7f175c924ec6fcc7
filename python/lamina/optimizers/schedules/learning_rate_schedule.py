"""Learning-rate schedules (Keras 3's ``keras.optimizers.schedules``).

A schedule is called with the optimizer's step (an int, a Tensor or the optimizer's `iterations`
Variable) and returns the learning rate for that step as a scalar Tensor computed with lamina.ops.
"""

import math

from lamina import ops
from lamina.saving import serialization_lib


class LearningRateSchedule:
    """The learning rate schedule base class.

    A schedule modulates an optimizer's learning rate over time: pass an instance as the
    `learning_rate` of any optimizer and it is called with the optimizer's `iterations` at every
    step. To write your own, implement ``__call__(self, step)`` (`step` is a scalar integer
    tensor, the current training step) and, to make it serializable, ``get_config``.

    Example:

    >>> class MyLRSchedule(lamina.optimizers.schedules.LearningRateSchedule):
    ...     def __init__(self, initial_learning_rate):
    ...         self.initial_learning_rate = initial_learning_rate
    ...     def __call__(self, step):
    ...         return self.initial_learning_rate / (step + 1)
    ...     def get_config(self):
    ...         return {"initial_learning_rate": self.initial_learning_rate}
    >>> optimizer = lamina.optimizers.SGD(learning_rate=MyLRSchedule(0.1))
    """

    def __call__(self, step):
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `__call__(self, step)`."
        )

    def get_config(self):
        """Returns the config of the schedule (a JSON-serializable dict)."""
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` in "
            "order to be serializable."
        )

    @classmethod
    def from_config(cls, config):
        """Instantiates a `LearningRateSchedule` from its config.

        Args:
            config: Output of `get_config()`.

        Returns:
            A `LearningRateSchedule` instance.
        """
        return cls(**config)


def _check_decay_steps(value, arg_name="decay_steps"):
    if value <= 0:
        raise ValueError(f"Argument `{arg_name}` must be > 0. Received: {arg_name}={value}")


def _float_step(step, dtype):
    """The step (int, Tensor or Variable) as a scalar tensor of `dtype`."""
    return ops.cast(step, dtype)


class _StaircaseDecay(LearningRateSchedule):
    """What `ExponentialDecay` and `InverseTimeDecay` share: their arguments and config, and the
    decay progress ``step / decay_steps`` (rounded down with `staircase`)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps(decay_steps)

    def _progress(self, step):
        """Returns the initial rate as a tensor, the decay progress and their dtype."""
        initial_learning_rate = ops.convert_to_tensor(self.initial_learning_rate)
        dtype = initial_learning_rate.dtype
        p = ops.divide(_float_step(step, dtype), ops.cast(self.decay_steps, dtype))
        if self.staircase:
            p = ops.floor(p)
        return initial_learning_rate, p, dtype

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StaircaseDecay):
    """A `LearningRateSchedule` that uses an exponential decay schedule.

    The learning rate at `step` is
    ``initial_learning_rate * decay_rate ** (step / decay_steps)``; with `staircase=True` the
    exponent is rounded down (``step // decay_steps``), so the rate decays at discrete intervals.

    Args:
        initial_learning_rate: A float, the initial learning rate.
        decay_steps: A positive int, the decay period (see the formula).
        decay_rate: A float, the decay rate.
        staircase: Whether to decay at discrete intervals. Defaults to `False`.
        name: The schedule's name. Defaults to `"ExponentialDecay"`.

    Returns:
        A callable ``schedule(step)`` giving the decayed learning rate (a scalar float32 Tensor).

    Example:

    >>> schedule = lamina.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(schedule(10)), 4)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        initial_learning_rate, p, dtype = self._progress(step)
        return ops.multiply(initial_learning_rate, ops.power(ops.cast(self.decay_rate, dtype), p))


class PiecewiseConstantDecay(LearningRateSchedule):
    """A `LearningRateSchedule` that uses a piecewise constant decay schedule.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., and ``values[-1]`` once
    ``step > boundaries[-1]``.

    Args:
        boundaries: A list of increasing step numbers (ints or floats).
        values: A list of learning rates, one more than `boundaries`.
        name: The schedule's name. Defaults to `"PiecewiseConstant"`.

    Returns:
        A callable ``schedule(step)`` giving the learning rate (a scalar Tensor with the dtype
        of ``values[0]``).

    Raises:
        ValueError: if the number of values is not one more than the number of boundaries.

    Example:

    >>> schedule = lamina.optimizers.schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
    >>> float(schedule(150))
    0.5
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. Received: "
                f"boundaries={boundaries} of length {len(boundaries)}, and values={values} of "
                f"length {len(values)}."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = ops.convert_to_tensor(step)
        boundaries = [ops.cast(b, step.dtype) for b in self.boundaries]
        values = [ops.convert_to_tensor(v) for v in self.values]
        result_dtype = values[0].dtype
        # Each range contributes its value times the indicator of `step` being in it.
        result = ops.multiply(ops.cast(ops.less_equal(step, boundaries[0]), result_dtype), values[0])
        result = ops.add(
            result, ops.multiply(ops.cast(ops.greater(step, boundaries[-1]), result_dtype), values[-1])
        )
        for low, high, value in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            in_range = ops.logical_and(ops.greater(step, low), ops.less_equal(step, high))
            result = ops.add(result, ops.multiply(ops.cast(in_range, result_dtype), value))
        return ops.cast(result, result_dtype)

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """A `LearningRateSchedule` that uses a polynomial decay schedule.

    The rate goes from `initial_learning_rate` to `end_learning_rate` in `decay_steps` steps:

    ```python
    step = min(step, decay_steps)
    lr = (initial_learning_rate - end_learning_rate) * (1 - step / decay_steps) ** power
         + end_learning_rate
    ```

    With `cycle=True` the decay restarts: `decay_steps` is replaced by its first multiple that
    is at least `step` (``decay_steps * ceil(step / decay_steps)``, and `decay_steps` at step 0).

    Args:
        initial_learning_rate: A float, the initial learning rate.
        decay_steps: A positive int, the number of steps of the decay.
        end_learning_rate: A float, the minimal end learning rate. Defaults to `0.0001`.
        power: A float, the power of the polynomial. Defaults to `1.0`.
        cycle: Whether to cycle beyond `decay_steps`. Defaults to `False`.
        name: The schedule's name. Defaults to `"PolynomialDecay"`.

    Returns:
        A callable ``schedule(step)`` giving the decayed learning rate (a scalar float32 Tensor).

    Example:

    >>> schedule = lamina.optimizers.schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.0)
    >>> round(float(schedule(5)), 4)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps(decay_steps)

    def __call__(self, step):
        initial_learning_rate = ops.convert_to_tensor(self.initial_learning_rate)
        dtype = initial_learning_rate.dtype
        end_learning_rate = ops.cast(self.end_learning_rate, dtype)
        power = ops.cast(self.power, dtype)
        global_step = _float_step(step, dtype)
        decay_steps = ops.cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = ops.where(
                ops.equal(global_step, 0),
                ops.cast(1.0, dtype),
                ops.ceil(ops.divide(global_step, decay_steps)),
            )
            decay_steps = ops.multiply(decay_steps, multiplier)
        else:
            global_step = ops.minimum(global_step, decay_steps)
        p = ops.divide(global_step, decay_steps)
        return ops.add(
            ops.multiply(ops.subtract(initial_learning_rate, end_learning_rate),
                         ops.power(ops.subtract(1.0, p), power)),
            end_learning_rate,
        )

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class InverseTimeDecay(_StaircaseDecay):
    """A `LearningRateSchedule` that uses an inverse time decay schedule.

    The rate at `step` is ``initial_learning_rate / (1 + decay_rate * step / decay_steps)``;
    with `staircase=True`, ``step / decay_steps`` is rounded down.

    Args:
        initial_learning_rate: A float, the initial learning rate.
        decay_steps: A positive int, how often to apply the decay.
        decay_rate: A float, the decay rate.
        staircase: Whether to apply the decay in a discrete staircase. Defaults to `False`.
        name: The schedule's name. Defaults to `"InverseTimeDecay"`.

    Returns:
        A callable ``schedule(step)`` giving the decayed learning rate (a scalar float32 Tensor).

    Example:

    >>> schedule = lamina.optimizers.schedules.InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> round(float(schedule(2)), 4)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        initial_learning_rate, p, dtype = self._progress(step)
        denominator = ops.add(ops.cast(1.0, dtype), ops.multiply(ops.cast(self.decay_rate, dtype), p))
        return ops.divide(initial_learning_rate, denominator)


class CosineDecay(LearningRateSchedule):
    """A `LearningRateSchedule` that uses a cosine decay with optional linear warmup
    ([Loshchilov & Hutter, 2016](https://arxiv.org/abs/1608.03983)).

    Without warmup (`warmup_target=None`) the rate decays from `initial_learning_rate`:

    ```python
    step = min(step, decay_steps)
    cosine_decay = 0.5 * (1 + cos(pi * step / decay_steps))
    lr = initial_learning_rate * ((1 - alpha) * cosine_decay + alpha)
    ```

    With a `warmup_target`, the rate first rises linearly from `initial_learning_rate` to
    `warmup_target` over `warmup_steps` steps, then decays from `warmup_target` as above over the
    next `decay_steps` steps.

    Args:
        initial_learning_rate: A float, the initial learning rate.
        decay_steps: A positive int, the number of steps to decay over.
        alpha: A float, the minimum rate as a fraction of the decayed-from rate. Defaults to
            `0.0`.
        name: The schedule's name. Defaults to `"CosineDecay"`.
        warmup_target: A float, the rate reached at the end of the warmup, or None for no
            warmup. Defaults to `None`.
        warmup_steps: An int, the number of warmup steps. Defaults to `0`.

    Returns:
        A callable ``schedule(step)`` giving the learning rate (a scalar float32 Tensor).

    Example:

    >>> schedule = lamina.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=0.1,
    ...                                                    warmup_steps=10)
    >>> round(float(schedule(5)), 4)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps(decay_steps)

    def _decay_function(self, step, decay_steps, decay_from_lr, dtype):
        completed_fraction = ops.divide(step, decay_steps)
        pi = ops.convert_to_tensor(math.pi, dtype=dtype)
        cosine_decayed = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(pi, completed_fraction))))
        decayed = ops.add(ops.multiply(1.0 - self.alpha, cosine_decayed), self.alpha)
        return ops.multiply(decay_from_lr, ops.cast(decayed, dtype))

    def _warmup_function(self, step, warmup_steps, warmup_target, initial_learning_rate):
        completed_fraction = ops.divide(step, warmup_steps)
        total_step_delta = ops.subtract(warmup_target, initial_learning_rate)
        return ops.add(ops.multiply(total_step_delta, completed_fraction), initial_learning_rate)

    def __call__(self, step):
        initial_learning_rate = ops.convert_to_tensor(self.initial_learning_rate)
        dtype = initial_learning_rate.dtype
        decay_steps = ops.cast(self.decay_steps, dtype)
        global_step = _float_step(step, dtype)
        if self.warmup_target is None:
            global_step = ops.minimum(global_step, decay_steps)
            return self._decay_function(global_step, decay_steps, initial_learning_rate, dtype)

        warmup_target = ops.cast(self.warmup_target, dtype)
        warmup_steps = ops.cast(self.warmup_steps, dtype)
        global_step = ops.minimum(global_step, ops.add(decay_steps, warmup_steps))
        if float(global_step) < float(warmup_steps):
            return self._warmup_function(global_step, warmup_steps, warmup_target, initial_learning_rate)
        return self._decay_function(ops.subtract(global_step, warmup_steps), decay_steps, warmup_target, dtype)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """A `LearningRateSchedule` that uses a cosine decay schedule with restarts
    ([Loshchilov & Hutter, 2016](https://arxiv.org/abs/1608.03983), SGDR).

    The first period lasts `first_decay_steps` steps; each restart multiplies the period by
    `t_mul` and the restarted initial rate by `m_mul`. Within a period the rate follows
    ``initial * m_mul**i * ((1 - alpha) * 0.5 * (1 + cos(pi * fraction)) + alpha)``.

    Args:
        initial_learning_rate: A float, the initial learning rate.
        first_decay_steps: A positive int, the length of the first decay period.
        t_mul: A float, the factor by which each period is longer than the previous one.
            Defaults to `2.0`.
        m_mul: A float, the factor applied to the initial rate at each restart. Defaults to
            `1.0`.
        alpha: A float, the minimum rate as a fraction of `initial_learning_rate`. Defaults to
            `0.0`.
        name: The schedule's name. Defaults to `"SGDRDecay"`.

    Returns:
        A callable ``schedule(step)`` giving the learning rate (a scalar float32 Tensor).

    Example:

    >>> schedule = lamina.optimizers.schedules.CosineDecayRestarts(0.1, first_decay_steps=10)
    >>> round(float(schedule(10)), 4)  # the first restart
    0.1
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps(first_decay_steps, "first_decay_steps")

    def __call__(self, step):
        initial_learning_rate = ops.convert_to_tensor(self.initial_learning_rate)
        dtype = initial_learning_rate.dtype
        first_decay_steps = ops.cast(self.first_decay_steps, dtype)
        alpha = ops.cast(self.alpha, dtype)
        t_mul = ops.cast(self._t_mul, dtype)
        m_mul = ops.cast(self._m_mul, dtype)
        completed_fraction = ops.divide(_float_step(step, dtype), first_decay_steps)

        if float(t_mul) == 1.0:
            i_restart = ops.floor(completed_fraction)
            completed_fraction = ops.subtract(completed_fraction, i_restart)
        else:
            # Periods grow geometrically: restart i begins at fraction (1 - t_mul**i) / (1 - t_mul).
            i_restart = ops.floor(
                ops.divide(
                    ops.log(ops.subtract(1.0, ops.multiply(completed_fraction, ops.subtract(1.0, t_mul)))),
                    ops.log(t_mul),
                )
            )
            sum_r = ops.divide(ops.subtract(1.0, ops.power(t_mul, i_restart)), ops.subtract(1.0, t_mul))
            completed_fraction = ops.divide(ops.subtract(completed_fraction, sum_r), ops.power(t_mul, i_restart))

        m_fac = ops.power(m_mul, i_restart)
        pi = ops.convert_to_tensor(math.pi, dtype=dtype)
        cosine_decayed = ops.multiply(
            ops.multiply(0.5, m_fac), ops.add(1.0, ops.cos(ops.multiply(pi, completed_fraction)))
        )
        decayed = ops.add(ops.multiply(ops.subtract(1.0, alpha), cosine_decayed), alpha)
        return ops.multiply(initial_learning_rate, decayed)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


ALL_OBJECTS = {
    LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
    CosineDecay, CosineDecayRestarts,
}
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}


def serialize(learning_rate_schedule):
    """Serializes a `LearningRateSchedule` into a JSON-compatible dict.

    Args:
        learning_rate_schedule: The `LearningRateSchedule` object to serialize.

    Returns:
        A JSON-serializable dict representing the object's config.

    Example:

    >>> schedule = lamina.optimizers.schedules.ExponentialDecay(0.1, 100000, 0.96, staircase=True)
    >>> lamina.optimizers.schedules.serialize(schedule)["class_name"]
    'ExponentialDecay'
    """
    return serialization_lib.serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Instantiates a `LearningRateSchedule` object from a serialized form.

    Args:
        config: The serialized form of the schedule (the output of `serialize`), or the name
            of a built-in schedule class.
        custom_objects: Optional dict mapping names to custom classes.

    Returns:
        A `LearningRateSchedule` instance.

    Example:

    >>> config = {"class_name": "PolynomialDecay",
    ...           "config": {"initial_learning_rate": 0.1, "decay_steps": 10000,
    ...                      "end_learning_rate": 0.01, "power": 0.5, "cycle": False,
    ...                      "name": None}}
    >>> lamina.optimizers.schedules.deserialize(config)
    <...PolynomialDecay object at ...>
    """
    return serialization_lib.deserialize_keras_object(
        config, module_objects=ALL_OBJECTS_DICT, custom_objects=custom_objects
    )
