"""What the commands share: their common options, and how they print findings and counts."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence

import click

from report.errors import Finding
from report.render import DEFAULT_PDF_VARIANT, PDF_VARIANTS

SOURCES_HELP = "Sources folder holding publication.yaml and codes/."
PAUSE_HELP = (
    "For tests: at this point of the build (planned, report-written, volume-half-written, "
    "volume-written), say so and wait for a line on standard input, or to be killed."
)

# One definition for every command that writes PDF (build and release).
pdf_variant_option = click.option(
    "--pdf-variant",
    type=click.Choice(PDF_VARIANTS, case_sensitive=False),
    default=DEFAULT_PDF_VARIANT,
    show_default=True,
    help="PDF flavour: pdf/ua-1 (accessible), or pdf/a-3b (archival); both are tagged.",
)
pause_option = click.option("--pause-at", "pause_at", default=None, hidden=True, help=PAUSE_HELP)


def examples(*commands: str) -> str:
    """Return the examples a command's help ends with, one command a line, as written."""
    return "\b\nExamples:\n" + "\n".join(f"  {command}" for command in commands)


def echo_findings(findings: Sequence[Finding]) -> None:
    """Print findings on standard error, one a line (in one write: there may be many)."""
    if findings:
        click.echo("\n".join(map(str, findings)), err=True)


def counts(errors: int, notices: int = 0) -> str:
    """Say how many errors (and notices) there are, e.g. "2 errors, 1 notice"."""
    parts = [f"{errors} error{'s' * (errors != 1)}"]
    if notices:
        parts.append(f"{notices} notice{'s' * (notices != 1)}")
    return ", ".join(parts)


def log(line: str) -> None:
    """Print a line of what a command does on standard error."""
    click.echo(line, err=True)


def holding_pause(name: str) -> Callable[[str], None]:
    """Return a pause that holds the build the first time it reaches the point name.

    It says so on standard error, then goes on once a line comes on standard input; at
    the end of input (none will come) it waits there until the process is killed.
    """
    reached = False

    def pause(point: str) -> None:
        nonlocal reached
        if point != name or reached:
            return
        reached = True
        click.echo(f"paused at {point}", err=True)
        if not sys.stdin.readline():
            while True:
                time.sleep(3600)

    return pause
