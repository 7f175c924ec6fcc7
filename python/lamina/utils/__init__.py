"""``lamina.utils``: Keras 3's ``keras.utils`` (the serialization utilities it re-exports from
``keras.saving``, ``Progbar``, ``PyDataset``)."""

from lamina.saving.object_registration import CustomObjectScope
from lamina.saving.object_registration import custom_object_scope
from lamina.saving.object_registration import get_custom_objects
from lamina.saving.object_registration import get_registered_name
from lamina.saving.object_registration import get_registered_object
from lamina.saving.object_registration import register_keras_serializable
from lamina.saving.serialization_lib import deserialize_keras_object
from lamina.saving.serialization_lib import serialize_keras_object
from lamina.utils.progbar import Progbar
from lamina.utils.py_dataset import PyDataset
from lamina.utils.rng_utils import set_random_seed
from lamina.trainers.data_adapters.data_adapter_utils import pack_x_y_sample_weight
from lamina.trainers.data_adapters.data_adapter_utils import unpack_x_y_sample_weight

# Keras 3 keeps the Keras 2 name of PyDataset as an alias.
Sequence = PyDataset

__all__ = [
    "CustomObjectScope", "Progbar", "PyDataset", "Sequence", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "register_keras_serializable",
    "pack_x_y_sample_weight", "serialize_keras_object", "set_random_seed",
    "unpack_x_y_sample_weight",
]
