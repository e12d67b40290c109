"""Plan a whole import before anything is written, then write each changed source atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from report.errors import Finding, SourceError, WriteError
from report.outputs import write_all
from report.pfs.plan import CodeImport, change_lines, code_import
from report.pfs.reader import PfsFile
from report.pfs.sparse import skeleton, sparse_source, up_to_date
from report.pfs.splice import splice
from report.pfs.writer import double_quoted, edit_source
from report.sources import code_from_bytes, load_code, open_folder
from report.sources.batch import each
from report.sources.models import Publication, system_of


@dataclass(frozen=True)
class SourceEdit:
    """One source the import writes: its new bytes and what changes in it."""

    code: str
    path: Path
    shown_path: str
    data: bytes
    created: bool
    changes: tuple[str, ...]
    notes: tuple[str, ...]


@dataclass
class ImportPlan:
    """Everything one import does, decided before any file is written."""

    pfs: PfsFile
    edits: list[SourceEdit] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # codes it leaves as they are
    not_in_file: list[str] = field(default_factory=list)
    without_source: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_creatable: list[str] = field(default_factory=list)


CHANGED_WHILE_READ = "the file changed while the import read it; import again"


def _code_path(shown_path: str, code: str) -> str:
    return os.path.join(shown_path, "codes", f"{code}.yaml")


def new_source(code: str, system: str, imported: CodeImport, pfs: PfsFile, shown: str) -> bytes:
    """Return a sparse source: from the template, or edited into the skeleton if it must be."""
    data = sparse_source(code, system, imported, pfs)
    if data is not None:
        return data
    empty = skeleton(code, system, imported, pfs, double_quoted).encode("utf-8")
    return edit_source(empty, shown, imported, blank_lines=True) or empty


def _survey(
    pfs: PfsFile, shown_path: str, publication: Publication | None, file: Path
) -> tuple[list[Finding], str]:
    """Read one source the import may change: its errors, and what the import does to it.

    "absent": the file has no row for it; "current": it already says what the file
    says; "edit": the import changes it; "invalid": it has errors.
    """
    code, errors = load_code(file, shown_path, publication)
    if code is None:
        return errors, "invalid"
    imported = code_import(pfs, file.stem)
    if imported is None:
        return errors, "absent"
    return errors, "current" if up_to_date(code.model, code.root, imported) else "edit"


def _edit(
    pfs: PfsFile, folder: Path, shown_path: str, publication: Publication | None, code: str
) -> SourceEdit | list[Finding] | None:
    """Read a valid source again and edit it; None if the edit changes nothing after all.

    The problems that stop it are returned, not raised: a worker process sends them back.
    """
    file = folder / "codes" / f"{code}.yaml"
    source, errors = load_code(file, shown_path, publication)
    imported = code_import(pfs, code)
    if source is None or imported is None:  # it changed since it was read
        return errors or [Finding.at(_code_path(shown_path, code), CHANGED_WHILE_READ)]
    try:
        data = splice(source.data, source.root, source.model, imported) or edit_source(
            source.data, source.path, imported
        )
    except SourceError as exc:  # a file the round-trip edit cannot write back
        return exc.findings
    if data is None:
        return None
    model = source.model
    lines = change_lines(imported, model.indicators, model.benchmarks or [])
    return SourceEdit(code, file, source.path, data, False, tuple(lines), imported.skipped)


def _problems(publication: Publication | None, edit: SourceEdit) -> list[Finding]:
    """Return what `check` would find in an edited source."""
    return code_from_bytes(edit.data, edit.shown_path, edit.code, publication)[1]


def plan_import(
    pfs: PfsFile, folder: Path, shown_path: str, codes: tuple[str, ...] = (), create: bool = False
) -> ImportPlan:
    """Decide every edit of an import; raise SourceError, changing nothing, on any problem.

    Each source is read on its own (by several processes when there are many) and only
    what it comes to is kept; a source the import changes is read again to be edited.
    """
    publication_file, folder_errors, files = open_folder(folder, shown_path)
    by_stem = {file.stem: file for file in files}
    stems = sorted(by_stem)
    named = set(codes)
    targets = [s for s in stems if not codes or s in named]
    errors = [
        f for f in folder_errors if f.location.path == os.path.join(shown_path, "publication.yaml")
    ]
    publication = publication_file.model if publication_file else None
    surveyed = each(partial(_survey, pfs, shown_path, publication), [by_stem[s] for s in targets])
    for found, _ in surveyed:
        errors += found
    if errors:
        raise SourceError(sorted(errors, key=Finding.order))
    plan = ImportPlan(pfs)
    states = dict(zip(targets, (state for _, state in surveyed), strict=True))
    changing = [code for code in targets if states[code] == "edit"]
    edited = each(partial(_edit, pfs, folder, shown_path, publication), changing)
    refused = [f for result in edited if isinstance(result, list) for f in result]
    if refused:
        raise SourceError(sorted(refused, key=Finding.order))
    edits = {
        code: result
        for code, result in zip(changing, edited, strict=True)
        if isinstance(result, SourceEdit)
    }
    for code in targets:
        if states[code] == "absent":
            plan.not_in_file.append(code)
        elif (edit := edits.get(code)) is not None:
            plan.edits.append(edit)
        else:
            plan.unchanged.append(code)
    # Rows of codes without a source are ignored unless named or asked to --create them.
    for code in codes or (tuple(pfs.rows) if create else ()):
        if code in by_stem:
            continue
        imported = code_import(pfs, code)
        system = system_of(code)
        if imported is None:
            plan.unknown.append(code)
        elif not create:
            plan.without_source.append(code)
        elif system is None:
            plan.not_creatable.append(code)
        else:
            shown_source = _code_path(shown_path, code)
            plan.edits.append(
                SourceEdit(
                    code,
                    folder / "codes" / f"{code}.yaml",
                    shown_source,
                    new_source(code, system, imported, pfs, shown_source),
                    True,
                    tuple(change_lines(imported, None, [])),
                    imported.skipped,
                )
            )
    problems = [f for found in each(partial(_problems, publication), plan.edits) for f in found]
    if problems:
        raise SourceError(problems)
    return plan


def write_plan(plan: ImportPlan) -> None:
    """Write every edited source, or none when the system refuses one (a full disk).

    All are written to temporary files first, then renamed into place.
    """
    shown_paths = {str(edit.path): edit.shown_path for edit in plan.edits}
    try:
        write_all([(edit.path, edit.data) for edit in plan.edits])
    except WriteError as exc:
        raise WriteError(shown_paths.get(exc.path, exc.path), exc.reason) from exc
