"""Where the print stylesheet and its bundled fonts live.

Kept apart from the HTML templates (html.py), so that the worker processes, which only
render PDF, load neither the report model nor Jinja.
"""

from __future__ import annotations

from pathlib import Path

STYLES_DIR = Path(__file__).resolve().parents[2] / "styles"
STYLESHEET = STYLES_DIR / "report.css"


def stylesheet() -> str:
    """Return the print stylesheet's text."""
    return STYLESHEET.read_text(encoding="utf-8")
