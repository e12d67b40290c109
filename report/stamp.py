"""What a versioned release adds to the documents it holds: plain data, no markup.

A release gives every report its version and revision history, which the templates
print (the report model carries a Release on its PublicationInfo), and each PDF a Stamp:
the version for its metadata and the sources it embeds as associated files, handed to
the renderer as a value of its own (report/render/provenance.py applies it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

PUBLICATION_SOURCE = "publication.yaml"
CODES_FOLDER = "codes"
INDICES_FOLDER = "gpci"  # gpci/YEAR.yaml: the indices of Medicare payments by locality


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
    date: dt.date | None = None  # the day the release was made; None in releases before dates

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

    path: str  # within the sources folder: publication.yaml, codes/CODE.yaml, gpci/YEAR.yaml
    data: bytes

    @property
    def name(self) -> str:
        """Return the file's name inside the PDF, e.g. 74440.yaml, gpci-2022.yaml."""
        return source_name(self.path)


def source_name(path: str) -> str:
    """Return the name a PDF embeds a source under: its file name; gpci-YEAR.yaml for indices."""
    if path.startswith(f"{INDICES_FOLDER}/"):
        return path.replace("/", "-")
    return path.rpartition("/")[2]


@dataclass(frozen=True, eq=False)
class Release:
    """A numbered release: its version, the one it is compared with, history and sources."""

    version: str
    previous: str | None
    history: Mapping[str, tuple[Revision, ...]] = field(default_factory=dict)
    sources: tuple[EmbeddedSource, ...] = ()
    date: dt.date | None = None  # the day the release was made, as its snapshot records it

    def revisions(self, code: str) -> tuple[Revision, ...]:
        """Return the releases in which a report changed, the newest first."""
        return self.history.get(code, ())

    def changed(self, code: str) -> bool:
        """Return whether this release added or changed the report."""
        revisions = self.revisions(code)
        return bool(revisions) and revisions[0].version == self.version

    def sources_of(self, code: str | None) -> tuple[EmbeddedSource, ...]:
        """Return the sources a document embeds: the publication, the indices, the code's or all.

        A report embeds every indices file: its key holds them all (report/inputs.py).
        """
        if code is None:
            return self.sources
        wanted = (PUBLICATION_SOURCE, f"{CODES_FOLDER}/{code}.yaml")
        return tuple(
            source
            for source in self.sources
            if source.path in wanted or source.path.startswith(f"{INDICES_FOLDER}/")
        )

    def key(self) -> str:
        """Return a text that changes whenever anything printed or embedded changes."""
        digest = hashlib.sha256(f"{self.version}\n{self.previous}\n{self.date}\n".encode())
        for code in sorted(self.history):
            digest.update(repr((code, self.history[code])).encode())
        for source in self.sources:
            digest.update(source.path.encode() + b"\n" + hashlib.sha256(source.data).digest())
        return digest.hexdigest()


@dataclass(frozen=True)
class Attachment:
    """A file a PDF embeds: its name in the PDF, a description and its bytes."""

    name: str
    description: str
    data: bytes


@dataclass(frozen=True)
class Stamp:
    """What a release adds to one PDF: its version and the sources it embeds."""

    version: str
    attachments: tuple[Attachment, ...]
    date: str  # the document's date, YYYY-MM-DD

    @property
    def pdf_date(self) -> str:
        """Return the date in PDF form, e.g. D:20261101000000Z."""
        return "D:" + self.date.replace("-", "") + "000000Z"

    def digest(self) -> str:
        """Return a hash of everything the stamp adds to a PDF."""
        digest = hashlib.sha256(f"{self.version}\n{self.date}\n".encode())
        for attachment in self.attachments:
            digest.update(f"{attachment.name}\n{attachment.description}\n".encode())
            digest.update(hashlib.sha256(attachment.data).digest())
        return digest.hexdigest()


def stamp_of(release: Release, code: str | None, date: str) -> Stamp:
    """Return the stamp of one document of a release: a report (code) or the volume (None)."""
    return Stamp(
        release.version,
        tuple(
            Attachment(source.name, f"Source: {source.path}", source.data)
            for source in release.sources_of(code)
        ),
        date,
    )
