"""Unique default names (``dense``, ``dense_1``, ...) and name scopes (``keras.name_scope``)."""

import re
import threading

_counts = {}
_counts_lock = threading.Lock()
_scopes = threading.local()


def to_snake_case(name):
    """Keras' snake case: ``"GlorotUniform"`` -> ``"glorot_uniform"``, ``"L1L2"`` -> ``"l1l2"``.

    Non-word characters are dropped; an underscore goes before each capitalised word and
    between a lowercase letter and the capital after it (digits do not start a new word).
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def uniquify(name):
    """`name` the first time, then ``name_1``, ``name_2``, ... (process-wide)."""
    with _counts_lock:
        n = _counts.get(name, 0)
        _counts[name] = n + 1
    return name if n == 0 else f"{name}_{n}"


def auto_name(prefix):
    """A unique snake_case name derived from `prefix` (a class name)."""
    return uniquify(to_snake_case(prefix))


def reset_uids():
    """Forgets the names handed out (Keras' ``clear_session`` does this)."""
    with _counts_lock:
        _counts.clear()


def scope_stack():
    """This thread's name scope stack, innermost last. The list is changed in place and never
    replaced, so a caller may keep it (``Layer.__call__`` pushes and pops on it directly)."""
    try:
        return _scopes.stack
    except AttributeError:
        s = _scopes.stack = []
        return s


def current_path():
    """The current name scope path, e.g. ``"outer/inner"`` (``""`` outside any scope)."""
    return "/".join(scope_stack())


class name_scope:
    """Creates a sub-namespace for variable paths: ``with lamina.name_scope("block"):``."""

    def __init__(self, name, caller=None, deduplicate=True, override_parent=None):
        if not isinstance(name, str) or "/" in name:
            raise ValueError(
                "Argument `name` must be a string and cannot contain character `/`. "
                f"Received: name={name!r}"
            )
        self.name = name
        self.caller = caller
        self.deduplicate = deduplicate
        self.override_parent = override_parent
        self._pushed = []

    def __enter__(self):
        stack = scope_stack()
        self._saved = None
        if self.override_parent is not None:
            self._saved = list(stack)
            stack[:] = [p for p in self.override_parent.split("/") if p]
        if self.deduplicate and stack and stack[-1] == self.name:
            self._pushed = []
        else:
            stack.append(self.name)
            self._pushed = [self.name]
        return self

    def __exit__(self, *exc):
        stack = scope_stack()
        if self._pushed:
            stack.pop()
        if self._saved is not None:
            stack[:] = self._saved
        return False
