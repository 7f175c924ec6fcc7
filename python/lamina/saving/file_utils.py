"""Atomic writes for lamina's saving: a file (or folder) is written under a temporary name in
the target's own folder, flushed to disk (fsync), then renamed over the target in one step.

A crash, an exception or a full disk in the middle of a save therefore never leaves a
half-written file where the previous one was: the target is either the old file, untouched, or
the complete new one (its data reaches the disk before the rename), and the temporary file is
removed on failure.
"""

import contextlib
import os
import shutil
import tempfile
import threading

_umask_lock = threading.Lock()
_umask_value = None


def path_to_string(filepath):
    """`filepath` (a str or an ``os.PathLike``) as a str; other values are returned unchanged."""
    if isinstance(filepath, os.PathLike):
        return os.fspath(filepath)
    return filepath


def _current_umask():
    """The process umask (read once; reading it means setting it, so it is done under a lock)."""
    global _umask_value
    if _umask_value is None:
        with _umask_lock:
            if _umask_value is None:
                value = os.umask(0o022)
                os.umask(value)
                _umask_value = value
    return _umask_value


def _final_mode(filepath, default=0o666):
    """The permission bits the new file gets: those of the file it replaces, else the default
    for a new file (``0o666`` minus the umask), as a plain ``open()`` would give."""
    try:
        return os.stat(filepath).st_mode & 0o7777
    except OSError:
        return default & ~_current_umask()


def _fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_parent(filepath):
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"Cannot write '{filepath}': its folder '{directory}' does not exist."
        )
    return directory


def _remove_quietly(path):
    try:
        os.remove(path)
    except OSError:
        pass


@contextlib.contextmanager
def atomic_path(filepath):
    """Yields a temporary path in the folder of `filepath`; when the block succeeds, the file
    written there is flushed to disk and renamed over `filepath`. When the block raises, the
    temporary file is removed and `filepath` is left as it was.

    Args:
        filepath: The target path (str or ``os.PathLike``).

    Yields:
        The temporary path to write (it exists, empty).

    Example:

    >>> with atomic_path("model.weights.h5") as tmp:
    ...     write_h5(tmp)
    """
    filepath = path_to_string(filepath)
    if os.path.islink(filepath):
        # Write through the link, as `open(filepath, "wb")` would: the link stays a link.
        filepath = os.path.realpath(filepath)
    directory = _check_parent(filepath)
    base = os.path.basename(filepath)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, _final_mode(filepath))
        _fsync_path(tmp)
        os.replace(tmp, filepath)
    except BaseException:
        _remove_quietly(tmp)
        raise


@contextlib.contextmanager
def atomic_write(filepath, mode="wb"):
    """Opens a temporary file next to `filepath` for writing; when the block succeeds it is
    flushed, fsynced and renamed over `filepath`, when it raises it is removed and `filepath`
    keeps its old content.

    Args:
        filepath: The target path (str or ``os.PathLike``).
        mode: ``"wb"`` (bytes) or ``"w"`` (text, UTF-8).

    Yields:
        The open file object.

    Example:

    >>> with atomic_write("config.json", "w") as f:
    ...     f.write("{}")
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"Argument `mode` must be 'wb' or 'w'. Received: mode={mode!r}")
    with atomic_path(filepath) as tmp:
        encoding = None if mode == "wb" else "utf-8"
        with open(tmp, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_directory(dirpath):
    """Yields a temporary folder next to `dirpath`; when the block succeeds it replaces
    `dirpath` (an existing folder there is moved aside first and deleted once the new one is
    in place), when it raises it is deleted and `dirpath` is left as it was.

    Args:
        dirpath: The target folder (str or ``os.PathLike``).

    Yields:
        The temporary folder to fill.
    """
    dirpath = path_to_string(dirpath)
    parent = _check_parent(dirpath)
    base = os.path.basename(os.path.normpath(dirpath))
    tmp = tempfile.mkdtemp(prefix=f".{base}.", suffix=".tmp", dir=parent)
    try:
        yield tmp
        for root, _, files in os.walk(tmp):
            for name in files:
                _fsync_path(os.path.join(root, name))
        old = None
        if os.path.lexists(dirpath):
            if not os.path.isdir(dirpath) or os.path.islink(dirpath):
                raise FileExistsError(
                    f"Cannot save to the folder '{dirpath}': a file with that name exists."
                )
            old = tempfile.mktemp(prefix=f".{base}.", suffix=".old", dir=parent)
            os.rename(dirpath, old)
        try:
            os.rename(tmp, dirpath)
        except BaseException:
            if old is not None:
                os.rename(old, dirpath)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def atomic_copy(source, target):
    """Copies the file `source` to `target` atomically (the copy is written next to `target`
    and renamed over it once complete).

    Args:
        source: The file to copy.
        target: Where to copy it.
    """
    with atomic_path(target) as tmp:
        shutil.copyfile(source, tmp)


def ask_to_proceed_with_overwrite(filepath):
    """Asks on the terminal whether `filepath` may be overwritten (Keras' prompt).

    Args:
        filepath: The path that already exists.

    Returns:
        True to overwrite, False to keep the existing file.
    """
    answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip().lower()
    while answer not in ("y", "n"):
        answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
    if answer == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


__all__ = [
    "ask_to_proceed_with_overwrite", "atomic_copy", "atomic_directory", "atomic_path",
    "atomic_write", "path_to_string",
]
