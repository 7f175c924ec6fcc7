"""What ``compile(loss=..., metrics=...)`` turns into: ``CompileLoss`` and ``CompileMetrics``,
which match losses and metrics to the model's outputs (Keras 3's
``keras.src.trainers.compile_utils``).

Both are built on the first batch they see, from the structures and shapes of ``y_true`` and
``y_pred``: that is when "accuracy"/"acc" and "crossentropy"/"ce" are resolved to their
binary, categorical or sparse categorical forms.
"""

import collections

from lamina import ops
from lamina import tree
from lamina.backend import config as backend_config
from lamina.metrics.metric import Metric
from lamina.utils.naming import to_snake_case


def get_object_name(obj):
    """The name of a loss or metric object, function or class instance."""
    if hasattr(obj, "name"):
        return obj.name
    if hasattr(obj, "__name__"):
        return to_snake_case(obj.__name__)
    if hasattr(obj, "__class__"):
        return to_snake_case(obj.__class__.__name__)
    return to_snake_case(str(obj))


def is_binary_or_sparse_categorical(y_true, y_pred):
    """``(is_binary, is_sparse_categorical)`` from the shapes of the targets and predictions:
    binary when the predictions have one unit; sparse categorical when the targets have a lower
    rank than the predictions, or one unit against several."""
    y_t_shape = tuple(y_true.shape)
    y_p_shape = tuple(y_pred.shape)
    y_t_last = y_t_shape[-1] if y_t_shape else None
    y_p_last = y_p_shape[-1] if y_p_shape else None
    is_binary = y_p_last == 1
    is_sparse_categorical = (
        len(y_t_shape) < len(y_p_shape) or (y_t_last == 1 and y_p_last is not None and y_p_last > 1)
    )
    return is_binary, is_sparse_categorical


def _missing_targets_error(kind, identifier):
    return ValueError(
        f"The {kind} {identifier!r} is resolved from the shapes of the targets and the "
        "predictions, but no targets `y` were given. Pass `y` (or yield `(x, y)` batches)."
    )


def get_metric(identifier, y_true, y_pred):
    """The metric object for one entry of `metrics`: "accuracy"/"acc" (and
    "crossentropy"/"ce") become the binary, categorical or sparse categorical metric that fits
    the shapes; other identifiers go through ``lamina.metrics.get``; functions are wrapped in
    ``MeanMetricWrapper``. The metric is named after a string identifier."""
    from lamina import metrics as metrics_module

    if identifier is None:
        raise ValueError("Expected metric, received `None`")
    key = identifier.lower() if isinstance(identifier, str) else None
    if key in ("accuracy", "acc", "crossentropy", "ce"):
        if y_true is None:
            raise _missing_targets_error("metric", identifier)
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if key in ("accuracy", "acc"):
            names = ("BinaryAccuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy")
        else:
            names = ("BinaryCrossentropy", "SparseCategoricalCrossentropy",
                     "CategoricalCrossentropy")
        cls_name = names[0] if is_binary else names[1] if is_sparse else names[2]
        metric_obj = getattr(metrics_module, cls_name)(name=identifier)
    else:
        metric_obj = metrics_module.get(identifier)
    name = identifier if isinstance(identifier, str) else get_object_name(metric_obj)
    if not isinstance(metric_obj, Metric):
        metric_obj = metrics_module.MeanMetricWrapper(metric_obj, name=name)
    metric_obj.name = name
    return metric_obj


def get_loss(identifier, y_true, y_pred):
    """The loss object for one entry of `loss`: "crossentropy"/"ce" become the binary,
    categorical or sparse categorical crossentropy that fits the shapes; other identifiers go
    through ``lamina.losses.get``; functions are wrapped in ``LossFunctionWrapper``."""
    from lamina import losses as losses_module

    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() in ("crossentropy", "ce"):
        if y_true is None:
            raise _missing_targets_error("loss", identifier)
        is_binary, is_sparse = is_binary_or_sparse_categorical(y_true, y_pred)
        if is_binary:
            loss_obj = losses_module.binary_crossentropy
        elif is_sparse:
            loss_obj = losses_module.sparse_categorical_crossentropy
        else:
            loss_obj = losses_module.categorical_crossentropy
    else:
        loss_obj = losses_module.get(identifier)
    if not isinstance(loss_obj, losses_module.Loss):
        name = identifier if isinstance(identifier, str) else get_object_name(loss_obj)
        loss_obj = losses_module.LossFunctionWrapper(loss_obj, name=name)
    return loss_obj


def _map_structure_up_to(shallow, fn, *structures):
    """Applies `fn` to the sub-structures of `structures` found at the leaves of `shallow`."""
    if isinstance(shallow, dict):
        for s in structures:
            if not isinstance(s, dict) or set(s) != set(shallow):
                raise ValueError(
                    f"Structure mismatch: expected a dict with keys {sorted(shallow)}, "
                    f"received {s!r}"
                )
        return type(shallow)(
            (k, _map_structure_up_to(shallow[k], fn, *(s[k] for s in structures)))
            for k in shallow
        )
    if isinstance(shallow, (list, tuple)):
        for s in structures:
            if not isinstance(s, (list, tuple)) or len(s) != len(shallow):
                raise ValueError(
                    f"Structure mismatch: expected a sequence of length {len(shallow)}, "
                    f"received {s!r}"
                )
        return type(shallow)(
            _map_structure_up_to(shallow[i], fn, *(s[i] for s in structures))
            for i in range(len(shallow))
        )
    return fn(*structures)


class MetricsList(Metric):
    """The metrics of one model output, updated together."""

    def __init__(self, metrics, name="metrics_list", output_name=None):
        super().__init__(name=name)
        self.metrics = metrics
        self.output_name = output_name

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def update_state(self, y_true, y_pred, sample_weight=None):
        for m in self.metrics:
            m.update_state(y_true, y_pred, sample_weight=sample_weight)

    def reset_state(self):
        for m in self.metrics:
            m.reset_state()

    def get_result(self):
        return {m.name: m.result() for m in self.metrics}

    def result(self):
        return self.get_result()


def get_metrics_list(metrics, y_true, y_pred, output_name=None):
    """A ``MetricsList`` for one output from a metric identifier or a list of them."""
    if metrics is None:
        return None
    if not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    return MetricsList([get_metric(m, y_true, y_pred) for m in metrics], output_name=output_name)


class CompileMetrics(Metric):
    """The `metrics` and `weighted_metrics` of ``compile()``, matched to the model's outputs.

    Its ``result()`` is a dict: for a multi-output model each name is prefixed with the
    output's name; a weighted metric whose name is taken gets a ``weighted_`` prefix.

    Args:
        metrics: A list of metrics for a single output, or (multi-output) a list with one
            entry per output or a dict keyed by output name; each entry a metric or a list.
        weighted_metrics: The same, for metrics that take `sample_weight` into account.
        name: The container's name.
        output_names: The model's output names, when it has them.
    """

    def __init__(self, metrics, weighted_metrics, name="compile_metric", output_names=None):
        super().__init__(name=name)
        if metrics and not isinstance(metrics, (list, tuple, dict)):
            raise ValueError(
                "Expected `metrics` argument to be a list, tuple, or dict. "
                f"Received instead: metrics={metrics} of type {type(metrics)}"
            )
        if weighted_metrics and not isinstance(weighted_metrics, (list, tuple, dict)):
            raise ValueError(
                "Expected `weighted_metrics` argument to be a list, tuple, or dict. "
                f"Received instead: weighted_metrics={weighted_metrics} of type "
                f"{type(weighted_metrics)}"
            )
        self._user_metrics = metrics
        self._user_weighted_metrics = weighted_metrics
        self.built = False
        self.name = "compile_metrics"
        self.output_names = output_names
        self._flat_metrics = []
        self._flat_weighted_metrics = []
        self._resolved_output_names = None

    @property
    def metrics(self):
        """The individual metric objects (empty until built)."""
        if not self.built:
            return []
        out = []
        for m in self._flat_metrics + self._flat_weighted_metrics:
            if isinstance(m, MetricsList):
                out.extend(m.metrics)
            elif m is not None:
                out.append(m)
        return out

    @property
    def variables(self):
        return [v for m in self.metrics for v in m.variables]

    def build(self, y_true, y_pred):
        """Creates the metric objects from the first batch's targets and predictions."""
        num_outputs = len(tree.flatten(y_pred))
        y_pred_is_flat = tree.is_nested(y_pred) and len(y_pred) == num_outputs
        if y_pred_is_flat and isinstance(y_pred, dict):
            if self.output_names and set(y_pred) == set(self.output_names):
                output_names = list(self.output_names)
            elif isinstance(y_pred, collections.OrderedDict):
                output_names = list(y_pred.keys())
            else:
                output_names = sorted(y_pred.keys())
        else:
            output_names = self.output_names
        self._resolved_output_names = output_names if (num_outputs > 1 and y_pred_is_flat) else None
        self._flat_metrics = self._build_metrics_set(
            self._user_metrics, num_outputs, output_names, y_true, y_pred, y_pred_is_flat,
            "metrics")
        self._flat_weighted_metrics = self._build_metrics_set(
            self._user_weighted_metrics, num_outputs, output_names, y_true, y_pred,
            y_pred_is_flat, "weighted_metrics")
        self.built = True

    def _build_metrics_set(self, metrics, num_outputs, output_names, y_true, y_pred,
                           y_pred_is_flat, argument_name):
        if not metrics:
            return [None] * num_outputs
        if num_outputs == 1:
            flat_true = tree.flatten(y_true) if y_true is not None else [None]
            return [get_metrics_list(tree.flatten(metrics), flat_true[0],
                                     tree.flatten(y_pred)[0], None)]
        flat_metrics = None
        if y_pred_is_flat:
            if isinstance(metrics, (list, tuple)) and len(metrics) == num_outputs:
                flat_metrics = metrics
            elif (output_names and isinstance(metrics, dict) and len(metrics) <= num_outputs
                  and set(metrics) <= set(output_names)):
                flat_metrics = [metrics.get(name) for name in output_names]
        if flat_metrics is not None:
            names = output_names if output_names else [None] * num_outputs
            try:
                return [get_metrics_list(m, yt, yp, n) for m, yt, yp, n in zip(
                    flat_metrics, self._flatten_y(y_true), self._flatten_y(y_pred), names)]
            except ValueError as e:
                raise ValueError(f"{e}\nReceived: {argument_name}={metrics}") from e
        try:
            names_struct = tree.pack_sequence_as(
                y_pred, output_names if output_names else [None] * num_outputs)
            return tree.flatten(_map_structure_up_to(
                y_pred, get_metrics_list,
                metrics, y_true, y_pred, names_struct))
        except (ValueError, TypeError) as e:
            shape = tree.map_structure(lambda _: "X", y_pred)
            names_part = (f"either be a dict or a list matching the output names of the "
                          f"functional model {self.output_names} or " if self.output_names else "")
            raise ValueError(
                f"{e}\nInvalid `{argument_name}`. `{argument_name}` should contain metrics "
                f"objects and {names_part}match the output structure of the model: {shape}.\n"
                f"Received: {argument_name}={metrics}"
            ) from e

    def _flatten_y(self, y):
        if isinstance(y, dict) and self._resolved_output_names is not None:
            return [y[name] for name in self._resolved_output_names]
        return tree.flatten(y)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if not self.built:
            self.build(y_true, y_pred)
        y_true = self._flatten_y(y_true) if y_true is not None else [None] * len(self._flat_metrics)
        y_pred = self._flatten_y(y_pred)
        for m, y_t, y_p in zip(self._flat_metrics, y_true, y_pred):
            if m:
                m.update_state(y_t, y_p)
        if sample_weight is not None:
            sample_weight = self._flatten_y(sample_weight)
            if len(sample_weight) < len(y_true):
                sample_weight = [sample_weight[0]] * len(y_true)
        else:
            sample_weight = [None] * len(y_true)
        for m, y_t, y_p, s_w in zip(self._flat_weighted_metrics, y_true, y_pred, sample_weight):
            if m:
                m.update_state(y_t, y_p, s_w)

    def reset_state(self):
        if not self.built:
            return
        for m in self._flat_metrics + self._flat_weighted_metrics:
            if m:
                m.reset_state()

    def result(self):
        if not self.built:
            raise ValueError("Cannot get result() since the metric has not yet been built.")
        results = {}
        counters = {}
        for weighted, metric_lists in ((False, self._flat_metrics), (True, self._flat_weighted_metrics)):
            for mls in metric_lists:
                if not mls:
                    continue
                for m in mls.metrics:
                    name = f"{mls.output_name}_{m.name}" if mls.output_name else m.name
                    if weighted and name in counters:
                        # A weighted metric named like an unweighted one gets a `weighted_` prefix.
                        name = f"weighted_{m.name}"
                        if mls.output_name:
                            name = f"{mls.output_name}_{name}"
                    results[_unique_name(name, counters)] = m.result()
        return results


def _unique_name(name, counters):
    """`name`, or ``name_<n>`` for its n-th repeat (`counters` counts the uses of each name)."""
    if name not in counters:
        counters[name] = 1
        return name
    index = counters[name]
    counters[name] += 1
    return f"{name}_{index}"


class _WeightedLoss:
    """A loss identifier and its weight, a leaf of the loss structure."""

    __slots__ = ("loss", "weight")

    def __init__(self, loss, weight):
        self.loss = loss
        self.weight = weight


def _weighted(loss, weight):
    return None if loss is None else _WeightedLoss(loss, weight)


_FlatLoss = collections.namedtuple("Loss", ["path", "loss", "loss_weights", "name"])


class CompileLoss:
    """The `loss` and `loss_weights` of ``compile()``, matched to the model's outputs; calling
    it returns the weighted sum of the losses (a scalar), and with several losses it updates a
    ``Mean`` named ``"<output>_loss"`` per loss with the unweighted values.

    Args:
        loss: One loss (for every output), a list with one loss per output, or a dict keyed by
            output name; entries may be None (no loss for that output).
        loss_weights: A float (single output), a list, or a dict keyed by output name.
        reduction: The reduction name (Keras' default, "sum_over_batch_size").
        output_names: The model's output names, when it has them.
    """

    Loss = _FlatLoss

    def __init__(self, loss, loss_weights=None, reduction="sum_over_batch_size", output_names=None):
        if loss_weights and not isinstance(loss_weights, (list, tuple, dict, float, int)):
            raise ValueError(
                "Expected `loss_weights` argument to be a float (single output case) or a "
                "list, tuple, or dict (multiple output case). Received instead: "
                f"loss_weights={loss_weights} of type {type(loss_weights)}"
            )
        self._user_loss = loss
        self._user_loss_weights = loss_weights
        self.reduction = reduction
        self.name = "compile_loss"
        self.dtype = backend_config.floatx()
        self.built = False
        self.output_names = output_names
        self._metrics = []
        self._flat_losses = None
        self._y_pred_build_structure = None
        self._y_true_build_structure = None

    @property
    def metrics(self):
        """The per-loss ``Mean`` trackers (only with several losses)."""
        return self._metrics

    @property
    def variables(self):
        return [v for m in self._metrics for v in m.variables]

    def _build_nested(self, y_true, y_pred, loss, output_names, current_path):
        if loss is None:
            return
        if not tree.is_nested(loss):
            resolved = get_loss(loss.loss, y_true, y_pred)
            if resolved is None:
                return
            name_path = current_path
            if not tree.is_nested(output_names):
                output_name = output_names if output_names is not None else resolved.name
                if not name_path:
                    name_path = (output_name,)
                elif isinstance(name_path[-1], int):
                    name_path = name_path[:-1] + (output_name,)
            name = "/".join(str(p) for p in name_path)
            if name == "":
                flat_names = (list(output_names) if isinstance(output_names, dict)
                              else tree.flatten(output_names))
                name = "_".join(str(n) for n in flat_names)
            self._flat_losses.append(_FlatLoss(current_path, resolved, loss.weight, name))
            return
        flat_y_pred = tree.flatten(y_pred)
        if (isinstance(loss, (list, tuple)) and all(not tree.is_nested(x) for x in loss)
                and len(loss) == len(flat_y_pred)):
            loss = tree.pack_sequence_as(y_pred, list(loss))
        elif isinstance(loss, (list, tuple)) and not isinstance(y_pred, type(loss)):
            # Several losses for the same output.
            for sub in loss:
                self._build_nested(y_true, y_pred, sub, output_names, current_path)
            return
        if not tree.is_nested(loss):
            return self._build_nested(y_true, y_pred, loss, output_names, current_path)
        if not isinstance(loss, type(y_pred)) and not (
                isinstance(loss, (list, tuple)) and isinstance(y_pred, (list, tuple))):
            raise KeyError(
                f"The path: {current_path} in the `loss` argument, can't be found in the "
                "model's output (`y_pred`)."
            )
        if isinstance(loss, dict):
            items = list(loss.items())

            def has_key(key, obj):
                return isinstance(obj, dict) and key in obj
        else:
            items = list(enumerate(loss))

            def has_key(key, obj):
                return isinstance(obj, (list, tuple)) and key < len(obj)
        for key, sub in items:
            if sub is None:
                continue
            if not (has_key(key, y_true) and has_key(key, y_pred)):
                raise KeyError(
                    f"The path: {current_path + (key,)} in the `loss` argument, can't be found "
                    "in either the model's output (`y_pred`) or in the labels (`y_true`)."
                )
            sub_names = output_names[key] if tree.is_nested(output_names) else output_names
            self._build_nested(y_true[key], y_pred[key], sub, sub_names, current_path + (key,))

    def build(self, y_true, y_pred):
        """Resolves the losses from the first batch's targets and predictions."""
        from lamina.metrics import Mean

        loss = self._user_loss
        loss_weights = self._user_loss_weights
        flat_output_names = self.output_names
        if flat_output_names and isinstance(loss, dict) and not isinstance(y_pred, dict):
            if set(flat_output_names) == set(loss):
                loss = [loss[name] for name in flat_output_names]
                if isinstance(loss_weights, dict):
                    loss_weights = [loss_weights.get(name) for name in flat_output_names]
            else:
                raise ValueError(
                    f"Expected keys {list(flat_output_names)} in loss dict, but found "
                    f"loss.keys()={list(loss.keys())}"
                )
        if loss_weights is not None:
            try:
                tree.assert_same_structure(loss, loss_weights)
            except ValueError:
                flat_weights = tree.flatten(loss_weights)
                if len(tree.flatten(loss)) != len(flat_weights):
                    raise ValueError(
                        f"`loss_weights` must match the number of losses, got "
                        f"{len(tree.flatten(loss))} losses and {len(flat_weights)} weights."
                    ) from None
                loss_weights = tree.pack_sequence_as(loss, flat_weights)
            loss = tree.map_structure(_weighted, loss, loss_weights)
        else:
            loss = tree.map_structure(lambda l: _weighted(l, None), loss)

        if (isinstance(loss, dict) and isinstance(y_pred, (list, tuple)) and flat_output_names
                and set(loss) == set(flat_output_names) and len(y_pred) == len(flat_output_names)):
            y_pred = {name: y_p for name, y_p in zip(flat_output_names, y_pred)}
            y_true = {name: y_t for name, y_t in zip(flat_output_names, y_true)}
        elif (isinstance(loss, dict) and not tree.is_nested(y_pred) and flat_output_names
              and set(loss) == set(flat_output_names) and len(flat_output_names) == 1):
            y_pred = {flat_output_names[0]: y_pred}
            y_true = {flat_output_names[0]: y_true}

        try:
            output_names = tree.pack_sequence_as(y_pred, list(flat_output_names))
        except (TypeError, ValueError):
            output_names = tree.pack_sequence_as(y_pred, [None] * len(tree.flatten(y_pred)))
        if not tree.is_nested(loss):
            single = loss
            loss = tree.map_structure(lambda _: single, y_pred)
        self._flat_losses = []
        self._build_nested(y_true, y_pred, loss, output_names, ())
        if len(self._flat_losses) > 1:
            for flat in self._flat_losses:
                self._metrics.append(Mean(name=f"{flat.name}_loss"))
        self._y_pred_build_structure = tree.map_structure(lambda _: None, y_pred)
        self._y_true_build_structure = tree.map_structure(lambda _: None, y_true)
        self.built = True

    def __call__(self, y_true, y_pred, sample_weight=None):
        return self.call(y_true, y_pred, sample_weight)

    def _align_y_true(self, y_true, y_pred):
        """Puts `y_true` into the structure of `y_pred`, as Keras reconciles them."""
        try:
            tree.assert_same_structure(y_pred, y_true)
            return y_true
        except ValueError:
            pass
        if not tree.is_nested(y_true) and hasattr(y_pred, "__len__") and len(y_pred) == 1:
            y_true = [y_true]
        elif (isinstance(y_pred, (list, tuple)) and isinstance(y_true, dict) and self.output_names
              and set(self.output_names) == set(y_true)):
            y_true = [y_true[name] for name in self.output_names]
        flat_true = tree.flatten(y_true)
        if len(flat_true) == len(tree.flatten(y_pred)):
            return tree.pack_sequence_as(y_pred, flat_true)
        # A loss given for some outputs only: the targets fill the outputs that have a loss.
        flat_loss = tree.flatten(self._user_loss)
        with_loss = [i for i, l in enumerate(flat_loss) if l is not None]
        if len(flat_loss) == len(tree.flatten(y_pred)) and len(flat_true) == len(with_loss):
            filled = [None] * len(flat_loss)
            for y_t, i in zip(flat_true, with_loss):
                filled[i] = y_t
            return tree.pack_sequence_as(self._user_loss, filled)
        y_true_struct = tree.map_structure(lambda _: "*", y_true)
        y_pred_struct = tree.map_structure(lambda _: "*", y_pred)
        raise ValueError(
            "y_true and y_pred have different structures.\n"
            f"y_true: {y_true_struct}\ny_pred: {y_pred_struct}\n"
        )

    def call(self, y_true, y_pred, sample_weight=None):
        """The total weighted loss for a batch (None when no output has a loss)."""
        if not tree.is_nested(y_true) and not tree.is_nested(y_pred):
            # Fast path: a single output.
            if not self.built:
                self.build(y_true, y_pred)
            return self._weighted_total(y_true, y_pred, sample_weight, [None] * len(self._flat_losses))

        y_true = self._align_y_true(y_true, y_pred)
        if not self.built:
            self.build(y_true, y_pred)
        y_pred = _in_structure(self._y_pred_build_structure, y_pred)
        y_true = _in_structure(self._y_true_build_structure, y_true)
        if tree.is_nested(sample_weight):
            # Per-output sample weights come in the structure of the targets as the user gave
            # them (e.g. a dict by output name): put them where the targets went.
            sample_weight = _in_structure(self._y_true_build_structure,
                                          self._align_y_true(sample_weight, y_pred))
        metrics = self._metrics if self._metrics else [None] * len(self._flat_losses)
        return self._weighted_total(y_true, y_pred, sample_weight, metrics)

    def _weighted_total(self, y_true, y_pred, sample_weight, metrics):
        """The weighted sum of the outputs' losses (None when no output has a loss); the
        unweighted loss of each output also updates its metric, where it has one."""
        dtype = self.dtype
        total = None
        for (path, loss_fn, weight, _), metric in zip(self._flat_losses, metrics):
            y_t = _resolve_path(path, y_true)
            y_p = _resolve_path(path, y_pred)
            sw = _resolve_path(path, sample_weight) if tree.is_nested(sample_weight) else sample_weight
            value = loss_fn(y_t, y_p, sw)
            if value.dtype != dtype:
                value = ops.cast(value, dtype)
            if metric is not None:
                metric.update_state(ops.stop_gradient(value),
                                    sample_weight=tree.flatten(y_p)[0].shape[0])
            if weight is not None:
                value = ops.multiply(value, weight)
            total = value if total is None else ops.add(total, value)
        return total


def _in_structure(structure, value):
    """`value`, repacked into `structure` from its flat leaves when its structure differs."""
    try:
        tree.assert_same_structure(structure, value)
    except ValueError:
        return tree.pack_sequence_as(structure, tree.flatten(value))
    return value


def _resolve_path(path, obj):
    for key in path:
        obj = obj[key]
    return obj


__all__ = [
    "CompileLoss", "CompileMetrics", "MetricsList", "get_loss", "get_metric", "get_metrics_list",
    "get_object_name", "is_binary_or_sparse_categorical",
]
