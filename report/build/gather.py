"""Gather the sources: hash every one, validate those that changed, report every error.

A code source whose size and modification time the index knows is not read: its hash,
errors and report heading come from the index. When the publication changed, every code
source is validated again (they are checked against its payers).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from report.build.index import BuildIndex, SourceEntry
from report.errors import Finding
from report.inputs import sha256
from report.sources import CodeFile, PublicationFile, load_code, load_publication
from report.sources.yaml import unreadable

PUBLICATION_NAME = "publication.yaml"


@dataclass
class CodeSource:
    """One code source as this build sees it: its hash, errors, heading, validated source.

    The source is None when it was not read, the index telling what it holds.
    """

    file: Path
    shown_path: str
    sha: str
    errors: list[Finding] = field(default_factory=list)
    heading: str | None = None
    size: int = 0
    source: CodeFile | None = None

    @property
    def code(self) -> str:
        """Return the billing code, the file's name."""
        return self.file.stem


@dataclass
class Sources:
    """Every source of a build: the publication (None if it has errors) and the codes."""

    folder: Path
    shown_path: str
    publication: PublicationFile | None
    codes: list[CodeSource]
    errors: list[Finding]


def nothing() -> None:
    """Do nothing: no one is told that a source changed."""


def gather_sources(
    folder: Path,
    shown_path: str,
    index: BuildIndex,
    force: bool,
    changed: Callable[[], None] = nothing,
) -> Sources:
    """Hash and validate every source of folder; record what was read in the index.

    What the index knows of an unchanged source is taken as it is. changed is called
    before a changed source is validated (a sign that the build will render).
    """
    publication, errors = load_publication(folder, shown_path)
    shown_publication = os.path.join(shown_path, PUBLICATION_NAME)
    pub_sha = sha256(publication.data) if publication else ""
    previous = index.sources.get(shown_publication)
    reparse = force or previous is None or previous.sha256 != pub_sha
    if reparse and publication is not None:
        changed()
    codes = _codes(folder, shown_path, index, publication, reparse, changed)
    errors += [finding for code in codes for finding in code.errors]
    if not codes:
        where = os.path.join(shown_path, "codes")
        errors.append(Finding.at(where, "no code sources found (expected codes/CODE.yaml files)"))
    if publication is not None:
        try:
            stat = (folder / PUBLICATION_NAME).stat()
            index.sources[shown_publication] = SourceEntry(stat.st_size, stat.st_mtime_ns, pub_sha)
        except OSError:  # removed since it was read: the next build reads every source again
            index.sources.pop(shown_publication, None)
    return Sources(folder, shown_path, publication, codes, sorted(errors))


def _codes(
    folder: Path,
    shown_path: str,
    index: BuildIndex,
    publication: PublicationFile | None,
    reparse: bool,
    changed: Callable[[], None],
) -> list[CodeSource]:
    """Hash every code source; validate only those that changed (or all when told to)."""
    files = sorted((folder / "codes").glob("*.yaml")) if (folder / "codes").is_dir() else []
    pub_model = publication.model if publication else None
    codes = []
    for file in files:
        path = os.path.join(shown_path, "codes", file.name)
        try:
            digest, edited, stat = index.source_hash(path, file)
        except OSError as exc:  # vanished, unreadable, or a FIFO or device: never read
            codes.append(CodeSource(file, path, "", unreadable(path, exc).findings))
            continue
        entry = index.sources.get(path)
        item = CodeSource(file, path, digest)
        if edited or reparse or entry is None or publication is None:
            if publication is not None:
                changed()
            item.source, item.errors = load_code(file, shown_path, pub_model)
            entry = SourceEntry(stat.st_size, stat.st_mtime_ns, digest)
            entry.errors = [
                [f.location.path, f.location.line, f.location.column, f.message]
                for f in item.errors
            ]
            if item.source is not None:
                model = item.source.model
                entry.heading = f"{model.system} {model.code}: {model.title}"
            if publication is not None:
                index.sources[path] = entry
        else:
            item.errors = entry.findings()
        item.heading = entry.heading
        item.size = entry.size
        codes.append(item)
    return codes


def load_again(item: CodeSource, sources: Sources) -> CodeFile | None:
    """Return a code's validated source, reading it now if the index told what it holds.

    Return None, its errors added to item's, if it cannot be read any more.
    """
    if item.source is None and sources.publication is not None:
        item.source, errors = load_code(item.file, sources.shown_path, sources.publication.model)
        item.errors += errors  # such as a source removed since it was hashed
    return item.source
