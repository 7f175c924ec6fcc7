"""lamina.optimizers.schedules: every schedule against a numpy reference of Keras 3's formulas,
called with ints, Tensors and an optimizer's int64 `iterations` Variable; configs, serialize,
errors."""

import json
import math

import numpy as np
import pytest

import lamina
from lamina import ops
from lamina.optimizers import schedules

STEPS = [0, 1, 2, 3, 5, 7, 10, 11, 15, 20, 31, 47, 64, 100, 150, 1000]


def np_exponential(step, initial, decay_steps, rate, staircase=False):
    p = step / decay_steps
    if staircase:
        p = np.floor(p)
    return initial * rate**p


def np_inverse_time(step, initial, decay_steps, rate, staircase=False):
    p = step / decay_steps
    if staircase:
        p = np.floor(p)
    return initial / (1 + rate * p)


def np_piecewise(step, boundaries, values):
    for b, v in zip(boundaries, values):
        if step <= b:
            return v
    return values[-1]


def np_polynomial(step, initial, decay_steps, end=0.0001, power=1.0, cycle=False):
    if cycle:
        decay_steps = decay_steps * (1.0 if step == 0 else math.ceil(step / decay_steps))
    else:
        step = min(step, decay_steps)
    return (initial - end) * (1 - step / decay_steps) ** power + end


def np_cosine(step, initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def decay(s, from_lr):
        cosine = 0.5 * (1 + math.cos(math.pi * s / decay_steps))
        return from_lr * ((1 - alpha) * cosine + alpha)

    if warmup_target is None:
        return decay(min(step, decay_steps), initial)
    step = min(step, decay_steps + warmup_steps)
    if step < warmup_steps:
        return (warmup_target - initial) * step / warmup_steps + initial
    return decay(step - warmup_steps, warmup_target)


def np_cosine_restarts(step, initial, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0):
    # Walk the periods one by one (an independent formulation of Keras' closed form).
    period, start, i = float(first_decay_steps), 0.0, 0
    while step >= start + period:
        start += period
        period *= t_mul
        i += 1
    fraction = (step - start) / period
    cosine = 0.5 * m_mul**i * (1 + math.cos(math.pi * fraction))
    return initial * ((1 - alpha) * cosine + alpha)


CASES = [
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9},
     lambda s: np_exponential(s, 0.1, 10, 0.9)),
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.5, "decay_steps": 7, "decay_rate": 0.5,
                                  "staircase": True},
     lambda s: np_exponential(s, 0.5, 7, 0.5, staircase=True)),
    (schedules.InverseTimeDecay, {"initial_learning_rate": 0.1, "decay_steps": 5, "decay_rate": 0.5},
     lambda s: np_inverse_time(s, 0.1, 5, 0.5)),
    (schedules.InverseTimeDecay, {"initial_learning_rate": 0.2, "decay_steps": 4, "decay_rate": 1.5,
                                  "staircase": True},
     lambda s: np_inverse_time(s, 0.2, 4, 1.5, staircase=True)),
    (schedules.PiecewiseConstantDecay, {"boundaries": [10, 20, 100], "values": [1.0, 0.5, 0.1, 0.01]},
     lambda s: np_piecewise(s, [10, 20, 100], [1.0, 0.5, 0.1, 0.01])),
    (schedules.PiecewiseConstantDecay, {"boundaries": [5], "values": [0.3, 0.03]},
     lambda s: np_piecewise(s, [5], [0.3, 0.03])),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 20},
     lambda s: np_polynomial(s, 0.1, 20)),
    (schedules.PolynomialDecay, {"initial_learning_rate": 0.1, "decay_steps": 20, "end_learning_rate": 0.01,
                                 "power": 0.5, "cycle": True},
     lambda s: np_polynomial(s, 0.1, 20, 0.01, 0.5, cycle=True)),
    (schedules.PolynomialDecay, {"initial_learning_rate": 1.0, "decay_steps": 15, "end_learning_rate": 0.0,
                                 "power": 2.0},
     lambda s: np_polynomial(s, 1.0, 15, 0.0, 2.0)),
    (schedules.CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 50},
     lambda s: np_cosine(s, 0.1, 50)),
    (schedules.CosineDecay, {"initial_learning_rate": 0.1, "decay_steps": 50, "alpha": 0.2},
     lambda s: np_cosine(s, 0.1, 50, alpha=0.2)),
    (schedules.CosineDecay, {"initial_learning_rate": 0.0, "decay_steps": 40, "alpha": 0.1,
                             "warmup_target": 0.2, "warmup_steps": 10},
     lambda s: np_cosine(s, 0.0, 40, 0.1, 0.2, 10)),
    (schedules.CosineDecay, {"initial_learning_rate": 0.05, "decay_steps": 30, "warmup_target": 0.1,
                             "warmup_steps": 0},
     lambda s: np_cosine(s, 0.05, 30, 0.0, 0.1, 0)),
    (schedules.CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": 10},
     lambda s: np_cosine_restarts(s, 0.1, 10)),
    (schedules.CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": 8, "t_mul": 1.0,
                                     "m_mul": 0.5, "alpha": 0.1},
     lambda s: np_cosine_restarts(s, 0.1, 8, 1.0, 0.5, 0.1)),
    (schedules.CosineDecayRestarts, {"initial_learning_rate": 0.2, "first_decay_steps": 6, "t_mul": 1.5,
                                     "m_mul": 0.8},
     lambda s: np_cosine_restarts(s, 0.2, 6, 1.5, 0.8)),
]
IDS = [f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(CASES)]


@pytest.mark.parametrize("cls,kwargs,reference", CASES, ids=IDS)
def test_schedule_values(cls, kwargs, reference):
    schedule = cls(**kwargs)
    for step in STEPS:
        out = schedule(step)
        assert isinstance(out, lamina.Tensor) and out.shape == () and out.dtype == "float32"
        np.testing.assert_allclose(float(out), reference(step), rtol=2e-5, atol=1e-7, err_msg=f"step={step}")


@pytest.mark.parametrize("cls,kwargs,reference", CASES, ids=IDS)
def test_schedule_with_tensor_and_variable_steps(cls, kwargs, reference):
    schedule = cls(**kwargs)
    iterations = lamina.Variable(0, dtype="int64", trainable=False, name="iteration")
    for step in [0, 3, 12, 64]:
        iterations.assign(step)
        expected = reference(step)
        for s in (iterations, ops.convert_to_tensor(step, dtype="int32"), ops.convert_to_tensor(step, dtype="int64"),
                  np.int64(step)):
            np.testing.assert_allclose(float(schedule(s)), expected, rtol=2e-5, atol=1e-7)


def test_schedule_drives_an_optimizer():
    schedule = schedules.PolynomialDecay(0.5, decay_steps=4, end_learning_rate=0.1)
    opt = lamina.optimizers.SGD(learning_rate=schedule)
    var = lamina.Variable([0.0])
    expected = 0.0
    for step in range(6):
        np.testing.assert_allclose(float(opt.learning_rate), np_polynomial(step, 0.5, 4, 0.1), rtol=1e-6)
        opt.apply([ops.ones((1,))], [var])
        expected -= np_polynomial(step, 0.5, 4, 0.1)
    np.testing.assert_allclose(var.numpy(), [expected], rtol=1e-5)


def test_piecewise_value_dtype_follows_values():
    schedule = schedules.PiecewiseConstantDecay([2, 4], [3, 2, 1])
    assert schedule(0).dtype == "int32" and int(schedule(3)) == 2 and int(schedule(9)) == 1
    schedule = schedules.PiecewiseConstantDecay([2.5], [1.0, 0.5])
    assert float(schedule(2)) == 1.0 and float(schedule(3)) == 0.5
    assert float(schedule(ops.convert_to_tensor(2.6))) == 0.5


def test_float64_initial_rate_keeps_float64():
    schedule = schedules.ExponentialDecay(np.float64(0.1), 10, 0.5)
    out = schedule(10)
    assert out.dtype == "float64"
    np.testing.assert_allclose(float(out), 0.05, rtol=1e-12)


@pytest.mark.parametrize("cls,kwargs,reference", CASES, ids=IDS)
def test_config_round_trip(cls, kwargs, reference):
    schedule = cls(**kwargs, name="my_schedule")
    config = schedule.get_config()
    json.dumps(config)
    assert config["name"] == "my_schedule"
    for key, value in kwargs.items():
        assert config[key] == value
    restored = cls.from_config(config)
    assert type(restored) is cls and restored.get_config() == config
    serialized = schedules.serialize(schedule)
    assert serialized == {"module": "keras.optimizers.schedules", "class_name": cls.__name__, "config": config,
                          "registered_name": None}
    again = schedules.deserialize(json.loads(json.dumps(serialized)))
    assert type(again) is cls and again.get_config() == config
    for step in [0, 7, 31]:
        np.testing.assert_allclose(float(again(step)), reference(step), rtol=2e-5, atol=1e-7)


def test_default_names_and_config_keys():
    assert schedules.ExponentialDecay(0.1, 1, 0.5).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5, "staircase": False,
        "name": "ExponentialDecay"}
    assert schedules.PiecewiseConstantDecay([1], [1.0, 0.5]).name == "PiecewiseConstant"
    assert schedules.PolynomialDecay(0.1, 1).get_config() == {
        "initial_learning_rate": 0.1, "decay_steps": 1, "end_learning_rate": 0.0001, "power": 1.0, "cycle": False,
        "name": "PolynomialDecay"}
    assert schedules.InverseTimeDecay(0.1, 1, 0.5).name == "InverseTimeDecay"
    assert list(schedules.CosineDecay(0.1, 1).get_config()) == [
        "initial_learning_rate", "decay_steps", "alpha", "name", "warmup_target", "warmup_steps"]
    assert schedules.CosineDecayRestarts(0.1, 1).get_config() == {
        "initial_learning_rate": 0.1, "first_decay_steps": 1, "t_mul": 2.0, "m_mul": 1.0, "alpha": 0.0,
        "name": "SGDRDecay"}


def test_deserialize_by_name_and_custom_schedule():
    schedule = schedules.deserialize({"class_name": "PolynomialDecay", "config": {
        "initial_learning_rate": 0.1, "decay_steps": 10000, "end_learning_rate": 0.01, "power": 0.5,
        "cycle": False, "name": None}})
    assert isinstance(schedule, schedules.PolynomialDecay) and schedule.power == 0.5

    @lamina.saving.register_keras_serializable(package="schedule_tests")
    class HalfEveryStep(schedules.LearningRateSchedule):
        def __init__(self, initial_learning_rate):
            self.initial_learning_rate = initial_learning_rate

        def __call__(self, step):
            return self.initial_learning_rate * ops.power(0.5, ops.cast(step, "float32"))

        def get_config(self):
            return {"initial_learning_rate": self.initial_learning_rate}

    custom = HalfEveryStep(0.8)
    serialized = schedules.serialize(custom)
    assert serialized["registered_name"] == "schedule_tests>HalfEveryStep"
    restored = schedules.deserialize(serialized)
    assert isinstance(restored, HalfEveryStep) and float(restored(2)) == pytest.approx(0.2)
    opt = lamina.optimizers.Adam(learning_rate=custom)
    config = opt.get_config()
    again = lamina.optimizers.Adam.from_config(json.loads(json.dumps(config)))
    assert isinstance(again._learning_rate, HalfEveryStep)
    assert float(again.learning_rate) == pytest.approx(0.8)


def test_base_class_must_be_overridden():
    class NoCall(schedules.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match="'NoCall' must override `__call__"):
        NoCall()(0)
    with pytest.raises(NotImplementedError, match="must override `get_config\\(\\)`"):
        NoCall().get_config()


def test_errors():
    for cls, args in [(schedules.ExponentialDecay, (0.1, 0, 0.5)), (schedules.InverseTimeDecay, (0.1, -1, 0.5)),
                      (schedules.PolynomialDecay, (0.1, 0)), (schedules.CosineDecay, (0.1, 0))]:
        with pytest.raises(ValueError, match="Argument `decay_steps` must be > 0. Received: decay_steps="):
            cls(*args)
    with pytest.raises(ValueError, match="Argument `first_decay_steps` must be > 0. Received: first_decay_steps=0"):
        schedules.CosineDecayRestarts(0.1, 0)
    with pytest.raises(ValueError, match="The length of boundaries should be 1 less than the length of values"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
