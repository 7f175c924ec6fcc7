"""Metrics from confusion-matrix counts (Keras 3's ``keras.metrics``): the counts themselves,
Precision, Recall, the sensitivity/specificity/precision/recall trade-off metrics, and AUC.

Every count is accumulated at all thresholds at once (see
`metrics_utils.update_confusion_matrix_variables`).
"""

import numpy as np

from lamina import ops
from lamina.backend import config as backend_config
from lamina.metrics import metrics_utils
from lamina.metrics.metric import Metric
from lamina.metrics.metrics_utils import ConfusionMatrix
from lamina.metrics.metrics_utils import divide_no_nan


def _check_top_k(top_k, owner):
    if top_k is not None:
        metrics_utils.check_positive_int(top_k, "top_k", owner)


def _check_class_id(class_id, owner):
    if class_id is not None and (isinstance(class_id, bool)
                                 or not isinstance(class_id, (int, np.integer)) or class_id < 0):
        raise ValueError(
            f"{owner}: received an invalid value for `class_id`, expected a non-negative "
            f"integer. Received: class_id={class_id!r}"
        )


class _ConfusionMatrixConditionCount(Metric):
    """Counts one cell of the confusion matrix (the subclass's `_confusion_matrix_cond`) at each
    threshold.

    Args:
        thresholds: (Optional) a float or a list of floats in [0, 1]; a prediction is
            positive when above the threshold. Defaults to 0.5.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
    """

    # The `ConfusionMatrix` cell to count.
    _confusion_matrix_cond = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = metrics_utils.parse_init_thresholds(thresholds, default_threshold=0.5)
        self.accumulator = self.add_variable(
            shape=(len(self.thresholds),), initializer="zeros", name="accumulator"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the count.

        Args:
            y_true: The ground truth values (cast to bool).
            y_pred: The predicted values, in [0, 1].
            sample_weight: Optional weights, broadcastable to `y_pred`.
        """
        metrics_utils.update_confusion_matrix_variables(
            {self._confusion_matrix_cond: self.accumulator},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            sample_weight=sample_weight,
        )

    def result(self):
        value = ops.convert_to_tensor(self.accumulator)
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class FalsePositives(_ConfusionMatrixConditionCount):
    """Calculates the number of false positives (weighted by `sample_weight`).

    Args:
        thresholds: (Optional) a float or a list of floats in [0, 1]; a prediction is
            positive when above the threshold. One result per threshold. Defaults to 0.5.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.FalsePositives()
    >>> m.update_state([0, 1, 0, 0], [0, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _confusion_matrix_cond = ConfusionMatrix.FALSE_POSITIVES


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Calculates the number of false negatives (weighted by `sample_weight`).

    Args:
        thresholds: (Optional) a float or a list of floats in [0, 1]. Defaults to 0.5.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.FalseNegatives()
    >>> m.update_state([0, 1, 1, 1], [0, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _confusion_matrix_cond = ConfusionMatrix.FALSE_NEGATIVES


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Calculates the number of true negatives (weighted by `sample_weight`).

    Args:
        thresholds: (Optional) a float or a list of floats in [0, 1]. Defaults to 0.5.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.TrueNegatives()
    >>> m.update_state([0, 1, 0, 0], [1, 1, 0, 0])
    >>> float(m.result())
    2.0
    """

    _confusion_matrix_cond = ConfusionMatrix.TRUE_NEGATIVES


class TruePositives(_ConfusionMatrixConditionCount):
    """Calculates the number of true positives (weighted by `sample_weight`).

    Args:
        thresholds: (Optional) a float or a list of floats in [0, 1]. Defaults to 0.5.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.TruePositives()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(m.result())
    2.0
    """

    _confusion_matrix_cond = ConfusionMatrix.TRUE_POSITIVES


class _PrecisionRecallBase(Metric):
    # Shared by Precision and Recall: thresholds/top_k/class_id handling and two count
    # variables (true positives and `_other`, the false positives or false negatives).

    _other = None

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        _check_top_k(top_k, self.__class__.__name__)
        _check_class_id(class_id, self.__class__.__name__)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default_threshold = 0.5 if top_k is None else metrics_utils.NEG_INF
        self.thresholds = metrics_utils.parse_init_thresholds(
            thresholds, default_threshold=default_threshold
        )
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros",
                                                name="true_positives")
        other_name = {ConfusionMatrix.FALSE_POSITIVES: "false_positives",
                      ConfusionMatrix.FALSE_NEGATIVES: "false_negatives"}[self._other]
        setattr(self, other_name,
                self.add_variable(shape=shape, initializer="zeros", name=other_name))
        self._other_variable = getattr(self, other_name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates true positives and the other count of the metric.

        Args:
            y_true: The ground truth values, with the same dimensions as `y_pred` (cast to
                bool).
            y_pred: The predicted values, each in [0, 1].
            sample_weight: Optional weighting of each example, broadcastable to `y_pred`.
                Defaults to 1.
        """
        metrics_utils.update_confusion_matrix_variables(
            {ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
             self._other: self._other_variable},
            y_true,
            y_pred,
            thresholds=self.thresholds,
            top_k=self.top_k,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        value = divide_no_nan(self.true_positives,
                              ops.add(self.true_positives, self._other_variable))
        return value[0] if len(self.thresholds) == 1 else value

    def reset_state(self):
        n = len(self.thresholds)
        self.true_positives.assign(ops.zeros((n,), dtype=self.true_positives.dtype))
        self._other_variable.assign(ops.zeros((n,), dtype=self._other_variable.dtype))

    def get_config(self):
        config = {"thresholds": self.init_thresholds, "top_k": self.top_k,
                  "class_id": self.class_id}
        return {**super().get_config(), **config}


class Precision(_PrecisionRecallBase):
    """Computes the precision of the predictions with respect to the labels.

    ``precision = true_positives / (true_positives + false_positives)`` (0 when nothing was
    predicted positive). A prediction is positive when above the threshold.

    With `top_k`, only the `top_k` largest predictions of each row are candidates for being
    positive (with the default threshold, all of them are). With `class_id`, only that class
    (column) is scored, which gives the precision of one class.

    Args:
        thresholds: (Optional) a float or a list/tuple of floats in [0, 1]: one result per
            threshold. Defaults to 0.5 (or, with `top_k`, no threshold).
        top_k: (Optional) a positive int: consider only the top-k predictions of each row.
        class_id: (Optional) a non-negative int: the class to compute the precision of.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Precision()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = ConfusionMatrix.FALSE_POSITIVES


class Recall(_PrecisionRecallBase):
    """Computes the recall of the predictions with respect to the labels.

    ``recall = true_positives / (true_positives + false_negatives)`` (0 when there are no
    positive labels). A prediction is positive when above the threshold.

    With `top_k`, only the `top_k` largest predictions of each row are candidates for being
    positive. With `class_id`, only that class (column) is scored.

    Args:
        thresholds: (Optional) a float or a list/tuple of floats in [0, 1]: one result per
            threshold. Defaults to 0.5 (or, with `top_k`, no threshold).
        top_k: (Optional) a positive int: consider only the top-k predictions of each row.
        class_id: (Optional) a non-negative int: the class to compute the recall of.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.Recall()
    >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _other = ConfusionMatrix.FALSE_NEGATIVES


class SensitivitySpecificityBase(Metric):
    """The base of the metrics that maximise one rate under a constraint on another, over
    `num_thresholds` evenly spaced thresholds in [0, 1].

    Args:
        value: The constraint's value (in [0, 1]).
        num_thresholds: (Optional) the number of thresholds. Defaults to 200.
        class_id: (Optional) the class to compute the metric for.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
    """

    # A subclass's constrained rate (also the name of its first argument, saved in the config)
    # and the rate it maximises under that constraint: keys of `_rates()`.
    _constrained = None
    _maximized = None

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if self._constrained is not None:
            _check_unit_interval(value, self._constrained)
            setattr(self, self._constrained, value)
            self.num_thresholds = num_thresholds
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 0. "
                f"Received: num_thresholds={num_thresholds}"
            )
        _check_class_id(class_id, self.__class__.__name__)
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros",
                                                name="true_positives")
        self.false_positives = self.add_variable(shape=shape, initializer="zeros",
                                                 name="false_positives")
        self.true_negatives = self.add_variable(shape=shape, initializer="zeros",
                                                name="true_negatives")
        self.false_negatives = self.add_variable(shape=shape, initializer="zeros",
                                                 name="false_negatives")

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the four confusion-matrix counts at every threshold.

        Args:
            y_true: The ground truth values (cast to bool).
            y_pred: The predicted values, each in [0, 1].
            sample_weight: Optional weights, broadcastable to `y_pred`.
        """
        metrics_utils.update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
                ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
                ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            thresholds=self.thresholds,
            class_id=self.class_id,
            sample_weight=sample_weight,
        )

    def result(self):
        if self._constrained is None:  # a custom subclass computes its own result
            return super().result()
        rates = self._rates()
        return self._find_max_under_constraint(rates[self._constrained], rates[self._maximized])

    def get_config(self):
        config = {**super().get_config(), "class_id": self.class_id}
        if self._constrained is not None:
            config.update({"num_thresholds": self.num_thresholds,
                           self._constrained: getattr(self, self._constrained)})
        return config

    def _rates(self):
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        sensitivity = divide_no_nan(tp, ops.add(tp, fn))
        return {
            "sensitivity": sensitivity,
            "recall": sensitivity,
            "specificity": divide_no_nan(tn, ops.add(tn, fp)),
            "precision": divide_no_nan(tp, ops.add(tp, fp)),
        }

    def _find_max_under_constraint(self, constrained, dependent):
        # The largest `dependent` over the thresholds where `constrained >= value` (0 if none).
        feasible = ops.greater_equal(constrained, self.value)
        return ops.max(ops.where(feasible, dependent, ops.zeros_like(dependent)), initial=0.0)


def _check_unit_interval(value, arg):
    if not 0 <= value <= 1:
        raise ValueError(f"Argument `{arg}` must be in the range [0, 1]. Received: {arg}={value}")


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """Computes the best sensitivity (recall) where the specificity is >= `specificity`.

    ``sensitivity = tp / (tp + fn)``, ``specificity = tn / (tn + fp)``, both computed at
    `num_thresholds` evenly spaced thresholds.

    Args:
        specificity: A float in [0, 1].
        num_thresholds: (Optional) the number of thresholds. Defaults to 200.
        class_id: (Optional) the class to compute the metric for.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.SensitivityAtSpecificity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _constrained = "specificity"
    _maximized = "sensitivity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """Computes the best specificity where the sensitivity (recall) is >= `sensitivity`.

    Args:
        sensitivity: A float in [0, 1].
        num_thresholds: (Optional) the number of thresholds. Defaults to 200.
        class_id: (Optional) the class to compute the metric for.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.SpecificityAtSensitivity(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(m.result()), 4)
    0.6667
    """

    _constrained = "sensitivity"
    _maximized = "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)


class PrecisionAtRecall(SensitivitySpecificityBase):
    """Computes the best precision where the recall is >= `recall`.

    Args:
        recall: A float in [0, 1].
        num_thresholds: (Optional) the number of thresholds. Defaults to 200.
        class_id: (Optional) the class to compute the metric for.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.PrecisionAtRecall(0.5)
    >>> m.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(m.result())
    0.5
    """

    _constrained = "recall"
    _maximized = "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)


class RecallAtPrecision(SensitivitySpecificityBase):
    """Computes the best recall where the precision is >= `precision`.

    Args:
        precision: A float in [0, 1].
        num_thresholds: (Optional) the number of thresholds. Defaults to 200.
        class_id: (Optional) the class to compute the metric for.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.

    Example:

    >>> m = lamina.metrics.RecallAtPrecision(0.8)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.5
    """

    _constrained = "precision"
    _maximized = "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds=num_thresholds, class_id=class_id, name=name,
                         dtype=dtype)


class AUC(Metric):
    """Approximates the AUC (area under the curve) of the ROC or PR curve.

    The ROC curve plots the true positive rate (recall) against the false positive rate; the
    PR curve plots precision against recall. The area is a Riemann sum over
    `num_thresholds` thresholds: four variables (true/false positives/negatives, one entry
    per threshold) accumulate the counts, and `result()` sums the area between consecutive
    thresholds. The thresholds are ``-epsilon``, ``1/(n-1)``, ..., ``(n-2)/(n-1)``,
    ``1 + epsilon``, so that predictions of exactly 0 or 1 are on the expected side.

    With ``summation_method="interpolation"``, ROC uses trapezoids and PR uses Keras'
    interpolation of true and false positives between thresholds (Davis & Goadrich 2006);
    ``"minoring"``/``"majoring"`` take the smaller/larger height of each interval.

    Args:
        num_thresholds: (Optional) the number of thresholds to use when discretizing the
            curve; must be > 1. Defaults to `200`.
        curve: (Optional) ``"ROC"`` (default), ``"PR"`` (precision-recall) or ``"PRGAIN"``
            (precision-recall-gain).
        summation_method: (Optional) ``"interpolation"`` (default), ``"minoring"`` or
            ``"majoring"``.
        name: (Optional) string name of the metric instance.
        dtype: (Optional) data type of the metric result.
        thresholds: (Optional) a list of floats to use as thresholds (then `num_thresholds`
            is ``len(thresholds) + 2``: -epsilon and 1 + epsilon are added).
        multi_label: boolean: whether the last axis holds separate labels, whose AUCs are
            computed separately and averaged, rather than being flattened into one label.
        num_labels: (Optional) the number of labels, with `multi_label` (else the variables
            are created on the first `update_state`).
        label_weights: (Optional) non-negative weights per label: with `multi_label`, they
            weight the average of the per-label AUCs; otherwise they weight each label's
            counts.
        from_logits: boolean: whether `y_pred` holds logits (a sigmoid is applied).

    Example:

    >>> m = lamina.metrics.AUC(num_thresholds=3)
    >>> m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(m.result())
    0.75
    """

    def __init__(
        self,
        num_thresholds=200,
        curve="ROC",
        summation_method="interpolation",
        name=None,
        dtype=None,
        thresholds=None,
        multi_label=False,
        num_labels=None,
        label_weights=None,
        from_logits=False,
    ):
        self._direction = "up"
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            thresholds = sorted(metrics_utils._to_list(thresholds))
            self.num_thresholds = len(thresholds) + 2
        else:
            if isinstance(num_thresholds, bool) \
                    or not isinstance(num_thresholds, (int, np.integer)) or num_thresholds <= 1:
                raise ValueError(
                    "Argument `num_thresholds` must be an integer > 1. "
                    f"Received: num_thresholds={num_thresholds}"
                )
            self.num_thresholds = int(num_thresholds)
            thresholds = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        eps = backend_config.epsilon()
        self._thresholds = np.array([0.0 - eps] + list(thresholds) + [1.0 + eps])
        self.curve = curve if isinstance(curve, metrics_utils.AUCCurve) \
            else metrics_utils.AUCCurve.from_str(curve)
        self.summation_method = summation_method \
            if isinstance(summation_method, metrics_utils.AUCSummationMethod) \
            else metrics_utils.AUCSummationMethod.from_str(summation_method)
        super().__init__(name=name, dtype=dtype)
        self.multi_label = multi_label
        self.num_labels = num_labels
        if label_weights is not None:
            if isinstance(label_weights, dict):  # a serialized tensor in a config
                from lamina.saving import serialization_lib

                label_weights = serialization_lib.deserialize_keras_object(label_weights)
            label_weights = ops.cast(ops.convert_to_tensor(label_weights), self.dtype)
            if bool(ops.convert_to_numpy(ops.any(ops.less(label_weights, 0)))):
                raise ValueError(
                    "All values of `label_weights` must be non-negative. Received: "
                    f"label_weights={ops.convert_to_numpy(label_weights).tolist()}"
                )
        self.label_weights = label_weights
        self._from_logits = from_logits
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds used for evaluating AUC (with -epsilon and 1 + epsilon)."""
        return list(self._thresholds)

    def _build(self, shape):
        """Creates the four count variables (per label with `multi_label`)."""
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(
                    "`y_pred` must have rank 2 when `multi_label=True`. Found rank "
                    f"{len(shape)}. Full shape received for `y_pred`: {tuple(shape)}"
                )
            self._num_labels = shape[1]
            variable_shape = (self.num_thresholds, self._num_labels)
        else:
            variable_shape = (self.num_thresholds,)
        self._build_input_shape = shape
        self.true_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_positives")
        self.false_positives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_positives")
        self.true_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                name="true_negatives")
        self.false_negatives = self.add_variable(shape=variable_shape, initializer="zeros",
                                                 name="false_negatives")
        self._built = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Accumulates the confusion-matrix counts at every threshold.

        Args:
            y_true: The ground truth values (cast to bool).
            y_pred: The predicted values, in [0, 1] (or logits with `from_logits`).
            sample_weight: Optional weights, broadcastable to `y_pred`.
        """
        y_pred = ops.convert_to_tensor(y_pred)
        if not self._built:
            self._build(tuple(y_pred.shape))
        if self.multi_label and (len(y_pred.shape) != 2
                                 or y_pred.shape[-1] != self._num_labels):
            raise ValueError(
                f"AUC '{self.name}' with `multi_label=True` expects `y_pred` of shape "
                f"(batch_size, {self._num_labels}). Received: y_pred.shape={tuple(y_pred.shape)}"
            )
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        label_weights = None if self.multi_label else self.label_weights
        metrics_utils.update_confusion_matrix_variables(
            {
                ConfusionMatrix.TRUE_POSITIVES: self.true_positives,
                ConfusionMatrix.TRUE_NEGATIVES: self.true_negatives,
                ConfusionMatrix.FALSE_POSITIVES: self.false_positives,
                ConfusionMatrix.FALSE_NEGATIVES: self.false_negatives,
            },
            y_true,
            y_pred,
            self._thresholds,
            sample_weight=sample_weight,
            multi_label=self.multi_label,
            label_weights=label_weights,
        )

    def _average_over_labels(self, by_threshold):
        if not self.multi_label:
            return ops.sum(by_threshold)
        by_label_auc = ops.sum(by_threshold, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label_auc)
        return divide_no_nan(ops.sum(ops.multiply(by_label_auc, self.label_weights)),
                             ops.sum(self.label_weights))

    def interpolate_pr_auc(self):
        """The PR-AUC by Keras' interpolation (Davis & Goadrich 2006).

        Between two thresholds, true positives and predicted positives ``p = tp + fp`` are
        interpolated linearly, with precision ``tp / p`` following along. With slope
        ``s = dtp / dp`` and intercept ``b = tp[i+1] - s * p[i+1]``, the area of interval ``i``
        is ``s * (dtp + b * log(p[i] / p[i+1])) / (tp[i+1] + fn[i+1])``.

        Returns:
            The PR-AUC (averaged over labels with `multi_label`).
        """
        n = self.num_thresholds
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        tp_hi, tp_lo = tp[: n - 1], tp[1:]
        dtp = ops.subtract(tp_hi, tp_lo)
        p = ops.add(tp, fp)
        p_hi, p_lo = p[: n - 1], p[1:]
        dp = ops.subtract(p_hi, p_lo)
        prec_slope = divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp_lo, ops.multiply(prec_slope, p_lo))
        safe_p_ratio = ops.where(
            ops.logical_and(ops.greater(p_hi, 0), ops.greater(p_lo, 0)),
            divide_no_nan(p_hi, ops.maximum(p_lo, 0.0)),
            ops.ones_like(p_lo),
        )
        pr_auc_increment = divide_no_nan(
            ops.multiply(prec_slope,
                         ops.add(dtp, ops.multiply(intercept, ops.log(safe_p_ratio)))),
            ops.maximum(ops.add(tp_lo, fn[1:]), 0.0),
        )
        return self._average_over_labels(pr_auc_increment)

    def result(self):
        if not self._built:
            return ops.zeros((), dtype=self.dtype)
        if self.curve == metrics_utils.AUCCurve.PR and \
                self.summation_method == metrics_utils.AUCSummationMethod.INTERPOLATION:
            return ops.cast(self.interpolate_pr_auc(), self.dtype)
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        recall = divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == metrics_utils.AUCCurve.ROC:
            x = divide_no_nan(fp, ops.add(fp, tn))
            y = recall
        elif self.curve == metrics_utils.AUCCurve.PR:
            x = recall
            y = divide_no_nan(tp, ops.add(tp, fp))
        else:  # PRGAIN
            scaling = divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            no_tp = ops.equal(tp, 0.0)
            recall_gain = ops.subtract(1.0, ops.multiply(scaling, divide_no_nan(fn, tp)))
            precision_gain = ops.subtract(1.0, ops.multiply(scaling, divide_no_nan(fp, tp)))
            recall_gain = ops.where(no_tp, ops.zeros_like(recall_gain), recall_gain)
            precision_gain = ops.where(no_tp, ops.ones_like(precision_gain), precision_gain)
            x = ops.maximum(recall_gain, 0.0)
            y = precision_gain
        n = self.num_thresholds
        y_hi, y_lo = y[: n - 1], y[1:]
        if self.summation_method == metrics_utils.AUCSummationMethod.INTERPOLATION:
            heights = ops.divide(ops.add(y_hi, y_lo), 2.0)
        elif self.summation_method == metrics_utils.AUCSummationMethod.MINORING:
            heights = ops.minimum(y_hi, y_lo)
        else:
            heights = ops.maximum(y_hi, y_lo)
        riemann_terms = ops.multiply(ops.subtract(x[: n - 1], x[1:]), heights)
        return ops.cast(self._average_over_labels(riemann_terms), self.dtype)

    def reset_state(self):
        if self._built:
            for v in (self.true_positives, self.false_positives, self.true_negatives,
                      self.false_negatives):
                v.assign(ops.zeros(v.shape, dtype=v.dtype))

    def get_config(self):
        config = {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve.value,
            "summation_method": self.summation_method.value,
            "multi_label": self.multi_label,
            "num_labels": self.num_labels,
            "label_weights": self.label_weights,
            "from_logits": self._from_logits,
        }
        if self._init_from_thresholds:
            config["thresholds"] = [float(t) for t in self.thresholds[1:-1]]
        return {**super().get_config(), **config}
