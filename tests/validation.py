"""An independent validator's verdict on the PDFs the builder writes: page-validation.

page-validation (PyPI; Python bindings to the page PDF/A and PDF/UA checker) reads a file
as any other reader would; our own reading of our own PDFs is no proof of conformance.
It runs with its default safety limits: a PDF a careful reader would refuse is a failure.
"""

from __future__ import annotations

from pathlib import Path

import page

# The profiles each PDF variant of the builder claims: a PDF/A-3b file is tagged and
# finished as a PDF/UA-1 one is, and claims both (report/render/xmp.py).
PROFILES = {"pdf/ua-1": ("ua1",), "pdf/a-3b": ("3b", "ua1")}


def failures(path: Path, profile: str) -> list[str]:
    """Return the validator's failures for the PDF at path, each naming file, rule, object."""
    try:
        report = page.validate_pdf(str(path), profile=profile)
    except page.PageError as exc:  # a parse error, or a safety limit passed
        return [f"{path}: {type(exc).__name__}: {exc}"]
    found = []
    for failure in report.failures:
        number = failure.object_id
        where = f" (object {number.object_number} {number.generation})" if number else ""
        found.append(f"{path}: [{failure.rule_id}]{where}: {failure.message}")
    return found


def variant_failures(path: Path, variant: str) -> list[str]:
    """Return the validator's failures for the PDF at path, for each profile its variant claims.

    Each rule's name starts with its profile's (PDFUA1-..., PDFA3B-...).
    """
    return [line for profile in PROFILES[variant] for line in failures(path, profile)]


def assert_conforms(path: Path, variant: str = "pdf/ua-1") -> None:
    """Assert that the validator finds no failure in the PDF at path for its variant's claims."""
    found = variant_failures(path, variant)
    assert not found, "\n".join(found)
