"""Plan a whole import before anything is written, then write each changed source atomically."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from report.errors import Finding, SourceError, WriteError
from report.outputs import write_all
from report.pfs.plan import CodeImport, change_lines, code_import
from report.pfs.reader import PfsFile
from report.pfs.sparse import skeleton, sparse_source, up_to_date
from report.pfs.writer import double_quoted, edit_source
from report.sources import CodeFile, code_from_bytes, load_sources
from report.sources.models import system_of


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
    unchanged: list[CodeImport] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    without_source: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    not_creatable: list[str] = field(default_factory=list)


def _code_path(shown_path: str, code: str) -> str:
    return os.path.join(shown_path, "codes", f"{code}.yaml")


def new_source(code: str, system: str, imported: CodeImport, pfs: PfsFile, shown: str) -> bytes:
    """Return a sparse source: from the template, or edited into the skeleton if it must be."""
    data = sparse_source(code, system, imported, pfs)
    if data is not None:
        return data
    empty = skeleton(code, system, imported, pfs, double_quoted).encode("utf-8")
    return edit_source(empty, shown, imported, blank_lines=True) or empty


def plan_import(
    pfs: PfsFile, folder: Path, shown_path: str, codes: tuple[str, ...] = (), create: bool = False
) -> ImportPlan:
    """Decide every edit of an import; raise SourceError, changing nothing, on any problem."""
    sources = load_sources(folder, shown_path)
    stems = sorted(p.stem for p in (folder / "codes").glob("*.yaml"))
    named = set(codes)
    targets = [s for s in stems if not codes or s in named]
    paths = {os.path.join(shown_path, "publication.yaml")} | {
        _code_path(shown_path, s) for s in targets
    }
    errors = [f for f in sources.errors if f.location.path in paths]
    if errors:
        raise SourceError(errors)
    by_code: dict[str, CodeFile] = {c.code: c for c in sources.codes}
    publication = sources.publication.model if sources.publication else None
    plan = ImportPlan(pfs)
    found: list[Finding] = []
    for code in targets:
        imported = code_import(pfs, code)
        if imported is None:
            plan.not_in_file.append(code)
            continue
        source = by_code[code]
        model = source.model
        if up_to_date(model, source.root, imported):
            plan.unchanged.append(imported)
            continue
        data = edit_source(source.data, source.path, imported)
        if data is None:
            plan.unchanged.append(imported)
            continue
        lines = change_lines(imported, model.indicators, model.benchmarks or [])
        plan.edits.append(
            SourceEdit(
                code,
                folder / "codes" / f"{code}.yaml",
                source.path,
                data,
                False,
                tuple(lines),
                imported.skipped,
            )
        )
    # Rows of codes without a source are ignored unless named or asked to --create them.
    existing = set(stems)
    for code in codes or (tuple(pfs.rows) if create else ()):
        if code in existing:
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
    for edit in plan.edits:
        found += code_from_bytes(edit.data, edit.shown_path, edit.code, publication)[1]
    if found:
        raise SourceError(found)
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
