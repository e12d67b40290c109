"""The preview's state: the sources as last loaded, and a version for every page."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from report.errors import Finding
from report.render.html import environment
from report.serve.pdfs import PdfCache
from report.serve.watch import Change, Layout
from report.sources import CodeFile, PublicationFile, load_code, load_publication

Log = Callable[[str], None]


@dataclass(frozen=True)
class CodeState:
    """One code source as last loaded: valid (source) or not (errors)."""

    stem: str
    source: CodeFile | None
    errors: tuple[Finding, ...]


@dataclass(frozen=True)
class Snapshot:
    """Everything one request reads, taken at one moment."""

    shown_path: str
    publication: PublicationFile | None
    publication_errors: tuple[Finding, ...]
    codes: Mapping[str, CodeState]

    @property
    def errors(self) -> list[Finding]:
        """Return every error of the sources, sorted as `check` prints them."""
        found = list(self.publication_errors)
        for state in self.codes.values():
            found += state.errors
        if not self.codes:
            found.append(
                Finding.at(
                    os.path.join(self.shown_path, "codes"),
                    "no code sources found (expected codes/CODE.yaml files)",
                )
            )
        return sorted(found)


class Site:
    """The loaded sources, what changed when, and the wait for a page's next version.

    The watcher thread is the only writer (apply); it loads files before taking the lock
    and swaps a new snapshot in, so a request never sees a half-applied change.
    """

    def __init__(self, layout: Layout, shown_path: str, pdfs: PdfCache, log: Log) -> None:
        self.layout = layout
        self.shown_path = shown_path
        self.pdfs = pdfs
        self.log = log
        self.boot = f"{time.time_ns():x}"  # a restarted server's pages reload too
        self.generation = 0
        self.shared = 0  # when the publication, a template or a style last changed
        self.touched: dict[str, int] = {}  # when each code source last changed
        self.closing = False
        self._changed = threading.Condition()
        self._pages: dict[str, tuple[str, bytes]] = {}
        self._making: dict[str, threading.Lock] = {}  # held while a page is being made
        publication, errors = load_publication(layout.sources, shown_path)
        self._snapshot = Snapshot(
            shown_path,
            publication,
            tuple(errors),
            MappingProxyType(self._load_codes(publication, None)),
        )

    def snapshot(self) -> Snapshot:
        """Return the current state of the sources."""
        with self._changed:
            return self._snapshot

    def state(self, page: str) -> tuple[Snapshot, str]:
        """Return the sources and a page's version, taken together."""
        with self._changed:
            return self._snapshot, self.version(page)

    def version(self, page: str) -> str:
        """Return the version of a page: "" for the index, a code's stem for its pages."""
        with self._changed:
            number = self.generation if page == "" else max(self.shared, self.touched.get(page, 0))
            return f"{self.boot}-{number}"

    def wait(self, page: str, version: str, timeout: float) -> str | None:
        """Wait until the page's version differs from version; return it (None: closing)."""
        with self._changed:
            self._changed.wait_for(lambda: self.closing or self.version(page) != version, timeout)
            return None if self.closing else self.version(page)

    def cached(self, page: str, version: str, make: Callable[[], bytes]) -> bytes:
        """Return a page's bytes for this version, made once: many requests wait for one."""
        with self._changed:
            kept = self._pages.get(page)
            making = self._making.setdefault(page, threading.Lock())
        if kept is not None and kept[0] == version:
            return kept[1]
        with making:
            with self._changed:
                kept = self._pages.get(page)
            if kept is not None and kept[0] == version:
                return kept[1]  # made meanwhile by the request that held the lock
            body = make()
            with self._changed:
                self._pages[page] = (version, body)
            return body

    def close(self) -> None:
        """Wake every waiting request so that it ends."""
        with self._changed:
            self.closing = True
            self._changed.notify_all()

    def apply(self, change: Change) -> None:
        """Reload what a change affects and give the affected pages a new version."""
        if not change:
            return
        old = self.snapshot()
        publication, pub_errors = old.publication, old.publication_errors
        if change.publication:
            publication, errors = load_publication(self.layout.sources, self.shown_path)
            pub_errors = tuple(errors)
            codes = self._load_codes(publication, None)
        else:
            codes = self._load_codes(publication, change.codes, dict(old.codes))
        if change.templates:
            environment.cache_clear()  # templates are read again
        if change.styles:
            self.pdfs.restart()
        self.pdfs.forget(None if change.everything else change.codes)
        with self._changed:
            self.generation += 1
            if change.everything:
                self.shared = self.generation
                self._pages.clear()
            for stem in change.codes:
                self.touched[stem] = self.generation
            self._snapshot = Snapshot(
                self.shown_path, publication, pub_errors, MappingProxyType(codes)
            )
            self._changed.notify_all()
        self.log(self._describe(change))

    def _load_codes(
        self,
        publication: PublicationFile | None,
        stems: frozenset[str] | None,
        codes: dict[str, CodeState] | None = None,
    ) -> dict[str, CodeState]:
        """Load the named code sources (all when stems is None) into codes, by stem."""
        folder = self.layout.sources / "codes"
        if stems is None:
            codes = {}
            files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
        else:
            codes = dict(codes or {})
            files = [folder / f"{stem}.yaml" for stem in sorted(stems)]
        model = publication.model if publication else None
        for file in files:
            if not os.path.lexists(file):  # removed; anything else is loaded, or refused
                codes.pop(file.stem, None)
                continue
            source, errors = load_code(file, self.shown_path, model)
            codes[file.stem] = CodeState(file.stem, source, tuple(errors))
        return dict(sorted(codes.items()))

    def _describe(self, change: Change) -> str:
        """Say what a change did, for the terminal."""
        what = [
            name
            for name, flag in (
                ("publication", change.publication),
                ("templates", change.templates),
                ("styles", change.styles),
            )
            if flag
        ]
        what += sorted(change.codes)
        errors = self.snapshot().errors
        lines = [
            f"changed: {', '.join(what)}; "
            + ("every page reloads" if change.everything else "its pages reload")
            + f"; {len(errors)} error{'s' * (len(errors) != 1)}"
        ]
        return "\n".join(lines + [str(f) for f in errors])
