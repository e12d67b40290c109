"""Remember what each output was built from, so a rebuild renders only what changed.

The index lives in the output folder (`.build-index.json`). For each output it records
the key of the inputs it was made from (report/inputs.py) and what the file was when
written: size, hash, pages and modification time. For each source it records its size,
modification time and hash, and what checking it found (its errors, its report's
heading), so that a source whose size and modification time are unchanged is not read
again. After a build of all reports that left everything up to date, it also records
what that build was (Settled), so that the next one can tell it has nothing to do without
loading the sources (report/build/quick.py).
"""

from __future__ import annotations

import json
import os
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from report.errors import Finding, Location
from report.files import open_regular
from report.inputs import sha256

INDEX_NAME = ".build-index.json"
INDEX_VERSION = 3  # 3: an output's size is "size", as a source's is


@dataclass
class SourceEntry:
    """What the index knows of one source file."""

    size: int
    mtime_ns: int
    sha256: str
    errors: list[list[Any]] = field(default_factory=list)  # [path, line, column, message]
    heading: str | None = None  # the report heading, for valid code sources

    def findings(self) -> list[Finding]:
        """Return the stored errors as findings."""
        return [Finding(Location(p, line, col), msg) for p, line, col, msg in self.errors]


@dataclass
class OutputEntry:
    """One output file as last written: its inputs' key, size, hash, pages and time.

    The modification time tells a file replaced since, by a build that stopped before
    saving the index, even at the same size.
    """

    key: str
    size: int
    sha256: str
    pages: int | None = None
    mtime_ns: int = 0

    @classmethod
    def of(cls, path: Path, data: bytes, key: str, pages: int | None) -> OutputEntry:
        """Describe the output just written to path with data."""
        return cls(key, len(data), sha256(data), pages, path.stat().st_mtime_ns)


@dataclass
class Settled:
    """What a build of all reports, without errors, left up to date, and from what.

    Another build with the same builder, options and sources has nothing to do while every
    output listed, and the manifest, are as written.
    """

    builder: str  # report.inputs.builder_fingerprint()
    folder: str  # the sources folder, resolved
    shown_path: str  # the sources folder as messages (and the index's keys) name it
    formats: list[str]  # sorted
    variant: str
    publication: str  # SHA-256 of publication.yaml
    indices: str  # files_digest of the bytes of gpci/*.yaml, the indices reports use
    sources: dict[str, list[int]]  # each code source, by shown path: [size, mtime_ns]
    outputs: list[str]  # every output the build holds, within the output folder
    manifest: str  # SHA-256 of manifest.json
    reports: int  # the reports up to date

    def well_formed(self) -> bool:
        """Return whether every field holds what it is declared to (a record read back)."""
        texts = [self.builder, self.folder, self.shown_path, self.variant, self.publication]
        texts.append(self.indices)
        texts += [self.manifest, *self.formats, *self.outputs, *self.sources]
        stats = list(self.sources.values())
        return (
            all(isinstance(text, str) for text in texts)
            and isinstance(self.formats, list)
            and isinstance(self.outputs, list)
            and all(isinstance(s, list) and [type(n) for n in s] == [int, int] for s in stats)
            and type(self.reports) is int
        )


@dataclass
class BuildIndex:
    """The index of one output folder."""

    sources: dict[str, SourceEntry] = field(default_factory=dict)
    outputs: dict[str, OutputEntry] = field(default_factory=dict)
    settled: Settled | None = None  # set by a build of all reports that left all up to date

    @classmethod
    def load(cls, out: Path) -> BuildIndex:
        """Read the index of an output folder; an unreadable or old one counts as empty."""
        try:
            raw = json.loads((out / INDEX_NAME).read_text(encoding="utf-8"))
            if raw.get("version") != INDEX_VERSION:
                return cls()
            index = cls(
                {k: SourceEntry(**v) for k, v in raw["sources"].items()},
                {k: OutputEntry(**v) for k, v in raw["outputs"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()
        with suppress(KeyError, TypeError, AttributeError):  # a record it cannot read: none
            settled = Settled(**raw["settled"])
            index.settled = settled if settled.well_formed() else None
        return index

    def dumps(self) -> bytes:
        """Return the index as JSON bytes."""
        raw = {
            "version": INDEX_VERSION,
            "sources": {k: asdict(v) for k, v in sorted(self.sources.items())},
            "outputs": {k: asdict(v) for k, v in sorted(self.outputs.items())},
            "settled": asdict(self.settled) if self.settled is not None else None,
        }
        return json.dumps(raw, separators=(",", ":")).encode("utf-8")

    def source_hash(self, shown_path: str, path: Path) -> tuple[str, bool, os.stat_result]:
        """Return a source's hash, whether it changed and its stat.

        The file is read only if its stat changed; raise OSError when it cannot be read or
        is not a regular file.
        """
        with os.fdopen(open_regular(path), "rb") as handle:
            stat = os.fstat(handle.fileno())
            entry = self.sources.get(shown_path)
            if entry and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
                return entry.sha256, False, stat
            digest = sha256(handle.read())
        changed = entry is None or entry.sha256 != digest
        if entry and not changed:
            entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns
        return digest, changed, stat

    def on_disk(self, out: Path) -> dict[str, OutputEntry]:
        """Return the entries of the outputs still on disk as they were written."""
        present = {}
        for relative, entry in self.outputs.items():
            try:
                stat = (out / relative).stat()
            except OSError:
                continue
            if stat.st_size == entry.size and stat.st_mtime_ns == entry.mtime_ns:
                present[relative] = entry
        return present
