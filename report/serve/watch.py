"""Watch the sources, templates and styles by polling: what changed, and what it affects."""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

# A file as last seen: modification time, size and inode (an editor that saves by
# renaming a new file into place changes the inode, even within one mtime tick).
Stamp = tuple[int, int, int]

POLL_SECONDS = 0.2
SETTLE_SECONDS = 0.05  # a save touching several files is taken as one change
SETTLE_LIMIT = 1.0


@dataclass(frozen=True)
class Watched:
    """The files of one folder to watch: those matching pattern (recursive with **)."""

    folder: Path
    pattern: str


@dataclass(frozen=True)
class Change:
    """What a set of changed files affects: some code sources, or every page."""

    codes: frozenset[str] = frozenset()  # stems of code sources added, changed or removed
    publication: bool = False
    templates: bool = False
    styles: bool = False

    @property
    def everything(self) -> bool:
        """Return whether every page is affected (the publication, a template or a style)."""
        return self.publication or self.templates or self.styles

    def __bool__(self) -> bool:
        return bool(self.codes) or self.everything


@dataclass(frozen=True)
class Layout:
    """Where the watched files live: the sources folder, the templates and the styles."""

    sources: Path
    templates: Path
    styles: Path

    def watched(self) -> list[Watched]:
        """Return the folders and patterns to poll."""
        return [
            Watched(self.sources, "publication.yaml"),
            Watched(self.sources / "codes", "*.yaml"),
            Watched(self.sources / "gpci", "*.yaml"),  # the indices every report may use
            Watched(self.templates, "*.j2"),
            Watched(self.styles, "**/*"),
        ]

    def classify(self, paths: Iterable[Path]) -> Change:
        """Say what changed files affect."""
        codes: set[str] = set()
        publication = templates = styles = False
        for path in paths:
            if path == self.sources / "publication.yaml" or (
                path.parent == self.sources / "gpci" and path.suffix == ".yaml"
            ):
                publication = True
            elif path.parent == self.sources / "codes" and path.suffix == ".yaml":
                codes.add(path.stem)
            elif path.is_relative_to(self.templates):
                templates = True
            elif path.is_relative_to(self.styles):
                styles = True
        return Change(frozenset(codes), publication, templates, styles)


def scan(watched: Iterable[Watched]) -> dict[Path, Stamp]:
    """Return the stamp of every watched file that exists now."""
    found: dict[Path, Stamp] = {}
    for item in watched:
        for path in item.folder.glob(item.pattern):
            try:
                stat = os.stat(path)
            except OSError:  # removed between the listing and the stat
                continue
            if not os.path.isdir(path):
                found[path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return found


def changed(before: dict[Path, Stamp], after: dict[Path, Stamp]) -> set[Path]:
    """Return the files added, removed or modified between two scans."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


class Watcher:
    """Poll the watched files in a thread and report each settled set of changed files."""

    def __init__(
        self,
        watched: list[Watched],
        on_change: Callable[[set[Path]], None],
        interval: float = POLL_SECONDS,
    ) -> None:
        self.watched = watched
        self.on_change = on_change
        self.interval = interval
        self.stopping = threading.Event()
        self.seen = scan(watched)
        self.thread = threading.Thread(target=self._run, name="watcher", daemon=True)

    def start(self) -> None:
        """Start polling."""
        self.thread.start()

    def stop(self) -> None:
        """Stop polling and wait for the thread to end."""
        self.stopping.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stopping.wait(self.interval):
            now = scan(self.watched)
            if now == self.seen:
                continue
            now = self._settle(now)
            paths, self.seen = changed(self.seen, now), now
            try:
                self.on_change(paths)
            except Exception:  # a bug: show it, and keep the preview watching
                traceback.print_exc()

    def _settle(self, now: dict[Path, Stamp]) -> dict[Path, Stamp]:
        """Rescan until two scans agree (or a second has passed): a save is often several writes."""
        deadline = time.monotonic() + SETTLE_LIMIT
        while time.monotonic() < deadline and not self.stopping.wait(SETTLE_SECONDS):
            again = scan(self.watched)
            if again == now:
                break
            now = again
        return now
