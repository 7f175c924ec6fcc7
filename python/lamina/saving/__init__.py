"""``lamina.saving``: Keras 3's ``keras.saving`` — object registration, config
(de)serialization in Keras' format, and the ``.keras``/``.weights.h5`` files, so configs and
models move between lamina and Keras 3."""

from lamina.saving.object_registration import CustomObjectScope
from lamina.saving.object_registration import custom_object_scope
from lamina.saving.object_registration import get_custom_objects
from lamina.saving.object_registration import get_registered_name
from lamina.saving.object_registration import get_registered_object
from lamina.saving.object_registration import register_keras_serializable
from lamina.saving.saving_api import load_model
from lamina.saving.saving_api import load_weights
from lamina.saving.saving_api import save_model
from lamina.saving.saving_api import save_weights
from lamina.saving.serialization_lib import deserialize_keras_object
from lamina.saving.serialization_lib import serialize_keras_object

__all__ = [
    "CustomObjectScope", "custom_object_scope", "deserialize_keras_object", "get_custom_objects",
    "get_registered_name", "get_registered_object", "load_model", "load_weights",
    "register_keras_serializable", "save_model", "save_weights", "serialize_keras_object",
]
