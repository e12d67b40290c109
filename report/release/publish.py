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

import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from report.build.context import Pause, no_pause
from report.errors import Finding, SourceError, UsageError, WriteError
from report.files import open_regular
from report.lock import release_lock
from report.outputs import OutputFile, atomic_write
from report.progress import Progress
from report.release.changes import next_snapshot
from report.release.contents import render_release, write_sums
from report.release.gate import Gate, Previous, gate_release
from report.release.model import SITE_FOLDER
from report.release.snapshot import (
    Snapshot,
    earlier_releases,
    normalise,
    read_snapshot,
)
from report.release.version import parse_version
from report.render import DEFAULT_PDF_VARIANT
from report.sources import load_publication, load_sources
from report.sources.indices import indices_files
from report.sources.yaml import unreadable
from report.stamp import INDICES_FOLDER, PUBLICATION_SOURCE
from report.workers import DEFAULT_TIMEOUT

if TYPE_CHECKING:
    from report.release.sign import SigningKey

CHANGES_NAME = "CHANGES.md"
DEFAULT_RELEASES = "releases"  # beside the sources folder, unless publication.yaml says

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
    date: dt.date | None = None  # the release's date; None: today (UTC)
    strict: bool = False  # refuse every warning
    allow_unchanged: bool = False  # release even when nothing changed since the previous


@dataclass
class ReleaseResult:
    """What a release wrote."""

    folder: Path
    snapshot: Snapshot
    files: list[OutputFile]
    signer: str | None = None
    gate: Gate | None = None
    shown_root: str = ""


def releases_root(sources: Path, shown_sources: str) -> tuple[Path, str]:
    """Return the folder of releases publication.yaml names (default releases), and as shown.

    It is relative to the sources folder's parent: sources/ and releases/ side by side.
    """
    if not sources.is_dir():
        raise UsageError(f"{shown_sources}: the sources folder does not exist")
    publication, findings = load_publication(sources, shown_sources)
    if publication is None:
        raise SourceError(findings)
    folder = publication.model.releases or DEFAULT_RELEASES
    parent = os.path.dirname(os.path.normpath(shown_sources))
    return sources.resolve().parent / folder, os.path.normpath(os.path.join(parent, folder))


def make_release(
    sources: Path,
    version_text: str,
    root: Path | None,
    options: ReleaseOptions = ReleaseOptions(),
    shown_sources: str | None = None,
    shown_root: str | None = None,
    log: Log = print,
    progress: Progress | None = None,
) -> ReleaseResult:
    """Build release version_text of the sources into root/VERSION, whole or not at all.

    Releases into one root are made one at a time: each holds root's release lock from
    before it reads the earlier releases until its folder is in place, so that a release
    started meanwhile waits, then compares itself with this one. root None: the folder
    publication.yaml names.
    """
    shown_sources = str(sources) if shown_sources is None else shown_sources
    if root is None:
        root, shown_root = releases_root(sources, shown_sources)
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
                shown_previous = os.path.join(shown_root, other.text)
                previous = Previous(read_snapshot(folder, shown_previous), folder, shown_previous)
            snapshot, files, gate = _write_release(
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
    if previous is None:
        log(
            f"first release in {shown_root}: no earlier release found there; "
            "the history starts here"
        )
    return ReleaseResult(target, snapshot, files, key.subject if key else None, gate, shown_root)


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
    previous: Previous | None,
    key: SigningKey | None,
    options: ReleaseOptions,
    shown_sources: str,
    shown_target: str,
    log: Log,
    progress: Progress | None,
) -> tuple[Snapshot, list[OutputFile], Gate]:
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
        gate = gate_release(
            loaded,
            version,
            previous,
            publication,
            codes,
            options.variant,
            options.strict,
            options.allow_unchanged,
            log,
        )
        date = options.date or dt.datetime.now(dt.UTC).date()
        snapshot = next_snapshot(
            previous.snapshot if previous else None, version, publication, codes, date
        )
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
            warnings=gate.recorded,
        )
        shutil.rmtree(frozen)
        if key is not None:
            from report.release.sign import sign_pdf

            signed = {}
            for file in files:
                if file.path.endswith(".pdf") and "/" not in file.path:
                    path = work / file.path
                    signed[file.path] = sign_pdf(path.read_bytes(), key, version)
                    atomic_write(path, signed[file.path])
            for file in files:  # the site's PDFs: the same bytes as the release's
                if file.path.startswith(f"{SITE_FOLDER}/pdf/"):
                    atomic_write(work / file.path, signed[file.path.rsplit("/", 1)[1]])
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
    return snapshot, files, gate


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
    """Copy publication.yaml, codes/*.yaml and gpci/*.yaml aside; return the copy and errors.

    A source that cannot be read (or is not a regular file) is left out, with its error.
    """
    for folder in ("codes", INDICES_FOLDER):
        try:
            (target / folder).mkdir(parents=True)
        except OSError as exc:
            raise WriteError.of(target / folder, exc) from exc
    names = [PUBLICATION_SOURCE] if os.path.lexists(sources / PUBLICATION_SOURCE) else []
    if (sources / "codes").is_dir():
        names += [f"codes/{file.name}" for file in sorted((sources / "codes").glob("*.yaml"))]
    names += [f"{INDICES_FOLDER}/{file.name}" for file in indices_files(sources)]
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
