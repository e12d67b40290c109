"""Render HTML to tagged, reproducible PDF bytes with WeasyPrint.

Two PDF variants: PDF/UA-1 (the default) and PDF/A-3b for archiving. Both are tagged,
carry the same metadata and are finished by the same hook while WeasyPrint writes them
(report/render/tagging.py); a release document is then stamped (report/render/provenance.py).
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS
from weasyprint.document import Document
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from report.errors import FetchRefused
from report.render import PDF_VARIANTS, PdfSettings
from report.render.cascade import SharedStyles, shared_styles
from report.render.fonts import BundledFonts, sized_arrays
from report.render.lines import SharedLines, drawn_lines, shared_lines
from report.render.streams import written_streams
from report.render.tagging import finisher
from report.render.tree import html_document
from report.resources import fonts_dir, styles_dir, stylesheet

MAX_DATA_URL = 4096  # characters: a tiny inline image or font is all a data: URL may hold
# One document at a time per process: a render sets process-wide state for its duration
# (WeasyPrint's, pydyf's and Pango's hooks of report/render/cascade.py, lines.py and
# streams.py, and SOURCE_DATE_EPOCH), and Pango's font map is not for concurrent use. A
# process that renders in threads (a Dask worker with several) renders one at a time.
RENDERING = threading.RLock()


class ProjectFetcher(URLFetcher):  # type: ignore[misc]  # WeasyPrint has no type information
    """Serve only the project's own style and font files; refuse every other URL.

    A refusal stops the rendering (WeasyPrint's fail_on_errors), and is also kept in
    refused, for the places where WeasyPrint goes on without the resource (images inside
    SVG): Renderer.render raises FetchRefused either way, so nothing is ever rendered with
    a part left out.
    """

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(
            allowed_protocols=("file", "data"), allow_redirects=False, fail_on_errors=True
        )
        self.root = (root or styles_dir()).resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        """Return a file under root or a small data: URL; raise FetchRefused for the rest."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data" and len(url) <= MAX_DATA_URL:
            return super().fetch(url, headers)
        if scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                return super().fetch(url, headers)
        self.refused.append(refusal(url, self.root))
        raise FetchRefused(self.refused[-1])


def refusal(url: str, root: Path) -> str:
    """Say why a URL may not be loaded."""
    shown_url = url if len(url) <= 80 else url[:79] + "…"
    scheme = urlsplit(url).scheme.lower()
    if scheme == "data":
        why = (
            f"a data: URL may hold at most {MAX_DATA_URL:,} characters, this one holds {len(url):,}"
        )
    elif scheme == "file":
        why = f"only the files under {root} may be loaded"
    else:
        why = "only the project's own style and font files may be loaded, never the network"
    return f"refused to load {shown_url}: {why}"


@cache
def harfbuzz_subset_available() -> bool:
    """Return whether WeasyPrint found HarfBuzz's subsetter (libharfbuzz-subset0)."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None


class Renderer:
    """A process's WeasyPrint setup: fonts and the stylesheet, loaded once, reused per render."""

    def __init__(self, css: str | None = None) -> None:
        sized_arrays()
        self.css = stylesheet() if css is None else css
        self.base_url = styles_dir().as_uri() + "/"
        self.fetcher = ProjectFetcher(styles_dir())
        self.font_config = BundledFonts()  # never a font of the machine's
        self.stylesheet = CSS(
            string=self.css,
            base_url=self.base_url,
            url_fetcher=self.fetcher,
            font_config=self.font_config,
        )
        self.shared = SharedStyles()  # computed styles, shared by the documents laid out
        self.lines = SharedLines(self.shared.holds)  # first-line splits of texts, shared likewise

    def render(self, html: str, settings: PdfSettings) -> tuple[bytes, int]:
        """Render HTML (without inline styles) to tagged PDF bytes and its page count."""
        variant = settings.variant
        if variant not in PDF_VARIANTS:
            raise ValueError(
                f"unknown PDF variant {variant!r}; choose from {', '.join(PDF_VARIANTS)}"
            )
        digest = hashlib.sha256(f"{variant}\n{html}".encode()).hexdigest()
        options = {
            "pdf_variant": variant,
            "pdf_identifier": digest[:32].encode("ascii"),
            "pdf_tags": True,
        }
        with RENDERING, collected_after():
            data, pages = self._laid_out_and_written(html, settings, options)
        # A release document gets its stamp in a pikepdf pass; any other is final as written.
        if settings.stamp is None:
            return data, pages
        from report.render.provenance import stamp_pdf  # pikepdf: loaded for releases only

        return stamp_pdf(data, settings.stamp), pages

    def _laid_out_and_written(
        self, html: str, settings: PdfSettings, options: dict[str, object]
    ) -> tuple[bytes, int]:
        """Lay HTML out and write it; return the bytes and pages, the document let go."""
        document = self.layout(html, **options)
        return self._write(document, settings, options), len(document.pages)

    def _write(
        self, document: Document, settings: PdfSettings, options: dict[str, object]
    ) -> bytes:
        """Write a laid-out document as tagged PDF bytes, dated at the settings' epoch."""
        finish = finisher(settings.variant, settings.code)
        with (
            self._refusals(),
            fixed_clock(settings.epoch),
            written_streams(),
            drawn_lines(self.lines),
        ):
            data: bytes = document.write_pdf(finisher=finish, **options)
        return data

    def layout(self, html: str, **options: object) -> Document:
        """Lay HTML (without inline styles) out in pages, without writing a PDF."""
        with (
            RENDERING,
            collected_after(),
            self._refusals(),
            shared_styles(self.shared),
            shared_lines(self.lines),
        ):
            return html_document(html, self.base_url, self.fetcher).render(
                font_config=self.font_config, stylesheets=[self.stylesheet], **options
            )

    @contextmanager
    def _refusals(self) -> Iterator[None]:
        """Raise FetchRefused if the body asked for a refused URL, however WeasyPrint took it."""
        self.fetcher.refused.clear()
        try:
            yield
        except FatalURLFetchingError as exc:  # a BaseException: keep it from the workers
            cause = exc.__cause__
            raise (cause if isinstance(cause, FetchRefused) else FetchRefused(str(exc))) from exc
        if self.fetcher.refused:
            raise FetchRefused(self.fetcher.refused[0])


@contextmanager
def collected_after() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a render; collect its young objects after.

    A render makes hundreds of thousands of objects, most of them freed as soon as they go:
    the collector, left running, would walk the young ones some six hundred times a report
    and every object several times (about a tenth of a render). Paused, it walks what the
    render left once, at its end. Within a render already pausing it, this does nothing.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(1)


def renderer() -> Renderer:
    """Return this process's renderer, set up again if the stylesheet or a font changed.

    It is set up on first use; a worker forked from a process that set it up
    (report/render/preload.py) finds it ready.
    """
    fonts = tuple(
        (path.name, stat.st_size, stat.st_mtime_ns)
        for path in sorted(fonts_dir().glob("*"))
        for stat in (path.stat(),)
    )
    return _renderer_for(stylesheet(), fonts)


@lru_cache(maxsize=1)
def _renderer_for(css: str, _fonts: tuple[tuple[str, int, int], ...]) -> Renderer:
    """Return a renderer of css; _fonts (each font file's name, size and time) is a key only."""
    return Renderer(css)


def render_pdf(html: str, settings: PdfSettings) -> tuple[bytes, int]:
    """Render one HTML document (without inline styles) to tagged PDF bytes and page count.

    The same HTML and settings always give the same bytes.
    """
    return renderer().render(html, settings)


@contextmanager
def fixed_clock(epoch: int) -> Iterator[None]:
    """Date what the body writes at epoch, for the one reader of the clock in PDF writing.

    fontTools, which subsets fonts when HarfBuzz's subsetter is missing, dates each
    subset from SOURCE_DATE_EPOCH (its only way to be told a time); the variable is set
    for the body alone and restored after it.
    """
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(epoch)
    try:
        yield
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before
