"""Read the files the builder is given only when they are regular files.

A FIFO, a device (/dev/zero) or a folder given where a file is expected is refused by
its type, found with fstat on a descriptor opened without blocking: reading a FIFO would
wait for a writer forever, and a device can give bytes without end.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """A path names something other than a regular file; strerror says what it is."""


def _kind(mode: int) -> str:
    """Name the kind of file a mode describes, as a message says it."""
    return next((name for test, name in _KINDS if test(mode)), "not a file")


def open_regular(path: Path) -> int:
    """Open path for reading without blocking; return its descriptor if a regular file.

    Raise NotRegularFile (or the OSError of opening it) otherwise.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(errno.EINVAL, f"{_kind(mode)}, not a regular file", str(path))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def files_digest(files: list[tuple[str, bytes]]) -> str:
    """Return the hex SHA-256 of named files: each name with its content's hash, in name order."""
    lines = "".join(f"{name}={hashlib.sha256(data).hexdigest()}\n" for name, data in sorted(files))
    return hashlib.sha256(lines.encode()).hexdigest()


def read_regular(path: Path, limit: int | None = None) -> tuple[bytes, int]:
    """Return the bytes of the regular file at path (at most limit of them) and its size.

    The first read asks for the size fstat gives (and a byte more, to see a file that
    grew), not for limit: a buffer of the limit's size would be set aside for every file.
    """
    with os.fdopen(open_regular(path), "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if limit is None:
            return handle.read(), size
        first = min(limit, size + 1)
        data = handle.read(first)
        if len(data) == first < limit:  # it grew since: read on, up to the limit
            data += handle.read(limit - first)
        return data, size
