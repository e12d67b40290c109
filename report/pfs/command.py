"""`import-pfs FILE.csv [CODE ...]`: benchmarks and indicators from the CMS relative value file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from report.console import examples
from report.errors import CodesNotFound
from report.exits import reported, say

if TYPE_CHECKING:
    from report.pfs.importer import ImportPlan


def plan_lines(plan: ImportPlan, dry_run: bool) -> list[str]:
    """Say, per code, what the import changes (or would change) and what it leaves alone."""
    name = os.path.basename(plan.pfs.path)
    would = "would be " if dry_run else ""
    lines = []
    for edit in plan.edits:
        lines.append(
            f"{edit.code}: {edit.shown_path} {would}{'created' if edit.created else 'updated'}"
        )
        lines += [f"  {change}" for change in edit.changes]
        lines += [f"  note: {note}" for note in edit.notes]
    lines += [f"{code}: up to date" for code in plan.unchanged]
    lines += [_not_in_file(code, name) for code in plan.not_in_file]
    lines += [
        f"{code}: in {name} but has no source; --create makes one" for code in plan.without_source
    ]
    lines += [f"{code}: not a CPT or HCPCS code; no source created" for code in plan.not_creatable]
    lines += [_in_neither(code, name) for code in plan.unknown]
    return lines


def _not_in_file(code: str, name: str) -> str:
    """Say that a code of the sources is not in the file name."""
    return f"{code}: not in {name}; left untouched"


def _in_neither(code: str, name: str) -> str:
    """Say that a code is neither in the file name nor in the sources."""
    return f"{code}: neither in {name} nor in the sources"


def _missing_lines(plan: ImportPlan) -> list[str]:
    """Say which codes are not in the file: those of the sources, then those of neither."""
    name = os.path.basename(plan.pfs.path)
    return [_not_in_file(c, name) for c in plan.not_in_file] + [
        _in_neither(c, name) for c in plan.unknown
    ]


def refuse_missing(plan: ImportPlan, named: bool) -> None:
    """Raise CodesNotFound if a code named on the command line (named) is not in the file.

    The whole run is refused, nothing written: a named code the file lacks is a mistake
    of the command line, and the import of the others should wait for it to be put right.
    """
    missing = _missing_lines(plan) if named else []
    if missing:
        count = len(missing)
        raise CodesNotFound(
            [
                *missing,
                f"{plan.pfs.described}: nothing written: "
                f"{count} named code{'s' * (count != 1)} not in the file",
            ]
        )


def _summary(plan: ImportPlan, dry_run: bool) -> str:
    created = sum(edit.created for edit in plan.edits)
    parts = [
        f"{len(plan.edits) - created} updated",
        f"{created} created",
        f"{len(plan.unchanged)} up to date",
        f"{len(plan.not_in_file)} not in the file",
    ]
    tail = "; dry run, nothing written" if dry_run else ""
    return f"{plan.pfs.described}: " + ", ".join(parts) + tail


@click.command(
    "import-pfs",
    epilog=examples(
        "python build.py import-pfs PPRRVU22_JAN.csv --dry-run",
        "python build.py import-pfs PPRRVU22_JAN.csv 71045 --create",
        "python build.py import-pfs PPRRVU2026_Jan_nonQPP.csv",
    ),
)
@click.argument("file")
@click.argument("codes", nargs=-1)
@click.option(
    "--sources",
    "sources",
    default="sources",
    show_default=True,
    help="Sources folder holding publication.yaml and codes/.",
)
@click.option(
    "--create",
    is_flag=True,
    help="Make a sparse source for each code of the file (or each named code) that has none.",
)
@click.option("--dry-run", is_flag=True, help="Print what would change; write nothing.")
@click.option(
    "--conversion-factor",
    "factor",
    type=click.Choice(["qpp", "non-qpp"], case_sensitive=False),
    default=None,
    help="Which of a 2026+ release's two files FILE is, when its name does not say "
    "(PPRRVU2026_Jan_QPP.csv, PPRRVU2026_Jan_nonQPP.csv).",
)
def import_pfs(
    file: str,
    codes: tuple[str, ...],
    sources: str = "sources",
    create: bool = False,
    dry_run: bool = False,
    factor: str | None = None,
) -> None:
    """Write benchmarks and indicators from a CMS PFS relative value file (PPRRVU CSV)."""
    from report.pfs.factor import option_factor
    from report.pfs.importer import plan_import, write_plan
    from report.pfs.reader import read_pfs

    with reported():
        pfs = read_pfs(Path(file), file, option_factor(file, factor))
        plan = plan_import(pfs, Path(sources), sources, codes, create)
        refuse_missing(plan, named=bool(codes))
        if not dry_run:
            write_plan(plan)
        lines = plan_lines(plan, dry_run)
        if lines:
            say("\n".join(lines))  # in one write: a whole fee schedule lists 300,000 lines
    click.echo(_summary(plan, dry_run), err=True)
