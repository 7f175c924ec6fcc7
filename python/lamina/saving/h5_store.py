"""Weights stores in Keras 3's HDF5 layout: what ``model.weights.h5`` (inside a ``.keras``
zip) and ``.weights.h5`` files hold.

An object at path ``p`` of the model's object tree (``layers/dense``, ``optimizer``, ``""`` for
the model itself) keeps its variables in the group ``p/vars`` as datasets ``"0"``, ``"1"``, ...
The group carries the object's name as attribute ``name``. bfloat16 values are stored as 2-byte
opaque data with the attribute ``dtype="bfloat16"``, as Keras does.

`H5IOStore` reads or writes one file; `ShardedH5IOStore` spreads the datasets over several
files described by a ``.weights.json`` map (Keras' ``max_shard_size``); `DictStore` keeps the
same content in memory. Their ``make(path)``/``get(path)`` return an entry: a dict-like object
(``entry["0"] = value``, ``entry["0"]``, ``keys()``, ``len()``) that ``save_own_variables`` /
``load_own_variables`` receive as ``store``.
"""

import io
import json
import math
import os
import pathlib

import numpy as np

_H5_BOMB_FLOOR_BYTES = 1 << 32
_H5_MAX_EXPANSION = 1000


def h5py_module():
    """The h5py module (imported on first use, with a clear error when it is missing)."""
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a runtime dependency
        raise ImportError(
            "h5py must be installed in order to save or load weights. Install it with "
            "`pip install h5py`."
        ) from e
    return h5py


# ---------------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------------


def to_numpy(value):
    """`value` (a lamina Variable or Tensor, a numpy array or a Python number) as a numpy array,
    with its dtype name (``"bfloat16"`` for lamina bfloat16 values, read as float32).

    A Variable's or Tensor's array shares the tensor's memory (tensors are immutable), so large
    weights are written without a copy.
    """
    if isinstance(value, np.ndarray):
        return value, value.dtype.name
    dtype_name = getattr(value, "dtype", None)
    if dtype_name is not None and hasattr(value, "shape"):
        tensor = getattr(value, "value", value)  # a Variable's current Tensor
        return np.asarray(tensor), str(dtype_name)
    array = np.asarray(value)
    return array, array.dtype.name


def _bfloat16_bits(array):
    """float32 values that are bfloat16 numbers -> their 2-byte patterns (exact)."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    return (bits >> 16).astype(np.uint16).view("V2")


def _bfloat16_to_float32(raw):
    """2-byte bfloat16 patterns -> float32 values (exact)."""
    bits = np.ascontiguousarray(raw).view(np.uint16).astype(np.uint32) << 16
    return bits.view(np.float32)


class ValueInfo:
    """Shape and dtype of a stored value, known without reading it."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = dtype

    def __repr__(self):
        return f"ValueInfo(shape={self.shape}, dtype={self.dtype})"


# ---------------------------------------------------------------------------------------------
# Safe access to HDF5 groups and datasets
# ---------------------------------------------------------------------------------------------


def _check_hard_link(h5py, group, member, name):
    """Raises KeyError (for the path `name`) when `group` has no `member`, and ValueError when
    `member` is an external or soft link."""
    if member not in group:
        raise KeyError(name)
    link = group.get(member, default=None, getclass=True, getlink=True)
    if link in (h5py.ExternalLink, h5py.SoftLink):
        raise ValueError(f"Not allowed: H5 file with {link.__name__}")


def safe_get_group(parent, name):
    """The group `name` (a ``/``-separated path) under `parent`; refuses links to other files,
    soft links and non-groups. Raises KeyError when it does not exist."""
    h5py = h5py_module()
    current = parent
    for part in name.split("/"):
        if not part:
            raise ValueError(f"Invalid path in H5 file: {name}")
        _check_hard_link(h5py, current, part, name)
        current = current[part]
        if not isinstance(current, h5py.Group):
            raise ValueError(f"Invalid H5 file, expected Group but received {type(current)}")
    return current


def safe_get_dataset(group, name):
    """The dataset `name` of `group`; refuses links, external and virtual datasets, and
    "shape bombs" (a huge declared size over almost no stored bytes)."""
    h5py = h5py_module()
    _check_hard_link(h5py, group, name, name)
    dataset = group[name]
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"Invalid H5 file, expected Dataset, received {type(dataset)}")
    if dataset.external:
        raise ValueError(f"Not allowed: H5 file with external Dataset: {dataset.external}")
    if dataset.is_virtual:
        raise ValueError("Not allowed: H5 file with virtual Dataset")
    declared = math.prod(dataset.shape or ()) * dataset.dtype.itemsize
    if declared > _H5_BOMB_FLOOR_BYTES:
        stored = dataset.id.get_storage_size()
        if declared > _H5_MAX_EXPANSION * stored:
            raise ValueError(
                f"Not allowed: H5 dataset '{name}' declares {declared} bytes but only {stored} "
                "are stored on disk; refusing to load a potential decompression/shape bomb."
            )
    return dataset


def _dataset_dtype_name(dataset):
    if dataset.attrs.get("dtype", None) in ("bfloat16", b"bfloat16"):
        return "bfloat16"
    if dataset.dtype.kind == "V" and dataset.dtype.itemsize == 2:
        return "bfloat16"
    return dataset.dtype.name


def _read_dataset(dataset):
    """A dataset's values as a numpy array (bfloat16 data as float32)."""
    shape = dataset.shape
    if shape is None:
        raise ValueError(f"Invalid H5 file: dataset '{dataset.name}' holds no data.")
    if _dataset_dtype_name(dataset) == "bfloat16":
        return _bfloat16_to_float32(dataset[()])
    if len(shape) == 0 or dataset.size == 0:
        return np.asarray(dataset[()])
    out = np.empty(shape, dtype=dataset.dtype)
    dataset.read_direct(out)
    return out


# ---------------------------------------------------------------------------------------------
# Entries
# ---------------------------------------------------------------------------------------------


class _Entry:
    """The variables of one object: a dict-like view of a ``<path>/vars`` group."""

    def __init__(self, store, path):
        self._store = store
        self.path = path

    def __setitem__(self, key, value):
        self._store._write(self.path, str(key), value)

    def __getitem__(self, key):
        return self._store._read(self.path, str(key))

    def __delitem__(self, key):
        self._store._delete(self.path, str(key))

    def __contains__(self, key):
        return str(key) in self._store._keys(self.path)

    def keys(self):
        """The stored keys (``"0"``, ``"1"``, ...), in order."""
        return list(self._store._keys(self.path))

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self._store._keys(self.path))

    def items(self):
        """``(key, array)`` pairs."""
        return [(k, self[k]) for k in self.keys()]

    def values(self):
        """The stored arrays."""
        return [self[k] for k in self.keys()]

    def info(self, key):
        """The `ValueInfo` (shape, dtype) of a stored value, without reading it."""
        return self._store._info(self.path, str(key))

    def __repr__(self):
        return f"<weights entry '{self.path or '/'}' keys={self.keys()}>"


def sort_keys(keys):
    """Stored keys in index order (``"2"`` before ``"10"``); other names after, sorted."""
    keys = list(keys)
    numeric = sorted((k for k in keys if k.isdigit()), key=int)
    return numeric + sorted(k for k in keys if not k.isdigit())


def _vars_group_name(path):
    return f"{path}/vars" if path else "vars"


# ---------------------------------------------------------------------------------------------
# One HDF5 file
# ---------------------------------------------------------------------------------------------


class H5IOStore:
    """A weights file in Keras 3's HDF5 layout, opened to write (``mode="w"``) or read.

    Args:
        source: A path, an ``io.BytesIO`` or (to read) the file's bytes.
        mode: ``"w"`` or ``"r"``.
        display_path: How errors name the file (defaults to the path).
        userblock_size: In write mode, bytes reserved at the start of the file (a power of two
            >= 512) for the `.keras` archive's headers (see `lamina.saving.archive`).
    """

    def __init__(self, source, mode="r", display_path=None, userblock_size=None):
        if mode not in ("w", "r"):
            raise ValueError(f"`mode` should be either 'w' or 'r'. Received: {mode}")
        h5py = h5py_module()
        self.mode = mode
        self.display_path = display_path or (
            os.fspath(source) if isinstance(source, (str, os.PathLike)) else "<in-memory file>"
        )
        self._groups = {}
        self._key_cache = {}
        self._dataset_cache = {}
        self._io = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            source = io.BytesIO(source)
        if isinstance(source, (str, os.PathLike)):
            source = os.fspath(source)
        else:
            self._io = source
        options = {"userblock_size": userblock_size} if userblock_size and mode == "w" else {}
        try:
            self.h5_file = h5py.File(source, mode=mode, **options)
        except (OSError, ValueError) as e:
            if mode == "w":
                raise
            raise ValueError(
                f"The weights file '{self.display_path}' is not a valid HDF5 file: it is "
                f"truncated or corrupt (HDF5 could not open it: {e})."
            ) from e

    # -- store level --------------------------------------------------------------------------

    def make(self, path, metadata=None):
        """The entry to write the variables of the object at `path` into (its group is created
        now when `metadata` is given, else on the first write, as Keras does)."""
        if self.mode != "w":
            raise ValueError("`make` is only allowed in write mode.")
        if metadata:
            group = self._create_group(path)
            for k, v in metadata.items():
                group.attrs[k] = v
        return _Entry(self, path)

    def get(self, path):
        """The entry holding the variables of the object at `path` (empty when absent)."""
        if self.mode != "r":
            raise ValueError("`get` is only allowed in read mode.")
        return _Entry(self, path)

    def has_path(self, path):
        """Whether the file has a group at `path`."""
        return (path or "/") in self.h5_file

    def variable_paths(self):
        """Every stored object path with its keys: ``{path: [key, ...]}`` (keys in order)."""
        h5py = h5py_module()
        found = {}

        def visit(name, obj):
            if isinstance(obj, h5py.Group) and (name == "vars" or name.endswith("/vars")):
                keys = [k for k in obj.keys() if isinstance(obj.get(k, getclass=True), type)
                        and obj.get(k, getclass=True) is h5py.Dataset]
                if keys:
                    found[name[:-len("vars")].rstrip("/")] = sort_keys(keys)

        self.h5_file.visititems(visit)
        if "vars" in self.h5_file and "" not in found:
            visit("vars", self.h5_file["vars"])
        return found

    def close(self):
        """Closes the file (an in-memory file keeps its bytes in `getvalue()`)."""
        self._dataset_cache.clear()
        self._groups.clear()
        if self.h5_file is not None:
            self.h5_file.close()
            self.h5_file = None

    def getvalue(self):
        """The bytes of an in-memory file written with this store (after `close`)."""
        return self._io.getvalue()

    # -- entry level --------------------------------------------------------------------------

    def _create_group(self, path):
        name = _vars_group_name(path)
        group = self._groups.get(name)
        if group is None:
            group = self.h5_file.require_group(name)
            self._groups[name] = group
        return group

    def _group(self, path):
        name = _vars_group_name(path)
        group = self._groups.get(name)
        if group is None:
            try:
                group = safe_get_group(self.h5_file, name)
            except KeyError:
                group = None
            self._groups[name] = group
        return group

    def _write(self, path, key, value):
        if self.mode != "w":
            raise ValueError("Setting a value is only allowed in write mode.")
        group = self._create_group(path)
        array, dtype_name = to_numpy(value)
        if dtype_name == "bfloat16":
            dataset = group.create_dataset(key, data=_bfloat16_bits(array))
            dataset.attrs["dtype"] = "bfloat16"
        else:
            group.create_dataset(key, data=array)

    def _keys(self, path):
        if self.mode == "r" and path in self._key_cache:
            return self._key_cache[path]
        group = self._group(path)
        keys = [] if group is None else sort_keys(group.keys())
        if self.mode == "r":
            self._key_cache[path] = keys
        return keys

    def _dataset(self, path, key):
        cached = self._dataset_cache.get((path, key))
        if cached is not None:
            return cached
        group = self._group(path)
        if group is None:
            raise KeyError(f"{_vars_group_name(path)}/{key}")
        try:
            dataset = safe_get_dataset(group, key)
        except KeyError:
            raise KeyError(f"{_vars_group_name(path)}/{key}") from None
        if self.mode == "r":
            self._dataset_cache[(path, key)] = dataset
        return dataset

    def _read(self, path, key):
        return _read_dataset(self._dataset(path, key))

    def _info(self, path, key):
        dataset = self._dataset(path, key)
        return ValueInfo(dataset.shape or (), _dataset_dtype_name(dataset))

    def _delete(self, path, key):
        if self.mode != "w":
            raise ValueError("Deleting a value is only allowed in write mode.")
        group = self._group(path)
        if group is None or key not in group:
            raise KeyError(key)
        del group[key]


# ---------------------------------------------------------------------------------------------
# In memory
# ---------------------------------------------------------------------------------------------


class DictStore:
    """The content of a weights file held in memory: ``{path: {key: array}}``.

    Used to keep the weights loaded into a model that is not built yet until it is.

    Args:
        content: ``{path: {key: array}}`` (copied).
        display_path: How errors name the source.
    """

    def __init__(self, content=None, display_path="<memory>"):
        self.content = {p: dict(v) for p, v in (content or {}).items()}
        self.display_path = display_path
        self.mode = "r"

    @classmethod
    def from_store(cls, store):
        """Reads every value of another store into memory."""
        content = {}
        for path, keys in store.variable_paths().items():
            entry = store.get(path)
            content[path] = {k: entry[k] for k in keys}
        return cls(content, display_path=store.display_path)

    def make(self, path, metadata=None):
        self.content.setdefault(path, {})
        return _Entry(self, path)

    def get(self, path):
        return _Entry(self, path)

    def has_path(self, path):
        return any(p == path or p.startswith(path + "/") for p in self.content) or not path

    def variable_paths(self):
        return {p: sort_keys(v) for p, v in self.content.items() if v}

    def close(self):
        pass

    def _write(self, path, key, value):
        array, dtype_name = to_numpy(value)
        self.content.setdefault(path, {})[key] = np.array(array)

    def _keys(self, path):
        return sort_keys(self.content.get(path, {}))

    def _read(self, path, key):
        try:
            return self.content[path][key]
        except KeyError:
            raise KeyError(f"{_vars_group_name(path)}/{key}") from None

    def _info(self, path, key):
        value = self._read(path, key)
        return ValueInfo(value.shape, value.dtype.name)

    def _delete(self, path, key):
        del self.content[path][key]


# ---------------------------------------------------------------------------------------------
# Sharded files
# ---------------------------------------------------------------------------------------------


def _dtype_bits(dtype_name):
    if dtype_name == "bool":
        return 1
    if dtype_name == "bfloat16":
        return 16
    return np.dtype(dtype_name).itemsize * 8


def readable_memory_size(size):
    """A byte count as text ("12.50 MB")."""
    units = ["B", "KB", "MB", "GB", "TB"]
    unit = 0
    size = float(size)
    while size >= 1024 and unit < len(units) - 1:
        size /= 1024
        unit += 1
    return f"{size:.2f} {units[unit]}"


class ShardedH5IOStore:
    """Weights spread over several ``<name>_00000.weights.h5`` files, each at most
    `max_shard_size` GB, with a ``<name>.weights.json`` map (``{"metadata": {"total_size"},
    "weight_map": {"/<path>/vars": file or [files]}}``), as Keras 3 writes them.

    In write mode the values are collected and the files are written by `write_files`, so that
    the caller can place them atomically.

    Args:
        path: The ``.weights.json`` path.
        max_shard_size: Maximum size of a shard in GB (write mode).
        mode: ``"w"`` or ``"r"``.
    """

    def __init__(self, path, max_shard_size=5, mode="r"):
        if mode not in ("w", "r"):
            raise ValueError(f"`mode` should be either 'w' or 'r'. Received: {mode}")
        self.path = pathlib.Path(path)
        self.mode = mode
        self.display_path = str(path)
        self.base_name = self.path.stem.replace(".weights", "")
        if mode == "w":
            self.max_shard_size = float(max_shard_size) * 1024**3
            self._records = []  # (path, key, array, dtype_name, metadata-or-None)
            self._metadata = {}
        else:
            try:
                with open(self.path, "r", encoding="utf-8") as f:
                    self.sharding_config = json.load(f)
                self.weight_map = self.sharding_config["weight_map"]
            except FileNotFoundError:
                raise
            except (ValueError, KeyError, TypeError) as e:
                raise ValueError(
                    f"The sharded weights map '{path}' is not valid JSON with a `weight_map`: "
                    f"it is truncated or corrupt ({e})."
                ) from e
            self._files = {}

    # -- write --------------------------------------------------------------------------------

    def make(self, path, metadata=None):
        if self.mode != "w":
            raise ValueError("`make` is only allowed in write mode.")
        if metadata:
            self._metadata[path] = dict(metadata)
            self._records.append((path, None, None, None))
        return _Entry(self, path)

    def _write(self, path, key, value):
        array, dtype_name = to_numpy(value)
        size = math.prod(array.shape) * _dtype_bits(dtype_name) / 8
        if size > self.max_shard_size:
            raise ValueError(
                f"The size of {key} is {readable_memory_size(size)} which exceeds the maximum "
                f"shard size {readable_memory_size(self.max_shard_size)}. You can increase the "
                "`max_shard_size` parameter to accommodate the size."
            )
        self._records.append((path, key, array, dtype_name))

    def shard_plan(self):
        """``[(shard_file_name, [(path, key, array, dtype_name) or (path, None, ...)])]`` and
        the weight map, following Keras' rule: a new shard starts when the running size would
        pass `max_shard_size`."""
        shards = []
        current = []
        current_size = 0
        total = 0
        weight_map = {}
        for record in self._records:
            path, key, array, dtype_name = record
            if key is not None:
                size = math.prod(array.shape) * _dtype_bits(dtype_name) / 8
                total += size
                current_size += size
                if current_size > self.max_shard_size and current:
                    shards.append(current)
                    current = []
                    current_size = size
                name = f"{self.base_name}_{len(shards):05}.weights.h5"
                group = "/" + _vars_group_name(path)
                if group not in weight_map:
                    weight_map[group] = name
                else:
                    if not isinstance(weight_map[group], list):
                        weight_map[group] = [weight_map[group]]
                    if name not in weight_map[group]:
                        weight_map[group].append(name)
            current.append(record)
        shards.append(current)
        names = [f"{self.base_name}_{i:05}.weights.h5" for i in range(len(shards))]
        config = {"metadata": {"total_size": total}, "weight_map": weight_map}
        return list(zip(names, shards)), config

    def write_shard(self, records, target):
        """Writes one shard's records into the HDF5 file `target` (a path)."""
        h5py = h5py_module()
        with h5py.File(target, "w") as f:
            for path, key, array, dtype_name in records:
                group = f.require_group(_vars_group_name(path))
                if key is None:
                    for k, v in self._metadata.get(path, {}).items():
                        group.attrs[k] = v
                elif dtype_name == "bfloat16":
                    dataset = group.create_dataset(key, data=_bfloat16_bits(array))
                    dataset.attrs["dtype"] = "bfloat16"
                else:
                    group.create_dataset(key, data=array)

    # -- read ---------------------------------------------------------------------------------

    def get(self, path):
        if self.mode != "r":
            raise ValueError("`get` is only allowed in read mode.")
        return _Entry(self, path)

    def _shard_names(self, path):
        names = self.weight_map.get("/" + _vars_group_name(path))
        if names is None:
            names = self.weight_map.get(path or "/vars")
        if names is None:
            return []
        return names if isinstance(names, list) else [names]

    def _shard(self, name):
        store = self._files.get(name)
        if store is None:
            if os.path.basename(name) != name:
                raise ValueError(f"Invalid shard name in '{self.display_path}': {name!r}")
            shard_path = self.path.with_name(name)
            if not shard_path.exists():
                raise FileNotFoundError(
                    f"The weights shard '{shard_path}' listed in '{self.display_path}' does not "
                    "exist."
                )
            store = H5IOStore(str(shard_path), mode="r")
            self._files[name] = store
        return store

    def _keys(self, path):
        keys = []
        for name in self._shard_names(path):
            keys.extend(self._shard(name)._keys(path))
        return sort_keys(set(keys))

    def _locate(self, path, key):
        for name in self._shard_names(path):
            shard = self._shard(name)
            if key in shard._keys(path):
                return shard
        raise KeyError(
            f"Key '{key}' not found in any of the shards: {self._shard_names(path)}"
        )

    def _read(self, path, key):
        return self._locate(path, key)._read(path, key)

    def _info(self, path, key):
        return self._locate(path, key)._info(path, key)

    def has_path(self, path):
        leading = f"/{path}"
        return any(k == leading or k.startswith(leading + "/") for k in self.weight_map)

    def variable_paths(self):
        found = {}
        for group in self.weight_map:
            name = group.strip("/")
            if name == "vars" or name.endswith("/vars"):
                path = name[:-len("vars")].rstrip("/")
                keys = self._keys(path)
                if keys:
                    found[path] = keys
        return found

    def close(self):
        if self.mode == "r":
            for store in self._files.values():
                store.close()
            self._files = {}


__all__ = [
    "DictStore", "H5IOStore", "ShardedH5IOStore", "ValueInfo", "readable_memory_size",
    "safe_get_dataset", "safe_get_group", "sort_keys", "to_numpy",
]
