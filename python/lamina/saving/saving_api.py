"""``lamina.saving.save_model``/``load_model``/``save_weights``/``load_weights``: Keras 3's public
saving functions (``keras.saving``), reading and writing Keras 3's own file formats.

``Model.save``, ``Model.save_weights``, ``Model.load_weights`` and ``lamina.models.load_model``
call these.
"""

import os
import warnings

from lamina.saving import file_utils
from lamina.saving import saving_lib


def _exists(filepath):
    try:
        return os.path.exists(filepath)
    except TypeError:
        return False


def save_model(model, filepath, overwrite=True, zipped=None, **kwargs):
    """Saves a model as a `.keras` file.

    The `.keras` file is a zip archive holding the model's configuration (architecture), its
    weights and its optimizer's state, in Keras 3's format: Keras 3 loads it, and
    `lamina.saving.load_model` loads files written by Keras 3. The file is written atomically:
    a failure while saving leaves any previous file at `filepath` intact.

    Args:
        model: The model to save.
        filepath: `str` or `pathlib.Path` object. Path where to save the model (it must end in
            `.keras`), or an open binary file.
        overwrite: Whether to overwrite an existing file at the target location, or instead ask
            the user via an interactive prompt. Defaults to `True`.
        zipped: Whether to save the model as a zipped `.keras` archive (the default), or as an
            unzipped folder holding the same entries.
        **kwargs: `include_optimizer` (accepted for compatibility; the `.keras` format always
            includes the optimizer) and the deprecated `save_format`.

    Example:

    >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(5)])
    >>> model.save("model.keras")
    >>> loaded_model = lamina.saving.load_model("model.keras")

    Note that `model.save()` is an alias for `lamina.saving.save_model()`.
    """
    kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    filepath_str = str(file_utils.path_to_string(filepath))
    if save_format:
        if filepath_str.endswith((".h5", ".hdf5", ".keras")):
            warnings.warn(
                "The `save_format` argument is deprecated in Keras 3. We recommend removing "
                "this argument as it can be inferred from the file path. "
                f"Received: save_format={save_format}",
                stacklevel=2,
            )
        else:
            raise ValueError(
                "The `save_format` argument is deprecated in Keras 3. Please remove this "
                "argument and pass a file path with either `.keras` or `.h5` extension."
                f"Received: save_format={save_format}"
            )
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if zipped is None:
        zipped = True
    if _exists(filepath) and not overwrite:
        if not file_utils.ask_to_proceed_with_overwrite(filepath_str):
            return
    if hasattr(filepath, "write") and hasattr(filepath, "seek"):
        return saving_lib.save_model(model, filepath)
    if zipped and filepath_str.endswith(".keras"):
        return saving_lib.save_model(model, filepath)
    if not zipped:
        return saving_lib.save_model(model, filepath, zipped=False)
    if filepath_str.endswith((".h5", ".hdf5")):
        raise ValueError(
            "lamina does not write the legacy HDF5 model format (`.h5`/`.hdf5`). Please use "
            "the native Keras format with a `.keras` extension, e.g. "
            f"`model.save('my_model.keras')`. Received: filepath={filepath_str}."
        )
    raise ValueError(
        "Invalid filepath extension for saving. Please add either a `.keras` extension for the "
        "native Keras format (recommended) or a `.h5` extension. Use `model.export(filepath)` if "
        "you want to export a SavedModel for use with TFLite/TFServing/etc. "
        f"Received: filepath={filepath_str}."
    )


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved via `model.save()` (by lamina or by Keras 3).

    Args:
        filepath: `str` or `pathlib.Path` object, path to the saved model file (`.keras`), or
            to a folder saved with `zipped=False`.
        custom_objects: Optional dictionary mapping names (strings) to custom classes or
            functions to be considered during deserialization.
        compile: Boolean, whether to compile the model after loading. Defaults to `True`.
        safe_mode: Boolean, whether to disallow unsafe `lambda` deserialization. When
            `safe_mode=False`, loading an object has the potential to trigger arbitrary code
            execution. Defaults to `True`.

    Returns:
        A lamina model instance. If the original model was compiled, and the argument
        `compile=True` is set, then the returned model will be compiled (with its optimizer
        state restored). Otherwise, the model will be left uncompiled.

    Raises:
        FileNotFoundError: when the file does not exist (it is also a `ValueError`, as Keras
            raises).
        ValueError: for a wrong extension, a truncated or corrupt file, a file from a newer
            format version, a `Lambda` layer's code in safe mode, or weights that do not match
            the model.
        TypeError: for a class that cannot be found, naming it, the module recorded in the
            file and the closest registered names.

    Example:

    >>> model = lamina.Sequential([lamina.Input((3,)), lamina.layers.Dense(5)])
    >>> model.save("model.keras")
    >>> loaded_model = lamina.saving.load_model("model.keras")
    """
    if hasattr(filepath, "read") and hasattr(filepath, "seek"):
        return saving_lib.load_model(filepath, custom_objects=custom_objects, compile=compile,
                                     safe_mode=safe_mode)
    filepath_str = str(file_utils.path_to_string(filepath))
    is_dir = os.path.isdir(filepath_str) and os.path.exists(
        os.path.join(filepath_str, saving_lib.CONFIG_FILENAME)
    )
    if filepath_str.endswith(".keras") or is_dir:
        return saving_lib.load_model(filepath_str, custom_objects=custom_objects,
                                     compile=compile, safe_mode=safe_mode)
    if filepath_str.endswith((".h5", ".hdf5")):
        if not _exists(filepath_str):
            raise saving_lib.SavedFileNotFoundError(
                f"File not found: filepath={filepath_str}."
            )
        raise ValueError(
            f"File format not supported: filepath={filepath_str}. lamina reads Keras 3's V3 "
            "`.keras` files; the legacy HDF5 model format (`.h5`) is not supported. Load the "
            "model with Keras and save it again with a `.keras` extension."
        )
    raise ValueError(
        f"File format not supported: filepath={filepath_str}. Keras 3 only supports V3 "
        "`.keras` files, legacy H5 format files (`.h5` extension). Note that the legacy "
        "SavedModel format is not supported by `load_model()` in Keras 3. In order to reload a "
        "TensorFlow SavedModel as an inference-only layer in Keras 3, use "
        f"`keras.layers.TFSMLayer({filepath_str}, call_endpoint='serving_default')` (note that "
        "your `call_endpoint` might have a different name)."
    )


def save_weights(model, filepath, overwrite=True, max_shard_size=None, **kwargs):
    """Saves all the weights of a model (and its optimizer's state) to a `.weights.h5` file,
    in Keras 3's layout, atomically.

    Args:
        model: The model whose weights are saved (it must be built).
        filepath: `str` or `pathlib.Path` object. Path where the weights are saved; it must end
            in `.weights.h5`, or `.weights.json` when `max_shard_size` is set.
        overwrite: Whether to overwrite an existing file, or ask via an interactive prompt.
            Defaults to `True`.
        max_shard_size: `int` or `float`. Maximum size in GB of each shard file. When set, the
            weights are spread over `<name>_00000.weights.h5`, ... files described by the
            `.weights.json` file. Defaults to `None` (one file).
        **kwargs: `objects_to_skip`: objects (layers, the optimizer) whose state is not saved.

    Example:

    >>> model.save_weights("model.weights.h5")
    >>> model.load_weights("model.weights.h5")
    """
    filepath_str = str(file_utils.path_to_string(filepath))
    if max_shard_size is None and not filepath_str.endswith(".weights.h5"):
        raise ValueError(
            f"The filename must end in `.weights.h5`. Received: filepath={filepath_str}"
        )
    if max_shard_size is not None and not filepath_str.endswith(("weights.h5", "weights.json")):
        raise ValueError(
            "The filename must end in `.weights.json` when `max_shard_size` is specified. "
            f"Received: filepath={filepath_str}"
        )
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if _exists(filepath_str) and not overwrite:
        if not file_utils.ask_to_proceed_with_overwrite(filepath_str):
            return
    saving_lib.save_weights_only(model, filepath_str, max_shard_size=max_shard_size,
                                 objects_to_skip=objects_to_skip)


def load_weights(model, filepath, skip_mismatch=False, **kwargs):
    """Loads the weights of a model from a `.weights.h5` file (or `.weights.json` for sharded
    weights, or a `.keras` file), written by lamina or by Keras 3.

    Every weight is checked against the model before any is assigned: when some do not match,
    one ValueError lists every missing, unexpected and mis-shaped weight by its path, with both
    shapes, and the model is left unchanged. A model that is not built yet (a subclassed model
    before its first call) keeps the weights and receives them when it is built.

    Args:
        model: The model to load the weights into.
        filepath: `str` or `pathlib.Path` object, path to the weights file.
        skip_mismatch: Whether to skip the objects (layers, the optimizer) whose weights do not
            match, with a warning listing them, and load the rest. Defaults to `False`.
        **kwargs: `objects_to_skip`: objects whose state is not loaded (`.weights.h5` only).

    Raises:
        FileNotFoundError: when the file does not exist (also a `ValueError`).
        ValueError: for an unsupported extension, a truncated or corrupt file, or weights that
            do not match the model (unless `skip_mismatch`).

    Example:

    >>> model.save_weights("model.weights.h5")
    >>> model.load_weights("model.weights.h5")
    """
    filepath_str = str(file_utils.path_to_string(filepath))
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    if filepath_str.endswith(".keras"):
        if objects_to_skip is not None:
            raise ValueError(
                f"`objects_to_skip` only supports loading '.weights.h5' files.Received: {filepath}"
            )
        if by_name is not None:
            raise ValueError(
                "`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
                f"Received: {filepath}"
            )
        return saving_lib.load_weights_only(model, filepath_str, skip_mismatch=skip_mismatch)
    if filepath_str.endswith((".weights.h5", ".weights.json")):
        if by_name is not None:
            raise ValueError(
                "`by_name` only supports loading legacy '.h5' or '.hdf5' files. "
                f"Received: {filepath}"
            )
        return saving_lib.load_weights_only(model, filepath_str, skip_mismatch=skip_mismatch,
                                            objects_to_skip=objects_to_skip)
    if filepath_str.endswith((".h5", ".hdf5")):
        raise ValueError(
            f"File format not supported: filepath={filepath_str}. lamina reads `.weights.h5` "
            "files (Keras 3's layout); the legacy HDF5 weights format of `.h5` files is not "
            "supported. Load the weights with Keras and save them again with "
            "`model.save_weights('name.weights.h5')`."
        )
    raise ValueError(
        f"File format not supported: filepath={filepath}. Keras 3 only supports V3 `.keras` "
        "files, `.weights.h5` files, legacy H5 format files (`.h5` extension), or Orbax "
        "checkpoints."
    )


__all__ = ["load_model", "load_weights", "save_model", "save_weights"]
