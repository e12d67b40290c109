"""Render report models: HTML through Jinja2 templates, then PDF with WeasyPrint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from report.stamp import Stamp

# The PDF variants a build may ask for, the default first. Kept here, apart from the
# WeasyPrint code, so that choosing one does not load the engine.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]


def epoch_of(effective_date: dt.date) -> int:
    """Return the effective date as seconds since 1970: the clock every PDF is written at."""
    return int(dt.datetime.combine(effective_date, dt.time(), dt.UTC).timestamp())


@dataclass(frozen=True)
class PdfSettings:
    """How one document is written to PDF: its variant, its clock, and a release's stamp.

    epoch is the time font subsets are dated with (the effective date), so that no clock
    time of the machine reaches the bytes; stamp, in a release, the version and sources
    the PDF carries; code, a report's: its pages are labelled with its folios (`CODE-1`,
    `CODE-2`, ...), as its footer prints them. Without one (the volume's front matter) they
    are labelled 1, 2, ...
    """

    variant: str = DEFAULT_PDF_VARIANT
    epoch: int = 0
    stamp: Stamp | None = None
    code: str | None = None


def folio_prefix(code: str) -> str:
    """Return what precedes the page number in a report's folios and page labels: `CODE-`."""
    return f"{code}-"


def folio(code: str, page: int) -> str:
    """Return the folio of a report's page (`74440-3`): its printed number and its label."""
    return f"{folio_prefix(code)}{page}"
