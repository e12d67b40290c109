"""`release VERSION`: a versioned, reproducible release written to releases/VERSION/.

A malformed or existing version is refused before anything is written. The sources are
copied aside first, so that every step reads the same bytes; then they are validated,
compared with the latest earlier release's snapshot, and built with the version, the
revision history and the embedded sources. CHANGES.md, snapshot.json, manifest.json and
SHA256SUMS follow; the PDFs are signed when asked. All of it is written in a hidden
folder beside the target (`.VERSION.*.partial`), renamed into place at the end: an
interrupted release leaves no release folder, only that hidden one.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from report.assemble import publication_info
from report.errors import SourceError, UsageError
from report.outputs import OutputFile, atomic_write, manifest_bytes
from report.pipeline import BuildOptions, build
from report.progress import Progress
from report.release.changes import changes_markdown, next_snapshot
from report.release.manifest import MANIFEST_NAME
from report.release.model import PUBLICATION_SOURCE, EmbeddedSource, Release
from report.release.snapshot import (
    SNAPSHOT_NAME,
    Snapshot,
    earlier_releases,
    normalise,
    read_snapshot,
)
from report.release.sums import SUMS_NAME
from report.release.version import parse_version
from report.render import DEFAULT_PDF_VARIANT
from report.sources import load_publication, load_sources
from report.workers import DEFAULT_TIMEOUT

CHANGES_NAME = "CHANGES.md"
ENGINE_PACKAGES = ("weasyprint", "pydyf", "pikepdf", "fonttools", "jinja2", "markdown-it-py")

Log = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseOptions:
    """How to build a release: PDF variant, workers, and the signing key if any."""

    variant: str = DEFAULT_PDF_VARIANT
    jobs: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    key: Path | None = None
    passphrase: str | None = None


@dataclass
class ReleaseResult:
    """What a release wrote."""

    folder: Path
    snapshot: Snapshot
    files: list[OutputFile]
    signer: str | None = None


def make_release(sources: Path, version_text: str, root: Path,
                 options: ReleaseOptions = ReleaseOptions(), shown_sources: str | None = None,
                 shown_root: str | None = None, log: Log = print,
                 progress: Progress | None = None) -> ReleaseResult:
    """Build release version_text of the sources into root/VERSION, whole or not at all."""
    shown_sources = str(sources) if shown_sources is None else shown_sources
    shown_root = str(root) if shown_root is None else shown_root
    version = parse_version(version_text)
    target = root / version.text
    shown_target = os.path.join(shown_root, version.text)
    if target.exists():
        raise UsageError(f"{shown_target}: release {version} already exists; a release is "
                         "never rebuilt in place: choose a new version")
    if not sources.is_dir():
        raise UsageError(f"{shown_sources}: the sources folder does not exist")
    key = None
    if options.key is not None:
        from report.release.sign import load_key  # pyHanko: only when signing

        key = load_key(options.key, options.passphrase)
    earlier = earlier_releases(root, version)
    previous = None
    if earlier:
        other, folder = earlier[-1]
        previous = read_snapshot(folder, os.path.join(shown_root, other.text))
    created_root = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=root))
    try:
        frozen = _copy_sources(sources, work / ".sources")
        loaded = load_sources(frozen, shown_sources)
        if loaded.errors:
            raise SourceError(loaded.errors)
        publication, codes = normalise(loaded)
        snapshot = next_snapshot(previous, version.text, publication, codes)
        signing = key.manifest_entry() if key is not None else None
        files = render_release(frozen, work, snapshot, options.variant, signing, options.jobs,
                               options.timeout, shown_sources, log, progress)
        shutil.rmtree(frozen)
        if key is not None:
            from report.release.sign import sign_pdf

            for file in files:
                if file.path.endswith(".pdf"):
                    path = work / file.path
                    atomic_write(path, sign_pdf(path.read_bytes(), key, version.text))
            write_sums(work)
        os.chmod(work, 0o755)
        try:
            os.rename(work, target)  # refuses a non-empty target: a release made meanwhile
        except OSError as exc:
            raise UsageError(f"{shown_target}: cannot put the release in place: "
                             f"{exc.strerror}") from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        if created_root and not any(root.iterdir()):
            root.rmdir()
        raise
    return ReleaseResult(target, snapshot, files, key.subject if key else None)


def _copy_sources(sources: Path, target: Path) -> Path:
    """Copy publication.yaml and codes/*.yaml aside; return the copy's folder."""
    (target / "codes").mkdir(parents=True)
    if (sources / PUBLICATION_SOURCE).is_file():
        shutil.copyfile(sources / PUBLICATION_SOURCE, target / PUBLICATION_SOURCE)
    if (sources / "codes").is_dir():
        for file in sorted((sources / "codes").glob("*.yaml")):
            shutil.copyfile(file, target / "codes" / file.name)
    return target


def source_files(folder: Path) -> tuple[EmbeddedSource, ...]:
    """Return publication.yaml and every codes/*.yaml of a sources folder, in that order."""
    files = [EmbeddedSource(PUBLICATION_SOURCE, (folder / PUBLICATION_SOURCE).read_bytes())]
    files += [EmbeddedSource(f"codes/{file.name}", file.read_bytes())
              for file in sorted((folder / "codes").glob("*.yaml"))]
    return tuple(files)


def engine_versions() -> dict[str, str]:
    """Return the versions of what shapes the output besides the builder: Python, libraries."""
    import pikepdf

    versions = {"python": platform.python_version()}
    versions.update({name: metadata.version(name) for name in ENGINE_PACKAGES})
    versions["qpdf"] = pikepdf.__libqpdf_version__
    return versions


def render_release(sources: Path, out: Path, snapshot: Snapshot, variant: str,
                   signing: dict[str, str] | None, jobs: int | None, timeout: float,
                   shown: str, log: Log, progress: Progress | None = None) -> list[OutputFile]:
    """Write a release's files into out from validated sources and its snapshot.

    The same sources, snapshot, variant and signer give the same bytes: `verify` calls
    this again on the sources a release embeds and compares.
    """
    embedded = source_files(sources)
    release = Release(snapshot.version, snapshot.previous, snapshot.history, embedded)
    work = out / ".build"
    options = BuildOptions(variant=variant, jobs=jobs, force=True, timeout=timeout,
                           release=release)
    result = build(sources, work, options, shown=shown, log=log, progress=progress)
    if result.errors:
        raise SourceError(result.errors)
    files = []
    for file in result.files:
        os.replace(work / file.path, out / file.path)
        files.append(file)
    shutil.rmtree(work)
    for name, kind, data in ((CHANGES_NAME, "changes", changes_markdown(snapshot).encode()),
                             (SNAPSHOT_NAME, "snapshot", snapshot.dumps())):
        atomic_write(out / name, data)
        files.append(OutputFile(name, kind, None, None, len(data),
                                hashlib.sha256(data).hexdigest()))
    publication, _ = load_publication(sources, shown)
    assert publication is not None  # validated before
    extra: dict[str, Any] = {
        "version": snapshot.version,
        "previous": snapshot.previous,
        "pdf_variant": variant,
        "engine": engine_versions(),
        "sources": [{"path": source.path, "bytes": len(source.data),
                     "sha256": hashlib.sha256(source.data).hexdigest()} for source in embedded],
        "signing": signing,
    }
    atomic_write(out / MANIFEST_NAME, manifest_bytes(publication_info(publication), files, extra))
    write_sums(out)
    return files


def write_sums(folder: Path) -> None:
    """Write SHA256SUMS for every file in folder, in the form `sha256sum -c` reads."""
    lines = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name != SUMS_NAME and not path.name.startswith("."):
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    atomic_write(folder / SUMS_NAME, "".join(lines).encode("ascii"))

