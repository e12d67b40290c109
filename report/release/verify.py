"""`verify DIR`: check a release's SHA256SUMS, then rebuild it from its embedded sources.

The release folder is untrusted input (report/release/folder.py): every entry is looked
at, only regular files are read, and nothing is written but into a private temporary
folder, under names verify derives itself.

1. Every file is a regular file of sane size, listed in SHA256SUMS with its hash; every
   line of SHA256SUMS is well formed and names a file there, once.
2. manifest.json and snapshot.json are well formed and name the same version; with
   --trust, the manifest must name a signer.
3. The sources are taken from the PDFs themselves (their associated files with
   /AFRelationship /Source), each checked against the hash manifest.json records, and
   must be what snapshot.json holds, normalised.
4. The release is built again from those sources and its snapshot (for the revision
   history) into the temporary folder, with the version and PDF variant of the manifest,
   and every file is compared byte for byte. A signed PDF must begin with the rebuilt
   bytes, and its signature must be intact, cover the whole file, come from the
   certificate the manifest names and, with --trust, chain to the trusted certificate.

Steps 3 and 4 run only when the steps before them leave something sound to rebuild from.
Any file that fails is named, with why.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from report.errors import (
    Finding,
    LocatedError,
    ReleaseError,
    ReportError,
    UsageError,
    display_name,
)
from report.release.contents import Log, engine_versions, render_release
from report.release.embedded import EmbeddedSources, embedded_sources
from report.release.folder import BLOCK, ReleaseFolder
from report.release.gate import inspect
from report.release.jsondoc import key_path
from report.release.manifest import MANIFEST_NAME, Manifest, Signing, parse_manifest
from report.release.model import SITE_FOLDER, SUMS_NAME, is_source_path
from report.release.snapshot import SNAPSHOT_NAME, Normalised, Snapshot, normalise
from report.release.sums import check_sums
from report.sources import load_sources
from report.stamp import CODES_FOLDER, INDICES_FOLDER, PUBLICATION_SOURCE
from report.workers import DEFAULT_TIMEOUT, start_context

if TYPE_CHECKING:
    from asn1crypto.x509 import Certificate

T = TypeVar("T")


@dataclass
class Verification:
    """What verifying a release found: problems (each naming a file) and what was checked."""

    problems: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        """Record a problem with one file."""
        self.problems.append(Finding.at(path, message))


def verify_release(
    folder: Path,
    shown_path: str | None = None,
    trust: Path | None = None,
    jobs: int | None = None,
    log: Log = print,
) -> Verification:
    """Verify the release in folder; the result's problems are empty when all is as released."""
    shown_path = str(folder) if shown_path is None else shown_path
    with ReleaseFolder.open(folder, shown_path) as release:
        if SUMS_NAME not in release.present:
            raise UsageError(f"{shown_path}: not a release folder: it has no {SUMS_NAME}")
        trusted = None
        if trust is not None:
            from report.release.sign import load_trust

            trusted = load_trust(trust)
        result = Verification(list(release.problems))
        sums = check_sums(release)
        result.problems += sums.problems
        result.checked.append(sums.summary)
        manifest = _read(release, MANIFEST_NAME, parse_manifest, sums.listed, result)
        snapshot = _read(release, SNAPSHOT_NAME, Snapshot.loads, sums.listed, result)
        if (
            manifest is None
            or snapshot is None
            or not _agree(release, manifest, snapshot, trusted is not None, result)
        ):
            return result
        embedded = embedded_sources(release, manifest)
        result.problems += embedded.problems
        if embedded.sources is None:
            return result
        result.checked += [embedded.summary] if embedded.summary else []
        start_context()  # the renderer loads in the fork server while the sources are read
        with tempfile.TemporaryDirectory(prefix="report-verify-") as temp:
            rebuilt = _rebuild(release, Path(temp), manifest, snapshot, embedded, jobs, log, result)
            if rebuilt is not None:
                compare(release, rebuilt, sums.listed, manifest.signing, trusted, result)
        if result.problems and manifest.engine != engine_versions():
            result.checked.append(
                f"note: {shown_path} was built with "
                f"{display_name(_versions(manifest.engine))}; this machine "
                f"has {_versions(engine_versions())}"
            )
    return result


def _missing(release: ReleaseFolder, name: str, listed: set[str], result: Verification) -> bool:
    """Return whether a file every release has is missing; name it unless SHA256SUMS did."""
    if name in release.present:
        return False
    if name not in listed:
        result.fail(release.path(name), f"missing: a release has a {name}")
    return True


def _read(
    release: ReleaseFolder,
    name: str,
    parse: Callable[[bytes, str], T],
    listed: set[str],
    result: Verification,
) -> T | None:
    """Parse manifest.json or snapshot.json; None, with its problems recorded, if unusable."""
    if _missing(release, name, listed, result) or name not in release.sizes:
        return None  # not a regular file, or too large: the folder's listing said so
    try:
        return parse(release.read(name), release.path(name))
    except ReleaseError as exc:
        result.problems += exc.findings
        return None


def _agree(
    release: ReleaseFolder,
    manifest: Manifest,
    snapshot: Snapshot,
    trusted: bool,
    result: Verification,
) -> bool:
    """Check that the snapshot is of the manifest's version, and that --trust has a signer."""
    sound = True
    if snapshot.version != manifest.version:
        result.fail(
            release.path(SNAPSHOT_NAME),
            f'"version" is "{snapshot.version}", but {MANIFEST_NAME} says "{manifest.version}"',
        )
        sound = False
    if trusted and manifest.signing is None:
        result.fail(
            release.path(MANIFEST_NAME),
            '"signing" is null: the release is not '
            "signed, and --trust accepts only PDFs signed by the trusted certificate",
        )
        sound = False
    return sound


def _versions(engine: dict[str, str]) -> str:
    return (
        ", ".join(f"{name} {version}" for name, version in sorted(engine.items()))
        or "unrecorded versions"
    )


def _rebuild(
    release: ReleaseFolder,
    temp: Path,
    manifest: Manifest,
    snapshot: Snapshot,
    embedded: EmbeddedSources,
    jobs: int | None,
    log: Log,
    result: Verification,
) -> Path | None:
    """Write the embedded sources into temp and build the release again beside them."""
    assert embedded.sources is not None
    source_dir, out = temp / "sources", temp / "release"
    (source_dir / CODES_FOLDER).mkdir(parents=True)
    (source_dir / INDICES_FOLDER).mkdir()
    out.mkdir()
    for path, data in embedded.sources.items():
        assert is_source_path(path)  # derived by source_path(), never a PDF's own text
        with (source_dir / path).open("xb") as handle:
            handle.write(data)
    shown_sources = f"{release.shown_path}/<embedded>"
    loaded = load_sources(source_dir, shown_sources)
    if loaded.errors:
        result.problems += loaded.errors
        return None
    if not _snapshot_holds(release, snapshot, *normalise(loaded), result):
        return None
    log(f"rebuilding {release.shown_path} from the sources its PDFs embed")
    try:
        render_release(
            source_dir,
            out,
            snapshot,
            manifest.pdf_variant,
            manifest.signing.entry() if manifest.signing else None,
            jobs,
            DEFAULT_TIMEOUT,
            shown_sources,
            log,
            warnings=inspect(loaded).recorded,
        )
    except LocatedError as exc:
        result.problems += exc.findings
        return None
    except ReportError as exc:
        result.fail(release.shown_path, f"cannot be rebuilt: {exc}")
        return None
    return out


def _snapshot_holds(
    release: ReleaseFolder,
    snapshot: Snapshot,
    publication: Normalised,
    codes: dict[str, Normalised],
    result: Verification,
) -> bool:
    """Check that snapshot.json holds the embedded sources, normalised, and no other."""
    shown_snapshot, before = release.path(SNAPSHOT_NAME), len(result.problems)
    if snapshot.publication != publication:
        result.fail(
            shown_snapshot,
            f'"publication" is not the {PUBLICATION_SOURCE} the PDFs embed, normalised',
        )
    for code in sorted(set(snapshot.codes) | set(codes)):
        if code not in codes:
            result.fail(shown_snapshot, f"{key_path(('codes', code))} is a code no PDF embeds")
        elif code not in snapshot.codes:
            result.fail(shown_snapshot, f'"codes" lacks {code}, which the PDFs embed')
        elif snapshot.codes[code] != codes[code]:
            result.fail(
                shown_snapshot,
                f'"codes"["{code}"] is not the {CODES_FOLDER}/{code}.yaml '
                "the PDFs embed, normalised",
            )
    return len(result.problems) == before


def first_difference(left: BinaryIO, right: BinaryIO) -> int | None:
    """Return the offset of the first byte where two streams differ, or None if none does."""
    offset = 0
    while True:
        a, b = left.read(BLOCK), right.read(BLOCK)
        if a != b:
            shorter = min(len(a), len(b))
            return offset + next((i for i in range(shorter) if a[i] != b[i]), shorter)
        if not a:
            return None
        offset += len(a)


def compare(
    release: ReleaseFolder,
    rebuilt: Path,
    listed: set[str],
    signing: Signing | None,
    trust: Certificate | None,
    result: Verification,
) -> None:
    """Compare each file of the release with the rebuild; check signatures when signed.

    Files the folder's listing or SHA256SUMS already named (not regular, too large, not
    listed, listed but missing) are not named again.
    """
    rebuilt_names = {p.name for p in rebuilt.iterdir() if p.is_file() and p.name[0] != "."}
    if (rebuilt / SITE_FOLDER).is_dir():
        rebuilt_names |= {
            p.relative_to(rebuilt).as_posix()
            for p in (rebuilt / SITE_FOLDER).rglob("*")
            if p.is_file()
        }
    names = sorted((rebuilt_names | (listed & set(release.sizes))) - {SUMS_NAME})
    same = 0
    signers: set[str] = set()
    for name in names:
        path = release.path(name)
        if name not in release.present:
            if name not in listed:
                result.fail(path, "missing: the rebuild from the embedded sources has it")
            continue
        if name not in release.sizes:
            continue
        if name not in rebuilt_names:
            result.fail(path, "not part of the release: the rebuild has no such file")
            continue
        try:
            with release.open_file(name) as actual, (rebuilt / name).open("rb") as expected:
                offset = first_difference(actual, expected)
        except ReleaseError as exc:
            result.problems += exc.findings
            continue
        size, rebuilt_size = release.sizes[name], (rebuilt / name).stat().st_size
        signed = signing is not None and name.endswith(".pdf")
        if signed and offset is None:
            result.fail(path, f"not signed, but {MANIFEST_NAME} says the release is")
        elif signed and offset == rebuilt_size:
            assert signing is not None
            problems, signer = _check_signature(release, name, rebuilt_size, signing, trust)
            result.problems += problems
            signers.update([signer] if signer else [])
            same += not problems
        elif offset is not None:
            result.fail(
                path,
                "differs from the rebuild from the embedded sources (first "
                f"difference at byte {offset}; {size} bytes, the rebuild {rebuilt_size})",
            )
        else:
            same += 1
    result.checked.append(
        f"rebuild: {same} of {len(names)} files identical to a rebuild "
        "from the embedded sources" + (" (signed PDFs up to their signature)" if signing else "")
    )
    if signing is not None:
        result.checked.append(
            f"signatures: signed by {', '.join(sorted(signers)) or 'nobody'}"
            f"; {MANIFEST_NAME} names {display_name(signing.signer)}"
        )


def _check_signature(
    release: ReleaseFolder, name: str, unsigned: int, signing: Signing, trust: Certificate | None
) -> tuple[list[Finding], str | None]:
    """Check the signature appended to a PDF's rebuilt bytes; return problems and signer."""
    from report.release.sign import check_signature

    try:
        data = release.read(name)
    except ReleaseError as exc:
        return exc.findings, None
    check = check_signature(data, unsigned, signing.certificate_sha256, trust)
    return [Finding.at(release.path(name), problem) for problem in check.problems], check.signer
