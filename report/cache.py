"""Remember what each output was built from, so a rebuild renders only what changed.

The index lives in the output folder (``.build-index.json``). A report's key hashes
everything that shapes it: its source, the publication file, the templates, styles and
fonts, the builder's and engine's versions and the build options. A source whose size
and modification time are unchanged is not read again: its hash, its errors and its
report's heading come from the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from report import __version__
from report.errors import Finding, Location
from report.files import open_regular

INDEX_NAME = ".build-index.json"
INDEX_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parent
SHAPING_DIRS = (PACKAGE_DIR / "templates", PACKAGE_DIR.parent / "styles")
SHAPING_MODULES = ("assemble.py", "markdown.py", "render", "sources")
# Files there that shape no build output: the preview's (report/serve) and `new`'s.
NOT_SHAPING = (
    "screen.css",
    "preview.html.j2",
    "preview-page.html.j2",
    "preview-parts.html.j2",
    "code.yaml.j2",
)


def sha256(data: bytes) -> str:
    """Return the hex SHA-256 of data."""
    return hashlib.sha256(data).hexdigest()


@cache
def environment_hash() -> str:
    """Hash everything besides the sources that shapes output: code, templates, styles, fonts."""
    digest = hashlib.sha256()
    for name in ("weasyprint", "pikepdf", "pydyf", "markdown-it-py", "jinja2"):
        digest.update(f"{name}={metadata.version(name)}\n".encode())
    digest.update(f"report={__version__}\n".encode())
    roots = [*SHAPING_DIRS, *(PACKAGE_DIR / m for m in SHAPING_MODULES)]
    files = sorted(
        p
        for root in roots
        for p in ([root] if root.is_file() else root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts and p.name not in NOT_SHAPING
    )
    for path in files:
        digest.update(f"{path.relative_to(PACKAGE_DIR.parent)}\n".encode())
        digest.update(sha256(path.read_bytes()).encode())
    return digest.hexdigest()


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
    """One output file as last written: its key, size, hash, page count and modification
    time (a file replaced since, by a build that stopped before saving the index, differs
    in it even at the same size)."""

    key: str
    bytes: int
    sha256: str
    pages: int | None = None
    mtime_ns: int = 0

    @classmethod
    def of(cls, path: Path, data: bytes, key: str, pages: int | None) -> OutputEntry:
        """Describe the output just written to path with data."""
        return cls(key, len(data), sha256(data), pages, path.stat().st_mtime_ns)


@dataclass
class BuildIndex:
    """The index of one output folder."""

    environment: str = ""
    sources: dict[str, SourceEntry] = field(default_factory=dict)
    outputs: dict[str, OutputEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, out: Path) -> BuildIndex:
        """Read the index of an output folder; an unreadable or old one counts as empty."""
        try:
            raw = json.loads((out / INDEX_NAME).read_text(encoding="utf-8"))
            if raw.get("version") != INDEX_VERSION:
                return cls()
            return cls(
                raw["environment"],
                {k: SourceEntry(**v) for k, v in raw["sources"].items()},
                {k: OutputEntry(**v) for k, v in raw["outputs"].items()},
            )
        except (OSError, ValueError, KeyError, TypeError):
            return cls()

    def dumps(self) -> bytes:
        """Return the index as JSON bytes."""
        raw = {
            "version": INDEX_VERSION,
            "environment": self.environment,
            "sources": {k: asdict(v) for k, v in sorted(self.sources.items())},
            "outputs": {k: asdict(v) for k, v in sorted(self.outputs.items())},
        }
        return json.dumps(raw, separators=(",", ":")).encode("utf-8")

    def source_hash(self, shown: str, path: Path) -> tuple[str, bool, os.stat_result]:
        """Return a source's hash, whether it changed and its stat, reading it only if its
        stat did; raise OSError when it cannot be read or is not a regular file."""
        with os.fdopen(open_regular(path), "rb") as handle:
            stat = os.fstat(handle.fileno())
            entry = self.sources.get(shown)
            if entry and entry.size == stat.st_size and entry.mtime_ns == stat.st_mtime_ns:
                return entry.sha256, False, stat
            digest = sha256(handle.read())
        changed = entry is None or entry.sha256 != digest
        if entry and not changed:
            entry.size, entry.mtime_ns = stat.st_size, stat.st_mtime_ns
        return digest, changed, stat

    def fresh(self, out: Path, relative: str, key: str) -> OutputEntry | None:
        """Return the entry of an output that was built with key and is still on disk whole."""
        entry = self.outputs.get(relative)
        if entry is None or entry.key != key:
            return None
        try:
            stat = (out / relative).stat()
        except OSError:
            return None
        if stat.st_size != entry.bytes or stat.st_mtime_ns != entry.mtime_ns:
            return None
        return entry


def key_of(*parts: str) -> str:
    """Combine hashes and options into one key."""
    return sha256("\n".join(parts).encode("utf-8"))
