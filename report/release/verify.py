"""`verify DIR`: check a release's SHA256SUMS, then rebuild it from its embedded sources.

1. Every file listed in SHA256SUMS is there with that hash, and nothing else is.
2. The sources are taken from the PDFs themselves (their associated files with
   /AFRelationship /Source), each checked against the hash manifest.json records.
3. The release is built again from those sources and its snapshot.json (for the revision
   history) into a temporary folder, with the version and PDF variant of the manifest,
   and every file is compared byte for byte. A signed PDF must begin with the rebuilt
   bytes, and its signature must be intact, cover the whole file and come from the
   certificate the manifest names.

Any file that fails is named, with why.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from report.errors import Finding, Location, ReportError, SourceError, UsageError
from report.release.model import PUBLICATION_SOURCE
from report.release.publish import (
    SUMS_NAME,
    Log,
    engine_versions,
    read_manifest,
    render_release,
)
from report.release.snapshot import read_snapshot
from report.workers import DEFAULT_TIMEOUT

SUM_LINE = re.compile(r"([0-9a-f]{64}) [ *](.+)")


@dataclass
class Verification:
    """What verifying a release found: problems (each naming a file) and what was checked."""

    problems: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def fail(self, path: str, message: str) -> None:
        """Record a problem with one file."""
        self.problems.append(Finding.at(path, message))


def verify_release(folder: Path, shown: str | None = None, trust: Path | None = None,
                   jobs: int | None = None, log: Log = print) -> Verification:
    """Verify the release in folder; the result's problems are empty when all is as released."""
    shown = str(folder) if shown is None else shown
    if not folder.is_dir():
        raise UsageError(f"{shown}: no such release folder")
    if not (folder / SUMS_NAME).is_file():
        raise UsageError(f"{shown}: not a release folder: it has no {SUMS_NAME}")
    trusted = None
    if trust is not None:
        from report.release.sign import load_trust

        trusted = load_trust(trust)
    result = Verification()
    check_sums(folder, shown, result)
    try:
        manifest = read_manifest(folder, shown)
        snapshot = read_snapshot(folder, shown)
    except ReportError as exc:
        result.problems.append(Finding.at(shown, str(exc)))
        return result
    sources = embedded_sources(folder, shown, manifest, result)
    if sources is None:
        return result
    with tempfile.TemporaryDirectory(prefix="report-verify-") as temp:
        source_dir, out = Path(temp) / "sources", Path(temp) / "release"
        (source_dir / "codes").mkdir(parents=True)
        out.mkdir()
        for path, data in sources.items():
            (source_dir / path).write_bytes(data)
        log(f"rebuilding {shown} from the sources its PDFs embed")
        try:
            render_release(source_dir, out, snapshot, manifest.get("pdf_variant", ""),
                           manifest.get("signing"), jobs, DEFAULT_TIMEOUT,
                           os.path.join(shown, "<embedded>"), log)
        except SourceError as exc:
            result.problems += exc.findings
            return result
        compare(folder, out, shown, manifest.get("signing"), trusted, result)
    if result.problems and manifest.get("engine") != engine_versions():
        result.checked.append(f"note: {shown} was built with {_versions(manifest.get('engine'))}"
                              f"; this machine has {_versions(engine_versions())}")
    return result


def _versions(engine: Any) -> str:
    if not isinstance(engine, dict):
        return "unrecorded versions"
    return ", ".join(f"{name} {version}" for name, version in sorted(engine.items()))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")}


def check_sums(folder: Path, shown: str, result: Verification) -> None:
    """Check every file against SHA256SUMS, as `sha256sum -c` would, and look for extras."""
    sums = os.path.join(shown, SUMS_NAME)
    listed: dict[str, str] = {}
    text = (folder / SUMS_NAME).read_bytes().decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), 1):
        match = SUM_LINE.fullmatch(line)
        if match is None:
            result.problems.append(Finding(Location(sums, number, 1),
                                           "not a line of the form `SHA256  NAME`"))
            continue
        listed[match[2]] = match[1]
    bad = 0
    for name, digest in sorted(listed.items()):
        path = folder / name
        if "/" in name or not path.is_file():
            result.fail(os.path.join(shown, name), f"listed in {SUMS_NAME} but missing")
            bad += 1
        elif _sha256(path.read_bytes()) != digest:
            result.fail(os.path.join(shown, name),
                        f"does not match its SHA-256 in {SUMS_NAME}: the file changed")
            bad += 1
    for name in sorted(_files(folder) - set(listed) - {SUMS_NAME}):
        result.fail(os.path.join(shown, name), f"not listed in {SUMS_NAME}")
    result.checked.append(f"{SUMS_NAME}: {len(listed) - bad} of {len(listed)} files match")


def _attachments(path: Path) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of each associated file of a PDF with relationship Source."""
    found = []
    with pikepdf.open(path) as pdf:
        for spec in pdf.Root.get("/AF", pikepdf.Array()):
            if spec.get("/AFRelationship") != pikepdf.Name.Source or "/EF" not in spec:
                continue
            found.append((str(spec.get("/UF", spec.get("/F", ""))), spec.EF.F.read_bytes()))
    return found


def embedded_sources(folder: Path, shown: str, manifest: dict[str, Any],
                     result: Verification) -> dict[str, bytes] | None:
    """Gather the sources the PDFs embed, each as the manifest records it; None if one lacks."""
    expected = {s["path"]: s["sha256"] for s in manifest.get("sources", [])}
    found: dict[str, bytes] = {}
    for pdf in sorted(folder.glob("*.pdf")):
        shown_pdf = os.path.join(shown, pdf.name)
        try:
            attachments = _attachments(pdf)
        except (pikepdf.PdfError, OSError, AttributeError) as exc:
            result.fail(shown_pdf, f"cannot read the sources it embeds: {exc}")
            continue
        if not attachments:
            result.fail(shown_pdf, "embeds no source files")
        for name, data in attachments:
            path = name if name == PUBLICATION_SOURCE else f"codes/{name}"
            if path not in expected:
                result.fail(shown_pdf, f"embeds {name}, which manifest.json does not list")
            elif _sha256(data) != expected[path]:
                result.fail(shown_pdf, f"its embedded {name} is not the {path} that "
                            "manifest.json records")
            else:
                found.setdefault(path, data)
    missing = sorted(set(expected) - set(found))
    for path in missing:
        result.fail(shown, f"no PDF carries {path} as manifest.json records it; the release "
                    "cannot be rebuilt")
    if missing or not expected:
        return None
    codes = len(found) - (PUBLICATION_SOURCE in found)
    result.checked.append(f"sources: {PUBLICATION_SOURCE} and {codes} code"
                          f"{'s' * (codes != 1)} taken from the PDFs, as manifest.json records")
    return found


def first_difference(left: bytes, right: bytes) -> int:
    """Return the offset of the first byte where two byte strings differ."""
    block = 1 << 16
    for start in range(0, min(len(left), len(right)), block):
        a, b = left[start:start + block], right[start:start + block]
        if a != b:
            return start + next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
    return min(len(left), len(right))


def compare(folder: Path, rebuilt: Path, shown: str, signing: dict[str, str] | None,
            trust: Any, result: Verification) -> None:
    """Compare each file of the release with the rebuild; check signatures when signed."""
    actual_names, rebuilt_names = _files(folder), _files(rebuilt)
    same = 0
    signers: set[str] = set()
    names = sorted((actual_names | rebuilt_names) - {SUMS_NAME})
    for name in names:
        path = os.path.join(shown, name)
        if name not in actual_names:
            result.fail(path, "missing: the rebuild from the embedded sources has it")
            continue
        if name not in rebuilt_names:
            result.fail(path, "not part of the release: the rebuild has no such file")
            continue
        actual, expected = (folder / name).read_bytes(), (rebuilt / name).read_bytes()
        if not actual.startswith(expected) or (signing is None and actual != expected):
            result.fail(path, "differs from the rebuild from the embedded sources (first "
                        f"difference at byte {first_difference(actual, expected)}; "
                        f"{len(actual)} bytes, the rebuild {len(expected)})")
        elif signing is not None and name.endswith(".pdf"):
            if len(actual) == len(expected):
                result.fail(path, "not signed, but manifest.json says the release is")
                continue
            from report.release.sign import check_signature

            check = check_signature(actual, len(expected), signing.get("certificate_sha256"),
                                    trust)
            for problem in check.problems:
                result.fail(path, problem)
            signers.update([check.signer] if check.signer else [])
            same += not check.problems
        elif actual != expected:
            result.fail(path, f"has {len(actual) - len(expected)} bytes more than the rebuild "
                        "from the embedded sources")
        else:
            same += 1
    result.checked.append(f"rebuild: {same} of {len(names)} files identical to a rebuild "
                          "from the embedded sources" + (" (signed PDFs up to their signature)"
                                                         if signing else ""))
    if signing is not None:
        result.checked.append(f"signatures: signed by {', '.join(sorted(signers)) or 'nobody'}"
                              f"; manifest.json names {signing.get('signer')}")
