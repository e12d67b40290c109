"""The snapshot a release keeps: its normalised sources and the revision history so far.

Normalised means as validated: defaults filled in, YAML anchors, comments and layout gone,
so that the next release compares content, not formatting. The file is snapshot.json in
the release folder; `release` reads the latest earlier one, `verify` rebuilds from it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from report.errors import ReleaseError, ReportError, why
from report.files import read_regular
from report.release.jsondoc import (
    MAX_JSON_BYTES,
    Checker,
    JsonValue,
    Key,
    describe,
    parse_json,
    too_large,
)
from report.release.version import Version, is_version, parse_version
from report.sources import Sources
from report.stamp import FieldChange, Revision

SNAPSHOT_NAME = "snapshot.json"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
SNAPSHOT_FORMAT = 2  # 2 adds the release's date and each revision's; 1 is still read
FORMATS = (1, SNAPSHOT_FORMAT)

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
    date: dt.date | None = None  # the day the release was made; None in a format 1 snapshot

    def heading(self, code: str) -> str:
        """Return a code's report heading, e.g. CPT 74440: Imaging of ..."""
        source = self.codes[code]
        return f"{source['system']} {source['code']}: {source['title']}"

    def dumps(self) -> bytes:
        """Return the snapshot as JSON bytes, the same for the same snapshot."""
        raw = {
            "format": SNAPSHOT_FORMAT,
            "version": self.version,
            "date": self.date.isoformat() if self.date else None,
            "previous": self.previous,
            "publication": self.publication,
            "codes": {code: self.codes[code] for code in sorted(self.codes)},
            "history": {
                code: [_revision_json(r) for r in self.history[code]]
                for code in sorted(self.history)
            },
            "publication_history": [_revision_json(r) for r in self.publication_history],
        }
        return (json.dumps(raw, indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    @classmethod
    def loads(cls, data: bytes, shown_path: str) -> Snapshot:
        """Read a snapshot written by dumps; raise ReleaseError, located, when it is not one."""
        check = Checker(shown_path)
        top = check.object(
            parse_json(data, shown_path), (), SNAPSHOT_KEYS, "a release snapshot: an object"
        )
        if top is None:
            raise ReleaseError(check.findings)
        form = top["format"]
        if isinstance(form, bool) or form not in FORMATS:
            check.fail(("format",), f"must be 1 or {SNAPSHOT_FORMAT}, not {describe(form)}")
        date = _date(check, top.get("date"), ("date",))
        if form == SNAPSHOT_FORMAT and top.get("date") is None:
            check.fail(("date",), "must be a date, YYYY-MM-DD, not null")
        check.version(top["version"], ("version",))
        check.version(top["previous"], ("previous",), optional=True)
        publication = check.object(top["publication"], ("publication",), ())
        codes = {}
        for code, value in _members(check, top["codes"], ("codes",), "code sources"):
            if (source := check.object(value, ("codes", code), CODE_KEYS)) is not None:
                codes[code] = dict(source)
                for key in CODE_KEYS:
                    check.string(source[key], ("codes", code, key))
        history = {
            code: _revisions(check, value, ("history", code))
            for code, value in _members(check, top["history"], ("history",), "arrays of revisions")
        }
        publication_history = _revisions(
            check, top["publication_history"], ("publication_history",)
        )
        check.raise_any()
        version, previous = top["version"], top["previous"]
        assert isinstance(version, str) and publication is not None
        assert previous is None or isinstance(previous, str)
        return cls(version, previous, dict(publication), codes, history, publication_history, date)


SNAPSHOT_KEYS = (
    "format",
    "version",
    "previous",
    "publication",
    "codes",
    "history",
    "publication_history",
)
CODE_KEYS = ("code", "system", "title")
REVISION_KEYS = ("version", "kind", "title", "changes")
CHANGE_KEYS = ("kind", "field", "old", "new")
KINDS: dict[str, Literal["added", "changed", "removed"]] = {
    "added": "added",
    "changed": "changed",
    "removed": "removed",
}


def _members(
    check: Checker, value: JsonValue, keys: tuple[Key, ...], what: str
) -> list[tuple[str, JsonValue]]:
    """Return an object's members; record a problem when value is not an object."""
    if isinstance(value, dict):
        return list(value.items())
    check.fail(keys, f"must be an object of {what}, not {describe(value)}")
    return []


def _date(check: Checker, value: JsonValue, keys: tuple[Key, ...]) -> dt.date | None:
    """Return a date written YYYY-MM-DD, None for null or absent; record anything else."""
    if value is None:
        return None
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    check.fail(keys, f"must be a date, YYYY-MM-DD, or null, not {describe(value)}")
    return None


def _revision_json(revision: Revision) -> dict[str, Any]:
    return {
        "version": revision.version,
        "date": revision.date.isoformat() if revision.date else None,
        "kind": revision.kind,
        "title": revision.title,
        "changes": [
            {"kind": c.kind, "field": c.field, "old": c.old, "new": c.new} for c in revision.changes
        ],
    }


def _revisions(check: Checker, value: JsonValue, keys: tuple[Key, ...]) -> tuple[Revision, ...]:
    """Return the revisions of a history array; record each malformed one."""
    found = []
    for at, item in check.array(value, keys, "revisions"):
        raw = check.object(item, at, REVISION_KEYS)
        if raw is None:
            continue
        version = check.string(raw["version"], (*at, "version"))
        title = check.string(raw["title"], (*at, "title"))
        kind = raw["kind"]
        check.choice(kind, (*at, "kind"), tuple(KINDS))
        changes = []
        for where, entry in check.array(raw["changes"], (*at, "changes"), "changes"):
            change = check.object(entry, where, CHANGE_KEYS)
            if change is None:
                continue
            name = check.string(change["field"], (*where, "field"))
            old = check.optional_string(change["old"], (*where, "old"))
            new = check.optional_string(change["new"], (*where, "new"))
            change_kind = change["kind"]
            if check.choice(change_kind, (*where, "kind"), tuple(KINDS)) and name is not None:
                changes.append(FieldChange(KINDS[str(change_kind)], name, old, new))
        date = _date(check, raw.get("date"), (*at, "date"))
        if version is not None and title is not None and kind in KINDS:
            found.append(Revision(version, KINDS[str(kind)], title, tuple(changes), date))
    return tuple(found)


def normalise(sources: Sources) -> tuple[Normalised, dict[str, Normalised]]:
    """Return the publication and every code source as validated, in plain JSON types."""
    assert sources.publication is not None
    # Where releases are kept is not printed: moving them changes no report.
    publication = sources.publication.model.model_dump(
        mode="json", exclude_none=True, exclude={"releases"}
    )
    # The indices (gpci/YEAR.yaml) belong with the publication: every report may use them.
    indices = sources.publication.indices
    if indices:
        publication["indices"] = {
            str(year): indices[year].model.model_dump(mode="json", exclude_none=True)
            for year in sorted(indices)
        }
    codes = {
        code.code: code.model.model_dump(mode="json", exclude_none=True)
        for code in sorted(sources.codes, key=lambda c: c.code)
    }
    return publication, codes


def read_snapshot(folder: Path, shown_path: str) -> Snapshot:
    """Read folder/snapshot.json."""
    path, shown_snapshot = folder / SNAPSHOT_NAME, f"{shown_path}/{SNAPSHOT_NAME}"
    try:
        data, size = read_regular(path, MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise ReportError(f"{shown_path}: cannot read {SNAPSHOT_NAME}: {why(exc)}") from exc
    if size > MAX_JSON_BYTES:
        raise ReleaseError.at(shown_snapshot, 1, 1, too_large(size, f"a release's {SNAPSHOT_NAME}"))
    return Snapshot.loads(data, shown_snapshot)


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
