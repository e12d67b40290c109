"""`check`'s work: every error and notice of a sources folder, many sources at once.

Each code source is read, validated and turned into its notices on its own (in worker
processes when there are many, report/sources/batch.py), and only its findings are
kept: a folder of the whole fee schedule is checked in the memory of a few sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from report.assemble import STALE_MONTHS, assemble, stale_benchmarks
from report.errors import Finding, excerpt
from report.scaffold import PLACEHOLDER_TITLE
from report.sources import CodeFile, PublicationFile, load_code, open_folder
from report.sources.batch import each
from report.sources.validate import locate


@dataclass(frozen=True)
class Checked:
    """What checking a folder found: its valid code sources, errors and notices, sorted."""

    valid_codes: int
    errors: list[Finding]
    notices: list[Finding]


def code_notices(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    """List the notices of a valid code source, located.

    One for each outline item it has no data for, for a title still the placeholder
    `new` wrote, and for each benchmark as of more than 12 months before the
    publication's effective date.
    """
    report = assemble(code, publication)
    found = [
        Finding(
            locate(code.path, code.root, item.path),
            f"{item.section}: {item.item}: data not available",
            "notice",
        )
        for item in report.missing
    ]
    if code.model.title == PLACEHOLDER_TITLE:
        found.append(
            Finding(
                locate(code.path, code.root, ("title",)),
                f'title: still "{PLACEHOLDER_TITLE}", as new wrote it',
                "notice",
            )
        )
    effective = publication.model.effective_date
    found += [
        Finding(
            locate(code.path, code.root, ("benchmarks", index, "as_of")),
            f"Benchmarks: {excerpt(figure.label)} ({figure.component}): as of "
            f"{figure.as_of.isoformat()}, more than {STALE_MONTHS} months before the "
            f"effective date {effective.isoformat()}",
            "notice",
        )
        for index, figure in stale_benchmarks(code.model.benchmarks, effective)
    ]
    return found


def _check_code(
    shown_path: str, publication: PublicationFile | None, file: Path
) -> tuple[bool, list[Finding], list[Finding]]:
    """Return whether one code source is valid, its errors and its notices."""
    code, errors = load_code(file, shown_path, publication.model if publication else None)
    if code is None or publication is None:
        return code is not None, errors, []
    return True, errors, code_notices(code, publication)


def check_folder(folder: Path, shown_path: str, jobs: int | None = None) -> Checked:
    """Check every source of folder; shown_path is the folder as messages name it."""
    publication, errors, files = open_folder(folder, shown_path)
    valid = 0
    notices: list[Finding] = []
    for ok, code_errors, code_notes in each(
        partial(_check_code, shown_path, publication), files, jobs
    ):
        valid += ok
        errors += code_errors
        notices += code_notes
    return Checked(valid, sorted(errors, key=Finding.order), sorted(notices, key=Finding.order))
