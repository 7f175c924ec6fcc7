"""Object <-> config dict conversion in Keras 3's format (``keras.saving.serialization_lib``).

An object is serialized to ``{"module", "class_name", "config", "registered_name"}`` (plus
``"build_config"``/``"compile_config"`` when the object reports them). Built-in lamina objects are
written under Keras' public module names (``lamina.initializers.GlorotUniform`` becomes module
``"keras.initializers"``, class ``"GlorotUniform"``) so that configs move between lamina and
Keras 3; reading accepts both ``"keras.*"`` and ``"lamina.*"`` modules and resolves them to lamina.

The public module of a lamina class is found from where lamina exports it: the shortest public
package on its ``__module__`` path that has it under its class name (``lamina.initializers``
for ``lamina.initializers.random_initializers.GlorotUniform``, ``lamina`` for
``lamina.Variable``), with ``lamina`` read as ``keras``. Rule of names: lamina exports each class
where Keras does, so this gives Keras' canonical name.
"""

import importlib
import inspect
import sys
import threading
import types
import warnings

import numpy as np

from lamina import ops
from lamina.backend.config import standardize_dtype
from lamina.saving import object_registration

PLAIN_TYPES = (str, int, float, bool)

# Families whose built-in functions are saved by bare name with module "builtins".
BUILTIN_MODULES = (
    "activations",
    "constraints",
    "initializers",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
)

_FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType)

_state = threading.local()
_unsafe_deserialization_enabled = False

# Explicit public names for the rare lamina symbol the module rule cannot place.
_PUBLIC_NAME_OVERRIDES = {}


class SerializableDict:
    """A dict whose `serialize()` is its serialized form."""

    def __init__(self, **config):
        self.config = config

    def serialize(self):
        return serialize_keras_object(self.config)


class SafeModeScope:
    """Sets the safe-mode flag seen by nested `deserialize_keras_object` calls.

    Args:
        safe_mode: Whether to refuse to load lambdas. Defaults to `True`.
    """

    def __init__(self, safe_mode=True):
        self.safe_mode = safe_mode

    def __enter__(self):
        self.original_value = getattr(_state, "safe_mode", None)
        _state.safe_mode = self.safe_mode
        return self

    def __exit__(self, *args, **kwargs):
        _state.safe_mode = self.original_value


def enable_unsafe_deserialization():
    """Disables safe mode globally, allowing the deserialization of lambdas."""
    global _unsafe_deserialization_enabled
    _unsafe_deserialization_enabled = True


def in_safe_mode():
    """The active safe-mode flag: set by `SafeModeScope`, else None (False once unsafe
    deserialization was enabled)."""
    value = getattr(_state, "safe_mode", None)
    if value is None and _unsafe_deserialization_enabled:
        return False
    return value


class ObjectSharingScope:
    """Inside it, an object serialized twice gets a ``shared_object_id`` and is rebuilt once."""

    def __enter__(self):
        _state.id_to_obj_map = {}
        _state.id_to_config_map = {}
        return self

    def __exit__(self, *args, **kwargs):
        _state.id_to_obj_map = None
        _state.id_to_config_map = None


def get_shared_object(obj_id):
    """An object already rebuilt in the active `ObjectSharingScope`, or None."""
    id_to_obj_map = getattr(_state, "id_to_obj_map", None)
    if id_to_obj_map is not None:
        return id_to_obj_map.get(obj_id, None)
    return None


def record_object_after_serialization(obj, config):
    """Tracks `config` as the serialized form of `obj` (inside an `ObjectSharingScope`)."""
    if config["module"] == "__main__":
        config["module"] = None  # nothing to import a __main__ class from
    id_to_config_map = getattr(_state, "id_to_config_map", None)
    if id_to_config_map is None:
        return
    obj_id = int(id(obj))
    if obj_id not in id_to_config_map:
        id_to_config_map[obj_id] = config
    else:
        config["shared_object_id"] = obj_id
        id_to_config_map[obj_id]["shared_object_id"] = obj_id


def record_object_after_deserialization(obj, obj_id):
    """Remembers `obj` as the object rebuilt for `obj_id` (inside an `ObjectSharingScope`)."""
    id_to_obj_map = getattr(_state, "id_to_obj_map", None)
    if id_to_obj_map is not None:
        id_to_obj_map[obj_id] = obj


# ---------------------------------------------------------------------------------------------
# lamina <-> Keras public names
# ---------------------------------------------------------------------------------------------


def _register_public_name(symbol, keras_name):
    """Pins the Keras public name (e.g. ``"keras.Initializer"``) of a lamina symbol."""
    _PUBLIC_NAME_OVERRIDES[symbol] = keras_name
    return symbol


def keras_public_name(symbol):
    """Keras' canonical public name of a lamina class or function, or None.

    ``lamina.initializers.GlorotUniform`` -> ``"keras.initializers.GlorotUniform"``; user
    classes, private helpers and non-lamina objects give None.
    """
    try:
        if symbol in _PUBLIC_NAME_OVERRIDES:
            return _PUBLIC_NAME_OVERRIDES[symbol]
    except TypeError:
        return None
    module = getattr(symbol, "__module__", None)
    name = getattr(symbol, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return None
    parts = module.split(".")
    if parts[0] != "lamina":
        return None
    for i in range(1, len(parts) + 1):
        if parts[i - 1].startswith("_"):
            return None
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is None:
            return None
        # Below `lamina.<family>`, only packages are public; files are implementation.
        if i > 2 and not hasattr(mod, "__path__"):
            return None
        if vars(mod).get(name) is symbol:
            return ".".join(["keras"] + parts[1:i] + [name])
    return None


def _lamina_module_name(module):
    """The lamina module for a config's ``module``: ``keras.x`` and ``keras.src.x`` map to
    ``lamina.x``; ``lamina.*`` stays; anything else gives None."""
    if module == "keras" or module.startswith("keras."):
        rest = module[len("keras"):]
        if rest == ".src" or rest.startswith(".src."):
            rest = rest[len(".src"):]
        return "lamina" + rest
    if module == "lamina" or module.startswith("lamina."):
        return module
    return None


def _import_lamina_module(name):
    """The module `name`, or None when it (not one of its own imports) does not exist."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name is not None and (name == e.name or name.startswith(e.name + ".")):
            return None
        raise


# ---------------------------------------------------------------------------------------------
# Serialization
# ---------------------------------------------------------------------------------------------


def serialize_keras_object(obj):
    """The config dict of `obj` (its serialized form, JSON-compatible up to tuples).

    Plain values (``None``, str, int, float, bool) are returned as they are, lists and tuples
    item by item (tuples stay tuples; JSON makes them lists), dicts value by value. numpy arrays
    become ``{"class_name": "__numpy__", ...}``, numpy scalars Python scalars, lamina Tensors
    ``"__tensor__"``, bytes ``"__bytes__"``, slices ``"__slice__"``, ``...`` ``"__ellipsis__"``,
    lambdas ``"__lambda__"`` (with a warning), functions
    ``{"module": "builtins", "class_name": "function", "config": name, ...}`` and objects with
    ``get_config()`` ``{"module", "class_name", "config", "registered_name"}``.

    Args:
        obj: The object to serialize.

    Returns:
        The serialized form; `deserialize_keras_object` turns it back into the object.

    Example:

    >>> lamina.saving.serialize_keras_object(lamina.initializers.GlorotUniform(seed=1))
    {'module': 'keras.initializers', 'class_name': 'GlorotUniform', 'config': {'seed': 1},
     'registered_name': None}
    """
    if obj is None:
        return obj
    if isinstance(obj, PLAIN_TYPES):
        return obj
    if isinstance(obj, (list, tuple)):
        items = [serialize_keras_object(x) for x in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        return serialize_dict(obj)

    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, slice):
        return {
            "class_name": "__slice__",
            "config": {
                "start": serialize_keras_object(obj.start),
                "stop": serialize_keras_object(obj.stop),
                "step": serialize_keras_object(obj.step),
            },
        }
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if ops.is_tensor(obj):
        value = np.asarray(ops.convert_to_numpy(obj))
        if value.dtype.kind == "V" or value.dtype.name == "bfloat16":
            value = np.asarray(ops.convert_to_numpy(ops.cast(obj, "float32")))
        return {
            "class_name": "__tensor__",
            "config": {"value": value.tolist(), "dtype": _dtype_name(obj.dtype)},
        }
    if isinstance(obj, np.dtype):
        return _dtype_name(obj)
    if isinstance(obj, type) and issubclass(obj, np.generic):
        return _dtype_name(np.dtype(obj))
    if type(obj).__module__ == np.__name__:
        if isinstance(obj, np.ndarray) and obj.ndim > 0:
            return {
                "class_name": "__numpy__",
                "config": {"value": obj.tolist(), "dtype": _dtype_name(obj.dtype)},
            }
        return obj.item()  # numpy scalars and 0-d arrays are plain values
    if isinstance(obj, types.FunctionType) and obj.__name__ == "<lambda>":
        try:
            source = inspect.getsource(obj)
        except (OSError, TypeError):
            source = repr(obj)
        warnings.warn(
            "The object being serialized includes a `lambda`. This is unsafe. In order to reload "
            "the object, you will have to pass `safe_mode=False` to the loading function. Please "
            "avoid using `lambda` in the future, and use named Python functions instead. This is "
            f"the `lambda` being serialized: {source}",
            stacklevel=2,
        )
        from lamina.utils import python_utils

        return {"class_name": "__lambda__", "config": {"value": python_utils.func_dump(obj)}}

    if isinstance(obj, _FUNCTION_TYPES):
        # Keras 3 saves every function as a "function" of module "builtins"; its config is the
        # registered name ("package>name") or the plain name.
        config = {
            "module": "builtins",
            "class_name": "function",
            "config": object_registration.get_registered_name(obj),
            "registered_name": "function",
        }
        record_object_after_serialization(obj, config)
        return config

    inner_config = _get_class_or_fn_config(obj)
    config = serialize_with_public_class(obj.__class__, inner_config)
    get_build_and_compile_config(obj, config)
    record_object_after_serialization(obj, config)
    return config


def _dtype_name(dtype):
    try:
        return standardize_dtype(dtype)
    except ValueError:
        return np.dtype(dtype).name


def get_build_and_compile_config(obj, config):
    """Adds ``build_config``/``compile_config`` to `config` when `obj` reports them."""
    if hasattr(obj, "get_build_config"):
        build_config = obj.get_build_config()
        if build_config is not None:
            config["build_config"] = serialize_dict(build_config)
    if hasattr(obj, "get_compile_config"):
        compile_config = obj.get_compile_config()
        if compile_config is not None:
            config["compile_config"] = serialize_dict(compile_config)


def serialize_with_public_class(cls, inner_config=None):
    """The config of an instance of `cls`: under its Keras public name when lamina exports it,
    else under its own module with its registered name (``"package>name"`` or the class name)."""
    keras_name = keras_public_name(cls)
    if keras_name is None:
        module = cls.__module__
        if module.startswith("lamina."):
            # A lamina class with no public name (``Functional``): Keras records it under its
            # own source tree, ``keras.src.models.functional``, which both libraries can load.
            module = "keras.src." + module[len("lamina."):]
        return {
            "module": module,
            "class_name": cls.__name__,
            "config": inner_config,
            "registered_name": object_registration.get_registered_name(cls),
        }
    module, _, class_name = keras_name.rpartition(".")
    return {"module": module, "class_name": class_name, "config": inner_config, "registered_name": None}


def serialize_with_public_fn(fn, config, fn_module_name=None):
    """The config of a built-in or registered function named `config`, or None."""
    if fn_module_name:
        return {"module": fn_module_name, "class_name": "function", "config": config, "registered_name": config}
    keras_name = keras_public_name(fn)
    if keras_name:
        module = keras_name.rpartition(".")[0]
        return {"module": module, "class_name": "function", "config": config, "registered_name": config}
    registered_name = object_registration.get_registered_name(fn)
    if not registered_name and fn.__module__ != "builtins":
        return None
    return {"module": fn.__module__, "class_name": "function", "config": config, "registered_name": registered_name}


def _get_class_or_fn_config(obj):
    if isinstance(obj, _FUNCTION_TYPES):
        return object_registration.get_registered_name(obj)
    if hasattr(obj, "get_config"):
        config = obj.get_config()
        if not isinstance(config, dict):
            raise TypeError(f"The `get_config()` method of {obj} should return a dict. It returned: {config}")
        return serialize_dict(config)
    if hasattr(obj, "__name__"):
        return object_registration.get_registered_name(obj)
    raise TypeError(
        f"Cannot serialize object {obj} of type {type(obj)}. "
        "To be serializable, a class must implement the `get_config()` method."
    )


def serialize_dict(obj):
    """Serializes every value of the dict `obj`."""
    return {key: serialize_keras_object(value) for key, value in obj.items()}


# ---------------------------------------------------------------------------------------------
# Deserialization
# ---------------------------------------------------------------------------------------------


def deserialize_keras_object(config, custom_objects=None, safe_mode=True, **kwargs):
    """The object described by `config` (the inverse of `serialize_keras_object`).

    Classes are found, in order: in the active `custom_object_scope`, among registered objects
    (by ``registered_name``), in `custom_objects`, then for ``"keras.*"``/``"lamina.*"`` modules
    among lamina's public classes (``"keras.initializers"`` is read as ``lamina.initializers``).
    Modules outside keras/lamina are never imported: custom classes must be registered with
    `register_keras_serializable` or passed in `custom_objects`. The class is rebuilt with
    ``cls.from_config(config["config"])``.

    Args:
        config: The serialized form (a dict, or a plain value, list, or function name).
        custom_objects: Dict mapping names to custom classes or functions.
        safe_mode: Whether to refuse lambdas (their loading can run arbitrary code). Defaults
            to `True`.
        **kwargs: ``module_objects``: a dict of names a family's ``deserialize`` accepts.

    Returns:
        The rebuilt object.

    Raises:
        TypeError: when the class or function cannot be found.
        ValueError: for a lambda in safe mode.
    """
    scoped_safe_mode = in_safe_mode()
    if scoped_safe_mode is not None:
        safe_mode = scoped_safe_mode

    module_objects = kwargs.pop("module_objects", None)
    custom_objects = custom_objects or {}
    scope_objects = object_registration._scope_dict()
    custom_objects = {**custom_objects, **scope_objects, **object_registration.GLOBAL_CUSTOM_OBJECTS}

    if config is None:
        return None

    if isinstance(config, str) and custom_objects.get(config) is not None:
        # Functions saved as plain names by older formats.
        return custom_objects[config]

    if isinstance(config, (list, tuple)):
        return [deserialize_keras_object(x, custom_objects=custom_objects, safe_mode=safe_mode) for x in config]

    if module_objects is not None:
        inner_config, fn_module_name, has_custom_object = None, None, False
        if isinstance(config, dict):
            if "config" in config:
                inner_config = config["config"]
            if "class_name" not in config:
                raise ValueError(f"Unknown `config` as a `dict`, config={config}")
            if custom_objects and (
                config["class_name"] in custom_objects
                or config.get("registered_name") in custom_objects
                or (isinstance(inner_config, str) and inner_config in custom_objects)
            ):
                has_custom_object = True
            elif config["class_name"] == "function":
                fn_module_name = config.get("module")
                if fn_module_name == "builtins":
                    config = config["config"]
                else:
                    config = config.get("registered_name")
            else:
                if config.get("module", "_") is None:
                    raise TypeError(
                        f"Cannot deserialize object of type `{config['class_name']}`. If "
                        f"`{config['class_name']}` is a custom class, please register it using the "
                        "`@lamina.saving.register_keras_serializable()` decorator."
                    )
                config = config["class_name"]

        if not has_custom_object:
            if not isinstance(config, str) or config not in module_objects:
                # Not a name this family knows: hand it back (the caller decides).
                return config
            obj = module_objects[config]
            if isinstance(obj, _FUNCTION_TYPES):
                return deserialize_keras_object(
                    serialize_with_public_fn(obj, config, fn_module_name), custom_objects=custom_objects
                )
            return deserialize_keras_object(
                serialize_with_public_class(obj, inner_config=inner_config), custom_objects=custom_objects
            )

    if isinstance(config, PLAIN_TYPES):
        return config
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config}")

    if "class_name" not in config or "config" not in config:
        return {
            key: deserialize_keras_object(value, custom_objects=custom_objects, safe_mode=safe_mode)
            for key, value in config.items()
        }

    class_name = config["class_name"]
    inner_config = config["config"] or {}

    if class_name == "__tensor__":
        return ops.convert_to_tensor(inner_config["value"], dtype=inner_config["dtype"])
    if class_name == "__numpy__":
        return np.array(inner_config["value"], dtype=inner_config["dtype"])
    if class_name == "__bytes__":
        return inner_config["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(
            deserialize_keras_object(inner_config["start"], custom_objects=custom_objects, safe_mode=safe_mode),
            deserialize_keras_object(inner_config["stop"], custom_objects=custom_objects, safe_mode=safe_mode),
            deserialize_keras_object(inner_config["step"], custom_objects=custom_objects, safe_mode=safe_mode),
        )
    if class_name == "__lambda__":
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a Python lambda. This carries a potential risk "
                "of arbitrary code execution and thus it is disallowed by default. If you trust "
                "the source of the artifact, you can override this error by passing "
                "`safe_mode=False` to the loading function, or calling "
                "`lamina.config.enable_unsafe_deserialization()`."
            )
        from lamina.utils import python_utils

        return python_utils.func_load(inner_config["value"])
    if class_name == "__keras_tensor__":
        from lamina import backend

        keras_tensor_cls = getattr(backend, "KerasTensor", None)
        if keras_tensor_cls is None:
            raise TypeError(f"lamina cannot rebuild symbolic tensors yet. Full object config: {config}")
        obj = keras_tensor_cls(inner_config["shape"], dtype=inner_config["dtype"])
        obj._pre_serialization_keras_history = inner_config["keras_history"]
        return obj

    module = config.get("module", None)
    registered_name = config.get("registered_name", class_name)

    if class_name == "function":
        return _retrieve_class_or_fn(
            inner_config, registered_name, module, obj_type="function", full_config=config,
            custom_objects=custom_objects,
        )

    if "shared_object_id" in config:
        obj = get_shared_object(config["shared_object_id"])
        if obj is not None:
            return obj

    cls = _retrieve_class_or_fn(
        class_name, registered_name, module, obj_type="class", full_config=config,
        custom_objects=custom_objects,
    )
    if isinstance(cls, _FUNCTION_TYPES):
        return cls
    if not hasattr(cls, "from_config"):
        raise TypeError(
            f"Unable to reconstruct an instance of '{class_name}' because the class is missing a "
            f"`from_config()` method. Full object config: {config}"
        )

    with object_registration.CustomObjectScope(custom_objects), SafeModeScope(safe_mode):
        try:
            instance = cls.from_config(inner_config)
        except TypeError as e:
            raise TypeError(
                f"{cls} could not be deserialized properly. Please ensure that components that "
                "are Python object instances (layers, models, etc.) returned by `get_config()` "
                "are explicitly deserialized in the model's `from_config()` method."
                f"\n\nconfig={config}.\n\nException encountered: {e}"
            ) from e
        build_config = config.get("build_config", None)
        if build_config and not getattr(instance, "built", False):
            instance.build_from_config(build_config)
            instance.built = True
        compile_config = config.get("compile_config", None)
        if compile_config:
            instance.compile_from_config(compile_config)
            instance.compiled = True

    if "shared_object_id" in config:
        record_object_after_deserialization(instance, config["shared_object_id"])
    return instance


def _is_function(obj):
    return isinstance(obj, _FUNCTION_TYPES)


def _retrieve_class_or_fn(name, registered_name, module, obj_type, full_config, custom_objects=None):
    # Registered and custom objects take precedence over built-ins.
    key = name if obj_type == "function" else registered_name
    try:
        custom_obj = object_registration.get_registered_object(key, custom_objects=custom_objects)
    except TypeError:  # an unhashable name cannot be registered
        custom_obj = None
    if custom_obj is not None:
        return custom_obj
    if not isinstance(name, str):
        raise TypeError(f"Could not locate {obj_type} '{name}'. Full object config: {full_config}")

    if module:
        lamina_module = _lamina_module_name(module)
        if lamina_module is not None:
            mod = _import_lamina_module(lamina_module)
            if mod is None:
                raise TypeError(
                    f"Could not deserialize {obj_type} '{name}' because its parent module {module} "
                    f"cannot be imported. Full object config: {full_config}"
                )
            obj = vars(mod).get(name, None)
            if obj is not None:
                if obj_type == "class" and inspect.isclass(obj):
                    return obj
                family = lamina_module.split(".")[1] if "." in lamina_module else ""
                if obj_type == "function" and _is_function(obj) and family in BUILTIN_MODULES:
                    return obj
                raise ValueError(
                    f"Could not deserialize '{module}.{name}': it is not a serializable lamina "
                    f"{obj_type}. Full object config: {full_config}"
                )

        # Built-in functions are saved by bare name: look through the families that have them.
        if obj_type == "function" and module == "builtins":
            for family in BUILTIN_MODULES:
                mod = _import_lamina_module("lamina." + family)
                if mod is None:
                    continue
                obj = vars(mod).get(name, None)
                if _is_function(obj):
                    return obj
            # Keras <= 3.6 saved registered functions by "name" rather than "package>name".
            if ">" not in name:
                suffix = ">" + name
                for custom_name, custom_object in custom_objects.items():
                    if isinstance(custom_name, str) and custom_name.endswith(suffix):
                        return custom_object

    raise TypeError(
        f"Could not locate {obj_type} '{name}'. Make sure custom classes and functions are "
        "decorated with `@lamina.saving.register_keras_serializable()` or passed in "
        f"`custom_objects`. Full object config: {full_config}"
    )


__all__ = [
    "ObjectSharingScope", "SafeModeScope", "deserialize_keras_object", "enable_unsafe_deserialization",
    "in_safe_mode", "keras_public_name", "serialize_keras_object",
]
