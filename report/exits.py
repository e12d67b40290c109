"""How a command ends when it cannot go on: one message a line, and a documented exit code.

Every expected failure is a ReportError (report/errors.py), with its own exit code. A
refusal of the system that no narrower boundary turned into one (an OSError: a full
disk, a vanished folder) ends the command the same way, named by the file it concerns,
with exit code 1. Any other exception is a bug, and keeps its traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from report.errors import ReportError, SystemFault, WriteError

STDOUT = "standard output"
# The page of the documentation that explains every command and its options, one section
# each (docs/generate.py writes it from the commands' help).
CLI_REFERENCE = "docs/reference/cli.md"


def usage_pointer(ctx: click.Context | None = None) -> str:
    """Say where the documentation explains the command of ctx (else the current one)."""
    ctx = ctx or click.get_current_context(silent=True)
    if ctx is None or ctx.parent is None or ctx.command.name is None:
        return f"see {CLI_REFERENCE}"
    return f"see {CLI_REFERENCE}#{ctx.command.name}"


def fail(exc: ReportError) -> NoReturn:
    """Print the error's lines on standard error and exit with its code.

    An error of usage (exit code 2) ends with where the documentation explains the command.
    """
    lines = exc.lines()
    if exc.exit_code == 2:
        lines = [*lines, usage_pointer()]
    for line in lines:
        click.echo(line, err=True)
    sys.exit(exc.exit_code)


@contextmanager
def reported(context: str = "error") -> Iterator[None]:
    """Run a command's body: a ReportError or an OSError ends it with its message.

    The message of an OSError that names no file begins with context.
    """
    try:
        yield
    except ReportError as exc:
        fail(exc)
    except OSError as exc:
        fail(SystemFault.of(exc, context))


def say(line: str) -> None:
    """Print a line on standard output; WriteError when it cannot be written (a full disk)."""
    try:
        click.echo(line)
    except OSError as exc:
        _silence_stdout()
        raise WriteError.of(STDOUT, exc) from exc


def _silence_stdout() -> None:
    """Point standard output at /dev/null.

    Python's last flush at exit, of what could not be written, then does not fail again
    with a traceback.
    """
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):  # no descriptor behind sys.stdout (a test's capture)
        pass
