"""One build at a time per output folder.

A build holds a POSIX record lock on OUT/.build.lock while it writes. The system drops
the lock when its holder exits, however it exits (SIGKILL included), so a lock is never
left behind; and such locks are not inherited by forked worker processes, so a killed
build's workers cannot keep it. A second build waits for the first, saying so once,
and gives up with a message after a while.
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from report.errors import UsageError
from report.outputs import remove_temporaries

LOCK_NAME = ".build.lock"
DEFAULT_WAIT = 900.0  # seconds a build waits for another one writing the same folder

_held: set[Path] = set()  # output folders this process holds, so that nesting is harmless
_guard = threading.Lock()


def _holder(fd: int) -> str:
    """Return the process id the lock's holder wrote into the lock file, if it did yet."""
    text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    return f"process {text}" if text.isdigit() else "another process"


@contextmanager
def output_lock(out: Path, log: Callable[[str], None] = print,
                wait: float = DEFAULT_WAIT, poll: float = 0.1) -> Iterator[None]:
    """Hold out's build lock for the body, waiting up to wait seconds for another build.

    Once held, the temporary files of any earlier, interrupted build are removed.
    """
    out.mkdir(parents=True, exist_ok=True)
    key = out.resolve()
    with _guard:
        nested = key in _held
        _held.add(key)
    if nested:
        yield
        return
    fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(fd, out, log, wait, poll)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        remove_temporaries(out)
        yield
    finally:
        os.close(fd)  # releases the lock
        with _guard:
            _held.discard(key)


def _acquire(fd: int, out: Path, log: Callable[[str], None], wait: float,
             poll: float) -> None:
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EACCES, errno.EAGAIN):
                raise UsageError(f"{out}: cannot lock the output folder: {exc.strerror}") from exc
        holder = _holder(fd)
        if time.monotonic() >= deadline:
            raise UsageError(f"{out}: {holder} has been building into this folder for more "
                             f"than {wait:g} s; run again once it has finished")
        if not told:
            log(f"waiting for the build already writing to {out} ({holder}) to finish")
            told = True
        time.sleep(poll)
