"""Write the volume while its reports are rendered: entries fed in order as they are ready.

The build renders reports in worker processes, longest first; a thread of the build
writes volume.pdf meanwhile, taking the reports in code order as each one is ready, so
that after the last report only the front matter and the catalog are left to do. If a
report fails, the thread gives the volume up and the build writes it afterwards from the
reports that were built.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from report.volume.entry import VolumeEntry

T = TypeVar("T")


class Abandoned(Exception):
    """A report of the volume failed, or the build stopped: the volume is not written."""


class VolumeFeed:
    """The reports of a volume, in order, each given when ready and waited for when read.

    Reading ends only once the feed is closed: the build closes it when the workers are
    done, so that the front matter, written after the last report, finds the parts they
    rendered ahead (report/volume_step.py).
    """

    def __init__(self, codes: Sequence[str]) -> None:
        self.codes = list(codes)
        self._ready = {code: threading.Event() for code in self.codes}
        self._entries: dict[str, VolumeEntry | None] = {}
        self._stopped = threading.Event()
        self._closed = threading.Event()

    def put(self, code: str, entry: VolumeEntry | None) -> None:
        """Give the report of code (None: it failed, and the volume is given up)."""
        if code in self._ready:
            self._entries[code] = entry
            self._ready[code].set()

    def close(self) -> None:
        """Let reading end after the last report: nothing more will come."""
        self._closed.set()

    def stop(self) -> None:
        """Give the volume up: whoever waits for a report stops waiting."""
        self._stopped.set()
        self._closed.set()
        for event in self._ready.values():
            event.set()

    def __iter__(self) -> Iterator[VolumeEntry]:
        for code in self.codes:
            self._ready[code].wait()
            entry = self._entries.get(code)
            if entry is None or self._stopped.is_set():
                raise Abandoned(code)
            yield entry
        self._closed.wait()
        if self._stopped.is_set():
            raise Abandoned("")


class Background:
    """Run a function in a thread; join() returns its result or raises its exception."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._result: list[object] = []
        self._error: list[BaseException] = []

        def run() -> None:
            try:
                self._result.append(work())
            except BaseException as exc:  # handed to the thread that joins
                self._error.append(exc)

        self._thread = threading.Thread(target=run, name="volume", daemon=True)
        self._thread.start()

    def wait(self) -> None:
        """Wait for the function to end, whatever it returns or raises."""
        self._thread.join()

    def join(self) -> object:
        """Wait for the function; return what it returned, or raise what it raised."""
        self._thread.join()
        if self._error:
            raise self._error[0]
        return self._result[0]
