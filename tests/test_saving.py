"""Saving: the .keras zip and the .weights.h5 layout (Keras 3's), round trips with identical
predictions, optimizer state, to_json, pickling, atomic writes, and the errors for bad files."""

import copy
import io
import json
import os
import pickle
import stat
import warnings
import zipfile

import h5py
import numpy as np
import pytest

import lamina
from lamina import layers
from lamina import ops
from lamina.saving import archive
from lamina.saving import file_utils
from lamina.saving import h5_store
from lamina.saving import saving_lib
from lamina.saving import state_io

from _seed_layers import define_seed_layers

RNG = np.random.default_rng(7)


# ----------------------------------------------------------------------------------------------
# Custom layers (the seeds' SimpleDense / MLPBlock)
# ----------------------------------------------------------------------------------------------


SimpleDense, MLPBlock = define_seed_layers(lamina, package="test_saving",
                                           bias_initializer="random_normal", block_units=(8, 4, 3, 2))


def _x(*shape):
    return RNG.standard_normal(shape).astype("float32")


def _h5_tree(data):
    """{dataset path: shape} and {group path: name attr} of an HDF5 file's bytes or path."""
    source = io.BytesIO(data) if isinstance(data, bytes) else data
    datasets, names = {}, {}
    with h5py.File(source, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                datasets[name] = obj.shape
            elif "name" in obj.attrs:
                names[name] = obj.attrs["name"]
        f.visititems(visit)
    return datasets, names


def _listdir(path):
    return sorted(os.listdir(path))


def _built_block(x=None):
    block = MLPBlock()
    block(_x(3, 6) if x is None else x)
    # Non-trivial moving statistics.
    bn = block.extra[2]
    bn.moving_mean.assign(_x(2))
    bn.moving_variance.assign(np.abs(_x(2)) + 0.5)
    return block


# ----------------------------------------------------------------------------------------------
# Atomic writes
# ----------------------------------------------------------------------------------------------


def test_atomic_write_replaces_and_keeps_permissions(tmp_path):
    target = tmp_path / "f.txt"
    with file_utils.atomic_write(target, "w") as f:
        f.write("first")
    assert target.read_text() == "first"
    os.chmod(target, 0o640)
    with file_utils.atomic_write(str(target), "wb") as f:
        f.write(b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert _listdir(tmp_path) == ["f.txt"]
    # A new file gets the permissions `open()` would give it.
    with file_utils.atomic_write(tmp_path / "g.txt", "w") as f:
        f.write("x")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(os.stat(tmp_path / "g.txt").st_mode) == stat.S_IMODE(os.stat(plain).st_mode)


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_atomic_write_failure_keeps_old_file(tmp_path, error):
    target = tmp_path / "f.bin"
    target.write_bytes(b"old content")
    with pytest.raises(error):
        with file_utils.atomic_write(target) as f:
            f.write(b"half of the new")
            raise error("writer died")
    assert target.read_bytes() == b"old content"
    assert _listdir(tmp_path) == ["f.bin"]


def test_atomic_write_through_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "f.bin"
    target.write_bytes(b"old")
    link = tmp_path / "link.bin"
    os.symlink(target, link)
    with file_utils.atomic_write(link) as f:
        f.write(b"new")
    assert os.path.islink(link) and target.read_bytes() == b"new"
    assert _listdir(tmp_path / "real") == ["f.bin"]


def test_atomic_write_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        with file_utils.atomic_write(tmp_path / "missing" / "f.bin"):
            pass
    with pytest.raises(ValueError, match="mode"):
        with file_utils.atomic_write(tmp_path / "f.bin", "a"):
            pass


def test_atomic_directory_and_copy(tmp_path):
    target = tmp_path / "model"
    with file_utils.atomic_directory(target) as tmp:
        (open(os.path.join(tmp, "a"), "w")).write("1")
    assert _listdir(target) == ["a"]
    with pytest.raises(RuntimeError):
        with file_utils.atomic_directory(target) as tmp:
            open(os.path.join(tmp, "b"), "w").write("2")
            raise RuntimeError("boom")
    assert _listdir(target) == ["a"] and _listdir(tmp_path) == ["model"]
    with file_utils.atomic_directory(target) as tmp:
        open(os.path.join(tmp, "c"), "w").write("3")
    assert _listdir(target) == ["c"] and _listdir(tmp_path) == ["model"]
    file_utils.atomic_copy(target / "c", tmp_path / "copy")
    assert (tmp_path / "copy").read_text() == "3"


# ----------------------------------------------------------------------------------------------
# Keras 3's layout for a tree of layers
# ----------------------------------------------------------------------------------------------


def test_object_paths_follow_keras_walk():
    block = _built_block()
    paths = [(p, o.name) for p, o, _ in state_io.iter_saveables(block)]
    # Attributes in sorted order; list items under their snake_case class name.
    assert [p for p, _ in paths] == [
        "", "extra/simple_dense", "extra/dense", "extra/batch_normalization", "linear_1",
        "linear_2",
    ]
    assert paths[4][1] == block.linear_1.name


def test_layer_tree_keras_file_layout(tmp_path):
    block = _built_block()
    path = tmp_path / "block.keras"
    saving_lib.save_model(block, path)
    with zipfile.ZipFile(path) as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
        weights = zf.read("model.weights.h5")
    assert metadata["keras_version"].startswith("3.") and "date_saved" in metadata
    assert config["class_name"] == "MLPBlock"
    assert config["registered_name"] == "test_saving>MLPBlock"
    assert config["build_config"] == {"input_shape": [3, 6]}
    datasets, names = _h5_tree(weights)
    assert datasets == {
        "extra/simple_dense/vars/0": (4, 3), "extra/simple_dense/vars/1": (3,),
        "extra/dense/vars/0": (3, 2), "extra/dense/vars/1": (2,),
        "extra/batch_normalization/vars/0": (2,), "extra/batch_normalization/vars/1": (2,),
        "extra/batch_normalization/vars/2": (2,), "extra/batch_normalization/vars/3": (2,),
        "linear_1/vars/0": (6, 8), "linear_1/vars/1": (8,),
        "linear_2/vars/0": (8, 4), "linear_2/vars/1": (4,),
    }
    assert names["vars"] == block.name
    assert names["linear_1/vars"] == block.linear_1.name
    # Values in Keras' order: trainable (gamma, beta) then non-trainable (moving stats).
    with h5py.File(io.BytesIO(weights)) as f:
        bn = block.extra[2]
        np.testing.assert_array_equal(f["extra/batch_normalization/vars/2"][()], bn.moving_mean.numpy())
        np.testing.assert_array_equal(f["linear_1/vars/0"][()], block.linear_1.w.numpy())


def test_layer_tree_round_trip_identical(tmp_path):
    block = _built_block()
    x = _x(5, 6)
    expected = np.asarray(block(x))
    saving_lib.save_model(block, tmp_path / "b.keras")
    loaded = saving_lib.load_model(tmp_path / "b.keras")
    assert type(loaded) is MLPBlock and loaded.name == block.name
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)
    for a, b in zip(block.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_own_variables_of_one_layer():
    dense = layers.Dense(3)
    dense.build((None, 2))
    store = h5_store.DictStore()
    state_io.save_own_variables(dense, store.make("d"))
    assert store.variable_paths() == {"d": ["0", "1"]}
    other = layers.Dense(3)
    other.build((None, 2))
    state_io.load_own_variables(other, store.get("d"))
    np.testing.assert_array_equal(other.kernel.numpy(), dense.kernel.numpy())
    wider = layers.Dense(4)
    wider.build((None, 2))
    with pytest.raises(ValueError, match=r"vars/0 .*file shape \(2, 3\), model shape \(2, 4\)"):
        state_io.load_own_variables(wider, store.get("d"))


def test_save_weights_load_weights_layer_tree(tmp_path):
    block = _built_block()
    x = _x(4, 6)
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    other = _built_block()
    saving_lib.load_weights_only(other, tmp_path / "b.weights.h5")
    np.testing.assert_array_equal(np.asarray(other(x)), np.asarray(block(x)))
    assert _listdir(tmp_path) == ["b.weights.h5"]


def test_bfloat16_and_float16_stored_as_keras_does(tmp_path):
    layer = layers.Dense(3, dtype="bfloat16")
    layer.build((None, 2))
    layer.kernel.assign(np.array([[1.5, -2.0, 0.25], [3.0, 0.125, -1.0]], np.float32))
    half = layers.Dense(2, dtype="float16")
    half.build((None, 3))
    block = layers.Layer(name="holder")
    block.a = layer
    block.b = half
    block.built = True
    saving_lib.save_weights_only(block, tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5") as f:
        ds = f["a/vars/0"]
        assert ds.attrs["dtype"] == "bfloat16" and ds.dtype.kind == "V" and ds.dtype.itemsize == 2
        # The two bytes are the upper half of the float32 value (bfloat16's definition).
        raw = np.frombuffer(ds[()].tobytes(), np.uint16).reshape(2, 3)
        np.testing.assert_array_equal(raw, (layer.kernel.numpy().view(np.uint32) >> 16))
        assert f["b/vars/0"].dtype == np.float16
    fresh = layers.Layer(name="holder2")
    fresh.a = layers.Dense(3, dtype="bfloat16")
    fresh.a.build((None, 2))
    fresh.b = layers.Dense(2, dtype="float16")
    fresh.b.build((None, 3))
    fresh.built = True
    saving_lib.load_weights_only(fresh, tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(fresh.a.kernel.numpy(), layer.kernel.numpy())
    np.testing.assert_array_equal(fresh.b.kernel.numpy(), half.kernel.numpy())
    assert str(fresh.a.kernel.dtype) == "bfloat16"


def test_lora_kernel_saved_merged_and_factors_reset(tmp_path):
    layer = layers.Dense(3)
    layer.build((None, 4))
    layer.enable_lora(2)
    layer.lora_kernel_b.assign(_x(2, 3))
    x = _x(5, 4)
    expected = np.asarray(layer(x))
    holder = layers.Layer(name="lora_holder")
    holder.dense = layer
    holder.built = True
    saving_lib.save_weights_only(holder, tmp_path / "l.weights.h5")
    datasets, _ = _h5_tree(str(tmp_path / "l.weights.h5"))
    assert datasets == {"dense/vars/0": (4, 3), "dense/vars/1": (3,)}  # no LoRA factors
    merged = layer._kernel.numpy() + (layer.lora_alpha / layer.lora_rank) * (
        layer.lora_kernel_a.numpy() @ layer.lora_kernel_b.numpy())
    with h5py.File(tmp_path / "l.weights.h5") as f:
        np.testing.assert_allclose(f["dense/vars/0"][()], merged, rtol=1e-5, atol=1e-6)
    # Into a plain layer: the merged kernel.
    plain = layers.Layer(name="plain_holder")
    plain.dense = layers.Dense(3)
    plain.dense.build((None, 4))
    plain.built = True
    saving_lib.load_weights_only(plain, tmp_path / "l.weights.h5")
    np.testing.assert_allclose(np.asarray(plain.dense(x)), expected, rtol=1e-5, atol=1e-6)
    # Into a LoRA layer: kernel assigned, factors zeroed (as Keras does).
    lora = layers.Layer(name="lora_holder2")
    lora.dense = layers.Dense(3, lora_rank=2)
    lora.dense.build((None, 4))
    lora.built = True
    saving_lib.load_weights_only(lora, tmp_path / "l.weights.h5")
    assert not np.any(lora.dense.lora_kernel_b.numpy())
    np.testing.assert_allclose(np.asarray(lora.dense(x)), expected, rtol=1e-5, atol=1e-6)


def test_sharded_weights(tmp_path):
    block = _built_block()
    x = _x(2, 6)
    path = tmp_path / "s.weights.json"
    saving_lib.save_weights_only(block, path, max_shard_size=300 / 1024**3)
    files = _listdir(tmp_path)
    assert files[0] == "s.weights.json" and files[1:] == [
        f"s_{i:05}.weights.h5" for i in range(len(files) - 1)]
    assert len(files) > 2
    sharding = json.loads(path.read_text())
    assert sharding["metadata"]["total_size"] == sum(
        int(np.prod(v.shape)) * 4 for v in block.weights)
    assert set(sharding["weight_map"]) == {
        "/extra/simple_dense/vars", "/extra/dense/vars", "/extra/batch_normalization/vars",
        "/linear_1/vars", "/linear_2/vars"}
    other = _built_block()
    saving_lib.load_weights_only(other, path)
    np.testing.assert_array_equal(np.asarray(other(x)), np.asarray(block(x)))
    with pytest.raises(ValueError, match="exceeds the maximum shard size"):
        saving_lib.save_weights_only(block, tmp_path / "t.weights.json", max_shard_size=10 / 1024**3)


def test_assets_are_saved_and_loaded(tmp_path):
    @lamina.saving.register_keras_serializable(package="test_saving")
    class Vocab(layers.Layer):
        def __init__(self, words=None, **kwargs):
            super().__init__(**kwargs)
            self.words = list(words or [])

        def call(self, x):
            return x

        def save_assets(self, dir_path):
            with open(os.path.join(dir_path, "vocab.txt"), "w") as f:
                f.write("\n".join(self.words))

        def load_assets(self, dir_path):
            with open(os.path.join(dir_path, "vocab.txt")) as f:
                self.words = f.read().split("\n")

    layer = Vocab(["a", "b", "c"])
    layer.build((None, 1))
    saving_lib.save_model(layer, tmp_path / "v.keras")
    with zipfile.ZipFile(tmp_path / "v.keras") as zf:
        assert "assets/vocab.txt" in zf.namelist()
    layer.words = []
    with zipfile.ZipFile(tmp_path / "v.keras") as zf:
        assert zf.read("assets/vocab.txt") == b"a\nb\nc"
    loaded = saving_lib.load_model(tmp_path / "v.keras")
    assert loaded.words == ["a", "b", "c"]


# ----------------------------------------------------------------------------------------------
# Loading checks everything first
# ----------------------------------------------------------------------------------------------


def _mismatched_block():
    other = MLPBlock()
    other(_x(2, 5))  # linear_1 kernel (5, 8) instead of (6, 8)
    extra = layers.Dense(7)
    extra.build((None, 2))
    other.extra.append(extra)  # a layer the file does not have
    return other


def test_mismatch_reports_every_problem_and_loads_nothing(tmp_path):
    block = _built_block()
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    other = _mismatched_block()
    before = [v.numpy() for v in other.weights]
    with pytest.raises(ValueError) as info:
        saving_lib.load_weights_only(other, tmp_path / "b.weights.h5")
    message = str(info.value)
    assert "3 problems found; nothing was loaded" in message
    assert "b.weights.h5" in message
    assert "extra/dense_1/vars/0" in message and "shape (2, 7)" in message
    assert "extra/dense_1/vars/1" in message
    assert "linear_1/vars/0" in message
    assert "file shape (6, 8), model shape (5, 8)" in message
    for value, variable in zip(before, other.weights):
        np.testing.assert_array_equal(variable.numpy(), value)


def test_unexpected_weights_reported(tmp_path):
    block = _built_block()
    block.extra.append(layers.Dense(5))
    block.extra[-1].build((None, 2))
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    other = _built_block()
    with pytest.raises(ValueError) as info:
        saving_lib.load_weights_only(other, tmp_path / "b.weights.h5")
    message = str(info.value)
    assert "Weights in the file that the model does not have" in message
    assert "extra/dense_1/vars/0 (shape (2, 5); the model has no object at 'extra/dense_1')" in message


def test_skip_mismatch_loads_the_rest_with_a_warning(tmp_path):
    block = _built_block()
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    other = _mismatched_block()
    old_linear_1 = other.linear_1.w.numpy()
    with pytest.warns(UserWarning, match="these objects were skipped"):
        saving_lib.load_weights_only(other, tmp_path / "b.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.linear_2.w.numpy(), block.linear_2.w.numpy())
    np.testing.assert_array_equal(other.extra[2].moving_mean.numpy(),
                                  block.extra[2].moving_mean.numpy())
    np.testing.assert_array_equal(other.linear_1.w.numpy(), old_linear_1)  # skipped
    assert not np.array_equal(other.linear_1.b.numpy(), block.linear_1.b.numpy())


def test_custom_load_own_variables_failure_is_undone(tmp_path):
    @lamina.saving.register_keras_serializable(package="test_saving")
    class Picky(layers.Layer):
        def build(self, input_shape):
            self.v = self.add_weight(shape=(2,), initializer="ones", name="v")

        def call(self, x):
            return x

        def save_own_variables(self, store):
            store["value"] = self.v

        def load_own_variables(self, store):
            self.v.assign(store["value"])
            raise RuntimeError("refusing this store")

    holder = layers.Layer(name="picky_holder")
    holder.picky = Picky()
    holder.picky.build((None, 1))
    holder.picky.v.assign(np.array([3.0, 4.0], np.float32))
    holder.built = True
    saving_lib.save_weights_only(holder, tmp_path / "p.weights.h5")
    with h5py.File(tmp_path / "p.weights.h5") as f:
        assert list(f["picky/vars"]) == ["value"]
    fresh = layers.Layer(name="picky_holder2")
    fresh.picky = Picky()
    fresh.picky.build((None, 1))
    fresh.built = True
    with pytest.raises(ValueError, match="refusing this store"):
        saving_lib.load_weights_only(fresh, tmp_path / "p.weights.h5")
    np.testing.assert_array_equal(fresh.picky.v.numpy(), [1.0, 1.0])


def test_unbuilt_layer_keeps_weights_until_built(tmp_path):
    block = _built_block()
    x = _x(3, 6)
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    fresh = MLPBlock()
    saving_lib.load_weights_only(fresh, tmp_path / "b.weights.h5")
    assert saving_lib.has_deferred_weights(fresh)
    fresh(x)
    saving_lib.restore_deferred_weights(fresh)
    assert not saving_lib.has_deferred_weights(fresh)
    np.testing.assert_array_equal(np.asarray(fresh(x)), np.asarray(block(x)))


def test_deferred_weights_mismatch_raises_at_build(tmp_path):
    block = _built_block()
    saving_lib.save_weights_only(block, tmp_path / "b.weights.h5")
    fresh = MLPBlock()
    saving_lib.load_weights_only(fresh, tmp_path / "b.weights.h5")
    fresh(_x(2, 5))
    with pytest.raises(ValueError, match=r"linear_1/vars/0 .*file shape \(6, 8\), model shape \(5, 8\)"):
        saving_lib.restore_deferred_weights(fresh)


# ----------------------------------------------------------------------------------------------
# Writes are atomic
# ----------------------------------------------------------------------------------------------


class _FailingWrites:
    """Makes the HDF5 writer raise after `n` datasets."""

    def __init__(self, monkeypatch, n):
        self.count = 0
        original = h5_store.H5IOStore._write

        def write(store, path, key, value):
            self.count += 1
            if self.count > n:
                raise OSError("disk full (simulated)")
            return original(store, path, key, value)

        monkeypatch.setattr(h5_store.H5IOStore, "_write", write)


def test_failed_keras_save_keeps_old_file(tmp_path, monkeypatch):
    block = _built_block()
    path = tmp_path / "b.keras"
    saving_lib.save_model(block, path)
    old = path.read_bytes()
    changed = _built_block()
    _FailingWrites(monkeypatch, 3)
    with pytest.raises(OSError, match="disk full"):
        saving_lib.save_model(changed, path)
    assert path.read_bytes() == old
    assert _listdir(tmp_path) == ["b.keras"]
    monkeypatch.undo()
    loaded = saving_lib.load_model(path)
    x = _x(2, 6)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(block(x)))


def test_failed_weights_save_keeps_old_file(tmp_path, monkeypatch):
    block = _built_block()
    path = tmp_path / "b.weights.h5"
    saving_lib.save_weights_only(block, path)
    old = path.read_bytes()
    _FailingWrites(monkeypatch, 5)
    with pytest.raises(OSError, match="disk full"):
        saving_lib.save_weights_only(_built_block(), path)
    assert path.read_bytes() == old
    assert _listdir(tmp_path) == ["b.weights.h5"]


def test_failed_archive_write_keeps_old_file(tmp_path, monkeypatch):
    block = _built_block()
    path = tmp_path / "b.keras"
    saving_lib.save_model(block, path)
    old = path.read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # after the weights, before the central directory

    monkeypatch.setattr(archive, "_end_records", interrupted)
    with pytest.raises(KeyboardInterrupt):
        saving_lib.save_model(_built_block(), path)
    assert path.read_bytes() == old and _listdir(tmp_path) == ["b.keras"]


def test_archive_is_a_plain_zip_with_aligned_weights(tmp_path):
    block = _built_block()
    saving_lib.save_model(block, tmp_path / "b.keras")
    with zipfile.ZipFile(tmp_path / "b.keras") as zf:
        assert zf.testzip() is None
        info = zf.getinfo("model.weights.h5")
    raw = (tmp_path / "b.keras").read_bytes()
    name_len, extra_len = np.frombuffer(raw[info.header_offset + 26:info.header_offset + 30],
                                        dtype="<u2")
    data_offset = info.header_offset + 30 + int(name_len) + int(extra_len)
    assert data_offset >= 512 and data_offset & (data_offset - 1) == 0  # a power of two
    assert raw[data_offset:data_offset + 8] == b"\x89HDF\r\n\x1a\n"
    # The in-memory archive (pickling) is the same format.
    data = saving_lib.save_to_bytes(block)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]


def test_archive_zip64_records(tmp_path, monkeypatch):
    # Force the zip64 layout (used above 2 GiB) on a small archive: readers must accept it.
    monkeypatch.setattr(archive, "_ZIP64_LIMIT", 100)
    block = _built_block()
    x = _x(2, 6)
    saving_lib.save_model(block, tmp_path / "z.keras")
    with zipfile.ZipFile(tmp_path / "z.keras") as zf:
        assert zf.testzip() is None
        assert zf.getinfo("model.weights.h5").file_size > 100
    loaded = saving_lib.load_model(tmp_path / "z.keras")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(block(x)))


# ----------------------------------------------------------------------------------------------
# Bad files: clear errors naming the path
# ----------------------------------------------------------------------------------------------


def test_wrong_extensions_keras_messages(tmp_path):
    block = _built_block()
    with pytest.raises(ValueError, match=r"Invalid filepath extension for saving.*Received: filepath=.*m\.pkl"):
        lamina.saving.save_model(block, tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="lamina does not write the legacy HDF5 model format"):
        lamina.saving.save_model(block, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"The filename must end in `\.weights\.h5`\. Received: filepath=.*m\.h5"):
        lamina.saving.save_weights(block, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.json` when `max_shard_size`"):
        lamina.saving.save_weights(block, tmp_path / "m.h6", max_shard_size=1)
    with pytest.raises(ValueError, match=r"File format not supported: filepath=.*m\.pkl\. Keras 3 only supports V3"):
        lamina.saving.load_model(tmp_path / "m.pkl")
    with pytest.raises(ValueError, match=r"File format not supported.*Keras 3 only supports V3 `\.keras` files, `\.weights\.h5`"):
        lamina.saving.load_weights(block, tmp_path / "m.pkl")
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        lamina.saving.load_weights(block, tmp_path / "m.weights.h5", foo=1)
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported: \['foo'\]"):
        lamina.saving.save_model(block, tmp_path / "m.keras", foo=1)
    with pytest.raises(ValueError, match="expected a `.keras` extension"):
        saving_lib.save_model(block, tmp_path / "m.zip")
    with pytest.raises(ValueError, match="should not end in `.keras`"):
        saving_lib.save_model(block, tmp_path / "m.keras", zipped=False)
    assert _listdir(tmp_path) == []


def test_missing_files(tmp_path):
    block = _built_block()
    for call in (lambda: lamina.saving.load_model(tmp_path / "nope.keras"),
                 lambda: lamina.saving.load_weights(block, tmp_path / "nope.weights.h5"),
                 lambda: lamina.saving.load_weights(block, tmp_path / "nope.keras")):
        with pytest.raises(FileNotFoundError, match="File not found: filepath=.*nope"):
            call()
        with pytest.raises(ValueError, match="nope"):
            call()


def test_truncated_and_corrupt_keras_files(tmp_path):
    block = _built_block()
    good = tmp_path / "good.keras"
    saving_lib.save_model(block, good)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"'.*truncated\.keras' is not a valid `\.keras` file.*truncated or corrupt"):
        lamina.saving.load_model(truncated)
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"this is not a zip file at all" * 10)
    with pytest.raises(ValueError, match="garbage.keras' is not a valid `.keras` file"):
        lamina.saving.load_model(garbage)
    # A byte flipped inside the weights entry: the zip CRC catches it.
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("model.weights.h5")
    name_len, extra_len = np.frombuffer(data[info.header_offset + 26:info.header_offset + 30],
                                        dtype="<u2")
    corrupt = bytearray(data)
    corrupt[info.header_offset + 30 + int(name_len) + int(extra_len) + info.file_size // 2] ^= 0xFF
    bad_crc = tmp_path / "crc.keras"
    bad_crc.write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match=r"crc\.keras' is truncated or corrupt: its entry model\.weights\.h5"):
        lamina.saving.load_model(bad_crc)


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_keras_files_with_bad_entries(tmp_path):
    block = _built_block()
    saving_lib.save_model(block, tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    _zip(tmp_path / "noconfig.keras", {k: v for k, v in entries.items() if k != "config.json"})
    with pytest.raises(ValueError, match="noconfig.keras' is not a valid `.keras` file: it has no config.json"):
        lamina.saving.load_model(tmp_path / "noconfig.keras")
    _zip(tmp_path / "badjson.keras", {**entries, "config.json": b"{not json"})
    with pytest.raises(ValueError, match="badjson.keras' is not a valid `.keras` file: its config.json is not valid JSON"):
        lamina.saving.load_model(tmp_path / "badjson.keras")
    _zip(tmp_path / "noweights.keras", {k: v for k, v in entries.items() if k != "model.weights.h5"})
    with pytest.raises(ValueError, match="Expected a model.weights.h5 file in '.*noweights.keras'"):
        lamina.saving.load_model(tmp_path / "noweights.keras")
    _zip(tmp_path / "badh5.keras", {**entries, "model.weights.h5": entries["model.weights.h5"][:200]})
    with pytest.raises(ValueError, match="badh5.keras/model.weights.h5' is not a valid HDF5 file: it is truncated or corrupt"):
        lamina.saving.load_model(tmp_path / "badh5.keras")


def test_newer_format_version_refused(tmp_path):
    block = _built_block()
    saving_lib.save_model(block, tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    metadata = {"keras_version": "4.1.0", "date_saved": "2031-01-01@00:00:00"}
    _zip(tmp_path / "future.keras", {**entries, "metadata.json": json.dumps(metadata)})
    with pytest.raises(ValueError, match=r"future\.keras' was saved in the format of Keras 4\.1\.0, which is newer"):
        lamina.saving.load_model(tmp_path / "future.keras")
    with pytest.raises(ValueError, match="newer"):
        lamina.saving.load_weights(block, tmp_path / "future.keras")
    _zip(tmp_path / "badmeta.keras", {**entries, "metadata.json": b"[1, 2]"})
    with pytest.raises(ValueError, match="metadata.json is not a JSON object"):
        lamina.saving.load_model(tmp_path / "badmeta.keras")


def test_truncated_and_corrupt_weights_files(tmp_path):
    block = _built_block()
    good = tmp_path / "good.weights.h5"
    saving_lib.save_weights_only(block, good)
    data = good.read_bytes()
    (tmp_path / "trunc.weights.h5").write_bytes(data[: len(data) // 3])
    with pytest.raises(ValueError, match=r"'.*trunc\.weights\.h5' is not a valid HDF5 file: it is truncated or corrupt"):
        lamina.saving.load_weights(block, tmp_path / "trunc.weights.h5")
    (tmp_path / "empty.weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="empty.weights.h5' is not a valid HDF5 file"):
        lamina.saving.load_weights(block, tmp_path / "empty.weights.h5")
    (tmp_path / "bad.weights.json").write_text("{\"weight_map\": ")
    with pytest.raises(ValueError, match="bad.weights.json' is not valid JSON"):
        lamina.saving.load_weights(block, tmp_path / "bad.weights.json")


def test_unknown_class_error_names_class_module_and_close_names(tmp_path):
    block = _built_block()
    saving_lib.save_model(block, tmp_path / "b.keras")
    with zipfile.ZipFile(tmp_path / "b.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(entries["config.json"])
    config["class_name"] = "MLPBlok"
    config["registered_name"] = "test_saving>MLPBlok"
    config["module"] = "my_project.blocks"
    _zip(tmp_path / "typo.keras", {**entries, "config.json": json.dumps(config)})
    with pytest.raises(TypeError) as info:
        lamina.saving.load_model(tmp_path / "typo.keras")
    message = str(info.value)
    assert "Could not locate class 'MLPBlok'" in message
    assert "typo.keras" in message
    assert "module recorded in the file: 'my_project.blocks'" in message
    assert "'test_saving>MLPBlock'" in message
    # A built-in class name mistyped in a nested config.
    dense = layers.Dense(2)
    dense.build((None, 3))
    saving_lib.save_model(dense, tmp_path / "dense.keras")
    with zipfile.ZipFile(tmp_path / "dense.keras") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    config = json.loads(entries["config.json"])
    config["config"]["kernel_initializer"]["class_name"] = "GlorotUnifrom"
    _zip(tmp_path / "nested.keras", {**entries, "config.json": json.dumps(config)})
    with pytest.raises(TypeError, match=r"Could not locate class 'GlorotUnifrom'.*nested\.keras.*"
                                        r"module recorded in the file: 'keras.initializers'.*"
                                        r"'GlorotUniform'"):
        lamina.saving.load_model(tmp_path / "nested.keras")


def test_load_from_folder_and_file_objects(tmp_path):
    block = _built_block()
    x = _x(2, 6)
    saving_lib.save_model(block, tmp_path / "folder", zipped=False)
    assert _listdir(tmp_path / "folder") == ["config.json", "metadata.json", "model.weights.h5"]
    loaded = lamina.saving.load_model(tmp_path / "folder")
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(block(x)))
    buffer = io.BytesIO()
    saving_lib.save_model(block, buffer)
    buffer.seek(0)
    loaded = lamina.saving.load_model(buffer)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(block(x)))


def test_layer_bytes_round_trip():
    block = _built_block()
    x = _x(2, 6)
    restored = saving_lib.load_from_bytes(saving_lib.save_to_bytes(block))
    np.testing.assert_array_equal(np.asarray(restored(x)), np.asarray(block(x)))
    func, args = saving_lib.reduce_object(block)
    np.testing.assert_array_equal(np.asarray(func(*args)(x)), np.asarray(block(x)))


# ----------------------------------------------------------------------------------------------
# Models: Sequential, functional, subclassed
# ----------------------------------------------------------------------------------------------


@lamina.saving.register_keras_serializable(package="test_saving")
class TwoTower(lamina.Model):
    """A subclassed model with sublayers in attributes and in a list."""

    def __init__(self, units=5, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.block = MLPBlock()
        self.towers = [layers.Dense(units, activation="relu"), SimpleDense(units)]
        self.head = layers.Dense(3)

    def call(self, inputs):
        x = self.block(inputs)
        return self.head(ops.concatenate([t(x) for t in self.towers], axis=-1))

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def _randomize(model, seed=3):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        value = rng.standard_normal(tuple(v.shape)).astype("float32") * 0.5
        if "variance" in v.path:
            value = np.abs(value) + 0.5
        v.assign(value)
    return model


def _sequential():
    return _randomize(lamina.Sequential([
        layers.Input((6,)), layers.Dense(8, activation="relu"), layers.Dropout(0.2),
        layers.BatchNormalization(), layers.LayerNormalization(), SimpleDense(4),
        layers.Dense(3, activation="softmax")]))


def _functional():
    a = layers.Input((6,), name="a")
    b = layers.Input((4,), name="b")
    x = layers.Concatenate()([layers.Dense(5, activation="tanh")(a), layers.Dense(5)(b)])
    x = MLPBlock()(layers.Dense(6)(x))
    y = layers.Add()([layers.Dense(2)(a), x])
    return _randomize(lamina.Model([a, b], [layers.Dense(2)(y), layers.Softmax()(y)]))


def _subclassed():
    model = TwoTower(units=5)
    model(_x(2, 6))
    return _randomize(model)


def _inputs(model):
    if len(getattr(model, "inputs", None) or []) == 2:
        return [_x(4, 6), _x(4, 4)]
    return _x(4, 6)


def _predict(model, x):
    out = model(x, training=False)
    if isinstance(out, (list, tuple)):
        return [np.asarray(o) for o in out]
    return np.asarray(out)


def _assert_same(a, b):
    if isinstance(a, list):
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make", [_sequential, _functional, _subclassed],
                         ids=["sequential", "functional", "subclassed"])
def test_model_round_trip_identical_predictions(tmp_path, make):
    model = make()
    x = _inputs(model)
    expected = _predict(model, x)
    model.save(tmp_path / "m.keras")
    loaded = lamina.saving.load_model(tmp_path / "m.keras")
    assert type(loaded) is type(model)
    if not isinstance(model, TwoTower):  # a subclassed model names its sublayers anew
        assert [l.name for l in loaded.layers] == [l.name for l in model.layers]
    _assert_same(_predict(loaded, x), expected)
    assert len(loaded.weights) == len(model.weights)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    # The weights file alone, into a twin model.
    model.save_weights(tmp_path / "m.weights.h5")
    twin = make()
    twin.load_weights(tmp_path / "m.weights.h5")
    _assert_same(_predict(twin, x), expected)
    # lamina.models.load_model is the same function.
    _assert_same(_predict(lamina.models.load_model(tmp_path / "m.keras"), x), expected)


def test_every_layer_kind_round_trips(tmp_path):
    inputs = layers.Input((4, 6))
    x = layers.Permute((2, 1))(inputs)
    x = layers.Reshape((3, 8))(x)
    x = layers.ZeroPadding1D(1)(x)
    x = layers.Cropping1D((1, 0))(x)
    x = layers.UpSampling1D(2)(x)
    x = layers.SpatialDropout1D(0.1)(x)
    x = layers.EinsumDense("abc,cd->abd", output_shape=(8, 4), bias_axes="d")(x)
    x = layers.GroupNormalization(groups=2)(x)
    x = layers.UnitNormalization()(x)
    x = layers.PReLU()(x)
    x = layers.ELU()(x)
    x = layers.LeakyReLU()(x)
    x = layers.ReLU(max_value=1.0)(x)
    x = layers.Reshape((8, 2, 2))(x)
    x = layers.ZeroPadding2D(1)(x)
    x = layers.Cropping2D(((1, 0), (0, 1)))(x)
    x = layers.UpSampling2D(2)(x)
    x = layers.SpatialDropout2D(0.1)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(4)(x)
    x = layers.RepeatVector(2)(x)
    x = layers.Flatten()(x)
    x = layers.Masking()(x)
    x = layers.Identity()(x)
    x = layers.GaussianNoise(0.1)(x)
    x = layers.GaussianDropout(0.1)(x)
    x = layers.AlphaDropout(0.1)(x)
    x = layers.ActivityRegularization(l2=0.01)(x)
    a = layers.Dense(3)(x)
    b = layers.Dense(3, activation="sigmoid")(x)
    merged = layers.Concatenate()([layers.Multiply()([a, b]), layers.Subtract()([a, b]),
                                   layers.Average()([a, b]), layers.Maximum()([a, b]),
                                   layers.Minimum()([a, b]), layers.Dot(axes=1)([a, b])])
    out = layers.Activation("tanh")(merged)
    model = _randomize(lamina.Model(inputs, out))
    x = _x(3, 4, 6)
    expected = _predict(model, x)
    model.save(tmp_path / "all.keras")
    loaded = lamina.saving.load_model(tmp_path / "all.keras")
    np.testing.assert_allclose(_predict(loaded, x), expected, rtol=1e-6, atol=1e-6)
    tokens = layers.Input((5,), dtype="int32")
    emb = lamina.Model(tokens, layers.Dense(2)(layers.Flatten()(layers.Embedding(10, 3)(tokens))))
    _randomize(emb)
    ids = RNG.integers(0, 10, size=(4, 5)).astype("int32")
    emb.save(tmp_path / "emb.keras")
    np.testing.assert_array_equal(_predict(lamina.saving.load_model(tmp_path / "emb.keras"), ids),
                                  _predict(emb, ids))


def _train_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 6)).astype("float32")
    y = rng.standard_normal((32, 3)).astype("float32")
    return x, y


def _compiled(optimizer="adam"):
    model = _randomize(lamina.Sequential([
        layers.Input((6,)), layers.Dense(8, activation="relu"), layers.BatchNormalization(),
        layers.Dense(3)]))
    model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    return model


def test_compiled_model_resumes_training_exactly(tmp_path):
    x, y = _train_data()
    model = _compiled(lamina.optimizers.Adam(learning_rate=0.01))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    model.save(tmp_path / "c.keras")
    saved = model.get_weights()
    with zipfile.ZipFile(tmp_path / "c.keras") as zf:
        config = json.loads(zf.read("config.json"))
        datasets, names = _h5_tree(zf.read("model.weights.h5"))
    assert config["compile_config"]["loss"] == "mse"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    optimizer_keys = sorted((k for k in datasets if k.startswith("optimizer/")),
                            key=lambda k: int(k.rsplit("/", 1)[1]))
    assert len(optimizer_keys) == len(model.optimizer.variables) > 2
    assert names["optimizer/vars"] == model.optimizer.name
    loaded = lamina.saving.load_model(tmp_path / "c.keras")
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
    assert int(np.asarray(loaded.optimizer.iterations)) == 8
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    not_compiled = lamina.saving.load_model(tmp_path / "c.keras", compile=False)
    assert not not_compiled.compiled
    for a, b in zip(saved, not_compiled.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_file_restores_optimizer_state(tmp_path):
    x, y = _train_data()
    model = _compiled(lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9))
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    model.save_weights(tmp_path / "w.weights.h5")
    other = _compiled(lamina.optimizers.SGD(learning_rate=0.05, momentum=0.9))
    other.load_weights(tmp_path / "w.weights.h5")  # builds the optimizer to restore its state
    assert int(np.asarray(other.optimizer.iterations)) == 4
    model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    other.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_model_weight_mismatch_lists_every_path(tmp_path):
    model = _sequential()
    model.save_weights(tmp_path / "m.weights.h5")
    other = _randomize(lamina.Sequential([
        layers.Input((7,)), layers.Dense(8, activation="relu"), layers.Dropout(0.2),
        layers.BatchNormalization(), layers.LayerNormalization(), SimpleDense(4)]))
    before = other.get_weights()
    with pytest.raises(ValueError) as info:
        other.load_weights(tmp_path / "m.weights.h5")
    message = str(info.value)
    assert "layers/dense/vars/0" in message and "file shape (6, 8), model shape (7, 8)" in message
    assert "layers/dense_1/vars/0 (shape (4, 3); the model has no object at 'layers/dense_1')" in message
    assert "layers/dense_1/vars/1" in message
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.warns(UserWarning, match="skipped"):
        other.load_weights(tmp_path / "m.weights.h5", skip_mismatch=True)
    np.testing.assert_array_equal(other.layers[2].moving_mean.numpy(),
                                  model.layers[2].moving_mean.numpy())


def test_unbuilt_subclassed_model_gets_weights_at_build(tmp_path):
    model = _subclassed()
    x = _x(3, 6)
    expected = _predict(model, x)
    model.save_weights(tmp_path / "t.weights.h5")
    fresh = TwoTower(units=5)
    assert not fresh.built
    fresh.load_weights(tmp_path / "t.weights.h5")  # Keras would raise: not built yet
    np.testing.assert_array_equal(_predict(fresh, x), expected)
    assert not saving_lib.has_deferred_weights(fresh)


def test_to_json_and_model_from_json():
    for model in (_sequential(), _functional(), _subclassed()):
        text = model.to_json()
        config = json.loads(text)
        assert config["class_name"] == type(model).__name__
        clone = lamina.models.model_from_json(text)
        assert type(clone) is type(model)
        assert json.loads(clone.to_json())["config"] == config["config"]
        clone.set_weights(model.get_weights())
        x = _inputs(model)
        _assert_same(_predict(clone, x), _predict(model, x))
    assert json.loads(_sequential().to_json(indent=2)) is not None


def test_pickle_and_deepcopy_models_and_layers():
    for obj in (_sequential(), _functional(), _subclassed(), _built_block()):
        x = [_x(2, 6), _x(2, 4)] if isinstance(obj, lamina.Model) and len(
            getattr(obj, "inputs", None) or []) == 2 else _x(2, 6)
        expected = _predict(obj, x)
        for clone in (pickle.loads(pickle.dumps(obj)), copy.deepcopy(obj)):
            assert type(clone) is type(obj) and clone is not obj
            _assert_same(_predict(clone, x), expected)
            assert clone.weights[0] is not obj.weights[0]
    compiled = _compiled()
    compiled.fit(*_train_data(), epochs=1, batch_size=8, verbose=0)
    clone = pickle.loads(pickle.dumps(compiled))
    assert clone.compiled and int(np.asarray(clone.optimizer.iterations)) == 4


def _predict_in_child(model_and_x):
    model, x = model_and_x
    return np.asarray(model(x, training=False))


def test_models_cross_process_boundaries():
    import multiprocessing

    model = _randomize(lamina.Sequential([layers.Input((6,)), layers.Dense(4, activation="tanh"),
                                          layers.Dense(2)]))
    x = _x(3, 6)
    expected = _predict(model, x)
    for method in ("fork", "spawn"):
        if method not in multiprocessing.get_all_start_methods():
            continue
        with multiprocessing.get_context(method).Pool(1) as pool:
            (result,) = pool.map(_predict_in_child, [(model, x)])
        np.testing.assert_array_equal(result, expected)


def test_keras_file_layout_of_models(tmp_path):
    model = _functional()
    model.save(tmp_path / "f.keras")
    with zipfile.ZipFile(tmp_path / "f.keras") as zf:
        config = json.loads(zf.read("config.json"))
        datasets, names = _h5_tree(zf.read("model.weights.h5"))
    # Keras' names, so that Keras 3 finds the class.
    assert config["class_name"] == "Functional"
    assert config["module"] == "keras.src.models.functional"
    layer_paths = [p for p in names if p.startswith("layers/")]
    # Every layer of the model, InputLayers included, has its group; classes made unique.
    assert "layers/input_layer/vars" in layer_paths and "layers/input_layer_1/vars" in layer_paths
    assert "layers/mlp_block/linear_1/vars/0" in datasets
    assert "layers/dense_4/vars/0" in datasets and "layers/dense_5/vars/0" not in datasets
    seq = _sequential()
    seq.save(tmp_path / "s.keras")
    with zipfile.ZipFile(tmp_path / "s.keras") as zf:
        config = json.loads(zf.read("config.json"))
        datasets, names = _h5_tree(zf.read("model.weights.h5"))
    assert config["module"] == "keras" and config["class_name"] == "Sequential"
    assert sorted(p for p in names if p.startswith("layers/")) == [
        "layers/batch_normalization/vars", "layers/dense/vars", "layers/dense_1/vars",
        "layers/dropout/vars", "layers/layer_normalization/vars", "layers/simple_dense/vars"]


def test_model_save_arguments(tmp_path, monkeypatch):
    model = _sequential()
    path = tmp_path / "m.keras"
    model.save(path, include_optimizer=False)
    first = path.read_bytes()
    with pytest.warns(UserWarning, match="`save_format` argument is deprecated"):
        model.save(path, save_format="keras")
    with pytest.raises(ValueError, match="`save_format` argument is deprecated"):
        model.save(tmp_path / "m.tf", save_format="tf")
    # overwrite=False asks first.
    answers = iter(["x", "n"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    _randomize(model, seed=9)
    model.save(path, overwrite=False)
    assert path.read_bytes()[:100] == first[:100]
    loaded = lamina.saving.load_model(path)
    assert not np.array_equal(loaded.get_weights()[0], model.get_weights()[0])
    monkeypatch.setattr("builtins.input", lambda prompt="": "y")
    model.save(path, overwrite=False)
    np.testing.assert_array_equal(lamina.saving.load_model(path).get_weights()[0],
                                  model.get_weights()[0])
    with pytest.warns(UserWarning, match="not yet been built"):
        lamina.Sequential([layers.Dense(2)]).save(tmp_path / "unbuilt.keras")
    with pytest.raises(ValueError, match="You are saving a model that has not yet been built"):
        lamina.Sequential([layers.Dense(2)]).save_weights(tmp_path / "unbuilt.weights.h5")


def test_safe_mode_refuses_lambda_code(tmp_path):
    model = lamina.Sequential([layers.Input((3,)), layers.Lambda(lambda t: t * 2.0),
                               layers.Dense(2)])
    x = _x(2, 3)
    expected = _predict(model, x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="Requested the deserialization of a `Lambda` layer"):
        lamina.saving.load_model(tmp_path / "lambda.keras")
    loaded = lamina.saving.load_model(tmp_path / "lambda.keras", safe_mode=False)
    np.testing.assert_array_equal(_predict(loaded, x), expected)


def test_objects_to_skip(tmp_path):
    model = _sequential()
    first, last = model.layers[0], model.layers[-1]
    lamina.saving.save_weights(model, tmp_path / "m.weights.h5", objects_to_skip=[first])
    datasets, _ = _h5_tree(str(tmp_path / "m.weights.h5"))
    assert not any(k.startswith("layers/dense/") for k in datasets)
    assert "layers/dense_1/vars/0" in datasets
    other = _sequential()
    _randomize(other, seed=11)
    kept = other.layers[-1].kernel.numpy()
    lamina.saving.load_weights(other, tmp_path / "m.weights.h5",
                               objects_to_skip=[other.layers[0], other.layers[-1]])
    np.testing.assert_array_equal(other.layers[-1].kernel.numpy(), kept)
    np.testing.assert_array_equal(other.layers[2].moving_mean.numpy(),
                                  model.layers[2].moving_mean.numpy())
    assert not np.array_equal(other.layers[0].kernel.numpy(), first.kernel.numpy())
    assert last is model.layers[-1]
    with pytest.raises(ValueError, match="`objects_to_skip` only supports loading '.weights.h5'"):
        lamina.saving.load_weights(other, tmp_path / "m.keras", objects_to_skip=[first])
