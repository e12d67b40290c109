"""Render HTML to tagged, reproducible PDF bytes with WeasyPrint.

Two PDF variants: PDF/UA-1 (the default) and PDF/A-3b for archiving. Both are tagged,
carry the same metadata and go through the same finishing pass (report/render/tagging.py).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.document import Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from report.render import DEFAULT_PDF_VARIANT, PDF_VARIANTS
from report.render.html import STYLES_DIR, stylesheet
from report.render.provenance import take_stamp
from report.render.tagging import finish_pdf


class ProjectFetcher(URLFetcher):
    """Serve only the project's own style and font files; refuse every other URL."""

    def fetch(self, url: str, headers: dict[str, str] | None = None):  # type: ignore[override]
        """Return a project file, or raise ValueError for anything outside styles/."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(STYLES_DIR) and path.is_file():
                return super().fetch(url, headers)
        raise ValueError(f"refusing to fetch {url[:80]}: only the project's style "
                         "and font files may be loaded")


@cache
def harfbuzz_subset_available() -> bool:
    """Return whether WeasyPrint found HarfBuzz's subsetter (libharfbuzz-subset0)."""
    from weasyprint.text import ffi

    return ffi.harfbuzz_subset is not None


class Renderer:
    """A process's WeasyPrint setup: fonts and the stylesheet, loaded once, reused per render."""

    def __init__(self) -> None:
        self.base_url = STYLES_DIR.as_uri() + "/"
        self.fetcher = ProjectFetcher()
        self.font_config = FontConfiguration()
        self.stylesheet = CSS(string=stylesheet(), base_url=self.base_url,
                              url_fetcher=self.fetcher, font_config=self.font_config)

    def render(self, html: str, variant: str = DEFAULT_PDF_VARIANT) -> tuple[bytes, int]:
        """Render HTML (without inline styles) to tagged PDF bytes and its page count."""
        if variant not in PDF_VARIANTS:
            raise ValueError(f"unknown PDF variant {variant!r}; "
                             f"choose from {', '.join(PDF_VARIANTS)}")
        digest = hashlib.sha256(f"{variant}\n{html}".encode()).hexdigest()
        options = {"pdf_variant": variant, "pdf_identifier": digest[:32].encode("ascii"),
                   "pdf_tags": True}
        document = self.layout(html, **options)
        stamp = take_stamp(html, document)  # a release's version and embedded sources
        data = finish_pdf(document.write_pdf(**options), stamp)
        return data, len(document.pages)

    def layout(self, html: str, **options: object) -> Document:
        """Lay HTML (without inline styles) out in pages, without writing a PDF."""
        return HTML(string=html, base_url=self.base_url, url_fetcher=self.fetcher).render(
            font_config=self.font_config, stylesheets=[self.stylesheet], **options)


@cache
def renderer() -> Renderer:
    """Return this process's renderer, set up on first use."""
    return Renderer()


def render_pdf(html: str, variant: str = DEFAULT_PDF_VARIANT) -> tuple[bytes, int]:
    """Render one HTML document (without inline styles) to tagged PDF bytes and page count.

    The same HTML and variant always give the same bytes.
    """
    return renderer().render(html, variant)
