"""One build at a time per output folder, one release at a time per releases folder.

A build holds a POSIX record lock on OUT/.build.lock while it writes; a release holds one
on ROOT/.release.lock from before it reads the earlier releases until its folder is in
place. The system drops the lock when its holder exits, however it exits (SIGKILL
included), so a lock is never left behind; and such locks are not inherited by forked
worker processes, so a killed build's workers cannot keep it. A second build (or
release) waits for the first, saying so once, and gives up with a message after a while.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from report.errors import UsageError, WriteError
from report.outputs import remove_temporaries

LOCK_NAME = ".build.lock"
RELEASE_LOCK_NAME = ".release.lock"
DEFAULT_WAIT = 900.0  # seconds a build waits for another one writing the same folder

_held: set[Path] = set()  # lock files this process holds, so that nesting is harmless
_guard = threading.Lock()

Log = Callable[[str], None]


@dataclass(frozen=True)
class _Work:
    """What a lock guards, as the messages of a process waiting for it say."""

    name: str  # the lock file's name in the folder
    waiting: str  # "... {folder} ..." : what the holder is doing there
    busy: str  # what the holder has been doing "for more than N s"


_BUILD = _Work(
    LOCK_NAME, "the build already writing to {folder}", "has been building into this folder"
)
_RELEASE = _Work(
    RELEASE_LOCK_NAME,
    "the release already being made in {folder}",
    "has been releasing into this folder",
)


class HeldLock:
    """A held folder lock, whose file can be removed before it is let go."""

    def __init__(self, folder: Path, path: Path, fd: int | None) -> None:
        self.folder = folder
        self.path = path
        self.fd = fd  # None: nested in a lock this process already holds

    def discard(self, folder: bool = False) -> None:
        """Remove the lock file; whoever waits on it then locks a new one.

        With folder, the folder goes too if nothing else is left in it.
        """
        if self.fd is None:  # the outer holder decides
            return
        try:
            self.path.unlink(missing_ok=True)
            if folder:
                self.folder.rmdir()
        except OSError:
            pass


def _holder(fd: int) -> str:
    """Return the process id the lock's holder wrote into the lock file, if it did yet."""
    text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    return f"process {text}" if text.isdigit() else "another process"


@contextmanager
def output_lock(
    out: Path, log: Log = print, wait: float = DEFAULT_WAIT, poll: float = 0.1
) -> Iterator[None]:
    """Hold out's build lock for the body, waiting up to wait seconds for another build.

    Once held, the temporary files of any earlier, interrupted build are removed.
    """
    with _folder_lock(out, _BUILD, log, wait, poll) as held:
        if held.fd is not None:
            remove_temporaries(out)
        yield


@contextmanager
def output_lock_if_free(out: Path) -> Iterator[bool]:
    """Hold out's build lock for the body if no one holds it; say whether it is held.

    Nothing waits and nothing is written: a missing lock file, or one that another build
    (or this process) holds, is False, and the lock file is left as it was.
    """
    path = out / LOCK_NAME
    with _guard:  # closing any descriptor of the file would drop this process's own lock
        held_here = out.resolve() / LOCK_NAME in _held
    try:
        fd = None if held_here else os.open(path, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        fd = None
    if fd is None:
        yield False
        return
    try:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free = True
        except OSError:  # another build holds it
            free = False
        yield free
    finally:
        os.close(fd)


@contextmanager
def release_lock(
    root: Path, log: Log = print, wait: float = DEFAULT_WAIT, poll: float = 0.1
) -> Iterator[HeldLock]:
    """Hold the releases folder's lock for the body.

    It waits up to wait seconds for another release into root: releases into one folder
    are made one after the other.
    """
    with _folder_lock(root, _RELEASE, log, wait, poll) as held:
        yield held


@contextmanager
def _folder_lock(
    folder: Path, work: _Work, log: Log, wait: float, poll: float
) -> Iterator[HeldLock]:
    """Hold the lock file work.name in folder (made if missing) for the body."""
    path = folder / work.name
    key = folder.resolve() / work.name
    with _guard:
        nested = key in _held
        _held.add(key)
    if nested:
        yield HeldLock(folder, path, None)
        return
    fd = None
    try:
        deadline = time.monotonic() + wait
        while fd is None:
            opened = _open(folder, path)
            try:
                _acquire(opened, folder, work, log, deadline, wait, poll)
            except BaseException:
                os.close(opened)
                raise
            if _still_there(opened, path):
                fd = opened
            else:  # discarded while we waited: lock the file there now
                os.close(opened)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as exc:
            raise WriteError.of(path, exc) from exc
        yield HeldLock(folder, path, fd)
    finally:
        if fd is not None:
            os.close(fd)  # releases the lock
        with _guard:
            _held.discard(key)


def _open(folder: Path, path: Path) -> int:
    """Open (or make) the lock file, making its folder; WriteError when the system refuses."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError as exc:
        raise WriteError(folder, "not a folder") from exc
    except OSError as exc:
        raise WriteError.of(folder, exc) from exc
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as exc:
        raise WriteError.of(path, exc) from exc


def _still_there(fd: int, path: Path) -> bool:
    """Return whether path is still the file open as fd (not removed or replaced)."""
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    held = os.fstat(fd)
    return (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def _acquire(
    fd: int, folder: Path, work: _Work, log: Log, deadline: float, wait: float, poll: float
) -> None:
    """Take the lock on fd, polling until deadline; say once whom we wait for."""
    told = False
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise UsageError(f"{folder}: cannot lock the folder: {exc.strerror}") from exc
        holder = _holder(fd)
        if time.monotonic() >= deadline:
            raise UsageError(
                f"{folder}: {holder} {work.busy} for more than {wait:g} s; "
                "run again once it has finished"
            )
        if not told:
            log(f"waiting for {work.waiting.format(folder=folder)} ({holder}) to finish")
            told = True
        time.sleep(poll)
