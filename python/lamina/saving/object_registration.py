"""The registry of custom objects: Keras 3's ``register_keras_serializable`` and friends.

Two process-wide dicts hold what `register_keras_serializable` registered (``"package>name"`` ->
object and back); `CustomObjectScope` adds a thread-local dict on top, seen only inside its
``with`` block.
"""

import inspect
import threading

GLOBAL_CUSTOM_OBJECTS = {}
GLOBAL_CUSTOM_NAMES = {}

_scope_state = threading.local()


def _scope_dict():
    """The custom objects of the innermost active `CustomObjectScope` (``{}`` outside one)."""
    return getattr(_scope_state, "custom_objects", None) or {}


class CustomObjectScope:
    """Exposes custom classes and functions to deserialization inside a ``with`` block.

    Under ``with custom_object_scope(objects_dict):``, `deserialize_keras_object` (and every
    ``get``/``deserialize`` of the object families) can resolve the names in `objects_dict`.
    The global dict of `get_custom_objects` is not changed.

    Args:
        custom_objects: Dictionary of ``{str: object}`` pairs, where the key is the name the
            object is referred to by in configs.

    Example:

    >>> def my_regularizer(x):
    ...     return 0.01 * lamina.ops.sum(lamina.ops.abs(x))
    >>> with lamina.saving.custom_object_scope({"my_regularizer": my_regularizer}):
    ...     reg = lamina.regularizers.deserialize("my_regularizer")
    """

    def __init__(self, custom_objects):
        self.custom_objects = custom_objects or {}
        self.backup = None

    def __enter__(self):
        self.backup = dict(_scope_dict())
        _scope_state.custom_objects = dict(self.custom_objects)
        return self

    def __exit__(self, *args, **kwargs):
        _scope_state.custom_objects = dict(self.backup)


custom_object_scope = CustomObjectScope


def get_custom_objects():
    """A live reference to the global dictionary of custom objects.

    Objects exposed with `custom_object_scope` are not in it.

    Example:

    >>> lamina.saving.get_custom_objects().clear()
    >>> lamina.saving.get_custom_objects()["MyObject"] = MyObject

    Returns:
        The global dict mapping registered names to classes and functions.
    """
    return GLOBAL_CUSTOM_OBJECTS


def register_keras_serializable(package="Custom", name=None):
    """Registers a class or function with lamina's (Keras') serialization framework.

    The object is registered under the key ``"package>name"``, where `name` defaults to the
    object's ``__name__``; serialized configs then carry that key as ``registered_name`` and
    deserialization finds the object without a `custom_objects` argument. Classes must define
    ``get_config()``; functions need nothing.

    Args:
        package: The package the object belongs to (first part of the key). Defaults to
            ``"Custom"``.
        name: The name to register the object under. Defaults to the object's name.

    Returns:
        A decorator that registers its argument and returns it unchanged.

    Example:

    >>> @lamina.saving.register_keras_serializable("my_package")
    ... class MyInit(lamina.initializers.Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return lamina.ops.ones(shape, dtype=dtype)
    >>> lamina.saving.get_registered_name(MyInit)
    'my_package>MyInit'
    """

    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj):
    """The name `obj` is registered under, or its Python ``__name__`` when not registered.

    Args:
        obj: The class or function to look up.

    Returns:
        ``"package>name"`` for registered objects, else ``obj.__name__``.
    """
    try:
        if obj in GLOBAL_CUSTOM_NAMES:
            return GLOBAL_CUSTOM_NAMES[obj]
    except TypeError:  # unhashable objects cannot be registered
        pass
    return obj.__name__


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function associated with `name`, or None.

    Looked up, in order, in the active `custom_object_scope`, the global registry, then
    `custom_objects` and `module_objects`.

    Args:
        name: The name to look up.
        custom_objects: A dict of custom objects (usually given by the user).
        module_objects: A dict of objects (usually given by a library's ``deserialize``).

    Returns:
        The object registered under `name`, or None when there is none.
    """
    scope_objects = _scope_dict()
    if name in scope_objects:
        return scope_objects[name]
    if name in GLOBAL_CUSTOM_OBJECTS:
        return GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None


__all__ = [
    "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
    "get_registered_object", "register_keras_serializable",
]
