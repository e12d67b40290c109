"""Where the stylesheets and their bundled fonts live: the package data report.styles.

The checkout keeps them in styles/; an installed builder carries them in the package
(pyproject.toml maps one to the other). Kept apart from the HTML templates (html.py), so
that the worker processes, which only render PDF, load neither the report model nor Jinja.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


@cache
def styles_dir() -> Path:
    """Return the folder of the stylesheets and fonts, as installed."""
    return Path(str(files("report.styles"))).resolve()


def fonts_dir() -> Path:
    """Return the folder of the bundled fonts."""
    return styles_dir() / "fonts"


def stylesheet() -> str:
    """Return the print stylesheet's text."""
    return (styles_dir() / "report.css").read_text(encoding="utf-8")
