"""``lamina.dtype_policies``: dtype policies (Keras 3's ``keras.dtype_policies``)."""

from lamina.dtype_policies.dtype_policy import DTypePolicy
from lamina.dtype_policies.dtype_policy import FloatDTypePolicy
from lamina.dtype_policies.dtype_policy import deserialize
from lamina.dtype_policies.dtype_policy import dtype_policy
from lamina.dtype_policies.dtype_policy import get
from lamina.dtype_policies.dtype_policy import serialize
from lamina.dtype_policies.dtype_policy import set_dtype_policy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "dtype_policy", "get", "serialize",
           "set_dtype_policy"]
