"""The ``.keras`` format and the weights files, in Keras 3's layout
(``keras.src.saving.saving_lib``).

A ``.keras`` file is a zip archive (entries stored, not compressed) holding:

- ``metadata.json``: ``{"keras_version", "date_saved"}`` (lamina adds ``"lamina_version"``);
- ``config.json``: the model's `serialize_keras_object` config, with its ``build_config`` and
  ``compile_config``;
- ``model.weights.h5``: the state of every object of the model (layers, nested layers, the
  optimizer) in Keras 3's HDF5 layout (see `lamina.saving.h5_store`);
- ``assets/``: files written by objects that have ``save_assets`` (none of lamina's built-in
  layers do).

The objects of the model and the layout of their variables are `lamina.saving.state_io`'s;
the HDF5 files are `lamina.saving.h5_store`'s. Every write is atomic
(`lamina.saving.file_utils`).
"""

import datetime
import difflib
import io
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile


from lamina.saving import archive
from lamina.saving import file_utils
from lamina.saving import h5_store
from lamina.saving import object_registration
from lamina.saving import serialization_lib
from lamina.saving import state_io

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_FILENAME_H5 = "model.weights.h5"
VARS_FILENAME_NPZ = "model.weights.npz"
ASSETS_DIRNAME = "assets"

# The Keras release whose `.keras` layout lamina writes (recorded as "keras_version").
KERAS_FORMAT_VERSION = "3.15.1"
# Files written by a later major Keras version may use a layout lamina does not know.
SUPPORTED_KERAS_MAJOR = 3

_ZIP_BOMB_FLOOR_BYTES = 1 << 32
_ZIP_MAX_EXPANSION = 100


class SavedFileNotFoundError(FileNotFoundError, ValueError):
    """A model or weights file that does not exist. It is a `FileNotFoundError`, and also a
    `ValueError` as Keras 3 raises for a missing ``.keras`` file."""


# ---------------------------------------------------------------------------------------------
# Config and metadata
# ---------------------------------------------------------------------------------------------


def _lamina_version():
    try:
        import lamina

        return getattr(lamina, "__version__", None)
    except ImportError:  # pragma: no cover
        return None


def serialize_model_as_json(model):
    """``(config_json, metadata_json)`` for a model, as written in a ``.keras`` file."""
    with serialization_lib.ObjectSharingScope():
        config = serialization_lib.serialize_keras_object(model)
    config_json = json.dumps(config)
    metadata = {
        "keras_version": KERAS_FORMAT_VERSION,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
        "lamina_version": _lamina_version(),
    }
    return config_json, json.dumps(metadata)


def _json_object(text, source, filename, shown):
    """The dict that `text` (the JSON of the archive member `filename`) holds.

    Raises:
        ValueError: for invalid JSON, or a JSON value that is not an object (echoed with
            `shown`).
    """
    try:
        value = json.loads(text)
    except ValueError as e:
        raise ValueError(
            f"The file '{source}' is not a valid `.keras` file: its {filename} is not valid JSON "
            f"({e})."
        ) from e
    if not isinstance(value, dict):
        raise ValueError(
            f"The file '{source}' is not a valid `.keras` file: its {filename} is not a JSON "
            f"object. Received: {shown(value)}"
        )
    return value


def check_metadata(metadata_json, source):
    """Refuses a file written by a newer major version of the format than lamina reads.

    Raises:
        ValueError: for invalid metadata or a newer format version.
    """
    metadata = _json_object(metadata_json, source, METADATA_FILENAME, shown=repr)
    version = metadata.get("keras_version")
    if version is None:
        return metadata
    match = re.match(r"^\s*(\d+)", str(version))
    if match is None:
        raise ValueError(
            f"The file '{source}' records an unreadable format version: "
            f"keras_version={version!r}."
        )
    if int(match.group(1)) > SUPPORTED_KERAS_MAJOR:
        raise ValueError(
            f"The file '{source}' was saved in the format of Keras {version}, which is newer "
            f"than the Keras {SUPPORTED_KERAS_MAJOR} format lamina reads "
            f"(keras_version={version!r}). Save it again with Keras {SUPPORTED_KERAS_MAJOR}.x."
        )
    return metadata


def _public_class_names():
    """Names of lamina's public classes that configs can refer to (for suggestions)."""
    import importlib

    names = set()
    for family in ("layers", "models", "optimizers", "losses", "metrics", "initializers",
                   "regularizers", "constraints", "activations", "callbacks"):
        try:
            module = importlib.import_module(f"lamina.{family}")
        except ImportError:
            continue
        names.update(n for n, v in vars(module).items()
                     if isinstance(v, type) and not n.startswith("_"))
    return names


def _find_unknown_class(config, custom_objects):
    """The first ``(class_name, module, registered_name)`` of `config` that cannot be resolved,
    or None."""
    scope = {**(custom_objects or {}), **object_registration._scope_dict(),
             **object_registration.GLOBAL_CUSTOM_OBJECTS}
    stack = [config]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(reversed(node))
            continue
        if not isinstance(node, dict):
            continue
        class_name = node.get("class_name")
        if (isinstance(class_name, str) and "config" in node and not class_name.startswith("__")
                and class_name != "function"):
            module = node.get("module")
            registered_name = node.get("registered_name") or class_name
            try:
                serialization_lib._retrieve_class_or_fn(
                    class_name, registered_name, module, obj_type="class", full_config=node,
                    custom_objects=scope,
                )
            except (TypeError, ValueError):
                return class_name, module, registered_name
        stack.extend(reversed(list(node.values())))
    return None


def _unknown_class_error(config, custom_objects, source, error):
    found = _find_unknown_class(config, custom_objects)
    if found is None:
        return None
    class_name, module, registered_name = found
    candidates = set(object_registration.GLOBAL_CUSTOM_OBJECTS) | set(custom_objects or {})
    candidates |= set(object_registration._scope_dict())
    candidates |= _public_class_names()
    candidates = sorted(c for c in candidates if isinstance(c, str))
    wanted = [registered_name, class_name]
    close = []
    for name in wanted:
        for match in difflib.get_close_matches(name, candidates, n=5, cutoff=0.6):
            if match not in close:
                close.append(match)
    by_short = {c.rsplit(">", 1)[-1]: c for c in candidates if ">" in c}
    for match in difflib.get_close_matches(class_name, list(by_short), n=3, cutoff=0.6):
        if by_short[match] not in close:
            close.append(by_short[match])
    suggestion = (
        "Closest registered names: " + ", ".join(repr(c) for c in close[:5]) + "."
        if close else "No registered name is close to it."
    )
    registered = f", registered name '{registered_name}'" if registered_name != class_name else ""
    return TypeError(
        f"Could not locate class '{class_name}' while loading '{source}' (module recorded in "
        f"the file: {module!r}{registered}). {suggestion} Make sure custom classes are "
        "decorated with `@lamina.saving.register_keras_serializable()` and imported, or passed "
        f"in `custom_objects`.\n\nOriginal error: {error}"
    )


def parse_config_json(config_json, source="<config>"):
    """The config dict of a ``config.json``.

    Raises:
        ValueError: for invalid JSON or a JSON value that is not an object.
    """
    return _json_object(config_json, source, CONFIG_FILENAME, shown=lambda config: str(config)[:200])


def model_from_config(config, custom_objects=None, compile=True, safe_mode=True, source="<config>"):
    """Rebuilds a model (without its weights) from its config dict (not modified).

    Raises:
        TypeError: naming an unknown class, the module recorded for it and the closest
            registered names.
        ValueError: for a `Lambda` layer's code in safe mode.
    """
    config = dict(config)
    if not compile:
        config["compile_config"] = None
    try:
        with serialization_lib.ObjectSharingScope():
            return serialization_lib.deserialize_keras_object(
                config, custom_objects=custom_objects, safe_mode=safe_mode
            )
    except TypeError as e:
        better = _unknown_class_error(config, custom_objects, source, e)
        if better is None:
            raise
        raise better from e


def model_from_config_json(config_json, custom_objects=None, compile=True, safe_mode=True,
                           source="<config>"):
    """Rebuilds a model (without its weights) from the JSON of its config (`model_from_json`).

    Raises:
        ValueError: for invalid JSON.
        TypeError: naming an unknown class, the module recorded for it and the closest
            registered names.
    """
    config = parse_config_json(config_json, source)
    return model_from_config(config, custom_objects, compile, safe_mode, source)


def _rebuild(config_json, custom_objects, compile, safe_mode, source):
    """The model of a config.json, built as far as its build config allows."""
    config = parse_config_json(config_json, source)
    model = model_from_config(config, custom_objects, compile, safe_mode, source)
    state_io.complete_build(model, config.get("build_config"))
    return model


# ---------------------------------------------------------------------------------------------
# .keras files
# ---------------------------------------------------------------------------------------------


def _asset_entries(assets_dir):
    """``[("assets/<path>", bytes)]`` for the files written into `assets_dir`."""
    entries = []
    for root, dirs, files in os.walk(assets_dir):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, assets_dir).replace(os.sep, "/")
            with open(full, "rb") as f:
                entries.append((f"{ASSETS_DIRNAME}/{rel}", f.read()))
    return entries


def _needs_assets(model):
    return any(hasattr(obj, "save_assets") or hasattr(obj, "load_assets")
               for _, obj, _ in state_io.iter_saveables(model))


def _write_archive(model, path=None):
    """Writes the `.keras` archive of `model` to the new file `path` (fsynced), or returns
    its bytes when `path` is None."""
    config_json, metadata_json = serialize_model_as_json(model)
    members = [(METADATA_FILENAME, metadata_json.encode("utf-8")),
               (CONFIG_FILENAME, config_json.encode("utf-8"))]
    assets_dir = tempfile.mkdtemp(prefix="lamina_assets_") if _needs_assets(model) else None

    def write_weights(target, userblock_size):
        store = h5_store.H5IOStore(target, mode="w", userblock_size=userblock_size,
                                   display_path=path)
        try:
            state_io.save_state(model, store, assets_dir=assets_dir)
        finally:
            store.close()

    def assets():
        return _asset_entries(assets_dir) if assets_dir is not None else []

    try:
        if path is None:
            return archive.write_keras_bytes(members, VARS_FILENAME_H5, write_weights, assets)
        archive.write_keras_file(path, members, VARS_FILENAME_H5, write_weights, assets)
        return None
    finally:
        if assets_dir is not None:
            shutil.rmtree(assets_dir, ignore_errors=True)


def save_model_to_fileobj(model, fileobj):
    """Writes a model as a ``.keras`` zip archive into an open binary file."""
    fileobj.write(_write_archive(model))


def save_model(model, filepath, zipped=True):
    """Saves a model as a ``.keras`` file (or, with ``zipped=False``, a folder with the same
    entries), atomically.

    Args:
        model: The model (or layer) to save.
        filepath: A ``.keras`` path, a folder path (``zipped=False``), or an open binary file.
        zipped: Whether to write a zip archive.
    """
    if not getattr(model, "built", True):
        warnings.warn(
            "You are saving a model that has not yet been built. It might not contain any "
            "weights yet. Consider building the model first by calling it on some data.",
            stacklevel=3,
        )
    if isinstance(filepath, io.IOBase) or hasattr(filepath, "write"):
        save_model_to_fileobj(model, filepath)
        return
    filepath = str(file_utils.path_to_string(filepath))
    if zipped and not filepath.endswith(".keras"):
        raise ValueError(
            "Invalid `filepath` argument: expected a `.keras` extension. "
            f"Received: filepath={filepath}"
        )
    if not zipped and filepath.endswith(".keras"):
        raise ValueError(
            "When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
            f"Received: filepath={filepath}"
        )
    if not zipped:
        with file_utils.atomic_directory(filepath) as tmp:
            _save_model_to_dir(model, tmp)
        return
    with file_utils.atomic_path(filepath) as tmp:
        _write_archive(model, tmp)


def _save_model_to_dir(model, dirpath):
    config_json, metadata_json = serialize_model_as_json(model)
    with open(os.path.join(dirpath, METADATA_FILENAME), "w", encoding="utf-8") as f:
        f.write(metadata_json)
    with open(os.path.join(dirpath, CONFIG_FILENAME), "w", encoding="utf-8") as f:
        f.write(config_json)
    store = h5_store.H5IOStore(os.path.join(dirpath, VARS_FILENAME_H5), mode="w")
    assets_dir = os.path.join(dirpath, ASSETS_DIRNAME) if _needs_assets(model) else None
    try:
        state_io.save_state(model, store, assets_dir=assets_dir)
    finally:
        store.close()


def _zip_read(zf, name, source):
    try:
        info = zf.getinfo(name)
    except KeyError:
        raise ValueError(
            f"The file '{source}' is not a valid `.keras` file: it has no {name} (it holds "
            f"{zf.namelist()})."
        ) from None
    expansion = _ZIP_MAX_EXPANSION * info.compress_size
    if info.file_size > _ZIP_BOMB_FLOOR_BYTES and info.file_size > expansion:
        raise ValueError(
            f"Not allowed: ZIP member '{name}' of '{source}' declares {info.file_size} bytes but "
            f"only {info.compress_size} are stored; refusing to load a potential decompression "
            "bomb."
        )
    try:
        with zf.open(info, "r") as f:
            return f.read()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise ValueError(
            f"The file '{source}' is truncated or corrupt: its entry {name} cannot be read "
            f"({e})."
        ) from e


def _extract_assets(zf, target):
    root = os.path.realpath(target)
    for name in zf.namelist():
        if not name.startswith(ASSETS_DIRNAME + "/") or name.endswith("/"):
            continue
        rel = name[len(ASSETS_DIRNAME) + 1:]
        dest = os.path.realpath(os.path.join(root, *rel.split("/")))
        if not dest.startswith(root + os.sep):
            raise ValueError(f"Invalid asset path: '{name}' escapes the asset directory.")
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with zf.open(name) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)


def _load_assets(model, assets_dir):
    for path, obj, _ in state_io.iter_saveables(model):
        if hasattr(obj, "load_assets"):
            target = os.path.join(assets_dir, *path.split("/")) if path else assets_dir
            if os.path.exists(target):
                obj.load_assets(target)


def _archive_weights_store(zf, source, path=None):
    """The weights store of an open ``.keras`` archive.

    When the archive is the file `path` and its weights entry is stored at a power-of-two
    offset (as lamina writes it, see `lamina.saving.archive`), the HDF5 data is read in place
    once the entry's CRC is checked; otherwise the entry is read into memory (the zip reader
    checks its CRC).
    """
    display = f"{source}/{VARS_FILENAME_H5}"
    info = zf.getinfo(VARS_FILENAME_H5)
    if path is not None and info.compress_type == zipfile.ZIP_STORED and not info.flag_bits & 1:
        offset = archive.weights_data_offset(path, info)
        end = None if offset is None else offset + info.file_size
        if (offset is not None and offset >= 512 and offset & (offset - 1) == 0
                and end <= os.path.getsize(path)):
            with open(path, "rb") as f:
                crc = archive.crc32_of_file_region(f.fileno(), offset, end)
            if crc != info.CRC:
                raise ValueError(
                    f"The file '{source}' is truncated or corrupt: its entry {VARS_FILENAME_H5} "
                    f"fails its CRC check (computed {crc:#010x}, recorded {info.CRC:#010x})."
                )
            store = h5_store.H5IOStore(path, mode="r", display_path=display)
            if store.h5_file.userblock_size == offset:
                return store
            store.close()
    return h5_store.H5IOStore(_zip_read(zf, VARS_FILENAME_H5, source), mode="r",
                              display_path=display)


def load_model_from_fileobj(fileobj, custom_objects=None, compile=True, safe_mode=True,
                            source=None, path=None):
    """Loads a model from an open ``.keras`` file (a binary file object; `path` is its path
    on disk, when it has one)."""
    source = source or getattr(fileobj, "name", "<file object>")
    try:
        zf = zipfile.ZipFile(fileobj, "r")
    except (zipfile.BadZipFile, EOFError, OSError) as e:
        raise ValueError(
            f"The file '{source}' is not a valid `.keras` file: it is not a zip archive, or it "
            f"is truncated or corrupt ({e})."
        ) from e
    with zf:
        names = zf.namelist()
        if METADATA_FILENAME in names:
            check_metadata(_zip_read(zf, METADATA_FILENAME, source), source)
        config_json = _zip_read(zf, CONFIG_FILENAME, source)
        if VARS_FILENAME_H5 not in names:
            if VARS_FILENAME_NPZ in names:
                raise ValueError(
                    f"The file '{source}' stores its weights as {VARS_FILENAME_NPZ}; lamina reads "
                    f"the {VARS_FILENAME_H5} layout only."
                )
            raise ValueError(f"Expected a {VARS_FILENAME_H5} file in '{source}'.")
        store = _archive_weights_store(zf, source, path)
        try:
            model = _rebuild(config_json, custom_objects, compile, safe_mode, source)
            state_io.load_state(model, store, source=source)
        finally:
            store.close()
        if any(n.startswith(ASSETS_DIRNAME + "/") for n in names) and _needs_assets(model):
            assets_dir = tempfile.mkdtemp(prefix="lamina_assets_")
            try:
                _extract_assets(zf, assets_dir)
                _load_assets(model, assets_dir)
            finally:
                shutil.rmtree(assets_dir, ignore_errors=True)
    return model


def _load_model_from_dir(dirpath, custom_objects, compile, safe_mode):
    metadata_path = os.path.join(dirpath, METADATA_FILENAME)
    if os.path.exists(metadata_path):
        with open(metadata_path, "r", encoding="utf-8") as f:
            check_metadata(f.read(), dirpath)
    with open(os.path.join(dirpath, CONFIG_FILENAME), "r", encoding="utf-8") as f:
        config_json = f.read()
    weights_path = os.path.join(dirpath, VARS_FILENAME_H5)
    if not os.path.exists(weights_path):
        raise ValueError(f"Expected a {VARS_FILENAME_H5} file in '{dirpath}'.")
    model = _rebuild(config_json, custom_objects, compile, safe_mode, dirpath)
    store = h5_store.H5IOStore(weights_path, mode="r")
    try:
        state_io.load_state(model, store, source=dirpath)
    finally:
        store.close()
    assets_dir = os.path.join(dirpath, ASSETS_DIRNAME)
    if os.path.isdir(assets_dir):
        _load_assets(model, assets_dir)
    return model


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model from a ``.keras`` file (or a folder written with ``zipped=False``, or an
    open binary file).

    Raises:
        FileNotFoundError: when the file does not exist (also a ValueError, as in Keras).
        ValueError: for a wrong extension, a truncated or corrupt file, a newer format, or
            weights that do not match the model.
        TypeError: for an unknown class.
    """
    if isinstance(filepath, io.IOBase) or hasattr(filepath, "read"):
        return load_model_from_fileobj(filepath, custom_objects, compile, safe_mode)
    filepath = str(file_utils.path_to_string(filepath))
    if not filepath.endswith(".keras"):
        if os.path.isdir(filepath) and os.path.exists(os.path.join(filepath, CONFIG_FILENAME)):
            return _load_model_from_dir(filepath, custom_objects, compile, safe_mode)
        raise ValueError(
            f"Invalid filename: expected a `.keras` extension. Received: filepath={filepath}"
        )
    if not os.path.exists(filepath):
        raise SavedFileNotFoundError(
            f"File not found: filepath={filepath}. Please ensure the file is an accessible "
            "`.keras` zip file."
        )
    if os.path.isdir(filepath):
        if os.path.exists(os.path.join(filepath, CONFIG_FILENAME)):
            return _load_model_from_dir(filepath, custom_objects, compile, safe_mode)
        raise ValueError(f"The path '{filepath}' is a folder, not a `.keras` file.")
    with open(filepath, "rb") as f:
        return load_model_from_fileobj(f, custom_objects, compile, safe_mode, source=filepath,
                                       path=filepath)


# ---------------------------------------------------------------------------------------------
# Bytes (pickling)
# ---------------------------------------------------------------------------------------------


def save_to_bytes(obj):
    """The ``.keras`` archive of a model or layer, as bytes (what pickling stores)."""
    return _write_archive(obj)


def load_from_bytes(data, custom_objects=None, compile=True, safe_mode=False):
    """Rebuilds a model or layer from `save_to_bytes` output. As in Keras, unpickling trusts
    its input (``safe_mode=False``): never unpickle data from an untrusted source."""
    return load_model_from_fileobj(io.BytesIO(data), custom_objects, compile, safe_mode,
                                   source="<pickled object>")


def unpickle_object(data):
    """The function pickle calls to rebuild a lamina model or layer (see `reduce_object`)."""
    return load_from_bytes(data)


def reduce_object(obj):
    """``__reduce__`` for models and layers: pickle (and ``copy.deepcopy``) go through the
    ``.keras`` bytes, as in Keras 3.

    Example:

    >>> class Model(...):
    ...     def __reduce__(self):
    ...         return saving_lib.reduce_object(self)
    """
    return unpickle_object, (save_to_bytes(obj),)


# ---------------------------------------------------------------------------------------------
# Weights files
# ---------------------------------------------------------------------------------------------


def save_weights_only(model, filepath, max_shard_size=None, objects_to_skip=None):
    """Writes a model's weights (and optimizer state) to a ``.weights.h5`` file, or to
    ``.weights.json`` + shard files when `max_shard_size` (GB) is given, atomically."""
    if not getattr(model, "built", True):
        raise ValueError(
            "You are saving a model that has not yet been built. Try building the model first "
            "by calling it on some data or by using `build()`."
        )
    filepath = str(file_utils.path_to_string(filepath))
    skip = {id(o) for o in objects_to_skip} if objects_to_skip is not None else None
    if max_shard_size is None:
        with file_utils.atomic_path(filepath) as tmp:
            store = h5_store.H5IOStore(tmp, mode="w", display_path=filepath)
            try:
                state_io.save_state(model, store, objects_to_skip=skip)
            finally:
                store.close()
        return
    if not filepath.endswith(".json"):
        stem = filepath[: -len(".h5")] if filepath.endswith(".h5") else filepath
        new_path = stem + ".json"
        warnings.warn(
            f"Saving sharded weights requires `*.json` as the extension. The original path: "
            f"{filepath} will be renamed to {new_path}.",
            stacklevel=3,
        )
        filepath = new_path
    store = h5_store.ShardedH5IOStore(filepath, max_shard_size=max_shard_size, mode="w")
    state_io.save_state(model, store, objects_to_skip=skip)
    shards, config = store.shard_plan()
    folder = os.path.dirname(os.path.abspath(filepath))
    for name, records in shards:
        with file_utils.atomic_path(os.path.join(folder, name)) as tmp:
            store.write_shard(records, tmp)
    with file_utils.atomic_write(filepath, "w") as f:
        f.write(json.dumps(config, indent=4))


def open_weights_store(filepath):
    """A read store for a ``.weights.h5``, ``.weights.json`` (sharded) or ``.keras`` file.

    Raises:
        FileNotFoundError: when the file does not exist (also a ValueError).
        ValueError: for a truncated or corrupt file.
    """
    filepath = str(file_utils.path_to_string(filepath))
    if not os.path.exists(filepath):
        raise SavedFileNotFoundError(
            f"File not found: filepath={filepath}. Please ensure the weights file exists and "
            "is accessible."
        )
    if filepath.endswith(".keras"):
        try:
            with zipfile.ZipFile(filepath, "r") as zf:
                names = zf.namelist()
                if METADATA_FILENAME in names:
                    check_metadata(_zip_read(zf, METADATA_FILENAME, filepath), filepath)
                if VARS_FILENAME_H5 not in names:
                    raise ValueError(f"Expected a {VARS_FILENAME_H5} file in '{filepath}'.")
                return _archive_weights_store(zf, filepath, filepath)
        except (zipfile.BadZipFile, EOFError) as e:
            raise ValueError(
                f"The file '{filepath}' is not a valid `.keras` file: it is not a zip archive, "
                f"or it is truncated or corrupt ({e})."
            ) from e
    if filepath.endswith(".json"):
        return h5_store.ShardedH5IOStore(filepath, mode="r")
    return h5_store.H5IOStore(filepath, mode="r", display_path=filepath)


def load_weights_only(model, filepath, skip_mismatch=False, objects_to_skip=None):
    """Loads a weights file into a model: every weight is checked before any is assigned.

    A model that is not built yet keeps the weights and receives them when it is built
    (`restore_deferred_weights`).

    Raises:
        ValueError: listing every missing, unexpected and mis-shaped weight by path (a warning
            with `skip_mismatch`, the objects concerned being skipped).
    """
    store = open_weights_store(filepath)
    skip = {id(o) for o in objects_to_skip} if objects_to_skip is not None else None
    try:
        if not getattr(model, "built", True):
            state_io.defer_weights(model, store, skip_mismatch=skip_mismatch, objects_to_skip=skip)
            return
        state_io.load_state(model, store, skip_mismatch=skip_mismatch, objects_to_skip=skip,
                    source=str(file_utils.path_to_string(filepath)))
    finally:
        store.close()


restore_deferred_weights = state_io.restore_deferred_weights
has_deferred_weights = state_io.has_deferred_weights

__all__ = [
    "KERAS_FORMAT_VERSION", "SavedFileNotFoundError", "check_metadata", "has_deferred_weights",
    "load_from_bytes", "load_model", "load_model_from_fileobj", "load_weights_only",
    "model_from_config", "model_from_config_json", "open_weights_store", "parse_config_json",
    "reduce_object", "restore_deferred_weights", "save_model", "save_model_to_fileobj",
    "save_to_bytes", "save_weights_only", "serialize_model_as_json", "unpickle_object",
]
