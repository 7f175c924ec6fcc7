"""``lamina.Sequential``: a linear stack of layers (Keras 3's ``keras.Sequential``)."""

import inspect

from lamina import tree
from lamina.backend.keras_tensor import KerasTensor
from lamina.layers.core.input_layer import InputLayer
from lamina.layers.layer import Layer
from lamina.models.functional import Functional
from lamina.models.model import Model


def _standardize_shape(shape):
    if shape is None or isinstance(shape, (str, bytes, dict)):
        raise ValueError(f"Not a shape: {shape!r}")
    shape = tuple(shape)
    for d in shape:
        if d is not None and (isinstance(d, bool) or not isinstance(d, int)):
            raise ValueError(f"Not a shape: {shape!r}")
    return shape


class Sequential(Model):
    """``Sequential`` groups a linear stack of layers into a ``Model``.

    Args:
        layers: Optional list of layers (an ``lamina.Input`` may come first).
        trainable: Whether the model's weights are trainable.
        name: The model's name (default "sequential", "sequential_1", ...).

    With an ``Input`` first (or ``input_shape=`` on the first layer) the model is built as
    layers are added; otherwise it is built on its first call, or by ``build(input_shape)``.

    Example:

    >>> model = lamina.Sequential()
    >>> model.add(lamina.Input(shape=(16,)))
    >>> model.add(lamina.layers.Dense(8))
    >>> len(model.weights)
    2
    >>> model = lamina.Sequential([lamina.layers.Dense(8), lamina.layers.Dense(4)])
    >>> model.build((None, 16))
    >>> len(model.weights)
    4
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        object.__setattr__(self, "_functional", None)
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    def add(self, layer, rebuild=True):
        """Adds a layer instance on top of the layer stack.

        Args:
            layer: A layer instance (or the KerasTensor returned by ``lamina.Input``).
            rebuild: Whether to rebuild the model when its input shape is known.

        Raises:
            ValueError: for a non-layer, a name already used in the model, or a second Input.
        """
        if not self._layers and getattr(layer, "_input_shape_arg", None) is not None:
            # Legacy `input_shape=` on the first layer: it becomes an InputLayer.
            self.add(InputLayer(batch_shape=layer._input_shape_arg))
        if isinstance(layer, KerasTensor):
            history = getattr(layer, "_keras_history", None)
            if history is not None and isinstance(history.operation, InputLayer):
                layer = history.operation
        if not isinstance(layer, Layer):
            raise ValueError(
                "Only instances of `lamina.layers.Layer` can be added to a Sequential model. "
                f"Received: {layer} (of type {type(layer)})"
            )
        if not self._is_layer_name_unique(layer):
            raise ValueError(
                "All layers added to a Sequential model should have unique names. Name "
                f"'{layer.name}' is already the name of a layer in this model. Update the `name` "
                "argument to pass a unique name."
            )
        if (isinstance(layer, InputLayer) and self._layers
                and isinstance(self._layers[0], InputLayer)):
            raise ValueError(
                f"Sequential model '{self.name}' has already been configured to use input shape "
                f"{self._layers[0].batch_shape}. You cannot add a different Input layer to it."
            )
        self._layers.append(layer)
        if rebuild:
            self._maybe_rebuild()
        else:
            self.built = False
            object.__setattr__(self, "_functional", None)

    def pop(self, rebuild=True):
        """Removes the last layer of the model and returns it.

        Args:
            rebuild: Whether to rebuild the model after removing the layer.
        """
        if not self._layers:
            raise IndexError(f"Sequential model '{self.name}' has no layers to pop.")
        layer = self._layers.pop()
        self.built = False
        object.__setattr__(self, "_functional", None)
        if rebuild:
            self._maybe_rebuild()
        return layer

    def _maybe_rebuild(self):
        self.built = False
        object.__setattr__(self, "_functional", None)
        if not self._layers:
            return
        first = self._layers[0]
        if isinstance(first, InputLayer) and len(self._layers) > 1:
            self.build(first.batch_shape)
        elif len(self._layers) > 1:
            try:
                shape = first.input_shape
            except (AttributeError, ValueError):
                return
            self.build(shape)

    def build(self, input_shape=None):
        """Builds the model (its layers and the functional graph behind it) for a batch input
        shape, e.g. ``(None, 16)``."""
        try:
            input_shape = _standardize_shape(input_shape)
        except (TypeError, ValueError):
            # Not a single input tensor: the layers are applied one after the other at call time.
            return
        if not self._layers:
            raise ValueError(
                f"Sequential model {self.name} cannot be built because it has no layers. Call "
                "`model.add(layer)`."
            )
        if isinstance(self._layers[0], InputLayer):
            if self._layers[0].batch_shape != input_shape:
                raise ValueError(
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._layers[0].batch_shape}. You cannot build it with input_shape "
                    f"{input_shape}"
                )
        else:
            dtype = self._layers[0].compute_dtype
            self._layers.insert(0, InputLayer(batch_shape=input_shape, dtype=dtype))
        inputs = self._layers[0].output
        x = inputs
        for layer in self._layers[1:]:
            try:
                x = layer(x)
            except NotImplementedError:
                return  # no shape inference: the layers run one after the other
            except TypeError as e:
                params = [p for p in inspect.signature(layer.call).parameters.values()
                          if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
                required = [p for p in params if p.default is p.empty]
                if not params:
                    raise ValueError(
                        "Layers added to a Sequential model should have a single positional "
                        f"argument, the input tensor. Layer {layer.__class__.__name__} has no "
                        "positional arguments."
                    ) from e
                if len(required) > 1:
                    raise ValueError(
                        "Layers added to a Sequential model can only have a single required "
                        "positional argument, the input tensor. Layer "
                        f"{layer.__class__.__name__} has multiple required positional "
                        f"arguments: {required}"
                    ) from e
                raise
        functional = Functional(inputs=inputs, outputs=x)
        object.__setattr__(functional, "_owner_name", self.name)
        object.__setattr__(self, "_functional", functional)

    def call(self, inputs, training=None, mask=None, **kwargs):
        functional = self._functional
        if functional is not None:
            if kwargs:
                return functional.call(inputs, training=training, mask=mask, **kwargs)
            return functional.call(inputs, training, mask)
        # No graph (nested inputs, or a layer without shape inference): apply each layer.
        outputs = inputs
        for layer in self.layers:
            sig = layer._call_sig
            layer_kwargs = {}
            if sig.has_mask:
                layer_kwargs["mask"] = mask
            if sig.has_training and training is not None:
                layer_kwargs["training"] = training
            outputs = layer(inputs, **layer_kwargs)
            inputs = outputs
            mask = tree.map_structure(lambda t: getattr(t, "_keras_mask", None), outputs)
        return outputs

    def compute_output_spec(self, inputs, training=None, mask=None, **kwargs):
        if self._functional is not None:
            return self._functional.compute_output_spec(inputs, training=training, mask=mask)
        outputs = inputs
        for layer in self.layers:
            outputs = layer.compute_output_spec(outputs, training=training, **kwargs)
        return outputs

    def compute_output_shape(self, input_shape):
        if self._functional is not None:
            return self._functional.compute_output_shape(input_shape)
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    @property
    def layers(self):
        """The layers added to the model (without the InputLayer at the bottom of the stack)."""
        layers = self._layers
        if layers and isinstance(layers[0], InputLayer):
            return layers[1:]
        return list(layers)

    @layers.setter
    def layers(self, _):
        raise AttributeError(
            "`Sequential.layers` attribute is reserved and should not be used. Use `add()` and "
            "`pop()` to change the layers in this model."
        )

    @property
    def input_shape(self):
        """The model's input shape (once built)."""
        if self._functional is not None:
            return self._functional.input_shape
        raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")

    @property
    def output_shape(self):
        """The model's output shape (once built)."""
        if self._functional is not None:
            return self._functional.output_shape
        raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")

    @property
    def inputs(self):
        """The model's input KerasTensors (once built)."""
        if self._functional is not None:
            return self._functional.inputs
        raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")

    @property
    def outputs(self):
        """The model's output KerasTensors (once built)."""
        if self._functional is not None:
            return self._functional.outputs
        raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")

    @property
    def input_dtype(self):
        """The dtype inputs are converted to: the InputLayer's, when there is one."""
        layers = self._layers
        if layers and isinstance(layers[0], InputLayer):
            return layers[0].dtype
        return super().input_dtype

    def _is_layer_name_unique(self, layer):
        return all(layer.name != other.name or other is layer for other in self._layers)

    def get_config(self):
        """``{"name", "trainable", "dtype", "layers"}`` plus ``build_input_shape`` when built
        (Keras 3's Sequential config; "layers" includes the InputLayer)."""
        from lamina import dtype_policies
        from lamina.saving import serialization_lib

        config = {
            "name": self.name,
            "trainable": self.trainable,
            "dtype": dtype_policies.serialize(self.dtype_policy),
            "layers": [serialization_lib.serialize_keras_object(layer) for layer in self._layers],
        }
        for layer_config in config["layers"]:
            module = layer_config.get("module") if isinstance(layer_config, dict) else None
            if isinstance(module, str) and module.startswith("lamina."):
                layer_config["module"] = "keras.src." + module[len("lamina."):]
        if self._functional is not None:
            config["build_input_shape"] = self._layers[0].batch_shape
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuilds the model from `get_config()`'s output (layers added in order, then built
        with ``build_input_shape`` when the layers do not say the input shape)."""
        from lamina.saving import serialization_lib

        if "name" not in config or "layers" not in config:
            raise ValueError(
                "A Sequential model configuration must be a dictionary containing the 'name' "
                f"and 'layers' keys. Received: config={config}"
            )
        model = cls(name=config["name"])
        for layer_config in config["layers"]:
            layer = serialization_lib.deserialize_keras_object(layer_config,
                                                               custom_objects=custom_objects)
            model.add(layer)
        build_input_shape = config.get("build_input_shape")
        if (model._functional is None and isinstance(build_input_shape, (list, tuple))
                and build_input_shape):
            model.build(build_input_shape)
        if config.get("trainable") is False:
            model.trainable = False
        return model


__all__ = ["Sequential"]
