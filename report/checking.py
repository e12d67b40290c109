"""`check`'s work: every error and notice of a sources folder, many sources at once.

Each code source is read, validated and turned into its notices on its own (in worker
processes when there are many, report/sources/batch.py), and only its findings are
kept: a folder of the whole fee schedule is checked in the memory of a few sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path

from report.assemble import STALE_MONTHS, availability, stale_benchmarks
from report.errors import Finding, Location, excerpt
from report.gpci.part import locality_notice
from report.scaffold import PLACEHOLDER_TITLE
from report.sources import CodeFile, PublicationFile, load_code, open_folder
from report.sources.batch import each
from report.sources.validate import locate
from report.sources.volumes import shown_codes, volume_codes

# A notice of one source: line, column and message (its path is the source's).
Note = tuple[int, int, str]


@dataclass(frozen=True)
class Checked:
    """What checking a folder found: its valid code sources, errors and notices, sorted.

    The notices are kept by source, in order: (path, its notes), as few objects as the
    hundreds of thousands of a whole fee schedule allow.
    """

    valid_codes: int
    errors: list[Finding]
    notes: list[tuple[str, list[Note]]]

    @property
    def notices(self) -> list[Finding]:
        """Return every notice as a finding, sorted."""
        return [
            Finding(Location(path, line, column), message, "notice")
            for path, notes in self.notes
            for line, column, message in notes
        ]

    def notice_lines(self) -> list[str]:
        """Return every notice as `check` prints it, sorted."""
        return [
            f"{path}:{line}:{column}: notice: {message}"
            if "\n" not in message and "\r" not in message
            else str(Finding(Location(path, line, column), message, "notice"))
            for path, notes in self.notes
            for line, column, message in notes
        ]


def code_notices(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    """List the notices of a valid code source, located.

    One for each outline item it has no data for, for a title still the placeholder
    `new` wrote, for each benchmark as of more than 12 months before the publication's
    effective date, and for payments by locality that lack indices or a conversion factor.
    """
    return [
        *missing_notices(code, publication),
        *placeholder_notices(code),
        *stale_notices(code, publication),
        *locality_notices(code, publication),
    ]


def locality_notices(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    """List a notice if the code's RVUs lack the indices or factor of their year, else none."""
    said = locality_notice(code.model.benchmarks or [], publication.indices)
    if said is None:
        return []
    return [
        Finding(
            locate(code.path, code.root, ("benchmarks",), True),
            f"Benchmarks: Medicare payment by locality: the sources lack {said}; "
            "the report says so instead of giving payments",
            "notice",
        )
    ]


def missing_notices(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    """List one notice for each outline item (a section, a payer) the source has no data for."""
    return [
        Finding(
            locate(code.path, code.root, item.path),
            f"{item.section}: {item.item}: data not available",
            "notice",
        )
        for item in availability(code.model, publication.model)
        if not item.available
    ]


def placeholder_notices(code: CodeFile) -> list[Finding]:
    """List a notice for a title still the placeholder `new` wrote, else none."""
    if code.model.title != PLACEHOLDER_TITLE:
        return []
    return [
        Finding(
            locate(code.path, code.root, ("title",)),
            f'title: still "{PLACEHOLDER_TITLE}", as new wrote it',
            "notice",
        )
    ]


def stale_notices(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    """List a notice for each benchmark as of more than 12 months before the effective date."""
    effective = publication.model.effective_date
    return [
        Finding(
            locate(code.path, code.root, ("benchmarks", index, "as_of")),
            f"Benchmarks: {excerpt(figure.label)} ({figure.component}): as of "
            f"{figure.as_of.isoformat()}, more than {STALE_MONTHS} months before the "
            f"effective date {effective.isoformat()}",
            "notice",
        )
        for index, figure in stale_benchmarks(code.model.benchmarks, effective)
    ]


def volume_notices(publication: PublicationFile, codes: list[str]) -> list[Finding]:
    """List the notices of the publication's volumes over the valid codes, located.

    One for each volume that holds none of them, and one naming the codes no volume holds.
    """
    volumes = publication.model.volumes
    if volumes is None:
        return []
    found, held = [], set()
    for index, volume in enumerate(volumes):
        codes_of = volume_codes(volume.codes, codes)
        held.update(codes_of)
        if not codes_of:
            found.append(
                Finding(
                    locate(publication.path, publication.root, ("volumes", index, "codes"), True),
                    f'volume "{excerpt(volume.title)}" holds none of the code sources',
                    "notice",
                )
            )
    left = [code for code in codes if code not in held]
    if left:
        found.append(
            Finding(
                locate(publication.path, publication.root, ("volumes",), True),
                f"{len(left)} code source{'s are' if len(left) != 1 else ' is'} in no volume: "
                f"{shown_codes(left)}",
                "notice",
            )
        )
    return sorted(found, key=Finding.order)


def _check_code(
    shown_path: str, publication: PublicationFile | None, file: Path
) -> tuple[bool, list[Finding], tuple[str, list[Note]]]:
    """Return whether one code source is valid, its errors, and its path and notes, sorted."""
    code, errors = load_code(file, shown_path, publication.model if publication else None)
    if code is None or publication is None:
        return code is not None, errors, ("", [])
    found = sorted(code_notices(code, publication), key=Finding.order)
    return (
        True,
        errors,
        (code.path, [(f.location.line, f.location.column, f.message) for f in found]),
    )


def check_folder(folder: Path, shown_path: str, jobs: int | None = None) -> Checked:
    """Check every source of folder; shown_path is the folder as messages name it."""
    publication, errors, files = open_folder(folder, shown_path)
    valid = 0
    notes: list[tuple[str, list[Note]]] = []
    codes: list[str] = []
    for file, (ok, code_errors, code_notes) in zip(
        files, each(partial(_check_code, shown_path, publication), files, jobs), strict=True
    ):
        valid += ok
        errors += code_errors
        if ok:
            codes.append(file.stem)
        if code_notes[1]:
            notes.append(code_notes)
    if publication is not None and codes:
        found = volume_notices(publication, codes)
        if found:
            notes.append(
                (publication.path, [(f.location.line, f.location.column, f.message) for f in found])
            )
    notes.sort(key=lambda item: item[0])  # by path: then every notice is in order
    return Checked(valid, sorted(errors, key=Finding.order), notes)
