"""lamina.optimizers.schedules: learning-rate schedules (Keras 3's ``keras.optimizers.schedules``).

Each schedule is called with the optimizer's step and returns the learning rate as a scalar
Tensor; pass one as the `learning_rate` of any optimizer.
"""

from lamina.optimizers.schedules.learning_rate_schedule import CosineDecay
from lamina.optimizers.schedules.learning_rate_schedule import CosineDecayRestarts
from lamina.optimizers.schedules.learning_rate_schedule import ExponentialDecay
from lamina.optimizers.schedules.learning_rate_schedule import InverseTimeDecay
from lamina.optimizers.schedules.learning_rate_schedule import LearningRateSchedule
from lamina.optimizers.schedules.learning_rate_schedule import PiecewiseConstantDecay
from lamina.optimizers.schedules.learning_rate_schedule import PolynomialDecay
from lamina.optimizers.schedules.learning_rate_schedule import deserialize
from lamina.optimizers.schedules.learning_rate_schedule import serialize

__all__ = [
    "CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
    "PiecewiseConstantDecay", "PolynomialDecay", "deserialize", "serialize",
]
