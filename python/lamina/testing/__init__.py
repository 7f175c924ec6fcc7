"""``lamina.testing``: test helpers for layers (Keras 3's ``keras.testing``)."""

from lamina.testing.test_utils import run_layer_test

__all__ = ["run_layer_test"]
