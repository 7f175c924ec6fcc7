"""lamina.saving: object registration, custom object scopes and Keras-3-format (de)serialization."""

import json
import warnings

import numpy as np
import pytest

import lamina
from lamina import initializers
from lamina import ops
from lamina import saving
from lamina.saving import object_registration
from lamina.saving import serialization_lib


@pytest.fixture(autouse=True)
def _clean_registry():
    """Each test sees (and leaves) the global registry as it was."""
    objects = dict(object_registration.GLOBAL_CUSTOM_OBJECTS)
    names = dict(object_registration.GLOBAL_CUSTOM_NAMES)
    yield
    object_registration.GLOBAL_CUSTOM_OBJECTS.clear()
    object_registration.GLOBAL_CUSTOM_OBJECTS.update(objects)
    object_registration.GLOBAL_CUSTOM_NAMES.clear()
    object_registration.GLOBAL_CUSTOM_NAMES.update(names)


def roundtrip(obj, **kwargs):
    """serialize -> JSON -> deserialize -> serialize, as a saved file would see it."""
    serialized = saving.serialize_keras_object(obj)
    loaded = json.loads(json.dumps(serialized))
    restored = saving.deserialize_keras_object(loaded, **kwargs)
    return serialized, restored, saving.serialize_keras_object(restored)


class Scale:
    """A plain custom class with a config."""

    def __init__(self, factor):
        self.factor = factor

    def __call__(self, x):
        return x * self.factor

    def get_config(self):
        return {"factor": self.factor}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def square(x):
    return x * x


# ----------------------------------------------------------------------------------------------
# Registration
# ----------------------------------------------------------------------------------------------


def test_register_class_default_package():
    @saving.register_keras_serializable()
    class MyThing(Scale):
        pass

    assert saving.get_registered_name(MyThing) == "Custom>MyThing"
    assert saving.get_registered_object("Custom>MyThing") is MyThing
    assert saving.get_custom_objects()["Custom>MyThing"] is MyThing


def test_register_with_package_and_name():
    @saving.register_keras_serializable("my_package", name="Renamed")
    class Other(Scale):
        pass

    assert saving.get_registered_name(Other) == "my_package>Renamed"
    assert saving.get_registered_object("my_package>Renamed") is Other
    assert saving.get_registered_object("my_package>Other") is None


def test_register_function():
    @saving.register_keras_serializable("fns")
    def cube(x):
        return x * x * x

    assert saving.get_registered_name(cube) == "fns>cube"
    assert saving.get_registered_object("fns>cube") is cube


def test_register_class_without_get_config_raises():
    class NoConfig:
        pass

    with pytest.raises(ValueError, match="does not have a get_config"):
        saving.register_keras_serializable()(NoConfig)


def test_registered_name_of_unregistered_object_is_its_name():
    assert saving.get_registered_name(Scale) == "Scale"
    assert saving.get_registered_name(square) == "square"


def test_get_registered_object_lookup_order():
    a, b, c, d = (type(n, (Scale,), {}) for n in "ABCD")
    assert saving.get_registered_object("k") is None
    assert saving.get_registered_object("k", module_objects={"k": d}) is d
    assert saving.get_registered_object("k", custom_objects={"k": c}, module_objects={"k": d}) is c
    saving.get_custom_objects()["k"] = b
    assert saving.get_registered_object("k", custom_objects={"k": c}) is b
    with saving.custom_object_scope({"k": a}):
        assert saving.get_registered_object("k", custom_objects={"k": c}) is a


def test_custom_object_scope_is_scoped_and_nests():
    assert saving.CustomObjectScope is saving.custom_object_scope
    with saving.custom_object_scope({"outer": Scale}) as scope:
        assert isinstance(scope, saving.CustomObjectScope)
        assert saving.get_registered_object("outer") is Scale
        with saving.custom_object_scope({"inner": square}):
            assert saving.get_registered_object("inner") is square
            assert saving.get_registered_object("outer") is None  # Keras replaces, not merges
        assert saving.get_registered_object("inner") is None
        assert saving.get_registered_object("outer") is Scale
        assert "outer" not in saving.get_custom_objects()
    assert saving.get_registered_object("outer") is None


def test_utils_exports_the_same_objects():
    for name in [
        "CustomObjectScope", "custom_object_scope", "get_custom_objects", "get_registered_name",
        "get_registered_object", "register_keras_serializable", "serialize_keras_object",
        "deserialize_keras_object",
    ]:
        assert getattr(lamina.utils, name) is getattr(lamina.saving, name)


# ----------------------------------------------------------------------------------------------
# Plain values
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [None, 0, 3, -1.5, True, "hello", [1, "a", None, 2.0], {"a": 1, "b": [True, False]}, {"n": {"m": "x"}}],
)
def test_plain_values_are_unchanged(value):
    assert saving.serialize_keras_object(value) == value
    assert saving.deserialize_keras_object(value) == value


def test_tuples_stay_tuples_and_load_as_lists():
    assert saving.serialize_keras_object((1, (2, 3))) == (1, (2, 3))
    assert saving.deserialize_keras_object((1, 2)) == [1, 2]
    _, restored, _ = roundtrip({"shape": (None, 3)})
    assert restored == {"shape": [None, 3]}


def test_numpy_values():
    arr = np.array([[0.0, 1.5], [2.0, 3.0]], dtype="float32")
    assert saving.serialize_keras_object(arr) == {
        "class_name": "__numpy__",
        "config": {"value": [[0.0, 1.5], [2.0, 3.0]], "dtype": "float32"},
    }
    _, restored, _ = roundtrip(arr)
    assert isinstance(restored, np.ndarray) and restored.dtype == np.float32
    np.testing.assert_array_equal(restored, arr)

    ints = saving.deserialize_keras_object(json.loads(json.dumps(saving.serialize_keras_object(np.array([1, 2])))))
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2]

    for scalar, expected in [(np.float32(1.5), 1.5), (np.int64(7), 7), (np.bool_(True), True), (np.array(2.0), 2.0)]:
        out = saving.serialize_keras_object(scalar)
        assert out == expected and type(out) is type(expected)


def test_dtypes_serialize_to_names():
    assert saving.serialize_keras_object(np.dtype("float64")) == "float64"
    assert saving.serialize_keras_object(np.float32) == "float32"
    assert saving.serialize_keras_object({"dtype": np.dtype("int32")}) == {"dtype": "int32"}


def test_lamina_tensors():
    x = ops.convert_to_tensor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    assert saving.serialize_keras_object(x) == {
        "class_name": "__tensor__",
        "config": {"value": [[1.0, 2.0], [3.0, 4.0]], "dtype": "float64"},
    }
    _, restored, _ = roundtrip({"x": x})
    assert isinstance(restored["x"], lamina.Tensor) and restored["x"].dtype == "float64"
    np.testing.assert_array_equal(np.asarray(restored["x"]), np.asarray(x))


def test_bytes_slices_and_ellipsis():
    assert saving.serialize_keras_object(b"hi") == {"class_name": "__bytes__", "config": {"value": "hi"}}
    assert saving.serialize_keras_object(slice(None, 20, 1)) == {
        "class_name": "__slice__",
        "config": {"start": None, "stop": 20, "step": 1},
    }
    assert saving.serialize_keras_object(...) == {"class_name": "__ellipsis__", "config": {}}
    for obj in [b"hello", slice(1, 5, 2), slice(None, np.int64(3), None), ...]:
        serialized, restored, reserialized = roundtrip(obj)
        assert restored == obj or (isinstance(obj, slice) and restored == slice(None, 3, None))
        assert serialized == reserialized


# ----------------------------------------------------------------------------------------------
# Functions and lambdas
# ----------------------------------------------------------------------------------------------


def test_function_serialization_matches_keras():
    assert saving.serialize_keras_object(square) == {
        "module": "builtins",
        "class_name": "function",
        "config": "square",
        "registered_name": "function",
    }
    serialized, restored, reserialized = roundtrip({"activation": square}, custom_objects={"square": square})
    assert restored["activation"] is square
    assert serialized == reserialized


def test_registered_function_round_trip():
    @saving.register_keras_serializable(package="serial_test")
    def custom_registered_fn(x):
        return x**2

    serialized, restored, _ = roundtrip(custom_registered_fn)
    assert serialized["config"] == "serial_test>custom_registered_fn"
    assert restored is custom_registered_fn
    # Keras <= 3.6 wrote the plain name: it still resolves to the registered function.
    config36 = {"module": "builtins", "class_name": "function", "config": "custom_registered_fn",
                "registered_name": "function"}
    assert saving.deserialize_keras_object(config36) is custom_registered_fn


def test_unknown_function_raises():
    config = {"module": "builtins", "class_name": "function", "config": "no_such_fn", "registered_name": "function"}
    with pytest.raises(TypeError, match="Could not locate function 'no_such_fn'"):
        saving.deserialize_keras_object(config)


def test_function_name_as_plain_string_with_custom_objects():
    assert saving.deserialize_keras_object("square", custom_objects={"square": square}) is square
    assert saving.deserialize_keras_object("square") == "square"


def test_lambda_needs_unsafe_mode():
    fn = lambda x: x * 3  # noqa: E731
    with pytest.warns(UserWarning, match="lambda"):
        serialized = saving.serialize_keras_object({"activation": fn})
    assert serialized["activation"]["class_name"] == "__lambda__"
    loaded = json.loads(json.dumps(serialized))
    with pytest.raises(ValueError, match="arbitrary code execution"):
        saving.deserialize_keras_object(loaded)
    restored = saving.deserialize_keras_object(loaded, safe_mode=False)
    assert restored["activation"](4) == 12
    with serialization_lib.SafeModeScope(safe_mode=False):
        assert saving.deserialize_keras_object(loaded)["activation"](2) == 6
    with serialization_lib.SafeModeScope(safe_mode=True):
        with pytest.raises(ValueError, match="arbitrary code execution"):
            saving.deserialize_keras_object(loaded, safe_mode=False)


def test_lambda_with_closure_and_defaults():
    k = 5
    fn = lambda x, y=2: x * k + y  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, restored, _ = roundtrip(fn, safe_mode=False)
    assert restored(1) == 7 and restored(1, 0) == 5


def test_enable_unsafe_deserialization(monkeypatch):
    monkeypatch.setattr(serialization_lib, "_unsafe_deserialization_enabled", False)
    assert serialization_lib.in_safe_mode() is None
    lamina.config.enable_unsafe_deserialization()
    assert serialization_lib.in_safe_mode() is False


# ----------------------------------------------------------------------------------------------
# Objects: built-in, custom, registered
# ----------------------------------------------------------------------------------------------


def test_builtin_objects_use_keras_module_names():
    assert saving.serialize_keras_object(initializers.GlorotUniform(seed=1)) == {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": 1, "input_axes": None, "output_axes": None},
        "registered_name": None,
    }
    assert saving.serialize_keras_object(lamina.random.SeedGenerator(7)) == {
        "module": "keras.random",
        "class_name": "SeedGenerator",
        "config": {"seed": 7},
        "registered_name": None,
    }
    assert saving.serialize_keras_object(initializers.Initializer())["module"] == "keras"
    assert serialization_lib.keras_public_name(lamina.regularizers.L2) == "keras.regularizers.L2"
    assert serialization_lib.keras_public_name(Scale) is None


@pytest.mark.parametrize("module", ["keras.initializers", "lamina.initializers", "keras.src.initializers"])
def test_builtin_objects_load_from_keras_and_lamina_modules(module):
    config = {"module": module, "class_name": "RandomUniform", "config": {"seed": 3, "minval": -1.0, "maxval": 1.0},
              "registered_name": None}
    obj = saving.deserialize_keras_object(config)
    assert isinstance(obj, initializers.RandomUniform)
    assert (obj.minval, obj.maxval, obj.seed) == (-1.0, 1.0, 3)


def test_nested_builtin_objects_round_trip():
    gen = lamina.random.SeedGenerator(11)
    serialized, restored, reserialized = roundtrip(initializers.RandomNormal(seed=gen))
    assert serialized["config"]["seed"]["class_name"] == "SeedGenerator"
    assert isinstance(restored.seed, lamina.random.SeedGenerator)
    assert serialized == reserialized


def test_unknown_builtin_class_raises_naming_it():
    config = {"module": "keras.initializers", "class_name": "NoSuchInit", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match="Could not locate class 'NoSuchInit'"):
        saving.deserialize_keras_object(config)
    config = {"module": "keras.no_such_module", "class_name": "Thing", "config": {}, "registered_name": None}
    with pytest.raises(TypeError, match="Thing.*keras.no_such_module cannot be imported"):
        saving.deserialize_keras_object(config)


def test_non_class_attribute_of_a_keras_module_is_refused():
    config = {"module": "keras.initializers", "class_name": "get", "config": {}, "registered_name": None}
    with pytest.raises(ValueError, match="keras.initializers.get"):
        saving.deserialize_keras_object(config)


def test_unregistered_custom_class():
    serialized = saving.serialize_keras_object(Scale(2))
    assert serialized == {
        "module": __name__,
        "class_name": "Scale",
        "config": {"factor": 2},
        "registered_name": "Scale",
    }
    restored = saving.deserialize_keras_object(serialized, custom_objects={"Scale": Scale})
    assert isinstance(restored, Scale) and restored.factor == 2
    with saving.custom_object_scope({"Scale": Scale}):
        assert saving.deserialize_keras_object(serialized).factor == 2
    # Modules outside keras/lamina are never imported: the class must be registered or given.
    with pytest.raises(TypeError, match="Could not locate class 'Scale'"):
        saving.deserialize_keras_object(serialized)


def test_registered_custom_class_round_trip():
    @saving.register_keras_serializable("my_package")
    class Offset(Scale):
        pass

    serialized, restored, reserialized = roundtrip(Offset(3))
    assert serialized == {
        "module": __name__,
        "class_name": "Offset",
        "config": {"factor": 3},
        "registered_name": "my_package>Offset",
    }
    assert type(restored) is Offset and restored.factor == 3
    assert serialized == reserialized


def test_custom_class_with_nested_builtin():
    @saving.register_keras_serializable("my_package")
    class Holder:
        def __init__(self, init):
            self.init = initializers.get(init)

        def get_config(self):
            return {"init": initializers.serialize(self.init)}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    serialized, restored, reserialized = roundtrip(Holder(initializers.HeNormal(seed=4)))
    assert serialized["config"]["init"]["module"] == "keras.initializers"
    assert isinstance(restored.init, initializers.HeNormal) and restored.init.seed == 4
    assert serialized == reserialized


def test_build_and_compile_configs():
    @saving.register_keras_serializable("my_package")
    class Buildable(Scale):
        built = False

        def get_build_config(self):
            return {"input_shape": (None, 3)} if self.built else None

        def build_from_config(self, config):
            self.built_with = config

        def get_compile_config(self):
            return {"optimizer": "sgd"}

        def compile_from_config(self, config):
            self.compiled_with = config

    obj = Buildable(1)
    assert "build_config" not in saving.serialize_keras_object(obj)
    obj.built = True
    serialized = saving.serialize_keras_object(obj)
    assert serialized["build_config"] == {"input_shape": (None, 3)}
    assert serialized["compile_config"] == {"optimizer": "sgd"}
    restored = saving.deserialize_keras_object(json.loads(json.dumps(serialized)))
    assert restored.built and restored.built_with == {"input_shape": [None, 3]}
    assert restored.compiled and restored.compiled_with == {"optimizer": "sgd"}


def test_bad_get_config_and_unserializable_objects():
    class BadConfig:
        def get_config(self):
            return [1, 2]

    with pytest.raises(TypeError, match="should return a dict"):
        saving.serialize_keras_object(BadConfig())
    with pytest.raises(TypeError, match="Cannot serialize object"):
        saving.serialize_keras_object(object())


def test_from_config_type_error_is_explained():
    class Strict(Scale):
        @classmethod
        def from_config(cls, config):
            return cls()  # missing argument

    serialized = saving.serialize_keras_object(Strict(1))
    with pytest.raises(TypeError, match="could not be deserialized properly"):
        saving.deserialize_keras_object(serialized, custom_objects={"Strict": Strict})


def test_dict_without_class_name_is_deserialized_value_by_value():
    config = {"a": saving.serialize_keras_object(initializers.Ones()), "b": 2}
    restored = saving.deserialize_keras_object(config)
    assert isinstance(restored["a"], initializers.Ones) and restored["b"] == 2


def test_object_sharing_scope():
    shared = Scale(2)
    with serialization_lib.ObjectSharingScope():
        serialized = saving.serialize_keras_object([shared, shared])
    assert serialized[0]["shared_object_id"] == serialized[1]["shared_object_id"]
    with serialization_lib.ObjectSharingScope():
        restored = saving.deserialize_keras_object(serialized, custom_objects={"Scale": Scale})
    assert restored[0] is restored[1]
    restored = saving.deserialize_keras_object(serialized, custom_objects={"Scale": Scale})
    assert restored[0] is not restored[1]
