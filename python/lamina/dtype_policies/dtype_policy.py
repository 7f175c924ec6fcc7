"""``lamina.DTypePolicy``: the dtypes a layer computes in and stores its variables in."""

from lamina import ops
from lamina._lamina import Tensor
from lamina.backend import config

_FLOATS = ("float16", "bfloat16", "float32", "float64")


class DTypePolicy:
    """A dtype policy: `variable_dtype` for weights, `compute_dtype` for computations.

    Args:
        name: A dtype name ("float32", "float64", "float16", "bfloat16", or an integer/bool
            dtype for layers that compute in one) for a plain policy, or "mixed_float16" /
            "mixed_bfloat16" (float16/bfloat16 computations, float32 variables). Defaults to
            ``lamina.config.floatx()``.

    Example:

    >>> policy = lamina.DTypePolicy("mixed_float16")
    >>> policy.compute_dtype, policy.variable_dtype
    ('float16', 'float32')
    """

    def __init__(self, name=None):
        if name is None:
            name = config.floatx()
        if isinstance(name, DTypePolicy):
            name = name.name
        if not isinstance(name, str):
            raise TypeError(
                "'name' must be a string, such as 'mixed_float16'. "
                f"Received: name={name!r} (of type {type(name)})"
            )
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)

    @staticmethod
    def _parse_name(name):
        if name == "mixed_float16":
            return "float16", "float32"
        if name == "mixed_bfloat16":
            return "bfloat16", "float32"
        try:
            dtype = config.standardize_dtype(name)
        except ValueError:
            dtype = None
        if dtype is None:
            raise ValueError(
                f"Cannot convert '{name}' to a mixed precision DTypePolicy. Valid policies include "
                "'mixed_float16', 'mixed_bfloat16', and the name of any float dtype such as "
                "'float32'."
            )
        return dtype, dtype

    @property
    def name(self):
        """The policy's name."""
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of layer computations (inputs are cast to it)."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype of layer variables."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """The quantization mode (None: lamina has no quantized policies)."""
        return None

    def convert_input(self, x, autocast, dtype):
        """Converts a layer input: tensors and arrays become Tensors, floats cast to `dtype`
        when `autocast` is on."""
        if isinstance(x, Tensor):
            if autocast and x.dtype != dtype and x.dtype in _FLOATS:
                return ops.cast(x, dtype)
            return x
        if hasattr(x, "__array__") and hasattr(x, "dtype") and not hasattr(x, "assign"):
            x = ops.convert_to_tensor(x)
            if autocast and x.dtype != dtype and x.dtype in _FLOATS:
                x = ops.cast(x, dtype)
            return x
        return x

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy

_GLOBAL = [None]


def dtype_policy():
    """The global dtype policy (a float32 policy unless set)."""
    if _GLOBAL[0] is None:
        _GLOBAL[0] = DTypePolicy(config.floatx())
    return _GLOBAL[0]


def set_dtype_policy(policy):
    """Sets the global dtype policy (a DTypePolicy or its name)."""
    if not isinstance(policy, DTypePolicy):
        if isinstance(policy, str):
            policy = DTypePolicy(policy)
        else:
            raise ValueError(
                "Invalid `policy` argument. Expected the string name of a policy (such as "
                f"'mixed_float16') or a `DTypePolicy` instance. Received: policy={policy!r} "
                f"(of type {type(policy)})"
            )
    _GLOBAL[0] = policy


# Keras 3's policy classes that lamina cannot honour: quantized layers (int8/int4/float8/GPTQ/AWQ
# weights) and per-layer policy maps (written only for quantized models).
_QUANTIZED_POLICY_CLASSES = (
    "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "Int4DTypePolicy", "GPTQDTypePolicy",
    "AWQDTypePolicy", "DTypePolicyMap",
)
_QUANTIZED_NAME_PREFIXES = ("int8", "int4", "float8", "gptq", "awq")


def _unsupported_policy(description):
    return ValueError(
        "Quantized dtype policies are not supported by lamina (it has no quantized layers). "
        f"Received: dtype={description}"
    )


def _from_dict(identifier):
    """A policy from a serialized policy (``{"module", "class_name", "config", ...}``, as Keras 3
    writes it) or from a bare policy config (``{"name": "float32"}``)."""
    class_name = identifier.get("class_name")
    if class_name in _QUANTIZED_POLICY_CLASSES:
        raise _unsupported_policy(f"{class_name} with config {identifier.get('config')}")
    if class_name not in (None, "DTypePolicy", "FloatDTypePolicy"):
        raise ValueError(
            "Cannot interpret `dtype` argument: unknown dtype policy class. Received: "
            f"dtype={identifier!r}"
        )
    config = identifier.get("config", identifier) if class_name else identifier
    if not isinstance(config, dict) or set(config) - {"name"}:
        raise ValueError(
            "Cannot interpret `dtype` argument: a DTypePolicy config has only a `name`. "
            f"Received: dtype={identifier!r}"
        )
    return DTypePolicy.from_config(config)


def get(identifier):
    """A DTypePolicy from an identifier.

    Args:
        identifier: None (the global policy); a policy name (``"float32"``, ``"mixed_float16"``);
            a serialized policy as Keras 3 writes it (``{"module": "keras", "class_name":
            "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}``) or a bare
            config (``{"name": "float32"}``); a DTypePolicy; or a dtype (``numpy.float32``).

    Returns:
        A DTypePolicy.

    Raises:
        ValueError: for a quantized policy (Keras' ``QuantizedDTypePolicy``, ``int8_from_*``
            names, ...), which lamina cannot honour, and for anything not a policy.

    Example:

    >>> lamina.dtype_policies.get({"class_name": "DTypePolicy", "config": {"name": "float16"}})
    <DTypePolicy "float16">
    """
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return _from_dict(identifier)
    if isinstance(identifier, str):
        if identifier.startswith(_QUANTIZED_NAME_PREFIXES) and "_from_" in identifier:
            raise _unsupported_policy(repr(identifier))
        return DTypePolicy(identifier)
    try:
        return DTypePolicy(config.standardize_dtype(identifier))
    except ValueError:
        raise ValueError(f"Cannot interpret `dtype` argument. Received: dtype={identifier!r}") from None


def serialize(policy):
    """Keras 3's serialized form of a policy."""
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """The policy from its serialized form."""
    return get(config)
