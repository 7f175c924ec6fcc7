"""``lamina.layers.Lambda`` (Keras 3's ``keras.layers.Lambda``)."""

import inspect
import types

from lamina import tree
from lamina.layers.layer import Layer
from lamina.saving import serialization_lib
from lamina.utils import python_utils


class Lambda(Layer):
    """Wraps arbitrary expressions as a `Layer` object.

    WARNING: `Lambda` layers have (de)serialization limitations! A Python lambda is saved as
    its bytecode, which is non-portable and potentially unsafe: it is only loaded with
    ``safe_mode=False`` or after ``lamina.config.enable_unsafe_deserialization()``. Named
    functions are saved by their (registered) name. Prefer subclassing `Layer` for anything
    beyond quick experiments.

    Args:
        function: The function to be evaluated. Takes the input tensor as first argument (and
            `mask`/`training` when it names them).
        output_shape: Expected output shape from function. Inferred by running the function
            when not given. A tuple gives the shape without the batch dimension; a function
            gives the entire shape as a function of the input shape.
        mask: Either None (no masking), a callable with the signature of the `compute_mask`
            layer method, or a tensor returned as output mask whatever the input.
        arguments: Optional dictionary of keyword arguments passed to the function.

    Example:

    >>> layer = lamina.layers.Lambda(lambda x: x ** 2)
    >>> layer(lamina.ops.convert_to_tensor([1.0, 2.0, 3.0]))
    tensor([1., 4., 9.], shape=(3,), dtype=float32)
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        self.arguments = arguments or {}
        self.function = function
        self.supports_masking = mask is not None
        self.mask = mask
        self._output_shape = output_shape
        try:
            function_args = inspect.getfullargspec(function).args
        except TypeError:
            function_args = []
        self._fn_expects_training_arg = "training" in function_args
        self._fn_expects_mask_arg = "mask" in function_args

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            try:
                return self._infer_output_shape(input_shape)
            except Exception:
                raise NotImplementedError(
                    "We could not automatically infer the shape of the Lambda's output. Please "
                    "specify the `output_shape` argument for this Lambda layer."
                ) from None
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        # A given output shape excludes the batch dimension.
        batch_size = tree.flatten(input_shape)[0] if _is_shape(input_shape) else \
            _first_shape(input_shape)[0]

        def add_batch(shape):
            return (batch_size,) + tuple(shape)

        return _map_shapes(add_batch, self._output_shape)

    def _infer_output_shape(self, input_shape):
        """Runs the function on zeros twice (unknown sizes 2, then 3) and keeps the output sizes
        that do not change."""
        from lamina import ops

        def run(fill):
            inputs = _map_shapes(
                lambda s: ops.zeros(tuple(fill if d is None else d for d in s), dtype=self.compute_dtype),
                input_shape,
            )
            outputs = self.call(inputs)
            return tree.map_structure(lambda t: tuple(t.shape), outputs)

        first, second = run(2), run(3)
        return _map_shapes_pair(
            lambda a, b: tuple(x if x == y else None for x, y in zip(a, b)), first, second
        )

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def get_config(self):
        config = {"function": self._serialize_function_to_config(self.function)}
        if self._output_shape is not None:
            if callable(self._output_shape):
                output_shape = self._serialize_function_to_config(self._output_shape)
            else:
                output_shape = self._output_shape
            config["output_shape"] = output_shape
        if self.mask is not None:
            if callable(self.mask):
                mask = self._serialize_function_to_config(self.mask)
            else:
                mask = serialization_lib.serialize_keras_object(self.mask)
            config["mask"] = mask
        config["arguments"] = serialization_lib.serialize_keras_object(self.arguments)
        base_config = super().get_config()
        return {**base_config, **config}

    def _serialize_function_to_config(self, fn):
        if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
            code, defaults, closure = python_utils.func_dump(fn)
            return {
                "class_name": "__lambda__",
                "config": {"code": code, "defaults": defaults, "closure": closure},
            }
        if callable(fn):
            return serialization_lib.serialize_keras_object(fn)
        raise ValueError(
            f"Invalid input type for serialization. Received: {fn} of type {type(fn)}."
        )

    @staticmethod
    def _raise_for_lambda_deserialization(safe_mode):
        if safe_mode:
            raise ValueError(
                "Requested the deserialization of a `Lambda` layer whose `function` is a Python "
                "lambda. This carries a potential risk of arbitrary code execution and thus it "
                "is disallowed by default. If you trust the source of the artifact, you can "
                "override this error by passing `safe_mode=False` to the loading function, or "
                "calling `lamina.config.enable_unsafe_deserialization()`."
            )

    @classmethod
    def _load_function(cls, fn_config, safe_mode, custom_objects):
        if isinstance(fn_config, dict) and fn_config.get("class_name") == "__lambda__":
            cls._raise_for_lambda_deserialization(safe_mode)
            inner = fn_config["config"]
            return python_utils.func_load(
                inner["code"], defaults=inner["defaults"], closure=inner["closure"]
            )
        return None

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Creates a Lambda from its config. A Python lambda in it is refused unless
        `safe_mode` is False, the enclosing deserialization runs with ``safe_mode=False``, or
        ``lamina.config.enable_unsafe_deserialization()`` was called."""
        # Unset safe_mode falls back to the ambient scope; no scope at all means safe.
        effective = safe_mode if safe_mode is not None else serialization_lib.in_safe_mode()
        safe_mode = effective is not False
        config = dict(config)
        fn = cls._load_function(config["function"], safe_mode, custom_objects)
        if fn is None:
            fn = serialization_lib.deserialize_keras_object(
                config["function"], custom_objects=custom_objects
            )
        config["function"] = fn
        if "output_shape" in config:
            fn = cls._load_function(config["output_shape"], safe_mode, custom_objects)
            if fn is None:
                output_shape = serialization_lib.deserialize_keras_object(
                    config["output_shape"], custom_objects=custom_objects
                )
                if isinstance(output_shape, list) and all(
                    isinstance(e, (int, type(None))) for e in output_shape
                ):
                    output_shape = tuple(output_shape)
                fn = output_shape
            config["output_shape"] = fn
        if "mask" in config:
            fn = cls._load_function(config["mask"], safe_mode, custom_objects)
            if fn is None:
                fn = serialization_lib.deserialize_keras_object(
                    config["mask"], custom_objects=custom_objects
                )
            config["mask"] = fn
        if "arguments" in config:
            config["arguments"] = serialization_lib.deserialize_keras_object(
                config["arguments"], custom_objects=custom_objects
            )
        return super().from_config(config)


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _first_shape(structure):
    if _is_shape(structure):
        return tuple(structure)
    items = structure.values() if isinstance(structure, dict) else structure
    for item in items:
        return _first_shape(item)
    raise ValueError(f"No shape found in {structure!r}")


def _map_shapes(fn, structure):
    if _is_shape(structure):
        return fn(tuple(structure))
    if isinstance(structure, dict):
        return {k: _map_shapes(fn, v) for k, v in structure.items()}
    return type(structure)(_map_shapes(fn, v) for v in structure)


def _map_shapes_pair(fn, a, b):
    if _is_shape(a):
        return fn(tuple(a), tuple(b))
    if isinstance(a, dict):
        return {k: _map_shapes_pair(fn, a[k], b[k]) for k, v in a.items()}
    return type(a)(_map_shapes_pair(fn, x, y) for x, y in zip(a, b))
