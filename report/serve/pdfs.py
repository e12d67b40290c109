"""Render the preview's PDFs on request in a worker process, each kept until its inputs change."""

from __future__ import annotations

import hashlib
import threading

from report.errors import RenderError
from report.render import PdfSettings
from report.workers import DEFAULT_TIMEOUT, RenderTask, WorkerPool


class PdfCache:
    """One worker process renders a report's PDF with the builder's renderer when asked.

    A PDF is kept under the hash of its HTML and settings and the styles' version,
    so a change of source, publication or template gives a new key, and restart() (after
    a style change) a new worker, whose renderer reads the stylesheet again. Page requests
    never wait for it: only the request for a PDF does.
    """

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._render_lock = threading.Lock()  # one render at a time: the pool is not shared
        self._lock = threading.Lock()
        self._pool: WorkerPool | None = None
        self._styles = 0
        self._stale_pool = True
        self._closed = False
        self._kept: dict[str, tuple[tuple[int, str], bytes]] = {}

    def start(self) -> None:
        """Set the worker pool up now (its fork server loads WeasyPrint meanwhile)."""
        with self._render_lock:
            self._fresh_pool()

    def pdf(self, code: str, html: str, settings: PdfSettings) -> bytes:
        """Return the PDF of a report's HTML: kept, or rendered now; raise RenderError."""
        digest = hashlib.sha256(f"{settings!r}\n{html}".encode()).hexdigest()
        with self._render_lock:
            with self._lock:
                key = (self._styles, digest)
                kept = self._kept.get(code)
            if kept is not None and kept[0] == key:
                return kept[1]
            pool = self._fresh_pool()
            _, result = next(iter(pool.map([RenderTask(code, html, settings)])))
            if result.error is not None or result.pdf is None:
                raise RenderError(f"{code}.pdf", result.error or "no PDF")
            with self._lock:
                if key[0] == self._styles:  # else the styles changed while it rendered
                    self._kept[code] = (key, result.pdf)
            return result.pdf

    def forget(self, codes: frozenset[str] | None = None) -> None:
        """Drop the kept PDFs of some codes (all when None)."""
        with self._lock:
            for code in list(self._kept) if codes is None else codes:
                self._kept.pop(code, None)

    def restart(self) -> None:
        """Take the styles as changed: forget every PDF; the next render starts a new worker."""
        with self._lock:
            self._styles += 1
            self._stale_pool = True
            self._kept.clear()

    def close(self) -> None:
        """Stop the worker now; a render in progress ends with an error."""
        with self._lock:
            pool, self._pool, self._closed = self._pool, None, True
        if pool is not None:
            pool.close(kill=True)

    def _fresh_pool(self) -> WorkerPool:
        """Return the worker pool, replacing it first if the styles changed (render lock held)."""
        with self._lock:
            if self._closed:
                raise RenderError("preview", "the server is stopping")
            stale, self._stale_pool = self._stale_pool, False
            pool = self._pool
        if stale or pool is None:
            if pool is not None:
                pool.close()
            pool = WorkerPool(1, self.timeout)  # forked from the warm fork server
            with self._lock:
                self._pool = pool
        return pool
