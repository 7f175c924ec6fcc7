"""Python function (de)serialization used for lambdas, in the format Keras 3 writes.

A function is dumped as ``(code, defaults, closure)``: its code object marshalled and base64
encoded, its default arguments and the values of its closure cells. Loading needs the same
Python version as dumping (marshal's format changes between versions).
"""

import base64
import marshal
import types


def func_dump(func):
    """Serializes a Python function to ``(code, defaults, closure)``.

    Args:
        func: A Python function (typically a lambda).

    Returns:
        A tuple of the base64 string of the marshalled code, the defaults and the closure values.
    """
    code = base64.encodebytes(marshal.dumps(func.__code__)).decode("ascii")
    closure = None
    if func.__closure__:
        closure = tuple(cell.cell_contents for cell in func.__closure__)
    return code, func.__defaults__, closure


def _as_cell(value):
    if isinstance(value, types.CellType):
        return value
    return types.CellType(value)


def func_load(code, defaults=None, closure=None, globs=None):
    """Rebuilds a function dumped by `func_dump`.

    Args:
        code: The base64 code string, or the whole ``(code, defaults, closure)`` dump.
        defaults: Default argument values (list or tuple).
        closure: Closure values.
        globs: The globals the function sees. Defaults to this module's globals.

    Returns:
        The rebuilt function.
    """
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    if isinstance(defaults, list):
        defaults = tuple(defaults)
    if closure is not None:
        closure = tuple(_as_cell(v) for v in closure)
    try:
        raw = base64.decodebytes(code.encode("ascii"))
    except (UnicodeEncodeError, ValueError):
        raw = code.encode("raw_unicode_escape")
    code_obj = marshal.loads(raw)
    if globs is None:
        globs = globals()
    return types.FunctionType(code_obj, globs, name=code_obj.co_name, argdefs=defaults, closure=closure)


__all__ = ["func_dump", "func_load"]
