"""Interoperability with Keras 3: `.keras` and `.weights.h5` files written by lamina load in
Keras 3 (numpy backend, run in a subprocess so its import does not leak into this process) and
predict the same values, and files written by Keras 3 load in lamina and predict the same
values — for Sequential, functional and subclassed models of lamina's layers and for registered
custom layers.

The models are built by one source (`CASES`), executed with ``K = keras`` in the Keras
subprocess and with ``K = lamina`` here.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap
import zipfile

import h5py
import numpy as np
import pytest


def _keras_importable():
    """Whether Keras 3 imports with its numpy backend (checked in a subprocess, so that Keras
    is never imported into the test process)."""
    import importlib.util

    if importlib.util.find_spec("keras") is None:
        return False
    env = dict(os.environ, KERAS_BACKEND="numpy")
    check = subprocess.run([sys.executable, "-c", "import keras; assert keras.__version__[0] == '3'"],
                           capture_output=True, env=env, timeout=120)
    return check.returncode == 0


if not _keras_importable():
    pytest.skip("Keras 3 (numpy backend) is not importable", allow_module_level=True)

import _seed_layers  # noqa: E402
import lamina  # noqa: E402

# ----------------------------------------------------------------------------------------------
# The models, written once for both libraries (K is `keras` or `lamina`).
# ----------------------------------------------------------------------------------------------

# `define_seed_layers` (tests/_seed_layers.py) travels with them, as source.
CASES = inspect.getsource(_seed_layers) + textwrap.dedent('''
    import numpy as np


    def define_custom(K):
        """The seeds' custom layers (`_seed_layers`) and a subclassed model, registered under
        "interop"."""
        SimpleDense, MLPBlock = define_seed_layers(K, package="interop", bias_initializer="zeros",
                                                   block_units=(8, 6, 5, 4))

        @K.saving.register_keras_serializable(package="interop")
        class SubclassedModel(K.Model):
            def __init__(self, hidden=7, **kwargs):
                super().__init__(**kwargs)
                self.hidden = hidden
                self.block = MLPBlock()
                self.head = K.layers.Dense(hidden, activation="tanh")
                self.z_out = K.layers.Dense(2)

            def call(self, inputs):
                return self.z_out(self.head(self.block(inputs)))

            def get_config(self):
                config = super().get_config()
                config["hidden"] = self.hidden
                return config

        return {"SimpleDense": SimpleDense, "MLPBlock": MLPBlock,
                "SubclassedModel": SubclassedModel}


    def build_case(K, name, custom):
        L = K.layers
        if name == "mlp_sequential":
            return K.Sequential([
                K.Input((8,)), L.Dense(16, activation="relu"), L.Dropout(0.3),
                L.Dense(12, activation="tanh", kernel_regularizer="l2"), L.BatchNormalization(),
                L.LayerNormalization(), L.Dense(6, activation="sigmoid"), L.Dense(4),
                L.Softmax(),
            ], name="mlp")
        if name == "functional_merge":
            a = K.Input((6,), name="a")
            b = K.Input((6,), name="b")
            da = L.Dense(5, activation="softplus")(a)
            db = L.Dense(5, activation="swish")(b)
            merged = [L.Add()([da, db]), L.Subtract()([da, db]), L.Multiply()([da, db]),
                      L.Average()([da, db]), L.Maximum()([da, db]), L.Minimum()([da, db])]
            x = L.Concatenate()(merged)
            x = L.ReLU(max_value=2.0)(x)
            x = L.LeakyReLU(negative_slope=0.2)(L.Dense(6)(x))
            x = L.ELU()(x)
            x = L.PReLU()(x)
            x = L.Activation("elu")(x)
            d = L.Dot(axes=1)([x, L.Dense(6, activation="selu")(da)])
            out = L.Concatenate()([L.Dense(3, activation="softmax")(x), d])
            return K.Model([a, b], out, name="merge")
        if name == "reshaping":
            inputs = K.Input((4, 6))
            x = L.Permute((2, 1))(inputs)
            x = L.Reshape((3, 8))(x)
            x = L.ZeroPadding1D(1)(x)
            x = L.Cropping1D((1, 0))(x)
            x = L.UpSampling1D(2)(x)
            x = L.SpatialDropout1D(0.2)(x)
            x = L.Flatten()(x)
            x = L.Dense(5)(x)
            x = L.RepeatVector(2)(x)
            x = L.Flatten()(x)
            return K.Model(inputs, L.Dense(3)(x))
        if name == "image":
            inputs = K.Input((4, 4, 2))
            x = L.ZeroPadding2D(1)(inputs)
            x = L.Cropping2D(((1, 0), (0, 1)))(x)
            x = L.UpSampling2D(2)(x)
            x = L.SpatialDropout2D(0.2)(x)
            x = L.BatchNormalization(axis=-1)(x)
            x = L.Flatten()(x)
            return K.Model(inputs, L.Dense(3, activation="sigmoid")(x))
        if name == "embedding":
            tokens = K.Input((5,), dtype="int32")
            x = L.Embedding(10, 4)(tokens)
            x = L.EinsumDense("abc,cd->abd", output_shape=(5, 4), bias_axes="d")(x)
            x = L.GroupNormalization(groups=2)(x)
            x = L.UnitNormalization()(x)
            x = L.Identity()(x)
            x = L.GaussianNoise(0.1)(x)
            x = L.GaussianDropout(0.1)(x)
            x = L.AlphaDropout(0.1)(x)
            x = L.ActivityRegularization(l1=0.01)(x)
            x = L.Flatten()(x)
            x = L.Masking(mask_value=0.0)(x)
            return K.Model(tokens, L.Dense(2)(x))
        if name == "custom_functional":
            inputs = K.Input((6,))
            x = L.Dense(6, activation="relu")(inputs)
            x = custom["MLPBlock"]()(x)
            return K.Model(inputs, custom["SimpleDense"](3)(x))
        if name == "custom_sequential":
            return K.Sequential([K.Input((6,)), custom["SimpleDense"](6), custom["MLPBlock"](),
                                 L.Dense(2)])
        if name == "subclassed":
            model = custom["SubclassedModel"](hidden=7)
            model(np.zeros((2, 6), "float32"))
            return model
        if name == "compiled":
            model = K.Sequential([K.Input((3,)), L.Dense(4, activation="relu"), L.Dense(1)])
            model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss="mse",
                          metrics=["mae"])
            return model
        raise ValueError(name)


    def randomize(model, seed):
        """Sets every weight to seeded random values (variances kept positive)."""
        rng = np.random.default_rng(seed)
        for v in model.weights:
            value = rng.standard_normal(tuple(v.shape)).astype("float32") * 0.5
            if "variance" in v.path:
                value = np.abs(value) + 0.5
            v.assign(value)


    def inputs_for(name, seed):
        rng = np.random.default_rng(seed)
        if name == "functional_merge":
            return [rng.standard_normal((4, 6)).astype("float32"),
                    rng.standard_normal((4, 6)).astype("float32")]
        if name == "reshaping":
            return rng.standard_normal((4, 4, 6)).astype("float32")
        if name == "image":
            return rng.standard_normal((4, 4, 4, 2)).astype("float32")
        if name == "embedding":
            return rng.integers(0, 10, size=(4, 5)).astype("int32")
        if name == "mlp_sequential":
            return rng.standard_normal((4, 8)).astype("float32")
        if name == "compiled":
            return rng.standard_normal((4, 3)).astype("float32")
        return rng.standard_normal((4, 6)).astype("float32")
''')

CASE_NAMES = ["mlp_sequential", "functional_merge", "reshaping", "image", "embedding",
              "custom_functional", "custom_sequential", "subclassed", "compiled"]

# The Keras side: builds/saves or loads/predicts the cases listed in a JSON job file.
KERAS_RUNNER = textwrap.dedent('''
    import json, os, sys, traceback
    os.environ["KERAS_BACKEND"] = "numpy"
    import numpy as np
    import keras

    job = json.load(open(sys.argv[1]))
    namespace = {}
    exec(open(job["cases"]).read(), namespace)
    custom = namespace["define_custom"](keras)
    out = {}

    def run_case(name):
        folder = job["folder"]
        x = namespace["inputs_for"](name, 3)
        if job["mode"] == "save":
            model = namespace["build_case"](keras, name, custom)
            namespace["randomize"](model, 11)
            model.save(os.path.join(folder, f"{name}.keras"))
            model.save_weights(os.path.join(folder, f"{name}.weights.h5"))
            if name == "mlp_sequential":
                model.save_weights(os.path.join(folder, "sharded.weights.json"),
                                   max_shard_size=1e-6)
            y = model(x, training=False)
        else:
            model = keras.saving.load_model(os.path.join(folder, f"{name}.keras"))
            y = model(x, training=False)
            twin = namespace["build_case"](keras, name, custom)
            twin.load_weights(os.path.join(folder, f"{name}.weights.h5"))
            out[f"{name}__weights"] = np.asarray(twin(x, training=False))
            if name == "mlp_sequential":
                twin.load_weights(os.path.join(folder, "sharded.weights.json"))
                out[f"{name}__sharded"] = np.asarray(twin(x, training=False))
            out[f"{name}__class"] = np.array(type(model).__name__)
            if getattr(model, "optimizer", None) is not None and getattr(model, "compiled", False):
                out[f"{name}__optimizer"] = np.array(type(model.optimizer).__name__)
                out[f"{name}__loss"] = np.array(str(model.loss))
                for i, v in enumerate(model.optimizer.variables):
                    out[f"{name}__optvar_{i}"] = np.asarray(v)
        out[name] = np.asarray(y)

    for name in job["names"]:
        try:
            run_case(name)
        except Exception:
            out[f"{name}__error"] = np.array(traceback.format_exc())
    np.savez(os.path.join(job["folder"], "keras_out.npz"), **out)
''')


def _run_keras(tmp_path, mode, names):
    cases = tmp_path / "cases.py"
    cases.write_text(CASES)
    runner = tmp_path / "runner.py"
    runner.write_text(KERAS_RUNNER)
    job = tmp_path / f"job_{mode}.json"
    job.write_text(json.dumps({"mode": mode, "names": names, "folder": str(tmp_path),
                               "cases": str(cases)}))
    env = dict(os.environ, KERAS_BACKEND="numpy")
    result = subprocess.run([sys.executable, str(runner), str(job)], capture_output=True,
                            text=True, env=env, timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"Keras subprocess failed:\n{result.stdout}\n{result.stderr}")
    with np.load(tmp_path / "keras_out.npz") as data:
        return {k: data[k] for k in data.files}


_namespace = {}
exec(CASES, _namespace)
_CUSTOM = _namespace["define_custom"](lamina)


def _keras_result(keras_out, name, key=None):
    """The Keras side's output for a case (failing the test with Keras' traceback when the
    case failed there)."""
    if f"{name}__error" in keras_out:
        pytest.fail(f"Keras 3 failed on case {name!r}:\n{keras_out[f'{name}__error']}")
    return keras_out[key or name]


def _lamina_model(name):
    model = _namespace["build_case"](lamina, name, _CUSTOM)
    _namespace["randomize"](model, 11)
    return model


def _predict(model, x):
    return np.asarray(model(x, training=False))


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory):
    """The cases built and saved by Keras 3, with its predictions."""
    folder = tmp_path_factory.mktemp("keras_written")
    return folder, _run_keras(folder, "save", CASE_NAMES)


@pytest.fixture(scope="module")
def lamina_files(tmp_path_factory):
    """The cases built and saved by lamina, loaded and run by Keras 3."""
    folder = tmp_path_factory.mktemp("lamina_written")
    expected = {}
    optimizer_state = None
    for name in CASE_NAMES:
        model = _lamina_model(name)
        if name == "compiled":
            # Train a little so the optimizer has state (Keras' numpy backend cannot train).
            rng = np.random.default_rng(0)
            model.fit(rng.standard_normal((8, 3)).astype("float32"),
                      rng.standard_normal((8, 1)).astype("float32"), epochs=2, batch_size=4,
                      verbose=0)
            optimizer_state = [np.asarray(v) for v in model.optimizer.variables]
        model.save(folder / f"{name}.keras")
        model.save_weights(folder / f"{name}.weights.h5")
        if name == "mlp_sequential":
            model.save_weights(folder / "sharded.weights.json", max_shard_size=1e-6)
        expected[name] = _predict(model, _namespace["inputs_for"](name, 3))
    expected["compiled__optimizer_state"] = optimizer_state
    return folder, expected, _run_keras(folder, "load", CASE_NAMES)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_keras_written_keras_file_loads_in_lamina(keras_files, name):
    folder, keras_out = keras_files
    x = _namespace["inputs_for"](name, 3)
    expected = _keras_result(keras_out, name)
    model = lamina.saving.load_model(folder / f"{name}.keras")
    np.testing.assert_allclose(_predict(model, x), expected, rtol=1e-5, atol=1e-5)
    if name == "compiled":
        assert model.compiled and type(model.optimizer).__name__ == "Adam"
        assert float(np.asarray(model.optimizer.learning_rate)) == pytest.approx(0.01)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_keras_written_weights_load_in_lamina(keras_files, name):
    folder, keras_out = keras_files
    x = _namespace["inputs_for"](name, 3)
    expected = _keras_result(keras_out, name)
    model = _namespace["build_case"](lamina, name, _CUSTOM)
    model.load_weights(folder / f"{name}.weights.h5")
    np.testing.assert_allclose(_predict(model, x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_lamina_written_keras_file_loads_in_keras(lamina_files, name):
    folder, expected, keras_out = lamina_files
    np.testing.assert_allclose(_keras_result(keras_out, name), expected[name], rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(keras_out[f"{name}__weights"], expected[name], rtol=1e-5,
                               atol=1e-5)
    if name == "subclassed":
        assert str(keras_out[f"{name}__class"]) == "SubclassedModel"
    if name == "compiled":
        assert str(keras_out[f"{name}__optimizer"]) == "Adam"
        assert str(keras_out[f"{name}__loss"]) == "mse"
        # Keras restored the optimizer state lamina saved: iterations, learning rate, moments.
        state = expected["compiled__optimizer_state"]
        keras_state = [keras_out[f"compiled__optvar_{i}"] for i in range(len(state))]
        assert f"compiled__optvar_{len(state)}" not in keras_out
        assert int(keras_state[0]) == int(state[0]) == 4
        for mine, theirs in zip(state, keras_state):
            np.testing.assert_allclose(theirs, mine, rtol=1e-6)


def test_sharded_weights_both_ways(keras_files, lamina_files):
    keras_folder, keras_out = keras_files
    _keras_result(keras_out, "mlp_sequential")
    shards = sorted(p.name for p in keras_folder.glob("sharded_*.weights.h5"))
    assert len(shards) > 1
    model = _namespace["build_case"](lamina, "mlp_sequential", _CUSTOM)
    model.load_weights(keras_folder / "sharded.weights.json")
    x = _namespace["inputs_for"]("mlp_sequential", 3)
    np.testing.assert_allclose(_predict(model, x), keras_out["mlp_sequential"], rtol=1e-5,
                               atol=1e-5)
    folder, expected, lamina_out = lamina_files
    assert sorted(p.name for p in folder.glob("sharded_*.weights.h5")) == shards
    assert json.loads((folder / "sharded.weights.json").read_text())["weight_map"].keys() == \
        json.loads((keras_folder / "sharded.weights.json").read_text())["weight_map"].keys()
    np.testing.assert_allclose(_keras_result(lamina_out, "mlp_sequential", "mlp_sequential__sharded"),
                               expected["mlp_sequential"], rtol=1e-5, atol=1e-5)


def _h5_layout(path):
    layout = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: layout.__setitem__(n, getattr(o, "shape", None)))
    return layout


@pytest.mark.parametrize("name", CASE_NAMES)
def test_same_weights_layout_as_keras(keras_files, lamina_files, name):
    """lamina writes the very groups and datasets Keras 3 writes for the same model."""
    keras_layout = _h5_layout(keras_files[0] / f"{name}.weights.h5")
    lamina_layout = _h5_layout(lamina_files[0] / f"{name}.weights.h5")
    if name == "compiled":
        # Keras (numpy backend) cannot train, so its optimizer is never built: compare layers.
        keras_layout = {k: v for k, v in keras_layout.items() if not k.startswith("optimizer")}
        lamina_layout = {k: v for k, v in lamina_layout.items() if not k.startswith("optimizer")}
    assert lamina_layout == keras_layout


def test_keras_config_schema_matches(keras_files, lamina_files):
    """The config.json of a lamina file has Keras' keys for the model and each layer."""
    for name in ("mlp_sequential", "functional_merge"):
        with zipfile.ZipFile(keras_files[0] / f"{name}.keras") as zf:
            keras_config = json.loads(zf.read("config.json"))
        with zipfile.ZipFile(lamina_files[0] / f"{name}.keras") as zf:
            lamina_config = json.loads(zf.read("config.json"))
        assert lamina_config["class_name"] == keras_config["class_name"]
        assert lamina_config["module"] == keras_config["module"]
        assert set(lamina_config) == set(keras_config)
        for kl, ll in zip(keras_config["config"]["layers"], lamina_config["config"]["layers"]):
            assert ll["class_name"] == kl["class_name"] and ll["module"] == kl["module"]
