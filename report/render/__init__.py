"""Render report models: HTML through Jinja2 templates, then PDF with WeasyPrint."""

import datetime as dt
import os

# The PDF variants a build may ask for, the default first. Kept here, apart from the
# WeasyPrint code, so that choosing one does not load the engine.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
DEFAULT_PDF_VARIANT = PDF_VARIANTS[0]


def pin_clock(effective_date: dt.date) -> None:
    """Set SOURCE_DATE_EPOCH from the effective date so font subsets carry no clock time."""
    moment = dt.datetime.combine(effective_date, dt.time(), dt.UTC)
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
