"""`import-gpci FILE.csv`: the geographic practice cost indices of CMS's addendum, as a source."""

from __future__ import annotations

import os
from pathlib import Path

import click

from report.console import examples
from report.exits import reported, say


@click.command(
    "import-gpci",
    epilog=examples(
        "python build.py import-gpci tests/fixtures/gpci/gpci2022.csv --dry-run",
        "python build.py import-gpci GPCI2022.csv --sources sources",
    ),
)
@click.argument("file")
@click.option(
    "--sources",
    "sources",
    default="sources",
    show_default=True,
    help="Sources folder holding publication.yaml, codes/ and gpci/.",
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
def import_gpci(file: str, sources: str = "sources", dry_run: bool = False) -> None:
    """Write gpci/YEAR.yaml from the GPCI addendum of a PFS final rule (CMS's CSV).

    Every report whose benchmarks hold the RVU parts then gives Medicare's payment in the
    localities publication.yaml names (localities:), and the lowest, median and highest of
    all; see docs/guides/locality-payments.md.
    """
    from report.errors import UsageError
    from report.files import read_regular
    from report.gpci.reader import read_addendum
    from report.gpci.writer import checked_yaml, indices_path
    from report.outputs import atomic_write

    with reported():
        addendum = read_addendum(Path(file), file)
        if not Path(sources).is_dir():
            raise UsageError(f"{sources}: the sources folder does not exist")
        shown = indices_path(sources, addendum.year)
        data = checked_yaml(addendum, os.path.basename(file), shown)
        target = Path(sources) / os.path.relpath(shown, sources)
        try:
            same = read_regular(target, len(data) + 1)[0] == data
            existed = True
        except FileNotFoundError:
            same = existed = False
        what = f"{len(addendum.rows)} localities, {addendum.year}"
        if same:
            say(f"{shown}: up to date ({what})")
            return
        verb = "updated" if existed else "written"
        if not dry_run:
            target.parent.mkdir(exist_ok=True)
            atomic_write(target, data)
        say(f"{shown}: {'would be ' if dry_run else ''}{verb} ({what})")
        if dry_run:
            click.echo(f"{file}: dry run, nothing written", err=True)
