"""lamina.initializers: values, statistics, seeding, get/serialize/deserialize (Keras 3 behaviour)."""

import json
import math

import numpy as np
import pytest

import lamina
from lamina import initializers
from lamina import ops
from lamina import saving
from lamina.initializers.random_initializers import compute_fans

SHAPE = (200, 300)  # 60k samples: mean/std within a few percent
TRUNC_STD = 0.87962566103423978  # std of the unit normal truncated to [-2, 2]


def np_(x):
    assert isinstance(x, lamina.Tensor)
    return np.asarray(x)


@pytest.fixture
def floatx64():
    old = lamina.config.floatx()
    lamina.config.set_floatx("float64")
    yield
    lamina.config.set_floatx(old)


# ----------------------------------------------------------------------------------------------
# Names, aliases, get
# ----------------------------------------------------------------------------------------------

KERAS_NAMES = [
    ("Constant", initializers.Constant), ("constant", initializers.Constant),
    ("Identity", initializers.Identity), ("identity", initializers.Identity),
    ("IdentityInitializer", initializers.Identity),
    ("Ones", initializers.Ones), ("ones", initializers.Ones), ("one", initializers.Ones),
    ("Zeros", initializers.Zeros), ("zeros", initializers.Zeros), ("zero", initializers.Zeros),
    ("GlorotNormal", initializers.GlorotNormal), ("glorot_normal", initializers.GlorotNormal),
    ("GlorotUniform", initializers.GlorotUniform), ("glorot_uniform", initializers.GlorotUniform),
    ("HeNormal", initializers.HeNormal), ("he_normal", initializers.HeNormal),
    ("HeUniform", initializers.HeUniform), ("he_uniform", initializers.HeUniform),
    ("LecunNormal", initializers.LecunNormal), ("lecun_normal", initializers.LecunNormal),
    ("LecunUniform", initializers.LecunUniform), ("lecun_uniform", initializers.LecunUniform),
    ("Orthogonal", initializers.Orthogonal), ("orthogonal", initializers.Orthogonal),
    ("OrthogonalInitializer", initializers.Orthogonal),
    ("RandomNormal", initializers.RandomNormal), ("random_normal", initializers.RandomNormal),
    ("normal", initializers.RandomNormal),
    ("RandomUniform", initializers.RandomUniform), ("random_uniform", initializers.RandomUniform),
    ("uniform", initializers.RandomUniform),
    ("TruncatedNormal", initializers.TruncatedNormal), ("truncated_normal", initializers.TruncatedNormal),
    ("VarianceScaling", initializers.VarianceScaling), ("variance_scaling", initializers.VarianceScaling),
]


@pytest.mark.parametrize("name,cls", KERAS_NAMES)
def test_get_by_name(name, cls):
    obj = initializers.get(name)
    assert type(obj) is cls


def test_lowercase_aliases_are_the_classes():
    pairs = {
        "constant": "Constant", "identity": "Identity", "IdentityInitializer": "Identity",
        "ones": "Ones", "zeros": "Zeros", "glorot_normal": "GlorotNormal",
        "glorot_uniform": "GlorotUniform", "he_normal": "HeNormal", "he_uniform": "HeUniform",
        "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform", "orthogonal": "Orthogonal",
        "OrthogonalInitializer": "Orthogonal", "random_normal": "RandomNormal",
        "random_uniform": "RandomUniform", "truncated_normal": "TruncatedNormal",
        "variance_scaling": "VarianceScaling",
    }
    for alias, name in pairs.items():
        assert getattr(initializers, alias) is getattr(initializers, name)
    assert lamina.Initializer is initializers.Initializer
    for cls in set(dict(KERAS_NAMES).values()):
        assert issubclass(cls, initializers.Initializer)


def test_get_other_identifiers():
    assert initializers.get(None) is None
    inst = initializers.RandomNormal(seed=1)
    assert initializers.get(inst) is inst
    assert type(initializers.get(initializers.HeUniform)) is initializers.HeUniform

    def my_init(shape, dtype=None):
        return ops.ones(shape, dtype=dtype)

    assert initializers.get(my_init) is my_init
    obj = initializers.get({"class_name": "RandomUniform", "config": {"minval": 0.0, "maxval": 2.0, "seed": 5}})
    assert type(obj) is initializers.RandomUniform and (obj.minval, obj.maxval, obj.seed) == (0.0, 2.0, 5)
    obj = initializers.get({"module": "keras.initializers", "class_name": "Constant", "config": {"value": 3.0},
                            "registered_name": None})
    assert type(obj) is initializers.Constant and obj.value == 3.0


def test_get_tensor_or_array_identifier():
    values = np.arange(6, dtype="float64").reshape(2, 3)
    for ident in [values, ops.convert_to_tensor(values)]:
        fn = initializers.get(ident)
        out = fn((2, 3))
        assert out.dtype == "float32"
        np.testing.assert_array_equal(np_(out), values.astype("float32"))
        assert fn((2, 3), dtype="float64").dtype == "float64"
        with pytest.raises(ValueError, match="Expected `shape` to be"):
            fn((3, 2))


@pytest.mark.parametrize("bad", ["no_such_initializer", "glorotuniform", 3, [1, 2]])
def test_get_unknown_identifier(bad):
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: "):
        initializers.get(bad)


def test_get_unknown_dict_class():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        initializers.get({"class_name": "NoSuch", "config": {}})


# ----------------------------------------------------------------------------------------------
# Serialization
# ----------------------------------------------------------------------------------------------

# Keras 3.15 writes the fan axes of VarianceScaling-family initializers (None: the default).
_AXES = {"input_axes": None, "output_axes": None}

SERIALIZED = [
    (initializers.Zeros(), "Zeros", {}),
    (initializers.Ones(), "Ones", {}),
    (initializers.Constant(2.5), "Constant", {"value": 2.5}),
    (initializers.Identity(gain=2.0), "Identity", {"gain": 2.0}),
    (initializers.RandomNormal(mean=1.0, stddev=2.0, seed=3), "RandomNormal", {"seed": 3, "mean": 1.0, "stddev": 2.0}),
    (initializers.RandomUniform(seed=4), "RandomUniform", {"seed": 4, "minval": -0.05, "maxval": 0.05}),
    (initializers.TruncatedNormal(seed=5), "TruncatedNormal", {"seed": 5, "mean": 0.0, "stddev": 0.05}),
    (initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=6), "VarianceScaling",
     {"seed": 6, "scale": 2.0, "mode": "fan_out", "distribution": "uniform", **_AXES}),
    (initializers.GlorotUniform(seed=1), "GlorotUniform", {"seed": 1, **_AXES}),
    (initializers.GlorotNormal(), "GlorotNormal", {"seed": None, **_AXES}),
    (initializers.HeNormal(seed=2), "HeNormal", {"seed": 2, **_AXES}),
    (initializers.HeUniform(seed=2), "HeUniform", {"seed": 2, **_AXES}),
    (initializers.LecunNormal(seed=2), "LecunNormal", {"seed": 2, **_AXES}),
    (initializers.LecunUniform(seed=2), "LecunUniform", {"seed": 2, **_AXES}),
    (initializers.Orthogonal(gain=0.5, seed=7), "Orthogonal", {"seed": 7, "gain": 0.5}),
]


@pytest.mark.parametrize("obj,class_name,config", SERIALIZED, ids=[s[1] for s in SERIALIZED])
def test_serialize_exact_dict_and_round_trip(obj, class_name, config):
    expected = {"module": "keras.initializers", "class_name": class_name, "config": config, "registered_name": None}
    assert initializers.serialize(obj) == expected
    assert saving.serialize_keras_object(obj) == expected
    restored = initializers.deserialize(json.loads(json.dumps(expected)))
    assert type(restored) is type(obj)
    assert restored.get_config() == obj.get_config()
    lamina_module = dict(expected, module="lamina.initializers")
    assert type(initializers.deserialize(lamina_module)) is type(obj)
    clone = obj.clone()
    assert type(clone) is type(obj) and clone is not obj and clone.get_config() == obj.get_config()


def test_deserialize_names_and_custom_objects():
    assert type(initializers.deserialize("he_normal")) is initializers.HeNormal
    assert initializers.deserialize("no_such_name") == "no_such_name"  # get() turns it into the error
    assert type(initializers.deserialize({"class_name": "he_normal", "config": {"seed": 1}})) is initializers.HeNormal

    class Twos(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return ops.full(shape, 2.0, dtype=dtype)

    config = initializers.serialize(Twos())
    assert config["registered_name"] == "Twos"
    assert type(initializers.deserialize(config, custom_objects={"Twos": Twos})) is Twos
    with saving.custom_object_scope({"Twos": Twos}):
        assert type(initializers.get(config)) is Twos
        assert type(initializers.get("Twos")) is Twos


def test_registered_custom_initializer():
    registry = dict(saving.get_custom_objects())
    try:
        @saving.register_keras_serializable("test_pkg")
        class Threes(initializers.Initializer):
            def __call__(self, shape, dtype=None):
                return ops.full(shape, 3.0, dtype=dtype)

        config = json.loads(json.dumps(initializers.serialize(Threes())))
        assert config["registered_name"] == "test_pkg>Threes"
        obj = initializers.get(config)
        assert type(obj) is Threes
        np.testing.assert_array_equal(np_(obj((2,))), [3.0, 3.0])
    finally:
        saving.get_custom_objects().clear()
        saving.get_custom_objects().update(registry)


def test_seed_generator_in_config_round_trip():
    init = initializers.RandomUniform(seed=lamina.random.SeedGenerator(9))
    config = json.loads(json.dumps(initializers.serialize(init)))
    restored = initializers.deserialize(config)
    assert isinstance(restored.seed, lamina.random.SeedGenerator)
    np.testing.assert_array_equal(np_(init((5,))), np_(restored((5,))))


# ----------------------------------------------------------------------------------------------
# Constant initializers
# ----------------------------------------------------------------------------------------------


def test_zeros_ones_constant_values_and_dtypes():
    for init, value in [(initializers.Zeros(), 0), (initializers.Ones(), 1), (initializers.Constant(2.5), 2.5)]:
        out = init((2, 3))
        assert out.dtype == "float32" and out.shape == (2, 3)
        np.testing.assert_array_equal(np_(out), np.full((2, 3), value, "float32"))
        out = init([4], dtype="float64")
        assert out.dtype == "float64" and out.shape == (4,)
    assert initializers.Ones()((3,), dtype="int32").dtype == "int32"
    out = initializers.Constant(7)((2, 2), dtype="int64")
    assert out.dtype == "int64" and np_(out).tolist() == [[7, 7], [7, 7]]
    assert initializers.Zeros()(()).shape == ()


def test_default_dtype_follows_floatx(floatx64):
    assert initializers.Ones()((2,)).dtype == "float64"
    assert initializers.RandomNormal(seed=1)((2,)).dtype == "float64"
    assert initializers.GlorotUniform(seed=1)((2, 2)).dtype == "float64"
    assert initializers.Identity()((2, 2)).dtype == "float64"


def test_constant_config_with_numpy_value():
    init = initializers.Constant(np.float32(1.5))
    assert init.get_config() == {"value": 1.5}
    assert initializers.Constant.from_config({"value": 4.0}).value == 4.0
    assert initializers.get("constant").value == 0.0


def test_identity():
    out = initializers.Identity(gain=3.0)((3, 4))
    np.testing.assert_array_equal(np_(out), 3.0 * np.eye(3, 4, dtype="float32"))
    assert out.dtype == "float32"
    with pytest.raises(ValueError, match=r"Identity matrix initializer can only be used for 2D matrices. "
                                         r"Received: shape=\(2, 2, 2\) of rank 3."):
        initializers.Identity()((2, 2, 2))


def test_base_initializer():
    with pytest.raises(NotImplementedError, match="must implement the `__call__\\(\\)` method"):
        initializers.Initializer()((2,))
    assert initializers.Initializer().get_config() == {}


# ----------------------------------------------------------------------------------------------
# Random initializers: statistics
# ----------------------------------------------------------------------------------------------


def test_random_normal_statistics():
    x = np_(initializers.RandomNormal(mean=0.5, stddev=2.0, seed=1)(SHAPE))
    assert x.shape == SHAPE and x.dtype == np.float32
    assert abs(x.mean() - 0.5) < 0.05
    assert abs(x.std() - 2.0) < 0.04


def test_random_uniform_statistics():
    x = np_(initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=2)(SHAPE))
    assert x.min() >= -1.0 and x.max() < 3.0
    assert x.min() < -0.99 and x.max() > 2.99
    assert abs(x.mean() - 1.0) < 0.03
    assert abs(x.std() - 4.0 / math.sqrt(12.0)) < 0.03


def test_truncated_normal_statistics():
    x = np_(initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=3)(SHAPE))
    assert x.min() >= 0.0 and x.max() <= 2.0  # within two standard deviations
    assert abs(x.mean() - 1.0) < 0.01
    assert abs(x.std() - 0.5 * TRUNC_STD) < 0.01


def test_default_arguments():
    init = initializers.RandomNormal()
    assert (init.mean, init.stddev) == (0.0, 0.05)
    init = initializers.RandomUniform()
    assert (init.minval, init.maxval) == (-0.05, 0.05)
    init = initializers.TruncatedNormal()
    assert (init.mean, init.stddev) == (0.0, 0.05)
    init = initializers.VarianceScaling()
    assert (init.scale, init.mode, init.distribution) == (1.0, "fan_in", "truncated_normal")
    assert initializers.Orthogonal().gain == 1.0 and initializers.Identity().gain == 1.0
    assert initializers.Constant().value == 0.0


def test_compute_fans():
    assert compute_fans(()) == (1, 1)
    assert compute_fans((7,)) == (7, 7)
    assert compute_fans([3, 5]) == (3, 5)
    assert compute_fans((3, 3, 4, 8)) == (36, 72)
    assert compute_fans((2, 4, 6)) == (8, 12)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(mode, distribution):
    shape = (5, 5, 20, 60)  # fan_in 500, fan_out 1500
    n = {"fan_in": 500.0, "fan_out": 1500.0, "fan_avg": 1000.0}[mode]
    std = math.sqrt(2.0 / n)
    x = np_(initializers.VarianceScaling(scale=2.0, mode=mode, distribution=distribution, seed=4)(shape))
    assert x.shape == shape
    assert abs(x.mean()) < 0.02 * std * 10
    assert abs(x.std() - std) < 0.03 * std
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        assert np.abs(x).max() <= limit and np.abs(x).max() > 0.99 * limit
    elif distribution == "truncated_normal":
        assert np.abs(x).max() <= 2.0 * std / TRUNC_STD * (1 + 1e-6)


@pytest.mark.parametrize(
    "cls,scale,mode,uniform",
    [
        (initializers.GlorotUniform, 1.0, "fan_avg", True),
        (initializers.GlorotNormal, 1.0, "fan_avg", False),
        (initializers.HeUniform, 2.0, "fan_in", True),
        (initializers.HeNormal, 2.0, "fan_in", False),
        (initializers.LecunUniform, 1.0, "fan_in", True),
        (initializers.LecunNormal, 1.0, "fan_in", False),
    ],
)
def test_presets(cls, scale, mode, uniform):
    fan_in, fan_out = SHAPE
    n = fan_in if mode == "fan_in" else (fan_in + fan_out) / 2.0
    std = math.sqrt(scale / n)
    init = cls(seed=5)
    assert isinstance(init, initializers.VarianceScaling)
    assert (init.scale, init.mode) == (scale, mode)
    assert init.distribution == ("uniform" if uniform else "truncated_normal")
    x = np_(init(SHAPE))
    assert abs(x.std() - std) < 0.03 * std
    if uniform:  # e.g. Glorot: limit = sqrt(6 / (fan_in + fan_out))
        assert np.abs(x).max() <= math.sqrt(3.0) * std
    else:
        assert np.abs(x).max() <= 2.0 * std / TRUNC_STD * (1 + 1e-6)
    # Same draw as the general VarianceScaling with the same seed.
    general = initializers.VarianceScaling(scale, mode, "uniform" if uniform else "truncated_normal", seed=5)
    np.testing.assert_array_equal(x, np_(general(SHAPE)))


def test_variance_scaling_small_shapes():
    # Rank 0 and 1 shapes, and fans below 1, use n = max(1, fan).
    x = np_(initializers.VarianceScaling(scale=1.0, distribution="uniform", seed=1)((4,)))
    assert np.abs(x).max() <= math.sqrt(3.0 / 4.0)
    assert initializers.HeNormal(seed=1)(()).shape == ()
    x = np_(initializers.VarianceScaling(distribution="uniform", seed=1)((0, 3)))
    assert x.shape == (0, 3)


def test_variance_scaling_validation():
    with pytest.raises(ValueError, match="Argument `scale` must be positive float. Received: scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match="Argument `scale` must be positive float. Received: scale=-1.0"):
        initializers.VarianceScaling(scale=-1.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: fan_bad"):
        initializers.VarianceScaling(mode="fan_bad")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: poisson"):
        initializers.VarianceScaling(distribution="poisson")
    assert initializers.VarianceScaling(distribution="normal").distribution == "truncated_normal"
    assert initializers.VarianceScaling(distribution="UNIFORM").distribution == "uniform"


def test_random_dtypes():
    for dtype in ["float16", "float32", "float64"]:
        for init in [initializers.RandomNormal(seed=1), initializers.GlorotUniform(seed=1),
                     initializers.TruncatedNormal(seed=1)]:
            out = init((3, 4), dtype=dtype)
            assert out.dtype == dtype and out.shape == (3, 4)
    with pytest.raises(ValueError):
        initializers.RandomNormal(seed=1)((2,), dtype="int32")


# ----------------------------------------------------------------------------------------------
# Seeding (Keras 3 semantics)
# ----------------------------------------------------------------------------------------------

RANDOM_CLASSES = [
    initializers.RandomNormal, initializers.RandomUniform, initializers.TruncatedNormal,
    initializers.VarianceScaling, initializers.GlorotUniform, initializers.GlorotNormal,
    initializers.HeNormal, initializers.HeUniform, initializers.LecunNormal, initializers.LecunUniform,
]


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_int_seed_repeats(cls):
    a = cls(seed=42)
    first = np_(a((10, 8)))
    np.testing.assert_array_equal(first, np_(a((10, 8))))  # same values on every call
    np.testing.assert_array_equal(first, np_(cls(seed=42)((10, 8))))  # and across instances
    assert not np.array_equal(first, np_(cls(seed=43)((10, 8))))


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_unseeded_repeats_per_instance(cls):
    # Keras 3: "an initializer seeded with an integer or None (unseeded) will produce the same
    # random values across multiple calls"; two unseeded instances differ.
    a = cls()
    first = np_(a((10, 8)))
    np.testing.assert_array_equal(first, np_(a((10, 8))))
    assert not np.array_equal(first, np_(cls()((10, 8))))
    assert a.get_config()["seed"] is None


@pytest.mark.parametrize("cls", RANDOM_CLASSES)
def test_seed_generator_advances(cls):
    a = cls(seed=lamina.random.SeedGenerator(7))
    first, second = np_(a((10, 8))), np_(a((10, 8)))
    assert not np.array_equal(first, second)
    b = cls(seed=lamina.random.SeedGenerator(7))
    np.testing.assert_array_equal(first, np_(b((10, 8))))


def test_seeded_clone_gives_same_values():
    init = initializers.HeUniform(seed=3)
    np.testing.assert_array_equal(np_(init((4, 4))), np_(init.clone()((4, 4))))


@pytest.mark.parametrize("bad", ["1", 1.5, True, [1]])
def test_invalid_seed(bad):
    with pytest.raises(ValueError, match="`seed` argument should be an instance of"):
        initializers.RandomNormal(seed=bad)


# ----------------------------------------------------------------------------------------------
# Orthogonal (needs lamina.ops.qr)
# ----------------------------------------------------------------------------------------------


def _np_orthogonal(shape, seed, gain=1.0):
    """Keras' algorithm in numpy on the same normal draw."""
    rows = int(np.prod(shape[:-1]))
    cols = shape[-1]
    flat = (max(rows, cols), min(rows, cols))
    a = np_(lamina.random.normal(flat, seed=seed)).astype("float64")
    q, r = np.linalg.qr(a)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return gain * q.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 6), (8, 3), (3, 8), (2, 3, 5)])
def test_orthogonal_matches_reference_and_is_orthogonal(shape):
    out = initializers.Orthogonal(gain=1.5, seed=11)(shape)
    assert out.shape == shape and out.dtype == "float32"
    x = np_(out)
    np.testing.assert_allclose(x, _np_orthogonal(shape, 11, gain=1.5), atol=1e-5)
    m = x.reshape(-1, shape[-1])
    if m.shape[0] >= m.shape[1]:
        gram = m.T @ m  # orthogonal columns
    else:
        gram = m @ m.T  # orthogonal rows
    np.testing.assert_allclose(gram, 1.5**2 * np.eye(gram.shape[0]), atol=1e-4)


def test_orthogonal_seeding_and_dtype():
    init = initializers.Orthogonal(seed=3)
    np.testing.assert_array_equal(np_(init((4, 4))), np_(init((4, 4))))
    assert init((4, 4), dtype="float64").dtype == "float64"


def test_orthogonal_rank_validation():
    with pytest.raises(ValueError, match=r"at least two-dimensional. Received: shape=\(5,\) of rank 1."):
        initializers.Orthogonal()((5,))
