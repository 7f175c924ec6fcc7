"""``lamina.tree``: nested structures (Keras 3's ``keras.tree``).

Lists, tuples (including namedtuples) and dicts are nested; everything else, ``None`` included,
is a leaf. Dicts are traversed in sorted key order, as Keras does, and rebuilt with their own
key order.
"""

import abc
import collections.abc

_NESTED_BASES = (list, tuple, collections.abc.Mapping)

# Types whose instances are known leaves (so that `is_nested` skips the `Mapping` ABC check):
# filled as types are met, and emptied whenever an ABC registers a class (which could make a
# type a virtual `Mapping`).
_leaf_types = set()
_leaf_types_token = [abc.get_cache_token()]


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def is_nested(structure):
    """Whether `structure` is a list, tuple or dict (a nested structure)."""
    t = type(structure)
    if t is list or t is tuple or t is dict:
        return True
    if t in _leaf_types:
        token = abc.get_cache_token()
        if token == _leaf_types_token[0]:
            return False
        _leaf_types.clear()
        _leaf_types_token[0] = token
    if isinstance(structure, _NESTED_BASES):
        return True
    _leaf_types.add(t)
    return False


def _children(x):
    if isinstance(x, collections.abc.Mapping):
        return [x[k] for k in _sorted_keys(x)]
    return list(x)


def _sorted_keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def flatten(structure):
    """The leaves of `structure`, depth first (dicts in sorted key order)."""
    t = type(structure)
    if t is list or t is tuple:
        # A flat list or tuple (the common case) is its own leaves.
        for x in structure:
            if is_nested(x):
                break
        else:
            return list(structure)
    elif not is_nested(structure):
        return [structure]
    out = []
    stack = [structure]
    while stack:
        x = stack.pop()
        if is_nested(x):
            stack.extend(reversed(_children(x)))
        else:
            out.append(x)
    return out


def _rebuild(like, values):
    if isinstance(like, collections.abc.Mapping):
        keys = _sorted_keys(like)
        by_key = dict(zip(keys, values))
        if isinstance(like, collections.OrderedDict) or type(like) is dict:
            return type(like)((k, by_key[k]) for k in like)
        return type(like)({k: by_key[k] for k in like})
    if _is_namedtuple(like):
        return type(like)(*values)
    if isinstance(like, tuple):
        return tuple(values)
    return list(values)


def pack_sequence_as(structure, flat_sequence):
    """Puts the values of `flat_sequence` back into the shape of `structure`."""
    flat_sequence = list(flat_sequence)
    t = type(structure)
    if (t is list or t is tuple) and len(structure) == len(flat_sequence):
        # A flat list or tuple: the values in a container of the same type.
        for x in structure:
            if is_nested(x):
                break
        else:
            return flat_sequence if t is list else tuple(flat_sequence)
    n = len(flatten(structure))
    if n != len(flat_sequence):
        raise ValueError(
            "The target structure has {} leaves but the flat sequence has {} values. Received: "
            "structure={!r}".format(n, len(flat_sequence), structure)
        )
    # A module-level helper, not a recursive closure: a closure that refers to itself is a
    # reference cycle, which would keep `flat_sequence` (e.g. a step's gradients) alive until
    # the cyclic garbage collector runs.
    return _pack(structure, iter(flat_sequence))


def _pack(x, values):
    if is_nested(x):
        return _rebuild(x, [_pack(c, values) for c in _children(x)])
    return next(values)


def map_structure(func, *structures):
    """Applies `func` to the corresponding leaves of each structure; returns `structures[0]`'s shape."""
    if not structures:
        raise ValueError("map_structure needs at least one structure.")
    for s in structures[1:]:
        assert_same_structure(structures[0], s)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [func(*xs) for xs in zip(*flats)])


def _shape_of(x):
    if isinstance(x, collections.abc.Mapping):
        return ("dict", tuple(_sorted_keys(x)), tuple(_shape_of(c) for c in _children(x)))
    if isinstance(x, (list, tuple)):
        return ("seq", len(x), tuple(_shape_of(c) for c in x))
    return None


def assert_same_structure(a, b, check_types=False):
    """Raises ValueError when `a` and `b` do not nest the same way."""
    if _shape_of(a) != _shape_of(b):
        raise ValueError(
            "The two structures don't have the same nested structure. Received: a={!r}, b={!r}".format(a, b)
        )
    if check_types:
        for x, y in zip(_walk_types(a), _walk_types(b)):
            if x is not y:
                raise TypeError(f"The two structures have different container types: {x} and {y}")


def _walk_types(x):
    if is_nested(x):
        yield type(x)
        for c in _children(x):
            yield from _walk_types(c)


__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure", "pack_sequence_as"]
