"""The sources a release's PDFs embed, read as untrusted input.

A PDF's associated files with /AFRelationship /Source are its sources. Their names are
data: each must be publication.yaml or CODE.yaml (CODE a code of the form `check`
accepts), and the path a source is rebuilt from is derived from that pattern, never taken
from the PDF. A report embeds publication.yaml and its own code's source, the volume
every source, each as manifest.json records it. Only plain and Flate streams are decoded,
and never beyond the largest source a release can hold.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO

import pikepdf

from report.errors import Finding, ReleaseError, display_name, excerpt
from report.release.folder import ReleaseFolder
from report.release.manifest import MANIFEST_NAME, Manifest
from report.release.model import SOURCE_NAMES, source_path
from report.sources.volumes import VOLUME_FILE
from report.sources.yaml import MAX_FILE_BYTES as MAX_SOURCE_BYTES
from report.stamp import CODES_FOLDER, INDICES_FOLDER, PUBLICATION_SOURCE, source_name

VOLUME_PDF = "volume.pdf"  # a publication's volumes, when it defines some: VOLUME_FILE
# What pikepdf and qpdf raise on a malformed PDF, besides their own errors.
PDF_ERRORS = (
    pikepdf.PikepdfError,
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    RuntimeError,
    NotImplementedError,
    RecursionError,
    OverflowError,
)


def quoted(name: str) -> str:
    """Return a name taken from a file, quoted and escaped for a message."""
    return f'"{excerpt(display_name(name), 60)}"'


def _qpdf_reason(exc: BaseException) -> str:
    """Return qpdf's reason without the description of the stream it starts with."""
    text = str(exc)
    match = re.fullmatch(r"stream <[^<>]*>(?: \((?P<where>[^)]*)\))?: (?P<why>.*)", text, re.DOTALL)
    if match is None:
        return excerpt(text, 120)
    return excerpt(match["why"] + (f" ({match['where']})" if match["where"] else ""), 120)


@dataclass(frozen=True)
class PdfSources:
    """Reads the embedded sources of one PDF; every problem is a ReleaseError naming it."""

    shown_pdf: str
    limit: int  # the most associated files it may have: the sources manifest.json lists

    def fail(self, message: str) -> ReleaseError:
        """Return the error for one problem with this PDF."""
        return ReleaseError.at(self.shown_pdf, 1, 1, message)

    def read(self, handle: BinaryIO) -> list[tuple[str, bytes]]:
        """Return the name and bytes of each associated file with relationship Source."""
        try:
            with pikepdf.open(handle, attempt_recovery=False) as pdf:
                specs = pdf.Root.get("/AF")
                if specs is None:
                    return []
                if not isinstance(specs, pikepdf.Array):
                    raise self.fail("its /AF (associated files) is not an array")
                if len(specs) > self.limit:
                    raise self.fail(
                        f"has {len(specs)} associated files, more than the "
                        f"{self.limit} sources {MANIFEST_NAME} lists"
                    )
                found = []
                for spec in specs:
                    if not isinstance(spec, pikepdf.Dictionary):
                        raise self.fail(
                            "an entry of its /AF (associated files) is not a file specification"
                        )
                    if spec.get("/AFRelationship") == pikepdf.Name.Source:
                        name = self._name(spec)
                        found.append((name, self._contents(spec, name)))
                return found
        except ReleaseError:
            raise
        except PDF_ERRORS as exc:
            raise self.fail(f"cannot read the sources it embeds: {_qpdf_reason(exc)}") from exc

    def _name(self, spec: pikepdf.Dictionary) -> str:
        """Return an embedded file's name: its /UF and /F, which must say the same."""
        names = [spec.get(key) for key in ("/UF", "/F") if key in spec]
        if not names or not all(isinstance(name, pikepdf.String) for name in names):
            raise self.fail("embeds a source file without a name")
        texts = [str(name) for name in names]
        if len(set(texts)) > 1:
            raise self.fail(
                f"embeds a file under two names, {quoted(texts[0])} (/UF) and "
                f"{quoted(texts[1])} (/F)"
            )
        return texts[0]

    def _contents(self, spec: pikepdf.Dictionary, name: str) -> bytes:
        """Return an embedded file's bytes, decoding at most one byte beyond the limit."""
        files = spec.get("/EF")
        stream = files.get("/F") if isinstance(files, pikepdf.Dictionary) else None
        if not isinstance(stream, pikepdf.Stream):
            raise self.fail(f"embeds {quoted(name)} without its contents")
        filters, parameters = stream.get("/Filter"), stream.get("/DecodeParms")
        chain = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)]
        # /FlateDecode, which a release writes, behind /RunLengthDecode when the compressed
        # data ends with CR (report/render/provenance.py).
        flate = chain in (["/FlateDecode"], ["/RunLengthDecode", "/FlateDecode"])
        if parameters is not None or not (filters is None or flate):
            raise self.fail(
                f"embeds {quoted(name)} encoded otherwise than with /FlateDecode, "
                "which verify does not decode"
            )
        raw = stream.read_raw_bytes()
        if chain[0] == "/RunLengthDecode":
            decoded = run_length_decoded(raw, 2 * MAX_SOURCE_BYTES)
            if decoded is None:
                raise self.fail(f"its embedded {quoted(name)} is not valid RunLength data")
            raw = decoded
        data = raw
        if flate:
            inflater = zlib.decompressobj()
            try:
                data = inflater.decompress(raw, MAX_SOURCE_BYTES + 1)
            except zlib.error as exc:
                raise self.fail(f"its embedded {quoted(name)} is not valid Flate data") from exc
            if len(data) <= MAX_SOURCE_BYTES and not inflater.eof:
                raise self.fail(f"its embedded {quoted(name)} is cut short")
        if len(data) > MAX_SOURCE_BYTES:
            raise self.fail(
                f"embeds {quoted(name)} of more than {MAX_SOURCE_BYTES:,} bytes, "
                "more than a source can be"
            )
        return data


@dataclass
class EmbeddedSources:
    """What the PDFs embed: the sources by path when all is as manifest.json records."""

    sources: dict[str, bytes] | None = None
    problems: list[Finding] = field(default_factory=list)
    summary: str | None = None


def _wanted(pdf: str, listed: set[str]) -> set[str] | None:
    """Return the sources a PDF of the release embeds, or None if the release makes no such PDF."""
    if pdf == VOLUME_PDF or VOLUME_FILE.fullmatch(pdf):
        return set(listed)
    path = source_path(pdf.removesuffix(".pdf") + ".yaml")
    if path is None or not path.startswith(f"{CODES_FOLDER}/"):
        return None
    return {PUBLICATION_SOURCE, path} | {p for p in listed if p.startswith(f"{INDICES_FOLDER}/")}


def embedded_sources(release: ReleaseFolder, manifest: Manifest) -> EmbeddedSources:
    """Gather the sources the PDFs embed, each as the manifest records it."""
    expected = {source.path: source.sha256 for source in manifest.sources}
    result = EmbeddedSources()
    found: dict[str, bytes] = {}
    for pdf in release.files():
        wanted = _wanted(pdf, set(expected)) if pdf.endswith(".pdf") else None
        if wanted is None:
            continue  # no PDF of a release: SHA256SUMS or the rebuild names it
        reader = PdfSources(release.path(pdf), len(expected))
        try:
            with release.open_file(pdf) as handle:
                attachments = reader.read(handle)
        except ReleaseError as exc:
            result.problems += exc.findings
            continue
        seen: set[str] = set()
        for name, data in attachments:
            path = source_path(name)
            problem = None
            if path is None:
                problem = (
                    f"embeds a file named {quoted(name)}, which is no source: a release "
                    f"embeds {SOURCE_NAMES}"
                )
            elif path in seen:
                problem = f"embeds {name} twice"
            elif path not in expected:
                problem = f"embeds {name}, which {MANIFEST_NAME} does not list"
            elif path not in wanted:
                problem = (
                    f"embeds {name}, which is not its own: a report embeds "
                    f"{PUBLICATION_SOURCE}, the indices and its code's source only"
                )
            elif hashlib.sha256(data).hexdigest() != expected[path]:
                problem = f"its embedded {name} is not the {path} that {MANIFEST_NAME} records"
            else:
                found.setdefault(path, data)
            if path is not None:
                seen.add(path)
            if problem is not None:
                result.problems.append(Finding.at(reader.shown_pdf, problem))
        for path in sorted(wanted - seen):
            result.problems.append(
                Finding.at(reader.shown_pdf, f"does not embed {source_name(path)}")
            )
    missing = sorted(set(expected) - set(found))
    for path in missing:
        result.problems.append(
            Finding.at(
                release.shown_path,
                f"no PDF carries {path} as {MANIFEST_NAME} records it; the release "
                "cannot be rebuilt",
            )
        )
    if not result.problems:
        result.sources = found
        codes = sum(path.startswith(f"{CODES_FOLDER}/") for path in found)
        indices = sum(path.startswith(f"{INDICES_FOLDER}/") for path in found)
        held = f", {indices} indices file{'s' * (indices != 1)}" if indices else ""
        result.summary = (
            f"sources: {PUBLICATION_SOURCE}{held} and {codes} code{'s' * (codes != 1)} "
            f"taken from the PDFs, as {MANIFEST_NAME} records"
        )
    return result


def run_length_decoded(data: bytes, limit: int) -> bytes | None:
    """Return /RunLengthDecode data decoded, or None if malformed or longer than limit."""
    out, at = bytearray(), 0
    while at < len(data):
        length = data[at]
        if length == 128:  # end of data
            return bytes(out)
        if length < 128:
            run = data[at + 1 : at + 2 + length]
            if len(run) != length + 1:
                return None
            out += run
            at += 2 + length
        else:
            if at + 1 >= len(data):
                return None
            out += data[at + 1 : at + 2] * (257 - length)
            at += 2
        if len(out) > limit:
            return None
    return None
