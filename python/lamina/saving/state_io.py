"""The state of a model's object tree, in Keras 3's layout: which objects are saved, under
which paths, and how their variables are written and loaded.

Objects are placed in a weights store by walking the model the way Keras 3 does: an object's
attributes are visited in sorted order (private ones last), skipping those every plain `Layer`
(or optimizer) has; a layer found through an attribute is stored under the attribute's name
(``block/linear_1``), one found in a list or dict under its snake_case class name made unique
(``layers/dense``, ``layers/dense_1``); Sequential and Functional models list ``layers`` first.
Each object is stored once, at the first path that reaches it. The same model therefore has the
same paths in lamina and in Keras 3, which is what lets files move between the two.

Loading checks the whole store against the model before assigning anything: every missing,
unexpected and mis-shaped weight is reported by its path in one ValueError, so a load either
succeeds completely or changes nothing.
"""

import os
import warnings

import numpy as np

from lamina.saving import h5_store


# ---------------------------------------------------------------------------------------------
# What is saved: object kinds and the walk over a model's object tree
# ---------------------------------------------------------------------------------------------

_SKIPSETS = {}


def _layer_class():
    from lamina.layers.layer import Layer

    return Layer


def _optimizer_class():
    try:
        from lamina.optimizers.base_optimizer import BaseOptimizer
    except ImportError:
        return None
    return BaseOptimizer


def _model_classes():
    """``(Functional, Sequential)`` (None for a class not available)."""
    functional = sequential = None
    try:
        from lamina.models.functional import Functional as functional
    except ImportError:
        pass
    try:
        from lamina.models.sequential import Sequential as sequential
    except ImportError:
        pass
    return functional, sequential


def _is_model(obj):
    try:
        from lamina.models.model import Model
    except ImportError:
        return False
    return isinstance(obj, Model)


def object_kind(obj):
    """The kind of a saveable object, as Keras' ``_obj_type()`` names it: "Sequential",
    "Functional", "Layer", "Optimizer", "Metric", "Loss"; None for anything else."""
    layer_cls = _layer_class()
    if isinstance(obj, layer_cls):
        functional, sequential = _model_classes()
        if sequential is not None and isinstance(obj, sequential):
            return "Sequential"
        if functional is not None and isinstance(obj, functional):
            return "Functional"
        return "Layer"
    if isinstance(obj, type):
        return None
    if getattr(type(obj), "_lamina_is_metric", False):
        return "Metric"
    optimizer_cls = _optimizer_class()
    if optimizer_cls is not None and isinstance(obj, optimizer_cls):
        return "Optimizer"
    kind = getattr(obj, "_obj_type", None)
    if callable(kind):
        try:
            kind = kind()
        except Exception:
            return None
        if kind in ("Loss", "Optimizer", "Metric", "Layer"):
            return kind
    return None


def _skipset(kind):
    """The attribute names not visited on an object of `kind`: those of a plain reference
    object of the kind's base class (what every such object has)."""
    skip = _SKIPSETS.get(kind)
    if skip is not None:
        return skip
    skip = {"_self_unconditional_dependency_names"}
    if kind in ("Layer", "Model", "Functional", "Sequential"):
        reference = _layer_class()(name="lamina_saving_reference")
        skip.update(dir(reference))
        if kind == "Model":
            skip.discard("layers")
        if kind == "Functional":
            skip.update(("operations", "_operations"))
        elif kind == "Sequential":
            skip.add("_functional")
    elif kind == "Optimizer":
        from lamina.optimizers.optimizer import Optimizer

        skip.update(dir(Optimizer(learning_rate=1.0, name="lamina_saving_reference")))
        skip.discard("variables")
    _SKIPSETS[kind] = skip
    return skip


def _name_key(name):
    """Sort key that puts private attributes after public ones."""
    return f"~{name}" if name.startswith("_") else name


def _walk_saveable(obj, kind):
    """``(attribute name, value)`` for the attributes whose values may hold saveable objects."""
    if kind in ("Metric", "Loss"):
        return
    if kind == "Layer" and _is_model(obj):
        # A subclassed model: Keras' plain Layer has no `layers` property, a Model does, so its
        # `layers` list is visited (sublayers reached first through it are stored under
        # `layers/<class name>`, as Keras does).
        kind = "Model"
    skip = _skipset(kind)
    if kind in ("Sequential", "Functional"):
        yield "layers", obj.layers
    for name in sorted(dir(obj), key=_name_key):
        if name.startswith("__") or name in skip:
            continue
        try:
            value = getattr(obj, name)
        except Exception:
            continue
        yield name, value


def _join(path, name):
    return f"{path}/{name}" if path else name


def _unique_name(name, used):
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _snake_case(name):
    from lamina.utils.naming import to_snake_case

    return to_snake_case(name)


def iter_saveables(root, visited=None):
    """``(path, object, kind)`` for every saveable object reachable from `root`, in the order
    Keras 3 visits them; each object once, at the first path that reaches it.

    Args:
        root: The model (or layer) to walk.
        visited: ids of objects to skip (Keras' ``objects_to_skip``).

    Returns:
        A list of ``(path, object, kind)``; the root has path ``""``.
    """
    out = []
    visited = set() if visited is None else set(visited)

    def visit(obj, path):
        if id(obj) in visited:
            return
        kind = object_kind(obj)
        visited.add(id(obj))
        out.append((path, obj, kind))
        for name, child in _walk_saveable(obj, kind):
            child_path = _join(path, name)
            if object_kind(child) is not None:
                visit(child, child_path)
            elif isinstance(child, (list, dict, tuple)):
                visit_container(child, child_path, set())

    def visit_container(container, path, seen_containers):
        if id(container) in seen_containers:
            return
        seen_containers.add(id(container))
        used = {}
        items = list(container.values()) if isinstance(container, dict) else list(container)
        for item in items:
            if object_kind(item) is not None:
                name = _unique_name(_snake_case(item.__class__.__name__), used)
                visit(item, _join(path, name))
            elif isinstance(item, (list, dict, tuple)):
                name = _unique_name("container", used)
                visit_container(item, _join(path, name), seen_containers)

    visit(root, "")
    return out


# ---------------------------------------------------------------------------------------------
# The variables an object saves
# ---------------------------------------------------------------------------------------------


def _own_layer_variables(layer):
    """The variables a layer stores by default: its own trainable then non-trainable ones
    (LoRA factors excluded: the kernel is stored with the LoRA delta merged in, as Keras does).

    Returns:
        ``(variables, lora)``: `lora` maps ``id(frozen matrix)`` to the matrix's name
        (``"kernel"``, ``"embeddings"``) for layers with LoRA enabled.
    """
    d = layer.__dict__
    own = list(d.get("_trainable_variables", [])) + list(d.get("_non_trainable_variables", []))
    lora = {}
    if d.get("lora_enabled", False):
        factors = set()
        for name in ("kernel", "embeddings"):
            a = d.get(f"lora_{name}_a")
            b = d.get(f"lora_{name}_b")
            frozen = d.get(f"_{name}")
            if a is not None and b is not None and frozen is not None:
                factors.update((id(a), id(b)))
                lora[id(frozen)] = name
        own = [v for v in own if id(v) not in factors]
    return own, lora


def _uses_default(obj, method, kind):
    """Whether `obj` saves/loads its variables with the built-in rule (True) or its own
    `save_own_variables`/`load_own_variables` override (False)."""
    impl = getattr(type(obj), method, None)
    if impl is None:
        return True
    if kind in ("Layer", "Sequential", "Functional"):
        return impl is getattr(_layer_class(), method, None)
    if kind == "Optimizer":
        return impl is getattr(_optimizer_class(), method, None)
    return False


def _has_own_variables(obj, kind):
    """Whether the object has a ``<path>/vars`` group (layers and optimizers do)."""
    return kind in ("Layer", "Sequential", "Functional", "Optimizer") or hasattr(
        obj, "save_own_variables"
    )


def save_own_variables(obj, store, kind=None):
    """Writes an object's variables into `store` (``store["0"] = ...``) as Keras 3 does:
    a layer's own variables (trainable then non-trainable), an optimizer's `variables`; an
    override of ``save_own_variables`` is called instead.

    Args:
        obj: A layer or optimizer.
        store: The entry to write into.
        kind: The object's kind (found when None).
    """
    kind = kind or object_kind(obj)
    if not _uses_default(obj, "save_own_variables", kind):
        obj.save_own_variables(store)
        return
    if kind == "Optimizer":
        for i, variable in enumerate(obj.variables):
            store[str(i)] = variable
        return
    if not obj.built and not obj.__dict__.get("_trainable_variables") and not obj.__dict__.get(
        "_non_trainable_variables"
    ):
        return
    variables, lora = _own_layer_variables(obj)
    for i, variable in enumerate(variables):
        if id(variable) in lora:
            from lamina.layers.core import _lora

            store[str(i)] = _lora.effective_weight(obj, lora[id(variable)])
        else:
            store[str(i)] = variable


def load_own_variables(obj, store, kind=None):
    """Assigns an object's variables from `store` as Keras 3 does (the inverse of
    `save_own_variables`): every value is checked first, then all are assigned.

    Args:
        obj: A layer or optimizer.
        store: The entry to read (``store["0"]``, ...).
        kind: The object's kind (found when None).

    Raises:
        ValueError: naming every missing, unexpected and mis-shaped variable (for an
            optimizer whose variable count differs, a warning instead, as Keras does).
    """
    kind = kind or object_kind(obj)
    if not _uses_default(obj, "load_own_variables", kind):
        obj.load_own_variables(store)
        return
    plan = _LoadPlan()
    if kind == "Optimizer":
        _plan_optimizer(plan, "", obj, store, obj)
    else:
        _plan_layer(plan, "", obj, store)
    for message in plan.warnings:
        warnings.warn(message, stacklevel=2)
    if plan.has_problems():
        raise ValueError(plan.report(getattr(store, "path", None) or "<store>", obj,
                                     skipped=False))
    _apply(plan.assignments, skipped=())


def save_state(root, store, assets_dir=None, objects_to_skip=None):
    """Writes the variables of every object of `root` into `store` (each layer and optimizer
    at its path, with its name as the group's ``name`` attribute), and the assets of objects
    that have ``save_assets`` into ``assets_dir/<path>``.

    Args:
        root: The model or layer.
        store: A weights store (`lamina.saving.h5_store`), or None for assets only.
        assets_dir: Folder for assets, or None.
        objects_to_skip: ids of objects not to save.
    """
    for path, obj, kind in iter_saveables(root, objects_to_skip):
        if _has_own_variables(obj, kind) and store is not None:
            name = getattr(obj, "name", None)
            metadata = {"name": name} if isinstance(name, str) else None
            save_own_variables(obj, store.make(path, metadata=metadata), kind)
        if assets_dir is not None and hasattr(obj, "save_assets"):
            target = os.path.join(assets_dir, *path.split("/")) if path else assets_dir
            os.makedirs(target, exist_ok=True)
            obj.save_assets(target)


# ---------------------------------------------------------------------------------------------
# Loading: check everything, then assign
# ---------------------------------------------------------------------------------------------


def _shape_text(shape):
    return str(tuple(shape))


class _LoadPlan:
    """What loading a store into a model would do, and every problem found on the way."""

    def __init__(self):
        self.assignments = []  # (object id, variable, entry, key, LoRA factors to zero)
        self.custom = []  # (path, obj, entry)
        self.missing = []  # (object id, text)
        self.unexpected = []  # (object id or None, text)
        self.mismatched = []  # (object id, text)
        self.warnings = []
        self.claimed = set()

    def problem_objects(self):
        problems = self.missing + self.unexpected + self.mismatched
        return {oid for oid, _ in problems if oid is not None}

    def has_problems(self):
        return bool(self.missing or self.unexpected or self.mismatched)

    def report(self, source, root, skipped):
        name = getattr(root, "name", type(root).__name__)
        count = len(self.missing) + len(self.unexpected) + len(self.mismatched)
        lines = [
            f"Cannot load the weights of '{source}' into {type(root).__name__} '{name}': "
            f"{count} problem{'s' if count != 1 else ''} found"
            + (" (these objects were skipped)." if skipped else "; nothing was loaded.")
        ]
        sections = (
            ("Weights the model has but the file does not:", self.missing),
            ("Weights in the file that the model does not have:", self.unexpected),
            ("Weights whose shapes differ:", self.mismatched),
        )
        for title, items in sections:
            if items:
                lines.append(title)
                lines.extend(f"  - {text}" for _, text in items)
        if not skipped:
            lines.append(
                "Check that the model is built the same way as the one that was saved; pass "
                "`skip_mismatch=True` to `load_weights` to load the weights that match and skip "
                "the objects that do not."
            )
        return "\n".join(lines)


def _info(entry, key):
    if hasattr(entry, "info"):
        return entry.info(key)
    value = np.asarray(entry[key])
    return h5_store.ValueInfo(value.shape, value.dtype.name)


def _plan_layer(plan, path, layer, entry):
    oid = id(layer)
    keys = entry.keys()
    variables, lora = _own_layer_variables(layer)
    prefix = _join(path, "vars")
    if not variables and keys and not layer.built:
        for key in keys:
            info = _info(entry, key)
            plan.unexpected.append((oid, (
                f"{prefix}/{key} (shape {_shape_text(info.shape)}): layer '{layer.name}' was "
                "never built, so it has no variables yet (its parent's `build()` must build it, "
                "or it needs `build_from_config()`)"
            )))
        return
    indices = sorted(set(range(len(variables))) | {int(k) for k in keys if k.isdigit()})
    for i in indices:
        key = str(i)
        if i >= len(variables):
            info = _info(entry, key)
            plan.unexpected.append((oid, (
                f"{prefix}/{key} (shape {_shape_text(info.shape)}; layer '{layer.name}' has "
                f"{len(variables)} variable{'s' if len(variables) != 1 else ''})"
            )))
            continue
        variable = variables[i]
        if key not in keys:
            plan.missing.append((oid, f"{prefix}/{key} (variable '{variable.path}', shape "
                                      f"{_shape_text(variable.shape)})"))
            continue
        info = _info(entry, key)
        if tuple(info.shape) != tuple(variable.shape):
            plan.mismatched.append((oid, (
                f"{prefix}/{key} (variable '{variable.path}'): file shape "
                f"{_shape_text(info.shape)}, model shape {_shape_text(variable.shape)}"
            )))
            continue
        post = None
        if id(variable) in lora:
            name = lora[id(variable)]
            post = (layer.__dict__[f"lora_{name}_a"], layer.__dict__[f"lora_{name}_b"])
        plan.assignments.append((oid, variable, entry, key, post))
    for key in keys:
        if not key.isdigit():
            plan.unexpected.append((oid, f"{prefix}/{key} (layer '{layer.name}' has no such "
                                         "variable)"))


def _plan_optimizer(plan, path, optimizer, entry, root):
    keys = entry.keys()
    variables = optimizer.variables
    if len(keys) > len(variables) and not getattr(optimizer, "built", True):
        # Build the optimizer for the model's variables so its state can be restored (what
        # Keras' `compile_from_config` does for a built model).
        trainable = getattr(root, "trainable_variables", None)
        if trainable and getattr(root, "built", False):
            optimizer.build(trainable)
            variables = optimizer.variables
    if len(keys) != len(variables):
        msg = (
            f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
            f"{len(variables)} variables whereas the saved optimizer has {len(keys)} variables. "
        )
        if len(variables) == 0:
            msg += "This is likely because the optimizer has not been called/built yet."
        plan.warnings.append(msg)
        return
    prefix = _join(path, "vars")
    for i, variable in enumerate(variables):
        key = str(i)
        info = _info(entry, key)
        if tuple(info.shape) != tuple(variable.shape):
            plan.mismatched.append((id(optimizer), (
                f"{prefix}/{key} (optimizer variable '{variable.path}'): file shape "
                f"{_shape_text(info.shape)}, model shape {_shape_text(variable.shape)}"
            )))
            continue
        plan.assignments.append((id(optimizer), variable, entry, key, None))


def _plan_load(root, store, objects_to_skip=None):
    """Compares `store` with the objects of `root`: what to assign, and every problem."""
    plan = _LoadPlan()
    for path, obj, kind in iter_saveables(root, objects_to_skip):
        if not _has_own_variables(obj, kind):
            continue
        entry = store.get(path)
        plan.claimed.add(path)
        if not _uses_default(obj, "load_own_variables", kind):
            plan.custom.append((path, obj, entry))
        elif kind == "Optimizer":
            _plan_optimizer(plan, path, obj, entry, root)
        else:
            _plan_layer(plan, path, obj, entry)
    # The paths of skipped objects (and what is under them) are not expected to be loaded.
    skipped_paths = ["optimizer"]  # state for a model without (that) optimizer: ignored, as Keras
    if objects_to_skip:
        skipped_paths += [p for p, obj, _ in iter_saveables(root) if id(obj) in objects_to_skip]
    for path, keys in store.variable_paths().items():
        if path in plan.claimed:
            continue
        if any(path == p or path.startswith(p + "/") or not p for p in skipped_paths):
            continue
        entry = store.get(path)
        for key in keys:
            info = _info(entry, key)
            plan.unexpected.append((None, (
                f"{_join(path, 'vars')}/{key} (shape {_shape_text(info.shape)}; the model has "
                f"no object at '{path or '/'}')"
            )))
    return plan


def complete_build(root, root_build_config=None):
    """Builds the sublayers a rebuilt layer left unbuilt: a layer without its own `build()`
    that is built from its recorded input shape has children that only its call creates, so
    it is run once on a symbolic input of that shape (what Keras' `build_from_config` does for
    models). Layers that cannot be run this way are left as they are; loading then names them.
    """
    from lamina.backend.keras_tensor import KerasTensor

    for _, obj, kind in iter_saveables(root):
        if kind not in ("Layer", "Sequential", "Functional") or not getattr(obj, "built", False):
            continue
        if all(layer.built for layer in obj.__dict__.get("_layers", [])):
            continue
        shapes = obj.__dict__.get("_build_shapes_dict") or {}
        if obj is root and not shapes and isinstance(root_build_config, dict):
            shapes = root_build_config
        shape = shapes.get("input_shape")
        if shape is None or not all(d is None or isinstance(d, int) for d in shape):
            continue
        try:
            obj.compute_output_spec(KerasTensor(tuple(shape), dtype=obj.input_dtype))
        except Exception:
            continue


def _assign(variable, value):
    """Assigns a loaded array to a variable, converting integer/float widths when they differ
    (a Keras int32 iteration count into lamina's int64 one)."""
    try:
        variable.assign(value)
    except (TypeError, ValueError):
        dtype = str(variable.dtype)
        if dtype == "bfloat16":
            raise
        variable.assign(np.asarray(value).astype(np.dtype(dtype)))


def _snapshot(obj):
    d = getattr(obj, "__dict__", {})
    variables = list(d.get("_trainable_variables", []))
    variables += list(d.get("_non_trainable_variables", []))
    if not variables and hasattr(obj, "variables"):
        try:
            variables = list(obj.variables)
        except Exception:
            variables = []
    return [(v, v.numpy()) for v in variables]


def _restore(snapshot):
    for variable, value in snapshot:
        variable.assign(value)


def load_state(root, store, skip_mismatch=False, objects_to_skip=None, source=None):
    """Loads `store` into `root`: checks every weight first, then assigns.

    Raises:
        ValueError: listing every missing, unexpected and mis-shaped weight (with
            `skip_mismatch`, a warning instead, and the objects concerned are skipped).
    """
    source = source or getattr(store, "display_path", "<weights>")
    plan = _plan_load(root, store, objects_to_skip)
    for message in plan.warnings:
        warnings.warn(message, stacklevel=3)
    skipped = set()
    if plan.has_problems():
        if not skip_mismatch:
            raise ValueError(plan.report(source, root, skipped=False))
        skipped = plan.problem_objects()
        warnings.warn(plan.report(source, root, skipped=True), stacklevel=3)

    # Objects with their own `load_own_variables` first, each undone if one fails.
    snapshots = []
    failures = []
    for path, obj, entry in plan.custom:
        snapshot = _snapshot(obj)
        try:
            obj.load_own_variables(entry)
            snapshots.append(snapshot)
        except Exception as e:
            _restore(snapshot)
            failures.append((path, obj, e))
    if failures and not skip_mismatch:
        for snapshot in snapshots:
            _restore(snapshot)
        path, obj, error = failures[0]
        raise ValueError(
            f"A total of {len(failures)} objects could not be loaded from '{source}'. Example "
            f"error message for object {obj} (at '{path or '/'}'):\n\n{error}\n\n"
            f"List of objects that could not be loaded:\n{[f[1] for f in failures]}"
        ) from error
    if failures:
        warnings.warn(
            f"A total of {len(failures)} objects could not be loaded from '{source}': "
            + "; ".join(f"'{p or '/'}': {e}" for p, _, e in failures),
            stacklevel=3,
        )

    _apply(plan.assignments, skipped)


def _apply(assignments, skipped):
    """Assigns the planned values (LoRA factors of a loaded kernel are zeroed, as Keras does)."""
    for oid, variable, entry, key, post in assignments:
        if oid in skipped:
            continue
        _assign(variable, entry[key])
        if post is not None:
            from lamina import ops

            for factor in post:
                factor.assign(ops.zeros(factor.shape, dtype=factor.dtype))


# ---------------------------------------------------------------------------------------------
# Weights kept until a model is built
# ---------------------------------------------------------------------------------------------

_DEFERRED_ATTR = "_lamina_deferred_weights"


def defer_weights(model, store, skip_mismatch=False, objects_to_skip=None):
    """Keeps the content of `store` on a model that is not built yet; `restore_deferred_weights`
    assigns it once the model is built.

    Args:
        model: The unbuilt model.
        store: The weights store to read everything from.
        skip_mismatch: The `load_weights` argument, applied at build time.
        objects_to_skip: ids of objects not to load.
    """
    content = h5_store.DictStore.from_store(store)
    object.__setattr__(model, _DEFERRED_ATTR, (content, skip_mismatch, objects_to_skip))


def has_deferred_weights(model):
    """Whether weights loaded into the (unbuilt) model are waiting for it to be built."""
    return _DEFERRED_ATTR in getattr(model, "__dict__", {})


def restore_deferred_weights(model, args=(), kwargs=None):
    """Assigns the weights kept by `load_weights` on a model that was not built yet. Meant to be
    called as soon as the model is built, before its first call computes anything; does nothing
    (and costs a dict lookup) when no weights are waiting.

    A subclassed model creates its sublayers' variables in its first call: when some are not
    built yet, the model is first run once on placeholder inputs shaped like `args`/`kwargs`
    (its non-trainable state and losses are left unchanged), or, without arguments, on its
    recorded build shape.

    Args:
        model: The model (or layer) that was just built.
        args: The positional arguments of the call that built it.
        kwargs: Its keyword arguments.

    Raises:
        ValueError: when the kept weights do not match the built model (see `load_weights`).
    """
    pending = model.__dict__.pop(_DEFERRED_ATTR, None)
    if pending is None:
        return
    content, skip_mismatch, objects_to_skip = pending
    unbuilt = [layer for _, layer, kind in iter_saveables(model)
               if kind in ("Layer", "Sequential", "Functional") and not layer.built]
    if unbuilt:
        kwargs = {k: v for k, v in (kwargs or {}).items() if k not in ("training", "mask")}
        if args or kwargs:
            model.compute_output_spec(*args, **kwargs)
        else:
            complete_build(model)
    load_state(model, content, skip_mismatch=skip_mismatch, objects_to_skip=objects_to_skip,
               source=content.display_path)


__all__ = [
    "complete_build", "defer_weights", "has_deferred_weights", "iter_saveables",
    "load_own_variables", "load_state", "object_kind", "restore_deferred_weights",
    "save_own_variables", "save_state",
]
