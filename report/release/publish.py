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
from typing import TYPE_CHECKING, Any

from report.assemble import publication_info
from report.build import BuildOptions, build
from report.build.context import Pause, no_pause
from report.errors import Finding, SourceError, UsageError, WriteError
from report.files import open_regular
from report.inputs import ENGINE_PACKAGES
from report.lock import release_lock
from report.outputs import OutputFile, atomic_write, manifest_bytes
from report.progress import Progress
from report.release.changes import changes_markdown, next_snapshot
from report.release.manifest import MANIFEST_NAME
from report.release.model import SUMS_NAME
from report.release.snapshot import (
    SNAPSHOT_NAME,
    Snapshot,
    earlier_releases,
    normalise,
    read_snapshot,
)
from report.release.version import parse_version
from report.render import DEFAULT_PDF_VARIANT
from report.sources import load_publication, load_sources
from report.sources.yaml import unreadable
from report.stamp import PUBLICATION_SOURCE, EmbeddedSource, Release
from report.workers import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from report.release.sign import SigningKey

CHANGES_NAME = "CHANGES.md"

Log = Callable[[str], None]


@dataclass(frozen=True)
class ReleaseOptions:
    """How to build a release: PDF variant, workers, and the signing key if any."""

    variant: str = DEFAULT_PDF_VARIANT
    jobs: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    key: Path | None = None
    passphrase: str | None = None
    pause: Pause = no_pause  # the build's pause points, for tests (report/cli.py)


@dataclass
class ReleaseResult:
    """What a release wrote."""

    folder: Path
    snapshot: Snapshot
    files: list[OutputFile]
    signer: str | None = None


def make_release(
    sources: Path,
    version_text: str,
    root: Path,
    options: ReleaseOptions = ReleaseOptions(),
    shown_sources: str | None = None,
    shown_root: str | None = None,
    log: Log = print,
    progress: Progress | None = None,
) -> ReleaseResult:
    """Build release version_text of the sources into root/VERSION, whole or not at all.

    Releases into one root are made one at a time: each holds root's release lock from
    before it reads the earlier releases until its folder is in place, so that a release
    started meanwhile waits, then compares itself with this one.
    """
    shown_sources = str(sources) if shown_sources is None else shown_sources
    shown_root = str(root) if shown_root is None else shown_root
    version = parse_version(version_text)
    target = root / version.text
    shown_target = os.path.join(shown_root, version.text)
    _refuse_existing(target, shown_target, version.text)
    if not sources.is_dir():
        raise UsageError(f"{shown_sources}: the sources folder does not exist")
    key = None
    if options.key is not None:
        from report.release.sign import load_key  # pyHanko: only when signing

        key = load_key(options.key, options.passphrase)
    created_root = not root.exists()
    with release_lock(root, log) as held:  # the lock file goes when the release is done
        try:
            _refuse_existing(target, shown_target, version.text)  # made while we waited
            earlier = earlier_releases(root, version)
            previous = None
            if earlier:
                other, folder = earlier[-1]
                previous = read_snapshot(folder, os.path.join(shown_root, other.text))
            snapshot, files = _write_release(
                sources,
                version.text,
                root,
                target,
                previous,
                key,
                options,
                shown_sources,
                shown_target,
                log,
                progress,
            )
        finally:
            held.discard(folder=created_root)  # the folder only if the release failed
    return ReleaseResult(target, snapshot, files, key.subject if key else None)


def _refuse_existing(target: Path, shown_target: str, version: str) -> None:
    """Refuse a version whose folder exists: a release is never rebuilt in place."""
    if os.path.lexists(target):
        raise UsageError(
            f"{shown_target}: release {version} already exists; a release is "
            "never rebuilt in place: choose a new version"
        )


def _write_release(
    sources: Path,
    version: str,
    root: Path,
    target: Path,
    previous: Snapshot | None,
    key: SigningKey | None,
    options: ReleaseOptions,
    shown_sources: str,
    shown_target: str,
    log: Log,
    progress: Progress | None,
) -> tuple[Snapshot, list[OutputFile]]:
    """Write the release in a hidden folder in root, then rename it to target."""
    try:
        work = Path(tempfile.mkdtemp(prefix=f".{version}.", suffix=".partial", dir=root))
    except OSError as exc:
        raise WriteError.of(shown_target, exc) from exc
    try:
        frozen, unread = _copy_sources(sources, work / ".sources", shown_sources)
        loaded = load_sources(frozen, shown_sources)
        skipped = {f.location.path for f in unread}
        errors = [f for f in loaded.errors if f.location.path not in skipped] + unread
        if errors:
            raise SourceError(errors)
        publication, codes = normalise(loaded)
        snapshot = next_snapshot(previous, version, publication, codes)
        signing = key.manifest_entry() if key is not None else None
        files = render_release(
            frozen,
            work,
            snapshot,
            options.variant,
            signing,
            options.jobs,
            options.timeout,
            shown_sources,
            log,
            progress,
            options.pause,
        )
        shutil.rmtree(frozen)
        if key is not None:
            from report.release.sign import sign_pdf

            for file in files:
                if file.path.endswith(".pdf"):
                    path = work / file.path
                    atomic_write(path, sign_pdf(path.read_bytes(), key, version))
            write_sums(work)
        os.chmod(work, 0o755)
        try:
            os.rename(work, target)  # refuses a non-empty target: a release made meanwhile
        except OSError as exc:
            raise UsageError(
                f"{shown_target}: cannot put the release in place: {exc.strerror}"
            ) from exc
    except WriteError as exc:
        shutil.rmtree(work, ignore_errors=True)
        raise _in_target(exc, work, shown_target) from exc
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return snapshot, files


def _in_target(exc: WriteError, work: Path, shown_target: str) -> WriteError:
    """Name a file the hidden folder could not take as it is named once in place."""
    try:
        parts = Path(exc.path).relative_to(work).parts
    except ValueError:
        return exc
    if parts[:1] == (".build",):  # where the build writes before its files are moved up
        parts = parts[1:]
    elif parts[:1] == (".sources",):  # the copy of the sources
        parts = ()
    return WriteError(os.path.join(shown_target, *parts), exc.reason)


def _copy_sources(sources: Path, target: Path, shown_path: str) -> tuple[Path, list[Finding]]:
    """Copy publication.yaml and codes/*.yaml aside; return the copy's folder and errors.

    A source that cannot be read (or is not a regular file) is left out, with its error.
    """
    try:
        (target / "codes").mkdir(parents=True)
    except OSError as exc:
        raise WriteError.of(target / "codes", exc) from exc
    names = [PUBLICATION_SOURCE] if os.path.lexists(sources / PUBLICATION_SOURCE) else []
    if (sources / "codes").is_dir():
        names += [f"codes/{file.name}" for file in sorted((sources / "codes").glob("*.yaml"))]
    unread: list[Finding] = []
    for name in names:
        try:
            fd = open_regular(sources / name)
        except OSError as exc:
            unread += unreadable(os.path.join(shown_path, name), exc).findings
            continue
        with os.fdopen(fd, "rb") as source:
            try:
                with (target / name).open("wb") as copy:
                    shutil.copyfileobj(source, copy)
            except OSError as exc:
                raise WriteError.of(target / name, exc) from exc
    return target, unread


def source_files(folder: Path) -> tuple[EmbeddedSource, ...]:
    """Return publication.yaml and every codes/*.yaml of a sources folder, in that order."""
    files = [EmbeddedSource(PUBLICATION_SOURCE, (folder / PUBLICATION_SOURCE).read_bytes())]
    files += [
        EmbeddedSource(f"codes/{file.name}", file.read_bytes())
        for file in sorted((folder / "codes").glob("*.yaml"))
    ]
    return tuple(files)


def engine_versions() -> dict[str, str]:
    """Return the versions of what shapes the output besides the builder: Python, libraries."""
    import pikepdf

    versions = {"python": platform.python_version()}
    versions.update({name: metadata.version(name) for name in ENGINE_PACKAGES})
    versions["qpdf"] = pikepdf.__libqpdf_version__
    return versions


def render_release(
    sources: Path,
    out: Path,
    snapshot: Snapshot,
    variant: str,
    signing: dict[str, str] | None,
    jobs: int | None,
    timeout: float,
    shown_path: str,
    log: Log,
    progress: Progress | None = None,
    pause: Pause = no_pause,
) -> list[OutputFile]:
    """Write a release's files into out from validated sources and its snapshot.

    The same sources, snapshot, variant and signer give the same bytes: `verify` calls
    this again on the sources a release embeds and compares. pause is told the build's
    points (report/build/context.py).
    """
    embedded = source_files(sources)
    release = Release(snapshot.version, snapshot.previous, snapshot.history, embedded)
    work = out / ".build"
    options = BuildOptions(
        variant=variant, jobs=jobs, force=True, timeout=timeout, release=release, pause=pause
    )
    result = build(sources, work, options, shown_path=shown_path, log=log, progress=progress)
    if result.errors:
        raise SourceError(result.errors)
    files = []
    for file in result.files:
        os.replace(work / file.path, out / file.path)
        files.append(file)
    shutil.rmtree(work)
    for name, kind, data in (
        (CHANGES_NAME, "changes", changes_markdown(snapshot).encode()),
        (SNAPSHOT_NAME, "snapshot", snapshot.dumps()),
    ):
        atomic_write(out / name, data)
        files.append(
            OutputFile(name, kind, None, None, len(data), hashlib.sha256(data).hexdigest())
        )
    publication, _ = load_publication(sources, shown_path)
    assert publication is not None  # validated before
    extra: dict[str, Any] = {
        "version": snapshot.version,
        "previous": snapshot.previous,
        "pdf_variant": variant,
        "engine": engine_versions(),
        "sources": [
            {
                "path": source.path,
                "bytes": len(source.data),
                "sha256": hashlib.sha256(source.data).hexdigest(),
            }
            for source in embedded
        ],
        "signing": signing,
    }
    atomic_write(out / MANIFEST_NAME, manifest_bytes(publication_info(publication), files, extra))
    write_sums(out)
    return files


def write_sums(folder: Path) -> None:
    """Write SHA256SUMS for every file in folder, in the form `sha256sum -c` reads."""
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n"
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != SUMS_NAME and not path.name.startswith(".")
    ]
    atomic_write(folder / SUMS_NAME, "".join(lines).encode("ascii"))
