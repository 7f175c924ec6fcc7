"""``Trainer``: ``compile``/``fit``/``evaluate``/``predict`` and the step methods behind them, shared
by every ``lamina.Model`` (Keras 3's ``keras.src.trainers.trainer`` with its eager backend loops).

lamina runs eagerly: a training step is a ``lamina.GradientTape`` around the forward pass and
the loss, then ``optimizer.apply``; all the numbers are computed by the Rust engine, and the
Python work per step is a fixed handful of calls (batch slicing and conversion, metric updates,
callbacks).
"""

import contextlib
import inspect
import warnings

import numpy as np

from lamina import ops
from lamina import tree
from lamina._lamina import Tensor
from lamina.backend import config as backend_config
from lamina.backend.tape import GradientTape
from lamina.saving import serialization_lib
from lamina.trainers.compile_utils import CompileLoss
from lamina.trainers.compile_utils import CompileMetrics
from lamina.trainers.data_adapters import array_slicing
from lamina.trainers.data_adapters import data_adapter_utils
from lamina.trainers.epoch_iterator import EpochIterator

_set = object.__setattr__

_FLOATS = ("float16", "bfloat16", "float32", "float64")


class _NotCompiledError(RuntimeError, ValueError):
    """Raised when a model is trained or evaluated before ``compile()`` (a RuntimeError, and a
    ValueError as in Keras 3)."""


def _pythonify_logs(logs):
    """Flat logs (nested dicts merged in) with sorted keys, each value a Python float where it
    is a number or a one-element tensor/array."""
    result = {}
    for key, value in sorted((logs or {}).items()):
        if isinstance(value, dict):
            result.update(_pythonify_logs(value))
            continue
        if type(value) is Tensor:
            if value.size == 1:
                value = float(ops.convert_to_numpy(value).reshape(()))
            else:
                value = ops.convert_to_numpy(value)
        elif isinstance(value, (np.ndarray, np.generic)):
            if value.size == 1 and value.dtype.kind in "biuf":
                value = float(np.reshape(value, ()))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = float(value)
        result[key] = value
    return result


def _batch_size_of(x):
    """The number of samples in a batch of inputs (the first axis of its first array)."""
    if type(x) is Tensor:
        return x.shape[0]
    for leaf in tree.flatten(x):
        if leaf is not None:
            return leaf.shape[0]
    return None


def _resolve_verbose(verbose):
    """"auto" is 1 (a progress bar); booleans count as 1 and 0."""
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool):
        return int(verbose)
    return verbose


class Trainer:
    """compile/fit/evaluate/predict for ``lamina.Model`` (a mixin: ``class Model(Trainer,
    Layer)``).

    ``Trainer.__init__`` only sets defaults: the model is not compiled, has no optimizer or
    loss, and ``stop_training`` is False.
    """

    def __init__(self):
        _set(self, "_run_eagerly", False)
        _set(self, "_jit_compile", None)
        _set(self, "compiled", False)
        _set(self, "loss", None)
        _set(self, "optimizer", None)
        _set(self, "steps_per_execution", 1)
        _set(self, "stop_training", False)
        _set(self, "stop_evaluating", False)
        _set(self, "stop_predicting", False)
        _set(self, "history", None)
        # Can be set by callbacks in on_train_begin (e.g. BackupAndRestore).
        _set(self, "_initial_epoch", None)
        _set(self, "_compute_loss_has_training_arg",
             "training" in inspect.signature(self.compute_loss).parameters)
        _set(self, "_compile_loss", None)
        _set(self, "_compile_metrics", None)
        _set(self, "_loss_tracker", None)
        _set(self, "_compile_config", None)
        _set(self, "train_function", None)
        _set(self, "test_function", None)
        _set(self, "predict_function", None)
        _set(self, "_eval_epoch_iterator", None)

    # ------------------------------------------------------------------------------------------
    # compile
    # ------------------------------------------------------------------------------------------

    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1,
                jit_compile="auto", auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: String (name of optimizer) or optimizer instance. See
                ``lamina.optimizers``.
            loss: Loss function: a string (name of a loss), a ``lamina.losses.Loss`` instance,
                or any callable ``loss = fn(y_true, y_pred)``. For a multi-output model, a list
                (one loss per output) or a dict keyed by output name; a single loss applies to
                every output. "crossentropy"/"ce" become binary, categorical or sparse
                categorical crossentropy from the shapes of the targets and outputs.
            loss_weights: Optional scalar coefficients (Python floats) weighting the loss of
                each output: a list (1:1 with the outputs) or a dict keyed by output name. The
                minimized loss is the weighted sum.
            metrics: List of metrics to be evaluated during training and testing: strings
                (names), functions or ``lamina.metrics.Metric`` instances. For a multi-output
                model, a list with one entry per output, or a dict such as
                ``{'a': 'accuracy', 'b': ['accuracy', 'mse']}``. "accuracy"/"acc" (and
                "crossentropy"/"ce") become the binary, categorical or sparse categorical
                metric that fits the shapes of the targets and outputs. These metrics ignore
                sample weights.
            weighted_metrics: Metrics weighted by `sample_weight` or `class_weight`.
            run_eagerly: Bool. Accepted for compatibility: lamina always runs eagerly.
            steps_per_execution: Int. The number of batches run per call of the train/test/
                predict function; batch-level callbacks are called every
                `steps_per_execution` batches. Truncated to the size of the epoch.
            jit_compile: Bool or "auto". lamina has no graph compiler: "auto" resolves to
                False, and True warns and proceeds with False.
            auto_scale_loss: Bool. If True and the model dtype policy is "mixed_float16", the
                optimizer is wrapped in a ``LossScaleOptimizer``, which dynamically scales the
                loss to prevent underflow.

        Example:

        >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
        ...               metrics=["accuracy"])
        """
        from lamina import optimizers as optimizers_module

        if (not isinstance(steps_per_execution, int) or isinstance(steps_per_execution, bool)
                or steps_per_execution < 1):
            raise ValueError(
                "Expected `steps_per_execution` to be a positive integer. "
                f"Received: steps_per_execution={steps_per_execution!r}"
            )
        optimizer = optimizers_module.get(optimizer)
        _validate_identifiers(loss, metrics, weighted_metrics)
        opt = optimizer
        policy = getattr(self, "dtype_policy", None)
        if (auto_scale_loss and policy is not None and policy.name == "mixed_float16"
                and opt is not None
                and not isinstance(opt, optimizers_module.LossScaleOptimizer)):
            opt = optimizers_module.LossScaleOptimizer(opt, name="loss_scale_optimizer")
        _set(self, "optimizer", opt)
        output_names = getattr(self, "output_names", None)
        if output_names is not None:
            output_names = list(output_names)
        if loss is not None:
            _set(self, "_compile_loss", CompileLoss(loss, loss_weights, output_names=output_names))
        else:
            _set(self, "_compile_loss", None)
        _set(self, "loss", loss)
        if metrics is not None or weighted_metrics is not None:
            _set(self, "_compile_metrics",
                 CompileMetrics(metrics, weighted_metrics, output_names=output_names))
        else:
            _set(self, "_compile_metrics", None)
        if jit_compile == "auto":
            jit_compile = False
        elif jit_compile:
            warnings.warn(
                "Model doesn't support `jit_compile=True`. Proceeding with `jit_compile=False`.",
                stacklevel=2,
            )
            jit_compile = False
        _set(self, "_jit_compile", bool(jit_compile))
        _set(self, "_run_eagerly", bool(run_eagerly))
        _set(self, "stop_training", False)
        flatten_layers = getattr(self, "_flatten_layers", None)
        _set(self, "_compiled_trainable_state",
             {id(layer): layer.trainable for layer in flatten_layers()} if flatten_layers else {})
        from lamina.metrics import Mean

        _set(self, "_loss_tracker", Mean(name="loss"))
        _set(self, "compiled", True)
        _set(self, "steps_per_execution", steps_per_execution)
        _set(self, "train_function", None)
        _set(self, "test_function", None)
        _set(self, "predict_function", None)
        _set(self, "_compile_config", serialization_lib.SerializableDict(
            optimizer=optimizer, loss=loss, loss_weights=loss_weights, metrics=metrics,
            weighted_metrics=weighted_metrics, run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution, jit_compile=jit_compile,
        ))

    @property
    def jit_compile(self):
        """Whether steps are compiled (always False: lamina runs eagerly)."""
        return bool(self.__dict__.get("_jit_compile") or False)

    @jit_compile.setter
    def jit_compile(self, value):
        if value:
            warnings.warn(
                "Model doesn't support `jit_compile=True`. Proceeding with `jit_compile=False`.",
                stacklevel=2,
            )
        _set(self, "_jit_compile", False)

    @property
    def run_eagerly(self):
        """The `run_eagerly` setting of ``compile()`` (lamina always runs eagerly)."""
        return self.__dict__.get("_run_eagerly", False)

    @run_eagerly.setter
    def run_eagerly(self, value):
        _set(self, "_run_eagerly", bool(value))

    def _assert_compile_called(self, method_name=None):
        if not self.__dict__.get("compiled", False):
            raise _NotCompiledError("You must call `compile()` before using the model.")
        self._warn_if_trainable_state_changed()

    def _warn_if_trainable_state_changed(self):
        state = self.__dict__.get("_compiled_trainable_state")
        flatten_layers = getattr(self, "_flatten_layers", None)
        if not state or flatten_layers is None:
            return
        current = {id(layer): (layer.name, layer.trainable) for layer in flatten_layers()}
        changed = [name for key, (name, trainable) in current.items()
                   if key not in state or state[key] != trainable]
        if changed:
            warnings.warn(
                "A layer's `trainable` state has changed since the model was compiled. This can "
                "result in unexpected behavior, as the compiled optimizer and loss functions may "
                "not track the correct variables. Please recompile your model (e.g. "
                "`model.compile(...)`) before calling `fit()` or `evaluate()` so the change "
                f"takes effect. Changed layers: {changed}",
                stacklevel=3,
            )
            _set(self, "_compiled_trainable_state",
                 {key: trainable for key, (_, trainable) in current.items()})

    # ------------------------------------------------------------------------------------------
    # Metrics
    # ------------------------------------------------------------------------------------------

    @property
    def metrics(self):
        """The model's metrics: the loss tracker ("loss"), the compiled metrics (one
        ``CompileMetrics`` container, whose result is a dict), the per-output loss trackers,
        then the metrics tracked by the model and its layers."""
        out = []
        d = self.__dict__
        if d.get("compiled", False):
            if d.get("_loss_tracker") is not None:
                out.append(d["_loss_tracker"])
            if d.get("_compile_metrics") is not None:
                out.append(d["_compile_metrics"])
            if d.get("_compile_loss") is not None:
                out.extend(d["_compile_loss"].metrics)
        seen = {id(m) for m in out}
        own = list(d.get("_metrics", ()))
        flatten_layers = getattr(self, "_flatten_layers", None)
        if flatten_layers is not None:
            for layer in flatten_layers(include_self=False):
                if isinstance(layer, Trainer):
                    # A nested model's compiled metrics belong to its own training.
                    continue
                own.extend(layer.__dict__.get("_metrics", ()))
        for m in own:
            if id(m) not in seen:
                seen.add(id(m))
                out.append(m)
        return out

    @property
    def metrics_names(self):
        """The names of `metrics`."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Resets the state of every metric in `metrics`."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The values of the model's metrics as a dict (a metric whose result is a dict, like the
        compiled metrics, contributes its entries).

        Returns:
            A dict such as ``{'loss': 0.2, 'accuracy': 0.7}`` (values are tensors).
        """
        results = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                results.update(result)
            else:
                results[metric.name] = result
        return results

    def _get_metrics_result_or_logs(self, logs):
        """The model's metric values when the step logs have the same keys (the usual case);
        otherwise (a custom step returning other logs) the step logs."""
        compile_metrics = self.__dict__.get("_compile_metrics")
        if compile_metrics is not None and not compile_metrics.built:
            return logs
        metric_logs = self.get_metrics_result()
        if isinstance(logs, dict) and set(logs.keys()) == set(metric_logs.keys()):
            return metric_logs
        return logs

    def _flatten_metrics_in_order(self, logs):
        """The values of `logs` as a list in the order of `metrics` (extra keys last, sorted);
        a single value is returned alone."""
        names = []
        for metric in self.metrics:
            if isinstance(metric, CompileMetrics):
                names.extend(m.name for m in metric.metrics)
            else:
                names.append(metric.name)
        results = [logs[name] for name in names if name in logs]
        results.extend(logs[key] for key in sorted(logs) if key not in names)
        if len(results) == 1:
            return results[0]
        return results

    # ------------------------------------------------------------------------------------------
    # Losses and metric updates
    # ------------------------------------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Computes the total loss of a batch: the compiled loss plus the model's additional
        losses (``self.losses``: ``add_loss`` terms and weight regularization).

        Override it to compute the loss differently.

        Args:
            x: Input data.
            y: Target data.
            y_pred: Predictions returned by the model (``model(x)``).
            sample_weight: Sample weights for weighting the loss function.
            training: Whether we are training or evaluating the model.

        Returns:
            The total loss as a scalar tensor.

        Raises:
            ValueError: when there is no loss at all (no `loss` in ``compile()`` and no
                additional losses).

        Example:

        >>> class MyModel(lamina.Model):
        ...     def compute_loss(self, x, y, y_pred, sample_weight, training=True):
        ...         loss = lamina.ops.mean((y_pred - y) ** 2)
        ...         return loss + lamina.ops.sum(self.losses)
        """
        del x, training
        losses = []
        compile_loss = self.__dict__.get("_compile_loss")
        if compile_loss is not None:
            loss = compile_loss(y, y_pred, sample_weight)
            if loss is not None:
                losses.append(loss)
        for loss in self.losses:
            losses.append(self._aggregate_additional_loss(loss))
        if not losses:
            raise ValueError("No loss to compute. Provide a `loss` argument in `compile()`.")
        total = losses[0]
        for loss in losses[1:]:
            total = ops.add(total, loss)
        return total

    def _compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Calls `compute_loss`, also when an override has no `training` argument."""
        if self._compute_loss_has_training_arg:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    @staticmethod
    def _aggregate_additional_loss(loss):
        """An `add_loss`/regularization term as a float scalar (summed)."""
        if not isinstance(loss, Tensor):
            loss = ops.convert_to_tensor(loss)
        if loss.dtype not in _FLOATS:
            loss = ops.cast(loss, backend_config.floatx())
        if loss.ndim:
            loss = ops.sum(loss)
        return loss

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with a batch and returns the model's metric values.

        Override it to update custom metrics as well.

        Args:
            x: Input data.
            y: Target data.
            y_pred: Predictions returned by the model (``model(x)``).
            sample_weight: Sample weights (used by `weighted_metrics`).

        Returns:
            A dict of metric values, passed to the callbacks as the batch logs.
        """
        del x
        compile_metrics = self.__dict__.get("_compile_metrics")
        if compile_metrics is not None:
            compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    # tf.keras-era shims, kept (deprecated) as Keras 3 keeps them for custom train steps.
    @property
    def compiled_metrics(self):
        """Deprecated: an object whose ``update_state(y, y_pred, sample_weight=None)`` updates
        the compiled metrics (use `compute_metrics` or ``self.metrics`` instead)."""
        model = self

        class DeprecatedCompiledMetric:
            def update_state(self, y, y_pred, sample_weight=None):
                warnings.warn(
                    "`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n```\n"
                    "for metric in self.metrics:\n    metric.update_state(y, y_pred)\n```\n",
                    stacklevel=2,
                )
                compile_metrics = model.__dict__.get("_compile_metrics")
                if compile_metrics is not None:
                    compile_metrics.update_state(y, y_pred, sample_weight)

        return DeprecatedCompiledMetric()

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """Deprecated: the total loss, as `compute_loss` gives it (which already includes
        ``self.losses``; `regularization_losses` is ignored)."""
        del regularization_losses
        warnings.warn(
            "`model.compiled_loss()` is deprecated. Instead, use "
            "`model.compute_loss(x, y, y_pred, sample_weight, training)`.",
            stacklevel=2,
        )
        return self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)

    # ------------------------------------------------------------------------------------------
    # Steps
    # ------------------------------------------------------------------------------------------

    def train_step(self, data):
        """One training step on a batch: forward pass and loss under a ``GradientTape``, the
        gradient of the (scaled) loss, ``optimizer.apply``, then the metric updates.

        Override it to customize training; ``fit()`` calls it for each batch.

        Args:
            data: A batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (tensors).

        Returns:
            A dict of metric values (the batch logs).
        """
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        optimizer = self.optimizer
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                      training=True)
            scaled = optimizer.scale_loss(loss) if optimizer is not None else loss
        self._loss_tracker.update_state(ops.stop_gradient(loss), sample_weight=_batch_size_of(x))
        trainable = self.trainable_variables
        if trainable:
            grads = tape.gradient(scaled, trainable)
            if not getattr(optimizer, "built", True):
                optimizer.build(trainable)
            optimizer.apply(grads, trainable)
        else:
            warnings.warn("The model does not have any trainable weights.", stacklevel=2)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        """One evaluation step on a batch: forward pass (``training=False``), loss, metric
        updates.

        Args:
            data: A batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (tensors).

        Returns:
            A dict of metric values (the batch logs).
        """
        x, y, sample_weight = data_adapter_utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self._compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight,
                                  training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size_of(x))
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def predict_step(self, data):
        """One prediction step: the model's outputs for the batch's inputs (``training=False``).

        Args:
            data: A batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` (tensors).

        Returns:
            The model's outputs (tensors, in the model's output structure).
        """
        x, _, _ = data_adapter_utils.unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def make_train_function(self, force=False):
        """The function ``fit()`` calls with a list of batches (``steps_per_execution`` of
        them); it runs `train_step` on each and returns the last logs."""
        if self.train_function is not None and not force:
            return self.train_function

        def one_step_on_data(data):
            return self.train_step(data[0])

        def multi_step_on_data(data):
            logs = {}
            for single in data:
                logs = self.train_step(single)
            return logs

        fn = one_step_on_data if self.steps_per_execution == 1 else multi_step_on_data
        _set(self, "train_function", fn)
        return fn

    def make_test_function(self, force=False):
        """The function ``evaluate()`` calls with a list of batches; it runs `test_step` on
        each and returns the last logs."""
        if self.test_function is not None and not force:
            return self.test_function

        def one_step_on_data(data):
            return self.test_step(data[0])

        def multi_step_on_data(data):
            logs = {}
            for single in data:
                logs = self.test_step(single)
            return logs

        fn = one_step_on_data if self.steps_per_execution == 1 else multi_step_on_data
        _set(self, "test_function", fn)
        return fn

    def make_predict_function(self, force=False):
        """The function ``predict()`` calls with a list of batches; it runs `predict_step` on
        each and returns the outputs, concatenated along the batch axis when there are
        several batches."""
        if self.predict_function is not None and not force:
            return self.predict_function

        def one_step_on_data(data):
            return self.predict_step(data[0])

        def multi_step_on_data(data):
            outputs = [self.predict_step(single) for single in data]
            if len(outputs) == 1:
                return outputs[0]
            return tree.map_structure(lambda *xs: ops.concatenate(xs, axis=0), *outputs)

        fn = one_step_on_data if self.steps_per_execution == 1 else multi_step_on_data
        _set(self, "predict_function", fn)
        return fn

    # ------------------------------------------------------------------------------------------
    # fit / evaluate / predict
    # ------------------------------------------------------------------------------------------

    def _make_callbacks(self, callbacks, add_history, verbose, epochs, steps):
        from lamina import callbacks as callbacks_module

        if isinstance(callbacks, callbacks_module.CallbackList):
            return callbacks
        return callbacks_module.CallbackList(
            callbacks, add_history=add_history, add_progbar=verbose != 0, verbose=verbose,
            epochs=epochs, steps=steps, model=self,
        )

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model for a fixed number of epochs (dataset iterations).

        Args:
            x: Input data: a numpy array or lamina Tensor (or a list of them, for several
                inputs); a dict mapping input names to arrays; a ``lamina.utils.PyDataset``
                returning ``(inputs, targets)`` or ``(inputs, targets, sample_weights)``; or a
                Python generator yielding such tuples.
            y: Target data, as arrays (not with a PyDataset or generator, whose batches hold
                the targets).
            batch_size: Samples per gradient update. Defaults to 32. Not with a PyDataset or
                generator (they yield batches).
            epochs: Index of the final epoch (the model trains from `initial_epoch` to it).
            verbose: "auto", 0, 1 or 2: silent, progress bar, one line per epoch. "auto" is 1.
            callbacks: List of ``lamina.callbacks.Callback`` instances. ``History`` and (when
                verbose) ``ProgbarLogger`` are added automatically.
            validation_split: Float between 0 and 1: the fraction of the (array) training data
                held out for validation: the last samples, taken before shuffling.
            validation_data: Data to evaluate on at the end of each epoch: ``(x_val, y_val)``,
                ``(x_val, y_val, val_sample_weights)``, a PyDataset or a generator. Overrides
                `validation_split`.
            shuffle: Whether to shuffle array data before each epoch (True), only within
                batches ("batch"), or not (False); a PyDataset's batch order is shuffled too.
                Ignored for generators.
            class_weight: Optional dict mapping class indices to a weight applied to the loss
                of that class's samples (training only).
            sample_weight: Optional array of per-sample weights for the training loss (or, for
                temporal data, per sample and timestep).
            initial_epoch: Epoch at which to start training (to resume a previous run).
            steps_per_epoch: Steps (batches) per epoch. Defaults to one full pass over the
                data; required for an infinite PyDataset or generator.
            validation_steps: Steps of each validation run (defaults to a full pass).
            validation_batch_size: Samples per validation batch (defaults to `batch_size`).
            validation_freq: Run validation every `validation_freq` epochs (an int), or after
                the listed epochs (1-based, a list).

        Returns:
            A ``History`` object whose ``history`` attribute holds the loss and metric values
            of each epoch (validation ones prefixed with ``val_``).

        Example:

        >>> history = model.fit(x_train, y_train, batch_size=64, epochs=3,
        ...                     validation_split=0.1, verbose=0)
        >>> sorted(history.history)
        ['loss', 'val_loss']
        """
        self._assert_compile_called("fit")
        verbose = _resolve_verbose(verbose)
        if not isinstance(validation_freq, (int, list)) or isinstance(validation_freq, bool):
            raise ValueError(
                "Expected `validation_freq` to be a list or int. "
                f"Received: validation_freq={validation_freq} of the type "
                f"{type(validation_freq)}."
            )
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = array_slicing.train_validation_split(
                (x, y, sample_weight), validation_split=validation_split)
        val_x = val_y = val_sample_weight = None
        if validation_data is not None:
            val_x, val_y, val_sample_weight = data_adapter_utils.unpack_x_y_sample_weight(
                validation_data)

        epoch_iterator = EpochIterator(
            x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
            steps_per_epoch=steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
            steps_per_execution=self.steps_per_execution,
        )
        callbacks = self._make_callbacks(callbacks, True, verbose, epochs,
                                         epoch_iterator.num_batches)
        _set(self, "stop_training", False)
        _set(self, "_eval_epoch_iterator", None)
        train_function = self.make_train_function()
        callbacks.on_train_begin()
        training_logs = {}
        initial_epoch = self._initial_epoch or initial_epoch
        try:
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch)
                logs = {}
                steps_run = 0
                with contextlib.closing(iter(epoch_iterator)) as batches:
                    for begin_step, end_step, data in batches:
                        callbacks.on_train_batch_begin(begin_step)
                        logs = _pythonify_logs(train_function(data))
                        steps_run += end_step - begin_step + 1
                        callbacks.on_train_batch_end(end_step, logs)
                        if self.stop_training:
                            break
                if steps_run == 0 and epoch_iterator.exhausted:
                    # A generator with nothing left: no epoch to report.
                    _set(self, "stop_training", True)
                    break
                epoch_logs = _pythonify_logs(self._get_metrics_result_or_logs(logs))
                if validation_data is not None and self._should_eval(epoch, validation_freq):
                    if self._eval_epoch_iterator is None:
                        _set(self, "_eval_epoch_iterator", EpochIterator(
                            x=val_x, y=val_y, sample_weight=val_sample_weight,
                            batch_size=validation_batch_size or batch_size,
                            steps_per_epoch=validation_steps, shuffle=False,
                            steps_per_execution=self.steps_per_execution,
                        ))
                    val_logs = self.evaluate(
                        x=val_x, y=val_y, sample_weight=val_sample_weight,
                        batch_size=validation_batch_size or batch_size, steps=validation_steps,
                        callbacks=callbacks, return_dict=True, _use_cached_eval_dataset=True,
                    )
                    epoch_logs.update({f"val_{name}": value for name, value in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                training_logs = epoch_logs
                if epoch_iterator.exhausted:
                    _set(self, "stop_training", True)
                if self.stop_training:
                    break
            finalize = getattr(self.optimizer, "finalize_variable_values", None)
            if finalize is not None and epochs > 0:
                finalize(self.trainable_weights)
        finally:
            _set(self, "_eval_epoch_iterator", None)
        callbacks.on_train_end(logs=training_logs)
        return self.history

    def _should_eval(self, epoch, validation_freq):
        epoch = epoch + 1  # one-indexed, as the user counts epochs
        if isinstance(validation_freq, int):
            return epoch % validation_freq == 0
        if isinstance(validation_freq, list):
            return epoch in validation_freq
        raise ValueError(
            "Expected `validation_freq` to be a list or int. "
            f"Received: validation_freq={validation_freq} of the type {type(validation_freq)}."
        )

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False, **kwargs):
        """Returns the loss value and metric values of the model in test mode.

        Computation is done in batches (see `batch_size`); the metrics are reset first.

        Args:
            x: Input data (as in `fit`).
            y: Target data (arrays, not with a PyDataset or generator).
            batch_size: Samples per batch (default 32; not with a PyDataset or generator).
            verbose: "auto", 0, 1 or 2. "auto" is 1.
            sample_weight: Optional array of per-sample weights for the loss (and the
                `weighted_metrics`).
            steps: Steps (batches) to draw before stopping (default: until `x` is exhausted).
            callbacks: List of ``lamina.callbacks.Callback`` instances.
            return_dict: Return a dict ``{name: value}`` instead of a list.

        Returns:
            The scalar loss (when it is the only value), or a list of the loss and metric
            values in the order of `metrics`, or (with `return_dict`) a dict; Python floats.

        Example:

        >>> loss, acc = model.evaluate(x_test, y_test, verbose=0)
        """
        self._assert_compile_called("evaluate")
        use_cached = kwargs.pop("_use_cached_eval_dataset", False)
        if kwargs:
            raise ValueError(f"Arguments not recognized: {kwargs}")
        verbose = _resolve_verbose(verbose)
        epoch_iterator = self._eval_epoch_iterator if use_cached else None
        if epoch_iterator is None:
            epoch_iterator = EpochIterator(
                x=x, y=y, sample_weight=sample_weight, batch_size=batch_size,
                steps_per_epoch=steps, shuffle=False, steps_per_execution=self.steps_per_execution,
            )
        callbacks = self._make_callbacks(callbacks, False, verbose, 1, epoch_iterator.num_batches)
        test_function = self.make_test_function()
        _set(self, "stop_evaluating", False)
        callbacks.on_test_begin()
        logs = {}
        self.reset_metrics()
        with contextlib.closing(iter(epoch_iterator)) as batches:
            for begin_step, end_step, data in batches:
                callbacks.on_test_batch_begin(begin_step)
                logs = _pythonify_logs(test_function(data))
                callbacks.on_test_batch_end(end_step, logs)
                if self.stop_evaluating:
                    break
        logs = _pythonify_logs(self._get_metrics_result_or_logs(logs))
        callbacks.on_test_end(logs)
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Generates output predictions for the input samples, batch by batch.

        For a few inputs that fit in one batch, calling the model (``model(x)``) is faster.

        Args:
            x: Input data: arrays or tensors (or lists/dicts of them), a PyDataset or a
                generator (targets in its batches are ignored).
            batch_size: Samples per batch (default 32; not with a PyDataset or generator).
            verbose: "auto", 0, 1 or 2. "auto" is 1.
            steps: Steps (batches) to draw before stopping (default: until `x` is exhausted).
            callbacks: List of ``lamina.callbacks.Callback`` instances.

        Returns:
            NumPy array(s) of predictions, in the structure of the model's outputs.

        Example:

        >>> probs = model.predict(x_test, batch_size=128, verbose=0)
        """
        verbose = _resolve_verbose(verbose)
        epoch_iterator = EpochIterator(
            x=x, batch_size=batch_size, steps_per_epoch=steps, shuffle=False,
            steps_per_execution=self.steps_per_execution,
        )
        callbacks = self._make_callbacks(callbacks, False, verbose, 1, epoch_iterator.num_batches)
        predict_function = self.make_predict_function()
        _set(self, "stop_predicting", False)
        callbacks.on_predict_begin()
        outputs = None
        structure = None
        with contextlib.closing(iter(epoch_iterator)) as batches:
            for begin_step, end_step, data in batches:
                callbacks.on_predict_batch_begin(begin_step)
                batch_outputs = predict_function(data)
                flat = [ops.convert_to_numpy(o) if isinstance(o, Tensor) else np.asarray(o)
                        for o in tree.flatten(batch_outputs)]
                if outputs is None:
                    structure = batch_outputs
                    outputs = [[o] for o in flat]
                else:
                    for acc, o in zip(outputs, flat):
                        acc.append(o)
                callbacks.on_predict_batch_end(end_step, {"outputs": batch_outputs})
                if self.stop_predicting:
                    break
        callbacks.on_predict_end()
        if outputs is None:
            raise ValueError(
                "Unexpected result of `predict_function` (Empty batch_outputs): the input data "
                f"yielded no batch. Received: x={x!r} (of type {type(x)})"
            )
        return tree.pack_sequence_as(structure, [np.concatenate(o, axis=0) for o in outputs])

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       return_dict=False):
        """Runs a single gradient update on a single batch of data (metrics are reset first).

        Args:
            x: Input data (array-like, or lists/dicts of arrays).
            y: Target data.
            sample_weight: Optional array of per-sample weights (same length as `x`).
            class_weight: Optional dict mapping class indices to weights (not together with
                `sample_weight`).
            return_dict: Return a dict ``{name: value}`` instead of a list.

        Returns:
            The scalar loss (no metrics), a list of the loss and metric values, or (with
            `return_dict`) a dict; Python floats.
        """
        self._assert_compile_called("train_on_batch")
        if class_weight is not None:
            if sample_weight is not None:
                raise ValueError(
                    "Arguments `sample_weight` and `class_weight` cannot be specified at the "
                    f"same time. Received: sample_weight={sample_weight}, "
                    f"class_weight={class_weight}"
                )
            sample_weight = data_adapter_utils.class_weight_to_sample_weights(y, class_weight)
        data = data_adapter_utils.to_tensor_batch((x, y, sample_weight))
        self.reset_metrics()
        logs = _pythonify_logs(self.make_train_function()([data]))
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates the model on a single batch of samples (metrics are reset first).

        Args:
            x: Input data (array-like, or lists/dicts of arrays).
            y: Target data.
            sample_weight: Optional array of per-sample weights.
            return_dict: Return a dict ``{name: value}`` instead of a list.

        Returns:
            The scalar loss (no metrics), a list of the loss and metric values, or (with
            `return_dict`) a dict; Python floats.
        """
        self._assert_compile_called("test_on_batch")
        data = data_adapter_utils.to_tensor_batch((x, y, sample_weight))
        self.reset_metrics()
        logs = _pythonify_logs(self.make_test_function()([data]))
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """Returns predictions for a single batch of samples.

        Args:
            x: Input data (array-like, or lists/dicts of arrays).

        Returns:
            NumPy array(s) of predictions, in the structure of the model's outputs.
        """
        data = data_adapter_utils.to_tensor_batch((x,))
        outputs = self.make_predict_function()([data])
        return tree.map_structure(
            lambda o: ops.convert_to_numpy(o) if isinstance(o, Tensor) else np.asarray(o), outputs)

    # ------------------------------------------------------------------------------------------
    # Compile config
    # ------------------------------------------------------------------------------------------

    def get_compile_config(self):
        """The arguments ``compile()`` was called with, serialized (``{}`` when the model is
        not compiled).

        Returns:
            A dict with the keys optimizer, loss, loss_weights, metrics, weighted_metrics,
            run_eagerly, steps_per_execution and jit_compile.
        """
        config = self.__dict__.get("_compile_config")
        if self.__dict__.get("compiled", False) and config is not None:
            return config.serialize()
        return {}

    def compile_from_config(self, config):
        """Compiles the model from `get_compile_config()`'s output (and builds the optimizer's
        variables when the model is built).

        Args:
            config: Dict containing information for compiling the model.
        """
        if type(self).compile is not Trainer.compile:
            warnings.warn(
                "`compile()` was not called as part of model loading because the model's "
                "`compile()` method is custom. All subclassed Models that have `compile()` "
                "overridden should also override `get_compile_config()` and "
                "`compile_from_config(config)`. Alternatively, you can call `compile()` "
                "manually after loading.",
                stacklevel=2,
            )
            return
        config = serialization_lib.deserialize_keras_object(config)
        self.compile(**config)
        if self.optimizer is not None and getattr(self, "built", False):
            self.optimizer.build(self.trainable_variables)


def _identifier_leaves(structure):
    """The loss/metric identifiers in a (nested) `compile` argument; a serialized object (a
    dict with a "class_name") is one identifier."""
    if isinstance(structure, dict) and "class_name" not in structure:
        for value in structure.values():
            yield from _identifier_leaves(value)
    elif isinstance(structure, (list, tuple)):
        for value in structure:
            yield from _identifier_leaves(value)
    elif structure is not None:
        yield structure


def _validate_identifiers(loss, metrics, weighted_metrics):
    """Resolves every string in `loss`/`metrics`/`weighted_metrics` once, so that an unknown
    name fails in ``compile()`` with the family's error (the objects themselves are created
    on the first batch, when the output shapes are known)."""
    from lamina import losses as losses_module
    from lamina import metrics as metrics_module

    for identifier in _identifier_leaves(loss):
        if isinstance(identifier, str) and identifier.lower() not in ("crossentropy", "ce"):
            losses_module.get(identifier)
    for group in (metrics, weighted_metrics):
        for identifier in _identifier_leaves(group):
            if isinstance(identifier, str) and identifier.lower() not in (
                    "accuracy", "acc", "crossentropy", "ce"):
                metrics_module.get(identifier)


__all__ = ["Trainer"]
