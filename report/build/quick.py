"""Prove that a build of all reports has nothing to do, without loading the report model.

A build that left every output up to date records in the index what it was built from
(Settled). A later build of all reports, with no code named, not forced and with the same
options, has nothing to do when the builder is the same (its fingerprint), as are the
sources folder, the bytes of publication.yaml and of the indices (gpci/*.yaml), the set
of code sources and each one's size and modification time, and every output it listed
and manifest.json are on disk as written.
Then the sources are not validated, no key is computed and nothing is written. At any
doubt the answer is None, and the normal build runs (report/build/run.py), which decides
everything again: its correctness never depends on this check.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from report.build.index import INDEX_NAME, BuildIndex, Settled
from report.files import files_digest, read_regular
from report.inputs import builder_fingerprint, sha256
from report.lock import output_lock_if_free
from report.outputs import TEMP_SUFFIX

PUBLICATION_NAME = "publication.yaml"
INDICES_FOLDER = "gpci"  # the geographic practice cost indices, gpci/YEAR.yaml
MANIFEST_NAME = "manifest.json"
PDF_FORMATS = ("pdf", "site")  # the formats a build makes PDFs for (the site links to them)
READ_LIMIT = 256 * 1024 * 1024  # bytes read of publication.yaml or the manifest, at most


def code_files(folder: Path) -> list[Path]:
    """Return the code sources of folder, as the build finds them."""
    codes = folder / "codes"
    return sorted(codes.glob("*.yaml")) if codes.is_dir() else []


def indices_now(folder: Path) -> str:
    """Return the digest of the indices files of folder as they are on disk now."""
    found = folder / INDICES_FOLDER
    files = sorted(found.glob("*.yaml")) if found.is_dir() else []
    return files_digest([(file.name, read_regular(file, READ_LIMIT)[0]) for file in files])


def settled(
    folder: Path,
    shown_path: str,
    formats: Sequence[str],
    variant: str,
    publication: bytes,
    indices: str,
    sources: dict[str, list[int]],
    outputs: list[str],
    manifest: bytes,
    reports: int,
) -> Settled:
    """Describe a build that left everything up to date, for nothing_to_do to check."""
    return Settled(
        builder_fingerprint(),
        os.path.realpath(folder),
        shown_path,
        sorted(set(formats)),
        variant,
        sha256(publication),
        indices,
        sources,
        sorted(outputs),
        sha256(manifest),
        reports,
    )


def makes_pdf(formats: Sequence[str]) -> bool:
    """Return whether a build of formats makes PDFs: asked for, or the web edition's."""
    return any(kind in PDF_FORMATS for kind in formats)


def certain_to_render(
    out: Path, formats: Sequence[str], force: bool, scheduler: str | None
) -> bool:
    """Return whether a build will render in local workers, if its sources are valid.

    So it will when it makes PDFs here and is forced, or writes into a folder it has no
    index of: its workers' fork server may start before the build loads anything else.
    """
    fresh = force or not (out / INDEX_NAME).exists()
    return makes_pdf(formats) and scheduler is None and fresh


def nothing_to_do(
    folder: Path, shown_path: str, out: Path, formats: Sequence[str], variant: str
) -> int | None:
    """Return how many reports are up to date if a build of all has nothing to do, else None.

    The check holds out's build lock, if no one else does (else it is None).
    """
    with output_lock_if_free(out) as held:
        if not held:
            return None
        try:
            return _check(folder, shown_path, out, formats, variant)
        except (OSError, ValueError, TypeError, AttributeError, KeyError):  # an odd record
            return None


def _check(
    folder: Path, shown_path: str, out: Path, formats: Sequence[str], variant: str
) -> int | None:
    """Return the reports up to date if the recorded build still holds, else None."""
    index = BuildIndex.load(out)
    last = index.settled
    if last is None:
        return None
    same = (
        last.folder == os.path.realpath(folder)
        and last.shown_path == shown_path
        and last.formats == sorted(set(formats))
        and last.variant == variant
        and last.builder == builder_fingerprint()
        and last.publication == sha256(read_regular(folder / PUBLICATION_NAME, READ_LIMIT)[0])
        and last.indices == indices_now(folder)
        and _same_sources(folder, shown_path, last.sources)
        and _same_outputs(out, index, last)
    )
    return last.reports if same else None


def _same_sources(folder: Path, shown_path: str, recorded: dict[str, list[int]]) -> bool:
    """Return whether the code sources are those recorded, each at its size and time."""
    files = code_files(folder)
    if len(files) != len(recorded):
        return False
    for file in files:
        entry = recorded.get(os.path.join(shown_path, "codes", file.name))
        found = os.stat(file)
        if entry is None or not stat.S_ISREG(found.st_mode):
            return False
        if [found.st_size, found.st_mtime_ns] != entry:
            return False
    return True


def _same_outputs(out: Path, index: BuildIndex, last: Settled) -> bool:
    """Return whether every output and the manifest are as written, with no temporary left.

    An interrupted build's temporaries are for the normal build to remove.
    """
    present = index.on_disk(out)
    if any(path not in present for path in last.outputs):
        return False
    if sha256(read_regular(out / MANIFEST_NAME, READ_LIMIT)[0]) != last.manifest:
        return False
    return not any(out.rglob(f".*{TEMP_SUFFIX}"))
