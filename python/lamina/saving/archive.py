"""Writes ``.keras`` zip archives with the weights file in place.

A ``.keras`` file is a zip archive whose entries are stored (not compressed). Instead of
building ``model.weights.h5`` in memory and copying it into the archive, lamina has HDF5 write
it directly into the archive file: the HDF5 file is created with a *user block* (a reserved
space at its start, a power of two of bytes) that receives the zip entries written before it
(``metadata.json``, ``config.json``) and the weights entry's own header. An HDF5 file is
position-independent after its user block, so the entry's data — the bytes from the end of the
user block to the end of the HDF5 file — is a valid standalone HDF5 file, which is what every
zip reader (Keras 3 included) extracts. The central directory is appended after it.

The entry's CRC-32 is computed on the file's pages (memory-mapped, no copy) while the data is
being flushed to disk, and the file is fsynced before the caller renames it into place.

The result is an ordinary zip archive: Python's `zipfile`, ``unzip`` and Keras 3 read it.
"""

import io
import mmap
import os
import struct
import threading
import time
import zlib

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
_END_RECORD = struct.Struct("<IHHHHIIH")
_END_RECORD_64 = struct.Struct("<IQHHIIQQQQ")
_END_LOCATOR_64 = struct.Struct("<IIQI")

_LOCAL_SIGNATURE = 0x04034B50
_CENTRAL_SIGNATURE = 0x02014B50
_END_SIGNATURE = 0x06054B50
_END_64_SIGNATURE = 0x06064B50
_LOCATOR_64_SIGNATURE = 0x07064B50

# Sizes and offsets above this use zip64 fields (the limit Python's zipfile uses).
_ZIP64_LIMIT = (1 << 31) - 1
_VERSION = 20
_VERSION_ZIP64 = 45
_UNIX = 3
# The extra field that pads the weights entry's header up to the user block's end (the id
# Android's zipalign uses for alignment padding; readers skip extra fields they do not know).
_PADDING_ID = 0xD935
_MIN_USER_BLOCK = 512


class _Member:
    __slots__ = ("name", "crc", "size", "offset")

    def __init__(self, name, crc, size, offset):
        self.name = name.encode("ascii")
        self.crc = crc
        self.size = size
        self.offset = offset


def _dos_date_time(now):
    t = time.localtime(now)
    year = max(t.tm_year, 1980)
    dos_date = (year - 1980) << 9 | t.tm_mon << 5 | t.tm_mday
    dos_time = t.tm_hour << 11 | t.tm_min << 5 | (t.tm_sec // 2)
    return dos_date, dos_time


def _local_header(member, dos, padding=None):
    """The local file header of a stored entry; `padding` (an int) adds a padding extra field
    of that many bytes in total."""
    extra = b""
    size = member.size
    version = _VERSION
    if size > _ZIP64_LIMIT:
        extra += struct.pack("<HHQQ", 1, 16, size, size)
        size = 0xFFFFFFFF
        version = _VERSION_ZIP64
    if padding is not None:
        extra += struct.pack("<HHH", _PADDING_ID, padding - 4, _MIN_USER_BLOCK)
        extra += b"\0" * (padding - 6)
    header = _LOCAL_HEADER.pack(_LOCAL_SIGNATURE, version, 0, 0, dos[1], dos[0], member.crc,
                                size, size, len(member.name), len(extra))
    return header + member.name + extra


def _central_header(member, dos):
    fields = []
    size = member.size
    offset = member.offset
    if size > _ZIP64_LIMIT:
        fields += [size, size]
        size = 0xFFFFFFFF
    if offset > _ZIP64_LIMIT:
        fields.append(offset)
        offset = 0xFFFFFFFF
    extra = struct.pack("<HH" + "Q" * len(fields), 1, 8 * len(fields), *fields) if fields else b""
    version = _VERSION_ZIP64 if fields else _VERSION
    header = _CENTRAL_HEADER.pack(
        _CENTRAL_SIGNATURE, _UNIX << 8 | version, version, 0, 0, dos[1], dos[0], member.crc,
        size, size, len(member.name), len(extra), 0, 0, 0, (0o100644 << 16), offset)
    return header + member.name + extra


def _end_records(members, dos, directory_offset):
    directory = b"".join(_central_header(m, dos) for m in members)
    end = b""
    count = len(members)
    size = len(directory)
    offset = directory_offset
    if offset > _ZIP64_LIMIT or count > 0xFFFF:
        end += _END_RECORD_64.pack(_END_64_SIGNATURE, 44, _UNIX << 8 | _VERSION_ZIP64,
                                   _VERSION_ZIP64, 0, 0, count, count, size, offset)
        end += _END_LOCATOR_64.pack(_LOCATOR_64_SIGNATURE, 0, offset + size, 1)
        count = min(count, 0xFFFF)
        offset = min(offset, 0xFFFFFFFF)
    end += _END_RECORD.pack(_END_SIGNATURE, 0, 0, count, count, size, offset, 0)
    return directory + end


def user_block_size(members, weights_name):
    """The HDF5 user block size that holds the entries before the weights and the weights
    entry's header (with room for zip64 sizes and the padding field): a power of two."""
    needed = sum(30 + len(name) + len(data) for name, data in members)
    needed += 30 + len(weights_name) + 20 + 6
    size = _MIN_USER_BLOCK
    while size < needed:
        size *= 2
    return size


def _entries(members, position, infos, dos):
    """The local headers and data of `members` (``(name, bytes)`` pairs) written from offset
    `position`; appends their `_Member` records to `infos`. Returns ``([bytes], end offset)``."""
    out = []
    for name, data in members:
        member = _Member(name, zlib.crc32(data), len(data), position)
        header = _local_header(member, dos)
        out += [header, data]
        infos.append(member)
        position += len(header) + len(data)
    return out, position


def _prefix(members, weights_name, weights_crc, weights_size, block, dos):
    """The bytes of the user block: the small entries, then the weights entry's header padded
    to end exactly at `block`. Returns ``(bytes, [_Member])``."""
    infos = []
    out, position = _entries(members, 0, infos, dos)
    weights = _Member(weights_name, weights_crc, weights_size, position)
    bare = len(_local_header(weights, dos))
    padding = block - position - bare
    if padding < 6:
        raise ValueError("Internal error: the HDF5 user block is too small for the zip headers.")
    out.append(_local_header(weights, dos, padding=padding))
    infos.append(weights)
    prefix = b"".join(out)
    if len(prefix) != block:
        raise ValueError("Internal error: the zip headers do not fill the HDF5 user block.")
    return prefix, infos


# Above this size the data is flushed to disk while its CRC is computed.
_OVERLAP_SYNC_BYTES = 16 << 20


def crc32_of_file_region(fd, start, end):
    """CRC-32 of the bytes [start, end) of an open file, read through a memory map (no copy)."""
    if end <= start:
        return zlib.crc32(b"")
    with mmap.mmap(fd, end, access=mmap.ACCESS_READ) as mapped:
        view = memoryview(mapped)
        try:
            return zlib.crc32(view[start:end])
        finally:
            view.release()


def _crc_and_sync(fd, start, end):
    """CRC-32 of the file's bytes [start, end); for large files the data is flushed to disk by
    a second thread meanwhile (both release the GIL), so that the final fsync is short."""
    if end - start < _OVERLAP_SYNC_BYTES:
        return crc32_of_file_region(fd, start, end)
    errors = []

    def sync():
        try:
            (os.fdatasync if hasattr(os, "fdatasync") else os.fsync)(fd)
        except OSError as e:  # pragma: no cover - reported after the CRC
            errors.append(e)

    worker = threading.Thread(target=sync)
    worker.start()
    try:
        crc = crc32_of_file_region(fd, start, end)
    finally:
        worker.join()
    if errors:
        raise errors[0]
    return crc


def _trailer(infos, trailing, dos, end):
    """The entries after the weights (`trailing`, or a function giving them), then the
    central directory."""
    if callable(trailing):
        trailing = trailing()
    out, position = _entries(trailing, end, infos, dos)
    out.append(_end_records(infos, dos, position))
    return b"".join(out)


def write_keras_file(path, members, weights_name, write_weights, trailing=()):
    """Writes a ``.keras`` archive to `path` (a new file, typically a temporary one; the caller
    fsyncs it before renaming it into place).

    Args:
        path: The file to create.
        members: ``[(name, bytes)]``: the entries before the weights (metadata, config).
        weights_name: The weights entry's name (``"model.weights.h5"``).
        write_weights: ``write_weights(path, user_block_size)`` creates the HDF5 weights file
            at `path` with that user block.
        trailing: ``[(name, bytes)]``, or a function called once the weights are written that
            returns them: entries after the weights (assets).
    """
    block = user_block_size(members, weights_name)
    write_weights(path, block)
    dos = _dos_date_time(time.time())
    with open(path, "r+b") as f:
        end = os.fstat(f.fileno()).st_size
        crc = _crc_and_sync(f.fileno(), block, end)
        prefix, infos = _prefix(members, weights_name, crc, end - block, block, dos)
        f.seek(0)
        f.write(prefix)
        f.seek(end)
        f.write(_trailer(infos, trailing, dos, end))


def write_keras_bytes(members, weights_name, write_weights, trailing=()):
    """The bytes of a ``.keras`` archive built in memory (see `write_keras_file`);
    ``write_weights(buffer, user_block_size)`` writes the HDF5 file into an ``io.BytesIO``."""
    block = user_block_size(members, weights_name)
    buffer = io.BytesIO()
    write_weights(buffer, block)
    end = len(buffer.getbuffer())
    view = buffer.getbuffer()
    try:
        crc = zlib.crc32(view[block:end])
    finally:
        view.release()
    dos = _dos_date_time(time.time())
    prefix, infos = _prefix(members, weights_name, crc, end - block, block, dos)
    buffer.seek(0)
    buffer.write(prefix)
    buffer.seek(end)
    buffer.write(_trailer(infos, trailing, dos, end))
    return buffer.getvalue()


def weights_data_offset(path, info):
    """Where the data of a stored zip entry (`info`, a ``zipfile.ZipInfo``) starts in the file
    `path`, read from its local header; None when the header is not a valid one."""
    with open(path, "rb") as f:
        f.seek(info.header_offset)
        header = f.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        return None
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != _LOCAL_SIGNATURE:
        return None
    return info.header_offset + _LOCAL_HEADER.size + fields[9] + fields[10]


__all__ = [
    "crc32_of_file_region", "user_block_size", "weights_data_offset", "write_keras_bytes",
    "write_keras_file",
]
