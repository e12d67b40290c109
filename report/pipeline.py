"""Run a build: validate every source, then render reports and the volume, then the manifest."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from report.assemble import ReportModel, assemble, publication_info
from report.errors import Finding, UsageError
from report.outputs import OutputFile, atomic_write, manifest_bytes, write_output
from report.render.html import STYLES_DIR, report_html, volume_html
from report.render.pdf import (DEFAULT_PDF_VARIANT, PDF_VARIANTS, harfbuzz_subset_available,
                               pin_clock, render_pdf)
from report.sources import Sources, load_sources

FORMATS = ("pdf", "html")
HARFBUZZ_WARNING = (
    "warning: HarfBuzz's subsetter (libharfbuzz-subset0) is missing; WeasyPrint falls back "
    "to fontTools, which is about twice as slow (install it with: apt-get install "
    "libharfbuzz-subset0). Output stays reproducible: SOURCE_DATE_EPOCH is set from "
    "effective_date.")

Log = Callable[[str], None]


@dataclass
class BuildResult:
    """What a build wrote and the content errors it found."""

    errors: list[Finding] = field(default_factory=list)
    files: list[OutputFile] = field(default_factory=list)


def select(sources: Sources, codes: Sequence[str]) -> list[ReportModel]:
    """Assemble the named codes (all valid ones when none are named), in code order."""
    assert sources.publication is not None
    valid = {c.code: c for c in sources.codes}
    known = valid.keys() | {Path(f.location.path).stem for f in sources.errors}
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise UsageError(f"no source for {', '.join(unknown)} in "
                         f"{Path(sources.folder) / 'codes'}")
    chosen = sorted(set(codes) & valid.keys()) if codes else sorted(valid)
    return [assemble(valid[code], sources.publication) for code in chosen]


def build(folder: Path, out: Path, codes: Sequence[str] = (), formats: Sequence[str] = ("pdf",),
          shown: str | None = None, log: Log = print,
          on_errors: Callable[[list[Finding]], None] | None = None,
          pdf_variant: str = DEFAULT_PDF_VARIANT) -> BuildResult:
    """Validate all sources, then build the valid selected reports and the volume into out.

    Every PDF is tagged and of pdf_variant, one of PDF_VARIANTS (PDF/UA-1 by default).
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise UsageError(f"unknown format {', '.join(bad) or '(none)'}; "
                         f"choose from {', '.join(FORMATS)}")
    if pdf_variant not in PDF_VARIANTS:
        raise UsageError(f"unknown PDF variant {pdf_variant}; "
                         f"choose from {', '.join(PDF_VARIANTS)}")
    sources = load_sources(folder, shown)
    result = BuildResult(errors=list(sources.errors))
    if on_errors is not None:
        on_errors(result.errors)
    if sources.publication is None:
        return result
    reports = select(sources, codes)
    pin_clock(sources.publication.model.effective_date)
    if not harfbuzz_subset_available():
        log(HARFBUZZ_WARNING)
    for report in reports:
        html = report_html(report)
        if "html" in formats:
            result.files.append(write_output(out, f"html/{report.code}.html",
                                             html.encode("utf-8"), "html", report.code))
        if "pdf" in formats:
            data, pages = render_pdf(html, pdf_variant)
            result.files.append(write_output(out, f"{report.code}.pdf", data, "report",
                                             report.code, pages))
            log(f"built {report.code}.pdf ({pages} pages)")
    if "html" in formats and reports:
        _copy_fonts(out / "html" / "fonts")
    if "pdf" in formats and reports:
        publication = publication_info(sources.publication)
        data, pages = render_pdf(volume_html(publication, tuple(reports)), pdf_variant)
        result.files.append(write_output(out, "volume.pdf", data, "volume", None, pages))
        log(f"built volume.pdf ({pages} pages, {len(reports)} report{'s' * (len(reports) != 1)})")
    manifest = manifest_bytes(publication_info(sources.publication), result.files)
    write_output(out, "manifest.json", manifest, "manifest")
    return result


def _copy_fonts(target: Path) -> None:
    """Place the bundled fonts beside the HTML files so each renders as the PDF did."""
    for font in sorted((STYLES_DIR / "fonts").iterdir()):
        data = font.read_bytes()
        if not (target / font.name).is_file() or (target / font.name).read_bytes() != data:
            atomic_write(target / font.name, data)
