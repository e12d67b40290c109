"""What a release refuses, warns of and notes before it writes anything.

Refused: a source whose title is still the placeholder `new` wrote, a report with no
data in any section (only its code, system and title), every warning with `--strict`,
and a release that would hold nothing new since the previous one (unless allowed).
Warned of, and recorded in manifest.json and CHANGES.md: figures as of more than 12
months before the effective date, as `check` finds them. Noted: empty payers and
sections. A recorded warning names its source within the sources folder
(codes/74440.yaml), so that the same sources give the same bytes wherever they are.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from report import __version__
from report.assemble import availability
from report.checking import missing_notices, placeholder_notices, stale_notices
from report.errors import Finding, Location, ReleaseRefused, ReportError
from report.files import read_regular
from report.release.contents import Log, engine_versions
from report.release.jsondoc import MAX_JSON_BYTES
from report.release.manifest import MANIFEST_NAME, parse_manifest
from report.release.recorded import Recorded
from report.release.snapshot import SNAPSHOT_NAME, Normalised, Snapshot
from report.scaffold import PLACEHOLDER_TITLE
from report.sources import CodeFile, PublicationFile, Sources

EMPTY = (
    "no data in any section: only the code, system and title are written; "
    "a release needs at least one section filled in"
)


@dataclass(frozen=True)
class Previous:
    """The latest earlier release in the folder: its snapshot and where it is."""

    snapshot: Snapshot
    folder: Path
    shown_path: str


@dataclass(frozen=True)
class Gate:
    """What the sources of a release give: refusals, warnings (shown and recorded), notices."""

    refusals: list[Finding]
    warnings: list[Finding]
    recorded: list[Recorded]
    notices: list[Finding]


def _relative(code: CodeFile) -> str:
    return f"codes/{code.model.code}.yaml"


def _placeholder(code: CodeFile) -> list[Finding]:
    return [
        Finding(
            f.location,
            f'title: still "{PLACEHOLDER_TITLE}", as new wrote it: write the title '
            "before releasing the report",
        )
        for f in placeholder_notices(code)
    ]


def _empty(code: CodeFile, publication: PublicationFile) -> list[Finding]:
    if any(item.available for item in availability(code.model, publication.model)):
        return []
    return [Finding(Location(code.path, 1, 1), EMPTY)]


def inspect(sources: Sources, strict: bool = False) -> Gate:
    """Return the gate of validated sources; with strict, every warning is a refusal too."""
    publication = sources.publication
    assert publication is not None  # validated before
    refusals: list[Finding] = []
    warnings: list[Finding] = []
    recorded: list[Recorded] = []
    notices: list[Finding] = []
    for code in sorted(sources.codes, key=lambda c: c.code):
        refusals += _placeholder(code) + _empty(code, publication)
        for stale in stale_notices(code, publication):
            where = stale.location
            warnings.append(Finding(where, stale.message, "warning"))
            recorded.append(Recorded(_relative(code), where.line, where.column, stale.message))
        if not _empty(code, publication):
            notices += missing_notices(code, publication)
    if strict:
        refusals += [
            Finding(w.location, f"{w.message} (--strict refuses every warning)") for w in warnings
        ]
    return Gate(sorted(refusals, key=Finding.order), warnings, recorded, notices)


def _builder(folder: Path, shown_path: str) -> tuple[object, ...] | None:
    """Return what a release's manifest records of the builder; None when unreadable."""
    try:
        data, size = read_regular(folder / MANIFEST_NAME, MAX_JSON_BYTES + 1)
        if size > MAX_JSON_BYTES:
            return None
        manifest = parse_manifest(data, os.path.join(shown_path, MANIFEST_NAME))
        version = json.loads(data).get("builder_version")
    except (OSError, ReportError, ValueError):
        return None
    return version, manifest.pdf_variant, sorted(manifest.engine.items())


def unchanged(
    previous: Snapshot,
    folder: Path,
    shown_path: str,
    publication: Normalised,
    codes: dict[str, Normalised],
    builder: tuple[object, ...],
) -> bool:
    """Return whether a release would hold what the previous one holds, built the same way."""
    return (
        previous.publication == publication
        and previous.codes == codes
        and _builder(folder, shown_path) == builder
    )


def unchanged_refusal(version: str, previous: str, shown_previous: str) -> Finding:
    """Return the refusal of a release that would hold nothing new."""
    return Finding.at(
        os.path.join(shown_previous, SNAPSHOT_NAME),
        f"release {version} would be the same as release {previous}: the same sources, "
        "publication, builder version, PDF variant and engine; nothing changed since, so "
        "nothing is released (pass --allow-unchanged to release it anyway)",
    )


def gate_release(
    loaded: Sources,
    version: str,
    previous: Previous | None,
    publication: Normalised,
    codes: dict[str, Normalised],
    variant: str,
    strict: bool,
    allow_unchanged: bool,
    log: Log,
) -> Gate:
    """Refuse the release for every reason there is, at once; else print its notices."""
    gate = inspect(loaded, strict)
    refusals = list(gate.refusals)
    if (
        previous is not None
        and not allow_unchanged
        and unchanged(
            previous.snapshot,
            previous.folder,
            previous.shown_path,
            publication,
            codes,
            builder_inputs(variant),
        )
    ):
        refusals.append(unchanged_refusal(version, previous.snapshot.version, previous.shown_path))
    if refusals:
        raise ReleaseRefused(refusals, version)
    for finding in [*gate.notices, *gate.warnings]:
        log(str(finding))
    return gate


def builder_inputs(variant: str) -> tuple[object, ...]:
    """Return what of the builder shapes a release's bytes, as manifest.json records it."""
    return __version__, variant, sorted(engine_versions().items())
