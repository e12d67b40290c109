"""Render HTML to tagged, reproducible PDF bytes with WeasyPrint.

Two PDF variants: PDF/UA-1 (the default) and PDF/A-3b for archiving. Both are tagged,
carry the same metadata and go through the same finishing pass (report/render/tagging.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from report.render.html import STYLES_DIR
from report.render.tagging import finish_pdf

# The PDF variants a build may ask for, the default first. WeasyPrint tags PDF/UA-1 by
# itself; PDF/A-3b only when asked with pdf_tags.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]


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


def pin_clock(effective_date: dt.date) -> None:
    """Set SOURCE_DATE_EPOCH from the effective date so font subsets carry no clock time."""
    moment = dt.datetime.combine(effective_date, dt.time(), dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


def render_pdf(html: str, variant: str = DEFAULT_PDF_VARIANT) -> tuple[bytes, int]:
    """Render one HTML document to tagged PDF bytes of a variant and its page count.

    The same HTML and variant always give the same bytes.
    """
    if variant not in PDF_VARIANTS:
        raise ValueError(f"unknown PDF variant {variant!r}; choose from {', '.join(PDF_VARIANTS)}")
    identifier = hashlib.sha256(html.encode("utf-8")).hexdigest()[:32].encode("ascii")
    options = {"pdf_variant": variant, "pdf_identifier": identifier, "pdf_tags": True}
    document = HTML(string=html, base_url=STYLES_DIR.as_uri() + "/",
                    url_fetcher=ProjectFetcher()).render(font_config=_font_config(), **options)
    data = finish_pdf(document.write_pdf(**options))
    return data, len(document.pages)
