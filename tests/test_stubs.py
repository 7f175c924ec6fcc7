"""_lamina.pyi must describe the extension: every public function, with the same parameter names."""

import ast
import inspect
import pathlib

import lamina
from lamina import _lamina

STUB = pathlib.Path(lamina.__file__).with_name("_lamina.pyi")


def stub_functions():
    tree = ast.parse(STUB.read_text())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            a = node.args
            out[node.name] = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
    return out


def test_every_function_has_a_stub_with_matching_parameters():
    stubs = stub_functions()
    for name in dir(_lamina):
        obj = getattr(_lamina, name)
        if name.startswith("__") or isinstance(obj, type) or not callable(obj):
            continue
        assert name in stubs, f"_lamina.{name} is missing from _lamina.pyi"
        params = list(inspect.signature(obj).parameters)
        assert stubs[name] == params, f"{name}: stub {stubs[name]} != extension {params}"


def test_stub_names_exist():
    for name in stub_functions():
        assert hasattr(_lamina, name), f"_lamina.pyi declares {name}, which the extension lacks"


def test_ops_exports_exist():
    from lamina import ops

    for name in ops.__all__:
        assert callable(getattr(ops, name)), name
