"""The files of a release, written from validated sources and a snapshot.

`release` writes them once; `verify` writes them again from the sources a release's
PDFs embed and compares: the same sources, snapshot, variant, signer and warnings give
the same bytes.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
from collections.abc import Callable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from report.assemble import publication_info
from report.build import BuildOptions, build
from report.build.context import Pause, no_pause
from report.errors import SourceError
from report.inputs import ENGINE_PACKAGES
from report.outputs import OutputFile, atomic_write, manifest_bytes
from report.progress import Progress
from report.release.changes import changes_markdown
from report.release.manifest import MANIFEST_NAME
from report.release.model import SITE_FOLDER, SUMS_NAME
from report.release.recorded import Recorded
from report.release.site import release_site
from report.release.snapshot import SNAPSHOT_NAME, Snapshot
from report.sources import load_publication
from report.sources.indices import indices_files
from report.stamp import INDICES_FOLDER, PUBLICATION_SOURCE, EmbeddedSource, Release

CHANGES_NAME = "CHANGES.md"

Log = Callable[[str], None]


def source_files(folder: Path) -> tuple[EmbeddedSource, ...]:
    """Return publication.yaml, every codes/*.yaml and gpci/*.yaml of a sources folder."""
    files = [EmbeddedSource(PUBLICATION_SOURCE, (folder / PUBLICATION_SOURCE).read_bytes())]
    files += [
        EmbeddedSource(f"codes/{file.name}", file.read_bytes())
        for file in sorted((folder / "codes").glob("*.yaml"))
    ]
    files += [
        EmbeddedSource(f"{INDICES_FOLDER}/{file.name}", file.read_bytes())
        for file in indices_files(folder)
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
    warnings: Sequence[Recorded] = (),
) -> list[OutputFile]:
    """Write a release's files into out from validated sources and its snapshot.

    The same sources, snapshot, variant and signer give the same bytes: `verify` calls
    this again on the sources a release embeds and compares. pause is told the build's
    points (report/build/context.py); warnings are recorded in CHANGES.md and the manifest.
    """
    embedded = source_files(sources)
    release = Release(
        snapshot.version, snapshot.previous, snapshot.history, embedded, snapshot.date
    )
    work = out / ".build"
    options = BuildOptions(
        formats=("pdf", "site"),
        variant=variant,
        jobs=jobs,
        force=True,
        timeout=timeout,
        release=release,
        pause=pause,
    )
    result = build(sources, work, options, shown_path=shown_path, log=log, progress=progress)
    if result.errors:
        raise SourceError(result.errors)
    files = []
    for file in result.files:
        (out / file.path).parent.mkdir(parents=True, exist_ok=True)
        os.replace(work / file.path, out / file.path)
        files.append(file)
    shutil.rmtree(work)
    publication, _ = load_publication(sources, shown_path)
    assert publication is not None  # validated before
    changes = changes_markdown(snapshot, warnings)
    pages = release_site(publication_info(publication, release), snapshot, changes)
    for name, kind, data in (
        (CHANGES_NAME, "changes", changes.encode()),
        (SNAPSHOT_NAME, "snapshot", snapshot.dumps()),
        *((path, "site", page) for path, page in pages.items()),
    ):
        atomic_write(out / name, data)
        files.append(
            OutputFile(name, kind, None, None, len(data), hashlib.sha256(data).hexdigest())
        )
    extra: dict[str, Any] = {
        "version": snapshot.version,
        "date": snapshot.date.isoformat() if snapshot.date else None,
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
        "warnings": [warning.json() for warning in warnings],
    }
    atomic_write(out / MANIFEST_NAME, manifest_bytes(publication_info(publication), files, extra))
    write_sums(out)
    return files


def write_sums(folder: Path) -> None:
    """Write SHA256SUMS for every file in folder, in the form `sha256sum -c` reads.

    The files of the web edition are listed by their paths in site/.
    """
    files = [
        path
        for path in folder.iterdir()
        if path.is_file() and path.name != SUMS_NAME and not path.name.startswith(".")
    ]
    site = folder / SITE_FOLDER
    if site.is_dir():
        files += [path for path in site.rglob("*") if path.is_file()]
    lines = [
        f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(folder).as_posix()}\n"
        for path in sorted(files, key=lambda path: path.relative_to(folder).as_posix())
    ]
    atomic_write(folder / SUMS_NAME, "".join(lines).encode("ascii"))
