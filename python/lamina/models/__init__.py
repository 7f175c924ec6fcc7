"""lamina.models: Model, Sequential and the functional API (Keras 3's ``keras.models``)."""

from lamina.models.model import Model
from lamina.models.model import model_from_json
from lamina.models.sequential import Sequential
from lamina.saving.saving_api import load_model
from lamina.saving.saving_api import save_model

__all__ = ["Model", "Sequential", "load_model", "model_from_json", "save_model"]
