"""`serve` on the command line (report/cli.py adds it)."""

from __future__ import annotations

from pathlib import Path

import click

from report.console import SOURCES_HELP, examples, log
from report.exits import reported, say
from report.workers import start_context


@click.command(
    epilog=examples(
        "python build.py serve",
        "python build.py serve --sources drafts --port 0",
    )
)
@click.option("--sources", "sources", default="sources", show_default=True, help=SOURCES_HELP)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; anything but loopback lets others read the reports.",
)
def serve(sources: str = "sources", port: int = 8000, host: str = "127.0.0.1") -> None:
    """Preview the reports in a browser; pages rebuild and reload as sources change."""
    start_context()
    from report.serve import serve as run_serve

    with reported():
        run_serve(
            Path(sources),
            sources,
            host,
            port,
            log=log,
            announce=say,
        )
