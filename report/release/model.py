"""What a versioned release adds to every document: its version, revision history, sources.

Plain data, no markup: the report model (report/assemble.py) carries a Release on its
PublicationInfo, the templates print it, and the renderer embeds the sources it names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from report.sources.models import system_of

PUBLICATION_SOURCE = "publication.yaml"
CODES_FOLDER = "codes"
SOURCE_NAMES = f"{PUBLICATION_SOURCE} or CODE.yaml (CODE a CPT or HCPCS code)"
SOURCE_PATHS = f"{PUBLICATION_SOURCE} or {CODES_FOLDER}/CODE.yaml (CODE a CPT or HCPCS code)"


def source_path(name: str) -> str | None:
    """Return the path in a sources folder of an embedded source named name, or None.

    Only publication.yaml and CODE.yaml, CODE a code of the form `check` and `new`
    accept, are sources: any other name (a path, a NUL, a backslash) is none.
    """
    if name == PUBLICATION_SOURCE:
        return PUBLICATION_SOURCE
    stem, dot, extension = name.rpartition(".")
    if dot and extension == "yaml" and system_of(stem) is not None:
        return f"{CODES_FOLDER}/{stem}.yaml"
    return None


def is_source_path(path: str) -> bool:
    """Return whether path is publication.yaml or codes/CODE.yaml, as a manifest lists sources."""
    return source_path(path.removeprefix(f"{CODES_FOLDER}/")) == path


@dataclass(frozen=True)
class FieldChange:
    """One field of a source that a release added, removed or changed, values as printed."""

    kind: Literal["added", "removed", "changed"]
    field: str
    old: str | None = None
    new: str | None = None

    @property
    def sentence(self) -> str:
        """Return the change as one line, the same in the PDF and in CHANGES.md."""
        if self.kind == "changed":
            return f"{self.field}: changed from {self.old} to {self.new}"
        value = self.new if self.kind == "added" else self.old
        return f"{self.field}: {self.kind}" + (f", {value}" if value else "")


@dataclass(frozen=True)
class Revision:
    """A release in which a report was added, changed or removed, and the fields it touched."""

    version: str
    kind: Literal["added", "changed", "removed"]
    title: str  # the report's heading in that release, e.g. CPT 74440: Imaging of ...
    changes: tuple[FieldChange, ...] = ()

    @property
    def summary(self) -> str:
        """Return what the release did to the report, in words."""
        if self.kind == "added":
            return "First published in this release."
        if self.kind == "removed":
            return "Withdrawn in this release."
        count = len(self.changes)
        return f"{count} field{'s' * (count != 1)} changed."


@dataclass(frozen=True)
class EmbeddedSource:
    """A source file that release PDFs carry as an associated file (relationship Source)."""

    path: str  # within the sources folder: publication.yaml or codes/CODE.yaml
    data: bytes

    @property
    def name(self) -> str:
        """Return the file's name inside the PDF, e.g. 74440.yaml."""
        return self.path.rpartition("/")[2]


@dataclass(frozen=True, eq=False)
class Release:
    """A numbered release: its version, the one it is compared with, history and sources."""

    version: str
    previous: str | None
    history: Mapping[str, tuple[Revision, ...]] = field(default_factory=dict)
    sources: tuple[EmbeddedSource, ...] = ()

    def revisions(self, code: str) -> tuple[Revision, ...]:
        """Return the releases in which a report changed, the newest first."""
        return self.history.get(code, ())

    def changed(self, code: str) -> bool:
        """Return whether this release added or changed the report."""
        revisions = self.revisions(code)
        return bool(revisions) and revisions[0].version == self.version

    def sources_of(self, code: str | None) -> tuple[EmbeddedSource, ...]:
        """Return the sources a document embeds: the publication, and the code's or all."""
        if code is None:
            return self.sources
        wanted = (PUBLICATION_SOURCE, f"codes/{code}.yaml")
        return tuple(source for source in self.sources if source.path in wanted)

    def key(self) -> str:
        """Return a text that changes whenever anything printed or embedded changes."""
        digest = hashlib.sha256(f"{self.version}\n{self.previous}\n".encode())
        for code in sorted(self.history):
            digest.update(repr((code, self.history[code])).encode())
        for source in self.sources:
            digest.update(source.path.encode() + b"\n" + hashlib.sha256(source.data).digest())
        return digest.hexdigest()
