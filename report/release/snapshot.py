"""The snapshot a release keeps: its normalised sources and the revision history so far.

Normalised means as validated: defaults filled in, YAML anchors, comments and layout gone,
so that the next release compares content, not formatting. The file is snapshot.json in
the release folder; `release` reads the latest earlier one, `verify` rebuilds from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from report.errors import ReportError, why
from report.files import read_regular
from report.release.model import FieldChange, Revision
from report.release.version import Version, is_version, parse_version
from report.sources import Sources

SNAPSHOT_NAME = "snapshot.json"
SNAPSHOT_FORMAT = 1

Normalised = dict[str, Any]


@dataclass
class Snapshot:
    """One release's normalised sources, with each report's and the publication's history."""

    version: str
    previous: str | None
    publication: Normalised
    codes: dict[str, Normalised]
    history: dict[str, tuple[Revision, ...]] = field(default_factory=dict)
    publication_history: tuple[Revision, ...] = ()

    def heading(self, code: str) -> str:
        """Return a code's report heading, e.g. CPT 74440: Imaging of ..."""
        source = self.codes[code]
        return f"{source['system']} {source['code']}: {source['title']}"

    def dumps(self) -> bytes:
        """Return the snapshot as JSON bytes, the same for the same snapshot."""
        raw = {
            "format": SNAPSHOT_FORMAT,
            "version": self.version,
            "previous": self.previous,
            "publication": self.publication,
            "codes": {code: self.codes[code] for code in sorted(self.codes)},
            "history": {code: [_revision_json(r) for r in self.history[code]]
                        for code in sorted(self.history)},
            "publication_history": [_revision_json(r) for r in self.publication_history],
        }
        return (json.dumps(raw, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def loads(cls, data: bytes, shown: str) -> Snapshot:
        """Read a snapshot written by dumps; raise ReportError naming shown when it is not one."""
        try:
            raw = json.loads(data.decode("utf-8"))
            if raw.get("format") != SNAPSHOT_FORMAT or not is_version(raw["version"]):
                raise ValueError(f"not a snapshot of format {SNAPSHOT_FORMAT}")
            return cls(raw["version"], raw["previous"], raw["publication"], raw["codes"],
                       {code: tuple(_revision(r) for r in revisions)
                        for code, revisions in raw["history"].items()},
                       tuple(_revision(r) for r in raw["publication_history"]))
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ReportError(f"{shown}: not a release snapshot ({exc})") from exc


def _revision_json(revision: Revision) -> dict[str, Any]:
    return {"version": revision.version, "kind": revision.kind, "title": revision.title,
            "changes": [{"kind": c.kind, "field": c.field, "old": c.old, "new": c.new}
                        for c in revision.changes]}


def _revision(raw: dict[str, Any]) -> Revision:
    return Revision(raw["version"], raw["kind"], raw["title"],
                    tuple(FieldChange(c["kind"], c["field"], c["old"], c["new"])
                          for c in raw["changes"]))


def normalise(sources: Sources) -> tuple[Normalised, dict[str, Normalised]]:
    """Return the publication and every code source as validated, in plain JSON types."""
    assert sources.publication is not None
    publication = sources.publication.model.model_dump(mode="json", exclude_none=True)
    codes = {code.code: code.model.model_dump(mode="json", exclude_none=True)
             for code in sorted(sources.codes, key=lambda c: c.code)}
    return publication, codes


def read_snapshot(folder: Path, shown: str) -> Snapshot:
    """Read folder/snapshot.json."""
    path = folder / SNAPSHOT_NAME
    try:
        data = read_regular(path)[0]
    except OSError as exc:
        raise ReportError(f"{shown}: cannot read {SNAPSHOT_NAME}: {why(exc)}") from exc
    return Snapshot.loads(data, f"{shown}/{SNAPSHOT_NAME}")


def earlier_releases(root: Path, version: Version) -> list[tuple[Version, Path]]:
    """Return the release folders under root older than version, the latest last.

    Folders whose names are not versions (and hidden ones, such as a release being
    written) are not releases and are skipped.
    """
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        if folder.is_dir() and not folder.name.startswith(".") and is_version(folder.name):
            other = parse_version(folder.name)
            if other < version:
                found.append((other, folder))
    return sorted(found, key=lambda pair: pair[0].order())
