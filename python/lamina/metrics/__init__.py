"""``lamina.metrics``: stateful metrics (Keras 3's ``keras.metrics``). The full catalogue comes
with the training issue; ``Metric``, ``Sum`` and ``Mean`` back ``Layer.add_metric`` today."""

from lamina.metrics.metric import Metric
from lamina.metrics.reduction_metrics import Mean
from lamina.metrics.reduction_metrics import Sum

__all__ = ["Mean", "Metric", "Sum"]
