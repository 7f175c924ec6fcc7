"""``lamina.layers.Layer``: the class every layer inherits from (Keras 3's ``keras.layers.Layer``)."""

import functools
import inspect
import textwrap
import threading
import warnings
import weakref

import numpy as np

from lamina import ops
from lamina import tree
from lamina._lamina import Tensor
from lamina.backend import config as backend_config
from lamina.backend.autocast import AutocastScope
from lamina.backend.keras_tensor import KerasTensor
from lamina.backend.naming import auto_name
from lamina.backend.naming import name_scope
from lamina.backend.naming import scope_stack
from lamina.backend.variables import Variable
from lamina.layers.input_spec import InputSpec
from lamina.layers.input_spec import assert_input_compatibility

_local = threading.local()
_INACTIVE = object()  # `_CallState.training` when no layer call is running

_AUTO_CONFIG_TYPES = (str, int, float, bool, type(None))
_FLOATS = ("float16", "bfloat16", "float32", "float64")

# Attributes the Layer itself manages: never wrapped or tracked.
_INTERNAL_ATTRS = frozenset((
    "_lamina_super_called", "_auto_config", "_call_sig", "_build_shapes_dict", "_inbound_nodes",
    "_input_spec", "_dtype_policy", "_activity_regularizer", "_supports_masking", "_called",
    "_trainable", "_dynamic", "_input_shape_arg", "built", "name", "autocast", "_outbound_nodes",
))
_LEGACY_KWARGS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "dynamic")


class _CallState:
    """This thread's layer-call state: the `training` flag resolved by the running outermost
    call (inner calls inherit it; `_INACTIVE` when no call runs), and the name scope stack
    (`naming.scope_stack()`)."""

    __slots__ = ("training", "stack")

    def __init__(self):
        self.training = _INACTIVE
        self.stack = scope_stack()


def _call_state():
    try:
        return _local.state
    except AttributeError:
        state = _local.state = _CallState()
        return state


def _call_context():
    """The running call's state (with its `training`), or None outside any layer call."""
    state = _call_state()
    return None if state.training is _INACTIVE else state


# The layers whose `_losses` may be non-empty (id -> weak reference), and whether there is one:
# a call that starts outside any other call clears its layers' losses only then.
_layers_with_losses = {}
_pending_losses = False


def _note_losses(layer):
    """Records that `layer._losses` is not empty (call after adding to it)."""
    global _pending_losses
    key = id(layer)
    if key not in _layers_with_losses:
        _layers_with_losses[key] = weakref.ref(
            layer, lambda _, key=key: _layers_with_losses.pop(key, None))
    _pending_losses = True


# What `__call__` caches per layer (`_call_cache`): it is dropped when one of these is set.
_CALL_CACHE_DEPS = frozenset(("_dtype_policy", "autocast", "_call_sig"))
# `_call_cache[1]` when the class overrides `input_dtype` (read at each call).
_DYNAMIC = object()


class _CallSignature:
    """What `__call__` needs to know about a class's `call` (inspected once per class)."""

    __slots__ = ("params", "first_arg", "has_training", "has_mask", "default_training", "var_kw",
                 "var_pos", "names_training")

    def __init__(self, call):
        sig = inspect.signature(call)
        self.params = [p for p in sig.parameters.values()]
        names = [p.name for p in self.params
                 if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.first_arg = names[0] if names else None
        self.var_kw = any(p.kind == p.VAR_KEYWORD for p in self.params)
        self.var_pos = any(p.kind == p.VAR_POSITIONAL for p in self.params)
        # As in Keras 3, only a call that names `training` receives it (not one taking **kwargs).
        self.names_training = "training" in sig.parameters
        self.has_training = self.names_training
        self.has_mask = "mask" in sig.parameters
        t = sig.parameters.get("training")
        self.default_training = (
            t.default if t is not None and t.default is not inspect.Parameter.empty else None
        )


def _is_default(method):
    return getattr(method, "_lamina_is_default", False)


def _default(method):
    method._lamina_is_default = True
    return method


def _get_mask(x):
    return getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None


def _set_mask(x, mask):
    if isinstance(x, Tensor):
        x._keras_mask = mask


class _TrackedList(list):
    """A list attribute of a layer: layers and variables added to it later are tracked too."""

    def __init__(self, values, owner):
        super().__init__(values)
        self._owner = owner

    def append(self, value):
        self._owner._track(value)
        super().append(value)

    def extend(self, values):
        values = list(values)
        for v in values:
            self._owner._track(v)
        super().extend(values)

    def insert(self, index, value):
        self._owner._track(value)
        super().insert(index, value)

    def __setitem__(self, index, value):
        old = self[index]
        for v in (old if isinstance(index, slice) else [old]):
            self._owner._untrack(v)
        for v in (value if isinstance(index, slice) else [value]):
            self._owner._track(v)
        super().__setitem__(index, value)

    def __iadd__(self, values):
        self.extend(values)
        return self

    def pop(self, index=-1):
        value = super().pop(index)
        self._owner._untrack(value)
        return value

    def remove(self, value):
        for i, v in enumerate(self):
            if v is value:
                super().pop(i)
                self._owner._untrack(value)
                return
        raise ValueError(f"{value!r} is not in list")

    def clear(self):
        for v in self:
            self._owner._untrack(v)
        super().clear()


class _TrackedDict(dict):
    """A dict attribute of a layer: layers and variables stored in it later are tracked too."""

    def __init__(self, values, owner):
        super().__init__(values)
        self._owner = owner

    def __setitem__(self, key, value):
        if key in self:
            self._owner._untrack(self[key])
        self._owner._track(value)
        super().__setitem__(key, value)

    def update(self, *args, **kwargs):
        for k, v in dict(*args, **kwargs).items():
            self[k] = v

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key, *default):
        if key in self:
            self._owner._untrack(self[key])
        return super().pop(key, *default)

    def __delitem__(self, key):
        self._owner._untrack(self[key])
        super().__delitem__(key)


def _add_new(values, out, seen):
    """Appends the items of `values` not seen yet (by identity) to `out`."""
    for v in values:
        key = id(v)
        if key not in seen:
            seen.add(key)
            out.append(v)


def _collect_variables(layer, out, seen):
    """Appends `layer.variables` to `out` (skipping what `seen` holds): its own variables, its
    metrics', its seed generators', then each sublayer's, depth first. A sublayer whose class
    redefines `variables` is asked for them."""
    _add_new(layer._trainable_variables, out, seen)
    _add_new(layer._non_trainable_variables, out, seen)
    for m in layer._metrics:
        _add_new(m.variables, out, seen)
    for sg in layer._seed_generators:
        state = getattr(sg, "state", None)
        if state is not None:
            _add_new((state,), out, seen)
    for sub in layer._layers:
        if type(sub).variables is _LAYER_VARIABLES:
            _collect_variables(sub, out, seen)
        else:
            _add_new(sub.variables, out, seen)


def _collect_weights(layer, out, seen):
    """Appends `layer.weights` to `out` (as `_collect_variables`, without metric and seed
    state)."""
    _add_new(layer._trainable_variables, out, seen)
    _add_new(layer._non_trainable_variables, out, seen)
    for sub in layer._layers:
        if type(sub).weights is _LAYER_WEIGHTS:
            _collect_weights(sub, out, seen)
        else:
            _add_new(sub.weights, out, seen)


def _contains(seq, x):
    return any(v is x for v in seq)


def _remove(seq, x):
    for i, v in enumerate(seq):
        if v is x:
            del seq[i]
            return True
    return False


class Layer:
    """This is the class from which all layers inherit.

    A layer is a callable object that takes one or more tensors and returns one or more
    tensors. It holds computation, defined in ``call()``, and state (weight variables), created
    in ``__init__()`` with ``add_weight()`` or in ``build()``, which the first ``__call__()``
    invokes with the shape(s) of the input(s).

    Args:
        activity_regularizer: Optional regularizer applied to the layer's outputs (its loss,
            divided by the batch size, is added to ``layer.losses``).
        trainable: Whether the layer's variables are trainable.
        dtype: The dtype policy: None (the global policy, float32 by default), a dtype name,
            "mixed_float16"/"mixed_bfloat16", or a ``lamina.DTypePolicy``.
        autocast: Whether float inputs (and variables, under a mixed policy) are cast to the
            compute dtype inside ``call``.
        name: The layer's name (unique default from the class name: dense, dense_1, ...).

    Example:

    >>> class SimpleDense(lamina.layers.Layer):
    ...     def __init__(self, units=32):
    ...         super().__init__()
    ...         self.units = units
    ...     def build(self, input_shape):
    ...         self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
    ...         self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
    ...     def call(self, inputs):
    ...         return lamina.ops.matmul(inputs, self.kernel) + self.bias
    >>> layer = SimpleDense(4)
    >>> layer(lamina.ops.ones((2, 2))).shape
    (2, 4)
    """

    _call_signatures = {}

    def __new__(cls, *args, **kwargs):
        obj = super().__new__(cls)
        # Keras 3's auto-config: constructor arguments of plain serializable types make up the
        # default get_config().
        try:
            params = inspect.signature(cls.__init__).parameters
            names = [p for p in params if p != "self"]
            bound = dict(kwargs)
            bound.update(dict(zip(names, args)))
            # A DTypePolicy argument is recorded by name, as Keras 3 does.
            policy = bound.get("dtype")
            if policy is not None and hasattr(policy, "compute_dtype") and hasattr(policy, "name"):
                bound["dtype"] = policy.name
            ok = all(isinstance(v, _AUTO_CONFIG_TYPES) for v in tree.flatten(bound))
        except (TypeError, ValueError, RecursionError):
            ok, bound = False, None
        object.__setattr__(obj, "_auto_config", dict(bound) if ok else None)
        object.__setattr__(obj, "_lamina_super_called", False)
        return obj

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_lamina_build_wrapper", False):

            signature = inspect.signature(build)

            @functools.wraps(build)
            def build_wrapper(self, *args, **kw):
                with self._open_name_scope():
                    build(self, *args, **kw)
                # Record the build arguments (the build config), as Keras 3 does.
                try:
                    bound = signature.bind(self, *args, **kw).arguments
                    bound.pop("self", None)
                    object.__setattr__(self, "_build_shapes_dict", dict(bound))
                except TypeError:
                    pass
                self.built = True

            build_wrapper._lamina_build_wrapper = True
            cls.build = build_wrapper

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        self._init_stores()
        unknown = {k: v for k, v in kwargs.items() if k not in _LEGACY_KWARGS}
        if unknown:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {self.__class__.__name__}: {unknown}"
            )
        if name is None:
            name = auto_name(self.__class__.__name__)
        elif not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r} (of type {type(name)})"
            )
        from lamina import dtype_policies
        from lamina import regularizers

        object.__setattr__(self, "_lamina_super_called", True)
        self.name = name
        self.built = False
        self._trainable = bool(trainable)
        self._dtype_policy = dtype_policies.get(dtype)
        self.autocast = bool(autocast)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._input_spec = None
        self._supports_masking = None
        self._called = False
        self._build_shapes_dict = None
        self._inbound_nodes = []
        self._outbound_nodes = []
        self._dynamic = bool(kwargs.get("dynamic", False))
        input_dim = kwargs.get("input_dim")
        input_shape = kwargs.get("input_shape")
        batch_input_shape = kwargs.get("batch_input_shape")
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if batch_input_shape is not None:
            self._input_shape_arg = tuple(batch_input_shape)
        elif input_shape is not None:
            self._input_shape_arg = (kwargs.get("batch_size"),) + tuple(input_shape)
        else:
            self._input_shape_arg = None
        sig = Layer._call_signatures.get(type(self))
        if sig is None:
            sig = Layer._call_signatures[type(self)] = _CallSignature(self.call)
        self._call_sig = sig

    # ------------------------------------------------------------------------------------------
    # State tracking
    # ------------------------------------------------------------------------------------------

    def _init_stores(self):
        d = self.__dict__
        if "_layers" in d:
            return
        d["_trainable_variables"] = []
        d["_non_trainable_variables"] = []
        d["_layers"] = []
        d["_metrics"] = []
        d["_seed_generators"] = []
        d["_losses"] = []
        d["_loss_fns"] = []

    def _check_super_called(self):
        if not self.__dict__.get("_lamina_super_called", False):
            raise RuntimeError(
                f"In layer '{self.__class__.__name__}', you forgot to call `super().__init__()` "
                "as the first statement in the `__init__()` method. Go add it!"
            )

    def _track(self, value):
        from lamina.random import SeedGenerator

        self._init_stores()
        if isinstance(value, Variable):
            store = self._trainable_variables if value.trainable else self._non_trainable_variables
            if not (_contains(self._trainable_variables, value)
                    or _contains(self._non_trainable_variables, value)):
                store.append(value)
                if not self.__dict__.get("_trainable", True):
                    value.trainable = False  # a frozen layer's new weights start frozen
        elif isinstance(value, Layer):
            if value is not self and not _contains(self._layers, value):
                if _is_metric(value):
                    self._metrics.append(value)
                else:
                    self._layers.append(value)
        elif _is_metric(value):
            if not _contains(self._metrics, value):
                self._metrics.append(value)
        elif isinstance(value, SeedGenerator):
            if not _contains(self._seed_generators, value):
                self._seed_generators.append(value)
        elif isinstance(value, (_TrackedList, _TrackedDict)):
            for v in (value.values() if isinstance(value, dict) else value):
                self._track(v)
        elif isinstance(value, (list, tuple)) or (isinstance(value, dict) and type(value) is dict):
            for v in (value.values() if isinstance(value, dict) else value):
                self._track(v)

    def _untrack(self, value):
        from lamina.random import SeedGenerator

        if isinstance(value, Variable):
            _remove(self._trainable_variables, value) or _remove(self._non_trainable_variables, value)
        elif isinstance(value, Layer):
            _remove(self._layers, value) or _remove(self._metrics, value)
        elif _is_metric(value):
            _remove(self._metrics, value)
        elif isinstance(value, SeedGenerator):
            _remove(self._seed_generators, value)
        elif isinstance(value, (list, tuple)) or isinstance(value, dict):
            for v in (value.values() if isinstance(value, dict) else value):
                self._untrack(v)

    def __setattr__(self, name, value):
        if name.startswith("__") or name in _INTERNAL_ATTRS:
            object.__setattr__(self, name, value)
            if name in _CALL_CACHE_DEPS:
                self.__dict__.pop("_call_cache", None)
            return
        d = self.__dict__
        if "_layers" not in d:
            self._init_stores()
        if name in d:
            old = d[name]
            if old is not value and not isinstance(old, (str, int, float, bool, type(None))):
                self._untrack(old)
        # Like Keras 3, every attribute (private ones too) is tracked; lists and dicts are
        # wrapped so that what is added to them later is tracked as well.
        if type(value) is list:
            value = _TrackedList(value, self)
        elif type(value) is dict:
            value = _TrackedDict(value, self)
        self._track(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in _CALL_CACHE_DEPS:
            self.__dict__.pop("_call_cache", None)
        value = self.__dict__.get(name)
        if value is not None:
            self._untrack(value)
        object.__delattr__(self, name)

    # ------------------------------------------------------------------------------------------
    # Properties
    # ------------------------------------------------------------------------------------------

    @property
    def trainable(self):
        """Whether the layer's weights are trainable (setting it propagates to sublayers)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def dtype_policy(self):
        """The layer's ``DTypePolicy``."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        from lamina import dtype_policies

        self._dtype_policy = dtype_policies.get(value)

    @property
    def dtype(self):
        """The dtype of the layer's weights (alias of `variable_dtype`)."""
        return self._dtype_policy.variable_dtype

    @property
    def variable_dtype(self):
        """The dtype of the layer's weights."""
        return self._dtype_policy.variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations."""
        return self._dtype_policy.compute_dtype

    @property
    def input_dtype(self):
        """The dtype float inputs are cast to (the compute dtype)."""
        return self._dtype_policy.compute_dtype

    @property
    def dynamic(self):
        """tf.keras' `dynamic` flag (accepted for compatibility; lamina always runs eagerly)."""
        return self._dynamic

    @property
    def activity_regularizer(self):
        """The regularizer applied to the layer's outputs, or None."""
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        from lamina import regularizers

        self._activity_regularizer = regularizers.get(value)

    @property
    def input_spec(self):
        """An ``InputSpec`` (or list of them) the inputs are checked against, or None."""
        return self.__dict__.get("_input_spec")

    @input_spec.setter
    def input_spec(self, value):
        for spec in tree.flatten(value):
            if spec is not None and not isinstance(spec, InputSpec):
                raise TypeError(
                    "Layer input_spec must be an instance of InputSpec. " f"Got: {spec!r}"
                )
        object.__setattr__(self, "_input_spec", value)

    @property
    def supports_masking(self):
        """Whether the layer computes an output mask with `compute_mask`."""
        if self._supports_masking is None:
            return not _is_default(type(self).compute_mask)
        return self._supports_masking

    @supports_masking.setter
    def supports_masking(self, value):
        self._supports_masking = bool(value)

    @property
    def path(self):
        """The layer's name scope path."""
        return self.name

    def _flatten_layers(self, include_self=True, recursive=True):
        out = [self] if include_self else []
        if not self._layers:
            return out
        seen = {id(self)}
        # Breadth first: `queue` grows at the end while `i` walks it.
        queue = list(self._layers)
        i = 0
        while i < len(queue):
            layer = queue[i]
            i += 1
            key = id(layer)
            if key in seen:
                continue
            seen.add(key)
            out.append(layer)
            if recursive:
                sublayers = layer._layers
                if sublayers:
                    queue.extend(sublayers)
        return out

    @property
    def layers(self):
        """The direct sublayers."""
        return list(self._layers)

    @property
    def variables(self):
        """All variables: the layer's own, its metrics', its seed generators' and its sublayers'."""
        out = []
        _collect_variables(self, out, set())
        return out

    @property
    def trainable_variables(self):
        """The trainable variables (none when the layer is frozen)."""
        if not self.trainable:
            return []
        return [v for v in self.variables if v.trainable]

    @property
    def non_trainable_variables(self):
        """The variables an optimizer does not update (all of them when the layer is frozen)."""
        if not self.trainable:
            return self.variables
        return [v for v in self.variables if not v.trainable]

    @property
    def weights(self):
        """The weight variables: own trainable, own non-trainable, then sublayers' (no metric
        or seed state)."""
        out = []
        _collect_weights(self, out, set())
        return out

    @property
    def trainable_weights(self):
        """The trainable weights (none when the layer is frozen)."""
        if not self.trainable:
            return []
        return [v for v in self.weights if v.trainable]

    @property
    def non_trainable_weights(self):
        """The weights an optimizer does not update (all of them when the layer is frozen)."""
        if not self.trainable:
            return self.weights
        return [v for v in self.weights if not v.trainable]

    @property
    def metrics(self):
        """The metric objects tracked by the layer and its sublayers."""
        out = list(self._metrics)
        for layer in self._layers:
            out.extend(m for m in layer.metrics if not _contains(out, m))
        return out

    @property
    def metrics_variables(self):
        """The variables of the tracked metrics."""
        return [v for m in self.metrics for v in m.variables]

    # ------------------------------------------------------------------------------------------
    # Weights
    # ------------------------------------------------------------------------------------------

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Adds a weight variable to the layer.

        Args:
            shape: The shape (default ``()``, a scalar).
            initializer: An initializer object, its name or a callable (default "glorot_uniform"
                for float variables, "zeros" otherwise).
            dtype: The dtype (default: the layer's variable dtype).
            trainable: Whether the variable is trained.
            autocast: Whether it is read as the compute dtype under a mixed policy.
            regularizer: A regularizer (object, name or callable) whose loss joins `losses`.
            constraint: A constraint (object, name or callable) applied after optimizer updates.
            aggregation: "none", "mean", "sum" or "only_first_replica".
            overwrite_with_gradient: Whether optimizers overwrite the value with its gradient.
            name: The variable's name (its path is ``layer_name/name``).

        Returns:
            The new ``lamina.Variable``.
        """
        self._check_super_called()
        from lamina import constraints
        from lamina import initializers
        from lamina import regularizers

        if shape is None:
            shape = ()
        dtype = backend_config.standardize_dtype(dtype) if dtype is not None else self.variable_dtype
        if initializer is None:
            is_float = dtype in ("float16", "bfloat16", "float32", "float64")
            initializer = "glorot_uniform" if is_float else "zeros"
        initializer = initializers.get(initializer)
        with self._open_name_scope():
            variable = Variable(initializer=initializer, shape=shape, dtype=dtype,
                                trainable=trainable, autocast=autocast, aggregation=aggregation,
                                name=name if name is not None else auto_name("variable"))
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraints.get(constraint)
        variable.overwrite_with_gradient = overwrite_with_gradient
        self._track(variable)
        return variable

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """Alias of `add_weight` (Keras 3 keeps it for compatibility)."""
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype,
                               trainable=trainable, autocast=autocast, regularizer=regularizer,
                               constraint=constraint, name=name)

    def save_own_variables(self, store):
        """Writes this layer's own variables (not its sublayers') into `store` under "0", "1",
        ... as Keras 3 does (the .keras and .weights.h5 formats call this)."""
        from lamina.saving import state_io

        state_io.save_own_variables(self, store)

    def load_own_variables(self, store):
        """Reads this layer's own variables back from `store` (see `save_own_variables`)."""
        from lamina.saving import state_io

        state_io.load_own_variables(self, store)

    def __reduce__(self):
        # Pickling (and copy.deepcopy) goes through the .keras bytes, as in Keras 3.
        from lamina.saving import saving_lib

        return saving_lib.reduce_object(self)

    def get_weights(self):
        """The values of `weights`, as numpy arrays."""
        return [np.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights):
        """Sets the values of `weights` from a list of arrays (same count, order and shapes)."""
        layer_weights = self.weights
        if len(layer_weights) != len(weights):
            raise ValueError(
                f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                f"length {len(weights)}, but the layer was expecting {len(layer_weights)} weights."
            )
        values = [np.asarray(w) for w in weights]
        for i, (variable, value) in enumerate(zip(layer_weights, values)):
            if tuple(variable.shape) != tuple(value.shape):
                raise ValueError(
                    f"Layer '{self.name}' weight shape {tuple(variable.shape)} is not compatible "
                    f"with provided weight shape {tuple(value.shape)} at index {i} "
                    f"(weight '{variable.path}')."
                )
        for variable, value in zip(layer_weights, values):
            variable.assign(value)

    def count_params(self):
        """The number of scalars in the layer's weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`."
            )
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # ------------------------------------------------------------------------------------------
    # Losses
    # ------------------------------------------------------------------------------------------

    def add_loss(self, loss):
        """Adds a scalar loss (a tensor, a list of them, or a zero-argument callable, as tf.keras
        allowed) to `losses`; called from `call()` typically."""
        for x in tree.flatten(loss):
            if callable(x) and not isinstance(x, (Tensor, Variable)):
                self._loss_fns.append(x)
                continue
            if not isinstance(x, (Tensor, Variable)):
                try:
                    x = ops.convert_to_tensor(x)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"`add_loss()` expects tensors or zero-argument callables. Received: {x!r}"
                    ) from None
            self._losses.append(x)
            _note_losses(self)

    def add_metric(self, value, name=None, aggregation=None):
        """tf.keras' ``add_metric``: tracks `value` under `name` as a running mean (listed in
        `metrics`). A value returned by calling a metric object tracks that metric instead.

        Args:
            value: A tensor (or the result of calling a ``lamina.metrics.Metric``).
            name: The metric's name (required unless `value` comes from a metric).
            aggregation: None or "mean" (values are averaged over calls).
        """
        from lamina.metrics import Mean
        from lamina.metrics.metric import metric_of_result

        if aggregation not in (None, "mean"):
            raise ValueError(
                f"Layer '{self.name}': `add_metric` supports aggregation=None or 'mean'. "
                f"Received: aggregation={aggregation!r}"
            )
        metric = metric_of_result(value)
        if metric is not None and (name is None or name == metric.name):
            self._track(metric)
            return
        if name is None:
            raise ValueError(
                f"Layer '{self.name}': please provide a name for your metric like "
                "`self.add_metric(lamina.ops.sum(inputs), name='mean_activation')`. "
                f"Received: value={value!r}"
            )
        by_name = self.__dict__.setdefault("_metrics_by_name", {})
        metric = by_name.get(name)
        if metric is None:
            metric = by_name[name] = Mean(name=name)
            self._track(metric)
        metric.update_state(value)

    def _get_own_losses(self):
        out = list(self._losses)
        if self._loss_fns:
            out.extend(fn() for fn in self._loss_fns)
        return out

    def _clear_losses(self):
        global _pending_losses
        if not _pending_losses:
            return  # no layer has losses
        if self._losses:
            self._losses.clear()
            _layers_with_losses.pop(id(self), None)
        if self._layers:
            for layer in self._flatten_layers(include_self=False):
                if layer._losses:
                    layer._losses.clear()
                    _layers_with_losses.pop(id(layer), None)
        _pending_losses = bool(_layers_with_losses)

    @property
    def losses(self):
        """Losses added with `add_loss` (own and sublayers'), then one regularization term per
        trainable weight that has a regularizer (computed now, so differentiable)."""
        out = self._get_own_losses()
        for layer in self._flatten_layers(include_self=False):
            if layer._losses or layer._loss_fns:
                out.extend(layer._get_own_losses())
        for v in self.trainable_weights:
            if v.regularizer is not None:
                out.append(v.regularizer(v))
        return out

    # ------------------------------------------------------------------------------------------
    # Building and calling
    # ------------------------------------------------------------------------------------------

    def _open_name_scope(self):
        return name_scope(self.name, caller=self)

    @_default
    def build(self, input_shape=None):
        """Creates the layer's state from the input shape (override in subclasses). Calling the
        base implementation just marks the layer built."""
        self._check_super_called()
        self.built = True

    def build_from_config(self, config):
        """Builds the layer from `get_build_config()`'s output."""
        if config:
            if "input_shape" in config:
                self.build(config["input_shape"])
                self._build_shapes_dict = {"input_shape": config["input_shape"]}
            elif "shapes_dict" in config:
                self.build(**config["shapes_dict"])
                self._build_shapes_dict = dict(config["shapes_dict"])
            self.built = True

    def get_build_config(self):
        """The input shape(s) the layer was built with (None if built otherwise)."""
        shapes = self._build_shapes_dict
        if shapes is None:
            return None
        if len(shapes) == 1:
            return {"input_shape": tuple(next(iter(shapes.values())))}
        return {"shapes_dict": dict(shapes)}

    def call(self, *args, **kwargs):
        """The layer's computation (override in subclasses)."""
        raise NotImplementedError(
            f"Layer {self.__class__.__name__} does not have a `call()` method implemented."
        )

    def _convert(self, x):
        return self._dtype_policy.convert_input(x, self.autocast, self.input_dtype)

    def _maybe_build(self, args, kwargs):
        sig = self._call_sig
        # The tensor arguments of call, by parameter name.
        bound = {}
        names = [p.name for p in sig.params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for n, a in zip(names, args):
            bound[n] = a
        for k, v in kwargs.items():
            if k not in ("training", "mask"):
                bound[k] = v
        shapes = {}
        for n, v in bound.items():
            flat = tree.flatten(v)
            if flat and all(hasattr(x, "shape") and x is not None for x in flat):
                shapes[f"{n}_shape"] = tree.map_structure(lambda x: tuple(x.shape), v)
        if len(shapes) == 1:
            shapes = {"input_shape": next(iter(shapes.values()))}
        self._build_shapes_dict = shapes
        build = type(self).build
        if _is_default(build):
            self.built = True
            return
        params = [p for p in inspect.signature(build).parameters.values()
                  if p.name != "self" and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(shapes) <= 1 or len(params) == 1:
            value = next(iter(shapes.values())) if shapes else None
            self.build(value)
        else:
            missing = [k for k in shapes if k not in {p.name for p in params}]
            if missing:
                raise ValueError(
                    f"Layer '{self.name}': `build()` takes arguments {[p.name for p in params]} "
                    f"but the call has tensor arguments {list(shapes)}. Name the build arguments "
                    "after the call arguments with a `_shape` suffix (e.g. `build(self, x_shape, "
                    "y_shape)`)."
                )
            self.build(**shapes)
        self.built = True

    def _convert_args(self, args, kwargs):
        """Tensor-like inputs become Tensors; floats are cast to the compute dtype."""
        convert = self._convert
        args = tuple(tree.map_structure(convert, a) if tree.is_nested(a) else convert(a)
                     for a in args)
        if kwargs:
            kwargs = {k: (v if k == "training" else
                          tree.map_structure(convert, v) if tree.is_nested(v) else convert(v))
                      for k, v in kwargs.items()}
        return args, kwargs

    def _call_cache_state(self):
        """What `__call__` reads at every call and that changes only when an attribute in
        `_CALL_CACHE_DEPS` is set: ``(call signature, dtype float inputs are cast to (None
        without autocast, `_DYNAMIC` when the class overrides `input_dtype`), compute dtype of
        the autocast scope around `call` (None when not mixed))``."""
        autocast = self.autocast
        policy = self._dtype_policy
        if not autocast:
            cast = None
        elif type(self).input_dtype is not _LAYER_INPUT_DTYPE:
            cast = _DYNAMIC
        else:
            cast = self.input_dtype
        scope = None
        if autocast and policy.compute_dtype != policy.variable_dtype:
            scope = policy.compute_dtype
        cache = (self._call_sig, cast, scope)
        self.__dict__["_call_cache"] = cache
        return cache

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        cache = d.get("_call_cache")
        if cache is None:
            if not d.get("_lamina_super_called", False):
                self._check_super_called()
            cache = self._call_cache_state()
            d["_called"] = True
        sig, cast, scope = cache
        # 1. Inputs: a lone Tensor of the right dtype (the common case) passes straight through,
        # also with a plain `training` flag (what models pass their layers), which
        # `_convert_args` would leave alone.
        if len(args) == 1 and type(args[0]) is Tensor and (
                not kwargs or (len(kwargs) == 1 and _is_plain_training(kwargs))):
            first = args[0]
            if cast is not None:
                if cast is _DYNAMIC:
                    cast = self.input_dtype
                dtype = first.dtype
                if dtype != cast and dtype in _FLOATS:
                    first = ops.cast(first, cast)
                    args = (first,)
            single = True
        else:
            if _any_symbolic(args, kwargs):
                return self._symbolic_call(args, kwargs)
            args, kwargs = self._convert_args(args, kwargs)
            if args:
                first = args[0]
            elif sig.first_arg is not None and sig.first_arg in kwargs:
                first = kwargs[sig.first_arg]
            else:
                first = None
            single = type(first) is Tensor
        # 2. Input spec.
        spec = d.get("_input_spec")
        if spec is not None:
            assert_input_compatibility(spec, first, self.name)
        # 3. training: explicit > outer call's > call's own default. `state.training` is
        # `_INACTIVE` outside any layer call.
        try:
            state = _local.state
        except AttributeError:
            state = _call_state()
        outer = state.training
        if kwargs:
            training = kwargs.pop("training", None)
            explicit_mask = kwargs.get("mask", None) if kwargs else None
            if training is None and outer is not _INACTIVE:
                training = outer
        else:
            training = None if outer is _INACTIVE else outer
            explicit_mask = None
        if training is None:
            training = sig.default_training
        if sig.has_training:
            kwargs["training"] = training
        # 4. mask: explicit, or the inputs' attached masks.
        if explicit_mask is not None:
            previous_mask = explicit_mask
            has_mask = True
        elif single:
            previous_mask = first._keras_mask
            has_mask = previous_mask is not None
        else:
            previous_mask = tree.map_structure(_get_mask, first) if first is not None else None
            has_mask = any(m is not None for m in tree.flatten(previous_mask))
        if sig.has_mask:
            if explicit_mask is None and has_mask:
                kwargs["mask"] = previous_mask
        elif kwargs:
            kwargs.pop("mask", None)
        entry = outer is _INACTIVE
        if entry:
            if _pending_losses:
                self._clear_losses()
            state.training = training
        elif training is not None and outer is None:
            state.training = training
        # The layer's name scope (not pushed again when it is already the innermost one).
        stack = state.stack
        name = self.name
        pushed = not stack or stack[-1] != name
        if pushed:
            stack.append(name)
        try:
            # 5. Build once, from the inputs' shapes.
            if not self.built:
                self._maybe_build(args, kwargs)
                if spec is None and d.get("_input_spec") is not None:
                    assert_input_compatibility(self._input_spec, first, self.name)
                scope = self._call_cache_state()[2]  # build may have set the dtype policy
            # 6. call, under an autocast scope for mixed policies.
            if scope is None:
                # Spelled out for one tensor (and `training`): a call with `*args` costs more.
                if len(args) != 1 or len(kwargs) > 1:
                    outputs = self.call(*args, **kwargs)
                elif not kwargs:
                    outputs = self.call(args[0])
                elif "training" in kwargs:
                    outputs = self.call(args[0], training=kwargs["training"])
                else:
                    outputs = self.call(*args, **kwargs)
            else:
                with AutocastScope(scope):
                    outputs = self.call(*args, **kwargs)
        finally:
            if pushed:
                stack.pop()
            if entry:
                state.training = _INACTIVE
        # 7. Activity regularization (divided by the batch size, as Keras does).
        if self._activity_regularizer is not None:
            self._add_activity_loss(outputs)
        # 8. Output mask (the base `compute_mask` only passes an input mask on).
        compute_mask = type(self).compute_mask
        if has_mask or (compute_mask is not _LAYER_COMPUTE_MASK and not _is_default(compute_mask)):
            if self.supports_masking:
                self._set_mask_metadata(first, outputs, previous_mask)
            elif has_mask:
                warnings.warn(
                    f"Layer '{self.name}' (of type {self.__class__.__name__}) was passed an "
                    "input with a mask attached to it. However, this layer does not support "
                    "masking and will therefore destroy the mask information. Downstream layers "
                    "will not see the mask.",
                    stacklevel=2,
                )
        return outputs

    def _symbolic_call(self, args, kwargs):
        """`__call__` on KerasTensors: infers the outputs (and their masks) and records a Node."""
        from lamina.ops.node import Node

        sig = self._call_sig
        kwargs = dict(kwargs)
        if args:
            first = args[0]
        elif sig.first_arg is not None and sig.first_arg in kwargs:
            first = kwargs[sig.first_arg]
        else:
            first = None
        spec = self.__dict__.get("_input_spec")
        if spec is not None:
            assert_input_compatibility(spec, first, self.name)
        # training: explicit > outer call's > call's own default; recorded when not None.
        training = kwargs.pop("training", None)
        if training is None:
            ctx = _call_context()
            if ctx is not None:
                training = ctx.training
        if training is None:
            training = sig.default_training
        if sig.has_training and training is not None:
            kwargs["training"] = training
        # mask: as Keras 3, a call taking `mask` gets the masks of its only tensor argument
        # recorded (masks that are not part of the graph are left to the eager call).
        if sig.has_mask and kwargs.get("mask") is None:
            tensor_args = [a for a in args if _any_symbolic((a,), None)]
            tensor_args += [v for k, v in kwargs.items()
                            if k not in ("training", "mask") and _any_symbolic((v,), None)]
            if len(tensor_args) == 1:
                kwargs["mask"] = tree.map_structure(_graph_mask, tensor_args[0])
        previous_mask = kwargs.get("mask")
        if previous_mask is None and first is not None:
            previous_mask = tree.map_structure(_symbolic_mask, first)
        if not self.built:
            with self._open_name_scope():
                self._maybe_build(args, kwargs)
            if spec is None and self.__dict__.get("_input_spec") is not None:
                assert_input_compatibility(self._input_spec, first, self.name)
        spec_kwargs = kwargs
        if "mask" in kwargs and all(m is None for m in tree.flatten(kwargs["mask"])):
            # Recorded as Keras does; the eager call finds the tensors' own masks instead.
            spec_kwargs = {k: v for k, v in kwargs.items() if k != "mask"}
        outputs = self.compute_output_spec(*args, **spec_kwargs)
        has_mask = any(m is not None for m in tree.flatten(previous_mask))
        if self.supports_masking:
            self._set_symbolic_masks(first, outputs, previous_mask)
        elif has_mask:
            warnings.warn(
                f"Layer '{self.name}' (of type {self.__class__.__name__}) was passed an input "
                "with a mask attached to it. However, this layer does not support masking and "
                "will therefore destroy the mask information. Downstream layers will not see "
                "the mask.",
                stacklevel=3,
            )
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def _set_symbolic_masks(self, inputs, outputs, previous_mask):
        from lamina.ops.operation import placeholder_output_spec

        flat_outputs = [x for x in tree.flatten(outputs) if isinstance(x, KerasTensor)]
        if not flat_outputs or all(_symbolic_mask(x) is not None for x in flat_outputs):
            return
        try:
            masks = self.compute_mask(inputs, previous_mask)
        except Exception:
            # An op of compute_mask that is not recorded symbolically: infer the mask's shape
            # from placeholders (the eager call computes the real mask).
            masks = placeholder_output_spec(self.compute_mask, (inputs, previous_mask), {},
                                            f"{self.__class__.__name__}.compute_mask")
        if masks is None:
            return
        for tensor, mask in zip(flat_outputs, tree.flatten(masks)):
            if mask is None or _symbolic_mask(tensor) is not None:
                continue
            if not isinstance(mask, KerasTensor):
                mask = KerasTensor(tuple(mask.shape), dtype=mask.dtype)
            tensor._keras_mask = mask

    def _add_activity_loss(self, outputs):
        for out in tree.flatten(outputs):
            if isinstance(out, Tensor):
                loss = self._activity_regularizer(out)
                if out.ndim > 0 and out.shape[0] > 0:
                    loss = ops.divide(loss, ops.cast(out.shape[0], loss.dtype))
                self.add_loss(loss)

    def _set_mask_metadata(self, inputs, outputs, previous_mask):
        flat_outputs = tree.flatten(outputs)
        if all(_get_mask(x) is not None for x in flat_outputs):
            return
        masks = self.compute_mask(inputs, previous_mask)
        if masks is None:
            return
        flat_masks = tree.flatten(masks)
        for tensor, mask in zip(flat_outputs, flat_masks):
            if _get_mask(tensor) is None and mask is not None:
                _set_mask(tensor, mask)

    @_default
    def compute_mask(self, inputs, previous_mask):
        """The output mask (default: the input mask, unchanged)."""
        return previous_mask

    def compute_output_spec(self, *args, **kwargs):
        """The output(s) as ``lamina.KerasTensor`` (shape and dtype) for inputs given as
        KerasTensors, tensors or arrays.

        With `compute_output_shape` overridden, it is used. Otherwise the layer is run on zeros
        twice, with every unknown size set to 2 and then to 3: output sizes that change are
        unknown (None). The layer is built if needed; its non-trainable variables and losses are
        restored afterwards.
        """
        from lamina.backend.keras_tensor import KerasTensor

        def spec_of(x):
            return x if isinstance(x, KerasTensor) else KerasTensor(tuple(x.shape), dtype=x.dtype)

        def is_tensorish(x):
            return isinstance(x, KerasTensor) or hasattr(x, "shape") and hasattr(x, "dtype")

        specs = tree.map_structure(lambda x: spec_of(x) if is_tensorish(x) else x, (args, kwargs))
        out_dtype = self.compute_dtype
        if not _is_default_shape_fn(type(self).compute_output_shape):
            shapes = tree.map_structure(
                lambda x: x.shape if isinstance(x, KerasTensor) else x, specs[0])
            out = self.compute_output_shape(*shapes)
            return _map_shapes(lambda s: KerasTensor(s, dtype=out_dtype), out)
        def run(fill):
            def concrete(x):
                if isinstance(x, KerasTensor):
                    shape = tuple(fill if d is None else d for d in x.shape)
                    return ops.zeros(shape, dtype=x.dtype)
                return x

            a, kw = tree.map_structure(concrete, specs)
            if not self.built:
                with self._open_name_scope():
                    self._maybe_build(a, kw)
            state = [(v, v.value) for v in self.non_trainable_variables]
            losses = [(layer, list(layer._losses)) for layer in self._flatten_layers()]
            try:
                return self(*a, **kw)
            finally:
                for v, value in state:
                    v.assign(value)
                for layer, kept in losses:
                    layer._losses[:] = kept
                    if kept:
                        _note_losses(layer)

        first, second = run(2), run(3)

        def merge(x, y):
            shape = tuple(a if a == b else None for a, b in zip(x.shape, y.shape))
            return KerasTensor(shape, dtype=x.dtype)

        return tree.map_structure(merge, first, second)

    def compute_output_shape(self, *args, **kwargs):
        """The output shape for given input shape(s) (override in subclasses)."""
        raise NotImplementedError(
            f"Layer {self.__class__.__name__} should implement "
            "`def compute_output_shape(self, input_shape)`."
        )

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Calls the layer with the given variable values instead of its own, and returns the
        outputs with the new non-trainable values, leaving the layer's variables unchanged.

        Args:
            trainable_variables: Values for `self.trainable_variables`, in order.
            non_trainable_variables: Values for `self.non_trainable_variables`, in order.
            *args, **kwargs: The call's arguments.
            return_losses: Also return the losses added during the call.

        Returns:
            ``(outputs, non_trainable_variables)``, plus ``losses`` with `return_losses`.

        The values are swapped into the variables for the duration of the call, so gradients
        taken with a GradientTape flow to the layer's variables, not to the given arrays.
        """
        self._check_super_called()
        if not self.built:
            raise ValueError(
                f"To call stateless_call, {self.__class__.__name__} must be built (i.e. its "
                "variables must have been already created). You can build it by calling it on "
                "some data."
            )
        trainable = self.trainable_variables
        non_trainable = self.non_trainable_variables
        for given, own, label in ((trainable_variables, trainable, "trainable_variables"),
                                  (non_trainable_variables, non_trainable, "non_trainable_variables")):
            if len(given) != len(own):
                raise ValueError(
                    f"Argument `{label}` must be a list of tensors corresponding 1:1 to "
                    f"{self.__class__.__name__}().{label}. Received list with length "
                    f"{len(given)}, but expected {len(own)} variables."
                )
        saved = [v.value for v in trainable + non_trainable]
        try:
            for v, value in zip(trainable + non_trainable, list(trainable_variables) + list(non_trainable_variables)):
                v.assign(value)
            outputs = self(*args, **kwargs)
            new_non_trainable = [v.value for v in non_trainable]
            losses = list(self.losses) if return_losses else None
        finally:
            for v, value in zip(trainable + non_trainable, saved):
                v.assign(value)
        if return_losses:
            return outputs, new_non_trainable, losses
        return outputs, new_non_trainable

    # ------------------------------------------------------------------------------------------
    # Serialization
    # ------------------------------------------------------------------------------------------

    @_default
    def get_config(self):
        """The layer's configuration: name, trainable, dtype (and activity_regularizer), plus
        the constructor arguments when they are plain values (Keras 3's auto-config)."""
        self._check_super_called()
        from lamina import dtype_policies

        config = {"name": self.name}
        if _is_default(type(self).get_config):
            auto = self.__dict__.get("_auto_config")
            if auto is None:
                raise NotImplementedError(textwrap.dedent(f"""
                    Object {self.__class__.__name__} was created by passing
                    non-serializable argument values in `__init__()`,
                    and therefore the object must override `get_config()` in
                    order to be serializable. Please implement `get_config()`.

                    Example:

                    class CustomLayer(lamina.layers.Layer):
                        def __init__(self, arg1, arg2, **kwargs):
                            super().__init__(**kwargs)
                            self.arg1 = arg1
                            self.arg2 = arg2

                        def get_config(self):
                            config = super().get_config()
                            config.update({{
                                "arg1": self.arg1,
                                "arg2": self.arg2,
                            }})
                            return config"""))
            extra = set(config)
            config.update(auto)
            spec = inspect.getfullargspec(type(self).__init__)
            if spec.varkw != "kwargs":
                for key in extra - extra.intersection(spec.args[1:] + spec.kwonlyargs):
                    config.pop(key, None)
        config["trainable"] = self.trainable
        config["dtype"] = dtype_policies.serialize(self.dtype_policy)
        if self._activity_regularizer is not None:
            from lamina import regularizers

            config["activity_regularizer"] = regularizers.serialize(self._activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config):
        """Creates a layer from its config."""
        from lamina import dtype_policies

        if "dtype" in config and isinstance(config["dtype"], dict):
            config = dict(config)
            config["dtype"] = dtype_policies.deserialize(config["dtype"])
        try:
            return cls(**config)
        except Exception as e:
            raise TypeError(
                f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                f"Exception encountered: {e}"
            ) from e

    # ------------------------------------------------------------------------------------------
    # Misc
    # ------------------------------------------------------------------------------------------

    @property
    def input(self):
        """The input KerasTensor(s) of the layer's first call in a functional graph."""
        return self._node_attribute("input_tensors", "input")

    @property
    def output(self):
        """The output KerasTensor(s) of the layer's first call in a functional graph."""
        return self._node_attribute("output_tensors", "output")

    def _node_attribute(self, attr, label):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {label}."
            )
        values = getattr(nodes[0], attr)
        if isinstance(values, list) and len(values) == 1:
            return values[0]
        return values

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}, built={self.built}>"


_LAYER_VARIABLES = Layer.__dict__["variables"]
_LAYER_COMPUTE_MASK = Layer.compute_mask
_LAYER_INPUT_DTYPE = Layer.input_dtype
_LAYER_WEIGHTS = Layer.__dict__["weights"]


def _is_plain_training(kwargs):
    """Whether `kwargs` is ``{"training": None/True/False}``."""
    training = kwargs.get("training", 0)
    return training is None or training is True or training is False


def _any_symbolic(args, kwargs):
    """Whether a KerasTensor is among the arguments (nested in lists, tuples, dicts too)."""
    for x in args:
        if type(x) is Tensor:
            continue
        if isinstance(x, KerasTensor):
            return True
        if isinstance(x, (list, tuple, dict)) and _nested_symbolic(x):
            return True
    if kwargs:
        for x in kwargs.values():
            if x is None or x is True or x is False or type(x) is Tensor:
                continue
            if isinstance(x, KerasTensor):
                return True
            if isinstance(x, (list, tuple, dict)) and _nested_symbolic(x):
                return True
    return False


def _nested_symbolic(structure):
    for x in (structure.values() if isinstance(structure, dict) else structure):
        if type(x) is Tensor:
            continue
        if isinstance(x, KerasTensor):
            return True
        if isinstance(x, (list, tuple, dict)) and _nested_symbolic(x):
            return True
    return False


def _symbolic_mask(x):
    return getattr(x, "_keras_mask", None) if isinstance(x, KerasTensor) else None


def _graph_mask(x):
    """The symbolic mask of `x` when it belongs to the graph (has a history), else None."""
    mask = _symbolic_mask(x)
    if mask is not None and getattr(mask, "_keras_history", None) is not None:
        return mask
    return None


def _is_default_shape_fn(fn):
    return fn is Layer.compute_output_shape


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _map_shapes(fn, structure):
    """Applies `fn` to every shape (a tuple of ints/None) in a nested structure of shapes."""
    if _is_shape(structure):
        return fn(tuple(structure))
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes(fn, v) for v in structure)
    return structure


def _is_metric(value):
    from_metrics = getattr(type(value), "_lamina_is_metric", False)
    return bool(from_metrics)
