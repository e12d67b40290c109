"""The command line: build (the default), check."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from report import __version__
from report.assemble import assemble
from report.errors import Finding, ReportError
from report.pipeline import build as run_build
from report.render.pdf import DEFAULT_PDF_VARIANT, PDF_VARIANTS
from report.sources import Sources, load_sources
from report.sources.validate import locate

SOURCES_HELP = "Sources folder holding publication.yaml and codes/."

# One definition for every command that writes PDF (build now, release later).
pdf_variant_option = click.option(
    "--pdf-variant", type=click.Choice(PDF_VARIANTS, case_sensitive=False),
    default=DEFAULT_PDF_VARIANT, show_default=True,
    help="PDF flavour: pdf/ua-1 (accessible), or pdf/a-3b (archival); both are tagged.")


def _echo_findings(findings: Sequence[Finding]) -> None:
    for finding in findings:
        click.echo(str(finding), err=True)


def _summary(errors: int, notices: int = 0) -> str:
    parts = [f"{errors} error{'s' * (errors != 1)}"]
    if notices:
        parts.append(f"{notices} notice{'s' * (notices != 1)}")
    return ", ".join(parts)


def notices(sources: Sources) -> list[Finding]:
    """List every outline item a valid code source has no data for, as located notices."""
    found: list[Finding] = []
    if sources.publication is None:
        return found
    for code in sources.codes:
        report = assemble(code, sources.publication)
        for item in report.missing:
            found.append(Finding(locate(code.path, code.root, item.path),
                                 f"{item.section}: {item.item}: data not available", "notice"))
    return sorted(found)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="report")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Build CPT/HCPCS code reports from YAML sources into PDF."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(build)


@main.command()
@click.argument("codes", nargs=-1)
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
@click.option("--out", default="dist", show_default=True, help="Output folder.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (accepted; reports render in one process for now).")
@click.option("--format", "formats", default="pdf", show_default=True,
              help="Comma-separated outputs: pdf, html.")
@pdf_variant_option
def build(codes: tuple[str, ...], sources: str = "sources", out: str = "dist",
          jobs: int | None = None, formats: str = "pdf",
          pdf_variant: str = DEFAULT_PDF_VARIANT) -> None:
    """Validate, then build the named codes (all when none) and the combined volume."""
    try:
        result = run_build(Path(sources), Path(out), codes,
                           [f.strip() for f in formats.split(",") if f.strip()],
                           shown=sources, log=lambda line: click.echo(line, err=True),
                           on_errors=_echo_findings, pdf_variant=pdf_variant)
    except ReportError as exc:
        _fail(exc)
    built = sum(1 for f in result.files if f.kind == "report")
    click.echo(f"{built} report{'s' * (built != 1)} written to {out}; "
               f"{_summary(len(result.errors))}", err=True)
    sys.exit(1 if result.errors else 0)


@main.command()
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
def check(sources: str = "sources") -> None:
    """Validate only: print every problem, and notices of data not available."""
    try:
        loaded = load_sources(Path(sources), sources)
    except ReportError as exc:
        _fail(exc)
    found = notices(loaded)
    _echo_findings(loaded.errors + found)
    click.echo(f"{len(loaded.codes)} valid code source{'s' * (len(loaded.codes) != 1)}; "
               f"{_summary(len(loaded.errors), len(found))}", err=True)
    sys.exit(1 if loaded.errors else 0)


def _fail(exc: ReportError) -> None:
    for line in exc.lines():
        click.echo(line, err=True)
    sys.exit(exc.exit_code)
