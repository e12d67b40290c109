"""A release folder read as untrusted input.

Its entries are listed once, through a descriptor of the folder, and only regular files
are ever opened: by the names that listing gave (never a name read from inside a file),
relative to that descriptor, without following a symbolic link and without blocking. A
folder, symbolic link, named pipe, device or socket in a release is a problem, named and
never opened or followed, except the web edition's folder site/: it and the folders in
it, at most SITE_DEPTH deep, are opened without following a link, each through its
parent's descriptor, and listed the same way; their files are named by their paths
(site/codes/74440.html) and opened through their own folder's descriptor. No file is
read whole that is larger than a release's file of its kind can be; PDFs are hashed and
compared in blocks.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from report.errors import Finding, ReleaseError, UsageError, display_name
from report.release.jsondoc import MAX_JSON_BYTES, too_large
from report.release.manifest import MANIFEST_NAME
from report.release.model import SITE_DEPTH, SITE_FOLDER, SUMS_NAME
from report.release.snapshot import SNAPSHOT_NAME

MAX_ENTRIES = 100_000  # a release holds a PDF, a page and a copy per report, and some more
# A volume of 1,000 reports is some 60 MB: a file of a gibibyte is no release's.
MAX_FILE_BYTES = 1 << 30
JSON_FILES = (SUMS_NAME, MANIFEST_NAME, SNAPSHOT_NAME)
BLOCK = 1 << 20
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _not_regular(mode: int) -> str | None:
    """Say what an entry that is not a regular file is, and what verify does not do with it."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "is a folder, not a regular file: not looked into"
    if stat.S_ISLNK(mode):
        return "is a symbolic link, not a regular file: not followed"
    if stat.S_ISFIFO(mode):
        return "is a named pipe, not a regular file: not opened"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "is a device, not a regular file: not opened"
    return "is not a regular file: not opened"


class ReleaseFolder:
    """An open release folder: its entries, listed once, and bounded reads of its files."""

    def __init__(self, fd: int, shown_path: str) -> None:
        self.fd = fd
        self.shown_path = shown_path
        self.problems: list[Finding] = []
        self.present: list[str] = []  # every entry's name, sorted
        self.sizes: dict[str, int] = {}  # the regular files that may be read, and their sizes
        self._digests: dict[str, str] = {}
        self._folders: dict[str, int] = {"": fd}  # each listed folder's descriptor, by path
        self.folders: set[str] = set()  # the folders of site/ that were listed
        self._entries = 0
        try:
            self._list("", fd)
        except BaseException:
            self._close_folders()
            raise

    @classmethod
    def open(cls, folder: Path, shown_path: str) -> ReleaseFolder:
        """Open folder (a symbolic link to it is followed: the caller named it) and list it."""
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise UsageError(f"{shown_path}: no such release folder") from exc
        except OSError as exc:
            raise UsageError(
                f"{shown_path}: cannot open the release folder: {exc.strerror}"
            ) from exc
        try:
            return cls(fd, shown_path)
        except BaseException:
            os.close(fd)
            raise

    def close(self) -> None:
        """Close the folder's descriptor, and those of the folders listed in it."""
        self._close_folders()
        os.close(self.fd)

    def _close_folders(self) -> None:
        """Close the descriptors of the folders within the release."""
        for path, fd in self._folders.items():
            if path:
                os.close(fd)
        self._folders = {"": self.fd}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def path(self, name: str) -> str:
        """Return a file's path as messages show it."""
        return os.path.join(self.shown_path, display_name(name))

    def fail(self, name: str, message: str) -> None:
        """Record a problem with one entry."""
        self.problems.append(Finding.at(self.path(name), message))

    def _list(self, prefix: str, fd: int) -> None:
        """List the folder open as fd, whose entries' paths begin with prefix."""
        names: list[str] = []
        with os.scandir(fd) as entries:
            for entry in entries:
                if self._entries == MAX_ENTRIES:
                    self.problems.append(
                        Finding.at(
                            self.shown_path,
                            f"holds more than {MAX_ENTRIES:,} entries, far more than "
                            "a release holds: the rest are not read",
                        )
                    )
                    break
                self._entries += 1
                names.append(entry.name)
        for base in sorted(names):
            name = prefix + base
            try:
                info = os.stat(base, dir_fd=fd, follow_symlinks=False)
            except OSError:
                continue  # gone meanwhile
            self.present.append(name)
            if stat.S_ISDIR(info.st_mode) and name.split("/")[0] == SITE_FOLDER:
                self._enter(name, base, fd)
                continue
            limit, what = (
                (MAX_JSON_BYTES, f"a release's {name}")
                if name in JSON_FILES
                else (MAX_FILE_BYTES, "any file of a release")
            )
            if (problem := _not_regular(info.st_mode)) is not None:
                self.fail(name, problem)
            elif info.st_size > limit:
                self.fail(name, too_large(info.st_size, what, limit))
            else:
                self.sizes[name] = info.st_size

    def _enter(self, name: str, base: str, parent: int) -> None:
        """Open the folder of site/ name (base in the folder open as parent) and list it."""
        if len(name.split("/")) > SITE_DEPTH:
            self.fail(
                name,
                f"is a folder deeper than a release's {SITE_FOLDER}/ goes: not looked into",
            )
            return
        try:
            fd = os.open(base, FOLDER_FLAGS, dir_fd=parent)
        except OSError as exc:
            self.fail(name, f"cannot be read: {exc.strerror}")
            return
        self._folders[name] = fd
        self.folders.add(name)
        self._list(f"{name}/", fd)

    def files(self) -> list[str]:
        """Return the names of the regular files that may be read, sorted."""
        return sorted(self.sizes)

    def open_file(self, name: str) -> BinaryIO:
        """Open a regular file of the listing; raise ReleaseError if it is no longer one."""
        folder, _, base = name.rpartition("/")
        try:
            if folder not in self._folders:  # never: only listed files are opened
                raise FileNotFoundError(2, "No such file or directory")
            fd = os.open(base, OPEN_FLAGS, dir_fd=self._folders[folder])
        except OSError as exc:
            raise ReleaseError.at(self.path(name), 1, 1, f"cannot be read: {exc.strerror}") from exc
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size != self.sizes[name]:
            os.close(fd)
            raise ReleaseError.at(self.path(name), 1, 1, "changed while verify read it")
        return os.fdopen(fd, "rb")

    def read(self, name: str) -> bytes:
        """Return a regular file's bytes (never more than its listed size)."""
        with self.open_file(name) as handle:
            data = handle.read(self.sizes[name] + 1)
        if len(data) != self.sizes[name]:
            raise ReleaseError.at(self.path(name), 1, 1, "changed while verify read it")
        return data

    def sha256(self, name: str) -> str:
        """Return a regular file's SHA-256, read in blocks."""
        if name not in self._digests:
            digest, left = hashlib.sha256(), self.sizes[name] + 1
            with self.open_file(name) as handle:
                while left and (block := handle.read(min(BLOCK, left))):
                    digest.update(block)
                    left -= len(block)
            if left != 1:
                raise ReleaseError.at(self.path(name), 1, 1, "changed while verify read it")
            self._digests[name] = digest.hexdigest()
        return self._digests[name]
