"""``lamina.Model``: a layer with training, saving and summary features (Keras 3's ``keras.Model``).

There are three ways to make a model: the functional API (``lamina.Model(inputs, outputs)``,
which returns a ``Functional``), subclassing ``Model`` (layers set in ``__init__``, the forward
pass in ``call``) and ``lamina.Sequential``.
"""

import inspect
import json
import warnings

from lamina import ops
from lamina.layers.layer import Layer
from lamina.layers.layer import _default
from lamina.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A model grouping layers into an object with training/inference features.

    With the functional API, start from ``lamina.Input``, chain layer calls, and make the model
    from its inputs and outputs (any nested structure of them)::

        inputs = lamina.Input(shape=(37,))
        x = lamina.layers.Dense(32, activation="relu")(inputs)
        outputs = lamina.layers.Dense(5, activation="softmax")(x)
        model = lamina.Model(inputs=inputs, outputs=outputs)

    By subclassing, define the layers in ``__init__()`` and the forward pass in ``call()`` (a
    `training` argument of `call` receives the training flag)::

        class MyModel(lamina.Model):
            def __init__(self):
                super().__init__()
                self.dense1 = lamina.layers.Dense(32, activation="relu")
                self.dense2 = lamina.layers.Dense(5, activation="softmax")

            def call(self, inputs):
                return self.dense2(self.dense1(inputs))

    ``lamina.Sequential`` is the special case of a plain stack of single-input, single-output
    layers.

    Args (functional API):
        inputs: The input KerasTensor(s): one, a list or a dict.
        outputs: The output KerasTensor(s): any nested structure (kept in the model's outputs).
        name: The model's name.
        trainable: Whether the model's weights are trainable.

    Example:

    >>> inputs = lamina.Input((3,))
    >>> model = lamina.Model(inputs, lamina.layers.Dense(2)(inputs))
    >>> model(np.ones((4, 3))).shape
    (4, 2)
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_init_arguments(args, kwargs):
            from lamina.models.functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        Trainer.__init__(self)
        if _functional_init_arguments(args, kwargs):
            from lamina.models.functional import Functional

            _inject_functional_model_class(self.__class__)
            Functional.__init__(self, *args, **kwargs)
        else:
            Layer.__init__(self, *args, **kwargs)

    def call(self, *args, **kwargs):
        """The model's forward pass (override in subclasses)."""
        raise NotImplementedError(
            f"Model {self.__class__.__name__} does not have a `call()` method implemented."
        )

    @property
    def layers(self):
        """The model's direct sublayers."""
        return list(self._flatten_layers(include_self=False, recursive=False))

    @layers.setter
    def layers(self, _):
        raise AttributeError(
            "`Model.layers` attribute is reserved and should not be used. Please use another name."
        )

    def get_layer(self, name=None, index=None):
        """Retrieves a layer by its name (unique) or its index in `model.layers`.

        Args:
            name: The layer's name.
            index: The layer's index in `model.layers` (give one of `name` and `index`).

        Returns:
            The layer.

        Raises:
            ValueError: for both or neither of `name` and `index`, an unknown name or an
                index out of range.
        """
        if index is not None and name is not None:
            raise ValueError(
                f"Provide only a layer name or a layer index. Received: index={index}, name={name}."
            )
        if index is not None:
            layers = self.layers
            if len(layers) <= index:
                raise ValueError(
                    f"Was asked to retrieve layer at index {index} but model only has "
                    f"{len(layers)} layers."
                )
            return layers[index]
        if name is not None:
            layers = self.layers
            for layer in layers:
                if layer.name == name:
                    return layer
            raise ValueError(
                f"No such layer: {name}. Existing layers are: {[layer.name for layer in layers]}."
            )
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints a string summary of the network.

        Args:
            line_length: Total length of printed lines (default: 88, or 108 when the
                "Connected to" column is shown, capped to the terminal width).
            positions: Relative or absolute positions of the columns' right edges (default
                ``[0.45, 0.80, 1.0]``, or ``[0.3, 0.56, 0.74, 1.0]`` with "Connected to").
            print_fn: Print function to use (default: prints to stdout). It receives the
                whole summary as one string.
            expand_nested: Whether to expand the nested models.
            show_trainable: Whether to show if a layer is trainable.
            layer_range: A list or tuple of 2 strings (names or regexes): the first and last
                layers to print.

        Raises:
            ValueError: for an invalid `layer_range` or a `line_length` too small.
        """
        from lamina.utils import summary_utils

        summary_utils.print_summary(self, line_length=line_length, positions=positions,
                                    print_fn=print_fn, expand_nested=expand_nested,
                                    show_trainable=show_trainable, layer_range=layer_range)

    # ------------------------------------------------------------------------------------------
    # Saving (delegated to lamina.saving)
    # ------------------------------------------------------------------------------------------

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model (config, weights, optimizer state) as a `.keras` file
        (`lamina.saving.save_model`)."""
        from lamina.saving import saving_api

        return saving_api.save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves all weights to a `.weights.h5` file, or sharded files with `max_shard_size`
        (in GB) (`lamina.saving.save_weights`)."""
        from lamina.saving import saving_api

        return saving_api.save_weights(self, filepath, overwrite=overwrite,
                                       max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads weights saved by `save_weights` (or from a `.keras` file)
        (`lamina.saving.load_weights`)."""
        from lamina.saving import saving_api

        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def to_json(self, **kwargs):
        """The model's configuration as a JSON string (`model_from_json` reads it back).

        Args:
            **kwargs: Passed to `json.dumps()`.
        """
        from lamina.saving import serialization_lib

        return json.dumps(serialization_lib.serialize_keras_object(self), **kwargs)

    def __reduce__(self):
        from lamina.saving import saving_lib

        return saving_lib.reduce_object(self)

    # ------------------------------------------------------------------------------------------
    # Building and config
    # ------------------------------------------------------------------------------------------

    @_default
    def build(self, input_shape=None):
        """Marks the model built. As in Keras 3, a subclassed model's sublayers are built when
        the model is first called on data; `build` does not run `call`."""
        self._check_super_called()
        if input_shape is not None and any(not layer.built for layer in self._layers):
            warnings.warn(
                f"`build()` was called on layer '{self.name}', however the layer does not have "
                "a `build()` method implemented and it looks like it has unbuilt state. This "
                "will cause the layer to be marked as built, despite not being actually built, "
                "which may cause failures down the line. Make sure to implement a proper "
                "`build()` method.",
                stacklevel=2,
            )
        self.built = True

    def _maybe_build(self, args, kwargs):
        Layer._maybe_build(self, args, kwargs)
        if "_lamina_deferred_weights" in self.__dict__:
            # Weights loaded before the model was built (`load_weights` on a fresh subclassed
            # model) are assigned now, before the first call computes anything.
            from lamina.saving import saving_lib

            saving_lib.restore_deferred_weights(self, args, kwargs)

    def get_build_config(self):
        """The input shape(s) the model was built with (None if built otherwise)."""
        shapes = self._build_shapes_dict
        if shapes is None:
            return None
        if len(shapes) == 1:
            shape = next(iter(shapes.values()))
            return {"input_shape": None if shape is None else _as_shape_structure(shape)}
        return {"shapes_dict": dict(shapes)}

    def build_from_config(self, config):
        """Builds the model from `get_build_config()`'s output; a subclassed model without a
        `build()` of its own is built by running `call` on placeholder inputs."""
        if not config:
            return
        status = False
        if "input_shape" in config:
            shape = config["input_shape"]
            if _is_default_build(self):
                status = self._build_by_run((shape,), {})
            else:
                try:
                    self.build(shape)
                    status = True
                except Exception:
                    status = False
            self._build_shapes_dict = {"input_shape": shape}
        elif "shapes_dict" in config:
            shapes = config["shapes_dict"]
            if _is_default_build(self):
                names = {k[:-len("_shape")] if k.endswith("_shape") else k: v
                         for k, v in shapes.items()}
                status = self._build_by_run((), names)
            else:
                try:
                    self.build(**shapes)
                    status = True
                except Exception:
                    status = False
            self._build_shapes_dict = dict(shapes)
        if not status:
            warnings.warn(
                f"Model '{self.name}' had a build config, but the model cannot be built "
                "automatically in `build_from_config(config)`. You should implement `def "
                "build_from_config(self, config)`, and you might also want to implement the "
                "method that generates the config at saving time, `def get_build_config(self)`. "
                "The method `build_from_config()` is meant to create the state of the model "
                "(i.e. its variables) upon deserialization.",
                stacklevel=2,
            )

    def _build_by_run(self, args, kwargs):
        """Creates the model's state by calling it once on zeros of the given shapes (unknown
        sizes set to 1); the call's effects on non-trainable variables and losses are undone."""
        def placeholders(shape):
            return ops.zeros(tuple(1 if d is None else d for d in shape))

        try:
            args = tuple(_map_shapes(placeholders, a) for a in args)
            kwargs = {k: _map_shapes(placeholders, v) for k, v in kwargs.items()}
        except (TypeError, ValueError):
            return False
        state = [(v, v.value) for v in self.non_trainable_variables]
        try:
            self(*args, **kwargs)
        except Exception:
            return False
        finally:
            for v, value in state:
                v.assign(value)
            self._clear_losses()
        self.built = True
        return True

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Creates a model from its config: a functional config (with ``layers``,
        ``input_layers`` and ``output_layers``) rebuilds the graph; anything else is passed to
        the constructor."""
        from lamina.models.functional import Functional
        from lamina.models.functional import functional_from_config

        is_functional_config = all(
            key in config for key in ("name", "layers", "input_layers", "output_layers"))
        argspec = inspect.getfullargspec(cls.__init__)
        functional_args = inspect.getfullargspec(Functional.__init__).args[1:]
        revivable_as_functional = (
            cls in (Functional, Model)
            or argspec.args[1:] == functional_args
            or (argspec.varargs == "args" and argspec.varkw == "kwargs")
        )
        if is_functional_config and revivable_as_functional:
            return functional_from_config(cls, config, custom_objects=custom_objects)
        try:
            return cls(**config)
        except TypeError as e:
            raise TypeError(
                "Unable to revive model from config. When overriding the `get_config()` method, "
                "make sure that the returned config contains all items used as arguments in the "
                f"constructor to {cls}, which is the default behavior. You can override this "
                "default behavior by defining a `from_config(cls, config)` class method to "
                f"specify how to create an instance of {cls.__name__} from its config.\n\n"
                f"Received config={config}\n\nError encountered during deserialization: {e}"
            ) from e


def _is_default_build(model):
    return getattr(type(model).build, "_lamina_is_default", False)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _map_shapes(fn, structure):
    if _is_shape(structure):
        return fn(tuple(structure))
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map_shapes(fn, v) for v in structure)
    raise TypeError(f"Not a shape or structure of shapes: {structure!r}")


def _as_shape_structure(shape):
    try:
        return _map_shapes(tuple, shape)
    except TypeError:
        return shape


def _functional_init_arguments(args, kwargs):
    return ((len(args) == 2)
            or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional_model_class(cls):
    """Puts `Functional` in place of `Model` among the bases of a Model subclass whose
    `__init__` passes inputs and outputs to `Model.__init__` (Keras 3 does the same)."""
    from lamina.models.functional import Functional

    if cls is Model:
        return Functional
    if cls is object:
        return object
    if issubclass(cls, Functional) or not issubclass(cls, Model):
        return cls
    cls.__bases__ = tuple(_inject_functional_model_class(base) for base in cls.__bases__)
    return cls


def model_from_json(json_string, custom_objects=None):
    """Rebuilds a model (without its weights) from the JSON of `model.to_json()`.

    Args:
        json_string: The JSON string.
        custom_objects: Optional dict mapping names to custom classes or functions.

    Returns:
        The model.

    Example:

    >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(2)])
    >>> clone = lamina.models.model_from_json(model.to_json())
    """
    from lamina.saving import saving_lib

    # saving_lib reports invalid JSON and unknown classes with the closest registered names.
    return saving_lib.model_from_config_json(json_string, custom_objects=custom_objects,
                                             compile=False)


__all__ = ["Model", "model_from_json"]
