"""``lamina.ops`` functions applied to KerasTensors: recorded as op nodes of a functional graph.

When a ``lamina.ops`` function (or a Python operator of ``KerasTensor``) receives a symbolic
tensor, an ``Operation`` is created for that call, its output shape and dtype are inferred by
running the op on small placeholder tensors, and a ``Node`` is recorded; a functional model
runs the op eagerly on real tensors later.

An ``Operation`` serializes as Keras 3 writes its op classes in a functional config
(``{"module": "keras.src.ops.numpy", "class_name": "Concatenate", "config": {"name":
"concatenate", "axis": 1}, ...}``): the op's "constructor" arguments (``axis``, ``keepdims``,
...) go in its config and its tensor arguments in the node's ``args``, so configs move between
lamina and Keras 3.

``install_symbolic_dispatch`` wraps the functions of a namespace (``lamina.ops``) so that a
symbolic argument records an op: the wrapper calls the engine function first and only looks for
KerasTensors when that call fails, so eager calls pay one Python call and nothing else.
"""

import functools
import inspect

from lamina import tree
from lamina.backend.keras_tensor import KerasTensor
from lamina.backend.keras_tensor import any_symbolic_tensors
from lamina.backend.naming import auto_name
from lamina.ops.node import Node

# Keras module (under keras.src.ops) of each op class; ops not listed live in keras.src.ops.numpy.
_KERAS_MODULES = {
    **dict.fromkeys((
        "celu", "elu", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_tanh",
        "leaky_relu", "log_sigmoid", "log_softmax", "one_hot", "relu", "relu6", "selu", "sigmoid",
        "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
        "sparsemax", "squareplus", "tanh_shrink", "threshold",
    ), "nn"),
    **dict.fromkeys(("cast", "slice", "stop_gradient"), "core"),
    **dict.fromkeys(("erf", "logsumexp", "rsqrt", "top_k"), "math"),
    **dict.fromkeys(("qr",), "linalg"),
}

# Ops Keras 3 records with a class of their own (class name: the CamelCase of the function
# name). Their tensor ("call") arguments are the first parameter unless listed below; every
# other parameter is a constructor argument and goes into the op's config.
_KERAS_OPS = frozenset((
    "abs", "absolute", "add", "all", "any", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctanh", "argmax", "argmin", "argsort", "broadcast_to", "cast", "ceil", "celu", "clip",
    "concatenate", "cos", "cosh", "cumprod", "cumsum", "divide", "einsum", "elu", "equal", "erf",
    "exp", "expand_dims", "expm1", "flip", "floor", "floor_divide", "full_like", "gelu", "get_item",
    "glu", "greater", "greater_equal", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_tanh",
    "isfinite", "isinf", "isnan", "leaky_relu", "less", "less_equal", "log", "log10", "log1p",
    "log2", "log_sigmoid", "log_softmax", "logical_and", "logical_not", "logical_or",
    "logical_xor", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mod",
    "moveaxis", "multiply", "negative", "nonzero", "not_equal", "one_hot", "ones_like", "pad",
    "power", "prod", "qr", "ravel", "reciprocal", "relu", "relu6", "repeat", "reshape", "round",
    "rsqrt", "selu", "sigmoid", "sign", "silu", "sin", "sinh", "size", "slice", "soft_shrink",
    "softmax", "softplus", "softsign", "sort", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "split", "sqrt", "square", "squareplus", "squeeze", "stack", "std", "stop_gradient",
    "subtract", "sum", "swapaxes", "take", "take_along_axis", "tan", "tanh", "tanh_shrink",
    "threshold", "tile", "top_k", "transpose", "true_divide", "trunc", "var", "where",
    "zeros_like",
))
_BINARY = frozenset((
    "add", "divide", "equal", "floor_divide", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_xor", "matmul", "maximum", "minimum", "mod", "multiply",
    "not_equal", "power", "subtract", "true_divide",
))
_CALL_PARAMS = {
    "einsum": ("operands",),
    "full_like": ("x", "fill_value"),
    "get_item": ("x", "key"),
    "pad": ("x", "constant_values"),
    "slice": ("inputs", "start_indices"),
    "take": ("x", "indices"),
    "take_along_axis": ("x", "indices"),
    "where": ("condition", "x1", "x2"),
}
# Keras' defaults where lamina's signature shows a sentinel.
_DEFAULT_OVERRIDES = {"concatenate": {"axis": 0}, "one_hot": {"axis": -1}}
# Functions Keras records under another op's class.
_ALIASES = {"swish": "silu", "hard_swish": "hard_silu"}

# Functions never recorded: conversions, predicates and constructors without tensor inputs.
NOT_SYMBOLIC = frozenset((
    "arange", "convert_to_numpy", "convert_to_tensor", "eye", "full", "identity", "is_tensor",
    "linspace", "ones", "zeros",
))
# Functions that answer from a KerasTensor's static shape and dtype.
_STATIC = {
    "shape": lambda x: x.shape,
    "dtype": lambda x: x.dtype,
    "ndim": lambda x: x.ndim,
}


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def _get_item(x, key):
    return x[key]


_get_item.__name__ = "get_item"

_SIGNATURES = {}


def _raw_function(fn_name):
    """The engine function behind ``lamina.ops.<fn_name>`` (unwrapped from the dispatch)."""
    if fn_name == "get_item":
        return _get_item
    from lamina import ops

    fn = getattr(ops, fn_name, None)
    if fn is None:
        raise TypeError(f"Unknown op: `lamina.ops.{fn_name}` does not exist.")
    if getattr(fn, "_lamina_symbolic", False):
        fn = fn.__wrapped__
    return fn


def _signature(fn_name, fn):
    sig = _SIGNATURES.get(fn_name)
    if sig is None:
        sig = _SIGNATURES[fn_name] = inspect.signature(fn)
    return sig


def _call_params(fn_name, sig):
    if fn_name in _CALL_PARAMS:
        return _CALL_PARAMS[fn_name]
    if fn_name in _BINARY:
        return ("x1", "x2")
    return (next(iter(sig.parameters)),)


def _default(fn_name, param):
    override = _DEFAULT_OVERRIDES.get(fn_name, {})
    if param.name in override:
        return override[param.name]
    return None if param.default is inspect.Parameter.empty else param.default


def _fn_name_of_class(class_name):
    """The lamina.ops function an op class name (``"Concatenate"``, ``"GetItem"``) stands for."""
    from lamina import ops

    if class_name == "GetItem":
        return "get_item"
    for name in sorted(set(ops.__all__) | _KERAS_OPS):
        if _camel(name) == class_name or name == class_name:
            return name
    return None


class Operation:
    """A ``lamina.ops`` function recorded in a functional graph (Keras 3's op classes).

    Args:
        fn_name: The ``lamina.ops`` function name (``"concatenate"``), or ``"get_item"`` for
            indexing.
        config: The op's constructor arguments (e.g. ``{"axis": 1}``), passed by keyword to
            the function at each call.
        name: The op's name in the graph (unique default from the class name: ``"add"``,
            ``"add_1"``, ...).
        keras_class: Whether the op is written as Keras' op class (True when the call's
            constructor arguments hold no tensors).

    Example:

    >>> x = lamina.Input((3,))
    >>> y = lamina.ops.concatenate([x, x], axis=1)   # records an Operation
    >>> y._keras_history.operation
    <Operation name=concatenate, fn=concatenate>
    """

    def __init__(self, fn_name, config=None, name=None, keras_class=True):
        self.fn_name = fn_name
        self.fn = _raw_function(fn_name)
        self._config = dict(config or {})
        self.keras_class = keras_class and fn_name in _KERAS_OPS
        self.name = name or auto_name(self.class_name)
        self._inbound_nodes = []
        self._outbound_nodes = []
        fn = self.fn
        init = self._config
        if fn_name == "get_item":
            self._invoke = _get_item
        elif fn_name == "einsum" and "subscripts" in init:
            subscripts = init["subscripts"]
            self._invoke = lambda *operands: fn(subscripts, *operands)
        elif init:
            sig = _signature(fn_name, fn)
            names = _call_params(fn_name, sig)

            def invoke(*args, **kwargs):
                kw = dict(zip(names, args))
                kw.update(kwargs)
                kw.update(init)
                return fn(**kw)

            self._invoke = invoke
        else:
            self._invoke = fn

    @property
    def class_name(self):
        """The op's class name in a config (``"Concatenate"``, ``"GetItem"``)."""
        return _camel(self.fn_name)

    @property
    def module(self):
        """The module written in a config (Keras' op module, or ``"lamina.ops"``)."""
        if self.keras_class:
            return "keras.src.ops." + _KERAS_MODULES.get(self.fn_name, "numpy")
        return "lamina.ops"

    def __call__(self, *args, **kwargs):
        if any_symbolic_tensors(args, kwargs):
            return self.symbolic_call(*args, **kwargs)
        return self._invoke(*args, **kwargs)

    def call(self, *args, **kwargs):
        """Runs the op eagerly."""
        return self._invoke(*args, **kwargs)

    def symbolic_call(self, *args, **kwargs):
        """Infers the outputs' shapes and dtypes, records a ``Node`` and returns the outputs."""
        outputs = self.compute_output_spec(*args, **kwargs)
        Node(self, call_args=args, call_kwargs=kwargs, outputs=outputs)
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """The outputs as KerasTensors, from running the op on placeholder tensors."""
        return placeholder_output_spec(self._invoke, args, kwargs, f"ops.{self.fn_name}")

    def compute_output_shape(self, *args, **kwargs):
        """The output shape(s) for input shapes (tuples) given in place of the tensors."""
        def to_spec(x):
            if isinstance(x, tuple) and all(d is None or isinstance(d, int) for d in x):
                return KerasTensor(x)
            return x

        args = [to_spec(a) for a in args]
        kwargs = {k: to_spec(v) for k, v in kwargs.items()}
        spec = self.compute_output_spec(*args, **kwargs)
        return tree.map_structure(lambda x: x.shape, spec)

    def get_config(self):
        """``{"name": ..., **constructor_arguments}`` (Keras' op config)."""
        return {"name": self.name, **self._config}

    @classmethod
    def from_config(cls, config, class_name=None, module=None):
        """Rebuilds an op from its config, its class name (which names the function) and its
        module (``"lamina.ops"`` for ops recorded with their arguments as called)."""
        config = dict(config)
        name = config.pop("name", None)
        fn_name = config.pop("function", None) or _fn_name_of_class(class_name or "")
        if fn_name is None:
            raise TypeError(
                f"Could not locate op class '{class_name}' (module '{module}'): lamina.ops has "
                f"no matching function. Full object config: {config}"
            )
        return cls(fn_name, config, name=name, keras_class=module != "lamina.ops")

    def serialize(self):
        """The op as written in a functional config's ``layers`` list (without graph keys)."""
        from lamina.saving import serialization_lib

        config = serialization_lib.serialize_keras_object(self.get_config())
        if not self.keras_class:
            config["function"] = self.fn_name
        return {
            "module": self.module,
            "class_name": self.class_name,
            "config": config,
            "registered_name": self.class_name,
        }

    @property
    def input(self):
        """The input KerasTensor(s) of the op's first call."""
        return _node_attribute(self, "input_tensors", "input")

    @property
    def output(self):
        """The output KerasTensor(s) of the op's first call."""
        return _node_attribute(self, "output_tensors", "output")

    def __repr__(self):
        return f"<Operation name={self.name}, fn={self.fn_name}>"


def _node_attribute(operation, attr, label):
    nodes = operation._inbound_nodes
    if not nodes:
        raise AttributeError(
            f"The layer {operation.name} has never been called and thus has no defined {label}."
        )
    values = getattr(nodes[0], attr)
    if isinstance(values, list) and len(values) == 1:
        return values[0]
    return values


def placeholder_output_spec(fn, args, kwargs, what):
    """The output specs of ``fn(*args, **kwargs)`` for KerasTensor arguments.

    `fn` runs on zero tensors twice, with every unknown size set to 2 and then to 3; output
    sizes that differ between the runs are unknown (None). Ones are tried when zeros fail (an
    integer division, say).
    """
    from lamina import ops

    def run(fill, value):
        def concrete(x):
            if isinstance(x, KerasTensor):
                shape = tuple(fill if d is None else d for d in x.shape)
                return ops.full(shape, value, dtype=x.dtype)
            return x

        a, k = tree.map_structure(concrete, (tuple(args), dict(kwargs)))
        return fn(*a, **k)

    def both(value):
        return run(2, value), run(3, value)

    try:
        first, second = both(0)
    except Exception:
        try:
            first, second = both(1)
        except Exception as e:
            specs = tree.map_structure(
                lambda x: f"KerasTensor(shape={x.shape}, dtype={x.dtype})"
                if isinstance(x, KerasTensor) else x, (tuple(args), dict(kwargs)))
            raise ValueError(
                f"Could not infer the output shape and dtype of `{what}` for the symbolic "
                f"inputs args={specs[0]}, kwargs={specs[1]}: {type(e).__name__}: {e}"
            ) from e

    def merge(x, y):
        if x is None and y is None:
            return None
        if not hasattr(x, "shape") or not hasattr(x, "dtype"):
            raise TypeError(
                f"`{what}` returned a non-tensor value ({x!r}) for symbolic inputs; only ops "
                "returning tensors can be recorded in a functional graph."
            )
        shape = tuple(a if a == b else None for a, b in zip(x.shape, y.shape))
        if len(x.shape) != len(y.shape):
            raise ValueError(
                f"Could not infer the output rank of `{what}`: it depends on unknown sizes."
            )
        return KerasTensor(shape, dtype=x.dtype)

    return tree.map_structure(merge, first, second)


def symbolic_op(fn_name, *args, **kwargs):
    """Records ``lamina.ops.<fn_name>(*args, **kwargs)`` as an op node; returns its outputs.

    Args:
        fn_name: The ``lamina.ops`` function name (or ``"get_item"`` for indexing).
        *args, **kwargs: The call's arguments, KerasTensors among them.

    Returns:
        The output KerasTensor(s).
    """
    if fn_name in _STATIC and not kwargs and len(args) == 1:
        return _STATIC[fn_name](args[0])
    if fn_name in NOT_SYMBOLIC:
        raise TypeError(
            f"`lamina.ops.{fn_name}` cannot take a symbolic KerasTensor: it needs actual "
            "values. Wrap the computation in a layer (e.g. `lamina.layers.Lambda`)."
        )
    fn_name = _ALIASES.get(fn_name, fn_name)
    if fn_name == "get_item":
        if kwargs or len(args) != 2:
            raise TypeError(f"get_item takes (x, key). Received: args={args}, kwargs={kwargs}")
        return Operation("get_item").symbolic_call(*args)
    fn = _raw_function(fn_name)
    sig = _signature(fn_name, fn)
    bound = sig.bind(*args, **kwargs).arguments
    if fn_name not in _KERAS_OPS:
        return Operation(fn_name, keras_class=False).symbolic_call(*args, **kwargs)
    call_names = _call_params(fn_name, sig)
    values, config = [], {}
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            values.extend(bound.get(p.name, ()))
        elif p.kind == p.VAR_KEYWORD:
            config.update(bound.get(p.name, {}))
        elif p.name in call_names:
            values.append(bound.get(p.name, _default(fn_name, p)))
        else:
            config[p.name] = bound.get(p.name, _default(fn_name, p))
    if fn_name == "einsum" or any_symbolic_tensors((), config):
        if fn_name == "einsum" and not any_symbolic_tensors((), config):
            return Operation(fn_name, config).symbolic_call(*values)
        # A tensor in a "constructor" argument: record the call as it was made.
        return Operation(fn_name, keras_class=False).symbolic_call(*args, **kwargs)
    return Operation(fn_name, config).symbolic_call(*values)


_WRAPPER_TEMPLATE = """
def {name}({params}):
    try:
        return _fn({args})
    except Exception:
        if not _any_symbolic(({values},), None):
            raise
    return _symbolic_op(_op_name, {args})
"""


def _wrap(name, fn):
    """`fn` with symbolic dispatch: tries the engine, records an op when a KerasTensor made it
    fail.

    The wrapper has `fn`'s own parameters (defaults included), so an eager call costs one
    plain Python call; functions whose signature cannot be restated (``*args``, sentinel
    defaults) get a ``*args, **kwargs`` wrapper.
    """
    params = list(inspect.signature(fn).parameters.values())
    plain = all(
        p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and (p.default is p.empty or p.default is None
             or type(p.default) in (bool, int, float, str))
        for p in params
    ) and params and params[0].name.isidentifier()
    if plain:
        namespace = {"_fn": fn, "_symbolic_op": symbolic_op, "_op_name": name,
                     "_any_symbolic": any_symbolic_tensors}
        decl, call, values = [], [], []
        keyword_only = False
        for i, p in enumerate(params):
            if p.kind == p.KEYWORD_ONLY and not keyword_only:
                decl.append("*")
                keyword_only = True
            if p.default is p.empty:
                decl.append(p.name)
            else:
                namespace[f"_default_{i}"] = p.default
                decl.append(f"{p.name}=_default_{i}")
            call.append(f"{p.name}={p.name}" if keyword_only else p.name)
            values.append(p.name)
        fn_name = getattr(fn, "__name__", "op")
        fn_name = fn_name if fn_name.isidentifier() and not fn_name.startswith("_") else "op"
        source = _WRAPPER_TEMPLATE.format(name=fn_name, params=", ".join(decl),
                                          args=", ".join(call), values=", ".join(values))
        exec(compile(source, f"<lamina.ops.{name} dispatch>", "exec"), namespace)
        op = namespace[fn_name]
    else:
        def op(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:
                if not any_symbolic_tensors(args, kwargs):
                    raise
            return symbolic_op(name, *args, **kwargs)
    functools.update_wrapper(op, fn)
    op._lamina_symbolic = True
    return op


def install_symbolic_dispatch(namespace, names):
    """Makes the functions `names` of `namespace` (a module's ``globals()``) record op nodes
    when they receive KerasTensors. Idempotent.

    Args:
        namespace: The dict holding the functions (e.g. ``vars(lamina.ops)``).
        names: The function names to wrap; conversions and constructors are left as they are.
    """
    wrapped = {}  # aliases (swish/silu) stay one function
    for name in names:
        fn = namespace.get(name)
        if (fn is None or not callable(fn) or name in NOT_SYMBOLIC
                or getattr(fn, "_lamina_symbolic", False) or isinstance(fn, type)):
            continue
        if id(fn) not in wrapped:
            wrapped[id(fn)] = _wrap(_ALIASES.get(name, name), fn)
        namespace[name] = wrapped[id(fn)]


__all__ = ["NOT_SYMBOLIC", "Operation", "install_symbolic_dispatch", "placeholder_output_spec",
           "symbolic_op"]
